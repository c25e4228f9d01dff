import zlib from 'node:zlib';
import { decodeForm, formToPlain } from '../../engine/form';

// Helpers the importers share: reading Stripe URLs, form bodies and JSON bodies.

export const STRIPE_API_HOST = 'api.stripe.com';

/**
 * Where a recording's Stripe calls went: api.stripe.com, and also `baseUrl`'s
 * origin when given — a twin (or proxy) the SDK was pointed at while recording
 * (`import --base-url http://127.0.0.1:12111`). Other hosts are someone else's traffic.
 */
export interface ApiOptions {
  baseUrl?: string;
}

/** A URL (absolute, or a path with a base) if it names the Stripe API (see ApiOptions), else null. */
export function stripeUrl(url: string, base?: string, options: ApiOptions = {}): URL | null {
  let parsed: URL;
  try {
    parsed = base ? new URL(url, base) : new URL(url);
  } catch {
    return null;
  }
  if (parsed.hostname === STRIPE_API_HOST) return parsed;
  return options.baseUrl !== undefined && parsed.origin === new URL(options.baseUrl).origin ? parsed : null;
}

/** Decoded form parameters as plain data; a body that is not form-encoded gives {}. */
export function formParams(text: string | undefined | null): Record<string, unknown> {
  if (!text) return {};
  try {
    return formToPlain(decodeForm(text)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Request parameters: GET and DELETE send them in the query string, and a body
 * recorded with one is not what Stripe read (some stripe-ruby cassettes hold
 * one); the others send them in the form body, merged after any query string's.
 */
export function requestParams(method: string, url: URL, body: string | undefined | null): Record<string, unknown> {
  const query = formParams(url.search.slice(1));
  const m = method.toUpperCase();
  return m === 'GET' || m === 'DELETE' ? query : { ...query, ...formParams(body) };
}

/** A response body: JSON when it parses, the text otherwise, null when empty. */
export function jsonBody(text: string | undefined | null): unknown {
  if (text === undefined || text === null || !text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Decompresses a body that was stored with its Content-Encoding. */
export function decodeContent(bytes: Buffer, encoding: string | undefined): string {
  const enc = (encoding ?? '').toLowerCase().trim();
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(bytes).toString('utf8');
    if (enc === 'deflate') return zlib.inflateSync(bytes).toString('utf8');
    if (enc === 'br') return zlib.brotliDecompressSync(bytes).toString('utf8');
  } catch {
    // stored already decoded: fall through
  }
  return bytes.toString('utf8');
}

/** Unix seconds from an ISO or HTTP date, or undefined. */
export function unixSeconds(date: string | undefined | null): number | undefined {
  if (!date) return undefined;
  const ms = Date.parse(date);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** The earliest of the interactions' times as an ISO date (YYYY-MM-DD). */
export function recordedDate(times: Array<number | undefined>): string | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length ? new Date(Math.min(...known) * 1000).toISOString().slice(0, 10) : undefined;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
