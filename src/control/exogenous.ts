import { clearPins, listPins, setPins, WORLD_SCOPE } from '../engine/exogenous';
import { CURRENCIES } from '../engine/money';
import { CARD_DECLINES } from '../engine/test_values';
import { World } from '../engine/world';
import { ControlError, ControlRoute } from './surface';

// Pinned exogenous values (issue 4, brief 004's "Pinnable values", docs/agents.md §9): the control
// side — which paths can be pinned, what values and scopes each takes, and the
// routes to pin, list and clear. The engine binds them (src/engine/exogenous.ts):
//
//   charge.outcome.*                  when a charge resolves          world, payment_intent, payment_method, customer
//   last_payment_error.decline_code   when a charge fails at the issuer  world, payment_intent, payment_method, customer
//   payment_method.card.*             when a card PaymentMethod is created  world
//   balance.available.<currency>,     opening balances, reported by /v1/balance with
//   balance.pending.<currency>        every movement added to them    world
//
// Enumerated values are those Stripe documents for the field (stripe-node 23.1 types
// and the OpenAPI descriptions); ids, statuses, totals and timestamps cannot be pinned.

type Check = (value: unknown) => string | null;

const oneOf = (...values: (string | null)[]): Check => (v) =>
  values.includes(v as string) ? null : `must be one of ${values.map((x) => (x === null ? 'null' : x)).join(', ')}`;
const text = (nullable: boolean, pattern?: RegExp, what = 'a string'): Check => (v) => {
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || !v || v.length > 5000 || (pattern && !pattern.test(v))) return `must be ${what}${nullable ? ' or null' : ''}`;
  return null;
};
const integer = (min: number, max: number, what = `an integer from ${min} to ${max}`): Check => (v) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `must be ${what}`;

const CHARGE_SCOPES = ['payment_intent', 'payment_method', 'customer'];

interface PathSpec {
  check: Check;
  /** Object types a pin of this path can be scoped to, besides the world. */
  scopes: string[];
}

const OUTCOME: Record<string, Check> = {
  advice_code: oneOf('confirm_card_data', 'do_not_try_again', 'try_again_later', null),
  network_advice_code: text(true, /^[0-9A-Za-z]{2}$/, 'a 2-character code'),
  network_decline_code: text(true, /^[0-9A-Za-z]{1,10}$/, 'an alphanumeric code'),
  network_status: oneOf('approved_by_network', 'declined_by_network', 'not_sent_to_network', 'reversed_after_approval', null),
  reason: text(true),
  risk_level: oneOf('normal', 'elevated', 'highest', 'not_assessed', 'unknown'),
  risk_score: integer(0, 100),
  seller_message: text(true),
  type: oneOf('authorized', 'manual_review', 'issuer_declined', 'blocked', 'invalid'),
};

const CARD: Record<string, Check> = {
  brand: oneOf('amex', 'cartes_bancaires', 'diners', 'discover', 'eftpos_au', 'jcb', 'link', 'mastercard', 'unionpay', 'visa', 'unknown'),
  country: text(false, /^[A-Z]{2}$/, 'a two-letter ISO country code in capitals'),
  exp_month: integer(1, 12),
  exp_year: integer(1000, 9999, 'a four-digit year'),
  fingerprint: text(false, /^[A-Za-z0-9]{1,64}$/, 'letters and digits'),
  funding: oneOf('credit', 'debit', 'prepaid', 'unknown'),
  last4: text(false, /^\d{4}$/, 'four digits'),
};

const PIN_PATHS: Record<string, PathSpec> = {
  ...Object.fromEntries(Object.entries(OUTCOME).map(([k, check]) => [`charge.outcome.${k}`, { check, scopes: CHARGE_SCOPES }])),
  'last_payment_error.decline_code': { check: oneOf(...CARD_DECLINES.keys()), scopes: CHARGE_SCOPES },
  ...Object.fromEntries(Object.entries(CARD).map(([k, check]) => [`payment_method.card.${k}`, { check, scopes: [] }])),
};

const BALANCE_AMOUNT = integer(-99_999_999_999, 99_999_999_999, 'an integer amount in minor units');

/** The spec of a path; opening balances are `balance.available.<currency>` / `balance.pending.<currency>`. */
function specOf(path: string): PathSpec | null {
  if (Object.hasOwn(PIN_PATHS, path)) return PIN_PATHS[path]; // a path the client names is data, not a prototype lookup
  const m = path.match(/^balance\.(available|pending)\.([a-z]{3})$/);
  if (m && CURRENCIES.has(m[2])) return { check: BALANCE_AMOUNT, scopes: [] };
  return null;
}

/** A pinnable path, or the start of some (`charge.outcome`, `balance`), for clearing. */
function isPathOrAbove(path: string): boolean {
  if (specOf(path)) return true;
  const known = [...Object.keys(PIN_PATHS), 'balance.available.usd', 'balance.pending.usd'];
  return known.some((p) => p.startsWith(`${path}.`));
}

const KNOWN = () => [...Object.keys(PIN_PATHS), 'balance.available.<currency>', 'balance.pending.<currency>'].join(', ');

/**
 * `{path: value}` pins as given: `balance.available` / `balance.pending` may be a
 * `{currency: amount}` map, spread into one path per currency.
 */
function flatten(pins: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [path, value] of Object.entries(pins)) {
    if ((path === 'balance.available' || path === 'balance.pending') && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [currency, amount] of Object.entries(value)) out.push([`${path}.${currency.toLowerCase()}`, amount]);
    } else out.push([path, value]);
  }
  return out;
}

/** Checks pins for one scope; returns them keyed by path, or throws a ControlError naming the first bad one. */
function checkPins(world: World, scope: unknown, pins: unknown, at?: string): { scope: string; values: Record<string, unknown> } {
  if (scope === undefined) scope = WORLD_SCOPE;
  if (typeof scope !== 'string' || !scope) throw new ControlError('"scope" must be "world" or the id of an object in this world', 400, at);
  const target = scope === WORLD_SCOPE ? null : world.get(scope);
  if (scope !== WORLD_SCOPE && (!target || target.deleted)) throw new ControlError(`No object ${scope} in this world to scope pins to`, 404, at);
  if (!pins || typeof pins !== 'object' || Array.isArray(pins) || !Object.keys(pins).length) {
    throw new ControlError('"pins" must be an object of path → value, e.g. {"charge.outcome.risk_score": 92}', 400, at);
  }
  const values: Record<string, unknown> = {};
  for (const [path, value] of flatten(pins as Record<string, unknown>)) {
    const spec = specOf(path);
    if (!spec) throw new ControlError(`"${path}" cannot be pinned; pinnable: ${KNOWN()}`, 400, at);
    if (target && !spec.scopes.includes(target.object)) {
      const allowed = spec.scopes.length ? `the world or a ${spec.scopes.join(', ')}` : 'the world only';
      throw new ControlError(`"${path}" can be pinned for ${allowed}, not a ${target.object} (${scope})`, 400, at);
    }
    const problem = spec.check(value);
    if (problem) throw new ControlError(`"${path}" ${problem} (got ${JSON.stringify(value)})`, 400, at);
    values[path] = value;
  }
  return { scope, values };
}

/** Pins given as `{scope?, pins}` entries (with where each came from). All are checked before any is set. */
export function applyPins(world: World, entries: { entry: unknown; at?: string }[]): void {
  const checked = entries.map(({ entry, at }) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new ControlError('Give {"scope"?, "pins": {path: value}}', 400, at);
    const { scope, pins, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest).filter((k) => k !== 'key');
    if (extra.length) throw new ControlError(`Unknown field "${extra[0]}"; give "scope" and "pins"`, 400, at);
    return checkPins(world, scope, pins, at);
  });
  world.transaction(() => checked.forEach(({ scope, values }) => setPins(world, scope, values)), true);
}

/**
 * The `balance` and `pins` sections of a seed: `balance: {available: {usd: 10000}, pending: {…}}`
 * (opening balances), `pins: {path: value}` (world scope) or a list of `{scope?, pins}`.
 * World-scoped pins apply before the seed's objects are made (so they bind on them),
 * pins scoped to an object after (so the object exists).
 */
export function seedPins(key: string, balance: unknown, pins: unknown): { early: { entry: unknown; at: string }[]; late: { entry: unknown; at: string }[] } {
  const early: { entry: unknown; at: string }[] = [];
  const late: { entry: unknown; at: string }[] = [];
  if (balance !== undefined) {
    const at = `${key}.balance`;
    if (!balance || typeof balance !== 'object' || Array.isArray(balance)) throw new ControlError('"balance" must be {available?: {currency: amount}, pending?: {…}}', 400, at);
    const extra = Object.keys(balance).find((k) => k !== 'available' && k !== 'pending');
    if (extra) throw new ControlError(`Unknown balance "${extra}"; use available or pending`, 400, at);
    const opening = Object.fromEntries(Object.entries(balance).map(([k, v]) => [`balance.${k}`, v]));
    if (Object.keys(opening).length) early.push({ entry: { pins: opening }, at });
  }
  if (Array.isArray(pins)) {
    pins.forEach((entry, i) => {
      const scope = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).scope : undefined;
      (scope === undefined || scope === WORLD_SCOPE ? early : late).push({ entry, at: `${key}.pins[${i}]` });
    });
  } else if (pins !== undefined) early.push({ entry: { pins }, at: `${key}.pins` });
  return { early, late };
}

const listed = (world: World) => ({ pins: listPins(world) });

export const exogenousRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/exogenous',
    description: 'Pins values that come from outside Stripe (risk scores, decline codes, card details, opening balances) for the world or one object; all or none are set.',
    params: {
      scope: { in: 'body', type: 'string', description: '"world" (default) or an object id' },
      pins: { in: 'body', type: 'object', description: '{path: value}', required: true },
    },
    run: (call) => {
      const world = call.world();
      applyPins(world, [{ entry: call.body }]);
      return listed(world);
    },
  },
  { method: 'GET', path: '/__admin__/exogenous', description: 'Lists the pinned values and the paths that can be pinned.', run: (call) => listed(call.world()) },
  {
    method: 'DELETE',
    path: '/__admin__/exogenous',
    description: 'Clears pins: a path and everything under it, in a scope, or all.',
    params: {
      path: { in: 'query', type: 'string', description: 'a pinnable path or a part of one' },
      scope: { in: 'query', type: 'string', description: '"world" or an object id' },
    },
    run: (call) => {
      const world = call.world();
      const scope = call.query.get('scope') ?? undefined;
      const path = call.query.get('path') ?? undefined;
      if (scope !== undefined && scope !== WORLD_SCOPE && !world.get(scope)) throw new ControlError(`No object ${scope} in this world`, 404);
      if (path !== undefined && !isPathOrAbove(path)) throw new ControlError(`"${path}" is no pinnable path nor a part of one; pinnable: ${KNOWN()}`);
      const cleared = world.transaction(() => clearPins(world, scope, path), true);
      return { cleared, ...listed(world) };
    },
  },
];
