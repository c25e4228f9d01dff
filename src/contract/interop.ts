import crypto from 'node:crypto';
import { encodeForm } from '../engine/form';
import { Capture, Interaction } from './capture';
import { fillText, fillTokens, recordedBase, TokenFill } from './normalize';

// Captures out to other tools' formats: nock 14 definitions (what nock-back
// fixtures hold and `nock.define()` accepts) and Polly.js HAR 1.2 logs. Ids go
// back to the recorded originals (`capture.ids`), timestamps back to Unix
// seconds counted from a base time, so a test that reads the responses sees
// real-looking values. Tokens with no original (request ids, idempotency keys,
// scrubbed secrets, scrubbed emails) stay tokens. Importing an export back
// (importers/nock.ts, importers/har.ts) and normalizing gives the same
// interactions.

export interface ExportOptions {
  /**
   * Unix seconds that {{t+0}} stands for. Default: midnight (UTC) of the day the
   * capture was recorded, or 2026-01-01 when that is not known.
   */
  base?: number;
}

export interface NockExportOptions extends ExportOptions {
  /**
   * Also require the recorded Stripe-Version on each request (nock `reqheaders`).
   * Stripe-Account is always required when recorded: it names whose data it is.
   */
  matchVersion?: boolean;
}

/** Field of an exported nock definition holding the request headers the capture recorded (importers/nock.ts reads it). */
export const RECORDED_REQUEST_HEADERS = '_recordedRequestHeaders';

/** Puts recorded values back in place of tokens: the recorded ids, times from `base`; secrets stay scrubbed. */
class Restorer {
  readonly fill: TokenFill;

  constructor(
    ids: Record<string, string>,
    readonly base: number,
  ) {
    this.fill = (t) => (t.kind === 'id' ? (ids[t.text] ?? t.text) : t.kind === 'time' ? base + t.delta : t.text);
  }

  text(s: string): string {
    return fillText(s, this.fill);
  }

  /** A response body or object: a value that is a whole time token was an integer. */
  body(v: unknown): unknown {
    return fillTokens(v, this.fill, true);
  }

  /** Request parameters: form values are strings, timestamps too. */
  params(v: unknown): unknown {
    return fillTokens(v, this.fill);
  }

  headers(h: Record<string, string>): Array<[string, string]> {
    return Object.entries(h).map(([k, v]) => [k, this.text(v)]);
  }
}

const STRIPE_API = 'https://api.stripe.com';
/** The Polly.js version whose recording format the HAR export writes. */
const POLLY_VERSION = '6.0.6';

const sendsQuery = (method: string) => method === 'GET' || method === 'DELETE';

interface Concrete {
  method: string;
  path: string;
  /** Path with the query string, for GET and DELETE. */
  pathAndQuery: string;
  /** Form body for the other methods ('' when there are no parameters). */
  form: string;
  requestHeaders: Array<[string, string]>;
  status: number;
  responseHeaders: Array<[string, string]>;
  body: unknown;
  /** Unix seconds, when the capture knows when it was recorded. */
  at?: number;
}

function concrete(i: Interaction, r: Restorer): Concrete {
  const method = i.request.method.toUpperCase();
  const path = r.text(i.request.path);
  const encoded = encodeForm(r.params(i.request.params) as Record<string, unknown>);
  const query = sendsQuery(method) ? encoded : '';
  const requestHeaders: Array<[string, string]> = [];
  if (i.request.stripe_version) requestHeaders.push(['Stripe-Version', i.request.stripe_version]);
  if (i.request.idempotency_key) requestHeaders.push(['Idempotency-Key', r.text(i.request.idempotency_key)]);
  if (i.request.stripe_account) requestHeaders.push(['Stripe-Account', r.text(i.request.stripe_account)]);
  return {
    method,
    path,
    pathAndQuery: query ? `${path}?${query}` : path,
    form: sendsQuery(method) ? '' : encoded,
    requestHeaders,
    status: i.response.status,
    responseHeaders: r.headers(i.response.headers ?? {}),
    body: r.body(i.response.body),
    at: i.at === undefined ? undefined : r.base + i.at,
  };
}

/** nock 14 definitions, one per interaction, in order (nock serves each once). */
export function captureToNock(capture: Capture, options: NockExportOptions = {}): object[] {
  const r = new Restorer(capture.ids ?? {}, options.base ?? recordedBase(capture));
  return capture.interactions.map((i) => {
    const c = concrete(i, r);
    const rawHeaders = c.responseHeaders.flat();
    if (c.at !== undefined) rawHeaders.push('Date', new Date(c.at * 1000).toUTCString());
    const reqheaders: Record<string, string> = {};
    for (const [name, value] of c.requestHeaders) {
      if (name === 'Stripe-Account' || (name === 'Stripe-Version' && options.matchVersion)) reqheaders[name.toLowerCase()] = value;
    }
    const def: Record<string, unknown> = { scope: `${STRIPE_API}:443`, method: c.method, path: c.pathAndQuery };
    if (c.form) def.body = c.form;
    def.status = c.status;
    if (c.body !== null && c.body !== undefined) def.response = c.body;
    def.rawHeaders = rawHeaders;
    if (Object.keys(reqheaders).length) def.reqheaders = reqheaders;
    def.responseIsBinary = false;
    // What the request carried, for the record (nock ignores fields it does not know):
    // an idempotency key or a version that is not matched on still belongs to the capture.
    if (c.requestHeaders.length) def[RECORDED_REQUEST_HEADERS] = Object.fromEntries(c.requestHeaders);
    return def;
  });
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  409: 'Conflict', 424: 'Failed Dependency', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

const harHeaders = (h: Array<[string, string]>) => h.map(([name, value]) => ({ name, value }));

function queryString(query: string): Array<{ name: string; value: string }> {
  if (!query) return [];
  return query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { name: dec(eq === -1 ? pair : pair.slice(0, eq)), value: eq === -1 ? '' : dec(pair.slice(eq + 1)) };
  });
}

// Polly.js 6 (@pollyjs/core, @pollyjs/persister-fs) finds a recorded entry by
// `_id`, the MD5 of the request's identifiers as stable JSON, and `_order`, how
// many earlier requests had that `_id`. The identifiers are what
// `matchRequestsBy` selects; the export keys entries for
// `matchRequestsBy: {headers: false}` (the SDK's headers carry a fresh
// idempotency key, telemetry and its platform: no two runs send the same), the
// other options Polly's defaults: method, the body when there is one, and the
// URL without its fragment, the query parsed and written again with its keys
// sorted (url-parse and querystringify, as Polly does).

/** The query as Polly's URL normalizing writes it: first value of each key, keys sorted, encodeURIComponent. */
function pollyQuery(query: string): string {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return null;
    }
  };
  const params = new Map<string, string>();
  for (const [, k, v] of query.matchAll(/([^=?#&]+)=?([^&]*)/g)) {
    const key = decode(k);
    const value = decode(v);
    if (key !== null && value !== null && !params.has(key)) params.set(key, value);
  }
  const pairs = [...params.keys()].sort().map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params.get(k)!)}`);
  return pairs.length ? `?${pairs.join('&')}` : '';
}

/** Polly's `_id` for a request to `origin` + `pathAndQuery` with a form body ('' for none). */
function pollyEntryId(method: string, origin: string, pathAndQuery: string, body: string): string {
  const q = pathAndQuery.indexOf('?');
  const url = q === -1 ? `${origin}${pathAndQuery}` : `${origin}${pathAndQuery.slice(0, q)}${pollyQuery(pathAndQuery.slice(q + 1))}`;
  // Keys in sorted order, as fast-json-stable-stringify writes them; an empty body is not an identifier.
  const identifiers = body ? { body, method, url } : { method, url };
  return crypto.createHash('md5').update(JSON.stringify(identifiers)).digest('hex');
}

/** FNV-1a (32 bits) of the UTF-8 bytes of `text`: @sindresorhus/fnv1a, which Polly names recording folders with. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * The folder, below Polly's `recordingsDir`, where its fs persister keeps the
 * recording named `name` (core's guidForRecording): each `/`-separated part
 * as a slug (non-word characters to dashes, runs of them collapsed and
 * trimmed, at most 100 characters with the hash) and its FNV-1a hash.
 */
export function pollyRecordingFolder(name: string): string {
  return name
    .split('/')
    .map((part) => {
      const hash = String(fnv1a(part));
      const slug = part.replace(/\W/g, ' ').trim().replace(/\s+/g, '-');
      return `${slug.slice(0, 100 - hash.length - 1)}_${hash}`;
    })
    .join('/');
}

export interface HarExportOptions extends ExportOptions {
  /** Polly's recording name (`new Polly(name)`); default the capture's name. */
  recordingName?: string;
}

/**
 * A HAR 1.2 log as Polly.js persists it (recording.har), which Polly replays
 * with `matchRequestsBy: {headers: false}`: entries in order, keyed as above.
 * Polly refuses a recording whose creator is not "Polly.JS"; the log's
 * `_exporter` says who wrote it.
 */
export function captureToHar(capture: Capture, options: HarExportOptions = {}): object {
  const r = new Restorer(capture.ids ?? {}, options.base ?? recordedBase(capture));
  const seen = new Map<string, number>();
  const entries = capture.interactions.map((i) => {
    const c = concrete(i, r);
    const url = `${STRIPE_API}${c.pathAndQuery}`;
    const id = pollyEntryId(c.method, STRIPE_API, c.pathAndQuery, c.form);
    const order = seen.get(id) ?? 0;
    seen.set(id, order + 1);
    const text = c.body === null || c.body === undefined ? '' : typeof c.body === 'string' ? c.body : JSON.stringify(c.body, null, 2);
    const contentType = c.responseHeaders.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
    const requestHeaders = [...c.requestHeaders];
    if (c.form) requestHeaders.unshift(['Content-Type', 'application/x-www-form-urlencoded']);
    const request: Record<string, unknown> = {
      bodySize: Buffer.byteLength(c.form),
      cookies: [],
      headers: harHeaders(requestHeaders),
      headersSize: -1,
      httpVersion: 'HTTP/1.1',
      method: c.method,
      queryString: queryString(c.pathAndQuery.includes('?') ? c.pathAndQuery.slice(c.pathAndQuery.indexOf('?') + 1) : ''),
      url,
    };
    if (c.form) request.postData = { mimeType: 'application/x-www-form-urlencoded', params: [], text: c.form };
    return {
      _id: id,
      _order: order,
      cache: {},
      request,
      response: {
        bodySize: Buffer.byteLength(text),
        content: { mimeType: contentType, size: Buffer.byteLength(text), text },
        cookies: [],
        headers: harHeaders(c.responseHeaders),
        headersSize: -1,
        httpVersion: 'HTTP/1.1',
        redirectURL: '',
        status: c.status,
        statusText: STATUS_TEXT[c.status] ?? '',
      },
      startedDateTime: new Date((c.at ?? r.base) * 1000).toISOString(),
      time: 0,
      timings: { blocked: -1, connect: -1, dns: -1, receive: 0, send: 0, ssl: -1, wait: 0 },
    };
  });
  return {
    log: {
      _exporter: 'stripe-twin export',
      _recordingName: options.recordingName ?? capture.name,
      creator: { comment: 'persister:fs', name: 'Polly.JS', version: POLLY_VERSION },
      entries,
      pages: [],
      version: '1.2',
    },
  };
}
