import { errors } from './errors';
import { Params } from './params';
import { StripeObject, World } from './world';

// Lists and cursor pagination (stripe-behaviour.md §1.10): newest first,
// `limit` 1–100 (default 10), `starting_after` (older) and `ending_before`
// (newer) cursors, `has_more`, `url`.

/** A pattern where `*` matches any run of characters (`payment_intent.*`), everything else literally. */
export function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export interface ListResult<T extends StripeObject = StripeObject> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export type Range = number | { gt?: number; gte?: number; lt?: number; lte?: number } | null | undefined;

/** The `created` (or any timestamp) filter: an exact integer or a range. */
export function inRange(value: number, range: Range): boolean {
  if (range === undefined || range === null) return true;
  if (typeof range === 'number') return value === range;
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}

/** Checks `limit` the way Stripe's validators word it (E14's 2020 wording; the ≤ 100 text (unverified)). */
export function checkLimit(limit: number | null | undefined, max = 100): number {
  if (limit === undefined || limit === null) return 10;
  if (limit < 1) throw errors.paramState('This value must be greater than or equal to 1.', 'limit', 'parameter_invalid_integer');
  if (limit > max) throw errors.paramState(`This value must be less than or equal to ${max}.`, 'limit', 'parameter_invalid_integer');
  return limit;
}

export function paginate<T extends StripeObject>(
  world: World,
  object: string,
  url: string,
  params: Params,
  filter: (obj: T) => boolean = () => true,
): ListResult<T> {
  const limit = checkLimit(params.limit);
  const { starting_after: after, ending_before: before } = params;
  if (after && before) {
    throw errors.onlyOneOf(['ending_before', 'starting_after'], 'ending_before');
  }
  const ids = world.idsOf(object);
  const created = params.created as Range;
  const keep = (obj: T) => inRange(obj.created, created) && filter(obj);
  const cursor = (param: string, id: string) => {
    const pos = world.positionOf(object, id);
    if (pos === undefined) throw errors.resourceMissing(object, id, param);
    return pos;
  };
  const data: T[] = [];
  let hasMore = false;
  if (before) {
    // The `limit` objects just newer than the cursor, still newest first.
    for (let i = cursor('ending_before', before) + 1; i < ids.length; i++) {
      const obj = world.get<T>(ids[i])!;
      if (!keep(obj)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(obj);
    }
    data.reverse();
  } else {
    for (let i = (after ? cursor('starting_after', after) : ids.length) - 1; i >= 0; i--) {
      const obj = world.get<T>(ids[i])!;
      if (!keep(obj)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(obj);
    }
  }
  return { object: 'list', data, has_more: hasMore, url };
}
