import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

// Replays a Stripe CLI trigger script (test/fixtures/cli_triggers.json) against a
// twin over HTTP, building each request the way `stripe trigger` does
// (docs/cli-triggers.md): references between steps, form encoding, headers, and
// where it stops.

export interface CliRequest {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  params?: Record<string, unknown>;
  expected_error_type?: string;
  idempotency_key?: string;
  headers?: Record<string, string>;
  api_base?: string;
}

export interface CliTrigger {
  name: string;
  event: string;
  /** For an alias (`_meta.aliases`): the file whose requests it runs. */
  file?: string;
  requests: CliRequest[];
}

/** What one step sent and got back. */
export interface StepResult {
  name: string;
  method: string;
  /** The path as written in the script, references unresolved: stable across runs. */
  template: string;
  url: string;
  body: string;
  status: number;
  json: any;
}

export interface ReplayResult {
  steps: StepResult[];
  /** Set when the CLI would stop and report "Trigger failed": the step's error, or the CLI's own. */
  failed?: { step: string; reason: string };
  /** Steps whose error the script declared acceptable (`expected_error_type`); the CLI goes on after them. */
  tolerated: string[];
}

/** The CLI answers to responses of earlier steps by step name; an accepted error leaves an empty one. */
type Responses = Map<string, unknown>;

/** The CLI's reference pattern: `${name:json.path}` or `${name:json.path|default}`. */
const REFERENCE = /\$\{([^|}]+):([^|}]+)\|?([^/\n]+)?\}/;

export class CliError extends Error {}

/**
 * A path into a JSON value in the dialect the CLI uses (gjson): dot-separated
 * keys, array indexes, `#` for an array's length, `\.` for a literal dot. Wildcards,
 * queries and modifiers are refused rather than guessed: no script in the data
 * uses them. The answer is the CLI's string form: strings as they are, numbers
 * and booleans as JSON text, `null` and a missing value as "".
 */
export function jsonPath(value: unknown, query: string): string {
  if (/[*?@|]|#\(/.test(query)) throw new CliError(`json path ${query}: wildcards, queries and modifiers are not implemented by this runner`);
  const parts = query.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'));
  let at: unknown = value;
  for (const part of parts) {
    if (Array.isArray(at)) at = part === '#' ? at.length : /^\d+$/.test(part) ? at[Number(part)] : undefined;
    else if (at && typeof at === 'object' && Object.prototype.hasOwnProperty.call(at, part)) at = (at as Record<string, unknown>)[part];
    else at = undefined;
  }
  if (at === undefined || at === null) return '';
  return typeof at === 'string' ? at : JSON.stringify(at);
}

/**
 * One string value with the CLI's substitutions: two whole-value generators, then
 * the first reference in it. An unfound value leaves the text as written (or its
 * default); a name no earlier step has is the CLI's validation error. `${.env:NAME}`
 * reads `env` only (the CLI also reads a `.env` file in its working directory).
 */
export function resolve(text: string, responses: Responses, env: NodeJS.ProcessEnv = process.env): string {
  if (text === '${time-now-RFC3339}') return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (text === '${generate-uuid}') return randomUUID();
  const m = REFERENCE.exec(text);
  if (!m) return text;
  const [match, name, query, fallback] = m;
  const value = fallback ?? text;
  if (name === '.env') {
    const found = env[query];
    return found ? text.split(match).join(found) : value;
  }
  if (!responses.has(name)) throw new CliError(`an undeclared fixture name was referenced: ${name}`);
  const found = jsonPath(responses.get(name), query);
  return found.length ? text.split(match).join(found) : value;
}

/** A path with every reference resolved, joined and cleaned as Go's path.Join does (the CLI uses it). */
export function resolvePath(template: string, responses: Responses): string {
  const all = new RegExp(REFERENCE.source, 'g');
  const matches = [...template.matchAll(all)];
  if (!matches.length) return template;
  const parts: string[] = [];
  let from = 0;
  for (const m of matches) {
    parts.push(template.slice(from, m.index), resolve(m[0], responses));
    from = m.index! + m[0].length;
  }
  parts.push(template.slice(from));
  const joined = path.posix.join(...parts.filter((p) => p !== ''));
  return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/\.?0+$/, '');
}

/**
 * The form pairs the CLI makes of a script's parameters, in the order given
 * (the CLI walks a Go map, so its own order varies from run to run; Stripe reads
 * the pairs by name, and indexes inside arrays are the same either way).
 * Nested objects become `a[b]`; arrays of strings `a[]`; the n-th object of an
 * array `a[n][key]` (n counts objects only). The CLI drops what its walk does not
 * recognise: `null`, and numbers and booleans inside arrays (JSON numbers reach
 * it as floats, which its array walk does not take).
 */
export function formPairs(params: Record<string, unknown>, responses: Responses): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const scalar = (key: string, value: unknown): void => {
    if (typeof value === 'string') out.push([key, resolve(value, responses)]);
    else if (typeof value === 'number') out.push([key, formatNumber(value)]);
    else if (typeof value === 'boolean') out.push([key, String(value)]);
  };
  const walkObject = (object: Record<string, unknown>, parent: string, index: number): void => {
    for (const [key, value] of Object.entries(object)) {
      const name = parent === '' ? key : index >= 0 ? `${parent}[${index}][${key}]` : `${parent}[${key}]`;
      if (Array.isArray(value)) walkArray(value, name);
      else if (value && typeof value === 'object') walkObject(value as Record<string, unknown>, name, -1);
      else scalar(name, value);
    }
  };
  const walkArray = (array: unknown[], parent: string): void => {
    let index = -1;
    for (const value of array) {
      if (typeof value === 'string') out.push([`${parent}[]`, resolve(value, responses)]);
      else if (Array.isArray(value)) walkArray(value, parent);
      else if (value && typeof value === 'object') walkObject(value as Record<string, unknown>, parent, ++index);
    }
  };
  walkObject(params, '', -1);
  // The CLI trims each `key=value` and leaves out the ones that trim to nothing.
  return out
    .map(([k, v]): [string, string] => {
      const pair = `${k}=${v}`.trim();
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    })
    .filter(([k, v]) => `${k}=${v}` !== '');
}

/** Go's url.QueryEscape: only letters, digits and `-_.~` stay; a space is `+`. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The CLI's body or query string: escaped keys with the brackets left readable, escaped values. */
export function encodeForm(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${queryEscape(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${queryEscape(v)}`).join('&');
}

/** How Go writes a path into a URL: what a path may hold stays, the rest (`{`, `}`, spaces…) is escaped. */
function escapePath(p: string): string {
  return p.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c));
}

/** The headers `stripe trigger` sends; it sets no Stripe-Version on /v1 unless given `--api-version`. */
export function cliHeaders(key: string, apiVersion?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Accept-Encoding': 'identity',
    // What a build from source sends (the released binaries put their version in place of "master").
    'User-Agent': 'Stripe/v1 stripe-cli/master',
    'X-Stripe-Client-User-Agent': JSON.stringify({ name: 'stripe-cli', os: process.platform, publisher: 'stripe', uname: '', version: 'master' }),
    Authorization: `Bearer ${key}`,
  };
  if (apiVersion) headers['Stripe-Version'] = apiVersion;
  return headers;
}

function send(base: string, method: string, target: string, headers: Record<string, string>, body: string | undefined) {
  const url = new URL(target, base);
  const all = body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
  return new Promise<{ status: number; text: string }>((resolveResponse, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * A short account of an error answer: status, the request as written, Stripe's
 * type/code and message; for the twin's 501 (`fidelity: "unsupported"`) its first
 * clause, which names what is not modeled.
 */
export function describeError(step: Pick<StepResult, 'status' | 'method' | 'template' | 'json'>): string {
  const e = step.json?.error ?? {};
  const request = `${step.status} ${step.method} ${step.template}`;
  if (e.fidelity === 'unsupported') return `${request} unsupported: ${String(e.message).split(/[.;] /)[0].replace(/[.;]$/, '')}`;
  const kind = [e.type, e.code].filter(Boolean).join('/');
  return `${request}${kind ? ` ${kind}` : ''}${e.message ? `: ${e.message}` : ''}`;
}

/**
 * Runs a trigger's steps in order, as `stripe trigger` does: each step's
 * references read the responses of earlier steps; POST sends a form body, GET
 * and DELETE a query string; a status of 300 or more ends the run unless the
 * step declared that error type, in which case the step's response is empty and
 * the run goes on.
 */
export async function replay(base: string, key: string, trigger: CliTrigger, options: { apiVersion?: string } = {}): Promise<ReplayResult> {
  const responses: Responses = new Map();
  const steps: StepResult[] = [];
  const tolerated: string[] = [];
  for (const request of trigger.requests) {
    let target: string;
    let encoded: string;
    const headers = cliHeaders(key, options.apiVersion);
    try {
      if (request.api_base) throw new CliError(`step names api_base ${request.api_base}: the CLI would send it there, not to the twin`);
      target = resolvePath(request.path, responses);
      if (!/^\/v[12](\/|\?|$)/.test(target)) throw new CliError(`fixture path ${JSON.stringify(request.path)} is not a valid Stripe API path`);
      if (target.startsWith('/v2/')) throw new CliError('v2 (JSON) requests are not implemented by this runner');
      encoded = encodeForm(formPairs(request.params ?? {}, responses));
      if (request.idempotency_key) headers['Idempotency-Key'] = resolve(request.idempotency_key, responses);
      for (const [name, value] of Object.entries(request.headers ?? {})) headers[name] = resolve(value, responses);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      return { steps, tolerated, failed: { step: request.name, reason: `the CLI stops before ${request.method} ${request.path}: ${e.message}` } };
    }
    const url = escapePath(target) + (request.method !== 'POST' && encoded ? `?${encoded}` : '');
    const body = request.method === 'POST' ? encoded : undefined;
    const res = await send(base, request.method, url, headers, body);
    let json: any;
    try {
      json = JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    const step: StepResult = { name: request.name, method: request.method, template: request.path, url, body: body ?? '', status: res.status, json };
    steps.push(step);
    if (res.status >= 300) {
      if (request.expected_error_type && json?.error?.type === request.expected_error_type) {
        tolerated.push(request.name);
        responses.set(request.name, undefined);
        continue;
      }
      return { steps, tolerated, failed: { step: request.name, reason: describeError(step) } };
    }
    responses.set(request.name, json);
  }
  return { steps, tolerated };
}
