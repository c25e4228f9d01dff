import { headerValue } from '../capture';
import { RECORDED_REQUEST_HEADERS } from '../interop';
import { RawCapture, RawInteraction } from '../normalize';
import { ApiOptions, decodeContent, formParams, isRecord, jsonBody, recordedDate, requestParams, stripeUrl, unixSeconds } from './common';

// nock recordings: what `nock.recorder.rec({output_objects: true})` returns and
// nock-back writes as a fixture: a JSON array of definitions
//   {scope: 'https://api.stripe.com:443', method, path (with query), body,
//    status, response, rawHeaders: [name, value, ...] (or headers: {name: value}),
//    reqheaders?, responseIsBinary?}
// The body is the form-encoded string (nock only parses JSON bodies); the
// response is parsed JSON, text, or hex (binary, or content-encoded chunks).

export interface NockDefinition {
  scope: string;
  method: string;
  path: string;
  body?: unknown;
  status?: number;
  response?: unknown;
  rawHeaders?: string[] | string[][] | Record<string, string>;
  headers?: Record<string, string | string[]>;
  reqheaders?: Record<string, unknown>;
  responseIsBinary?: boolean;
  /** Written by stripe-twin's export (interop.ts): request headers recorded but not matched on. */
  [RECORDED_REQUEST_HEADERS]?: Record<string, string>;
}

export function isNock(doc: unknown): boolean {
  return (
    Array.isArray(doc) &&
    doc.length > 0 &&
    doc.every((d) => isRecord(d) && typeof d.scope === 'string' && typeof d.method === 'string' && typeof d.path === 'string')
  );
}

/** Response headers from any of the shapes nock has written over the years. */
function responseHeaders(def: NockDefinition): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const add = (name: unknown, value: unknown) => {
    if (typeof name !== 'string') return;
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined && v !== null && out[name] === undefined) out[name] = String(v);
  };
  const raw = def.rawHeaders;
  if (Array.isArray(raw)) {
    if (raw.every((x) => Array.isArray(x))) for (const [k, v] of raw as string[][]) add(k, v);
    else for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i], raw[i + 1]);
  } else if (isRecord(raw)) {
    for (const [k, v] of Object.entries(raw)) add(k, v);
  }
  if (isRecord(def.headers)) for (const [k, v] of Object.entries(def.headers)) add(k, v);
  return out;
}

/**
 * Request headers: those nock matched on (`reqheaders`), then those a
 * stripe-twin export recorded without matching on them.
 */
function requestHeaders(def: NockDefinition): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const source of [def.reqheaders, def[RECORDED_REQUEST_HEADERS]]) {
    for (const [k, v] of Object.entries(isRecord(source) ? source : {})) {
      const value = Array.isArray(v) ? v[0] : v;
      if ((typeof value === 'string' || typeof value === 'number') && headerValue(out, k) === undefined) out[k] = String(value);
    }
  }
  return out;
}

function responseBody(def: NockDefinition, headers: Record<string, string | undefined>): unknown {
  const r = def.response;
  const encoding = headerValue(headers, 'Content-Encoding');
  if (Array.isArray(r) && r.every((c) => typeof c === 'string')) {
    // content-encoded: hex chunks of the compressed body
    return jsonBody(decodeContent(Buffer.concat(r.map((c: string) => Buffer.from(c, 'hex'))), encoding));
  }
  if (typeof r === 'string') {
    if (def.responseIsBinary) return jsonBody(decodeContent(Buffer.from(r, 'hex'), encoding));
    return jsonBody(r);
  }
  return r === undefined ? null : r;
}

function requestBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'string') return formParams(body);
  if (isRecord(body)) return body; // a JSON body, or a fixture written with the form already parsed
  return {};
}

/**
 * One definition → one interaction. Recordings rarely keep request headers
 * (reqheaders is opt-in): without them the request's Stripe-Version is taken
 * from the response (normalize does that), and its idempotency key and
 * Stripe-Account are unknown — the response's Idempotency-Key and
 * Stripe-Account headers are no evidence, Stripe sends them for requests that
 * had none. The response's Date header, when recorded, gives the time.
 */
export function importNock(doc: unknown, name: string, provenance: RawCapture['provenance'], api: ApiOptions = {}): RawCapture {
  if (!isNock(doc)) throw new Error('not a nock recording (an array of {scope, method, path, ...})');
  const interactions: RawInteraction[] = [];
  for (const def of doc as NockDefinition[]) {
    const url = stripeUrl(def.path, def.scope, api);
    if (!url || !stripeUrl(def.scope, undefined, api)) continue;
    const resHeaders = responseHeaders(def);
    const reqHeaders = requestHeaders(def);
    const body = requestBody(def.body);
    interactions.push({
      request: {
        method: def.method.toUpperCase(),
        path: url.pathname,
        params: { ...requestParams(def.method, url, null), ...body },
        headers: reqHeaders,
      },
      response: { status: def.status ?? 200, headers: resHeaders, body: responseBody(def, resHeaders) },
      recordedAt: unixSeconds(headerValue(resHeaders, 'Date')),
    });
  }
  return {
    name,
    provenance: { ...provenance, format: 'nock', recorded: recordedDate(interactions.map((i) => i.recordedAt)) ?? provenance.recorded },
    interactions,
  };
}
