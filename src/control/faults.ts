import { errors, StripeError } from '../engine/errors';
import { CARD_DECLINES } from '../engine/test_values';
import { World } from '../engine/world';
import { cardError } from '../resources/payments/payment_methods';
import { ControlError, ControlRoute } from './surface';
import type { AppliedFault, FaultAction } from '../server/stages';

// Faults: per world, make the next N calls of a resource/operation fail the way
// Stripe's infrastructure can — 429, 500, a 402 decline, a timeout — or lose
// the response of a call that did take effect, so retry and idempotency logic
// can be tested. The pipeline asks `takeFault` once a request is routed; error
// faults answer before anything runs (nothing stored, the key can be retried),
// a lost response runs the request and then drops or replaces its answer.

/** What an armed fault does to a matching request. */

interface ArmedFault {
  id: string;
  resource: string;
  operation: string;
  times: number;
  remaining: number;
  action: FaultAction;
  /** The fault as given, normalized: what listings show. */
  spec: Record<string, unknown>;
}

/** The fault a request met: what the request log records. */

/**
 * Longest hold of a timeout fault when none is given: longer than stripe-node's
 * default 80 s timeout, so the client gives up first. The hold ends early when
 * the client goes away.
 */
const DEFAULT_TIMEOUT_MS = 90_000;
const MAX_TIMEOUT_MS = 600_000;

interface WorldFaults {
  armed: ArmedFault[];
  next: number;
}

/** Faults live beside their world: forgetting a world (reset) forgets its faults. */
const byWorld = new WeakMap<World, WorldFaults>();

function faultsOf(world: World): WorldFaults {
  let faults = byWorld.get(world);
  if (!faults) byWorld.set(world, (faults = { armed: [], next: 1 }));
  return faults;
}

/**
 * The resource and operation of a route, from its spec path template:
 * `POST /v1/payment_intents` = payment_intents/create, `GET …/{id}` = retrieve,
 * `POST …/{id}` = update, `DELETE …/{id}` = delete, `GET /v1/payment_intents` =
 * list (a singleton such as `/v1/balance`: retrieve), `GET …/search` = search,
 * `POST …/{id}/confirm` = confirm (the action's name), `GET …/{id}/refunds` =
 * list_refunds, `GET …/{id}/refunds/{refund}` = retrieve_refunds.
 */
export function operationOf(method: string, template: string, list: boolean): { resource: string; operation: string } {
  const [resource, ...rest] = template.replace(/^\/v1\//, '').split('/');
  const isParam = (s: string) => s.startsWith('{');
  const crud = (m: string) => (m === 'GET' ? 'retrieve' : m === 'DELETE' ? 'delete' : 'update');
  if (rest.length === 0) return { resource, operation: method === 'POST' ? 'create' : method === 'DELETE' ? 'delete' : list ? 'list' : 'retrieve' };
  if (rest.length === 1 && isParam(rest[0])) return { resource, operation: crud(method) };
  const last = rest[rest.length - 1];
  if (!isParam(last)) {
    if (rest.length === 1 || method === 'POST') return { resource, operation: last };
    return { resource, operation: `${method === 'GET' ? 'list' : crud(method)}_${last}` };
  }
  const literal = [...rest].reverse().find((s) => !isParam(s)) ?? '';
  return { resource, operation: `${crud(method)}_${literal}` };
}

/** Takes one use of the first armed fault matching this request, if any (armed order). */
export function takeFault(world: World, method: string, template: string, list: boolean): { applied: AppliedFault; action: FaultAction } | null {
  const faults = byWorld.get(world);
  if (!faults?.armed.length) return null;
  const { resource, operation } = operationOf(method, template, list);
  const at = faults.armed.findIndex(
    (f) => (f.resource === '*' || f.resource === resource) && (f.operation === '*' || f.operation === operation),
  );
  if (at === -1) return null;
  const fault = faults.armed[at];
  if (--fault.remaining <= 0) faults.armed.splice(at, 1);
  const { action } = fault;
  return { applied: { id: fault.id, type: action.type, ...(action.type === 'lost_response' ? { mode: action.mode } : {}) }, action };
}

// --- arming ---

const STATUS_TYPES: Record<number, 'rate_limit_error' | 'api_error' | 'card_error'> = { 429: 'rate_limit_error', 500: 'api_error', 402: 'card_error' };
const TYPES = ['rate_limit_error', 'api_error', 'card_error', 'timeout', 'lost_response'] as const;

/**
 * Reads the fault of an arm call: `{status: 429}` or `{type: "rate_limit_error"}`
 * (`code: "lock_timeout"` for the lock 429), `{status: 500}` / `api_error`,
 * `{status: 402, decline_code}` / `card_error`, `"timeout"` or
 * `{type: "timeout", delay_ms}`, `"lost_response"` or `{type: "lost_response",
 * mode: "drop" | "500"}` (a `mode` beside the fault works too).
 */
function readFault(body: Record<string, any>): { action: FaultAction; spec: Record<string, unknown> } {
  let given = body.fault;
  if (typeof given === 'string') given = { type: given };
  if (!given || typeof given !== 'object' || Array.isArray(given)) {
    throw new ControlError('"fault" must be an object like {"status": 429} or {"type": "lost_response", "mode": "drop"}, or one of "timeout", "lost_response"', 400, 'fault');
  }
  const { status, type } = given;
  if (status !== undefined && !(status in STATUS_TYPES)) {
    throw new ControlError(`fault.status ${JSON.stringify(status)} is not armable: use 429 (rate_limit_error), 500 (api_error) or 402 (card_error)`, 400, 'fault.status');
  }
  if (type !== undefined && !TYPES.includes(type)) throw new ControlError(`fault.type must be one of ${TYPES.join(', ')}`, 400, 'fault.type');
  if (status !== undefined && type !== undefined && STATUS_TYPES[status] !== type) {
    throw new ControlError(`fault.status ${status} goes with type "${STATUS_TYPES[status]}", not "${type}"`, 400, 'fault');
  }
  const kind: (typeof TYPES)[number] | undefined = type ?? STATUS_TYPES[status];
  if (!kind) throw new ControlError('fault needs a "status" (429, 500, 402) or a "type"', 400, 'fault');
  const allowed = new Set(['type', 'status']);
  const check = (...keys: string[]) => {
    keys.forEach((k) => allowed.add(k));
    const unknown = Object.keys(given).filter((k) => !allowed.has(k));
    if (unknown.length) throw new ControlError(`fault.${unknown[0]} is not a field of a ${kind} fault (fields: ${[...allowed].join(', ')})`, 400, `fault.${unknown[0]}`);
  };

  if (kind === 'timeout') {
    check('delay_ms');
    const delay = given.delay_ms ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_TIMEOUT_MS) {
      throw new ControlError(`fault.delay_ms must be an integer from 0 to ${MAX_TIMEOUT_MS}`, 400, 'fault.delay_ms');
    }
    return { action: { type: 'timeout', delay_ms: delay }, spec: { type: kind, delay_ms: delay } };
  }
  if (kind === 'lost_response') {
    check('mode');
    const mode = given.mode ?? body.mode ?? 'drop';
    if (mode !== 'drop' && mode !== '500') throw new ControlError('a lost_response "mode" is "drop" (the connection closes) or "500"', 400, 'mode');
    return { action: { type: 'lost_response', mode }, spec: { type: kind, mode } };
  }
  check('code', 'decline_code', 'should_retry');
  if (body.mode !== undefined) throw new ControlError('"mode" goes with a lost_response fault only', 400, 'mode');
  const shouldRetry = given.should_retry;
  if (shouldRetry !== undefined && typeof shouldRetry !== 'boolean') throw new ControlError('fault.should_retry must be true or false', 400, 'fault.should_retry');
  let error: StripeError;
  const spec: Record<string, unknown> = {};
  if (kind === 'rate_limit_error') {
    const code = given.code ?? 'rate_limit';
    if (code !== 'rate_limit' && code !== 'lock_timeout') throw new ControlError('a rate_limit_error "code" is "rate_limit" or "lock_timeout"', 400, 'fault.code');
    error = code === 'lock_timeout' ? errors.lockTimeout() : errors.rateLimited();
    spec.code = code;
  } else if (kind === 'api_error') {
    if (given.code !== undefined) throw new ControlError('an api_error fault takes no "code" (Stripe\'s 500 has none)', 400, 'fault.code');
    error = errors.internal();
  } else {
    // The declines of the docs/stripe-facts.md §4.3 test cards: the table payment.declined and pinned decline codes use.
    const name = given.decline_code ?? (given.code && given.code !== 'card_declined' ? given.code : 'generic_decline');
    const decline = CARD_DECLINES.get(name);
    if (!decline) throw new ControlError(`fault.decline_code must be one of ${[...CARD_DECLINES.keys()].join(', ')}`, 400, 'fault.decline_code');
    // Nothing ran, so the envelope has no charge, PaymentIntent or PaymentMethod;
    // a decline with state and events is a trigger's job.
    error = cardError(decline);
    // Recorded on every 402 card error (docs/stripe-facts.md §1.6).
    error.extraHeaders['Stripe-Should-Retry'] = 'false';
    Object.assign(spec, { code: decline.code, decline_code: decline.decline_code });
  }
  if (shouldRetry !== undefined) {
    error.extraHeaders['Stripe-Should-Retry'] = String(shouldRetry);
    spec.should_retry = shouldRetry;
  }
  return { action: { type: kind, status: error.status, error }, spec: { type: kind, status: error.status, ...spec } };
}

function readTarget(body: Record<string, any>, field: 'resource' | 'operation'): string {
  const value = body[field] ?? '*';
  if (typeof value !== 'string' || !/^(\*|[a-z_]+)$/.test(value)) {
    throw new ControlError(`"${field}" must be a name like ${field === 'resource' ? '"payment_intents"' : '"create", "confirm", "list"'} or "*"`, 400, field);
  }
  return value;
}

function arm(world: World, body: Record<string, any>): ArmedFault {
  const known = new Set(['key', 'resource', 'operation', 'times', 'fault', 'mode']);
  const unknown = Object.keys(body).find((k) => !known.has(k));
  if (unknown) throw new ControlError(`"${unknown}" is not a field of a fault (fields: resource, operation, times, fault, mode)`, 400, unknown);
  const resource = readTarget(body, 'resource');
  const operation = readTarget(body, 'operation');
  const times = body.times ?? 1;
  if (!Number.isInteger(times) || times < 1 || times > 1_000_000) throw new ControlError('"times" must be an integer from 1 to 1000000', 400, 'times');
  const { action, spec } = readFault(body);
  const faults = faultsOf(world);
  const fault: ArmedFault = { id: `fault_${faults.next++}`, resource, operation, times, remaining: times, action, spec };
  faults.armed.push(fault);
  return fault;
}

const describe = (f: ArmedFault) => ({ id: f.id, resource: f.resource, operation: f.operation, times: f.times, remaining: f.remaining, fault: f.spec });

function clear(world: World): { cleared: number } {
  const faults = faultsOf(world);
  const cleared = faults.armed.length;
  faults.armed = [];
  return { cleared };
}

export const faultRoutes: ControlRoute[] = [
  { method: 'POST', path: '/__admin__/faults', description: 'Arms a fault on the next calls of a resource and operation: a 429, 500 or 402, a timeout, or a lost response after the call ran.', params: { resource: { in: 'body', type: 'string', description: 'e.g. "payment_intents", or "*" (default)' }, operation: { in: 'body', type: 'string', description: 'create, retrieve, update, delete, list, search or an action such as confirm; "*" (default)' }, times: { in: 'body', type: 'integer', description: 'calls it applies to (default 1)' }, fault: { in: 'body', type: 'object', description: '{"status": 429|500|402, …}, {"type": …}, "timeout" or "lost_response"', required: true }, mode: { in: 'body', type: 'string', description: 'for lost_response: drop the connection or answer 500', enum: ['drop', '500'] } }, run: (call) => describe(arm(call.world(), call.body)) },
  { method: 'GET', path: '/__admin__/faults', description: 'Lists the armed faults and what is left of each.', run: (call) => ({ faults: faultsOf(call.world()).armed.map(describe) }) },
  { method: 'DELETE', path: '/__admin__/faults', description: 'Clears every armed fault.', run: (call) => clear(call.world()) },
  { method: 'POST', path: '/__admin__/faults/clear', description: 'Clears every armed fault (for clients that cannot send DELETE).', run: (call) => clear(call.world()) },
  {
    method: 'DELETE',
    path: '/__admin__/faults/{id}',
    description: 'Clears one armed fault.',
    run: (call) => {
      const faults = faultsOf(call.world());
      const at = faults.armed.findIndex((f) => f.id === call.params.id);
      if (at === -1) throw new ControlError(`No armed fault ${call.params.id} in this world (it may have run out)`, 404);
      return { cleared: 1, fault: describe(faults.armed.splice(at, 1)[0]) };
    },
  },
];
