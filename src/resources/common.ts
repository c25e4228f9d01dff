import { errors } from '../engine/errors';
import { ListResult } from '../engine/list';
import { SearchResult } from '../engine/search';
import { Params, Schema } from '../engine/params';
import { operation } from '../engine/spec';
import { Ctx, StripeObject } from '../engine/world';

// What a resource module declares, and the small helpers every resource uses.

export type Handler = (ctx: Ctx, params: Params, path: Record<string, string>) => StripeObject | ListResult | SearchResult;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** The spec's path template, e.g. `/v1/payment_intents/{intent}/confirm`. */
  path: string;
  /** Schema of the response object, for checking expand[] paths. */
  response: string;
  list: boolean;
  /** Request parameters, from the OpenAPI spec. */
  params: Schema;
  handler: Handler;
}

/** Declares a route whose parameters come from the spec's operation of the same method and path. */
export function route(method: Route['method'], path: string, response: string | { list: string }, handler: Handler): Route {
  const list = typeof response === 'object';
  return {
    method,
    path,
    response: list ? response.list : response,
    list,
    params: operation(method, path).params,
    handler,
  };
}

/**
 * The stored object `id` of type `object`, or Stripe's resource_missing:
 * 404 with `param: "id"` for an id in the path, 400 naming the parameter otherwise.
 */
export function find<T extends StripeObject>(ctx: Ctx, object: string, id: string, param = 'id', name = object): T {
  const found = ctx.world.get<T>(id);
  if (!found || found.object !== object || found.deleted) throw errors.resourceMissing(name, id, param);
  return found;
}

/**
 * Parts of objects that are the same on every snapshot are shared, frozen:
 * stored objects are never mutated, and sharing keeps a world's memory small.
 */
export function shared<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) shared(v);
    Object.freeze(value);
  }
  return value;
}

export const EMPTY: Record<string, never> = shared({});

/** Applies a metadata update (`null` value = remove key, `null` = remove all) and checks Stripe's limits (§1.9). */
export function mergeMetadata(current: Record<string, string>, update: Record<string, string | null> | null | undefined): Record<string, string> {
  if (update === undefined) return current;
  if (update === null) return EMPTY;
  const next: Record<string, string> = Object.assign(Object.create(null), current);
  for (const [key, value] of Object.entries(update)) {
    if (value === null || value === '') delete next[key];
    else next[key] = value;
  }
  for (const [key, value] of Object.entries(next)) {
    if (key.length > 40) throw errors.metadataKeyTooLong(key);
    if (key.includes('[') || key.includes(']')) throw errors.metadataKeyBrackets(key);
    if (value.length > 500) throw errors.metadataValueTooLong(value);
  }
  const count = Object.keys(next).length;
  if (count > 50) throw errors.metadataTooManyKeys();
  return count ? { ...next } : EMPTY;
}

/** Parameters Stripe accepts but the twin does not model: 501, never a silent success. */
export function unsupportedParams(operation: string, params: Params, names: string[]): void {
  for (const name of names) if (params[name] !== undefined && params[name] !== null) throw errors.unsupportedParam(operation, name);
}

/** A copy of `o` with its keys in alphabetical order (how Stripe prints some hashes). */
export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** `value` when the parameter was sent (null = cleared), else `fallback`. */
export function given<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

export const ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

export function address(input: Params | null | undefined): Record<string, string | null> | null {
  if (!input) return null;
  return Object.fromEntries(ADDRESS_KEYS.map((k) => [k, input[k] ?? null]));
}

/** Shipping details as stored on customers, PaymentIntents and charges. */
export function shipping(input: Params | null | undefined): Record<string, unknown> | null {
  if (!input) return null;
  return {
    address: address(input.address ?? {}),
    carrier: input.carrier ?? null,
    name: input.name ?? null,
    phone: input.phone ?? null,
    tracking_number: input.tracking_number ?? null,
  };
}

const NO_BILLING_DETAILS = shared({
  address: address({}),
  email: null,
  name: null,
  phone: null,
  tax_id: null,
});

export function billingDetails(input: Params | null | undefined): Record<string, unknown> {
  if (!input) return NO_BILLING_DETAILS;
  return {
    address: address(input?.address ?? {}),
    email: input?.email ?? null,
    name: input?.name ?? null,
    phone: input?.phone ?? null,
    tax_id: input?.tax_id ?? null,
  };
}

/** Midnight UTC `days` calendar days after `time` (balance availability, §7.3). */
export function midnightAfter(time: number, days: number): number {
  return (Math.floor(time / 86400) + days) * 86400;
}
