import type { IncomingMessage, ServerResponse } from 'node:http';

// A paywall, whatever protocol it speaks (x402 in src/x402, MPP in src/mpp): it
// looks at a request and either answers it (402 and its challenge) or lets the
// handler run; when the handler has answered, `finish` sees its status and either
// adds headers (a settlement, a receipt) or replaces the answer (a settlement that
// failed). The handler's output is held until then. The adapters below mount a
// paywall on node:http, express (connect-style middleware) and hono.

export interface PaywallRequest {
  method: string;
  /** The absolute URL the client asked for. */
  url: string;
  /** A request header (name in any case). */
  header(name: string): string | undefined;
}

export interface PaywallResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Finish = (status: number) => Promise<{ headers: Record<string, string> } | { response: PaywallResponse }>;

export type Gate = { response: PaywallResponse } | { finish: Finish | null };

export type Paywall = (req: PaywallRequest) => Promise<Gate>;

// --- routes -------------------------------------------------------------------

/**
 * Route keys as x402's middlewares write them: `"GET /weather"`, `"/weather"` (any
 * method), a trailing `/*`, `:param` or `[param]` segments.
 */
export function routeMatcher<T>(routes: Record<string, T>): (method: string, path: string) => T | undefined {
  const compiled = Object.entries(routes).map(([key, value]) => {
    const [verb, pattern] = key.trim().includes(' ') ? key.trim().split(/\s+/, 2) : ['*', key.trim()];
    const wildcard = pattern.endsWith('/*');
    const body = (wildcard ? pattern.slice(0, -2) : pattern)
      .split('/')
      .map((segment) => (/^:\w+$|^\[\w+\]$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return { verb: verb.toUpperCase(), regex: new RegExp(`^${body}${wildcard ? '(?:/.*)?' : ''}/?$`), value };
  });
  return (method, path) => compiled.find((r) => (r.verb === '*' || r.verb === method.toUpperCase()) && r.regex.test(path))?.value;
}

// --- node:http and express ------------------------------------------------------

export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Connect-style middleware: `app.use(mw)` in express, or in node:http
 * `(req, res) => mw(req, res, () => handler(req, res))`.
 */
export function nodeMiddleware(paywall: Paywall): NodeMiddleware {
  return (req, res, next) => {
    const host = req.headers.host ?? 'localhost';
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const request: PaywallRequest = {
      method: req.method ?? 'GET',
      url: `${secure ? 'https' : 'http'}://${host}${path}`,
      header: (name) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      },
    };
    paywall(request).then(
      (gate) => {
        if ('response' in gate) return send(res, gate.response);
        if (gate.finish) holdUntilEnd(res, gate.finish);
        next();
      },
      (error) => next(error),
    );
  };
}

function send(res: ServerResponse, response: PaywallResponse): void {
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(Buffer.byteLength(response.body)) });
  res.end(response.body);
}

/** Holds what the handler writes until it ends, then lets `finish` add headers or replace the answer. */
function holdUntilEnd(res: ServerResponse, finish: Finish): void {
  const { write, end, writeHead } = res;
  const chunks: Buffer[] = [];
  const toBuffer = (chunk: unknown, encoding?: unknown) =>
    Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
  res.writeHead = function (status: number, ...rest: unknown[]) {
    res.statusCode = status;
    const headers = rest.find((r) => typeof r === 'object' && r !== null) as Record<string, string | string[]> | string[] | undefined;
    if (Array.isArray(headers)) for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1]);
    else if (headers) for (const name in headers) res.setHeader(name, headers[name]);
    return res;
  } as typeof res.writeHead;
  res.write = function (chunk: unknown, encoding?: unknown, callback?: unknown) {
    chunks.push(toBuffer(chunk, encoding));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  } as typeof res.write;
  res.end = function (chunk?: unknown, encoding?: unknown, callback?: unknown) {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBuffer(chunk, encoding));
    Object.assign(res, { write, end, writeHead });
    const body = Buffer.concat(chunks);
    finish(res.statusCode).then(
      (outcome) => {
        if ('response' in outcome) {
          for (const name of res.getHeaderNames()) res.removeHeader(name);
          return send(res, outcome.response);
        }
        for (const name in outcome.headers) res.setHeader(name, outcome.headers[name]);
        if (!res.hasHeader('transfer-encoding')) res.setHeader('Content-Length', String(body.length));
        res.end(body);
      },
      (error) => {
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        send(res, { status: 500, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error: String(error?.message ?? error) }) });
      },
    );
    const done = [chunk, encoding, callback].find((a) => typeof a === 'function');
    if (done) res.once('finish', done as () => void);
    return res;
  } as typeof res.end;
}

// --- hono -----------------------------------------------------------------------

/** The part of hono's Context a paywall uses (typed here so hono stays optional). */
export interface HonoContextLike {
  req: { raw: Request };
  res: Response;
}

export type HonoMiddleware = (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | void>;

/** Hono middleware: `app.use(mw)` or `app.get(path, mw, handler)`. */
export function honoMiddleware(paywall: Paywall): HonoMiddleware {
  return async (c, next) => {
    const raw = c.req.raw;
    const gate = await paywall({ method: raw.method, url: raw.url, header: (name) => raw.headers.get(name) ?? undefined });
    if ('response' in gate) return toResponse(gate.response);
    await next();
    if (!gate.finish) return;
    const outcome = await gate.finish(c.res.status);
    if ('response' in outcome) {
      // Hono carries the previous answer's headers into a new one: clear it first.
      c.res = undefined as unknown as Response;
      c.res = toResponse(outcome.response);
      return;
    }
    const res = new Response(c.res.body, c.res);
    for (const name in outcome.headers) res.headers.set(name, outcome.headers[name]);
    c.res = undefined as unknown as Response;
    c.res = res;
  };
}

const toResponse = (response: PaywallResponse) => new Response(response.body, { status: response.status, headers: response.headers });
