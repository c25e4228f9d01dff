import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import Stripe from 'stripe';
import { cli, CliRun } from '../helpers';
import { modeledRoutes } from '../../src/resources';
import { controlRoutes } from '../../src/control';
import type { Schema } from '../../src/engine/params';
import { Random } from '../../src/engine/random';

// A seeded, bounded hostile-input fuzz of `stripe-twin serve` over real HTTP.
//
// Every route of the API route table (src/resources) and of the control surface
// (/__admin__/*) gets requests with real ids, bogus ids and hostile strings in
// its path, and bodies/queries made by the generators below (prototype names as
// parameter names and bracket segments, 1,000-deep nesting, >1 MiB bodies, odd
// numbers, overlong strings, invalid UTF-8, duplicates, array index gaps, `*`
// patterns, search queries, clock advances, mutations of valid requests, random
// methods, bad headers). The twin runs as a child process, so a crash is the
// child exiting and a hang is a request without an answer within 5 s.
//
// It asserts, collecting every failing case before reporting them together
// (grouped by cause, each with a one-line repro):
//   - no crash (the child is alive at the end and /healthz answers within 1 s);
//   - no hang (every request answers within REQUEST_TIMEOUT_MS);
//   - no 5xx (a 501 `fidelity: "unsupported"` is the README's documented answer
//     for what the twin does not model, and is allowed);
//   - a 4xx changes nothing in the world it names (state probes before/after:
//     the newest event, the object acted on, the control state the route owns);
//   - the control surface's owner: requests with neither the control token nor a
//     world key, with a wrong token, with another world's key naming this world,
//     with a Stripe-Signature (4xx), or from a foreign Host/Origin (403) are refused;
//   - answers keep `created`/`now` whole Unix seconds (a corrupted clock shows);
//   - the bystander world (a key the fuzzer never sends: a customer, a
//     PaymentIntent, a webhook endpoint) reads the same through the SDK before
//     and after, and its endpoint receives nothing;
//   - a fixed script in a reset world answers the same bytes at the end as at
//     the start (nothing global, such as a prototype, was changed).
// A server that hangs or dies is restarted (state re-seeded, the same ids come
// back with --seed) so one run reports every distinct failure; requests of a
// signature (or family) that killed or froze it are skipped afterwards, and the
// loop has a time budget, so a broken twin still fails in bounded time.
//
// Reproduce with the printed seed: FUZZ_SEED=<seed> npx jest test/e2e/fuzz.test.ts

const SEED = Number(process.env.FUZZ_SEED ?? 20260101);
/** The control surface's owner header (serve prints the token at start-up). */
const CONTROL_TOKEN_HEADER = 'Stripe-Twin-Control-Token';
const CONTROL_TOKEN = 'fuzz_control_token_7f3a9c1e5b';
const REQUEST_TIMEOUT_MS = 5_000;
const HEALTH_TIMEOUT_MS = 1_000;
/** Soft deadline for the fuzz loop: the sweep comes first, the random phase fills the rest. */
const FUZZ_BUDGET_MS = 40_000;
const MAX_RESTARTS = 5;
const RANDOM_API_REQUESTS = 900;
const RANDOM_CONTROL_REQUESTS = 300;

const KEYS = {
  bystander: 'sk_test_fuzz_bystander',
  api: 'sk_test_fuzz_api',
  control: 'sk_test_fuzz_control',
  faults: 'sk_test_fuzz_faults',
  reset: 'sk_test_fuzz_reset',
  seed: 'sk_test_fuzz_seed_',
  clock: 'sk_test_fuzz_clock_',
};

jest.setTimeout(150_000);

// ---------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------

/** The twin's own seeded generator, with the draws the fuzzer needs. */
class Rng {
  private readonly random: Random;
  constructor(seed: number) {
    this.random = new Random(`fuzz:${seed}`);
  }
  next(): number {
    return this.random.next() / 4294967296;
  }
  int(n: number): number {
    return this.random.int(n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    const total = table.reduce((n, [w]) => n + w, 0);
    let x = this.next() * total;
    for (const [w, v] of table) if ((x -= w) < 0) return v;
    return table[table.length - 1][1];
  }
}

// ---------------------------------------------------------------------------
// Hostile material
// ---------------------------------------------------------------------------

const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf', 'toLocaleString'];

const ODD_NUMBERS = [
  '1e400', '-1e400', '-0', 'NaN', 'Infinity', '-Infinity', '9007199254740993', '9007199254740992', '99999999999999999999',
  '-9223372036854775809', '0x10', '0o17', '0b11', '1.5', '0.5', '.5', '5.', '-1', '0', '1e3', '1E3', '00010', '+5', ' 5', '5 ',
  '1_000', '１２３', '٣', '1e-7', '--1', '', '1,000', 'null', 'true',
];

const ODD_STRINGS = [
  'x'.repeat(5001), 'x'.repeat(100_000), 'é'.repeat(3000), '\u0000', 'a\u0000b', '\r\n', '\u202e', '\u200b', '💩'.repeat(100), 'null', 'undefined',
  '[object Object]', "' OR 1=1 --", '<script>alert(1)</script>', '${7*7}', '{{7*7}}', '%s%s%s%n', '../../../../etc/passwd', ...PROTO_NAMES,
];

/** Already percent-encoded hostile values (bad escapes, invalid UTF-8 sequences, lone surrogates). */
const RAW_ENCODED = ['%', '%%', '%2', '%zz', '%E0%A4%A', '%FF', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '%00', '%25', '%5B', '%5D%5B'];

const EXPAND_HOSTILE = [
  'constructor', '__proto__', '__proto__.x', 'constructor.prototype', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  'data.constructor', 'data.__proto__', 'data.__proto__.x', 'data.toString', 'customer.constructor', 'customer.__proto__.x',
  'latest_charge.constructor', 'latest_charge.__proto__', 'charge.constructor', 'payment_intent.__proto__', 'data.customer.constructor',
  'data.latest_charge.__proto__.x', 'a.b.c.d.e', '', '.', '..', 'data.', '.data', 'data..customer', 'x'.repeat(5000),
  `customer${'.x'.repeat(500)}`, '*', 'data.*', 'length', 'data.length', 'refunds.constructor', 'balance_transaction.__proto__',
];

const WILDCARDS = [
  `${'*'.repeat(16)}Z`, `${'*'.repeat(32)}Z`, `${'*'.repeat(64)}x`, `${'*a'.repeat(25)}Z`, `${'*.'.repeat(25)}Z`, '*c*u*s*t*o*m*e*r*.*c*r*e*a*t*e*d*Z',
  '**', '*', '***.***', 'customer.*', '*.created', '*created', 'customer*', '.*', '(a+)+$', '[', '\\', '^customer', 'customer.created$',
  '?', 'x'.repeat(10_000), '*'.repeat(10_000), `${'*'.repeat(10_000)}Z`, `*${'a'.repeat(50)}`.repeat(100), 'customer.created', '__proto__',
  'constructor', 'toString',
];

const SEARCH_QUERIES = [
  'constructor:"x"', '__proto__:"x"', 'toString:"x"', 'hasOwnProperty:"x"', 'valueOf:"x"', 'prototype:"x"', '__proto__~"xyz"', 'constructor>1',
  'metadata["__proto__"]:"x"', 'metadata["constructor"]:"x"', "metadata['toString']:'x'", 'metadata[__proto__]:x', 'email:"unterminated',
  "email:'unterminated", 'metadata["unterminated:"x"', 'email:', ':', '"', "'", 'email~"a"', '-', '--email:"x"', 'email:"x" AND', 'AND',
  'OR', 'email:"x" AND name:"y" OR phone:"z"', 'x'.repeat(10_000), `email:"${'x'.repeat(10_000)}"`, `${'email:"a" AND '.repeat(700)}email:"a"`,
  `${'status:"succeeded" OR '.repeat(700)}status:"canceled"`, 'amount>1e400', 'amount>NaN', 'amount>-0', 'created>9007199254740993',
  'created<0x10', '((((((', 'email:NULL', 'email:null', '\u0000', 'email:"\\"', `metadata["${'k'.repeat(1000)}"]:"v"`, '*', 'email:*',
  'status:"succeeded"', 'amount>100',
];

const STRIPE_VERSIONS = [
  '', ' ', 'x', '2020-08-27', '2026-10-28.endive', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '9999-99-99',
  `2026-10-28.${'x'.repeat(4000)}`, '2026-10-28.endive, 2020-08-27', 'latest', '0000-00-00', '2026-10-28.endive\t',
];

const IDEMPOTENCY_KEYS = ['', ' ', 'k'.repeat(255), 'k'.repeat(256), 'k'.repeat(8000), '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'fuzz-shared-key', '\xff\xfe', 'a b', '*'];

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
const AUTHORIZATIONS: (string | null)[] = [
  null, '', 'Bearer', 'Bearer ', 'Bearer sk_live_fuzz', 'Bearer pk_test_fuzz', 'Bearer pk_live_fuzz', 'Bearer sk_test_', 'Bearer sk_test_a-b',
  'Bearer sk_test___proto__', 'Bearer sk_test_constructor', 'Bearer sk_test_hasOwnProperty', `Bearer sk_test_${'a'.repeat(8000)}`,
  'Bearer rk_test_fuzz', `Basic ${b64(`${KEYS.api}:`)}`, `Basic ${b64(':')}`, `Basic ${b64('__proto__:')}`, 'Basic !!!', 'Basic', 'Digest x',
  `bearer ${KEYS.api}`, `Bearer  ${KEYS.api}`, `Bearer ${KEYS.api} extra`, `Bearer\t${KEYS.api}`, `Bearer ${CONTROL_TOKEN}`, 'Bearer sk_test_\xff',
  '__proto__', 'constructor',
];

const authHeader = (a: string | null): Record<string, string> => (a === null ? {} : { Authorization: a });

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'FOO'];

const API_PATHS = [
  '/', '/v1', '/v1/', '/v1/customers/', '//v1/customers', '/v1//customers', '/V1/CUSTOMERS', '/v1/customers/%2e%2e', '/v1/customers/..',
  '/v1/customers/../balance', '/v1/../__admin__/worlds', '/v1/customers/%2F', '/v1/customers/a%2Fb', '/v1/customers/%00', '/v1/customers/%FF',
  '/v1/customers/%E0%A4%A', '/v1/customers/%', `/v1/customers/${'a'.repeat(8000)}`, '/v1/customers/x/y/z/w', '/v1/customers/search/x',
  '/v1/customers?', '/v1/customers??limit=1', '/v1/customers#frag', '/v1/customers;jsessionid=x', '/v1/__proto__', '/v1/constructor',
  '/v1/customers/__proto__/payment_methods', '/v1/events/constructor', '/v1/balance/__proto__', '/v2/customers', '/v1/accounts',
  '/v1/subscriptions', '/v1/payment_intents/pi_x/increment_authorization', '/healthz/..', '/healthz?x=1', '/%2e%2e/%2e%2e/etc/passwd',
  '/v1/customers?limit=1&limit=2&limit[]=3', '/v1/events?type=%2A%2A%2A',
];

const ADMIN_PATHS = [
  '/__admin__', '/__admin__/', '/__admin__//worlds', '/__admin__/worlds/', '/__admin__/WORLDS', '/__admin__/%2e%2e/worlds',
  '/__admin__/../v1/customers', '/__admin__/__proto__', '/__admin__/constructor', '/__admin__/toString', '/__admin__/faults/__proto__',
  '/__admin__/intents/__proto__/authenticate', '/__admin__/events/constructor/resend', '/__admin__/webhooks/endpoints/hasOwnProperty/secret',
  '/__admin__/seed%00', '/__admin__/clock/advance/..', '/__admin__/world/trigger/', '/__admin__/webhooks/listeners/__proto__',
  `/__admin__/${'a'.repeat(8000)}`, '/__admin__/%FF', '/__admin__/world/next?limit=1e400',
];

// ---------------------------------------------------------------------------
// Requests, encodings, repro strings
// ---------------------------------------------------------------------------

interface Wire {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
}

interface Probe {
  /** Cache key. */
  id: string;
  wire: Wire;
  /** What of the JSON answer is state (asynchronous fields such as pending_webhooks left out). */
  pick?: (json: any) => unknown;
}

type Expect = '4xx' | '403';

interface FuzzRequest {
  label: string;
  /** Grouping key for failures and for skipping after a crash or freeze: label and route template. */
  sig: string;
  /** A wider skipping key (e.g. every deeply nested control body): after a crash or freeze, the family is not sent again. */
  family?: string;
  /** The route template it targets (coverage), e.g. `GET /v1/customers/{customer}`. */
  template: string;
  wire: Wire;
  /** State that a 4xx must leave unchanged. */
  probes?: Probe[];
  expect?: Expect;
  /** Checks on the answer (invariants beyond the status). */
  check?: (status: number, json: any) => string | null;
  /** Runs after the answer (tracking ids, re-seeding a scratch world). */
  after?: (status: number, json: any) => Promise<void> | void;
}

interface Failure {
  kind: string;
  /** The generator, or what else found it (probe, bystander, canary). */
  label: string;
  sig: string;
  status: string;
  index: number;
  repro: string;
  detail: string;
}

const enc = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');
/** Pairs of decoded names and values, encoded as a form. `raw` pairs are sent as given. */
type Pair = [string, string] | { raw: string };
const form = (pairs: Pair[]) => pairs.map((p) => (Array.isArray(p) ? `${enc(p[0])}=${enc(p[1])}` : p.raw)).join('&');

/** A short printable rendering: runs of a repeated unit folded (`[a]×1000`), long texts cut. */
function show(value: string | Buffer, max = 240): string {
  let text = typeof value === 'string' ? value : value.subarray(0, 20_000).toString('latin1');
  const total = typeof value === 'string' ? value.length : value.length;
  text = text.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  text = text.replace(/(.{1,9}?)\1{11,}/gs, (m, unit: string) => `«${unit}»×${m.length / unit.length}`);
  if (text.length > max) text = `${text.slice(0, max - 70)} …[${total} chars in all]… ${text.slice(-50)}`;
  return text;
}

function repro(w: Wire): string {
  const headers = Object.entries(w.headers)
    .filter(([k, v]) => !(k === 'Content-Type' && v === 'application/x-www-form-urlencoded'))
    .map(([k, v]) => `${k}: ${v === CONTROL_TOKEN ? '<control token>' : show(v, 80)}`);
  const parts = [`${w.method} ${show(w.path, 160)}`];
  if (headers.length) parts.push(`[${headers.join('; ')}]`);
  if (w.body !== undefined) parts.push(`body${w.chunked ? ' (chunked)' : ''}: ${show(w.body)}`);
  return parts.join('  ');
}

function parseJson(body: string): any {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The twin's documented answer for routes and parameters it does not model: 501 with `fidelity: "unsupported"` (README). */
const unsupported = (status: number, json: any) => status === 501 && json?.error?.fidelity === 'unsupported';

/** Every `created`/`now` in an answer must be an integer within JS dates (year ≤ 275760). */
function saneTimes(json: any): string | null {
  let problem: string | null = null;
  const walk = (v: any, depth: number) => {
    if (problem || depth > 12 || !v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'created' || k === 'now') && x !== null && !(Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= 8.64e12)) {
        problem = `"${k}": ${JSON.stringify(x)} is not a Unix time`;
        return;
      }
      walk(x, depth + 1);
    }
  };
  walk(json, 0);
  return problem;
}

// ---------------------------------------------------------------------------
// Route tables
// ---------------------------------------------------------------------------

interface ApiRoute {
  method: string;
  path: string;
  params: Schema;
  pathParams: string[];
}

const API_ROUTES: ApiRoute[] = modeledRoutes.map((r) => ({
  method: r.method,
  path: r.path,
  params: r.params,
  pathParams: [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
}));

const CONTROL_ROUTES = controlRoutes.map((r) => ({ method: r.method, path: r.path }));

/** Parameter names (with brackets) of a schema, two levels down, with their schemas. */
function paramPaths(schema: Schema, prefix = '', depth = 0): { name: string; schema: Schema }[] {
  const out: { name: string; schema: Schema }[] = [];
  const options = schema.anyOf ?? [schema];
  for (const option of options) {
    for (const [key, prop] of Object.entries(option.properties ?? {})) {
      const name = prefix ? `${prefix}[${key}]` : key;
      const kinds = prop.anyOf ?? [prop];
      for (const kind of kinds) {
        out.push({ name, schema: kind });
        if (kind.type === 'object' && depth < 1) out.push(...paramPaths(kind, name, depth + 1));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

type Outcome = { status: number; body: string; ms: number } | { error: string; ms: number };

function sendOnce(base: URL, agent: http.Agent, w: Wire, timeoutMs: number): Promise<Outcome & { reused?: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let reused = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...o, reused });
    };
    const headers: Record<string, string> = { ...w.headers };
    if (w.body !== undefined && !w.chunked) headers['Content-Length'] = String(Buffer.byteLength(w.body));
    let req: http.ClientRequest;
    try {
      req = http.request({ host: base.hostname, port: base.port, method: w.method, path: w.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message, ms: performance.now() - started }));
        res.on('aborted', () => finish({ error: 'response aborted', ms: performance.now() - started }));
      });
    } catch (e) {
      // The client itself refuses (an invalid header or path): not sent.
      resolve({ error: `client refused: ${(e as Error).message}`, ms: 0 });
      return;
    }
    const timer = setTimeout(() => {
      finish({ error: 'timeout', ms: performance.now() - started });
      req.destroy();
    }, timeoutMs);
    req.on('socket', () => {
      reused = req.reusedSocket;
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message, ms: performance.now() - started }));
    if (w.body !== undefined) {
      if (w.chunked) {
        const half = Math.floor(w.body.length / 2);
        req.write(w.body.slice(0, half));
        req.write(w.body.slice(half));
      } else req.write(w.body);
    }
    req.end();
  });
}

// ---------------------------------------------------------------------------
// A local webhook receiver (answers 200, counts deliveries by path)
// ---------------------------------------------------------------------------

function startReceiver(): Promise<{ url: string; counts: Map<string, number>; close: () => Promise<void> }> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      counts.set(path, (counts.get(path) ?? 0) + 1);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    }),
  );
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------
// World state the generators draw ids from
// ---------------------------------------------------------------------------

interface Ids {
  customers: string[];
  pms: string[];
  pis: string[];
  setis: string[];
  charges: string[];
  refunds: string[];
  disputes: string[];
  events: string[];
  txns: string[];
  endpoints: string[];
  piOk: string;
  piNew: string;
  pi3ds: string;
  seti3ds: string;
  chOk: string;
  refund: string;
}

const all = (ids: Ids) => [...ids.customers, ...ids.pms, ...ids.pis, ...ids.setis, ...ids.charges, ...ids.refunds, ...ids.disputes, ...ids.events, ...ids.txns, ...ids.endpoints];

// ---------------------------------------------------------------------------
// The fuzzer
// ---------------------------------------------------------------------------

class Fuzzer {
  run!: CliRun;
  base!: URL;
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  receiver!: Awaited<ReturnType<typeof startReceiver>>;
  deadUrl = '';
  ownerEnforced = false;

  api!: Ids;
  control!: Ids;
  listeners: string[] = [];
  faultIds: string[] = [];
  scratch = 0;

  failures: Failure[] = [];
  sent = 0;
  probeRequests = 0;
  setupRequests = 0;
  skipped = 0;
  /** Requests node's HTTP client would not send (invalid header or path characters). */
  refused: string[] = [];
  restarts = 0;
  aborted = '';
  deadSigs = new Set<string>();
  coverage = new Map<string, number>();
  labels = new Map<string, number>();
  statuses = new Map<string, number>();
  private cache = new Map<string, string>();
  private lastRequest: FuzzRequest | null = null;

  bystander!: { snapshot: string; deliveries: number; customer: string; pi: string; endpoint: string };
  bystanderChecks = 0;
  /** What a fixed script answers in a freshly reset world: the same bytes at the end, or something global broke. */
  canaryBaseline = '';
  canaries = 0;
  /** Phases cut short by the budget or an abort. */
  notRun: string[] = [];
  phases: string[] = [];

  constructor(readonly rng: Rng) {}

  // --- the serve child ---

  async start(): Promise<void> {
    this.run = cli(['serve', '--port', '0', '--seed', '1', '--control-token', CONTROL_TOKEN], { STRIPE_TWIN_CONTROL_TOKEN: CONTROL_TOKEN });
    const url = (await this.run.until(/listening on (http:\/\/\S+)/, 15_000))[1];
    this.base = new URL(url);
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.cache.clear();
    this.listeners = [];
    this.faultIds = [];
    await this.setup();
  }

  alive(): boolean {
    return this.run.child.exitCode === null && this.run.child.signalCode === null;
  }

  async healthy(): Promise<boolean> {
    if (!this.alive()) return false;
    const out = await sendOnce(this.base, new http.Agent({ keepAlive: false }), { method: 'GET', path: '/healthz', headers: {} }, HEALTH_TIMEOUT_MS);
    return 'status' in out && out.status === 200;
  }

  /** SIGTERM (serve removes its token file), SIGKILL when it does not exit within 2 s (a frozen event loop). */
  async kill(): Promise<void> {
    if (!this.alive()) return;
    const exited = new Promise((r) => this.run.child.once('exit', r));
    this.run.child.kill('SIGTERM');
    const timer = setTimeout(() => this.run.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(why: string): Promise<void> {
    await this.kill();
    this.restarts++;
    if (this.restarts > MAX_RESTARTS) {
      this.aborted = `stopped after ${MAX_RESTARTS} restarts (last: ${why})`;
      return;
    }
    await this.start();
  }

  // --- plain requests (setup, probes) ---

  private async send(w: Wire, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Outcome> {
    let out = await sendOnce(this.base, this.agent, w, timeoutMs);
    // A keep-alive socket the server closed between requests: once more on a new one (Node's documented pattern).
    if ('error' in out && out.reused && (out.error === 'ECONNRESET' || out.error === 'EPIPE') && this.alive()) {
      out = await sendOnce(this.base, this.agent, w, timeoutMs);
    }
    return out;
  }

  apiWire(method: string, path: string, pairs: Pair[] | string | undefined, key: string, headers: Record<string, string> = {}): Wire {
    const body = pairs === undefined ? undefined : typeof pairs === 'string' ? pairs : form(pairs);
    if (method !== 'POST' && body !== undefined) {
      return { method, path: body ? `${path}${path.includes('?') ? '&' : '?'}${body}` : path, headers: { Authorization: `Bearer ${key}`, ...headers } };
    }
    return {
      method,
      path,
      headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}), ...headers },
      body,
    };
  }

  adminWire(method: string, path: string, key: string | null, body?: unknown): Wire {
    const headers: Record<string, string> = { [CONTROL_TOKEN_HEADER]: CONTROL_TOKEN };
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body === undefined) return { method, path, headers };
    return { method, path, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  }

  /** A setup call: must succeed. */
  async must(w: Wire): Promise<any> {
    this.setupRequests++;
    const out = await this.send(w, 10_000);
    if ('error' in out || out.status >= 300) {
      throw new Error(`fuzz setup failed: ${repro(w)} → ${'error' in out ? out.error : `${out.status} ${out.body.slice(0, 500)}`}`);
    }
    return parseJson(out.body);
  }

  // --- worlds ---

  async setup(): Promise<void> {
    // Is the control surface owned (token required)? Asked without token or key.
    const probe = await this.send({ method: 'GET', path: '/__admin__/worlds', headers: {} });
    this.ownerEnforced = 'status' in probe && probe.status >= 400 && probe.status < 500;
    await this.setupBystander();
    if (!this.canaryBaseline) {
      this.canaryBaseline = await this.canary();
      const again = await this.canary();
      if (again !== this.canaryBaseline) throw new Error(`fuzz: the canary script is not reproducible in a reset world:\n${show(this.canaryBaseline, 2000)}\n${show(again, 2000)}`);
    }
    this.api = await this.setupWorld(KEYS.api, 'api');
    this.control = await this.setupWorld(KEYS.control, 'control');
    await this.must(this.apiWire('POST', '/v1/customers', [['email', 'reset@example.com']], KEYS.reset));
  }

  async setupWorld(key: string, label: string): Promise<Ids> {
    const post = (path: string, pairs: Pair[]) => this.must(this.apiWire('POST', path, pairs, key));
    const get = (path: string) => this.must(this.apiWire('GET', path, undefined, key));
    const returnUrl: Pair = ['return_url', 'https://example.com/return'];
    const endpoint = await post('/v1/webhook_endpoints', [['url', `${this.receiver.url}/hook/${label}`], ['enabled_events[]', '*']]);
    const customers: string[] = [];
    for (let i = 0; i < 4; i++) customers.push((await post('/v1/customers', [['email', `fuzz${i}@example.com`], ['name', `Fuzz ${i}`], ['metadata[k]', 'v']])).id);
    const pm1 = await post('/v1/payment_methods', [['type', 'card'], ['card[token]', 'tok_visa']]);
    await post(`/v1/payment_methods/${pm1.id}/attach`, [['customer', customers[0]]]);
    const pm2 = await post('/v1/payment_methods', [['type', 'card'], ['card[token]', 'tok_mastercard']]);
    const intent = (pairs: Pair[]) => post('/v1/payment_intents', [['currency', 'usd'], ...pairs]);
    const piOk = await intent([['amount', '2000'], ['customer', customers[0]], ['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl]);
    const piCap = await intent([['amount', '3000'], ['capture_method', 'manual'], ['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl]);
    const pi3ds = await intent([['amount', '1500'], ['payment_method', 'pm_card_threeDSecure2Required'], ['confirm', 'true'], returnUrl]);
    const piNew = await intent([['amount', '500']]);
    const piDispute = await intent([['amount', '2500'], ['payment_method', 'pm_card_createDispute'], ['confirm', 'true'], returnUrl]);
    const refund = await post('/v1/refunds', [['payment_intent', piOk.id], ['amount', '100']]);
    const setiNew = await post('/v1/setup_intents', [['usage', 'off_session']]);
    const seti3ds = await post('/v1/setup_intents', [['payment_method', 'pm_card_threeDSecure2Required'], ['confirm', 'true'], returnUrl]);
    const setiOk = await post('/v1/setup_intents', [['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl]);
    const events = (await get('/v1/events?limit=100')).data.map((e: any) => e.id);
    const disputes = (await get('/v1/disputes?limit=10')).data.map((d: any) => d.id);
    const txns = (await get('/v1/balance_transactions?limit=10')).data.map((t: any) => t.id);
    if (!disputes.length || !txns.length || !events.length) throw new Error(`fuzz setup: no disputes/balance transactions/events in ${key}`);
    return {
      customers,
      pms: [pm1.id, pm2.id],
      pis: [piOk.id, piCap.id, pi3ds.id, piNew.id, piDispute.id],
      setis: [setiNew.id, seti3ds.id, setiOk.id],
      charges: [piOk.latest_charge, piCap.latest_charge, piDispute.latest_charge].filter(Boolean),
      refunds: [refund.id],
      disputes,
      events: events.slice(0, 20),
      txns,
      endpoints: [endpoint.id],
      piOk: piOk.id,
      piNew: piNew.id,
      pi3ds: pi3ds.id,
      seti3ds: seti3ds.id,
      chOk: piOk.latest_charge,
      refund: refund.id,
    };
  }

  /** A fixed script in a freshly reset world (seeded: the same bytes every time). */
  async canary(): Promise<string> {
    const key = 'sk_test_fuzz_canary';
    this.canaries++;
    await this.must(this.adminWire('POST', '/__admin__/reset', key, {}));
    const post = (path: string, pairs: Pair[]) => this.must(this.apiWire('POST', path, pairs, key));
    const get = (path: string) => this.must(this.apiWire('GET', path, undefined, key));
    const out: unknown[] = [];
    const customer = await post('/v1/customers', [['email', 'canary@example.com'], ['metadata[a]', 'b'], ['metadata[__proto__]', 'c']]);
    out.push(customer);
    const pi = await post('/v1/payment_intents', [
      ['amount', '1234'], ['currency', 'usd'], ['customer', customer.id], ['payment_method', 'pm_card_visa'], ['confirm', 'true'],
      ['return_url', 'https://example.com/return'], ['expand[]', 'latest_charge'],
    ]);
    out.push(pi);
    out.push(await post('/v1/refunds', [['payment_intent', pi.id], ['amount', '34']]));
    out.push(await post(`/v1/customers/${customer.id}`, [['name', 'Canary'], ['metadata[a]', '']]));
    out.push(await get(`/v1/customers/search?query=${enc('email:"canary@example.com"')}`));
    out.push(await get('/v1/events?limit=100&type=*'));
    out.push(await get('/v1/balance'));
    out.push(await this.must(this.adminWire('GET', '/__admin__/clock', key)));
    return JSON.stringify(out);
  }

  async checkCanary(): Promise<void> {
    if (!this.alive()) return;
    let now: string;
    try {
      now = await this.canary();
    } catch (e) {
      this.fail('canary', 'canary', '-', null, `the canary script failed after the fuzz: ${(e as Error).message}`);
      return;
    }
    if (now !== this.canaryBaseline) {
      let at = 0;
      while (at < now.length && now[at] === this.canaryBaseline[at]) at++;
      this.fail('canary', 'canary', '-', null, `a fresh world answers differently after the fuzz (something global changed): at ${at}: before …${show(this.canaryBaseline.slice(Math.max(0, at - 80), at + 120))}… after …${show(now.slice(Math.max(0, at - 80), at + 120))}…`);
    }
  }

  bystanderStripe(): Stripe {
    return new Stripe(KEYS.bystander, { host: this.base.hostname, port: Number(this.base.port), protocol: 'http', maxNetworkRetries: 0 });
  }

  async setupBystander(): Promise<void> {
    const stripe = this.bystanderStripe();
    const endpoint = await stripe.webhookEndpoints.create({ url: `${this.receiver.url}/bystander`, enabled_events: ['*'] });
    const customer = await stripe.customers.create({ email: 'bystander@example.com', name: 'Bystander', metadata: { role: 'bystander' } });
    const pi = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://example.com/return',
    });
    this.setupRequests += 3;
    // Wait for its webhooks to be delivered (pending_webhooks settles), then take a snapshot that is stable twice over.
    let snapshot = '';
    for (let i = 0; i < 50; i++) {
      const next = await this.bystanderSnapshot(customer.id, pi.id, endpoint.id);
      const settled = !JSON.parse(next).events.some((e: any) => e.pending_webhooks > 0);
      if (settled && next === snapshot) break;
      snapshot = next;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.bystander = { snapshot, deliveries: this.receiver.counts.get('/bystander') ?? 0, customer: customer.id, pi: pi.id, endpoint: endpoint.id };
  }

  async bystanderSnapshot(customer: string, pi: string, endpoint: string): Promise<string> {
    const stripe = this.bystanderStripe();
    const plain = (v: any) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'lastResponse' ? undefined : x)));
    this.setupRequests += 12;
    return JSON.stringify({
      customer: plain(await stripe.customers.retrieve(customer)),
      customers: plain((await stripe.customers.list({ limit: 100 })).data),
      payment_methods: plain((await stripe.customers.listPaymentMethods(customer, { limit: 100 })).data),
      payment_intent: plain(await stripe.paymentIntents.retrieve(pi)),
      payment_intents: plain((await stripe.paymentIntents.list({ limit: 100 })).data),
      charges: plain((await stripe.charges.list({ limit: 100 })).data),
      refunds: plain((await stripe.refunds.list({ limit: 100 })).data),
      endpoint: plain(await stripe.webhookEndpoints.retrieve(endpoint)),
      endpoints: plain((await stripe.webhookEndpoints.list({ limit: 100 })).data),
      events: plain((await stripe.events.list({ limit: 100 })).data),
      balance: plain(await stripe.balance.retrieve()),
      balance_transactions: plain((await stripe.balanceTransactions.list({ limit: 100 })).data),
    });
  }

  async checkBystander(): Promise<void> {
    if (!this.alive()) return;
    this.bystanderChecks++;
    const { customer, pi, endpoint } = this.bystander;
    let after: string;
    try {
      after = await this.bystanderSnapshot(customer, pi, endpoint);
    } catch (e) {
      this.fail('bystander', 'bystander', '-', null, `reading the bystander world through the SDK failed: ${(e as Error).message}`);
      return;
    }
    if (after !== this.bystander.snapshot) {
      const a = JSON.parse(this.bystander.snapshot);
      const b = JSON.parse(after);
      const changed = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      const first = changed[0];
      const [x, y] = [JSON.stringify(a[first]), JSON.stringify(b[first])];
      let at = 0;
      while (at < x.length && x[at] === y[at]) at++;
      this.fail('bystander', 'bystander', '-', null, `the bystander world ${KEYS.bystander} changed (${changed.join(', ')}); ${first} before …${show(x.slice(Math.max(0, at - 60), at + 80))}… after …${show(y.slice(Math.max(0, at - 60), at + 80))}…`);
    }
    const deliveries = this.receiver.counts.get('/bystander') ?? 0;
    if (deliveries !== this.bystander.deliveries) {
      this.fail('bystander', 'bystander', '-', null, `the bystander's webhook endpoint received ${deliveries - this.bystander.deliveries} deliveries during the fuzz`);
    }
  }

  // --- probes: state a 4xx must leave as it was ---

  eventsTop(key: string): Probe {
    return { id: `events ${key}`, wire: this.apiWire('GET', '/v1/events?limit=1', undefined, key), pick: (j) => j?.data?.[0]?.id ?? null };
  }

  object(key: string, path: string): Probe {
    // An error answer carries a fresh request id each time: only its code and message are state.
    const pick = (j: any) => (j?.error ? { error: j.error.code ?? null, message: j.error.message } : j);
    return { id: `object ${key} ${path}`, wire: this.apiWire('GET', path, undefined, key), pick };
  }

  admin(key: string | null, path: string, pick?: (j: any) => unknown): Probe {
    return { id: `admin ${key} ${path}`, wire: this.adminWire('GET', path, key), pick };
  }

  worlds(prefix: string): Probe {
    return {
      id: `worlds ${prefix}`,
      wire: this.adminWire('GET', '/__admin__/worlds', null),
      pick: (j) =>
        (j?.worlds ?? [])
          .filter((w: any) => w.key.startsWith(prefix) && Object.values(w.objects ?? {}).some((n) => n !== 0))
          .map((w: any) => [w.key, w.objects, w.now]),
    };
  }

  private async readProbe(p: Probe): Promise<string> {
    const cached = this.cache.get(p.id);
    if (cached !== undefined) return cached;
    this.probeRequests++;
    const out = await this.send(p.wire);
    let value: string;
    if ('error' in out) value = `error ${out.error}`;
    else {
      const json = parseJson(out.body);
      const shown = out.status < 300 ? (p.pick ? p.pick(json) : json ?? out.body) : json?.error?.message ?? out.body;
      value = `${out.status} ${JSON.stringify(shown)}`;
      if (out.status >= 500) {
        this.fail('5xx (probe)', `probe ${p.wire.method} ${p.wire.path.split('?')[0]}`, String(out.status), null, `probe ${repro(p.wire)} after #${this.sent} ${this.lastRequest ? repro(this.lastRequest.wire) : ''}`);
      }
    }
    this.cache.set(p.id, value);
    return value;
  }

  // --- failures ---

  stderrSince(mark: number): string {
    const text = this.run.out.err.slice(mark);
    const lines = text.split('\n').filter((l) => l.trim());
    const head = lines.findIndex((l) => /error|Error|exception/i.test(l));
    if (head === -1) return lines.slice(-3).join(' | ');
    const at = lines.slice(head + 1).find((l) => /^\s+at /.test(l));
    return `${lines[head].replace(/^stripe-twin( internal error)?: /, '')}${at ? ` ${at.trim()}` : ''}`;
  }

  fail(kind: string, sig: string, status: string, r: FuzzRequest | null, detail: string): void {
    this.failures.push({ kind, label: r?.label ?? sig, sig, status, index: this.sent, repro: r ? repro(r.wire) : '', detail });
  }

  // --- one fuzz request ---

  async exec(r: FuzzRequest): Promise<void> {
    if (this.aborted) return;
    if (this.deadSigs.has(r.sig) || (r.family && this.deadSigs.has(r.family))) {
      this.skipped++;
      return;
    }
    const before = new Map<string, string>();
    for (const p of r.probes ?? []) before.set(p.id, await this.readProbe(p));
    const mark = this.run.out.err.length;
    this.sent++;
    const previous = this.lastRequest;
    this.lastRequest = r;
    this.coverage.set(r.template, (this.coverage.get(r.template) ?? 0) + 1);
    this.labels.set(r.label, (this.labels.get(r.label) ?? 0) + 1);
    const out = await this.send(r.wire);
    if ('error' in out) {
      this.cache.clear();
      if (out.error.startsWith('client refused')) {
        this.sent--;
        this.refused.push(`${r.sig}: ${out.error}`);
        return;
      }
      const healthy = await this.healthy();
      await new Promise((res) => setTimeout(res, 50)); // let the child's last words arrive
      const exited = !this.alive();
      const kind = exited ? 'crash' : out.error === 'timeout' ? (healthy ? 'hang' : 'freeze') : healthy ? `connection ${out.error}` : 'freeze';
      // A request can leave the process broken for the next one (V8 after a stack overflow): name the one before too.
      const before = previous ? ` (the request before: ${repro(previous.wire)})` : '';
      const detail = exited
        ? `serve exited (${this.run.child.exitCode ?? this.run.child.signalCode}): ${this.stderrSince(mark) || this.run.out.err.slice(-300)}${before}`
        : out.error === 'timeout'
          ? `no answer within ${REQUEST_TIMEOUT_MS} ms${healthy ? '' : '; /healthz does not answer within 1 s either (event loop blocked)'}`
          : `${out.error} after ${Math.round(out.ms)} ms`;
      this.fail(kind, r.sig, out.error === 'timeout' ? 'timeout' : out.error, r, detail);
      this.statuses.set(kind, (this.statuses.get(kind) ?? 0) + 1);
      // A signature that froze, killed or hung the server is not sent again (time stays bounded).
      if (kind !== `connection ${out.error}`) {
        this.deadSigs.add(r.sig);
        if (r.family) this.deadSigs.add(r.family);
      }
      if (!healthy) await this.restart(`${kind} on ${r.sig}`);
      return;
    }
    const { status } = out;
    const json = parseJson(out.body);
    const klass = unsupported(status, json) ? '501 unsupported' : `${Math.floor(status / 100)}xx`;
    this.statuses.set(klass, (this.statuses.get(klass) ?? 0) + 1);
    if (status >= 500 && !unsupported(status, json)) {
      // The child logs an internal error's stack just before answering; give the pipe a moment.
      for (let i = 0; i < 10 && !this.stderrSince(mark); i++) await new Promise((res) => setTimeout(res, 10));
      this.fail('5xx', r.sig, String(status), r, this.stderrSince(mark) || `(nothing on stderr) ${json?.error?.message ?? show(out.body, 200)}`);
    }
    const rejected = status >= 400 && status < 500;
    // An error that carries the object it concerns (a create+confirm that could not confirm: E19/E20 carry
    // the PaymentIntent, a decline its charge) came after the object was made, and Stripe keeps it.
    const made = rejected && ['payment_intent', 'setup_intent', 'charge'].some((k) => json?.error?.[k]);
    if (r.expect === '403' && status !== 403) {
      this.fail('control owner', r.sig, String(status), r, `expected 403 (foreign Host/Origin), got ${status}: ${show(out.body, 160)}`);
    } else if (r.expect === '4xx' && !rejected) {
      this.fail('control owner', r.sig, String(status), r, `expected a 4xx refusal, got ${status}: ${show(out.body, 160)}`);
    }
    if (out.body && r.wire.method !== 'HEAD' && json === undefined && !(status === 400 && out.body === '')) {
      this.fail('not JSON', r.sig, String(status), r, `answer is not JSON: ${show(out.body, 120)}`);
    }
    const problem = r.check && status < 300 ? r.check(status, json) : null;
    if (problem) this.fail('invariant', r.sig, String(status), r, problem);
    if (rejected && !made) {
      for (const p of r.probes ?? []) {
        this.cache.delete(p.id);
        const after = await this.readProbe(p);
        if (after !== before.get(p.id)) {
          this.fail('4xx changed state', r.sig, String(status), r, `${p.id}: before ${show(before.get(p.id)!, 200)} after ${show(after, 200)}`);
        }
      }
    } else this.cache.clear();
    if (r.after) await r.after(status, json);
  }

  /** Every 250 requests: the child is alive and /healthz answers within 1 s. */
  async heartbeat(): Promise<void> {
    if (await this.healthy()) return;
    await new Promise((res) => setTimeout(res, 50));
    this.fail(this.alive() ? 'freeze' : 'crash', 'heartbeat', '-', this.lastRequest, `/healthz did not answer within ${HEALTH_TIMEOUT_MS} ms after #${this.sent}: ${this.run.out.err.slice(-300)}`);
    await this.restart('heartbeat');
  }
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

type Step = FuzzRequest | { clock: { name: string; text: string; type: string } };

function validPairs(f: Fuzzer, route: ApiRoute, ids: Ids, rng: Rng): Pair[] {
  const key = `${route.method} ${route.path}`;
  const url = (p: string) => `${f.receiver.url}${p}`;
  const returnUrl: Pair = ['return_url', 'https://example.com/return'];
  switch (key) {
    case 'POST /v1/customers':
      return [['email', 'new@example.com'], ['name', 'New'], ['metadata[k]', 'v']];
    case 'POST /v1/customers/{customer}':
      return [['name', 'Renamed'], ['metadata[k]', 'v2']];
    case 'GET /v1/customers/search':
      return [['query', 'email:"fuzz1@example.com"']];
    case 'GET /v1/customers':
      return [['limit', '3'], ['email', 'fuzz1@example.com']];
    case 'POST /v1/payment_methods':
      return [['type', 'card'], ['card[token]', rng.pick(['tok_visa', 'tok_mastercard'])]];
    case 'POST /v1/payment_methods/{payment_method}':
    case 'POST /v1/payment_intents/{intent}':
    case 'POST /v1/refunds/{refund}':
    case 'POST /v1/setup_intents/{intent}':
      return [['metadata[k]', 'v'], ['description', 'fuzz']].filter(([k]) => k !== 'description' || key.includes('intent')) as Pair[];
    case 'POST /v1/payment_methods/{payment_method}/attach':
      return [['customer', rng.pick(ids.customers)]];
    case 'GET /v1/payment_methods':
      return [['customer', ids.customers[0]], ['type', 'card']];
    case 'POST /v1/payment_intents':
      return [['amount', '1000'], ['currency', 'usd'], ['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl];
    case 'POST /v1/payment_intents/{intent}/confirm':
    case 'POST /v1/setup_intents/{intent}/confirm':
      return [['payment_method', 'pm_card_visa'], returnUrl];
    case 'POST /v1/payment_intents/{intent}/capture':
      return [['amount_to_capture', '500']];
    case 'POST /v1/payment_intents/{intent}/cancel':
      return [['cancellation_reason', 'requested_by_customer']];
    case 'GET /v1/payment_intents/search':
      return [['query', 'status:"succeeded"']];
    case 'POST /v1/charges/{charge}':
      return [['description', 'fuzz']];
    case 'GET /v1/charges/search':
      return [['query', 'amount>100']];
    case 'POST /v1/refunds':
      return [['payment_intent', ids.piOk], ['amount', '50']];
    case 'POST /v1/charges/{charge}/refunds':
    case 'POST /v1/charges/{charge}/refund':
      return [['amount', '50']];
    case 'POST /v1/setup_intents':
      return [['usage', 'off_session']];
    case 'POST /v1/disputes/{dispute}':
      return [['evidence[customer_name]', 'Fuzz']];
    case 'GET /v1/events':
      return [['type', 'customer.*'], ['limit', '3']];
    case 'POST /v1/webhook_endpoints':
      return [['url', url('/hook/api')], ['enabled_events[]', 'customer.created']];
    case 'POST /v1/webhook_endpoints/{webhook_endpoint}':
      return [['description', 'fuzz']];
    default:
      return route.method === 'GET' && !route.pathParams.length ? [['limit', '3']] : [];
  }
}

function realId(route: ApiRoute, param: string, ids: Ids, rng: Rng): string {
  switch (param) {
    case 'customer':
      return rng.pick(ids.customers);
    case 'payment_method':
      return rng.pick(ids.pms);
    case 'intent':
      return route.path.includes('setup_intents') ? rng.pick(ids.setis) : rng.pick(ids.pis);
    case 'charge':
      return rng.pick(ids.charges);
    case 'refund':
      return rng.pick(ids.refunds);
    case 'dispute':
      return rng.pick(ids.disputes);
    case 'webhook_endpoint':
      return rng.pick(ids.endpoints);
    case 'id':
      return route.path.includes('/events') ? rng.pick(ids.events) : route.path.includes('balance_transactions') ? rng.pick(ids.txns) : rng.pick(all(ids));
    default:
      return rng.pick(all(ids));
  }
}

const RETRIEVE: Record<string, string> = {
  customer: '/v1/customers/',
  payment_method: '/v1/payment_methods/',
  charge: '/v1/charges/',
  refund: '/v1/refunds/',
  dispute: '/v1/disputes/',
  webhook_endpoint: '/v1/webhook_endpoints/',
};

const HOSTILE_IDS = [
  ...PROTO_NAMES, '%2e%2e', '..', '.', '%00', '%FF', '%E0%A4%A', '%25', '%2F', 'a%2Fb', '*', 'search', '%20', 'x'.repeat(10_000),
  '%F0%9F%92%A9', '%ED%A0%80', '{customer}', '%7Bid%7D', 'null', 'undefined', 'NaN', '-1', '1e400', '%5Bobject%20Object%5D', 'pm_card_visa',
  'tok_visa', 'cus_', 'pi_' + 'x'.repeat(300),
];

type IdMode = 'real' | 'bogus' | 'hostile' | 'wrong-type';

function fillPath(route: ApiRoute, mode: IdMode, ids: Ids, rng: Rng): { path: string; real?: { param: string; id: string } } {
  let real: { param: string; id: string } | undefined;
  const path = route.path.replace(/\{(\w+)\}/g, (_m, param: string) => {
    if (mode === 'real') {
      const id = realId(route, param, ids, rng);
      real ??= { param, id };
      return id;
    }
    if (mode === 'wrong-type') return rng.pick(all(ids).filter((id) => id !== realId(route, param, ids, rng)));
    if (mode === 'bogus') return rng.pick(['cus_doesnotexist', 'pi_doesnotexist', 'ch_nope', `${param}_x`, 'evt_0', 'x', 'we_deadbeef']);
    return rng.pick(HOSTILE_IDS);
  });
  return { path, real };
}

/** The retrieve path of the object a route acts on, for a before/after comparison on a 4xx. */
function objectPath(route: ApiRoute, real: { param: string; id: string } | undefined): string | null {
  if (!real || route.method === 'GET') return null;
  if (real.param === 'intent') return `${route.path.includes('setup_intents') ? '/v1/setup_intents/' : '/v1/payment_intents/'}${real.id}`;
  return RETRIEVE[real.param] ? `${RETRIEVE[real.param]}${real.id}` : null;
}

function schemaValue(s: Schema, rng: Rng, odd: boolean): string {
  if (odd) {
    if (s.type === 'integer' || s.type === 'number') return rng.pick(ODD_NUMBERS);
    return rng.pick([...ODD_NUMBERS, ...ODD_STRINGS, 'maybe', 'TRUE', 'yes']);
  }
  if (s.enum?.length) return rng.pick(s.enum);
  if (s.type === 'integer') return rng.pick(['1', '100', '1000']);
  if (s.type === 'number') return '1.5';
  if (s.type === 'boolean') return rng.pick(['true', 'false']);
  return 'fuzz';
}

/** A parameter from the route's schema with a valid-looking or odd value. */
function schemaPairs(route: ApiRoute, rng: Rng, odd: boolean): Pair[] {
  const paths = paramPaths(route.params);
  if (!paths.length) return [[rng.pick(PROTO_NAMES), 'x']];
  const { name, schema } = rng.pick(paths);
  if (schema.type === 'array') {
    const items = schema.items ?? {};
    if (!odd) return [[`${name}[0]`, schemaValue(items, rng, false)]];
    return rng.pick<Pair[]>([
      [[`${name}[1]`, schemaValue(items, rng, false)]],
      [[`${name}[0]`, 'a'], [`${name}[2]`, 'b']],
      [[`${name}[-1]`, 'a']],
      [[`${name}[99999999999]`, 'a']],
      [[`${name}[0x0]`, 'a']],
      [[`${name}[00]`, 'a']],
      [[`${name}[]`, 'a'], [`${name}[0]`, 'b']],
      [[name, 'a']],
      [[`${name}[__proto__]`, 'a']],
      [[`${name}[0][__proto__]`, 'a']],
    ]);
  }
  if (schema.type === 'object') {
    if (!odd) return [[`${name}[k]`, 'v']];
    return rng.pick<Pair[]>([
      [[name, 'scalar']],
      [[`${name}[__proto__]`, 'x']],
      [[`${name}[constructor][prototype]`, 'x']],
      [[`${name}${'[a]'.repeat(40)}`, 'x']],
      [[`${name}[]`, 'x']],
      [[`${name}[${'k'.repeat(41)}]`, 'x']],
    ]);
  }
  return [[name, schemaValue(schema, rng, odd)]];
}

function mutate(pairs: Pair[], route: ApiRoute, rng: Rng): Pair[] {
  const out = pairs.slice();
  const named = () => out.map((p, i) => [p, i] as const).filter(([p]) => Array.isArray(p)) as [[string, string], number][];
  const op = rng.pick(['drop', 'rename', 'duplicate', 'wrong-type', 'nest', 'schema', 'expand', 'empty', 'huge', 'raw']);
  const list = named();
  const target = list.length ? rng.pick(list) : null;
  switch (op) {
    case 'drop':
      if (target) out.splice(target[1], 1);
      break;
    case 'rename':
      if (target) {
        const k = target[0][0];
        const name = rng.pick([rng.pick(PROTO_NAMES), `${k}x`, k.toUpperCase(), k.replace('_', ''), `${k}[]`, `${k}[0]`, `[${k}]`, `${k}]`, `${k}[`, ` ${k}`, `${k}\u0000`, `${k}[${rng.pick(PROTO_NAMES)}]`]);
        out[target[1]] = [name, target[0][1]];
      }
      break;
    case 'duplicate':
      if (target) out.push([target[0][0], rng.pick(['other', '', target[0][1], rng.pick(ODD_NUMBERS)])]);
      break;
    case 'wrong-type':
      if (target) out[target[1]] = rng.chance(0.5) ? [target[0][0], rng.pick([...ODD_NUMBERS, ...ODD_STRINGS])] : [`${target[0][0]}[x]`, target[0][1]];
      break;
    case 'nest':
      if (target) out[target[1]] = [`${target[0][0]}${rng.pick(['[]', '[0]', '[a][b]', '[__proto__]', '[constructor][prototype]'])}`, target[0][1]];
      break;
    case 'schema':
      out.push(...schemaPairs(route, rng, rng.chance(0.7)));
      break;
    case 'expand':
      out.push(['expand[]', rng.pick(EXPAND_HOSTILE)]);
      break;
    case 'empty':
      if (target) out[target[1]] = [target[0][0], ''];
      break;
    case 'huge':
      if (target) out[target[1]] = [target[0][0], 'x'.repeat(rng.pick([5001, 40_000, 200_000]))];
      break;
    case 'raw':
      out.push({ raw: `${rng.pick(['metadata[k]', 'email', 'x', '%E0%A4%A', 'expand[]'])}=${rng.pick(RAW_ENCODED)}` });
      break;
  }
  return out;
}

interface ApiCase {
  label: string;
  route: ApiRoute;
  mode?: IdMode;
  method?: string;
  pairs?: Pair[] | ((valid: Pair[]) => Pair[]);
  /** A whole body (overrides pairs). */
  body?: string | Buffer;
  /** Extra query text for POSTs. */
  query?: string;
  headers?: Record<string, string>;
  key?: string | null;
  expect?: Expect;
  chunked?: boolean;
}

function apiRequest(f: Fuzzer, rng: Rng, c: ApiCase): FuzzRequest {
  const ids = f.api;
  const mode = c.mode ?? 'real';
  const { path, real } = fillPath(c.route, mode, ids, rng);
  const method = c.method ?? c.route.method;
  const valid = validPairs(f, c.route, ids, rng);
  const pairs = typeof c.pairs === 'function' ? c.pairs(valid) : c.pairs ?? valid;
  let wire: Wire;
  const key = c.key === undefined ? KEYS.api : c.key;
  const auth: Record<string, string> = key === null ? {} : { Authorization: `Bearer ${key}` };
  if (c.body !== undefined) {
    wire = { method, path: c.query ? `${path}?${c.query}` : path, headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded', ...c.headers }, body: c.body, chunked: c.chunked };
  } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    wire = { method, path: c.query ? `${path}?${c.query}` : path, headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded', ...c.headers }, body: form(pairs), chunked: c.chunked };
  } else {
    const q = form(pairs);
    wire = { method, path: q ? `${path}?${q}` : path, headers: { ...auth, ...c.headers } };
  }
  const probes = [f.eventsTop(KEYS.api)];
  const objPath = objectPath(c.route, real);
  if (objPath && method !== 'GET') probes.push(f.object(KEYS.api, objPath));
  return {
    label: c.label,
    sig: `${c.label} ${c.route.method} ${c.route.path}`,
    template: `${c.route.method} ${c.route.path}`,
    wire,
    probes,
    expect: c.expect,
  };
}

/** One pass over every API route with each generator. */
function* apiSweep(f: Fuzzer, rng: Rng): Generator<Step> {
  for (const route of API_ROUTES) {
    const isPost = route.method === 'POST';
    const hasParams = route.pathParams.length > 0;
    const strings = paramPaths(route.params).filter((p) => p.schema.type === 'string' && !p.schema.enum);
    const integers = paramPaths(route.params).filter((p) => p.schema.type === 'integer' || p.schema.type === 'number');
    const cases: ApiCase[] = [
      { label: 'valid', route },
      { label: 'proto-name', route, pairs: (v) => [...v, [rng.pick(PROTO_NAMES), 'x']] },
      { label: 'proto-name', route, pairs: (v) => [...v, ['__proto__[polluted]', '1']], expect: '4xx' },
      { label: 'proto-name', route, pairs: (v) => [...v, ['constructor[prototype][polluted]', '1']], expect: '4xx' },
      { label: 'proto-bracket', route, pairs: (v) => [...v, [`metadata[${rng.pick(PROTO_NAMES)}]`, 'x'], ['metadata[constructor]', 'y']] },
      { label: 'proto-bracket', route, pairs: (v) => [...v, ...(v.length && Array.isArray(v[0]) ? [[`${v[0][0].split('[')[0]}[${rng.pick(PROTO_NAMES)}]`, 'x'] as Pair] : [])] },
      { label: 'expand-proto', route, pairs: (v) => [...v, ['expand[]', 'constructor']] },
      { label: 'expand-proto', route, pairs: (v) => [...v, ['expand[]', '__proto__.x']] },
      { label: 'expand-proto', route, pairs: (v) => [...v, ['expand[]', rng.pick(EXPAND_HOSTILE)], ['expand[]', rng.pick(EXPAND_HOSTILE)]] },
      { label: 'deep-nesting', route, pairs: (v) => [...v, [`a${'[a]'.repeat(1000)}`, '1']], expect: '4xx' },
      { label: 'deep-nesting', route, pairs: (v) => [...v, [`${rng.pick(['metadata', 'expand', 'address', 'card'])}${'[a]'.repeat(1000)}`, '1']], expect: '4xx' },
      { label: 'deep-nesting', route, pairs: (v) => [...v, { raw: `${'%5B'.repeat(1000)}=1` }, { raw: `a${'['.repeat(1000)}=1` }, { raw: `b${'[]'.repeat(1000)}=1` }] },
      { label: 'odd-number', route, pairs: (v) => [...v, ...(integers.length ? [[rng.pick(integers).name, rng.pick(ODD_NUMBERS)] as Pair] : [['limit', rng.pick(ODD_NUMBERS)] as Pair])] },
      { label: 'odd-number', route, pairs: (v) => [...v, ['created[gt]', rng.pick(ODD_NUMBERS)], ['amount', rng.pick(ODD_NUMBERS)]] },
      { label: 'overlong', route, pairs: (v) => [...v, [strings.length ? rng.pick(strings).name : 'description', 'x'.repeat(rng.pick([5001, 100_000, 600_000]))]] },
      { label: 'dupes', route, pairs: (v) => [...v, ...v] },
      { label: 'dupes', route, pairs: (v) => [...v, ['metadata[a]', '1'], ['metadata[a]', '2'], ['metadata', ''], ['expand[]', 'x'], ['expand[]', 'x']] },
      { label: 'index-gaps', route, pairs: (v) => [...v, ['expand[0]', 'customer'], ['expand[2]', 'x']] },
      { label: 'index-gaps', route, pairs: (v) => [...v, ...schemaPairs(route, rng, true)] },
      { label: 'raw-encoding', route, pairs: (v) => [...v, { raw: `email=${rng.pick(RAW_ENCODED)}` }, { raw: `${rng.pick(RAW_ENCODED)}=1` }], expect: '4xx' },
      { label: 'random-method', route, method: rng.pick(METHODS.filter((m) => m !== route.method)) },
      { label: 'bad-version', route, headers: { 'Stripe-Version': rng.pick(STRIPE_VERSIONS) } },
      { label: 'bad-auth', route, key: null, headers: authHeader(rng.pick(AUTHORIZATIONS)) },
      { label: 'json-body', route, body: JSON.stringify({ email: 'j@example.com', metadata: { __proto__: 'x' }, expand: ['constructor'] }), headers: { 'Content-Type': 'application/json' } },
    ];
    if (isPost) {
      cases.push(
        { label: 'invalid-utf8', route, body: Buffer.concat([Buffer.from('metadata[k]='), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80])]), expect: '4xx' },
        { label: 'oversized', route, body: `description=x&metadata[a]=${'v'.repeat(1024 * 1024 + 16)}`, expect: '4xx' },
        { label: 'bad-idempotency', route, headers: { 'Idempotency-Key': rng.pick(IDEMPOTENCY_KEYS) } },
        { label: 'query-on-post', route, query: `${rng.pick(PROTO_NAMES)}=x&expand[]=constructor` },
        { label: 'chunked', route, chunked: true, pairs: (v) => [...v, ['metadata[__proto__]', 'x']] },
      );
    } else {
      cases.push({ label: 'raw-encoding', route, pairs: (v) => [...v, { raw: `limit=${rng.pick(RAW_ENCODED)}` }], expect: '4xx' });
    }
    if (hasParams) {
      cases.push(
        { label: 'bogus-id', route, mode: 'bogus' },
        { label: 'hostile-id', route, mode: 'hostile' },
        { label: 'hostile-id', route, mode: 'hostile', pairs: (v) => [...v, ['expand[]', 'constructor']] },
        { label: 'wrong-type-id', route, mode: 'wrong-type' },
      );
    }
    for (const c of cases) yield apiRequest(f, rng, c);
  }
}

/** Targeted API generators: wildcards, search, headers, odd paths. */
function* apiSpecials(f: Fuzzer, rng: Rng): Generator<Step> {
  const route = (method: string, path: string) => API_ROUTES.find((r) => r.method === method && r.path === path)!;
  const events = route('GET', '/v1/events');
  for (const pattern of WILDCARDS) yield apiRequest(f, rng, { label: 'wildcard', route: events, pairs: [['type', pattern]] });
  for (const extra of [
    [['types[]', `${'*'.repeat(16)}Z`]],
    [['types[0]', 'customer.created'], ['types[2]', 'x']],
    [['types[]', '__proto__']],
    [['type', '*'], ['types[]', 'x']],
    [['type', `${'*'.repeat(16)}Z`], ['created[gt]', '1e400']],
  ] as Pair[][]) {
    yield apiRequest(f, rng, { label: 'wildcard', route: events, pairs: extra });
  }
  const endpoints = route('POST', '/v1/webhook_endpoints');
  for (const pattern of [`${'*'.repeat(16)}Z`, '**', 'customer.*', '__proto__', 'constructor']) {
    yield apiRequest(f, rng, { label: 'wildcard', route: endpoints, pairs: [['url', `${f.receiver.url}/hook/api`], ['enabled_events[]', pattern]] });
  }
  for (const search of API_ROUTES.filter((r) => r.path.endsWith('/search'))) {
    for (const query of SEARCH_QUERIES) yield apiRequest(f, rng, { label: 'search', route: search, pairs: [['query', query]] });
    for (const page of ['__proto__', 'constructor', 'x'.repeat(5000), '%%%', 'eyJ9', '']) {
      yield apiRequest(f, rng, { label: 'search', route: search, pairs: [['query', 'status:"succeeded"'], ['page', page], ['limit', rng.pick(ODD_NUMBERS)]] });
    }
  }
  const customers = route('POST', '/v1/customers');
  const list = route('GET', '/v1/customers');
  for (const version of STRIPE_VERSIONS) yield apiRequest(f, rng, { label: 'header', route: list, headers: { 'Stripe-Version': version } });
  for (const idem of IDEMPOTENCY_KEYS) {
    yield apiRequest(f, rng, { label: 'header', route: customers, headers: { 'Idempotency-Key': idem }, pairs: [['email', 'idem@example.com']] });
    yield apiRequest(f, rng, { label: 'header', route: customers, headers: { 'Idempotency-Key': idem }, pairs: [['email', 'other@example.com'], ['expand[]', 'constructor']] });
  }
  for (const auth of AUTHORIZATIONS) {
    yield apiRequest(f, rng, { label: 'header', route: rng.pick([customers, list]), key: null, headers: auth === null ? {} : { Authorization: auth } });
  }
  const odd: Record<string, string>[] = [
    { 'Stripe-Account': 'acct_123' },
    { 'Stripe-Account': '__proto__' },
    { 'Content-Type': 'application/json' },
    { 'Content-Type': 'multipart/form-data; boundary=x' },
    { 'Content-Type': 'text/plain' },
    { 'Content-Type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
    { 'Content-Type': '' },
    { 'X-HTTP-Method-Override': 'DELETE' },
    { Expect: '100-continue' },
    { 'Content-Encoding': 'gzip' },
    { Host: 'evil.example.com' },
    { Origin: 'https://evil.example' },
    { 'Stripe-Signature': 't=1,v1=abc' },
    { [CONTROL_TOKEN_HEADER]: CONTROL_TOKEN },
  ];
  for (const headers of odd) {
    yield apiRequest(f, rng, { label: 'header', route: customers, headers, pairs: [['email', 'hdr@example.com'], ['metadata[__proto__]', 'x']] });
  }
  for (const path of API_PATHS) {
    const method = rng.pick(['GET', 'POST', 'DELETE', 'OPTIONS']);
    yield {
      label: 'odd-path',
      sig: `odd-path ${method} ${path.slice(0, 40)}`,
      template: '(odd API path)',
      wire: f.apiWire(method, path, method === 'POST' ? [['email', 'p@example.com']] : undefined, KEYS.api),
      probes: [f.eventsTop(KEYS.api)],
    };
  }
}

/** Random requests: mostly mutations of valid requests, mixed with every generator. */
function* apiRandom(f: Fuzzer, rng: Rng, count: number): Generator<Step> {
  for (let i = 0; i < count; i++) {
    const route = rng.pick(API_ROUTES);
    const mode = rng.weighted<IdMode>([[8, 'real'], [1, 'bogus'], [1, 'hostile'], [1, 'wrong-type']]);
    const kind = rng.weighted([
      [40, 'mutated'],
      [8, 'proto'],
      [8, 'expand'],
      [8, 'number'],
      [6, 'string'],
      [4, 'nesting'],
      [6, 'dupes'],
      [6, 'method'],
      [8, 'header'],
      [3, 'search'],
      [3, 'wildcard'],
    ] as const);
    let c: ApiCase;
    switch (kind) {
      case 'mutated': {
        const n = 1 + rng.int(3);
        c = { label: 'mutated', route, mode, pairs: (v) => { let p = v; for (let j = 0; j < n; j++) p = mutate(p, route, rng); return p; } };
        break;
      }
      case 'proto':
        c = { label: 'proto-name', route, mode, pairs: (v) => [...v, [rng.pick([rng.pick(PROTO_NAMES), `metadata[${rng.pick(PROTO_NAMES)}]`, `${rng.pick(PROTO_NAMES)}[${rng.pick(PROTO_NAMES)}]`]), rng.pick(['x', '1', ''])]] };
        break;
      case 'expand':
        c = { label: 'expand-proto', route, mode, pairs: (v) => [...v, ...Array.from({ length: 1 + rng.int(3) }, () => ['expand[]', rng.pick(EXPAND_HOSTILE)] as Pair)] };
        break;
      case 'number':
        c = { label: 'odd-number', route, mode, pairs: (v) => [...v, ...schemaPairs(route, rng, true), ['limit', rng.pick(ODD_NUMBERS)]] };
        break;
      case 'string':
        c = { label: 'overlong', route, mode, pairs: (v) => mutate([...v, ['description', rng.pick(ODD_STRINGS)]], route, rng) };
        break;
      case 'nesting':
        c = { label: 'deep-nesting', route, mode, pairs: (v) => [...v, [`${rng.pick(['a', 'metadata', 'expand', ...PROTO_NAMES])}${rng.pick(['[a]', '[]', '[0]', '[__proto__]']).repeat(rng.pick([33, 100, 1000]))}`, '1']], expect: '4xx' };
        break;
      case 'dupes':
        c = { label: 'dupes', route, mode, pairs: (v) => [...v, ...v.filter(() => rng.chance(0.5)), ...schemaPairs(route, rng, true)] };
        break;
      case 'method':
        c = { label: 'random-method', route, mode, method: rng.pick(METHODS) };
        break;
      case 'header':
        c = {
          label: 'header',
          route,
          mode,
          key: rng.chance(0.3) ? null : undefined,
          headers: rng.pick<() => Record<string, string>>([
            () => ({ 'Stripe-Version': rng.pick(STRIPE_VERSIONS) }),
            () => ({ 'Idempotency-Key': rng.pick(IDEMPOTENCY_KEYS) }),
            () => authHeader(rng.pick(AUTHORIZATIONS)),
            () => ({ 'Content-Type': rng.pick(['application/json', 'text/plain', 'multipart/form-data']) }),
          ])(),
        };
        break;
      case 'search': {
        const search = rng.pick(API_ROUTES.filter((r) => r.path.endsWith('/search')));
        c = { label: 'search', route: search, pairs: [['query', rng.pick(SEARCH_QUERIES)], ...(rng.chance(0.3) ? [['limit', rng.pick(ODD_NUMBERS)] as Pair] : [])] };
        break;
      }
      case 'wildcard':
        c = { label: 'wildcard', route: API_ROUTES.find((r) => r.method === 'GET' && r.path === '/v1/events')!, pairs: [['type', rng.pick(WILDCARDS)]] };
        break;
    }
    yield apiRequest(f, rng, c);
  }
}

// --- control surface ---

/** JSON text as given (1e400, duplicate keys, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}

function toJson(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

interface ControlBody {
  name: string;
  text: string | Buffer;
  type?: string;
  /** Names a world inside the body (a "key" field or a worlds map). */
  names?: boolean;
  family?: string;
}

const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

const ODD_JSON: Raw[] = [
  '1e400', '-1e400', '-0', '9007199254740993', '0.5', '-1', '""', `"${'x'.repeat(100_000)}"`, 'null', 'true', '[]', '{}', deepArray(1000),
  deepObject(1000), '{"__proto__":{"polluted":1}}', '"__proto__"', '"constructor"', '"0x10"', '"1e3"', '"NaN"',
].map((t) => new Raw(t));

function genericControlBodies(): ControlBody[] {
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  // Nested bodies are one family per format: after one crashes or freezes the server, the rest are not sent (time stays bounded).
  const family = (name: string, format: string) => (/×\d/.test(name) ? `${format} deep nesting` : undefined);
  const json = (name: string, text: string): ControlBody => ({ name, text, type: 'application/json', family: family(name, 'json') });
  const yaml = (name: string, text: string): ControlBody => ({ name, text, type: 'application/yaml', family: family(name, 'yaml') });
  return [
    // Deep nesting, closed and unclosed, at several depths: where a recursive parser runs out of stack varies.
    ...[1000, 1000, 1500, 2500, 5000, 100_000].flatMap((n) => [
      json(`json [×${n}`, deepArray(n)),
      json(`json [×${n} unclosed`, '['.repeat(n)),
    ]),
    json('json {×1000', deepObject(1000)),
    json('json [{×1000 unclosed', '[{"a":'.repeat(1000)),
    json('json {×1000 under worlds', `{"worlds":${deepObject(1000)}}`),
    ...[1000, 1500, 2500, 5000, 10_000].flatMap((n) => [
      yaml(`yaml [×${n}`, deepArray(n)),
      yaml(`yaml [×${n} unclosed`, '['.repeat(n)),
    ]),
    yaml('yaml {a:×1000', `${'{a: '.repeat(1000)}1${'}'.repeat(1000)}`),
    yaml('yaml {a:×1000 unclosed', '{a: '.repeat(1000)),
    yaml('yaml [{a:×600 unclosed', '[{a: '.repeat(600)),
    yaml('yaml - ×1000', `${'- '.repeat(1000)}x`),
    yaml('yaml ?×1000', `${'? '.repeat(1000)}x`),
    yaml('yaml a: [×1000', `a: ${deepArray(1000)}`),
    yaml('yaml billion laughs', laughs.join('\n')),
    yaml('yaml tags', 'seconds: !!js/function "function () { return 1 }"\nb: !!binary aGVsbG8=\nc: !!set {a, b}\nd: !foo bar'),
    yaml('yaml merge keys', 'base: &b {seconds: 60}\n<<: *b\n? [complex, key]\n: v'),
    yaml('yaml __proto__', '__proto__: {polluted: 1}\nconstructor: {prototype: {polluted: 1}}'),
    yaml('yaml multi-document', 'a: 1\n---\nb: 2\n'),
    yaml('yaml directive', '%YAML 1.1\n---\nseconds: 60\n'),
    yaml('yaml numbers', 'seconds: .inf\nto: .nan\nlimit: 0x10\ntimes: 1e400'),
    json('json __proto__', '{"__proto__":{"polluted":1},"key":"__proto__"}'),
    json('json constructor', '{"constructor":{"prototype":{"polluted":1}}}'),
    json('json prototype methods', '{"toString":1,"valueOf":1,"hasOwnProperty":1,"isPrototypeOf":"x"}'),
    json('json duplicate keys', '{"a":1,"a":2,"fault":"timeout","fault":{"status":429}}'),
    json('json 1e400', '{"seconds":1e400,"times":1e400,"limit":1e400}'),
    json('json NaN literal', '{"seconds":NaN}'),
    json('json trailing garbage', '{"a":1} trailing'),
    json('json trailing comma', '{"a":1,}'),
    json('json BOM', '\ufeff{"a":1}'),
    json('json NUL', '{"a":"\u0000"}\u0000'),
    json('json empty', ''),
    json('json whitespace', ' \n\t '),
    json('json null', 'null'),
    json('json array', '[]'),
    json('json string', '"str"'),
    json('json number', '1'),
    json('json true', 'true'),
    { name: 'invalid utf-8', text: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), type: 'application/json' },
    { name: 'utf-16', text: Buffer.from('\ufeff{"a":1}', 'utf16le'), type: 'application/json; charset=utf-16' },
    json('json over 1 MiB', `{"a":"${'x'.repeat(1024 * 1024 + 16)}"}`),
    yaml('yaml over 1 MiB', `a: ${'x'.repeat(1024 * 1024 + 16)}`),
    { name: 'yaml sent as json', text: 'seconds: 60', type: 'application/json' },
    { name: 'json sent as text/plain', text: '{"seconds": 60}', type: 'text/plain' },
    { name: 'no content type', text: '{"a": 1}' },
    { name: 'form body', text: 'a=1&__proto__[x]=1', type: 'application/x-www-form-urlencoded' },
  ];
}

interface ControlTarget {
  key: string;
  probes: Probe[];
  /** A valid body (JSON value) for POST routes; query for GETs. */
  body?: Record<string, unknown>;
  query?: string;
  path: string;
  after?: FuzzRequest['after'];
}

function controlTarget(f: Fuzzer, method: string, template: string, rng: Rng): ControlTarget {
  const ids = f.control;
  const KC = KEYS.control;
  const url = `${f.receiver.url}/hook/listener`;
  const kcProbes = (...extra: Probe[]) => [f.eventsTop(KC), ...extra];
  const path = template.replace('{id}', () => {
    if (template.startsWith('/__admin__/intents/')) return rng.pick([ids.pi3ds, ids.seti3ds, ids.piNew]);
    if (template.startsWith('/__admin__/faults/')) return rng.pick(f.faultIds.length ? f.faultIds : ['fault_1']);
    if (template.startsWith('/__admin__/webhooks/endpoints/')) return rng.pick(ids.endpoints);
    if (template.startsWith('/__admin__/events/')) return rng.pick(ids.events);
    if (template.startsWith('/__admin__/webhooks/listeners/')) return rng.pick(f.listeners.length ? f.listeners : ['we_missing']);
    return 'x';
  });
  const key = `${method} ${template}`;
  if (template.startsWith('/__admin__/faults')) {
    return {
      key: KEYS.faults,
      path,
      probes: [f.admin(KEYS.faults, '/__admin__/faults')],
      body: method === 'POST' && template === '/__admin__/faults'
        ? rng.pick([
            { resource: 'customers', operation: 'create', fault: { status: 429 } },
            { fault: 'timeout' },
            { resource: 'payment_intents', operation: 'confirm', fault: { type: 'lost_response', mode: '500' } },
            { times: 3, fault: { status: 402, decline_code: 'insufficient_funds' } },
          ])
        : method === 'POST' ? {} : undefined,
      after: (status, json) => {
        if (status === 200 && json?.id) f.faultIds.push(json.id);
      },
    };
  }
  if (template === '/__admin__/reset') {
    return {
      key: KEYS.reset,
      path,
      probes: [f.object(KEYS.reset, '/v1/customers?limit=3'), f.eventsTop(KEYS.api), f.eventsTop(KC)],
      body: {},
      after: async (status) => {
        if (status === 200) await f.must(f.apiWire('POST', '/v1/customers', [['email', 'reset@example.com']], KEYS.reset));
      },
    };
  }
  if (template === '/__admin__/seed') {
    const seedKey = `${KEYS.seed}${f.scratch++}`;
    return {
      key: seedKey,
      path,
      probes: [f.worlds(KEYS.seed)],
      body: rng.pick([
        { worlds: { [seedKey]: { customers: [{ id: `cus_seed${f.scratch}`, email: 'seed@example.com' }], charges: [{ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' }] } } },
        { key: seedKey, customers: [{ email: 'seed@example.com', metadata: { __proto__: 'x' } }], balance: { available: { usd: 5000 } } },
        { worlds: { [seedKey]: { webhook_endpoints: [{ url: `${f.receiver.url}/hook/seed`, enabled_events: ['*'] }], pins: { 'payment_method.card.country': 'DE' } } } },
      ]),
    };
  }
  if (template === '/__admin__/clock/advance') {
    const clockKey = `${KEYS.clock}v${f.scratch++}`;
    return { key: clockKey, path, probes: [f.admin(clockKey, '/__admin__/clock', (j) => j?.now)], body: { seconds: 60 } };
  }
  switch (key) {
    case 'POST /__admin__/intents/{id}/authenticate':
      return { key: KC, path, probes: kcProbes(f.object(KC, `/v1/${path.includes('seti_') ? 'setup_intents' : 'payment_intents'}/${path.split('/')[3]}`)), body: { outcome: rng.pick(['succeed', 'fail']) } };
    case 'POST /__admin__/world/trigger':
      return {
        key: KC,
        path,
        probes: kcProbes(f.admin(KC, '/__admin__/world/next?limit=100', (j) => j?.armed)),
        body: rng.pick([
          { trigger: 'payment.declined', payment_intent: ids.piNew, decline_code: 'insufficient_funds' },
          { trigger: 'payment.requires_action', setup_intent: ids.setis[0] },
          { trigger: 'dispute.created', charge: ids.chOk, reason: 'fraudulent' },
          { trigger: 'refund.failed', refund: ids.refund },
          { trigger: 'authentication.succeeded', payment_intent: ids.pi3ds },
        ]),
      };
    case 'POST /__admin__/exogenous':
      return {
        key: KC,
        path,
        probes: kcProbes(f.admin(KC, '/__admin__/exogenous')),
        body: rng.pick([{ pins: { 'charge.outcome.risk_level': 'elevated' } }, { scope: ids.piNew, pins: { 'last_payment_error.decline_code': 'insufficient_funds' } }, { pins: { 'balance.available.usd': 1000 } }]),
      };
    case 'DELETE /__admin__/exogenous':
      return { key: KC, path, probes: kcProbes(f.admin(KC, '/__admin__/exogenous')), query: rng.pick(['path=charge.outcome', `scope=${ids.piNew}`, '']) };
    case 'POST /__admin__/webhooks/listeners':
      return {
        key: KC,
        path,
        probes: kcProbes(f.admin(KC, '/__admin__/webhooks/endpoints')),
        body: { url, events: rng.pick([['customer.created'], 'customer.created,charge.succeeded', ['*']]) },
        after: (status, json) => {
          if (status === 200 && json?.id) f.listeners.push(json.id);
        },
      };
    case 'DELETE /__admin__/webhooks/listeners/{id}':
      return { key: KC, path, probes: kcProbes(f.admin(KC, '/__admin__/webhooks/endpoints')) };
    case 'POST /__admin__/events/{id}/resend':
      return { key: KC, path, probes: kcProbes(f.admin(KC, '/__admin__/webhooks/deliveries', (j) => j?.deliveries?.length)), body: rng.pick([{}, { endpoint: ids.endpoints[0] }]) };
    case 'POST /__admin__/webhooks/drain':
      return { key: KC, path, probes: kcProbes(), body: {} };
    case 'GET /__admin__/requests':
      return { key: KC, path, probes: kcProbes(), query: rng.pick(['limit=5&status=4xx', 'method=POST&path=/v1/*', 'faulted=false&replayed=false', '']) };
    case 'GET /__admin__/events':
      return { key: KC, path, probes: kcProbes(), query: rng.pick(['type=customer.*&limit=5', `object=${ids.customers[0]}`, '']) };
    case 'GET /__admin__/webhooks/deliveries':
      return { key: KC, path, probes: kcProbes(), query: rng.pick(['state=failed', `event=${ids.events[0]}`, '']) };
    case 'GET /__admin__/world/next':
      return { key: KC, path, probes: kcProbes(), query: 'limit=5' };
    default:
      return { key: KC, path, probes: kcProbes(), body: method === 'POST' ? {} : undefined };
  }
}

type Variant = 'token' | 'key-only' | 'other-key' | 'none' | 'bad-token' | 'foreign-host' | 'foreign-origin' | 'signature';
const VARIANTS: Variant[] = ['token', 'key-only', 'other-key', 'none', 'bad-token', 'foreign-host', 'foreign-origin', 'signature'];
/** A key that names no world the fuzz uses: with it, another world must stay out of reach. */
const INTRUDER_KEY = 'sk_test_fuzz_intruder';
/** Control routes that act on no world (a static catalogue): any caller with credentials may read them. */
const NO_WORLD_ROUTES = new Set(['GET /__admin__/world/triggers']);

function pickVariant(rng: Rng, tokenShare: number): Variant {
  if (rng.chance(tokenShare)) return 'token';
  return rng.weighted<Variant>([[4, 'key-only'], [3, 'other-key'], [3, 'none'], [2, 'bad-token'], [2, 'foreign-host'], [2, 'foreign-origin'], [2, 'signature']]);
}

/** A control request under one of the owner variants; the variants that must be refused say so. */
function controlRequest(
  f: Fuzzer,
  o: { label: string; method: string; template: string; known: boolean; target: ControlTarget; body?: ControlBody; query?: string; variant: Variant; sig?: string },
): FuzzRequest | null {
  const { method, target } = o;
  const variant = o.variant;
  const anonymous = variant === 'none' || variant === 'bad-token';
  const headers: Record<string, string> = {};
  if (variant === 'token' || variant === 'foreign-host' || variant === 'foreign-origin' || variant === 'signature') headers[CONTROL_TOKEN_HEADER] = CONTROL_TOKEN;
  if (variant === 'bad-token') headers[CONTROL_TOKEN_HEADER] = `${CONTROL_TOKEN}x`;
  if (!anonymous) headers.Authorization = `Bearer ${variant === 'other-key' ? INTRUDER_KEY : target.key}`;
  if (variant === 'foreign-host') headers.Host = rng0.pick(['evil.example.com', `evil.example.com:${f.base.port}`, `127.0.0.1.evil.example:${f.base.port}`]);
  if (variant === 'foreign-origin') {
    const [name, value] = rng0.pick([
      ['Origin', 'https://evil.example'],
      ['Origin', 'null'],
      ['Origin', `http://evil.example:${f.base.port}`],
      ['Sec-Fetch-Site', 'cross-site'],
    ]);
    headers[name] = value;
  }
  if (variant === 'signature') headers['Stripe-Signature'] = `t=1767225600,v1=${'ab'.repeat(32)}`;
  let body: ControlBody | undefined = o.body;
  if (body === undefined && target.body !== undefined && method === 'POST') {
    const value = anonymous ? Object.fromEntries(Object.entries(target.body).filter(([k]) => k !== 'key' && k !== 'worlds')) : target.body;
    body = { name: 'valid', text: toJson(value), type: 'application/json' };
  }
  if (anonymous && body?.names) return null;
  if (body?.type) headers['Content-Type'] = body.type;
  let query = o.query ?? target.query ?? '';
  // Another world's key naming this one (`?key=` is read on every method): refused, this world untouched.
  if (variant === 'other-key') query = query ? `${query}&key=${target.key}` : `key=${target.key}`;
  const wire: Wire = { method, path: query ? `${target.path}?${query}` : target.path, headers, body: body?.text };
  let expect: Expect | undefined;
  if (anonymous || variant === 'signature') expect = '4xx';
  if (variant === 'other-key' && !NO_WORLD_ROUTES.has(`${method} ${o.template}`)) expect = '4xx';
  if (variant === 'foreign-host' || variant === 'foreign-origin') expect = o.known ? '403' : '4xx';
  return {
    label: o.label,
    sig: o.sig ?? `${o.label}${variant === 'token' ? '' : ` [${variant}]`} ${method} ${o.template}${body && body.name !== 'valid' ? ` (${body.name})` : ''}`,
    family: body?.family,
    template: o.known ? `${method} ${o.template}` : '(odd admin path)',
    wire,
    probes: target.probes,
    expect,
    after: target.after,
  };
}

/** A shared rng for header choices that must not shift the main sequence when variants change. */
const rng0 = new Rng(SEED ^ 0x9e3779b9);

function templateMutations(body: Record<string, unknown>, rng: Rng): { name: string; value: Record<string, unknown> }[] {
  const keys = Object.keys(body).filter((k) => k !== 'key');
  const out: { name: string; value: Record<string, unknown> }[] = [];
  const field = keys.length ? rng.pick(keys) : 'x';
  for (const odd of [new Raw(deepArray(1000)), new Raw(deepObject(1000)), rng.pick(ODD_JSON), rng.pick(ODD_JSON)]) {
    out.push({ name: `${field}=${show(odd.text, 24)}`, value: { ...body, [field]: odd } });
  }
  const { [field]: _dropped, ...rest } = body;
  out.push({ name: `without ${field}`, value: rest });
  const name = rng.pick(PROTO_NAMES);
  out.push({ name: `with ${name}`, value: { ...body, [name]: rng.pick<unknown>([1, 'x', {}, { polluted: 1 }, null]) } });
  out.push({ name: `${field} as ${field.toUpperCase()}`, value: { ...rest, [field.toUpperCase()]: body[field] } });
  return out;
}

function* controlSweep(f: Fuzzer, rng: Rng): Generator<Step> {
  const generic = genericControlBodies();
  for (const route of CONTROL_ROUTES) {
    if (route.method === 'POST' && route.path === '/__admin__/clock/advance') {
      // Its hostile bodies are the clock cases (each on a fresh world, probed afterwards); here the owner variants.
      for (const variant of VARIANTS) {
        const r = controlRequest(f, { label: 'control', method: route.method, template: route.path, known: true, target: controlTarget(f, route.method, route.path, rng), variant });
        if (r) yield r;
      }
      continue;
    }
    // Valid, then every owner variant once.
    for (const variant of VARIANTS) {
      const r = controlRequest(f, { label: 'control', method: route.method, template: route.path, known: true, target: controlTarget(f, route.method, route.path, rng), variant });
      if (r) yield r;
    }
    if (route.method === 'POST') {
      for (const body of generic) {
        const r = controlRequest(f, { label: 'control-body', method: route.method, template: route.path, known: true, target: controlTarget(f, route.method, route.path, rng), body, variant: 'token' });
        if (r) yield r;
      }
      const target = controlTarget(f, route.method, route.path, rng);
      for (const m of templateMutations(target.body ?? {}, rng)) {
        const body: ControlBody = { name: m.name, text: toJson(m.value), type: 'application/json', family: /×\d/.test(m.name) ? 'json deep nesting' : undefined };
        const r = controlRequest(f, { label: 'control-body', method: route.method, template: route.path, known: true, target: controlTarget(f, route.method, route.path, rng), body, variant: 'token' });
        if (r) yield r;
      }
    } else {
      for (const query of [
        `limit=${enc(rng.pick(ODD_NUMBERS))}`, 'limit=1e400', 'limit=-1', 'limit=0x10', 'key=', 'key=__proto__', `key=${KEYS.control}&key=${KEYS.faults}`,
        '__proto__=1', 'constructor=x', 'type=', 'status=999', 'status=5xx', 'path=*', 'method=__proto__', 'scope=__proto__',
        'path=constructor', 'state=__proto__', `event=${'x'.repeat(5000)}`, 'faulted=maybe', '%E0%A4%A=1', `a${'[a]'.repeat(1000)}=1`,
      ]) {
        const r = controlRequest(f, { label: 'control-query', method: route.method, template: route.path, known: true, target: controlTarget(f, route.method, route.path, rng), query, variant: 'token' });
        if (r) yield r;
      }
    }
    if (route.path.includes('{id}')) {
      for (const id of [...PROTO_NAMES, '%2e%2e', '%FF', '%E0%A4%A', 'x'.repeat(5000), '*', 'fault_0', 'evt_0']) {
        const target = { ...controlTarget(f, route.method, route.path, rng), path: route.path.replace('{id}', id) };
        const r = controlRequest(f, { label: 'control-id', method: route.method, template: route.path, known: true, target, variant: 'token' });
        if (r) yield r;
      }
    }
    // Random methods on the path.
    for (const method of ['PUT', 'PATCH', 'HEAD', 'OPTIONS', route.method === 'GET' ? 'DELETE' : 'GET']) {
      const target = controlTarget(f, route.method, route.path, rng);
      const r = controlRequest(f, { label: 'control-method', method, template: route.path, known: false, target, variant: rng.pick(['token', 'none'] as Variant[]), sig: `control-method ${method} ${route.path}` });
      if (r) yield r;
    }
  }
  // The event log's `type` wildcards.
  for (const pattern of WILDCARDS) {
    const target = controlTarget(f, 'GET', '/__admin__/events', rng);
    const r = controlRequest(f, { label: 'wildcard', method: 'GET', template: '/__admin__/events', known: true, target, query: `type=${enc(pattern)}`, variant: 'token', sig: 'wildcard GET /__admin__/events' });
    if (r) yield r;
  }
  // Unknown admin paths, under every variant.
  for (const path of ADMIN_PATHS) {
    const method = rng.pick(['GET', 'POST', 'DELETE']);
    const target = { ...controlTarget(f, 'GET', '/__admin__/world/next', rng), path, query: '' };
    const r = controlRequest(f, { label: 'odd-admin-path', method, template: path, known: false, target, variant: pickVariant(rng, 0.5), sig: `odd-admin-path ${method} ${path.slice(0, 40)}` });
    if (r) yield r;
  }
}

function* controlRandom(f: Fuzzer, rng: Rng, count: number): Generator<Step> {
  const generic = genericControlBodies().filter((b) => b.text.length < 200_000);
  for (let i = 0; i < count; i++) {
    const route = rng.pick(CONTROL_ROUTES.filter((r) => !(r.method === 'POST' && r.path === '/__admin__/clock/advance')));
    const target = controlTarget(f, route.method, route.path, rng);
    const variant = pickVariant(rng, 0.6);
    let body: ControlBody | undefined;
    if (route.method === 'POST') {
      body = rng.chance(0.3)
        ? rng.pick(generic)
        : ((m) => ({ name: m.name, text: toJson(m.value), type: rng.pick(['application/json', 'application/json', 'application/yaml']) }))(rng.pick(templateMutations(target.body ?? {}, rng)));
    }
    const r = controlRequest(f, { label: 'control-random', method: route.method, template: route.path, known: true, target, body, variant });
    if (r) yield r;
  }
}

const CLOCK_BODIES: { name: string; text: string; type: string }[] = [
  ...[
    '{"seconds": 1e13}', '{"seconds": 1e400}', '{"seconds": -1e400}', '{"seconds": -1}', '{"seconds": 0.5}', '{"seconds": "1e3"}', '{"seconds": "abc"}',
    '{"seconds": ""}', '{"seconds": null}', '{"seconds": -0}', '{"seconds": 0}', '{"seconds": 9007199254740993}', '{"seconds": 1.7976931348623157e308}',
    '{"seconds": 5e-324}', '{"seconds": [86400]}', '{"seconds": {"valueOf": 86400}}', '{"seconds": true}', '{"seconds": 1e9}', '{"seconds": 31536000000}',
    '{"seconds": 3153600000}', '{"seconds": 691200}', '{"to": 1e400}', '{"to": -1}', '{"to": 1e13}', '{"to": 0.5}', '{"to": "2030-01-01"}',
    '{"to": 1767225600.5}', '{"to": 253402300800}', '{"to": 8640000000001}', '{"duration": "1e3s"}', '{"duration": "99999999999999999999d"}',
    '{"duration": "-1d"}', '{"duration": "1.5h"}', '{"duration": "100000000w"}', '{"duration": "0s"}', '{"duration": "32d"}', '{"duration": ""}',
    '{"duration": 5}', '{"seconds": 1, "to": 0}', '{"seconds": "60", "duration": "-1d"}', '{}', '{"__proto__": {"seconds": 5}}',
    '{"constructor": {"prototype": {"seconds": 5}}}', `{"seconds": ${deepArray(1000)}}`,
  ].map((text) => ({ name: text.length > 60 ? `${text.slice(0, 20)}…` : text, text, type: 'application/json' })),
  ...['seconds: .inf', 'seconds: .nan', 'seconds: -.inf', 'seconds: 0x10', 'seconds: 1e13', 'seconds: 1e400', 'seconds: 0o17', 'seconds: 1_000', 'to: 2030-01-01', 'duration: 32d'].map(
    (text) => ({ name: `yaml ${text}`, text, type: 'application/yaml' }),
  ),
];

/** A clock case: a fresh world with due work, one hostile advance, then ordinary traffic on that world. */
async function clockCase(f: Fuzzer, c: { name: string; text: string; type: string }): Promise<void> {
  if (f.aborted) return;
  const key = `${KEYS.clock}${f.scratch++}`;
  const returnUrl: Pair = ['return_url', 'https://example.com/return'];
  try {
    await f.must(f.apiWire('POST', '/v1/webhook_endpoints', [['url', f.deadUrl], ['enabled_events[]', '*']], key));
    await f.must(f.apiWire('POST', '/v1/customers', [['email', 'clock@example.com']], key));
    await f.must(f.apiWire('POST', '/v1/payment_intents', [['amount', '2000'], ['currency', 'usd'], ['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl], key));
    await f.must(f.apiWire('POST', '/v1/payment_intents', [['amount', '3000'], ['currency', 'usd'], ['capture_method', 'manual'], ['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl], key));
  } catch (e) {
    f.fail('setup', `clock setup before ${c.name}`, '-', null, (e as Error).message);
    return;
  }
  const sig = `clock ${c.name}`;
  await f.exec({
    label: 'clock',
    sig,
    template: 'POST /__admin__/clock/advance',
    wire: { method: 'POST', path: '/__admin__/clock/advance', headers: { [CONTROL_TOKEN_HEADER]: CONTROL_TOKEN, Authorization: `Bearer ${key}`, 'Content-Type': c.type }, body: c.text },
    probes: [f.admin(key, '/__admin__/clock', (j) => j?.now), f.eventsTop(key)],
    check: (_s, json) => saneTimes(json) ?? (typeof json?.iso === 'string' && !Number.isNaN(Date.parse(json.iso)) ? null : `"iso": ${JSON.stringify(json?.iso)}`),
  });
  // Ordinary traffic on that world afterwards: a corrupted clock shows here.
  const after = `clock-after ${c.name}`;
  const probe = (template: string, wire: Wire): FuzzRequest => ({
    label: 'clock-after',
    sig: after,
    template,
    wire,
    check: (_s, json) => ((problem) => problem && `${problem}, after POST /__admin__/clock/advance ${show(c.text, 60)} on this world`)(saneTimes(json)),
  });
  const steps: FuzzRequest[] = [
    probe('GET /__admin__/clock', f.adminWire('GET', '/__admin__/clock', key)),
    probe('POST /v1/customers', f.apiWire('POST', '/v1/customers', [['email', 'after@example.com']], key)),
    probe('GET /v1/balance', f.apiWire('GET', '/v1/balance', undefined, key)),
    probe('POST /v1/payment_intents', f.apiWire('POST', '/v1/payment_intents', [['amount', '1000'], ['currency', 'usd'], ['payment_method', 'pm_card_visa'], ['confirm', 'true'], returnUrl], key)),
    probe('GET /v1/events', f.apiWire('GET', '/v1/events?limit=5', undefined, key)),
    probe('POST /__admin__/clock/advance', f.adminWire('POST', '/__admin__/clock/advance', key, { seconds: 3600 })),
    probe('GET /v1/payment_intents', f.apiWire('GET', '/v1/payment_intents?limit=5', undefined, key)),
    probe('GET /__admin__/world/next', f.adminWire('GET', '/__admin__/world/next', key)),
  ];
  for (const s of steps) {
    if (f.deadSigs.has(after)) break;
    await f.exec(s);
  }
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

function report(f: Fuzzer, elapsed: number): string {
  const groups = new Map<string, Failure[]>();
  for (const x of f.failures) {
    const cause = x.detail.split(' (the request before')[0].replace(/\b(cus|pi|ch|re|seti|pm|evt|we|txn|dp|du|fault)_[A-Za-z0-9]+/g, '<id>').replace(/\d+/g, 'N').slice(0, 160);
    // A server error groups by its logged cause; anything else by what found it.
    const key = x.kind === '5xx' || x.kind === 'crash' ? `${x.kind} | ${x.status} | ${cause}` : `${x.kind} | ${x.status} | ${x.label}`;
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  const lines = [
    `stripe-twin fuzz: seed ${SEED} (FUZZ_SEED=${SEED} to repeat), ${f.sent} fuzz requests + ${f.probeRequests} state probes + ${f.setupRequests} setup requests in ${(elapsed / 1000).toFixed(1)} s; ` +
      `${f.skipped} skipped after a freeze/crash of their signature; ${f.refused.length} the HTTP client refused to send; ${f.restarts} restart(s)${f.aborted ? `; ${f.aborted}` : ''}; ` +
      `control owner ${f.ownerEnforced ? 'enforced' : 'NOT enforced'}${f.notRun.length ? `; not run: ${f.notRun.join(', ')}` : ''}`,
    `phases: ${f.phases.join(', ')}`,
    `statuses: ${[...f.statuses].map(([k, v]) => `${k} ${v}`).join(', ')} (501 unsupported is the documented answer for what the twin does not model: allowed)`,
    `${f.failures.length} failing case(s) in ${groups.size} group(s):`,
  ];
  let n = 0;
  for (const [key, xs] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    const minimal = xs.reduce((a, b) => (b.repro.length < a.repro.length ? b : a));
    const sigs = [...new Set(xs.map((x) => x.sig))];
    lines.push(`\n${++n}. ${key}  ×${xs.length}${sigs.length > 1 ? ` over ${sigs.length} signatures` : ''}`);
    lines.push(`   repro (#${minimal.index}): ${minimal.repro || '(none)'}`);
    lines.push(`   detail: ${minimal.detail}`);
    for (const sig of sigs.filter((x) => x !== minimal.sig).slice(0, 2)) {
      const other = xs.filter((x) => x.sig === sig).reduce((a, b) => (b.repro.length < a.repro.length ? b : a));
      lines.push(`   also (#${other.index}): ${other.repro}`);
    }
    if (sigs.length > 1) lines.push(`   e.g.: ${sigs.slice(0, 6).join(' · ')}${sigs.length > 6 ? ' …' : ''}`);
  }
  return lines.join('\n');
}

describe('hostile-input fuzz over HTTP (seeded)', () => {
  test(`${'every API and control route'}: no crash, hang or 5xx; 4xx changes nothing; the bystander is untouched (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const f = new Fuzzer(rng);
    f.receiver = await startReceiver();
    f.deadUrl = `http://127.0.0.1:${await closedPort()}/dead`;
    const started = performance.now();
    try {
      await f.start();
      // The sweeps cover every route with every generator; the random phase fills the budget.
      const plan: { name: string; steps: Iterable<Step>; sweep: boolean }[] = [
        { name: 'API sweep', steps: apiSweep(f, rng), sweep: true },
        { name: 'API specials', steps: apiSpecials(f, rng), sweep: true },
        { name: 'clock cases', steps: CLOCK_BODIES.map((c) => ({ clock: c })), sweep: true },
        { name: 'control sweep', steps: controlSweep(f, rng), sweep: true },
        { name: 'API random', steps: apiRandom(f, rng, RANDOM_API_REQUESTS), sweep: false },
        { name: 'control random', steps: controlRandom(f, rng, RANDOM_CONTROL_REQUESTS), sweep: false },
      ];
      for (const phase of plan) {
        const phaseStarted = performance.now();
        let left = 0;
        for (const step of phase.steps) {
          if (f.aborted || performance.now() - started > FUZZ_BUDGET_MS) {
            left++;
            continue;
          }
          if ('clock' in step) await clockCase(f, step.clock);
          else await f.exec(step);
          if (f.sent % 250 === 0) await f.heartbeat();
        }
        f.phases.push(`${phase.name} ${((performance.now() - phaseStarted) / 1000).toFixed(1)} s`);
        if (left) f.notRun.push(`${phase.name}: ${left} step(s)`);
        if (left && phase.sweep) f.fail('incomplete', phase.name, '-', null, `${left} step(s) of the ${phase.name} not run (${f.aborted || `the ${FUZZ_BUDGET_MS / 1000} s budget ran out`})`);
      }
      if (f.aborted) f.fail('aborted', 'fuzz', '-', null, f.aborted);
      if (!f.ownerEnforced) {
        f.fail('control owner', 'GET /__admin__/worlds', '2xx', null, `the control surface answers without ${CONTROL_TOKEN_HEADER} or a key (serve --control-token not enforced)`);
      }
      // Coverage: every API route and every control route was sent at least once.
      const missing = [
        ...API_ROUTES.map((r) => `${r.method} ${r.path}`),
        ...CONTROL_ROUTES.map((r) => `${r.method} ${r.path}`),
      ].filter((t) => !f.coverage.get(t));
      if (missing.length) f.fail('coverage', 'coverage', '-', null, `routes never exercised: ${missing.join(', ')}`);
      // The end: alive, healthy within 1 s, the bystander untouched.
      if (!(await f.healthy())) f.fail(f.alive() ? 'freeze' : 'crash', 'end', '-', null, `/healthz did not answer within ${HEALTH_TIMEOUT_MS} ms at the end: ${f.run.out.err.slice(-300)}`);
      else {
        await f.checkBystander();
        await f.checkCanary();
      }
    } finally {
      await f.kill();
      f.agent.destroy();
      await f.receiver.close();
    }
    const text = report(f, performance.now() - started);
    if (process.env.FUZZ_VERBOSE) console.log(`${text}\nnot sent (HTTP client refused): ${f.refused.join(' · ') || 'none'}`);
    if (f.failures.length) throw new Error(text);
    expect(f.sent).toBeGreaterThan(3000);
    expect(f.bystanderChecks).toBe(1);
  });
});
