import { errors } from '../../engine/errors';
import { Params } from '../../engine/params';
import { withKey } from '../../engine/render';
import { operation } from '../../engine/spec';
import { ENDPOINT, markConnect, newSecret, stopDeliveries, WebhookEndpoint } from '../../engine/webhooks';
import { Ctx, StripeObject } from '../../engine/world';
import { defineResource, EMPTY, mergeMetadata, route } from '../../engine/resource';

// Webhook endpoints (docs/stripe-facts.md §19.1): create, retrieve, update,
// delete, list. The signing secret is printed by create only; the control
// surface reads it back (src/control/webhooks.ts). Delivery is engine state
// (src/engine/webhooks.ts). `enabled_events` is checked against the spec's enum
// like any parameter (errors.invalidEnum words it as Stripe does).

/** Event names an endpoint may subscribe to: the spec's enum, `*` included. */
export const EVENT_TYPES: ReadonlySet<string> = new Set(
  operation('POST', '/v1/webhook_endpoints').params.properties!.enabled_events.items!.enum,
);

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

function createEndpoint(ctx: Ctx, params: Params): StripeObject {
  const { world } = ctx;
  checkUrl(params.url);
  const live = world.idsOf(ENDPOINT).filter((id) => !world.get(id)!.deleted).length;
  if (live >= MAX_ENDPOINTS) throw errors.paramState(`You have reached the maximum of ${MAX_ENDPOINTS} test webhook endpoints.`, 'url');
  const endpoint: WebhookEndpoint = webhookEndpoints.insert(ctx, params, { status: 'enabled' });
  // `connect=true`: the connected accounts' events, not the account's own (docs/connect.md §4); the object shows no such field.
  if (params.connect) markConnect(world, endpoint.id);
  // Only this response carries the secret (docs/stripe-facts.md §19.1); the stored object never does.
  return withKey(endpoint, 'secret', newSecret(world, endpoint.id));
}

function updateEndpoint(ctx: Ctx, endpoint: WebhookEndpoint, params: Params) {
  for (const name of ['url', 'enabled_events']) if (params[name] === null) throw errors.emptyString(name);
  if (params.url !== undefined) checkUrl(params.url);
  const next = webhookEndpoints.apply(ctx, endpoint, params);
  if (params.disabled != null) next.status = params.disabled ? 'disabled' : 'enabled';
  const saved = ctx.world.replace(next);
  if (saved.status === 'disabled') stopDeliveries(ctx.world, saved.id);
  return saved;
}

export const webhookEndpoints = defineResource<'webhook_endpoint', WebhookEndpoint>({
  object: ENDPOINT,
  prefix: 'we',
  path: '/v1/webhook_endpoints',
  name: 'webhook endpoint',
  // The signing secret is printed by create only (docs/stripe-facts.md §19.1).
  omit: ['secret'],
  create: createEndpoint,
  defaults: { metadata: EMPTY },
  writable: { api_version: true, description: true, enabled_events: true, metadata: (value, current) => mergeMetadata(current, value), url: true },
  delete: { retrievable: false, response: 'deleted_webhook_endpoint', after: (ctx, endpoint) => stopDeliveries(ctx.world, endpoint.id) },
  routes: { update: false },
}).with(
  route('POST', '/v1/webhook_endpoints/{webhook_endpoint}', 'webhook_endpoint', (ctx, params, path) =>
    updateEndpoint(ctx, webhookEndpoints.find(ctx, path.webhook_endpoint), params),
  ),
);
