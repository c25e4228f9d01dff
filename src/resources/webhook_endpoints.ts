import { errors, oxfordList } from '../engine/errors';
import { paginate } from '../engine/list';
import { Params, Schema } from '../engine/params';
import { withKey } from '../engine/render';
import { operation } from '../engine/spec';
import { ENDPOINT, newSecret, stopDeliveries, WebhookEndpoint } from '../engine/webhooks';
import { Ctx } from '../engine/world';
import { EMPTY, find, given, mergeMetadata, Route, route } from './common';

// Webhook endpoints (stripe-behaviour.md §19.1): create, retrieve, update,
// delete, list. The signing secret is printed by create only; the control
// surface reads it back (src/control/webhooks.ts). Delivery is engine state
// (src/engine/webhooks.ts).

/** Event names an endpoint may subscribe to: the spec's enum, `*` included. */
export const EVENT_TYPES: ReadonlySet<string> = new Set(
  operation('POST', '/v1/webhook_endpoints').params.properties!.enabled_events.items!.enum,
);

/**
 * Wire text (a 2025 `stripe webhook_endpoints create` transcript): `Invalid
 * enabled_events[0]: must be one of account.application.authorized, …` — the
 * list without `*`, and the parameter named with its index, which the generic
 * enum error (named by its last segment) would drop. The list's ending is (unverified).
 */
export function checkEvents(events: string[], param = 'enabled_events'): void {
  events.forEach((name, i) => {
    if (!EVENT_TYPES.has(name)) {
      const names = [...EVENT_TYPES].filter((n) => n !== '*');
      throw errors.paramState(`Invalid ${param}[${i}]: must be one of ${oxfordList(names, 'or')}`, `${param}[${i}]`);
    }
  });
}

/**
 * Texts Stripe gives for other URL parameters (wire: "Invalid URL: An explicit
 * scheme (such as https) must be provided.", "Not a valid URL"); for webhook
 * endpoints (unverified). Plain http and local hosts are accepted: the twin's
 * receivers are local.
 */
function checkUrl(url: string): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw errors.paramState('Invalid URL: An explicit scheme (such as https) must be provided.', 'url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.paramState('Not a valid URL', 'url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw errors.paramState('Not a valid URL', 'url');
}

/** Wire text [several integrations match on it]; 16 per account in test mode. */
const MAX_ENDPOINTS = 16;

function createEndpoint(ctx: Ctx, params: Params) {
  const { world } = ctx;
  // The twin has no connected accounts, so a Connect endpoint would never receive anything: say so (501).
  if (params.connect) throw errors.unsupportedParam('POST /v1/webhook_endpoints', 'connect');
  checkUrl(params.url);
  checkEvents(params.enabled_events);
  const live = world.idsOf(ENDPOINT).filter((id) => !world.get(id)!.deleted).length;
  if (live >= MAX_ENDPOINTS) throw errors.paramState(`You have reached the maximum of ${MAX_ENDPOINTS} test webhook endpoints.`, 'url');
  const endpoint = world.insert<WebhookEndpoint>({
    id: world.ids.next('we'),
    object: ENDPOINT,
    api_version: params.api_version ?? null,
    application: null,
    created: world.now(),
    description: params.description ?? null,
    enabled_events: params.enabled_events,
    livemode: false,
    metadata: mergeMetadata(EMPTY, params.metadata),
    status: 'enabled',
    url: params.url,
  });
  // Only this response carries the secret (§19.1); the stored object never does.
  return withKey(endpoint, 'secret', newSecret(world, endpoint.id));
}

function updateEndpoint(ctx: Ctx, endpoint: WebhookEndpoint, params: Params) {
  for (const name of ['url', 'enabled_events']) if (params[name] === null) throw errors.emptyString(name);
  if (params.url !== undefined) checkUrl(params.url);
  if (params.enabled_events !== undefined) checkEvents(params.enabled_events);
  const next: WebhookEndpoint = {
    ...endpoint,
    description: given(params.description, endpoint.description),
    enabled_events: params.enabled_events ?? endpoint.enabled_events,
    metadata: mergeMetadata(endpoint.metadata, params.metadata),
    status: params.disabled == null ? endpoint.status : params.disabled ? 'disabled' : 'enabled',
    url: params.url ?? endpoint.url,
  };
  const saved = ctx.world.replace(next);
  if (saved.status === 'disabled') stopDeliveries(ctx.world, saved.id);
  return saved;
}

const findEndpoint = (ctx: Ctx, id: string) => find<WebhookEndpoint>(ctx, ENDPOINT, id, 'id', 'webhook endpoint');

/**
 * The spec's parameters, with enabled_events' enum lifted out so checkEvents
 * words the error; every other parameter is validated from the spec as usual.
 */
function eventsUnchecked(r: Route): Route {
  const events = r.params.properties!.enabled_events;
  const params: Schema = { ...r.params, properties: { ...r.params.properties, enabled_events: { ...events, items: { type: 'string' } } } };
  return { ...r, params };
}

export const webhookEndpointRoutes = [
  eventsUnchecked(route('POST', '/v1/webhook_endpoints', 'webhook_endpoint', (ctx, params) => createEndpoint(ctx, params))),
  route('GET', '/v1/webhook_endpoints/{webhook_endpoint}', 'webhook_endpoint', (ctx, _p, path) => findEndpoint(ctx, path.webhook_endpoint)),
  eventsUnchecked(
    route('POST', '/v1/webhook_endpoints/{webhook_endpoint}', 'webhook_endpoint', (ctx, params, path) =>
      updateEndpoint(ctx, findEndpoint(ctx, path.webhook_endpoint), params),
    ),
  ),
  route('DELETE', '/v1/webhook_endpoints/{webhook_endpoint}', 'deleted_webhook_endpoint', (ctx, _p, path) => {
    const endpoint = findEndpoint(ctx, path.webhook_endpoint);
    const stub = { id: endpoint.id, object: ENDPOINT, deleted: true as const };
    ctx.world.replace(stub);
    stopDeliveries(ctx.world, endpoint.id);
    return stub;
  }),
  route('GET', '/v1/webhook_endpoints', { list: 'webhook_endpoint' }, (ctx, params) =>
    paginate<WebhookEndpoint>(ctx.world, ENDPOINT, '/v1/webhook_endpoints', params, (e) => !e.deleted),
  ),
];
