import {
  createListener,
  Delivery,
  deliveriesOf,
  ENDPOINT,
  LISTENER,
  liveEndpoints,
  removeListener,
  resend,
  secretOf,
  WebhookEndpoint,
} from '../engine/webhooks';
import { World } from '../engine/world';
import { EVENT_TYPES } from '../resources/core/webhook_endpoints';
import { ControlError, ControlRoute } from './surface';

// Webhooks on the control surface: endpoint secrets (Stripe prints them only on
// create; here they stay readable), the delivery log, delivering what is due
// now, resending an event, and the listen sessions of `stripe-twin listen`.

function endpointOf(world: World, id: string): WebhookEndpoint {
  const e = world.get<WebhookEndpoint>(id);
  if (!e || e.deleted || (e.object !== ENDPOINT && e.object !== LISTENER)) throw new ControlError(`No webhook endpoint ${id} in this world`, 404);
  return e;
}

const view = (d: Delivery) => ({
  id: d.id,
  event: d.event,
  type: d.type,
  endpoint: d.endpoint,
  state: d.state,
  attempts: d.attempts,
  next_attempt_at: d.next_attempt_at,
  created: d.created,
});

/** `events`: a list or a comma-separated string; every name a Stripe event type (or `*`). */
function eventList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return ['*'];
  const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((s) => s.trim()) : null;
  if (!names || names.some((n) => typeof n !== 'string')) throw new ControlError('"events" must be a list of event types or a comma-separated string');
  const unknown = names.filter((n) => !EVENT_TYPES.has(n));
  if (unknown.length) throw new ControlError(`Unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, 400, 'events');
  return names;
}

export const webhookRoutes: ControlRoute[] = [
  {
    method: 'GET',
    path: '/__admin__/webhooks/endpoints',
    description: 'The world\'s webhook endpoints and listen sessions, with their signing secrets.',
    run: (call) => {
      const world = call.world();
      return {
        endpoints: liveEndpoints(world).map((id) => world.get<WebhookEndpoint>(id)!).map((e) => ({
          id: e.id,
          url: e.url,
          enabled_events: e.enabled_events,
          status: e.status,
          api_version: e.api_version,
          listener: e.object === LISTENER,
          secret: secretOf(world, e.id),
        })),
      };
    },
  },
  {
    method: 'GET',
    path: '/__admin__/webhooks/endpoints/{id}/secret',
    description: 'The signing secret (`whsec_…`) of an endpoint.',
    run: (call) => {
      const world = call.world();
      const e = endpointOf(world, call.params.id);
      return { id: e.id, secret: secretOf(world, e.id) };
    },
  },
  {
    method: 'GET',
    path: '/__admin__/webhooks/deliveries',
    description: 'The delivery log, newest first: state, next attempt, and each attempt\'s status, latency and response.',
    params: {
      event: { in: 'query', type: 'string', description: 'an event id' },
      endpoint: { in: 'query', type: 'string', description: 'an endpoint or listener id' },
      state: { in: 'query', type: 'string', description: 'delivery state', enum: ['pending', 'succeeded', 'failed'] },
    },
    run: (call) => {
      const world = call.world();
      const filter = { event: call.query.get('event'), endpoint: call.query.get('endpoint'), state: call.query.get('state') };
      if (filter.state && !['pending', 'succeeded', 'failed'].includes(filter.state)) {
        throw new ControlError('"state" must be pending, succeeded or failed', 400, 'state');
      }
      return { deliveries: deliveriesOf(world, filter).reverse().map(view) };
    },
  },
  {
    method: 'POST',
    path: '/__admin__/webhooks/drain',
    description: 'Delivers everything due now and waits; answers counts by state.',
    run: async (call) => {
      const world = call.world();
      await call.twin.dispatcher?.drain(world);
      const count = (state: string) => deliveriesOf(world, { state }).length;
      return { pending: count('pending'), succeeded: count('succeeded'), failed: count('failed') };
    },
  },
  {
    method: 'POST',
    path: '/__admin__/events/{id}/resend',
    description: 'Redelivers an event to its endpoints, or to one, with a fresh retry schedule, and waits.',
    params: {
      endpoint: { in: 'body', type: 'string', description: 'deliver to this endpoint only' },
    },
    run: async (call) => {
      const world = call.world();
      const event = world.get(call.params.id);
      if (!event || event.object !== 'event') throw new ControlError(`No event ${call.params.id} in this world`, 404);
      const endpoint = call.body.endpoint as string | undefined;
      if (endpoint !== undefined) {
        if (endpointOf(world, endpoint).status !== 'enabled') throw new ControlError(`Webhook endpoint ${endpoint} is disabled`, 409);
      } else if (deliveriesOf(world, { event: event.id }).length === 0) {
        throw new ControlError(`${event.id} was not delivered to any endpoint; name one with "endpoint"`, 409);
      }
      const ids = world.transaction(() => resend(world, event.id, endpoint).map((d) => d.id));
      await call.twin.dispatcher?.drain(world);
      return { deliveries: ids.map((id) => view(world.get<Delivery>(id)!)) };
    },
  },
  {
    method: 'POST',
    path: '/__admin__/webhooks/listeners',
    description: 'Registers a listen session (what `stripe-twin listen` does): events are delivered, signed, to its URL.',
    params: {
      url: { in: 'body', type: 'string', description: 'http(s) URL to deliver to', required: true },
      events: { in: 'body', type: 'array', description: 'event types to receive (default ["*"])' },
    },
    run: (call) => {
      const world = call.world();
      const { url } = call.body;
      if (typeof url !== 'string' || !/^https?:\/\/./.test(url)) throw new ControlError('"url" must be an http(s) URL', 400, 'url');
      const events = eventList(call.body.events);
      const listener = world.transaction(() => createListener(world, url, events));
      return { id: listener.id, url, enabled_events: events, api_version: world.config.defaultApiVersion, secret: listener.secret };
    },
  },
  {
    method: 'DELETE',
    path: '/__admin__/webhooks/listeners/{id}',
    description: 'Ends a listen session.',
    run: (call) => {
      const world = call.world();
      if (!world.transaction(() => removeListener(world, call.params.id))) throw new ControlError(`No listener ${call.params.id} in this world`, 404);
      return { id: call.params.id, deleted: true };
    },
  },
];
