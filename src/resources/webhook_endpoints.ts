import { errors } from '../engine/errors';
import { paginate } from '../engine/list';
import { Params } from '../engine/params';
import { withKey } from '../engine/render';
import { operation } from '../engine/spec';
import { ENDPOINT, newSecret, stopDeliveries, WebhookEndpoint } from '../engine/webhooks';
import { Ctx } from '../engine/world';
import { EMPTY, find, given, mergeMetadata, route } from './common';

// Webhook endpoints (stripe-behaviour.md §19.1): create, retrieve, update,
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

function createEndpoint(ctx: Ctx, params: Params) {
  const { world } = ctx;
  // The twin has no connected accounts, so a Connect endpoint would never receive anything: say so (501).
  if (params.connect) throw errors.unsupportedParam('POST /v1/webhook_endpoints', 'connect');
  checkUrl(params.url);
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

export const webhookEndpointRoutes = [
  route('POST', '/v1/webhook_endpoints', 'webhook_endpoint', (ctx, params) => createEndpoint(ctx, params)),
  route('GET', '/v1/webhook_endpoints/{webhook_endpoint}', 'webhook_endpoint', (ctx, _p, path) => findEndpoint(ctx, path.webhook_endpoint)),
  route('POST', '/v1/webhook_endpoints/{webhook_endpoint}', 'webhook_endpoint', (ctx, params, path) =>
    updateEndpoint(ctx, findEndpoint(ctx, path.webhook_endpoint), params),
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
