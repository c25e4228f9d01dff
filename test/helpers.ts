import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Stripe from 'stripe';
import { createTwin, handleRequest, TwinHandle, TwinOptions } from '../src';
import { StripeError } from '../src/engine/errors';
import { TwinControl } from '../src/control/client';

// Test harness: the same suites run against the twin over real HTTP and in-process.

export type Mode = 'http' | 'in-process';
export const MODES: Mode[] = ['http', 'in-process'];

export interface Harness {
  mode: Mode;
  twin: TwinHandle;
  /** A stripe client for `key` (a fresh world per key); `config` adds settings (retries, timeout) to the harness's. */
  stripe(key?: string, config?: Stripe.StripeConfig): Stripe;
  /** The typed control client (`stripe-twin/control`) for the world of `key`, over the harness's transport. */
  control(key?: string): TwinControl;
  /** Base URL when serving over HTTP. */
  url: string;
  /** A control-surface call for the world of `key`, with the twin's control token: an object body is sent as JSON, a string as YAML. */
  admin(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/** The API key a stripe client from a harness was made with. */
export function keyOf(stripe: Stripe): string {
  return currentKeys.get(stripe)!;
}
const currentKeys = new WeakMap<Stripe, string>();

const encode = (body: unknown) => (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
const contentType = (body: unknown) => (typeof body === 'string' ? 'application/yaml' : 'application/json');

let keyCounter = 0;
/** A fresh API key: each key is its own world, so tests do not see each other's objects. */
export function freshKey(label = 'test'): string {
  return `sk_test_${label}_${process.pid}_${keyCounter++}`;
}

export async function startHarness(mode: Mode, options: TwinOptions = {}): Promise<Harness> {
  const twin = createTwin(options);
  const remember = (stripe: Stripe, key: string) => (currentKeys.set(stripe, key), stripe);
  const admin = async (method: string, path: string, body?: unknown, key?: string) => {
    const headers: Record<string, string> = { 'content-type': contentType(body), 'stripe-twin-control-token': twin.controlToken };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await handleRequest(twin.engine, { method, url: path, headers, readBody: async () => Buffer.from(encode(body)) });
    return { status: res.status, json: JSON.parse(res.body) };
  };
  if (mode === 'in-process') {
    return {
      mode,
      twin,
      url: '',
      admin,
      stripe: (key = freshKey(), config) => remember(twin.stripe(key, config), key),
      control: (key) => new TwinControl({ twin, key }),
      close: async () => undefined,
    };
  }
  const server = await twin.listen(0);
  const { port } = new URL(server.url);
  return {
    mode,
    twin,
    url: server.url,
    admin: async (method, path, body, key) => {
      const res = await raw(server.url, method, path, {
        key: key ?? null,
        body: body === undefined ? undefined : encode(body),
        headers: { 'Stripe-Twin-Control-Token': twin.controlToken, ...(body === undefined ? {} : { 'Content-Type': contentType(body) }) },
      });
      return { status: res.status, json: res.json };
    },
    stripe: (key = freshKey(), config) =>
      remember(new Stripe(key, { host: '127.0.0.1', port: Number(port), protocol: 'http', maxNetworkRetries: 0, ...config }), key),
    control: (key) => new TwinControl({ url: server.url, key, token: twin.controlToken }),
    close: server.close,
  };
}

/**
 * Starts a harness for the enclosing describe block and a fresh world (a new
 * key) for each test: `t.h` is the harness, `t.key` the test's key, `t.stripe`
 * its client.
 */
export function useHarness(mode: Mode, options: TwinOptions = {}): { h: Harness; key: string; stripe: Stripe; port: number } {
  const t = {} as { h: Harness; key: string; stripe: Stripe; port: number };
  beforeAll(async () => {
    t.h = await startHarness(mode, options);
    t.port = t.h.url ? Number(new URL(t.h.url).port) : 0;
  });
  afterAll(() => t.h.close());
  beforeEach(() => {
    t.key = freshKey();
    t.stripe = t.h.stripe(t.key);
  });
  return t;
}

/**
 * Runs `script` on a fresh twin made with `options` (a seed) three times — over
 * HTTP twice, then in-process — and expects the same recorded values each time:
 * `record` keeps the JSON of what it is given.
 */
export async function expectSameRuns(
  options: TwinOptions,
  script: (h: Harness, record: (value: unknown) => void) => Promise<void>,
): Promise<void> {
  const run = async (mode: Mode) => {
    const h = await startHarness(mode, options);
    const out: string[] = [];
    try {
      await script(h, (value) => out.push(JSON.stringify(value)));
    } finally {
      await h.close();
    }
    return out;
  };
  const first = await run('http');
  expect(first.length).toBeGreaterThan(0);
  expect(await run('http')).toEqual(first);
  expect(await run('in-process')).toEqual(first);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

/** A raw HTTP request, for what the SDK hides (exact bytes, headers, malformed input). */
export function raw(
  url: string,
  method: string,
  path: string,
  options: { key?: string | null; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const target = new URL(path, url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null) headers.Authorization = `Bearer ${options.key ?? 'sk_test_raw'}`;
  if (options.body !== undefined) {
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers }, (res) =>
      readResponse(res).then(resolve, reject),
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Reads a whole response: status, headers, body, and the body as JSON when it is JSON. */
export function readResponse(res: http.IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
    });
  });
}

/** Expects `promise` to reject with a Stripe error and returns it. */
export async function stripeError(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a Stripe error, got a success');
}

/** Brief 001's restricted-key table (Resource → permission; docs/agents.md §4.4), as the Dashboard shows it: a seed's `keys[].permissions` as written. */
export const BRIEF_001_PERMISSIONS = {
  Balance: 'Read',
  Customers: 'Read',
  'Payment Intents': 'Read',
  'Payment Links': 'Write',
  Invoices: 'Read',
  Refunds: 'Write',
  Subscriptions: 'Read',
};

/** Expects `f` to throw a StripeError (an engine call, no request) and returns it. */
export function refusal(f: () => unknown): StripeError {
  try {
    f();
  } catch (e) {
    if (e instanceof StripeError) return e;
    throw e;
  }
  throw new Error('expected a StripeError');
}

// --- the built CLI, as a user runs it (`npm test` builds first) ---

export const CLI = path.join(__dirname, '..', 'dist', 'cli.js');

export interface CliRun {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  out: { text: string; err: string };
  /** Resolves with the first match of `pattern` in stdout; rejects if the child exits first or time runs out. */
  until(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code, once the child has exited and its output is read. */
  exited: Promise<number | null>;
}

/** Runs `stripe-twin <args>` with its output collected. */
export function cli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const out = { text: '', err: '' };
  child.stdout!.on('data', (c) => (out.text += c));
  child.stderr!.on('data', (c) => (out.err += c));
  const until = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const look = () => {
        const m = out.text.match(pattern);
        if (m) return resolve(m);
        if (child.exitCode !== null) return reject(new Error(`exited with ${child.exitCode}: ${out.text}${out.err}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`no ${pattern} in: ${out.text}${out.err}`));
        setTimeout(look, 10);
      };
      look();
    });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, out, until, exited };
}

/** Ends a child with SIGTERM and waits for it to exit (at once when it already has). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A local port nothing listens on (it was free a moment ago). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs an ESM script (one that drives an ESM-only package such as mppx, which
 * jest's CommonJS cannot load) with `env`, without blocking the twin this
 * process serves, and returns the JSON of its last stdout line and its stderr.
 */
export function runModuleScript(file: string, env: Record<string, string>): Promise<{ result: any; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ result: JSON.parse(out.trim().split('\n').pop()!), stderr });
      } catch {
        reject(new Error(`${path.basename(file)} exited ${code}: ${stderr || out}`));
      }
    });
  });
}
