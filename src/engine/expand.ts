import { errors } from './errors';
import { withKey } from './render';
import { spec } from './spec';
import { Ctx, StripeObject } from './world';

// expand[] (docs/stripe-facts.md §1.11). Paths are checked against the spec
// before the endpoint runs (an invalid path is a 400 that changes nothing), then
// applied to the response: ids become objects, includable fields are computed.
// The response is copied along each path; stored snapshots are never touched.

export const MAX_EXPAND_DEPTH = 4;

/** A field Stripe only returns when expanded (e.g. Charge.refunds). */
export interface Includable {
  /** How the field links onward, in the compact spec's notation (e.g. 'list:refund'). */
  link: string;
  compute: (ctx: Ctx, obj: StripeObject) => unknown;
}

const includables = new Map<string, Record<string, Includable>>();

export function registerIncludable(schema: string, field: string, includable: Includable): void {
  includables.set(schema, { ...includables.get(schema), [field]: includable });
}

// Path segments come from the client (`expand[]=constructor`): they are looked
// up as own keys only, never through the prototype chain.
const own = <T>(record: Record<string, T> | undefined, key: string): T | undefined =>
  record && Object.hasOwn(record, key) ? record[key] : undefined;

function includable(schema: string, field: string): Includable | undefined {
  return own(includables.get(schema), field);
}

const linkOf = (schema: string, field: string) => own(spec.objects[schema], field);
const targetOf = (link: string) => link.slice(link.indexOf(':') + 1).split('|')[0];
const schemaOf = (obj: StripeObject) => spec.objectSchemas[obj.object] ?? obj.object;

function cannotExpand(segment: string, hint?: string): never {
  throw errors.cannotExpand(segment, hint);
}

/** Whether a field of a schema is gone at the request's version (src/engine/versions.ts `goneAt`). */
export type Gone = (schema: string, field: string) => boolean;
const never: Gone = () => false;

/** Validates every path against the response's schema; throws Stripe's 400s. */
export function checkExpand(paths: string[], schema: string, isList: boolean, gone: Gone = never): void {
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > MAX_EXPAND_DEPTH) {
      throw errors.expandTooDeep(path, MAX_EXPAND_DEPTH);
    }
    let rest = segments;
    if (isList) {
      // Counting lists was withdrawn in 2025-03-31.basil; older versions ask for it before this check (src/versions).
      if (path === 'total_count') throw errors.propertyForbidden('total_count');
      if (rest[0] !== 'data') {
        const hint = linkOf(schema, rest[0]) || includable(schema, rest[0]) ? `data.${path}` : undefined;
        cannotExpand(rest[0], hint);
      }
      rest = rest.slice(1);
    }
    walkSchema(schema, rest, gone);
  }
}

function walkSchema(schema: string, segments: string[], gone: Gone): void {
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (gone(schema, seg)) throw errors.expandGone(seg);
    const link = includable(schema, seg)?.link ?? linkOf(schema, seg);
    const last = i === segments.length - 1;
    if (!link) cannotExpand(seg);
    const expandable = link.startsWith('id:') || Boolean(includable(schema, seg));
    if (last) {
      if (!expandable) cannotExpand(seg);
      return;
    }
    if (link.startsWith('list:')) {
      if (segments[i + 1] !== 'data') cannotExpand(segments[i + 1]);
      i++;
    }
    schema = targetOf(link);
  }
}

/** What an expansion does to a value it looks up or computes (renders it at an older version); none by default. */
type Shape = (value: any) => any;
const asIs: Shape = (value) => value;

/**
 * Applies already-checked paths to a response object or list. `shape` renders
 * what is looked up or computed along the way: expanding a response already
 * rendered at an older version, whose paths name that version's fields.
 */
export function applyExpand<T>(ctx: Ctx, value: T, paths: string[], isList: boolean, shape: Shape = asIs): T {
  let result: any = value;
  for (const path of paths) {
    const segments = path.split('.');
    result = isList ? expandList(ctx, result, segments.slice(1), shape) : expandAt(ctx, result, segments, shape);
  }
  return result;
}

function expandList(ctx: Ctx, list: any, segments: string[], shape: Shape): any {
  if (!list || !Array.isArray(list.data)) return list;
  return { ...list, data: list.data.map((item: any) => expandAt(ctx, item, segments, shape)) };
}

function expandAt(ctx: Ctx, node: any, segments: string[], shape: Shape): any {
  if (!node || typeof node !== 'object' || segments.length === 0) return node;
  const [seg, ...rest] = segments;
  const schema = typeof node.object === 'string' ? schemaOf(node) : null;
  const inc = schema ? includable(schema, seg) : undefined;
  let value: any;
  if (inc && (!Object.hasOwn(node, seg) || typeof node[seg] !== 'object' || node[seg] === null)) value = shape(inc.compute(ctx, node));
  else value = node[seg];
  if (value === undefined) return node;
  if (typeof value === 'string') {
    const found = ctx.world.get(value);
    if (!found) return node; // an id the twin does not store (e.g. pmc_, setatt_): left as is
    value = shape(found);
  } else if (Array.isArray(value) && value.some((v) => typeof v === 'string')) {
    value = value.map((v) => (typeof v === 'string' ? shape(ctx.world.get(v) ?? v) : v)); // an array of ids (`discounts`)
  }
  if (rest.length) {
    if (value && typeof value === 'object' && value.object === 'list' && rest[0] === 'data') value = expandList(ctx, value, rest.slice(1), shape);
    else if (Array.isArray(value)) value = value.map((v) => expandAt(ctx, v, rest, shape));
    else value = expandAt(ctx, value, rest, shape);
  }
  return withKey(node, seg, value);
}
