import type Stripe from 'stripe';
import type { Twin } from '../engine/twin';
import type { TwinHandle } from '../index';
import type { RequestLogEntry } from '../server/stages';
import { CONTROL_TOKEN_ENV, CONTROL_TOKEN_HEADER, controlTokenOf, findControlToken, tokenFromFileFor } from './token';

// `stripe-twin/control`: a typed client for the control surface (/__admin__/*),
// over HTTP (`{url}`) or in-process (`{twin}`: the same pipeline, no socket).
// Each method is one control route; a control error (plain JSON
// `{"error": {"message", "at"?}}`) is thrown as a TwinControlError.
//
// Credentials: the control token (every world) is sent when the client has it —
// the `token` option, else STRIPE_TWIN_CONTROL_TOKEN, else, for a twin on this
// machine (a loopback URL), the token file `stripe-twin serve` wrote for its port;
// an in-process twin's own token always. Without one the client acts with its
// API key alone, on that key's world.

export interface TwinControlOptions {
  /** Base URL of a served twin (`http://127.0.0.1:12111`). */
  url?: string;
  /** An in-process twin: `createTwin()`'s handle or its engine. */
  twin?: TwinHandle | Twin;
  /** The world (API key) calls act on; sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** A connected account of that world to act on instead (`acct_…`), sent as `?account=`. */
  account?: string;
  /**
   * The twin's control token, sent as `Stripe-Twin-Control-Token` (`url` only: an
   * in-process twin's own is used). Default: STRIPE_TWIN_CONTROL_TOKEN, else the
   * token file of a twin served on this machine at that port.
   */
  token?: string;
}

export class TwinControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** Where in the body the problem is, when the twin says. */
    readonly at?: string,
  ) {
    super(message);
    this.name = 'TwinControlError';
  }
}

// --- what the routes answer ---

/** A world file (GET /__admin__/export): plain JSON, to keep or hand to a colleague. */
export interface WorldFile {
  format: 'stripe-twin.worlds/1';
  seed: string;
  accounts: unknown[];
}
export interface SnapshotInfo {
  name: string;
  /** The key of the world saved; null: every world. */
  key: string | null;
  worlds: { key: string; account: string }[];
  objects: number;
}

export interface SeedResult {
  worlds: Record<string, { account: string; created: Record<string, string[]> }>;
}
export interface WorldSummary {
  key: string;
  account: string;
  /** The account's default API version. */
  api_version: string;
  now: number;
  objects: Record<string, number>;
  /** Ids of its connected accounts. */
  connected_accounts: string[];
}
/** An account's network business profile, as the control surface answers it. */
export interface NetworkProfile {
  account: string;
  network_business_profile: string;
}

/** A key as the control surface answers it (whole: see docs/control.md, Keys). */
export interface KeyInfo {
  key: string;
  /** The account it opens. */
  account: string;
  kind: 'secret' | 'restricted';
  /** null: every permission; otherwise `rak_…` names (not enforced yet). */
  permissions: string[] | null;
  /** Made by the control surface (false for the key that opened the account). */
  minted: boolean;
}
export type NewKey = { kind?: 'secret' } | { kind?: 'restricted'; permissions: string[] };
export interface ClockState {
  now: number;
  iso: string;
  pending_tasks: number;
}
/** `90` (seconds), `"32d"` (s, m, h, d, w), `{to: <unix seconds>}`. */
export type Advance = number | string | { seconds: number } | { duration: string } | { to: number };

/** A fault to arm (see docs/control.md, Faults). */
export type FaultSpec =
  | 'timeout'
  | 'lost_response'
  | { status: 429; type?: 'rate_limit_error'; code?: 'rate_limit' | 'lock_timeout'; should_retry?: boolean }
  | { type: 'rate_limit_error'; status?: 429; code?: 'rate_limit' | 'lock_timeout'; should_retry?: boolean }
  | { status: 500; type?: 'api_error'; should_retry?: boolean }
  | { type: 'api_error'; status?: 500; should_retry?: boolean }
  | { status: 402; type?: 'card_error'; code?: string; decline_code?: string; should_retry?: boolean }
  | { type: 'card_error'; status?: 402; code?: string; decline_code?: string; should_retry?: boolean }
  | { type: 'timeout'; delay_ms?: number }
  | { type: 'lost_response'; mode?: 'drop' | '500' };

export interface ArmFault {
  /** `payment_intents`, or `*` (default). */
  resource?: string;
  /** `create`, `retrieve`, `update`, `delete`, `list`, `search`, an action (`confirm`), or `*` (default). */
  operation?: string;
  /** How many matching calls it applies to (default 1). */
  times?: number;
  fault: FaultSpec;
  /** For `fault: "lost_response"`. */
  mode?: 'drop' | '500';
}
export interface ArmedFaultInfo {
  id: string;
  resource: string;
  operation: string;
  times: number;
  remaining: number;
  fault: Record<string, unknown>;
}

export interface RequestFilters {
  limit?: number;
  method?: string;
  /** Exact, or a prefix ending in `*` (`/v1/payment_intents*`). */
  path?: string;
  /** `402`, a class (`5xx`) or `dropped`. */
  status?: number | string;
  idempotency_key?: string;
  request_id?: string;
  faulted?: boolean;
  replayed?: boolean;
}
export interface RequestLog {
  data: RequestLogEntry[];
  matched: number;
  total: number;
  kept: number;
}
export type { RequestLogEntry };
/** One request of the log with, while kept (the newest 200), its headers and bodies. */
export interface RequestDetail extends RequestLogEntry {
  exchange: {
    query: string;
    /** The API key masked, cookies left out. */
    request_headers: Record<string, string>;
    request_body: string;
    response_headers: Record<string, string>;
    response_body: string;
  } | null;
}

export interface EventFilters {
  limit?: number;
  /** Exact, or with `*` wildcards (`payment_intent.*`). */
  type?: string;
  /** The id of the event's object. */
  object?: string;
  request_id?: string;
}
export interface EventLogEntry {
  id: string;
  type: string;
  created: number;
  object: string;
  request_id: string | null;
  idempotency_key: string | null;
  pending_webhooks: number;
}
export interface EventLog {
  data: EventLogEntry[];
  matched: number;
  total: number;
}

export interface CatalogueParam {
  in: 'body' | 'query';
  type: 'string' | 'integer' | 'boolean' | 'object' | 'array';
  description: string;
  required?: boolean;
  enum?: string[];
}

export interface Catalogue {
  api: { method: string; path: string; description: string }[];
  control: { method: string; path: string; description: string; scope: 'world' | 'twin'; params: Record<string, CatalogueParam> }[];
  triggers: TriggerCatalogue['triggers'];
}

export type TriggerName = 'payment.declined' | 'payment.requires_action' | 'authentication.succeeded' | 'authentication.failed' | 'dispute.created' | 'refund.failed';
/** The object a trigger acts on (one of them, by type or as `<type>_id`) and its parameters (`decline_code`, `at`, `reason`, `inquiry`, `failure_reason`). */
export interface TriggerParams {
  payment_intent?: string;
  setup_intent?: string;
  charge?: string;
  refund?: string;
  subscription?: string;
  payment_intent_id?: string;
  setup_intent_id?: string;
  charge_id?: string;
  refund_id?: string;
  subscription_id?: string;
  decline_code?: string;
  /** payment.declined on a subscription: which charge (`next_renewal`). */
  at?: 'next_renewal';
  reason?: string;
  inquiry?: boolean;
  failure_reason?: string;
}
export interface TriggerResult {
  trigger: TriggerName;
  /** What is armed for the object's next step (a forced decline or challenge). */
  armed?: Record<string, unknown>;
  /** The object after the trigger. */
  object: Record<string, any>;
  /** The events it emitted, in order. */
  events: { id: string; type: string }[];
  [objectParam: string]: unknown;
}
export interface WorldNext {
  now: number;
  triggers: { trigger: TriggerName; objects: Record<string, string>[]; has_more: boolean; needs?: string[] }[];
  armed: Record<string, string>[];
}
export interface TriggerCatalogue {
  triggers: { trigger: TriggerName; description: string; like: string[]; on: string[]; when: string; params: Record<string, unknown> }[];
}

export interface Pin {
  scope: string;
  path: string;
  value: unknown;
}

export interface WebhookEndpointInfo {
  id: string;
  url: string;
  enabled_events: string[];
  status: string;
  api_version: string | null;
  /** A `stripe-twin listen` session rather than a /v1/webhook_endpoints endpoint. */
  listener: boolean;
  secret: string;
}
export interface WebhookDelivery {
  id: string;
  event: string;
  type: string;
  endpoint: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: { attempt: number; at: number; status: number | null; latency_ms: number; [k: string]: unknown }[];
  next_attempt_at: number | null;
  created: number;
}
export interface DeliveryFilters {
  event?: string;
  endpoint?: string;
  state?: 'pending' | 'succeeded' | 'failed';
}

type Query = Record<string, string | number | boolean | undefined>;

export class TwinControl {
  readonly key: string | undefined;
  private readonly send: (method: string, path: string, body: unknown, key: string | undefined) => Promise<{ status: number; text: string }>;

  constructor(private readonly options: TwinControlOptions) {
    this.key = options.key;
    if (options.twin && options.url) throw new TypeError('TwinControl: give either "url" or "twin", not both');
    if (options.twin) {
      const engine = 'engine' in options.twin ? options.twin.engine : options.twin;
      // Loaded here, so an HTTP-only client does not load the engine.
      const { handleRequest } = require('../server/pipeline') as typeof import('../server/pipeline');
      // An in-process twin trusts its own process: its calls carry the engine's token.
      const token = controlTokenOf(engine);
      this.send = async (method, path, body, key) => {
        const headers = headersFor(body, key, token);
        const res = await handleRequest(engine, { method, url: path, headers, readBody: async () => Buffer.from(encode(body)) });
        return { status: res.status, text: res.body };
      };
    } else if (options.url) {
      const base = options.url.replace(/\/+$/, '');
      // Found on first use (a twin started after this client still counts). A token from the token file is
      // looked up again on a 401: a twin restarted on that port wrote a new one, or the file was left by a
      // twin that is gone (then the key alone is tried).
      let token: string | undefined;
      let found = false;
      const request = async (method: string, path: string, body: unknown, key: string | undefined) => {
        const res = await fetch(base + path, { method, headers: headersFor(body, key, token), body: body === undefined ? undefined : encode(body) });
        return { status: res.status, text: await res.text() };
      };
      this.send = async (method, path, body, key) => {
        if (!found) {
          token = findControlToken(base, options.token);
          found = true;
        }
        const res = await request(method, path, body, key);
        if (res.status !== 401 || options.token || process.env[CONTROL_TOKEN_ENV]) return res;
        const fresh = tokenFromFileFor(base);
        const next = fresh === token ? undefined : fresh;
        if (next === token) return res;
        token = next;
        return request(method, path, body, key);
      };
    } else {
      throw new TypeError('TwinControl: give "url" (a served twin) or "twin" (an in-process one)');
    }
  }

  /** The same twin, acting on another world. */
  forKey(key: string): TwinControl {
    return new TwinControl({ ...this.options, key, account: undefined });
  }

  /** The same twin, acting on a connected account (`acct_…`) of this client's world. */
  forAccount(account: string): TwinControl {
    return new TwinControl({ ...this.options, account });
  }

  /** This world's keys: `create()` a secret one, `create({permissions: ["rak_customer_read"]})` a restricted one. */
  readonly keys = {
    create: (options: NewKey = {}): Promise<KeyInfo> => this.call('POST', '/__admin__/keys', options),
    list: (): Promise<{ account: string; keys: KeyInfo[] }> => this.call('GET', '/__admin__/keys'),
  };

  /** Connected accounts of this world (a platform once it has one): reach one with `{ stripeAccount: id }` or `forAccount(id)`. */
  readonly accounts = {
    connect: (type?: 'standard' | 'express' | 'custom'): Promise<{ id: string; platform: string }> => this.call('POST', '/__admin__/accounts', type ? { type } : undefined),
    /** Completes the Stripe-hosted onboarding of a connected account with test values; answers the Account. */
    onboard: (id: string): Promise<Record<string, any>> => this.call('POST', `/__admin__/accounts/${encodeURIComponent(id)}/onboard`),
    list: (): Promise<{ account: string; connected_accounts: { id: string; now: number }[] }> => this.call('GET', '/__admin__/accounts'),
  };

  /** This world's network business profile (`profile_test_…`), the seller Shared Payment Tokens are issued to; `choose(null)` returns to the derived one. */
  readonly profile = {
    get: (): Promise<NetworkProfile> => this.call('GET', '/__admin__/profile'),
    choose: (networkBusinessProfile: string | null): Promise<NetworkProfile> => this.call('POST', '/__admin__/profile', { network_business_profile: networkBusinessProfile }),
  };

  /**
   * Seeds worlds: sections for this client's world, `{worlds: {key: sections}}`,
   * a YAML string, or one section as `seed('prices', [...])`.
   */
  seed(data: Record<string, unknown> | string, entries?: unknown[]): Promise<SeedResult> {
    return this.call('POST', '/__admin__/seed', entries === undefined ? data : { [data as string]: entries });
  }

  /** Forgets this client's world (its objects, clock, faults and logs), or every world with `{all: true}`. */
  reset(options: { all?: boolean } = {}): Promise<{ reset: string }> {
    return this.call('POST', '/__admin__/reset', {}, {}, options.all ? null : this.key);
  }

  /** Sets this world's default API version (requests without Stripe-Version, events, webhook endpoints without their own). */
  setApiVersion(version: string): Promise<{ account: string; api_version: string }> {
    return this.call('POST', '/__admin__/api_version', { api_version: version });
  }

  worlds(): Promise<{ worlds: WorldSummary[] }> {
    return this.call('GET', '/__admin__/worlds');
  }

  /** What the twin answers: its modeled API routes, control routes and triggers, with descriptions and parameters. */
  catalogue(): Promise<Catalogue> {
    return this.call('GET', '/__admin__');
  }

  readonly clock = {
    get: (): Promise<ClockState> => this.call('GET', '/__admin__/clock'),
    advance: (by: Advance): Promise<ClockState> =>
      this.call('POST', '/__admin__/clock/advance', typeof by === 'number' ? { seconds: by } : typeof by === 'string' ? { duration: by } : by),
  };

  readonly intents = {
    /** Finishes a pending 3D Secure challenge on a PaymentIntent or SetupIntent. */
    authenticate: (id: string, outcome: 'succeed' | 'fail'): Promise<Stripe.PaymentIntent | Stripe.SetupIntent> =>
      this.call('POST', `/__admin__/intents/${encodeURIComponent(id)}/authenticate`, { outcome }),
  };

  readonly checkout = {
    /**
     * Completes an open Checkout Session as its customer would on the hosted page: `card` (a test card number,
     * default 4242…) or `payment_method`; a decline throws (402) and leaves it open. Answers the session.
     */
    complete: (id: string, options: { card?: string; payment_method?: string; email?: string; name?: string } = {}): Promise<Stripe.Checkout.Session> =>
      this.call('POST', `/__admin__/checkout/sessions/${encodeURIComponent(id)}/complete`, options),
  };

  readonly faults = {
    /** `arm({resource, operation, times, fault})`, or `arm("payment_intents", "create", {status: 429}, {times: 2})`. */
    arm: (
      spec: ArmFault | string,
      operation?: string,
      fault?: FaultSpec,
      options: { times?: number; mode?: 'drop' | '500' } = {},
    ): Promise<ArmedFaultInfo> =>
      this.call('POST', '/__admin__/faults', typeof spec === 'string' ? { resource: spec, operation, fault, ...options } : spec),
    list: (): Promise<{ faults: ArmedFaultInfo[] }> => this.call('GET', '/__admin__/faults'),
    /** Disarms one fault by id, or all of this world's. */
    clear: (id?: string): Promise<{ cleared: number; fault?: ArmedFaultInfo }> =>
      this.call('DELETE', id === undefined ? '/__admin__/faults' : `/__admin__/faults/${encodeURIComponent(id)}`),
  };

  /**
   * Snapshots (docs/durability.md): `save(name)` keeps this client's world under a
   * name in the twin's memory (`{all: true}`: every world, with the control token);
   * `restore(name)` puts it back — into this client's world, a copy when it was
   * another's (`{all: true}`: as saved).
   */
  readonly snapshots = {
    save: (name: string, options: { all?: boolean } = {}): Promise<SnapshotInfo> => this.call('POST', '/__admin__/snapshots', { name }, {}, options.all ? null : this.key),
    restore: (name: string, options: { all?: boolean } = {}): Promise<{ name: string; restored: { key: string; account: string }[] }> =>
      this.call('POST', `/__admin__/snapshots/${encodeURIComponent(name)}/restore`, {}, {}, options.all ? null : this.key),
    list: (): Promise<{ snapshots: SnapshotInfo[] }> => this.call('GET', '/__admin__/snapshots'),
    delete: (name: string): Promise<{ name: string; deleted: true }> => this.call('DELETE', `/__admin__/snapshots/${encodeURIComponent(name)}`),
  };

  /** This client's world as a file (JSON) another twin imports; `{all: true}`: every world (control token). */
  exportWorld(options: { all?: boolean } = {}): Promise<WorldFile> {
    return this.call('GET', '/__admin__/export', undefined, {}, options.all ? null : this.key);
  }

  /** Loads a world file into this client's world (a copy of its one world); `{all: true}`: each world under its own key. */
  importWorld(file: WorldFile, options: { all?: boolean } = {}): Promise<{ restored: { key: string; account: string }[] }> {
    return this.call('POST', '/__admin__/import', file, {}, options.all ? null : this.key);
  }

  /** The request log, newest first. */
  requests(filters: RequestFilters = {}): Promise<RequestLog> {
    return this.call('GET', '/__admin__/requests', undefined, filters as Query);
  }

  /** One request of the log by its Request-Id, with its headers and bodies while they are kept. */
  request(id: string): Promise<RequestDetail> {
    return this.call('GET', `/__admin__/requests/${encodeURIComponent(id)}`);
  }

  /** The event log, newest first; `events.resend(id)` delivers an event again. */
  readonly events = Object.assign((filters: EventFilters = {}): Promise<EventLog> => this.call('GET', '/__admin__/events', undefined, filters as Query), {
    /** To the endpoints it went to, or to one `endpoint`; answers the new deliveries (drained). */
    resend: (id: string, options: { endpoint?: string } = {}): Promise<{ deliveries: WebhookDelivery[] }> =>
      this.call('POST', `/__admin__/events/${encodeURIComponent(id)}/resend`, options),
  });

  /** Force a branch: world triggers, and what can be triggered now. */
  readonly world = {
    /** `trigger("payment.declined", {payment_intent: "pi_…", decline_code: "insufficient_funds"})`. */
    trigger: (name: TriggerName, params: TriggerParams): Promise<TriggerResult> => this.call('POST', '/__admin__/world/trigger', { ...params, trigger: name }),
    /** The triggers whose preconditions hold now, with their objects (newest first), and what is armed. */
    next: (options: { limit?: number } = {}): Promise<WorldNext> => this.call('GET', '/__admin__/world/next', undefined, options),
    /** Every trigger with its parameters. */
    triggers: (): Promise<TriggerCatalogue> => this.call('GET', '/__admin__/world/triggers'),
  };

  /** Pinned exogenous values (`charge.outcome.risk_score`, `payment_method.card.last4`, `balance.available.usd`, …). */
  readonly exogenous = {
    /** `pin({"charge.outcome.risk_score": 92})`, optionally for one object (`{scope: "pi_…"}`); answers every pin. */
    pin: (pins: Record<string, unknown>, options: { scope?: string } = {}): Promise<{ pins: Pin[] }> =>
      this.call('POST', '/__admin__/exogenous', { ...options, pins }),
    list: (): Promise<{ pins: Pin[] }> => this.call('GET', '/__admin__/exogenous'),
    /** Clears every pin, or those of a scope and/or under a path. */
    clear: (options: { scope?: string; path?: string } = {}): Promise<{ cleared: number; pins: Pin[] }> =>
      this.call('DELETE', '/__admin__/exogenous', undefined, options),
  };

  readonly webhooks = {
    /** Endpoints (and listen sessions) with their signing secrets. */
    endpoints: (): Promise<{ endpoints: WebhookEndpointInfo[] }> => this.call('GET', '/__admin__/webhooks/endpoints'),
    /** An endpoint's `whsec_` secret, stable for the world. */
    secret: (endpoint: string): Promise<{ id: string; secret: string }> =>
      this.call('GET', `/__admin__/webhooks/endpoints/${encodeURIComponent(endpoint)}/secret`),
    /** The delivery log, newest first. */
    deliveries: (filters: DeliveryFilters = {}): Promise<{ deliveries: WebhookDelivery[] }> =>
      this.call('GET', '/__admin__/webhooks/deliveries', undefined, filters as Query),
    /** Delivers what is due now and waits for it; answers the counts by state. */
    drain: (): Promise<{ pending: number; succeeded: number; failed: number }> => this.call('POST', '/__admin__/webhooks/drain'),
    /** Listen sessions (what `stripe-twin listen` registers): every matching event forwarded to `url`. */
    listen: (url: string, options: { events?: string[] } = {}): Promise<{ id: string; url: string; enabled_events: string[]; api_version: string; secret: string }> =>
      this.call('POST', '/__admin__/webhooks/listeners', { url, ...options }),
    unlisten: (id: string): Promise<{ id: string; deleted: true }> => this.call('DELETE', `/__admin__/webhooks/listeners/${encodeURIComponent(id)}`),
  };

  /** One control call; answers the parsed JSON or throws a TwinControlError. */
  async call<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, query: Query = {}, key: string | null | undefined = this.key): Promise<T> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) search.set(k, String(v));
    if (this.options.account !== undefined && !search.has('account')) search.set('account', this.options.account);
    const qs = search.toString();
    const url = qs ? `${path}?${qs}` : path;
    const { status, text } = await this.send(method, url, method === 'POST' ? body ?? {} : undefined, key ?? undefined);
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TwinControlError(`The twin answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`, status);
    }
    if (status >= 400) throw new TwinControlError(json?.error?.message ?? `The twin answered ${status}`, status, json?.error?.at);
    return json as T;
  }
}

function headersFor(body: unknown, key: string | undefined, token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'application/yaml' : 'application/json';
  if (key) headers.authorization = `Bearer ${key}`;
  if (token) headers[CONTROL_TOKEN_HEADER.toLowerCase()] = token;
  return headers;
}

export { CONTROL_TOKEN_HEADER };

const encode = (body: unknown) => (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
