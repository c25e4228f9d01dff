import { routes } from '../resources';
import { operationOf } from '../control/faults';
import { ScenarioError } from './errors';

// `## Seed State` onto the twin's own mechanisms (docs/scenarios.md): brief
// 000's flat shape — `api_keys` [{key, sid, account_id}], `payment_intents`,
// `charges`, `refunds`, `failure_injection` — beside the twin's own seed
// sections (customers, products, prices, subscriptions, … as POST
// /__admin__/seed takes them). The plan is a list of control-surface calls.
//
// Twin choices where the brief's shape says nothing: entries may be written as
// Stripe objects (read-only fields such as `object`, `created`, `livemode` are
// dropped); a PaymentIntent's `status` is reached the way the API reaches it; a
// seeded charge gets a PaymentIntent of its own (a charge's `payment_intent` is
// dropped); `account_id` groups keys into accounts, but the account's id is the
// twin's (the report maps one to the other).

export interface SeedKey {
  key: string;
  /** The session id (`/s/<sid>`); every key that has one gets a session. */
  sid?: string;
  account_id: string;
  permissions?: unknown;
}

export interface ControlCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface SeedPlan {
  keys: SeedKey[];
  /** The opening key of each account (brief `account_id` → key). */
  accounts: Map<string, string>;
  /** The seed, as one POST /__admin__/seed. */
  seed: ControlCall;
  /** Faults to arm once the seeded states are reached (after `api`). */
  faults: ControlCall[];
  /** API calls made after the seed to reach seeded states (a settled crypto deposit, a cancellation): [key, method, path, params]. */
  api: { key: string; method: string; path: string; params: Record<string, unknown> }[];
}

export const DEFAULT_KEY = 'sk_test_pome_default';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read-only fields of Stripe objects, dropped from entries written as objects. */
const READ_ONLY = ['object', 'created', 'livemode', 'client_secret', 'amount_received', 'amount_capturable', 'latest_charge', 'next_action', 'last_payment_error', 'charges', 'balance_transaction', 'paid', 'captured', 'outcome', 'receipt_url', 'status', 'refunded', 'amount_refunded'];

function strip(entry: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(entry)) if (!READ_ONLY.includes(k)) out[k] = v;
  return out;
}

/** A PaymentIntent entry: its `status` reached as the API reaches it. */
function paymentIntent(entry: Record<string, any>, i: number, after: SeedPlan['api'], key: string): Record<string, any> {
  const params = strip(entry);
  const status = entry.status;
  const types: string[] = params.payment_method_types ?? params.allowed_payment_method_types ?? [];
  const crypto = types.includes('crypto');
  if (status === undefined || status === 'requires_payment_method') return params;
  if (typeof params.id !== 'string' && (status === 'succeeded' || status === 'canceled') && crypto) {
    throw new ScenarioError(`## Seed State: payment_intents[${i}] needs an "id" to be seeded ${status}`);
  }
  if (crypto && (status === 'requires_action' || status === 'succeeded')) {
    Object.assign(params, { payment_method_data: { type: 'crypto' }, payment_method_options: { crypto: { mode: 'deposit', ...params.payment_method_options?.crypto } }, confirm: true });
    if (status === 'succeeded') after.push({ key, method: 'POST', path: `/v1/test_helpers/payment_intents/${params.id}/simulate_crypto_deposit`, params: {} });
    return params;
  }
  if (!crypto && status === 'succeeded') return { payment_method: 'pm_card_visa', ...params, confirm: true };
  if (!crypto && status === 'requires_confirmation') return { payment_method: 'pm_card_visa', ...params };
  if (status === 'canceled') {
    if (typeof params.id !== 'string') throw new ScenarioError(`## Seed State: payment_intents[${i}] needs an "id" to be seeded canceled`);
    after.push({ key, method: 'POST', path: `/v1/payment_intents/${params.id}/cancel`, params: {} });
    return params;
  }
  throw new ScenarioError(`## Seed State: payment_intents[${i}]: status ${JSON.stringify(status)} cannot be seeded (requires_payment_method, requires_confirmation, requires_action and succeeded (crypto), succeeded (card), canceled)`);
}

/** A failure_injection rule as POST /__admin__/faults takes it: `{route: "POST /v1/refunds", type: "lost_response"}` or the twin's own {resource, operation, fault}. */
function fault(rule: unknown, i: number, primary: string): ControlCall {
  const at = `## Seed State: failure_injection[${i}]`;
  if (!isObject(rule)) throw new ScenarioError(`${at} must be an object like {"route": "POST /v1/refunds", "type": "lost_response"}`);
  const { route, method: m, path: p, type, status, mode, times, key, resource, operation, fault: given, ...rest } = rule;
  let target: { resource: string; operation: string };
  if (route !== undefined || p !== undefined) {
    const [method, path] = route !== undefined ? String(route).trim().split(/\s+/, 2) : [String(m ?? 'POST'), String(p)];
    const match = routes.match(method.toUpperCase(), path ?? '');
    if (!match || match === 'wrong-method') throw new ScenarioError(`${at}: ${method} ${path} is not a route of the twin`);
    target = operationOf(method.toUpperCase(), match.value.path, match.value.list);
  } else target = { resource: resource ?? '*', operation: operation ?? '*' };
  const spec = given ?? (type !== undefined || status !== undefined ? { ...(type !== undefined ? { type } : {}), ...(status !== undefined ? { status } : {}), ...rest } : undefined);
  if (spec === undefined) throw new ScenarioError(`${at} needs a "type" (lost_response, timeout, rate_limit_error, api_error, card_error) or a "status"`);
  return {
    method: 'POST',
    path: '/__admin__/faults',
    body: { key: key ?? primary, ...target, fault: spec, ...(mode !== undefined ? { mode } : {}), ...(times !== undefined ? { times } : {}) },
  };
}

export function planSeed(seed: Record<string, unknown>): SeedPlan {
  const { api_keys: apiKeys, failure_injection: faults, worlds, ...sections } = seed as Record<string, any>;
  const keys: SeedKey[] = (apiKeys ?? [{ key: DEFAULT_KEY, sid: 'default', account_id: 'acct_default' }]).map((k: unknown, i: number) => {
    if (!isObject(k) || typeof k.key !== 'string' || !/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(k.key)) {
      throw new ScenarioError(`## Seed State: api_keys[${i}] must be {"key": "sk_test_…" or "rk_test_…", "sid", "account_id"}`);
    }
    if (k.sid !== undefined && (typeof k.sid !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(k.sid))) throw new ScenarioError(`## Seed State: api_keys[${i}].sid must be letters, digits, "_", "." or "-"`);
    return { key: k.key, sid: k.sid, account_id: typeof k.account_id === 'string' ? k.account_id : 'acct_default', permissions: k.permissions };
  });
  if (!keys.length) throw new ScenarioError('## Seed State: api_keys is empty');
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw new ScenarioError('## Seed State: a key appears twice in api_keys');
  const sids = keys.flatMap((k) => (k.sid === undefined ? [] : [k.sid]));
  if (new Set(sids).size !== sids.length) throw new ScenarioError('## Seed State: a sid appears twice in api_keys (each is one session)');

  // Each account is opened by its first secret key without permissions (or one named after the account), and its other keys minted on it.
  const accounts = new Map<string, string>();
  const minted = new Map<string, Record<string, unknown>[]>();
  for (const account of new Set(keys.map((k) => k.account_id))) {
    const own = keys.filter((k) => k.account_id === account);
    const opener = own.find((k) => k.key.startsWith('sk_') && k.permissions === undefined)?.key ?? `sk_test_${account.replace(/[^A-Za-z0-9_]/g, '_')}_owner`;
    accounts.set(account, opener);
    minted.set(opener, own.filter((k) => k.key !== opener).map((k) => ({ key: k.key, ...(k.permissions !== undefined ? { permissions: k.permissions } : {}) })));
  }
  const primary = accounts.get(keys[0].account_id)!;

  const api: SeedPlan['api'] = [];
  const own: Record<string, any> = {};
  for (const [name, entries] of Object.entries(sections)) {
    if (!Array.isArray(entries)) {
      own[name] = entries; // the twin's seed route says what is wrong
      continue;
    }
    own[name] = entries.map((e, i) => {
      if (!isObject(e)) return e;
      if (name === 'payment_intents') return paymentIntent(e, i, api, primary);
      if (name === 'charges') {
        const { payment_intent: _own, ...c } = strip(e);
        if (e.amount_refunded > 0 || e.refunded === true) {
          if (typeof c.id !== 'string') throw new ScenarioError(`## Seed State: charges[${i}] needs an "id" to be seeded refunded`);
          (own.refunds ??= []).push({ charge: c.id, ...(e.refunded === true ? {} : { amount: e.amount_refunded }) });
        }
        return { payment_method: 'pm_card_visa', ...c };
      }
      if (name === 'refunds') {
        const { currency: _c, ...r } = strip(e);
        return r;
      }
      return e;
    });
  }
  const worldsMap: Record<string, any> = isObject(worlds) ? { ...worlds } : {};
  worldsMap[primary] = { ...(worldsMap[primary] ?? {}), ...own };
  for (const [opener, extra] of minted) {
    if (extra.length) worldsMap[opener] = { ...(worldsMap[opener] ?? {}), keys: [...(worldsMap[opener]?.keys ?? []), ...extra] };
    else worldsMap[opener] ??= {};
  }
  if (faults !== undefined && !Array.isArray(faults)) throw new ScenarioError('## Seed State: failure_injection must be a list');
  return {
    keys,
    accounts,
    seed: { method: 'POST', path: '/__admin__/seed', body: { worlds: worldsMap } },
    faults: ((faults ?? []) as unknown[]).map((rule, i) => fault(rule, i, primary)),
    api,
  };
}
