import { isTree, FormTree, FormValue } from '../engine/form';
import { withKey } from '../engine/render';
import { LATEST_VERSION, VersionedRequest } from '../engine/versions';
import { Ctx, indexKey, StripeObject, World } from '../engine/world';

// What the version changes share: placing and dropping keys in Stripe's order,
// finding objects by an indexed field, a context to build objects in.

/** `obj` with `key` set where Stripe prints it (id, object, then alphabetical). */
export const put = (obj: Record<string, any>, key: string, value: unknown): Record<string, any> => withKey(obj, key, value);

/** `obj` with `values` set, each where Stripe prints it. */
export function putAll(obj: Record<string, any>, values: Record<string, unknown>): Record<string, any> {
  let out = obj;
  for (const [k, v] of Object.entries(values)) out = withKey(out, k, v);
  return out;
}

/** `obj` without `keys`. */
export function drop(obj: Record<string, any>, ...keys: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const k of Object.keys(obj)) if (!keys.includes(k)) out[k] = obj[k];
  return out;
}

/** A key renamed in place of the old one's order (`to` placed where Stripe prints it). */
export function rename(obj: Record<string, any>, from: string, to: string): Record<string, any> {
  if (!(from in obj)) return obj;
  return put(drop(obj, from), to, obj[from]);
}

/** The objects of `object` whose indexed `field` is `value`, oldest first. */
export function findBy<T extends StripeObject>(world: World, object: string, field: string, value: string): T[] {
  return world.indexed(object, field, indexKey(value)).map((p) => world.at<T>(object, p)).filter((o) => !o.deleted);
}

/** The object an id names, if the world has it and it is of `object`. */
export function lookup<T extends StripeObject>(world: World, id: unknown, object?: string): T | undefined {
  if (typeof id !== 'string') return undefined;
  const found = world.get<T>(id);
  return found && (!object || found.object === object) ? found : undefined;
}

/** The id of a field that may be an id or an expanded object. */
export const idOf = (value: unknown): string | null => (typeof value === 'string' ? value : value && typeof value === 'object' ? ((value as { id?: string }).id ?? null) : null);

/** A context to build resources' objects in, outside a request (canonical version). */
export const buildCtx = (world: World): Ctx => ({ world, requestId: null, idempotencyKey: null, apiVersion: LATEST_VERSION, apiKey: undefined, clock: undefined });

/** Whether a request is `METHOD route` for one of `routes` (`POST /v1/payment_intents`). */
export const isRoute = (req: VersionedRequest, ...routes: string[]) => routes.includes(`${req.method} ${req.route}`);

/** A list parameter's values, sent as `name[]=…` or `name[0]=…` (indexed keys stay a tree until parameters are checked). */
export function listParam(params: FormTree, name: string): FormValue[] | undefined {
  const value = param(params, name);
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  return isTree(value) ? Object.keys(value).sort((a, b) => Number(a) - Number(b)).map((k) => value[k]) : [value];
}

/** A form parameter (decoded), if sent. */
export const param = (params: FormTree, name: string): FormValue | undefined => (Object.hasOwn(params, name) ? params[name] : undefined);

export { isTree };
