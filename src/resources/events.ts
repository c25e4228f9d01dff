import { errors } from '../engine/errors';
import { StripeEvent } from '../engine/events';
import { paginate, wildcard } from '../engine/list';
import { declareIndex, World } from '../engine/world';
import { route } from './common';

// GET /v1/events and /v1/events/{id} (stripe-behaviour.md §18, filters §1.10):
// `type` (one name or a `*` wildcard such as `charge.*`), `types[]` (exact
// names, not together with `type`), `created`.

declareIndex('event', 'type');

/**
 * The event types a `type` (exact or with `*`) or `types[]` filter keeps, as a
 * check and as the index keys to read: a wildcard is matched against the types
 * the world has seen, never against every event.
 */
function typeFilter(world: World, type: string | undefined, types: string[] | undefined): { keep: (t: string) => boolean; types?: string[] } {
  if (type && types) throw errors.onlyOneOf(['type', 'types'], 'types');
  if (types) {
    const set = new Set(types);
    return { keep: (t) => set.has(t), types };
  }
  if (!type) return { keep: () => true };
  if (!type.includes('*')) return { keep: (t) => t === type, types: [type] };
  const pattern = wildcard(type);
  const seen = [...world.indexKeys('event', 'type')].filter((t) => pattern.test(t));
  return { keep: (t) => pattern.test(t), types: seen };
}

export const eventRoutes = [
  route('GET', '/v1/events/{id}', 'event', (ctx, _p, path) => {
    const event = ctx.world.get(path.id);
    if (!event || event.object !== 'event') throw errors.resourceMissing('event', path.id);
    return event;
  }),
  route('GET', '/v1/events', { list: 'event' }, (ctx, params) => {
    const { keep, types } = typeFilter(ctx.world, params.type, params.types);
    return paginate<StripeEvent>(ctx.world, 'event', '/v1/events', params, (e) => keep(e.type), { type: types });
  }),
];
