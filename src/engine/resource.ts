import { nowIn, onTestClock, scopeOf } from './clock';
import { errors } from './errors';
import { emit, previousAttributes } from './events';
import { ListResult, paginate } from './list';
import { Params, Schema } from './params';
import { metadataKeys, search, SearchResult } from './search';
import { FieldOf, ObjectName, shapes } from './shapes';
import { operation, spec } from './spec';
import { Ctx, declareIndex, StripeObject } from './world';

// What a resource is: one declaration per Stripe object (its name, id prefix,
// collection path, field skeleton, writable parameters, list filters, search
// fields, deletion) from which retrieve, list, search, delete and
// update-with-events are made. A handler is written only where Stripe has
// behaviour (create, confirm, capture…), and it builds objects with `build` and
// saves them with `save`, so key order and events come from one place.

export type Handler = (ctx: Ctx, params: Params, path: Record<string, string>) => StripeObject | ListResult | SearchResult;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** The spec's path template, e.g. `/v1/payment_intents/{intent}/confirm`. */
  path: string;
  /** Schema of the response object, for checking expand[] paths. */
  response: string;
  list: boolean;
  /** What the route does in one line (the spec's summary). */
  description: string;
  /** Request parameters, from the OpenAPI spec. */
  params: Schema;
  handler: Handler;
}

/** Declares a route whose parameters come from the spec's operation of the same method and path. */
export function route(method: Route['method'], path: string, response: string | { list: string }, handler: Handler): Route {
  const list = typeof response === 'object';
  const op = operation(method, path);
  return { method, path, response: list ? response.list : response, list, description: op.summary || `${method} ${path}`, params: op.params, handler };
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

/** Applies a metadata update (`null` value = remove key, `null` = remove all) and checks Stripe's limits (docs/stripe-facts.md §1.9). */
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
export function unsupportedParams(operation: string, params: Params, names: readonly string[]): void {
  for (const name of names) if (params[name] !== undefined && params[name] !== null) throw errors.unsupportedParam(operation, name);
}

/**
 * A stored object of type `O`: exactly the fields its skeleton has (plus `Extra`
 * ones the declaration adds), so a misspelled field does not compile.
 */
export type Shaped<O extends ObjectName, Extra extends string = never> = { id: string; object: O } & { [K in Exclude<FieldOf<O> | Extra, 'id' | 'object'>]: any };

/**
 * How a parameter becomes its field: `true` stores the value as sent (an empty
 * string, decoded as null, clears it); a function computes the field from the
 * value sent and the field's current value (on create, its default).
 */
export type Writable = true | ((value: any, current: any, ctx: Ctx) => unknown);

/** How a search field is read: text, a number (comparisons allowed) or metadata. */
export type SearchField = 'text' | 'number' | 'metadata';

export interface ResourceDeclaration<O extends ObjectName, Extra extends string = never> {
  object: O;
  /** Id prefix (`cus` → `cus_…`). */
  prefix: string;
  /**
   * Collection path, `/v1/customers`: the item path is the spec's `${path}/{…}`.
   * Null for objects stored without routes of their own (discounts).
   */
  path: string | null;
  /** The object's name in resource_missing messages ("No such PaymentMethod"), when not `object`. */
  name?: string;
  /** Fields of the shape a response leaves out (includable, expandable-only, or sent only when set). */
  omit?: readonly FieldOf<O>[];
  /**
   * When given, the only optional fields of the shape (those the types mark
   * sent only when set) a response carries; the others are left out. For shapes
   * with one optional hash per kind (a payment method's `card`, `sepa_debit`…).
   */
  optional?: readonly FieldOf<O>[];
  /** Fields Stripe sends that the package's types no longer declare (each seen in recordings). */
  extra?: readonly Extra[];
  /** Values of fields that are not null when nothing sets them (others default to null). */
  defaults?: Partial<Record<FieldOf<O> | Extra, unknown>>;
  /** Parameters that set the field of the same name, on create and update. */
  writable?: Partial<Record<FieldOf<O> | Extra, Writable>>;
  /** Parameters of create and update Stripe accepts and the twin does not model (501). */
  unsupported?: { create?: readonly string[]; update?: readonly string[] };
  /** Event types, `<object>.created` style; emitted by `insert`, `save` (each, in order, when several) and delete. */
  events?: { created?: string; updated?: string | readonly string[]; deleted?: string };
  /** Exact-match list filters (`?customer=`), each a field of the same name. */
  filters?: readonly (FieldOf<O> | Extra)[];
  /** Fields that keep an index (list filters and search read them without scanning). */
  indexes?: readonly (FieldOf<O> | Extra)[];
  /** The Search API's fields (`GET ${path}/search`); a dotted name reads a nested field (`payment_method_details.card.last4`). */
  search?: Partial<Record<FieldOf<O> | Extra | `${FieldOf<O>}.${string}`, SearchField>>;
  /**
   * Deletion: a stub `{id, object, deleted: true}` replaces the object; `retrievable`
   * stubs are still returned by GET (customers), others answer resource_missing.
   */
  delete?: {
    retrievable: boolean;
    response: string;
    /** Throws Stripe's error when this object may not be deleted (a product with prices). */
    refuse?: (ctx: Ctx, obj: StripeObject) => void;
    after?: (ctx: Ctx, deleted: StripeObject) => void;
  };
  /**
   * Create (`POST path`): `true` builds the object from the writable parameters
   * and defaults; a function is the handler where creating has behaviour.
   */
  create?: true | ((ctx: Ctx, params: Params) => StripeObject);
  /** Which generated routes exist (default: retrieve and list; update when `writable`, search when `search`). */
  routes?: { retrieve?: boolean; list?: boolean; update?: boolean };
  /**
   * Objects that live on a test clock (customers made with `test_clock`, and what
   * is made for them): `test_clock` is the clock of the context that creates the
   * object (null on the account's clock); `save` and deletion run on that clock
   * (events dated by it); lists leave clock objects out unless `test_clock=` names
   * a clock (then only its objects) or one of `shownBy` is sent (subscriptions:
   * `customer`). Lists read the objects of one clock only, so hiding costs nothing.
   */
  clockScoped?: true | { shownBy: readonly (FieldOf<O> | Extra)[] };
}

/** A declared resource: its skeleton, the operations made from it, and its routes. */
export class Resource<O extends ObjectName, T extends StripeObject = Shaped<O>, Extra extends string = never> {
  readonly object: O;
  readonly path: string;
  /** The spec's item path, `/v1/customers/{customer}`. */
  readonly itemPath: string;
  /** Top-level keys in Stripe's order: id, object, then alphabetical. */
  readonly fields: readonly string[];
  private readonly defaults: Record<string, unknown>;
  /** Writable fields: name, rule, and place in `fields`. */
  private readonly writable: [string, Writable, number][];
  /** `build`, compiled for this resource's skeleton (see compileBuild). */
  private readonly compiledBuild: (ctx: Ctx, params: Params, given: Record<string, unknown>) => StripeObject;
  /** Extra routes (behaviour) given by `with`, after the generated ones. */
  readonly routes: Route[] = [];

  constructor(readonly declaration: ResourceDeclaration<O, Extra>) {
    const d = declaration;
    this.object = d.object;
    this.path = d.path ?? '';
    // A resource without an item route in Stripe's API (portal sessions) has no item path; one stored without routes (discounts) neither.
    this.itemPath = d.path === null ? '' : itemPathOf(d.path, d.routes?.retrieve === false && (!d.writable || d.routes.update === false) && !d.delete);
    const omit = new Set<string>([...(d.omit ?? []), 'deleted']);
    if (d.optional) for (const f of shapes[d.object].optional as readonly string[]) if (!(d.optional as readonly string[]).includes(f)) omit.add(f);
    const body = [...shapes[d.object].fields.slice(2), ...(d.extra ?? [])].filter((f) => !omit.has(f)).sort();
    this.fields = ['id', 'object', ...body];
    this.defaults = { ...(d.defaults as Record<string, unknown>) };
    this.writable = Object.entries(d.writable ?? {}).map(([field, rule]) => {
      const at = this.fields.indexOf(field);
      if (at === -1) throw new Error(`${d.object}: writable field ${field} is not in the skeleton`);
      return [field, rule as Writable, at];
    });
    if (d.clockScoped && !this.fields.includes('test_clock')) throw new Error(`${d.object}: clockScoped without a test_clock field`);
    this.compiledBuild = this.compileBuild();
    for (const field of d.indexes ?? []) declareIndex(d.object, field, field === 'metadata' ? metadataKeys : undefined);
    if (d.path !== null) this.routes.push(...this.generatedRoutes());
  }

  /** A new id of this resource, `<prefix>_…` (in the id family of `family`, a PaymentIntent, when given). */
  newId(ctx: Ctx, family?: string | null): string {
    return ctx.world.ids.next(this.declaration.prefix, family);
  }

  /**
   * A new object in skeleton order: `values` first (computed by the handler; an
   * id is made when absent), then writable parameters sent, then defaults.
   */
  build(ctx: Ctx, params: Params, values: Partial<Record<FieldOf<O> | Extra, unknown>> = {}): T {
    return this.compiledBuild(ctx, params, values) as T;
  }

  /**
   * `build` as one function per resource, generated from the skeleton: each field's
   * value in order (given, else made, else its default), then the writable
   * parameters sent, in declaration order, then one object literal. Written out
   * per resource, every property access is at a site that sees one shape, and the
   * object is created whole (V8 keeps an object whose keys are added one by one
   * past a dozen as a slow dictionary). Field names come from the stripe
   * package's types and are checked to be plain identifiers; nothing from a
   * request reaches the generated source.
   */
  private compileBuild(): (ctx: Ctx, params: Params, given: Record<string, unknown>) => StripeObject {
    for (const field of this.fields) if (!/^[a-z_][a-z0-9_]*$/.test(field)) throw new Error(`${this.object}: field name ${JSON.stringify(field)}`);
    const made: Record<string, string> = { id: 'self.newId(ctx)', object: JSON.stringify(this.object), created: 'nowIn(ctx)', livemode: 'false' };
    if (this.declaration.clockScoped) made.test_clock = 'ctx.clock ? ctx.clock.id : null';
    const lines = this.fields.map((f, i) => `let v${i} = '${f}' in g ? g.${f} : ${made[f] ?? `defaults.${f} ?? null`};`);
    this.writable.forEach(([f, rule, i], k) => {
      lines.push(`if (!('${f}' in g) && p.${f} !== undefined) v${i} = ${rule === true ? `p.${f}` : `rules[${k}](p.${f}, v${i}, ctx)`};`);
    });
    lines.push(`return { ${this.fields.map((f, i) => `${f}: v${i}`).join(', ')} };`);
    const make = new Function('self', 'nowIn', 'defaults', 'rules', `return function build(ctx, p, g) {\n${lines.join('\n')}\n};`);
    return make(this, nowIn, this.defaults, this.writable.map(([, rule]) => rule));
  }

  /** Builds and stores a new object, announcing it with the `created` event. */
  insert(ctx: Ctx, params: Params, values?: Partial<Record<FieldOf<O> | Extra, unknown>>): T {
    const obj = ctx.world.insert(this.build(ctx, params, values), scopeOf(ctx));
    if (this.declaration.events?.created) emit(ctx, this.declaration.events.created, obj);
    return obj;
  }

  /** `current` with the writable parameters sent applied (keys keep their places); not stored. */
  apply(ctx: Ctx, current: T, params: Params): T {
    const next: Record<string, unknown> = { ...current };
    for (const [field, rule] of this.writable) {
      if (params[field] === undefined) continue;
      next[field] = rule === true ? params[field] : rule(params[field], current[field], ctx);
    }
    return next as T;
  }

  /**
   * Stores `after` when it differs from `before`, emitting `event` (default: the
   * `updated` event; several types are emitted in order) with previous_attributes.
   */
  save(ctx: Ctx, before: T, after: T, event: string | readonly string[] | undefined = this.declaration.events?.updated): T {
    const previous = previousAttributes(before, after);
    if (!previous) return before;
    const saved = ctx.world.replace(after);
    const on = this.onClockOf(ctx, before);
    for (const type of typeof event === 'string' ? [event] : (event ?? [])) emit(on, type, saved, previous);
    return saved;
  }

  /**
   * Deletes `current`: a stub `{id, object, deleted: true}` replaces it, the
   * `deleted` event announces it (with the object as it was), then the
   * declaration's `after` runs. The DELETE route and cascades both come here.
   */
  remove(ctx: Ctx, current: T): { id: string; object: O; deleted: true } {
    const on = this.onClockOf(ctx, current);
    const stub = { id: current.id, object: this.object, deleted: true as const };
    ctx.world.replace(stub);
    if (this.declaration.events?.deleted) emit(on, this.declaration.events.deleted, current);
    this.declaration.delete?.after?.(on, current);
    return stub;
  }

  /** The context on the test clock `obj` lives on (clockScoped), else `ctx`. */
  onClockOf(ctx: Ctx, obj: StripeObject): Ctx {
    return this.declaration.clockScoped ? onTestClock(ctx, obj.test_clock) : ctx;
  }

  /**
   * The live object `id`, or Stripe's resource_missing: 404 with `param: "id"`
   * for an id in the path, 400 naming the parameter otherwise.
   */
  find(ctx: Ctx, id: string, param = 'id'): T {
    return find<T>(ctx, this.object, id, param, this.declaration.name);
  }

  /** Checks the parameters of an operation the twin does not model (501). */
  unsupported(which: 'create' | 'update', params: Params): void {
    const names = this.declaration.unsupported?.[which];
    if (names) unsupportedParams(`POST ${which === 'create' ? this.path : this.itemPath}`, params, names);
  }

  /** Newest first, with the declared filters (and `created`) applied. */
  list(ctx: Ctx, params: Params, url = this.path, where?: (obj: T) => boolean, lookup: Record<string, string | null | undefined> = {}): ListResult<T> {
    const filters = (this.declaration.filters ?? []) as string[];
    const sent = filters.filter((f) => params[f] != null);
    const clock = this.listedClock(ctx, params);
    const keep = (obj: T) =>
      !obj.deleted && (clock === undefined || obj.test_clock === clock) && sent.every((f) => obj[f] === params[f]) && (!where || where(obj));
    const index: Record<string, string | null | undefined> = { ...lookup };
    for (const f of sent) index[f] = String(params[f]); // booleans (`active`) are indexed by their text
    return paginate<T>(ctx.world, this.object, url, params, keep, index, clock);
  }

  /**
   * The clock whose objects a list shows (clockScoped): the `test_clock` sent,
   * which must exist; any, when a `shownBy` filter is sent; else the account's.
   */
  private listedClock(ctx: Ctx, params: Params): string | null | undefined {
    const scoped = this.declaration.clockScoped;
    if (!scoped) return undefined;
    if (params.test_clock != null) {
      if (!ctx.world.testClock(params.test_clock)) throw errors.testClockMissing(params.test_clock, 'test_clock');
      return params.test_clock;
    }
    return scoped !== true && scoped.shownBy.some((f) => params[f as string] != null) ? undefined : null;
  }

  /** Adds behaviour routes to the resource's generated ones. */
  with(...routes: Route[]): this {
    this.routes.push(...routes);
    return this;
  }

  /** Retrieve, update, delete, search and list, as declared. */
  private generatedRoutes(): Route[] {
    const d = this.declaration;
    const r = d.routes ?? {};
    const out: Route[] = [];
    const idOf = (path: Record<string, string>) => path[this.itemPath.slice(this.itemPath.lastIndexOf('{') + 1, -1)];
    if (d.create) {
      const create = d.create;
      out.push(
        route('POST', this.path, d.object, (ctx, params) => {
          if (create !== true) return create(ctx, params);
          this.unsupported('create', params);
          return this.insert(ctx, params);
        }),
      );
    }
    if (r.retrieve !== false) {
      out.push(
        route('GET', this.itemPath, d.object, (ctx, _p, path) => {
          if (!d.delete?.retrievable) return this.find(ctx, idOf(path));
          const found = ctx.world.get(idOf(path));
          if (!found || found.object !== this.object) throw errors.resourceMissing(d.name ?? this.object, idOf(path));
          return found;
        }),
      );
    }
    if (d.writable && r.update !== false) {
      out.push(
        route('POST', this.itemPath, d.object, (ctx, params, path) => {
          this.unsupported('update', params);
          const current = this.find(ctx, idOf(path));
          return this.save(ctx, current, this.apply(ctx, current, params));
        }),
      );
    }
    if (d.delete) {
      const { response, refuse } = d.delete;
      out.push(
        route('DELETE', this.itemPath, response, (ctx, _p, path) => {
          const current = this.find(ctx, idOf(path));
          refuse?.(ctx, current);
          return this.remove(ctx, current);
        }),
      );
    }
    if (d.search) {
      const reader = (field: string) => {
        const path = field.split('.');
        return path.length === 1 ? (obj: StripeObject) => obj[field] : (obj: StripeObject) => path.reduce<any>((value, key) => value?.[key], obj);
      };
      const fields = Object.fromEntries(Object.entries(d.search).map(([field, kind]) => [field, { read: reader(field), number: kind === 'number' }]));
      out.push(route('GET', `${this.path}/search`, { list: d.object }, (ctx, params) => search(ctx.world, this.object, `${this.path}/search`, params, fields)));
    }
    if (r.list !== false) out.push(route('GET', this.path, { list: d.object }, (ctx, params) => this.list(ctx, params)));
    return out;
  }
}

/** Declares a resource (see ResourceDeclaration). */
export function defineResource<O extends ObjectName, T extends StripeObject = Shaped<O>, Extra extends string = never>(
  declaration: ResourceDeclaration<O, Extra>,
): Resource<O, T, Extra> {
  return new Resource<O, T, Extra>(declaration);
}

/** `/v1/customers` → `/v1/customers/{customer}`, as the spec names the item path (`path` itself when `optional` and there is none). */
function itemPathOf(path: string, optional = false): string {
  const depth = path.split('/').length + 1;
  const found = Object.keys(spec.operations).find((key) => {
    const [method, template] = key.split(' ');
    return method === 'GET' && template.startsWith(`${path}/{`) && template.split('/').length === depth;
  });
  if (!found) {
    if (optional) return path;
    throw new Error(`no item path under ${path} in spec/stripe-api.json`);
  }
  return found.split(' ')[1];
}
