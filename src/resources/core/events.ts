import { errors } from '../../engine/errors';
import { eventTypes, StripeEvent } from '../../engine/events';
import { paginate } from '../../engine/list';
import { World } from '../../engine/world';
import { defineResource, route } from '../../engine/resource';

// GET /v1/events and /v1/events/{id} (docs/stripe-facts.md §18, filters §1.10):
// `type` (one name or a `*` wildcard such as `charge.*`), `types[]` (exact
// names, not together with `type`), `created`.

/** The event types a `type` or `types[]` filter keeps, as a check and as the index keys to read. */
function typeFilter(world: World, type: string | undefined, types: string[] | undefined): { keep: (t: string) => boolean; types?: string[] } {
  if (type && types) throw errors.onlyOneOf(['type', 'types'], 'types');
  if (types) {
    const set = new Set(types);
    return { keep: (t) => set.has(t), types };
  }
  if (!type) return { keep: () => true };
  const named = eventTypes(world, type);
  return { keep: (t) => named.keep.test(t), types: named.types };
}

// Events are made by the engine (src/engine/events.ts) as other objects change.
export const events = defineResource({
  object: 'event',
  prefix: 'evt',
  path: '/v1/events',
  omit: ['account', 'context'],
  routes: { list: false },
}).with(
  route('GET', '/v1/events', { list: 'event' }, (ctx, params) => {
    const { keep, types } = typeFilter(ctx.world, params.type, params.types);
    return paginate<StripeEvent>(ctx.world, 'event', '/v1/events', params, (e) => keep(e.type), { type: types });
  }),
);
