import { errors } from '../engine/errors';
import { StripeEvent } from '../engine/events';
import { paginate, wildcard } from '../engine/list';
import { route } from './common';

// GET /v1/events and /v1/events/{id} (stripe-behaviour.md §18, filters §1.10):
// `type` (one name or a `*` wildcard such as `charge.*`), `types[]` (exact
// names, not together with `type`), `created`.

function typeMatcher(type: string | undefined, types: string[] | undefined): (t: string) => boolean {
  if (type && types) throw errors.onlyOneOf(['type', 'types'], 'types');
  if (types) {
    const set = new Set(types);
    return (t) => set.has(t);
  }
  if (!type) return () => true;
  if (!type.includes('*')) return (t) => t === type;
  const pattern = wildcard(type);
  return (t) => pattern.test(t);
}

export const eventRoutes = [
  route('GET', '/v1/events/{id}', 'event', (ctx, _p, path) => {
    const event = ctx.world.get(path.id);
    if (!event || event.object !== 'event') throw errors.resourceMissing('event', path.id);
    return event;
  }),
  route('GET', '/v1/events', { list: 'event' }, (ctx, params) => {
    const matches = typeMatcher(params.type, params.types);
    return paginate<StripeEvent>(ctx.world, 'event', '/v1/events', params, (e) => matches(e.type));
  }),
];
