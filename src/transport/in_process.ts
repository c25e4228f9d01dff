import Stripe from 'stripe';
import { Twin } from '../engine/twin';
import { handleRequest } from '../server/pipeline';
import { BufferedResponse } from './response';

// A stripe-node httpClient that sends each SDK call straight into a twin: the
// same pipeline as the HTTP server, no socket.

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
  ): Promise<BufferedResponse> {
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
    const responseHeaders: Record<string, string> = {};
    for (let i = 0; i < response.headers.length; i += 2) responseHeaders[response.headers[i].toLowerCase()] = response.headers[i + 1];
    return new BufferedResponse(response.status, responseHeaders, response.body);
  }
}
