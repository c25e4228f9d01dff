import { errors } from './errors';
import { Params } from './params';
import { indexKey, isIndexed, lowerBound, Run, StripeObject, World } from './world';

// Lists and cursor pagination (docs/stripe-facts.md §1.10): newest first,
// `limit` 1–100 (default 10), `starting_after` (older) and `ending_before`
// (newer) cursors, `has_more`, `url`.

/** Something that says whether a name matches it (a compiled wildcard). */
export interface Matcher {
  test(name: string): boolean;
}

/**
 * A pattern where `*` matches any run of characters (`payment_intent.*`),
 * everything else literally. Matching is linear, whatever the pattern: the
 * literal pieces between stars are found left to right, each at its first
 * place after the previous one (for `*`-only globs the leftmost fit is always
 * safe), so `****************Z` costs one scan, not a backtracking search.
 */
export function wildcard(pattern: string): Matcher {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return { test: (name) => name === pattern };
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const middle = pieces.slice(1, -1).filter((p) => p !== '');
  const least = first.length + last.length + middle.reduce((n, p) => n + p.length, 0);
  return {
    test(name) {
      if (name.length < least || !name.startsWith(first) || !name.endsWith(last)) return false;
      let at = first.length;
      const end = name.length - last.length;
      for (const piece of middle) {
        const found = name.indexOf(piece, at);
        if (found === -1 || found + piece.length > end) return false;
        at = found + piece.length;
      }
      return true;
    },
  };
}

export interface ListResult<T extends StripeObject = StripeObject> {
  object: 'list';
  data: T[];
  has_more: boolean;
  total_count?: number;
  url: string;
}

/** Set on a list's params when the answer counts every match (expand[]=total_count, before 2025-03-31.basil). */
export const TOTAL_COUNT = Symbol('total_count');

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

/**
 * Index lookups that narrow a list: field → the value, or values, a filter keeps
 * (null or undefined: that field is not filtered). Only fields with a declared
 * index count; the list's `filter` must still check each of them, since an index
 * lists candidates.
 */
export type Lookup = Record<string, string | readonly string[] | null | undefined>;

/**
 * Where a list's candidates come from: runs of positions to merge (World.runs:
 * the clock scopes asked for, narrowed to a `created` range; or the lists of the
 * smallest indexed lookup within them). Readers recheck every object.
 */
export interface Candidates {
  runs: Run[];
  /** The newest position a run holds (-1 when none): where a newest-first walk starts. */
  to: number;
}

/**
 * The narrowest source for a list or search: the objects made on `clock`
 * (undefined: on any clock; null: the account's) within the `created` range, or
 * the smallest indexed lookup within their bounds when that is smaller.
 */
export function candidates(world: World, object: string, lookup: Lookup, created?: Range, clock?: string | null): Candidates {
  let gte = -Infinity;
  let lte = Infinity;
  if (created !== undefined && created !== null) {
    gte = typeof created === 'number' ? created : Math.max(created.gte ?? -Infinity, (created.gt ?? -Infinity) + 1);
    lte = typeof created === 'number' ? created : Math.min(created.lte ?? Infinity, (created.lt ?? Infinity) - 1);
  }
  let runs = world.runs(object, clock, gte, lte).filter((r) => r.to > r.from);
  let size = 0;
  let lowest = Infinity;
  let highest = -1;
  for (const r of runs) {
    size += r.to - r.from;
    lowest = Math.min(lowest, r.positions ? r.positions[r.from] : r.from);
    highest = Math.max(highest, r.positions ? r.positions[r.to - 1] : r.to - 1);
  }
  for (const field in lookup) {
    const value = lookup[field];
    if (value === null || value === undefined || !isIndexed(object, field)) continue;
    const keys = typeof value === 'string' ? [value] : value;
    const found = keys.map((k) => world.indexed(object, field, indexKey(k)));
    const bounded = found.map((l) => ({ positions: l, from: lowerBound(l, lowest), to: lowerBound(l, highest + 1) }));
    const n = bounded.reduce((sum, r) => sum + r.to - r.from, 0);
    if (n < size) [runs, size] = [bounded, n];
  }
  return { runs, to: highest };
}

/**
 * Candidate positions in one direction, starting at `start` (inclusive); the
 * runs are merged, each position once.
 */
export function* positions(c: Candidates, start: number, descending: boolean): Generator<number> {
  const { runs } = c;
  if (runs.length === 1 && runs[0].positions === null) {
    const { from, to } = runs[0];
    if (descending) for (let p = Math.min(start, to - 1); p >= from; p--) yield p;
    else for (let p = Math.max(start, from); p < to; p++) yield p;
    return;
  }
  const step = descending ? -1 : 1;
  const position = (r: Run, i: number) => (r.positions ? r.positions[i] : i);
  // Each run's next index: its last position ≤ start (descending) or its first ≥ start (ascending).
  const at = runs.map((r) => {
    if (descending) return Math.min(r.positions ? lowerBound(r.positions, start + 1) - 1 : start, r.to - 1);
    return Math.max(r.positions ? lowerBound(r.positions, start) : start, r.from);
  });
  const live = (k: number) => at[k] >= runs[k].from && at[k] < runs[k].to;
  for (;;) {
    let next = -1;
    for (let k = 0; k < runs.length; k++) {
      if (!live(k)) continue;
      const p = position(runs[k], at[k]);
      if (next === -1 || (descending ? p > next : p < next)) next = p;
    }
    if (next === -1) return;
    yield next;
    for (let k = 0; k < runs.length; k++) if (live(k) && position(runs[k], at[k]) === next) at[k] += step;
  }
}

export function paginate<T extends StripeObject>(
  world: World,
  object: string,
  url: string,
  params: Params,
  filter: (obj: T) => boolean = () => true,
  lookup: Lookup = {},
  /** Only objects made on this clock (null: the account's; the filter must recheck); undefined: any. */
  clock?: string | null,
): ListResult<T> {
  const limit = checkLimit(params.limit);
  const { starting_after: after, ending_before: before } = params;
  if (after && before) {
    throw errors.onlyOneOf(['ending_before', 'starting_after'], 'ending_before');
  }
  const created = params.created as Range;
  const keep = (obj: T) => inRange(obj.created, created) && filter(obj);
  const cursor = (param: string, id: string) => {
    const pos = world.positionOf(object, id);
    if (pos === undefined) throw errors.resourceMissing(object, id, param);
    return pos;
  };
  const source = candidates(world, object, lookup, created, clock);
  // `ending_before`: the `limit` objects just newer than the cursor, still newest first.
  const descending = !before;
  const start = before ? cursor('ending_before', before) + 1 : after ? cursor('starting_after', after) - 1 : source.to;
  const data: T[] = [];
  let hasMore = false;
  for (const p of positions(source, start, descending)) {
    const obj = world.at<T>(object, p);
    if (!keep(obj)) continue;
    if (data.length === limit) {
      hasMore = true;
      break;
    }
    data.push(obj);
  }
  if (before) data.reverse();
  if (params[TOTAL_COUNT as any]) {
    let total = 0;
    for (const p of positions(source, source.to, true)) if (keep(world.at<T>(object, p))) total++;
    return { object: 'list', data, has_more: hasMore, total_count: total, url };
  }
  return { object: 'list', data, has_more: hasMore, url };
}
