import http from 'node:http';
import { Twin } from '../engine/twin';
import { handleRequest } from './pipeline';
import { MAX_BODY_BYTES } from './stages';

// The node:http face of the twin.

export interface HttpServerOptions {
  /**
   * How long a client has to send its whole request (headers and body), in ms.
   * A POST holds its Idempotency-Key while its body arrives (as on Stripe); a
   * client that stalls gets 408 and the key is free again after this long
   * (Node's default is 300 s; twin choice: 30 s).
   */
  requestTimeoutMs?: number;
}

export const REQUEST_TIMEOUT_MS = 30_000;

export function createHttpServer(twin: Twin, options: HttpServerOptions = {}): http.Server {
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // Node looks for stalled requests every `connectionsCheckingInterval`: often enough that the bound holds.
  const timeouts = { requestTimeout, connectionsCheckingInterval: Math.max(10, Math.min(1000, requestTimeout / 4)) };
  const server = http.createServer(timeouts, (req, res) => {
    // Node lower-cases header names; only set-cookie is ever an array, and the twin does not read it.
    const headers = req.headers as Record<string, string | undefined>;
    let consumed = false;
    const readBody = (limit = MAX_BODY_BYTES) => {
      consumed = true;
      return readLimited(req, limit);
    };
    const onGone = (listener: () => void) => res.once('close', listener); // the client left: a timeout fault stops holding
    handleRequest(twin, { method: req.method ?? 'GET', url: req.url ?? '/', headers, readBody, onGone })
      .then((response) => {
        if (response.drop) return void req.socket.destroy(); // a lost response: the client sees the connection reset
        if (!consumed) req.resume(); // drain what the pipeline did not need
        response.headers.push('Content-Length', String(Buffer.byteLength(response.body)));
        res.writeHead(response.status, response.headers);
        res.end(response.body);
      })
      .catch((e) => {
        process.stderr.write(`stripe-twin: ${e instanceof Error ? e.stack : String(e)}\n`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"An unknown error occurred","type":"api_error"}}\n');
      });
  });
  // Malformed or stalled HTTP never reaches a handler: answer 400 (408) and close that connection only.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}

/**
 * Reads a request body, keeping at most `limit + 1` bytes: a longer body is
 * drained and reported as over the limit rather than buffered whole.
 */
function readLimited(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? new Uint8Array(limit + 1) : Buffer.concat(chunks)));
    req.on('error', reject); // also when the connection closes before the body ends (a request timeout, a client gone)
  });
}

export function listen(server: http.Server, port: number, host: string): Promise<{ url: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({ url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual });
    });
  });
}

/** Where to find the public URL of a served twin when neither a flag nor an option gives one. */
export const PUBLIC_URL_ENV = 'STRIPE_TWIN_PUBLIC_URL';

/**
 * A public URL for the pages the twin serves (Checkout, Payment Links, the portal):
 * an http(s) URL, kept without its trailing slash. `source` names where it came from.
 */
export function checkPublicUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${source}: "${value}" is not a URL like http://localhost:12111`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${source}: "${value}" is not an http(s) URL`);
  return value.replace(/\/+$/, '');
}
