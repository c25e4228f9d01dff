import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Twin } from '../engine/twin';
import type { AccessLogEntry } from './access_log';
import { handleRequest } from './pipeline';
import { MAX_BODY_BYTES, TwinRequest, TwinResponse } from './stages';

// The node:http and node:https faces of the twin.

export interface HttpServerOptions {
  /**
   * How long a client has to send its whole request (headers and body), in ms.
   * A POST holds its Idempotency-Key while its body arrives (as on Stripe); a
   * client that stalls gets 408 and the key is free again after this long
   * (Node's default is 300 s; twin choice: 30 s).
   */
  requestTimeoutMs?: number;
  /** Called once per request answered (`serve --verbose`, `--log json`: ./access_log.ts). */
  onRequest?: (entry: AccessLogEntry) => void;
}

export const REQUEST_TIMEOUT_MS = 30_000;

/** Answers one request: the twin's pipeline, or `serve --workers`' router forwarding to the worker holding its account. */
export type Answer = (request: TwinRequest) => Promise<TwinResponse>;

/** The twin's pipeline as an Answer. */
export const pipelineOf = (twin: Twin): Answer => (request) => handleRequest(twin, request);

export function createHttpServer(twin: Twin, options: HttpServerOptions = {}): http.Server {
  return serveRequests(pipelineOf(twin), options);
}

/** A node:http server answering each request with `answer`. */
export function serveRequests(answer: Answer, options: HttpServerOptions = {}): http.Server {
  const server = http.createServer(serverOptions(options), requestListener(answer, options));
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    // A TLS handshake (record type 0x16) where plain HTTP was expected: say so, rather than a bare reset.
    if (err.rawPacket?.[0] === 0x16) warn(`a TLS (https://) connection reached the plain HTTP port ${portOf(server)}; use http:// there, or serve --https and its HTTPS port`);
    answerClientError(err, socket);
  });
  return server;
}

/** The same face over TLS (`serve --https`): `key` and `cert` are PEM. */
export function serveRequestsOverTls(answer: Answer, credentials: { key: string | Buffer; cert: string | Buffer }, options: HttpServerOptions = {}): https.Server {
  const server = https.createServer({ ...serverOptions(options), ...credentials }, requestListener(answer, options));
  server.on('clientError', answerClientError);
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_SSL_HTTP_REQUEST') warn(`a plain HTTP (http://) request reached the HTTPS port ${portOf(server)}; use https:// there, or the HTTP port`);
  });
  return server;
}

function serverOptions(options: HttpServerOptions): http.ServerOptions {
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // Node looks for stalled requests every `connectionsCheckingInterval`: often enough that the bound holds.
  return { requestTimeout, connectionsCheckingInterval: Math.max(10, Math.min(1000, requestTimeout / 4)) };
}

function requestListener(answer: Answer, { onRequest }: HttpServerOptions): http.RequestListener {
  return (req, res) => {
    const started = onRequest ? performance.now() : 0;
    const logged = (response: TwinResponse) => onRequest?.(accessLogEntry(req, response, performance.now() - started));
    // Node lower-cases header names; only set-cookie is ever an array, and the twin does not read it.
    const headers = req.headers as Record<string, string | undefined>;
    let consumed = false;
    const readBody = (limit = MAX_BODY_BYTES) => {
      consumed = true;
      return readLimited(req, limit);
    };
    const onGone = (listener: () => void) => res.once('close', listener); // the client left: a timeout fault stops holding
    answer({ method: req.method ?? 'GET', url: req.url ?? '/', headers, readBody, onGone })
      .then((response) => {
        logged(response);
        if (response.drop) return void req.socket.destroy(); // a lost response: the client sees the connection reset
        if (!consumed) req.resume(); // drain what the pipeline did not need
        response.headers.push('Content-Length', String(Buffer.byteLength(response.body)));
        res.writeHead(response.status, response.headers);
        res.end(response.body);
      })
      .catch((e) => {
        process.stderr.write(`stripe-twin: ${e instanceof Error ? e.stack : String(e)}\n`);
        logged({ status: 500, headers: [], body: '' });
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"An unknown error occurred","type":"api_error"}}\n');
      });
  };
}

function accessLogEntry(req: http.IncomingMessage, response: TwinResponse, ms: number): AccessLogEntry {
  const header = (name: string) => {
    const i = response.headers.indexOf(name);
    return i % 2 === 0 ? response.headers[i + 1] : null;
  };
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: queryAt === -1 ? url : url.slice(0, queryAt),
    status: response.drop ? null : response.status,
    ms,
    request_id: header('Request-Id'),
    account: response.account ?? null,
    replayed: header('Idempotent-Replayed') === 'true',
  };
}

// Malformed or stalled HTTP never reaches a handler: answer 400 (408) and close that connection only.
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

const warn = (line: string) => process.stderr.write(`stripe-twin: ${line}\n`);

function portOf(server: net.Server): number | string {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : '?';
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

/** Listens on `port` (0: any free one); answers the base URL (https:// for a TLS server) and the port. */
export function listen(server: net.Server, port: number, host: string): Promise<{ url: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({ url: `${server instanceof tls.Server ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual });
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
