import http from 'node:http';
import Stripe from 'stripe';

// A bare node:http webhook receiver for tests: records every request, answers
// with a status the test chooses per path, can hold answers back, and verifies
// signatures with the official SDK's constructEvent.

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, exactly as it arrived. */
  body: string;
}

const sdk = new Stripe('sk_test_receiver');

export class Receiver {
  readonly received: Received[] = [];
  /** Status to answer per path (default 200). */
  status: (path: string) => number = () => 200;
  private held: (() => void)[] | null = null;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static start(): Promise<Receiver> {
    return new Promise((resolve) => {
      let receiver: Receiver;
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const path = req.url ?? '/';
          receiver.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          const answer = () => {
            const status = receiver.status(path);
            res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : `receiver says ${status}`);
          };
          if (receiver.held) receiver.held.push(answer);
          else answer();
        });
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        receiver = new Receiver(server, `http://127.0.0.1:${port}`);
        resolve(receiver);
      });
    });
  }

  /** Requests wait unanswered until release(). */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const answer of held) answer();
  }

  /** Resolves once `n` requests have arrived. */
  async waitFor(n: number, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > until) throw new Error(`receiver got ${this.received.length} requests, expected ${n}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** The events that arrived on `path`, each verified with `secret` as an app would. */
  events(path: string, secret: string): Stripe.Event[] {
    return this.on(path).map((r) => sdk.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, secret));
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
