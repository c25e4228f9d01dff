import { Readable } from 'node:stream';
import Stripe from 'stripe';

// The response the twin's httpClients hand stripe-node: a status, headers and a
// body already read as a string (the in-process twin, replay, the recorder).
// Nothing here loads the engine: replay must run without it.

export class BufferedResponse extends Stripe.HttpClientResponse {
  private readonly raw: { headers: Record<string, string>; body: string };

  /** `headers` with lower-case names, as node gives them. */
  constructor(status: number, headers: Record<string, string>, private readonly body: string) {
    super(status, headers);
    this.raw = { headers, body };
  }

  /** Shaped like node's IncomingMessage where the SDK exposes it (`lastResponse.headers`, lower-case names). */
  override getRawResponse(): { headers: Record<string, string>; body: string } {
    return this.raw;
  }

  override toStream(streamCompleteCallback: () => void): Readable {
    const stream = Readable.from([Buffer.from(this.body)]);
    stream.on('end', streamCompleteCallback);
    return stream;
  }

  /** A body that is not JSON rejects (with `rawBody`), as node's client does. */
  override toJSON(): Promise<unknown> {
    return new Promise((resolve) => resolve(this._parseResponseBody(this.body)));
  }
}
