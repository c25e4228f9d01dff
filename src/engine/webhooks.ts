import { Random } from './random';
import { renderBody } from './render';
import { renderAt } from './versions';
import { StripeObject, World } from './world';

// Webhook deliveries as world state (docs/stripe-facts.md §19.2). Emitting an
// event records one pending delivery per matching enabled endpoint; a face
// (src/server/webhooks.ts) performs the HTTP requests and reports each attempt
// back here, where the outcome, the retry schedule (in world time) and the
// event's pending_webhooks are kept. Deliveries are world objects of an internal
// type, so a transaction that fails leaves none behind; nothing here does I/O or
// reads a clock other than the world's.

export const ENDPOINT = 'webhook_endpoint';
/** `stripe-twin listen` sessions: endpoints that receive events but do not appear in /v1/webhook_endpoints. */
export const LISTENER = 'twin.webhook_listener';
export const DELIVERY = 'twin.webhook_delivery';

export interface WebhookEndpoint extends StripeObject {
  url: string;
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  api_version: string | null;
  deleted?: true;
}

export interface Attempt {
  attempt: number;
  /** World time of the attempt. */
  at: number;
  /** The receiver's HTTP status, null when no response came (refused, timed out). */
  status: number | null;
  latency_ms: number;
  /** The first KB of the receiver's answer. */
  response: string | null;
  error: string | null;
}

export interface Delivery extends StripeObject {
  object: typeof DELIVERY;
  event: string;
  /** The connected account whose event a platform's Connect endpoint receives (the event is kept there); null for the world's own. */
  account: string | null;
  /** That event as emitted, so it is still delivered once its account is deleted (account.application.deauthorized). */
  connect_event: StripeObject | null;
  type: string;
  endpoint: string;
  created: number;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: Attempt[];
  next_attempt_at: number | null;
  /** Still counted in the event's pending_webhooks (until its first 2xx). */
  unacknowledged: boolean;
  /** Attempts made before the current retry schedule began (a resend starts it over). */
  schedule_from: number;
}

/** What one attempt came to, before recordAttempt numbers it. */
export type AttemptResult = Omit<Attempt, 'attempt'>;

const SECRET = (id: string) => `webhook_secret:${id}`;

export function secretOf(world: World, endpointId: string): string | undefined {
  return world.facts.get(SECRET(endpointId)) as string | undefined;
}

/** A new endpoint's signing secret: `whsec_` and 32 characters from the world's id stream (docs/stripe-facts.md §19.1). */
export function newSecret(world: World, endpointId: string): string {
  const secret = `whsec_${world.ids.chars(32)}`;
  world.facts.set(SECRET(endpointId), secret);
  return secret;
}

const live = (e: WebhookEndpoint | undefined): e is WebhookEndpoint => !!e && !e.deleted;

const CONNECT = (id: string) => `webhook_connect:${id}`;

/** Marks an endpoint made with `connect=true`: it receives the connected accounts' events instead of the account's own. */
export function markConnect(world: World, endpointId: string): void {
  world.facts.set(CONNECT(endpointId), true);
}

export function isConnect(world: World, endpointId: string): boolean {
  return world.facts.has(CONNECT(endpointId));
}

/**
 * Endpoints (and listeners) of a world that receive events of `type`, in
 * creation order: its account endpoints for its own events, or (`connect`) its
 * Connect endpoints for its connected accounts' events. Listeners receive both.
 */
export function targetsOf(world: World, type: string, connect = false): WebhookEndpoint[] {
  if (world.count(ENDPOINT) === 0 && world.count(LISTENER) === 0) return [];
  const out: WebhookEndpoint[] = [];
  for (const kind of [ENDPOINT, LISTENER]) {
    for (const id of world.idsOf(kind)) {
      const e = world.get<WebhookEndpoint>(id);
      if (kind === ENDPOINT && isConnect(world, id) !== connect) continue;
      if (live(e) && e.status === 'enabled' && (e.enabled_events.includes('*') || e.enabled_events.includes(type))) out.push(e);
    }
  }
  return out;
}

/** Records in `world` one pending delivery of `event` (kept by the connected `account`, when given) to each of `targets`, due now. */
export function queueDeliveries(world: World, event: StripeObject, targets: WebhookEndpoint[], account: string | null = null): void {
  for (const endpoint of targets) insertDelivery(world, event, endpoint.id, true, account);
}

function insertDelivery(world: World, event: StripeObject, endpointId: string, counted: boolean, account: string | null = null): Delivery {
  return world.insert<Delivery>({
    id: `${event.id}:${endpointId}`,
    object: DELIVERY,
    event: event.id,
    account,
    connect_event: account ? event : null,
    type: event.type,
    endpoint: endpointId,
    created: world.now(),
    state: 'pending',
    attempts: [],
    next_attempt_at: world.now(),
    unacknowledged: counted,
    schedule_from: 0,
  });
}

/**
 * Where the scan for pending deliveries starts: every delivery before it is
 * finished. Only a hint (deliveries are scanned from it), kept outside the
 * world; a resend moves it back.
 */
const scanFrom = new WeakMap<World, number>();

function* pending(world: World): Generator<Delivery> {
  const ids = world.idsOf(DELIVERY);
  let from = Math.min(scanFrom.get(world) ?? 0, ids.length);
  let settled = true;
  try {
    for (let i = from; i < ids.length; i++) {
      const d = world.get<Delivery>(ids[i])!;
      if (d.state !== 'pending') {
        if (settled) from = i + 1;
        continue;
      }
      settled = false;
      yield d;
    }
  } finally {
    scanFrom.set(world, from); // also when the caller stops early
  }
}

/** Pending deliveries (of one endpoint, or all) whose attempt is due now, oldest first; lazy, so callers can stop at the first. */
export function* dueDeliveries(world: World, endpoint?: string): Generator<Delivery> {
  if (world.count(DELIVERY) === 0) return;
  const now = world.now();
  for (const d of pending(world)) if (d.next_attempt_at! <= now && (endpoint === undefined || d.endpoint === endpoint)) yield d;
}

/** The oldest due delivery (of one endpoint, or any), if there is one. */
export function firstDue(world: World, endpoint?: string): Delivery | undefined {
  for (const d of dueDeliveries(world, endpoint)) return d;
  return undefined;
}

/** Ids of the endpoints and listeners that can still receive deliveries. */
export function liveEndpoints(world: World): string[] {
  return [...world.idsOf(ENDPOINT), ...world.idsOf(LISTENER)].filter((id) => !world.get(id)!.deleted);
}

/** The world time of the earliest pending attempt (later than `after`, when given), or null when there is none. */
export function nextAttemptAt(world: World, after = -Infinity): number | null {
  let next: number | null = null;
  for (const d of pending(world)) if (d.next_attempt_at! > after && (next === null || d.next_attempt_at! < next)) next = d.next_attempt_at;
  return next;
}

/** The world that keeps a delivery's event: the world itself, or the connected account it came from. */
function eventHome(world: World, delivery: Delivery): World | undefined {
  return delivery.account ? world.connected.get(delivery.account) : world;
}

/** What to send for a delivery: the endpoint's URL and secret, and the event rendered at its version (docs/stripe-facts.md §19.2). */
export function deliveryRequest(world: World, delivery: Delivery): { url: string; secret: string; body: string } | null {
  const endpoint = world.get<WebhookEndpoint>(delivery.endpoint);
  const event = eventHome(world, delivery)?.get(delivery.event) ?? delivery.connect_event;
  const secret = secretOf(world, delivery.endpoint);
  if (!live(endpoint) || !event || !secret) return null;
  const version = endpoint.api_version ?? (event.api_version as string);
  // The endpoint's version (else the event's own, the account's when it was made) renders the event's data (an event renders at its own api_version).
  return { url: endpoint.url, secret, body: renderBody(renderAt({ ...event, api_version: version }, version, world)) };
}

/**
 * Records an attempt's outcome. Any 2xx succeeds and, the first time, counts the
 * event's pending_webhooks down; anything else is retried after the world's
 * retry delays, then the delivery is failed (it can still be resent).
 */
export function recordAttempt(world: World, deliveryId: string, result: AttemptResult): Delivery | null {
  const delivery = world.get<Delivery>(deliveryId);
  if (!delivery) return null;
  const { at, status, latency_ms, response, error } = result;
  const attempts = [...delivery.attempts, { attempt: delivery.attempts.length + 1, at, status, latency_ms, response, error }];
  const ok = result.status !== null && result.status >= 200 && result.status < 300;
  if (ok) {
    const home = eventHome(world, delivery);
    const event = home?.get(delivery.event);
    if (delivery.unacknowledged && home && event) home.update(event, { pending_webhooks: Math.max(0, event.pending_webhooks - 1) });
    return world.replace<Delivery>({ ...delivery, state: 'succeeded', attempts, next_attempt_at: null, unacknowledged: false });
  }
  const failures = attempts.length - delivery.schedule_from;
  const delays = world.config.webhookRetryDelays;
  const endpoint = world.get<WebhookEndpoint>(delivery.endpoint);
  const retry = failures <= delays.length && live(endpoint) && endpoint.status === 'enabled';
  return world.replace<Delivery>({
    ...delivery,
    state: retry ? 'pending' : 'failed',
    attempts,
    next_attempt_at: retry ? result.at + delays[failures - 1] : null,
  });
}

/**
 * Redelivers an event (like `stripe events resend`): to every endpoint it was
 * delivered to, or to `endpointId` (any live endpoint, even one created after
 * the event). Due now; the retry schedule starts over.
 */
export function resend(world: World, eventId: string, endpointId?: string): Delivery[] {
  const event = world.get(eventId)!;
  const ids = endpointId ? [endpointId] : deliveriesOf(world, { event: eventId }).map((d) => d.endpoint);
  const out = ids.map((id) => {
    const existing = world.get<Delivery>(`${eventId}:${id}`);
    if (!existing) return insertDelivery(world, event, id, false);
    return world.replace<Delivery>({ ...existing, state: 'pending', next_attempt_at: world.now(), schedule_from: existing.attempts.length });
  });
  scanFrom.set(world, 0);
  return out;
}

/** Disabling or deleting an endpoint stops its pending deliveries (docs/stripe-facts.md §19.2). */
export function stopDeliveries(world: World, endpointId: string): void {
  for (const d of [...pending(world)]) {
    if (d.endpoint === endpointId) world.replace<Delivery>({ ...d, state: 'failed', next_attempt_at: null });
  }
}

export function deliveriesOf(world: World, filter: { event?: string | null; endpoint?: string | null; state?: string | null } = {}): Delivery[] {
  const out: Delivery[] = [];
  for (const id of world.idsOf(DELIVERY)) {
    const d = world.get<Delivery>(id)!;
    if ((!filter.event || d.event === filter.event) && (!filter.endpoint || d.endpoint === filter.endpoint) && (!filter.state || d.state === filter.state)) {
      out.push(d);
    }
  }
  return out;
}

// --- listeners (`stripe-twin listen`) ---

/**
 * The signing secret of a world's listen sessions: the same for every session
 * of the world (as the Stripe CLI's is per account), derived from the world's
 * account so it consumes nothing from the id stream. `whsec_` and 64 hex
 * characters, the form `stripe listen` prints.
 */
function listenerSecret(world: World): string {
  return `whsec_${new Random(`${world.accountId}:listen`).chars(64, '0123456789abcdef')}`;
}

export function createListener(world: World, url: string, events: string[]): WebhookEndpoint & { secret: string } {
  const id = `listener_${world.count(LISTENER) + 1}`;
  const secret = listenerSecret(world);
  world.facts.set(SECRET(id), secret);
  const listener = world.insert<WebhookEndpoint>({
    id,
    object: LISTENER,
    api_version: null,
    created: world.now(),
    enabled_events: events,
    status: 'enabled',
    url,
  });
  return { ...listener, secret };
}

export function removeListener(world: World, id: string): boolean {
  const listener = world.get<WebhookEndpoint>(id);
  if (!live(listener) || listener.object !== LISTENER) return false;
  world.replace({ id, object: LISTENER, deleted: true });
  stopDeliveries(world, id);
  return true;
}
