import { Readable } from 'node:stream';
import Stripe from 'stripe';
import { Twin } from '../engine/twin';
import { handleRequest, TwinResponse } from '../server/pipeline';

// A stripe-node httpClient that sends each SDK call straight into a twin: the
// same pipeline as the HTTP server, no socket.

class TwinHttpClientResponse extends Stripe.HttpClientResponse {
  private readonly raw: { headers: Record<string, string>; body: string };

  constructor(private readonly response: TwinResponse) {
    const headers: Record<string, string> = {};
    for (let i = 0; i < response.headers.length; i += 2) headers[response.headers[i].toLowerCase()] = response.headers[i + 1];
    super(response.status, headers);
    this.raw = { headers, body: response.body };
  }

  /** Shaped like node's IncomingMessage where the SDK exposes it (`lastResponse.headers`, lower-case names). */
  override getRawResponse(): { headers: Record<string, string>; body: string } {
    return this.raw;
  }

  override toStream(streamCompleteCallback: () => void): Readable {
    const stream = Readable.from([Buffer.from(this.response.body)]);
    stream.on('end', streamCompleteCallback);
    return stream;
  }

  override toJSON(): Promise<unknown> {
    return Promise.resolve(this._parseResponseBody(this.response.body));
  }
}

export class TwinHttpClient extends Stripe.HttpClient {
  constructor(private readonly twin: Twin) {
    super();
  }

  override getClientName(): string {
    return 'stripe-twin';
  }

  override async makeRequest(
    _host: string,
    _port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
    _protocol?: string,
    timeout?: number,
  ): Promise<TwinHttpClientResponse> {
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    const body = Buffer.from(requestData ?? '', 'utf8');
    // The SDK's timeout only matters while a timeout fault holds the request: then it ends the hold as the node client would.
    let timedOut = false;
    const onGone = (listener: () => void) => {
      if (!timeout || timeout <= 0) return;
      setTimeout(() => {
        timedOut = true;
        listener();
      }, timeout).unref();
    };
    const response = await handleRequest(this.twin, { method, url: path, headers: lower, readBody: async () => body, onGone });
    if (response.drop) {
      if (timedOut) throw Stripe.HttpClient.makeTimeoutError();
      // A dropped connection reaches the SDK as node's socket error does: a retryable StripeConnectionError.
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    return new TwinHttpClientResponse(response);
  }
}
