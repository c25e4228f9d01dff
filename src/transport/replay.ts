import Stripe from 'stripe';
import { Capture, headerValue, Interaction, readCapture } from '../contract/capture';
import { fillText, fillTokens, isObjectToken, parseToken, scrubbedValue, recordedBase, Token, TokenFill } from '../contract/normalize';
import { decodeForm, formToPlain } from '../engine/form';
import type { Twin } from '../engine/twin';
import { BufferedResponse } from './response';

// `stripe-twin/replay`: a stripe-node httpClient that serves a capture's
// recorded responses to the SDK, with no network.
//
// A request is matched by method, path and its decoded parameters (query or
// form body, read with decodeForm + formToPlain); idempotency keys, telemetry,
// user-agent and Stripe-Version are not compared. When the same request repeats,
// the recorded interactions that match it are served in recorded order.
//
// Captures hold tokens where values vary by nature. Responses get concrete
// values back: an id token gives the id recorded (`capture.ids`), so a later
// request that uses a returned id matches the recorded request that used the
// token; {{t+N}} gives base + N (Unix seconds); {{secret}} a fixed plausible
// string. In recorded requests, id tokens compare as those same ids, while
// timestamps, secrets and other scrubbed values match any value.
//
// An unmatched request is answered with a 400 `invalid_request_error` (code
// `replay_unmatched`, `Stripe-Should-Retry: false`) whose message shows the
// closest recorded request and how it differs, so the SDK throws it as is;
// with `fallback`, it is sent to an in-process twin instead.

export interface ReplayOptions {
  /** Unmatched requests go to this twin (in-process) instead of failing. */
  fallback?: Twin | { engine: Twin };
  /**
   * Requests must arrive in recorded order: each must match the next interaction
   * not yet served, and nothing is served twice. Without it, a request takes the
   * first matching interaction not yet served, and once all of those are served
   * the last of them answers again.
   */
  strict?: boolean;
  /** Unix seconds that {{t+N}} counts from (default: the capture's recorded date, else 2026-01-01). */
  baseTime?: number;
  /** Called for each request that matched no recorded interaction (before the fallback answers). */
  onUnmatched?: (unmatched: UnmatchedRequest) => void;
}

export interface ReplayRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  stripe_account: string | null;
}

export interface UnmatchedRequest {
  request: ReplayRequest;
  /** The explanation the SDK sees: the request, the closest recorded one and the differences. */
  message: string;
  /** Index (0-based) of the closest recorded interaction, or -1 for an empty capture. */
  closest: number;
  /** True when the fallback twin answered it. */
  fellBack: boolean;
}

/** What {{secret}} becomes: 24 letters and digits, like the tail of a client secret. */
export const REPLAY_SECRET = 'ReplayFixedSecret0000000';

const TOKEN = /\{\{([a-z0-9_+-]+)\}\}/g;

// ---------------------------------------------------------------------------
// Tokens → concrete values.

/** A recorded string whose tokens cannot be given one concrete value (time, secret, scrubbed values). */
class Wild {
  constructor(
    readonly re: RegExp,
    /** The value served in responses, shown in messages. */
    readonly shown: string,
  ) {}
}

type Pattern = string | number | boolean | null | Wild | Pattern[] | { [key: string]: Pattern };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class Tokens {
  readonly fill: TokenFill;

  constructor(
    private readonly ids: Record<string, string>,
    base: number,
  ) {
    this.fill = (t) => {
      if (t.kind === 'secret') return REPLAY_SECRET;
      if (t.kind === 'time') return base + t.delta;
      const original = this.ids[t.text];
      if (original !== undefined) return original;
      if (t.kind === 'scrubbed') return scrubbedValue(t);
      // An id the capture did not keep: a stable, plausible one.
      return `${t.prefix}_Replay${String(t.n).padStart(10, '0')}`;
    };
  }

  /** Whether a token stands for one known value in a request (ids), or for "any value". */
  private fixedInRequests(t: Token): boolean {
    return isObjectToken(t, this.ids);
  }

  string(text: string): string {
    return fillText(text, this.fill);
  }

  /** A response value with tokens made concrete; a whole-string {{t+N}} becomes a number. */
  response(value: unknown): unknown {
    return fillTokens(value, this.fill, true);
  }

  /** A recorded request value as a pattern to compare the SDK's request against. */
  pattern(value: unknown): Pattern {
    if (typeof value === 'string') {
      if (value.indexOf('{{') === -1) return value;
      let wild = false;
      let re = '';
      let at = 0;
      for (const m of value.matchAll(TOKEN)) {
        re += escapeRe(value.slice(at, m.index));
        const token = parseToken(m[0]);
        if (!token) re += escapeRe(m[0]);
        else if (this.fixedInRequests(token)) re += escapeRe(String(this.fill(token)));
        else {
          wild = true;
          re += token.kind === 'secret' ? '[A-Za-z0-9_]+' : token.kind === 'time' ? '-?\\d+' : '.+?';
        }
        at = m.index! + m[0].length;
      }
      re += escapeRe(value.slice(at));
      const shown = this.string(value);
      return wild ? new Wild(new RegExp(`^${re}$`), shown) : shown;
    }
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    if (value === undefined) return null;
    if (Array.isArray(value)) return value.map((v) => this.pattern(v));
    if (typeof value === 'object') {
      const out: Record<string, Pattern> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.pattern(v);
      return out;
    }
    return String(value);
  }
}

// ---------------------------------------------------------------------------
// Comparing a request with a recorded one.

/** A recorded value the SDK would not send at all: null (sent as ''), {} and []. */
const omittable = (p: Pattern | undefined) =>
  p === undefined || p === null || (Array.isArray(p) && p.length === 0) || (isPlainPattern(p) && Object.keys(p).length === 0);

function isPlainPattern(p: Pattern | undefined): p is { [key: string]: Pattern } {
  return typeof p === 'object' && p !== null && !Array.isArray(p) && !(p instanceof Wild);
}

function matches(p: Pattern | undefined, actual: unknown): boolean {
  if (actual === undefined) return omittable(p);
  if (p === undefined) return false;
  if (typeof p === 'string') return actual === p;
  if (p instanceof Wild) return typeof actual === 'string' && p.re.test(actual);
  if (p === null) return actual === '';
  if (typeof p === 'number' || typeof p === 'boolean') return actual === String(p);
  if (Array.isArray(p)) {
    if (!Array.isArray(actual) || actual.length !== p.length) return p.length === 0 && actual === '';
    for (let i = 0; i < p.length; i++) if (!matches(p[i], actual[i])) return false;
    return true;
  }
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return Object.keys(p).length === 0 && actual === '';
  const a = actual as Record<string, unknown>;
  for (const k in p) if (!matches(p[k], a[k])) return false;
  for (const k in a) if (!(k in p) && a[k] !== undefined) return false;
  return true;
}

const show = (v: unknown): string => {
  if (v instanceof Wild) return JSON.stringify(v.shown);
  return JSON.stringify(plainOf(v as Pattern)) ?? 'undefined';
};

function plainOf(p: Pattern | undefined): unknown {
  if (p instanceof Wild) return p.shown;
  if (Array.isArray(p)) return p.map(plainOf);
  if (isPlainPattern(p)) return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, plainOf(v)]));
  return p;
}

/** How `actual` differs from the pattern, one line per differing leaf (at most `limit`). */
function differences(p: Pattern | undefined, actual: unknown, at: string, out: string[], limit = 50): void {
  if (out.length >= limit || matches(p, actual)) return;
  if (actual === undefined) {
    out.push(`${at}: missing (recorded ${show(p)})`);
    return;
  }
  if (p === undefined) {
    out.push(`${at}: not in the recording (got ${show(actual)})`);
    return;
  }
  if (isPlainPattern(p) && typeof actual === 'object' && actual !== null && !Array.isArray(actual)) {
    const a = actual as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(p), ...Object.keys(a)])].sort();
    for (const k of keys) differences(p[k], a[k], `${at}.${k}`, out, limit);
    return;
  }
  if (Array.isArray(p) && Array.isArray(actual)) {
    if (p.length !== actual.length) out.push(`${at}: recorded ${p.length} items, got ${actual.length}`);
    for (let i = 0; i < Math.max(p.length, actual.length); i++) differences(p[i], actual[i], `${at}[${i}]`, out, limit);
    return;
  }
  out.push(`${at}: recorded ${show(p)}, got ${show(actual)}`);
}

// ---------------------------------------------------------------------------
// The client.

interface Compiled {
  index: number;
  method: string;
  path: Pattern; // string or Wild
  params: Pattern;
  account: Pattern;
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Route {
  items: Compiled[];
  start: number;
}

/** The SDK's request as the capture would hold it: method, path, decoded parameters. */
export function decodeSdkRequest(
  method: string,
  path: string,
  headers: Record<string, string | number | string[]>,
  requestData: string,
): ReplayRequest {
  const q = path.indexOf('?');
  const pathname = q === -1 ? path : path.slice(0, q);
  let text = q === -1 ? '' : path.slice(q + 1);
  let params: Record<string, unknown>;
  const contentType = headerValue(headers, 'Content-Type') ?? '';
  if (requestData && contentType.includes('json')) {
    params = JSON.parse(requestData) as Record<string, unknown>;
  } else {
    if (requestData) text = text ? `${text}&${requestData}` : requestData;
    try {
      params = formToPlain(decodeForm(text)) as Record<string, unknown>;
    } catch {
      params = { '(undecodable body)': text };
    }
  }
  return { method: method.toUpperCase(), path: pathname, params, stripe_account: headerValue(headers, 'Stripe-Account') ?? null };
}

export class ReplayHttpClient extends Stripe.HttpClient {
  readonly capture: Capture;
  /** Requests that matched nothing, in order (with a fallback: what the twin was asked). */
  readonly unmatched: UnmatchedRequest[] = [];
  private readonly compiled: Compiled[];
  /** `METHOD path` → recorded interactions with that exact path, in order (`start`: the first not served). */
  private readonly byRoute = new Map<string, Route>();
  /** Interactions whose recorded path has a wildcard token (rare). */
  private readonly wildPaths: Compiled[] = [];
  private readonly served: boolean[];
  private next = 0;
  private fallbackClient: Stripe.HttpClient | null = null;

  constructor(
    capture: Capture | string,
    private readonly options: ReplayOptions = {},
  ) {
    super();
    this.capture = typeof capture === 'string' ? readCapture(capture) : capture;
    const tokens = new Tokens(this.capture.ids ?? {}, options.baseTime ?? recordedBase(this.capture));
    this.compiled = this.capture.interactions.map((interaction, index) => compile(interaction, index, tokens));
    this.served = this.compiled.map(() => false);
    for (const c of this.compiled) {
      if (typeof c.path !== 'string') {
        this.wildPaths.push(c);
        continue;
      }
      const key = `${c.method} ${c.path}`;
      const route = this.byRoute.get(key);
      if (route) route.items.push(c);
      else this.byRoute.set(key, { items: [c], start: 0 });
    }
  }

  override getClientName(): string {
    return 'stripe-twin-replay';
  }

  /** Recorded interactions not served yet. */
  remaining(): Interaction[] {
    return this.capture.interactions.filter((_i, k) => !this.served[k]);
  }

  /** How many recorded interactions have been served. */
  servedCount(): number {
    return this.served.filter(Boolean).length;
  }

  /** Starts the capture over. */
  reset(): void {
    this.served.fill(false);
    for (const route of this.byRoute.values()) route.start = 0;
    this.next = 0;
    this.unmatched.length = 0;
  }

  override makeRequest(
    host: string,
    port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
    protocol: string,
    timeout: number,
  ): Promise<Stripe.HttpClientResponse> {
    const request = decodeSdkRequest(method, path, headers, requestData);
    const hit = this.find(request);
    if (hit) {
      this.serve(hit);
      return Promise.resolve(new BufferedResponse(hit.status, { ...hit.headers }, hit.body));
    }
    const closest = this.closest(request);
    const message = this.explain(request, closest);
    const fallback = this.fallback();
    const record: UnmatchedRequest = { request, message, closest, fellBack: Boolean(fallback) };
    this.unmatched.push(record);
    this.options.onUnmatched?.(record);
    if (fallback) return fallback.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
    const body = JSON.stringify({ error: { code: 'replay_unmatched', message, type: 'invalid_request_error' } }, null, 2) + '\n';
    return Promise.resolve(
      new BufferedResponse(
        400,
        { 'content-type': 'application/json', 'request-id': 'req_replay_unmatched', 'stripe-should-retry': 'false' },
        body,
      ),
    );
  }

  private fallback(): Stripe.HttpClient | null {
    const given = this.options.fallback;
    if (!given) return null;
    if (!this.fallbackClient) {
      // Loaded on first use: replay alone never loads the engine.
      const { TwinHttpClient } = require('./in_process') as typeof import('./in_process');
      this.fallbackClient = new TwinHttpClient('engine' in given ? given.engine : given);
    }
    return this.fallbackClient;
  }

  private same(c: Compiled, r: ReplayRequest): boolean {
    return (
      c.method === r.method &&
      (typeof c.path === 'string' ? c.path === r.path : matches(c.path, r.path)) &&
      matches(c.params, r.params) &&
      matches(c.account, r.stripe_account ?? undefined)
    );
  }

  private serve(c: Compiled): void {
    this.served[c.index] = true;
    if (this.options.strict) this.next = c.index + 1;
    const route = typeof c.path === 'string' ? this.byRoute.get(`${c.method} ${c.path}`) : undefined;
    if (route) while (route.start < route.items.length && this.served[route.items[route.start].index]) route.start++;
  }

  private find(r: ReplayRequest): Compiled | null {
    if (this.options.strict) {
      const c = this.compiled[this.next];
      return c && this.same(c, r) ? c : null;
    }
    const route = this.byRoute.get(`${r.method} ${r.path}`);
    let free: Compiled | null = null;
    if (route) {
      for (let i = route.start; i < route.items.length; i++) {
        const c = route.items[i];
        if (!this.served[c.index] && this.same(c, r)) {
          free = c;
          break;
        }
      }
    }
    for (const c of this.wildPaths) {
      if (free && c.index > free.index) break;
      if (!this.served[c.index] && this.same(c, r)) {
        free = c;
        break;
      }
    }
    if (free) return free;
    // Every recording of this request has been served: the last one answers again.
    let last: Compiled | null = null;
    if (route) {
      for (let i = route.items.length - 1; i >= 0; i--) {
        if (this.same(route.items[i], r)) {
          last = route.items[i];
          break;
        }
      }
    }
    for (const c of this.wildPaths) if ((!last || c.index > last.index) && this.same(c, r)) last = c;
    return last;
  }

  /**
   * The recorded interaction nearest to a request: the path says most (the
   * resource and its id), then the method, then how many parameters differ;
   * one not served yet wins a tie.
   */
  private closest(r: ReplayRequest): number {
    let best = -1;
    let bestScore = Infinity;
    for (const c of this.compiled) {
      const out: string[] = [];
      differences(c.params, r.params, 'params', out, 99);
      let score = pathDistance(c.path, r.path) * 10_000 + (c.method === r.method ? 0 : 1000) + out.length * 10;
      if (!matches(c.account, r.stripe_account ?? undefined)) score += 5;
      if (this.served[c.index]) score += 1;
      if (score < bestScore) {
        bestScore = score;
        best = c.index;
      }
    }
    return best;
  }

  private explain(r: ReplayRequest, closest: number): string {
    const name = this.capture.name ?? 'capture';
    const lines = [
      `stripe-twin replay (${name}): no recorded interaction matches ${describe(r.method, r.path, r.params)}` +
        (r.stripe_account ? ` [Stripe-Account ${r.stripe_account}]` : '') +
        '.',
    ];
    if (closest === -1) {
      lines.push('The capture has no interactions.');
      return lines.join('\n');
    }
    if (this.options.strict) {
      const expected = this.compiled[this.next];
      const elsewhere = this.compiled.find((c) => c.index !== this.next && !this.served[c.index] && this.same(c, r));
      if (!expected) lines.push(`Strict replay: all ${this.compiled.length} recorded interactions have been served.`);
      else {
        lines.push(`Strict replay expects #${expected.index + 1} of ${this.compiled.length} next: ${describeCompiled(expected)}`);
        lines.push(...diffLines(expected, r));
      }
      if (elsewhere) lines.push(`It matches #${elsewhere.index + 1}, recorded later: the requests came out of recorded order.`);
      if (!expected || expected.index !== closest) {
        const c = this.compiled[closest];
        if (!elsewhere) lines.push(`Closest recorded request, #${c.index + 1}${this.served[c.index] ? ' (already served)' : ''}: ${describeCompiled(c)}`);
      }
      return lines.join('\n');
    }
    const c = this.compiled[closest];
    lines.push(
      `Closest recorded request, #${c.index + 1} of ${this.compiled.length}${this.served[c.index] ? ' (already served)' : ''}: ${describeCompiled(c)}`,
    );
    lines.push(...diffLines(c, r));
    return lines.join('\n');
  }
}

function diffLines(c: Compiled, r: ReplayRequest): string[] {
  const out: string[] = [];
  if (c.method !== r.method) out.push(`method: recorded ${c.method}, got ${r.method}`);
  if (typeof c.path === 'string' ? c.path !== r.path : !matches(c.path, r.path)) out.push(`path: recorded ${show(c.path)}, got ${JSON.stringify(r.path)}`);
  differences(c.params, r.params, 'params', out, 12);
  if (!matches(c.account, r.stripe_account ?? undefined)) {
    out.push(`Stripe-Account: recorded ${c.account === null ? 'none' : show(c.account)}, got ${r.stripe_account ?? 'none'}`);
  }
  return out.map((l) => `  ${l}`);
}

/** Path segments past the longest common prefix (0 when the path matches). */
function pathDistance(p: Pattern, actual: string): number {
  if (typeof p === 'string' ? p === actual : matches(p, actual)) return 0;
  const a = (p instanceof Wild ? p.shown : String(p)).split('/');
  const b = actual.split('/');
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return Math.max(1, Math.max(a.length, b.length) - common);
}

function describe(method: string, path: string, params: unknown): string {
  const text = JSON.stringify(params);
  return `${method} ${path}${text && text !== '{}' ? ` ${text.length > 400 ? `${text.slice(0, 400)}…` : text}` : ''}`;
}

function describeCompiled(c: Compiled): string {
  return describe(c.method, c.path instanceof Wild ? c.path.shown : String(c.path), plainOf(c.params));
}

function compile(interaction: Interaction, index: number, tokens: Tokens): Compiled {
  const { request, response } = interaction;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers ?? {})) headers[k.toLowerCase()] = tokens.string(String(v));
  headers['request-id'] ??= `req_Replay${String(index + 1).padStart(10, '0')}`;
  const body = response.body;
  let text: string;
  if (typeof body === 'string') text = tokens.string(body);
  else {
    headers['content-type'] ??= 'application/json';
    text = body === null || body === undefined ? '' : JSON.stringify(tokens.response(body), null, 2) + (response.status >= 400 ? '\n' : '');
  }
  return {
    index,
    method: request.method.toUpperCase(),
    path: tokens.pattern(request.path),
    params: tokens.pattern(request.params ?? {}),
    account: request.stripe_account ? tokens.pattern(request.stripe_account) : null,
    status: response.status,
    headers,
    body: text,
  };
}

/**
 * A stripe-node httpClient serving `capture` (a Capture or the path of its
 * YAML file): `new Stripe(key, { httpClient: createReplayClient('captures/x.yaml') })`.
 */
export function createReplayClient(capture: Capture | string, options: ReplayOptions = {}): ReplayHttpClient {
  return new ReplayHttpClient(capture, options);
}

export type { Capture, Interaction } from '../contract/capture';
