import crypto from 'node:crypto';
import type { TwinHandle } from '../index';
import type { ReplayHttpClient } from '../transport/replay';

// Repointing `new Stripe(...)` without touching user code, shared by the jest
// setup file and the node preload (`stripe-twin/register`).
//
// Every way of making a client — `new Stripe(key)` from a default import, the
// CommonJS callable form `require('stripe')(key)`, clients given
// `httpClient: Stripe.createFetchHttpClient()` or an `httpAgent` — ends in the
// core Stripe class's constructor, which reads its config through
// `_getPropsFromConfig`. Wrapping that one method on the class's prototype puts
// the twin's httpClient in place of stripe-node's own (node or fetch) clients.
// A custom httpClient the user passes (a replay client, a twin) is kept.
//
// Environment (read once per test file / process):
//   STRIPE_TWIN_MODE     in-process (default) | server | replay | off
//   STRIPE_TWIN_REPLAY   path of a capture (.yaml) to replay; implies replay mode
//   STRIPE_TWIN_REPLAY_FALLBACK=1  unmatched replay requests go to an in-process twin
//   STRIPE_TWIN_REPLAY_STRICT=1    requests must come in recorded order
//   STRIPE_TWIN_URL      base URL of a running twin (set by the jest globalSetup); implies server mode
//   STRIPE_TWIN_SEED     seed of in-process twins (default 0)
//   STRIPE_SECRET_KEY    set to sk_test_twin when unset, so `new Stripe(process.env.STRIPE_SECRET_KEY)` works

export type TwinMode = 'in-process' | 'server' | 'replay' | 'off';

export interface RepointSettings {
  mode: TwinMode;
  url?: string;
  replay?: string;
  fallback: boolean;
  strict: boolean;
  seed: string;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): RepointSettings {
  const raw = (env.STRIPE_TWIN_MODE ?? '').trim().toLowerCase().replace(/[_ ]/g, '-');
  let mode: TwinMode;
  if (!raw) mode = env.STRIPE_TWIN_REPLAY ? 'replay' : env.STRIPE_TWIN_URL ? 'server' : 'in-process';
  else if (raw === 'in-process' || raw === 'inprocess') mode = 'in-process';
  else if (raw === 'server' || raw === 'replay' || raw === 'off') mode = raw;
  else throw new Error(`stripe-twin: STRIPE_TWIN_MODE must be in-process, server, replay or off (got "${env.STRIPE_TWIN_MODE}")`);
  if (mode === 'replay' && !env.STRIPE_TWIN_REPLAY) throw new Error('stripe-twin: STRIPE_TWIN_MODE=replay needs STRIPE_TWIN_REPLAY=<path of a capture .yaml>');
  if (mode === 'server' && !env.STRIPE_TWIN_URL) {
    throw new Error('stripe-twin: STRIPE_TWIN_MODE=server needs STRIPE_TWIN_URL (start one with the jest globalSetup or `stripe-twin serve`)');
  }
  return {
    mode,
    url: env.STRIPE_TWIN_URL || undefined,
    replay: env.STRIPE_TWIN_REPLAY || undefined,
    fallback: truthy(env.STRIPE_TWIN_REPLAY_FALLBACK),
    strict: truthy(env.STRIPE_TWIN_REPLAY_STRICT),
    seed: env.STRIPE_TWIN_SEED ?? '0',
  };
}

/** The part of stripe-node's HttpClient interface the SDK calls. */
export interface HttpClientLike {
  getClientName(): string;
  makeRequest(
    host: string,
    port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
    protocol: string,
    timeout: number,
  ): Promise<unknown>;
}

/** A short stable tag for a test file (or script), used to give it its own API keys on a shared twin server. */
export function tagFor(name: string): string {
  return crypto.createHash('sha256').update(name).digest('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 10);
}

/**
 * A twin server shared by many test files: each file's keys get its tag
 * appended (`sk_test_abc` → `sk_test_abc_w<tag>`), so each file is its own
 * world (each key is its own account on the twin).
 */
class ServerHttpClient implements HttpClientLike {
  private readonly base: URL;
  private tag: string | null = null;

  constructor(
    url: string,
    private readonly inner: HttpClientLike,
    private readonly tagOf: () => string,
  ) {
    this.base = new URL(url);
  }

  getClientName(): string {
    return 'stripe-twin-server';
  }

  makeRequest(
    _host: string,
    _port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
    _protocol: string,
    timeout: number,
  ): Promise<unknown> {
    this.tag ??= this.tagOf();
    const out: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(headers)) {
      out[k] =
        k.toLowerCase() === 'authorization' && typeof v === 'string'
          ? v.replace(/^(Bearer\s+)((?:sk|rk)_test_\S+)$/i, (_m, lead: string, key: string) => `${lead}${key}_w${this.tag}`)
          : v;
    }
    const protocol = this.base.protocol.replace(/:$/, '');
    const port = this.base.port || (protocol === 'https' ? '443' : '80');
    return this.inner.makeRequest(this.base.hostname, port, path, method, out, requestData, protocol, timeout);
  }
}

/**
 * Builds, on first use, the httpClient every repointed Stripe client gets:
 * one per test file under jest (the module registry is per file), one per
 * process under the node preload.
 */
export class Repointer {
  private client: HttpClientLike | null = null;
  private twinHandle: TwinHandle | null = null;
  private tag: string | null = null;

  constructor(
    /** Who is asking, for error messages: `stripe-twin/jest`, `stripe-twin/register`. */
    private readonly face: string,
    readonly settings: RepointSettings,
    /** The tag of the current test file, asked when the first request is made. */
    private readonly tagOf: () => string,
  ) {}

  get active(): boolean {
    return this.settings.mode !== 'off';
  }

  /** The in-process twin (in-process mode, or replay with fallback), created on first use. */
  twin(): TwinHandle {
    const { mode, fallback } = this.settings;
    if (mode !== 'in-process' && !(mode === 'replay' && fallback)) throw new Error(`${this.face}: no in-process twin in ${mode} mode`);
    if (!this.twinHandle) {
      const { createTwin } = require('../index') as typeof import('../index');
      this.twinHandle = createTwin({ seed: this.settings.seed });
    }
    return this.twinHandle;
  }

  /** The key the twin sees for `key`: in server mode this file's own (`sk_test_x` → `sk_test_x_w<tag>`, as its Stripe clients send). */
  worldKey(key: string): string {
    return this.settings.mode === 'server' && /^(sk|rk)_test_\S+$/.test(key) ? `${key}_w${this.fileTag()}` : key;
  }

  /** The file's tag, asked once (the server client and worldKey must agree). */
  private fileTag(): string {
    return (this.tag ??= this.tagOf());
  }

  /** The replay client (replay mode), created on first use. */
  replay(): ReplayHttpClient {
    const { mode } = this.settings;
    if (mode !== 'replay') throw new Error(`${this.face}: not replaying (mode ${mode}); set STRIPE_TWIN_REPLAY=<capture.yaml>`);
    return this.httpClient() as unknown as ReplayHttpClient;
  }

  httpClient(): HttpClientLike {
    if (this.client) return this.client;
    const s = this.settings;
    if (s.mode === 'server') {
      const Stripe = require('stripe') as { createNodeHttpClient(): unknown };
      this.client = new ServerHttpClient(s.url!, Stripe.createNodeHttpClient() as unknown as HttpClientLike, () => this.fileTag());
    } else if (s.mode === 'replay') {
      const { createReplayClient } = require('../transport/replay') as typeof import('../transport/replay');
      const path = require('node:path') as typeof import('node:path');
      this.client = createReplayClient(path.resolve(s.replay!), {
        strict: s.strict,
        fallback: s.fallback ? this.twin() : undefined,
      }) as unknown as HttpClientLike;
    } else {
      this.client = this.twin().httpClient as unknown as HttpClientLike;
    }
    return this.client;
  }
}

const PATCHED = Symbol.for('stripe-twin.repoint');

/** stripe-node's own clients (replaced); any other httpClient is the user's choice and is kept. */
const BUILT_IN = new Set(['node', 'fetch']);

interface StripeProto {
  _getPropsFromConfig(config: unknown): Record<string, unknown>;
  [PATCHED]?: { original: (config: unknown) => Record<string, unknown>; client: () => HttpClientLike | null };
}

/** The prototype that owns `_getPropsFromConfig`: the core class behind the CJS callable wrapper or the ESM class. */
function coreProto(exported: unknown): StripeProto | null {
  const candidates = [exported, (exported as { default?: unknown } | null)?.default, (exported as { Stripe?: unknown } | null)?.Stripe];
  for (const c of candidates) {
    if (typeof c !== 'function') continue;
    let p = (c as { prototype?: object }).prototype ?? null;
    while (p && p !== Object.prototype) {
      if (Object.prototype.hasOwnProperty.call(p, '_getPropsFromConfig')) return p as StripeProto;
      p = Object.getPrototypeOf(p);
    }
  }
  return null;
}

/**
 * Makes every client of this stripe module (the value `require('stripe')` or
 * `import('stripe')` gave) use `client()`'s httpClient. Patching again only
 * swaps the client source. Returns false when `exported` is not stripe-node.
 */
export function patchStripeExport(exported: unknown, client: () => HttpClientLike | null): boolean {
  const proto = coreProto(exported);
  if (!proto) return false;
  const existing = proto[PATCHED];
  if (existing) {
    existing.client = client;
    return true;
  }
  const state = { original: proto._getPropsFromConfig, client };
  Object.defineProperty(proto, PATCHED, { value: state, configurable: true });
  proto._getPropsFromConfig = function (this: unknown, config: unknown) {
    const props = state.original.call(this, config);
    const target = state.client();
    if (!target) return props;
    const given = props.httpClient as HttpClientLike | undefined;
    if (given && !BUILT_IN.has(safeName(given))) return props;
    return { ...props, httpClient: target };
  };
  return true;
}

function safeName(client: HttpClientLike): string {
  try {
    return client.getClientName();
  } catch {
    return '';
  }
}

/** Sets STRIPE_SECRET_KEY to a test key when it is unset (a twin accepts any sk_test_ key). */
export function defaultSecretKey(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.STRIPE_SECRET_KEY) env.STRIPE_SECRET_KEY = 'sk_test_twin';
}
