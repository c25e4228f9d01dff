import { eventTypes, StripeEvent } from '../engine/events';
import { candidates, positions } from '../engine/list';
import { World } from '../engine/world';
import { maskKey } from '../engine/errors';
import type { RequestExchange, RequestLogEntry } from '../server/stages';
import { boolOf, ControlError, ControlRoute, limitOf } from './surface';

// Inspect: what a Stripe Dashboard workbench shows — the request log (written
// by the pipeline, one entry per API request that reached a world) and the
// event log (the world's events). Both newest first.


/** Entries kept per world: memory stays flat under load. */
export const REQUEST_LOG_SIZE = 10_000;

/** A fixed-size ring: the newest `size` entries. */
class Ring<T> {
  private readonly items: T[] = [];
  private head = 0;
  total = 0;

  constructor(private readonly size: number) {}

  push(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else this.items[this.head] = item;
    this.head = (this.head + 1) % this.size;
    this.total++;
  }

  /** Newest first. */
  *newest(): Generator<T> {
    const n = this.items.length;
    for (let i = 1; i <= n; i++) yield this.items[(this.head - i + n) % n];
  }
}

/** Logs live beside their world: forgetting a world (reset) forgets its log. */
const logs = new WeakMap<World, Ring<RequestLogEntry>>();

/**
 * Exchanges (headers and bodies) kept per world: the newest few only, each body
 * cut at EXCHANGE_BODY_BYTES, so memory stays flat (twin choice).
 */
export const EXCHANGES_KEPT = 200;
export const EXCHANGE_BODY_BYTES = 64 * 1024;

/** A world's newest exchanges by request id, oldest first (a Map keeps insertion order). */
const exchanges = new WeakMap<World, Map<string, RequestExchange>>();

export function recordRequest(world: World, entry: RequestLogEntry, exchange?: RequestExchange): void {
  let log = logs.get(world);
  if (!log) logs.set(world, (log = new Ring(REQUEST_LOG_SIZE)));
  log.push(entry);
  if (!exchange) return;
  let kept = exchanges.get(world);
  if (!kept) exchanges.set(world, (kept = new Map()));
  kept.set(entry.id, { ...exchange, request_body: cut(exchange.request_body), response_body: cut(exchange.response_body) });
  if (kept.size > EXCHANGES_KEPT) kept.delete(kept.keys().next().value!);
}

/** The first EXCHANGE_BODY_BYTES characters, copied (a slice would keep the whole string alive). */
function cut(body: string): string {
  if (body.length <= EXCHANGE_BODY_BYTES) return body;
  return `${Buffer.from(body.slice(0, EXCHANGE_BODY_BYTES)).toString()}\n… (${body.length - EXCHANGE_BODY_BYTES} more characters not kept)`;
}

/** Request headers as the log shows them: the API key masked, as Stripe's errors print it; cookies left out. */
function shownHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'cookie') continue;
    out[name] = name === 'authorization' ? value.replace(/(\S+)$/, (key) => maskKey(key)) : value;
  }
  return out;
}

/** One request: its log entry and, while kept, its exchange (headers and bodies). */
function requestById(world: World, id: string) {
  let entry: RequestLogEntry | undefined;
  for (const e of logs.get(world)?.newest() ?? []) {
    if (e.id === id) {
      entry = e;
      break;
    }
  }
  if (!entry) throw new ControlError(`No request ${id} in this world's log`, 404);
  const exchange = exchanges.get(world)?.get(id);
  if (!exchange) return { ...entry, exchange: null };
  const headers: [string, string][] = [];
  for (let i = 0; i < exchange.response_headers.length; i += 2) headers.push([exchange.response_headers[i], exchange.response_headers[i + 1]]);
  return {
    ...entry,
    exchange: {
      query: exchange.query,
      request_headers: shownHeaders(exchange.request_headers),
      request_body: exchange.request_body,
      response_headers: Object.fromEntries(headers),
      response_body: exchange.response_body,
    },
  };
}

/** `200`, or a class like `5xx`. */
function statusFilter(given: string | null): ((status: number | null) => boolean) | null {
  if (given === null) return null;
  if (/^[1-5]\d\d$/.test(given)) return (s) => s === Number(given);
  if (/^[1-5]xx$/.test(given)) return (s) => s !== null && Math.floor(s / 100) === Number(given[0]);
  if (given === 'dropped') return (s) => s === null;
  throw new ControlError('"status" is a status (402), a class (5xx) or "dropped"', 400, 'status');
}

const REQUEST_FILTERS = ['key', 'limit', 'method', 'path', 'status', 'idempotency_key', 'request_id', 'faulted', 'replayed'];

function requests(world: World, query: URLSearchParams) {
  checkFilters(query, REQUEST_FILTERS);
  const limit = limitOf(query, 100, REQUEST_LOG_SIZE);
  const method = query.get('method')?.toUpperCase();
  const path = query.get('path');
  const status = statusFilter(query.get('status'));
  const key = query.get('idempotency_key');
  const id = query.get('request_id');
  const faulted = boolOf(query, 'faulted');
  const replayed = boolOf(query, 'replayed');
  const log = logs.get(world);
  const data: RequestLogEntry[] = [];
  let matched = 0;
  for (const e of log?.newest() ?? []) {
    if (method && e.method !== method) continue;
    if (path && !(path.endsWith('*') ? e.path.startsWith(path.slice(0, -1)) : e.path === path)) continue;
    if (status && !status(e.status)) continue;
    if (key && e.idempotency_key !== key) continue;
    if (id && e.id !== id) continue;
    if (faulted !== undefined && (e.fault !== null) !== faulted) continue;
    if (replayed !== undefined && e.replayed !== replayed) continue;
    matched++;
    if (data.length < limit) data.push(e);
  }
  return { data, matched, total: log?.total ?? 0, kept: REQUEST_LOG_SIZE };
}

const EVENT_FILTERS = ['key', 'limit', 'type', 'object', 'request_id'];

/**
 * `type` matches like the events list: exact, or with `*` wildcards
 * (`payment_intent.*`), through the type index, so the log visits only events
 * of the matching types; without `type` it visits every event.
 */
function events(world: World, query: URLSearchParams) {
  checkFilters(query, EVENT_FILTERS);
  const limit = limitOf(query, 100, 100_000);
  const type = query.get('type');
  const object = query.get('object');
  const requestId = query.get('request_id');
  const named = type === null ? null : eventTypes(world, type);
  const source = candidates(world, 'event', { type: named?.types });
  const data: unknown[] = [];
  let matched = 0;
  for (const p of positions(source, source.to, true)) {
    const e = world.at<StripeEvent>('event', p);
    if (named && !named.keep.test(e.type)) continue;
    if (object && e.data.object.id !== object) continue;
    if (requestId && e.request?.id !== requestId) continue;
    matched++;
    if (data.length >= limit) continue;
    data.push({
      id: e.id,
      type: e.type,
      created: e.created,
      object: e.data.object.id,
      request_id: e.request?.id ?? null,
      idempotency_key: e.request?.idempotency_key ?? null,
      pending_webhooks: e.pending_webhooks,
    });
  }
  return { data, matched, total: world.count('event') };
}

function checkFilters(query: URLSearchParams, known: string[]): void {
  for (const name of query.keys()) {
    if (!known.includes(name)) throw new ControlError(`"${name}" is not a filter here (filters: ${known.filter((k) => k !== 'key').join(', ')})`, 400, name);
  }
}

export const inspectRoutes: ControlRoute[] = [
  { method: 'GET', path: '/__admin__/requests', description: 'The request log (the last 10,000 per world), newest first: id, method, path, status, idempotency key, replay, fault, latency, world time.', params: { method: { in: 'query', type: 'string', description: 'GET, POST or DELETE' }, path: { in: 'query', type: 'string', description: 'a path, * wildcards allowed (/v1/payment_intents*)' }, status: { in: 'query', type: 'string', description: 'a status (402), a class (5xx) or dropped' }, idempotency_key: { in: 'query', type: 'string', description: 'an Idempotency-Key' }, request_id: { in: 'query', type: 'string', description: 'a Request-Id' }, faulted: { in: 'query', type: 'boolean', description: 'only requests that met a fault' }, replayed: { in: 'query', type: 'boolean', description: 'only idempotent replays' }, limit: { in: 'query', type: 'integer', description: '1–100 (default 100)' } }, run: (call) => requests(call.world(), call.query) },
  { method: 'GET', path: '/__admin__/requests/{id}', description: `One request of the log with, for the newest ${EXCHANGES_KEPT}, its exchange: query, request headers (the key masked) and body, response headers and body.`, run: (call) => requestById(call.world(), call.params.id) },
  { method: 'GET', path: '/__admin__/events', description: 'The event log, newest first: id, type, created, object, request, pending webhooks.', params: { type: { in: 'query', type: 'string', description: 'an event type, * wildcards allowed (payment_intent.*)' }, object: { in: 'query', type: 'string', description: 'an object id' }, request_id: { in: 'query', type: 'string', description: 'a Request-Id' }, limit: { in: 'query', type: 'integer', description: '1–100 (default 100)' } }, run: (call) => events(call.world(), call.query) },
];
