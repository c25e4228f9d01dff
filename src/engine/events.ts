import { nowIn, scopeOf } from './clock';
import { Matcher, wildcard } from './list';
import { runReactions } from './reactions';
import { queueDeliveries, targetsOf } from './webhooks';
import { Ctx, declareIndex, StripeObject, World } from './world';

// Events (docs/stripe-facts.md §18): a snapshot of the object at the moment of
// the change, previous_attributes on updates, the causing request and its
// idempotency key, and the account's API version, which renders its data.

export interface StripeEvent extends StripeObject {
  object: 'event';
  type: string;
  created: number;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
}

// Events are listed by type (GET /v1/events, the control surface's event log).
declareIndex('event', 'type');

/**
 * An event `type` filter (one name, or a `*` wildcard such as `charge.*`) as a
 * check and as the types to read from the type index: a wildcard is matched
 * against the types the world has seen, never against every event.
 */
export function eventTypes(world: World, type: string): { keep: Matcher; types: string[] } {
  const keep = wildcard(type);
  if (!type.includes('*')) return { keep, types: [type] };
  return { keep, types: [...world.indexKeys('event', 'type')].filter((t) => keep.test(t)) };
}

/** The `request` of a context's events: one object shared by all the events one request causes. */
const eventRequests = new WeakMap<Ctx, { id: string | null; idempotency_key: string | null }>();

function eventRequest(ctx: Ctx): { id: string | null; idempotency_key: string | null } {
  let request = eventRequests.get(ctx);
  if (!request) eventRequests.set(ctx, (request = Object.freeze({ id: ctx.requestId, idempotency_key: ctx.idempotencyKey })));
  return request;
}

export function emit(ctx: Ctx, type: string, object: StripeObject, previous?: Record<string, unknown>): StripeEvent {
  const { world } = ctx;
  const webhooks = targetsOf(world, type);
  // A connected account's events also go to its platform's Connect endpoints (docs/connect.md §4).
  const connectHooks = world.platform ? targetsOf(world.platform, type, true) : [];
  const event: StripeEvent = {
    id: world.ids.next('evt', object.id),
    object: 'event',
    // Events about a connected account's activity name it, between object and api_version [wire].
    ...(world.platform ? { account: world.accountId } : {}),
    api_version: world.config.defaultApiVersion, // the account's version, whatever the request's (docs/versions.md)
    created: nowIn(ctx), // an event about an object on a test clock is dated by that clock
    data: previous ? { object, previous_attributes: previous } : { object },
    livemode: false,
    pending_webhooks: webhooks.length + connectHooks.length,
    request: eventRequest(ctx),
    type,
  };
  world.insert(event, scopeOf(ctx));
  if (webhooks.length) queueDeliveries(world, event, webhooks);
  if (connectHooks.length) queueDeliveries(world.platform!, event, connectHooks, world.accountId);
  runReactions(ctx, event);
  return event;
}

/**
 * The top-level keys that changed from `before` to `after`, with their previous
 * values. Nested objects are given whole; metadata lists only the changed keys,
 * a key that did not exist before as `null` (recorded charge.refund.updated).
 */
export function previousAttributes(before: StripeObject, after: StripeObject): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    const a = before[key];
    const b = after[key];
    if (a === b || same(a, b)) continue;
    if (key === 'metadata' && a && b) {
      const changed: Record<string, unknown> = Object.create(null);
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[k] !== b[k]) changed[k] = a[k] ?? null;
      out[key] = { ...changed };
    } else out[key] = a === undefined ? null : a;
  }
  return Object.keys(out).length ? out : null;
}

function same(a: unknown, b: unknown): boolean {
  return typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b);
}
