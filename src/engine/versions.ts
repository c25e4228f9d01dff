import type { StripeError } from './errors';
import type { FormTree } from './form';
import { spec } from './spec';
import type { Ctx, World } from './world';

// API versions (docs/versions.md). Objects live in one canonical
// shape: the newest version stripe-node pins. Every breaking change Stripe made
// since 2020-08-27 is one small VersionChange (src/versions/), registered here
// newest first. A request at an older Stripe-Version has its parameters brought
// forward (oldest change first) before the endpoint runs, and its response
// brought back (newest change first) on the way out, the way Stripe does it.
// No resource checks versions itself.

export const LATEST_VERSION = '2026-10-28.endive';

/** What a response transform may read besides the object: the world, and how to render another object at the same version. */
export interface ShapeContext {
  world: World;
  version: string;
  /** Renders a canonical value (an object looked up in the world) at `version`. */
  render<T>(value: T): T;
}

/** A request at an older version, as the request side of a change sees it: before parameter checks. */
export interface VersionedRequest {
  /** The account the request acts on (read-only here: a request change never writes). */
  world: World;
  method: string;
  /** The route template (`/v1/payment_intents/{intent}`). */
  route: string;
  /** The path's own values for the template's `{…}` segments. */
  pathParams: Record<string, string>;
  /** Whether the route answers a list. */
  list: boolean;
  /** The decoded form parameters (strings), which a change may rewrite into the newer form. */
  params: FormTree;
  /** Set by a change: the list answer carries `total_count` (expand[]=total_count before basil). */
  totalCount?: boolean;
}

export interface VersionChange {
  /** The first version with the new behaviour; requests older than this get the transforms. */
  version: string;
  description: string;
  /** Response side: the type of object (`object` field) `transform` turns into its older shape. */
  object?: string;
  transform?: (obj: Record<string, any>, ctx: ShapeContext) => Record<string, any>;
  /** Fields of `object` the change removed (the ones `transform` gives back): from `version` on, expanding them is refused. */
  removes?: string[];
  /** Request side: turns an older request into its newer form (params, defaults) before the endpoint runs. */
  request?: (req: VersionedRequest) => void;
  /**
   * Request side, after the endpoint ran (in its transaction): what an older request also did then
   * that the canonical endpoint no longer does (an object it made at once). Returns the endpoint's result, updated.
   */
  completes?: (ctx: Ctx, req: VersionedRequest, result: unknown) => unknown;
  /**
   * Request side: what the change withdrew that the endpoints still serve to older requests:
   * some parameters of some operations (`POST /v1/payment_intents`), or, without `params`, whole
   * operations (`GET /v1/invoices/upcoming`). From `version` on, using one is refused.
   */
  withdraws?: WithdrawnParams | WithdrawnOperations;
}

export interface WithdrawnParams {
  operations: string[];
  params: string[];
  refusal: (param: string) => StripeError;
}

export interface WithdrawnOperations {
  operations: string[];
  refusal: (method: string, path: string) => StripeError;
}

/**
 * The oldest version whose responses the twin shapes: 2020-08-27, the floor of
 * the version changes (docs/versions.md). Older released versions are accepted
 * and served in the 2020-08-27 shape (twin choice); the fidelity harness runs
 * captures recorded at any version from here on.
 */
export const SHAPES_SINCE = '2020-08-27';

export function canShape(version: string): boolean {
  return dateOf(version) >= dateOf(SHAPES_SINCE);
}

/** Newest first; filled by src/versions (registerVersionChanges). */
export const VERSION_CHANGES: VersionChange[] = [];

/** Installs the twin's version changes (src/versions/index.ts), newest first. */
export function registerVersionChanges(changes: VersionChange[]): void {
  for (let i = 1; i < changes.length; i++) {
    if (dateOf(changes[i].version) > dateOf(changes[i - 1].version)) throw new Error(`version changes out of order: ${changes[i].version} after ${changes[i - 1].version}`);
  }
  VERSION_CHANGES.splice(0, VERSION_CHANGES.length, ...changes);
}

/**
 * Private-preview versions Stripe has published for the agentic payments
 * (docs/agents.md §1.6, §2.7): crypto deposits (2026-03-04), deposit addresses and
 * transaction verification (2026-05-27), and what mppx 0.11 sends with Shared
 * Payment Tokens (2026-07-29). stripe-node's GA list has none of them.
 */
export const PREVIEW_VERSIONS: readonly string[] = ['2026-03-04.preview', '2026-05-27.preview', '2026-07-29.preview'];

const KNOWN = new Set([...spec.apiVersions, ...PREVIEW_VERSIONS]);
const FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

/** Versions Stripe has released (stripe-node 23.1's list, and the previews above); anything else is refused. */
export function isKnownVersion(version: string): boolean {
  return FORMAT.test(version) && KNOWN.has(version);
}

const dateOf = (version: string) => version.slice(0, 10);

/**
 * The changes a request at `version` is older than, newest first. A preview
 * version is served the canonical shape (twin choice): previews carry the newest
 * GA shapes plus their preview fields, which the canonical objects already have.
 */
export function changesFor(version: string, changes = VERSION_CHANGES): VersionChange[] {
  if (version.endsWith('.preview')) return [];
  return changes.filter((c) => dateOf(c.version) > dateOf(version));
}

/** Whether a field of an object type no longer exists at `version` (a change in effect removed it). */
export function goneAt(version: string, changes = VERSION_CHANGES): (object: string, field: string) => boolean {
  const removed = changes.filter((c) => c.removes && dateOf(c.version) <= dateOf(version));
  if (!removed.length) return () => false;
  return (object, field) => removed.some((c) => c.object === object && c.removes!.includes(field));
}

/**
 * Brings a request at `version` forward to the canonical form: request-side changes, oldest first.
 * A parameter or operation withdrawn at or before `version` is refused first (by date: a preview older than the change still uses it).
 */
export function upgradeRequest(req: VersionedRequest, version: string, changes = VERSION_CHANGES): VersionedRequest {
  const operation = `${req.method} ${req.route}`;
  for (const { version: since, withdraws } of changes) {
    if (!withdraws || dateOf(since) > dateOf(version) || !withdraws.operations.includes(operation)) continue;
    if (!('params' in withdraws)) throw withdraws.refusal(req.method, pathOf(req));
    const sent = withdraws.params.find((name) => Object.hasOwn(req.params, name));
    if (sent) throw withdraws.refusal(sent);
  }
  const applicable = changesFor(version, changes);
  for (let i = applicable.length - 1; i >= 0; i--) applicable[i].request?.(req);
  return req;
}

/** Finishes a request at `version` after its endpoint ran: the older behaviours changes keep (`completes`), oldest first. */
export function completeRequest(ctx: Ctx, req: VersionedRequest, version: string, result: unknown, changes = VERSION_CHANGES): unknown {
  const applicable = changesFor(version, changes);
  for (let i = applicable.length - 1; i >= 0; i--) if (applicable[i].completes) result = applicable[i].completes!(ctx, req, result);
  return result;
}

/** The request's path: its route with the path's own values in place of the `{…}` segments. */
const pathOf = (req: VersionedRequest) => req.route.replace(/\{(\w+)\}/g, (_, name: string) => req.pathParams[name] ?? '');

/**
 * Renders a response value (object, list, error body, event) at `version`.
 * An event is rendered at its own `api_version` whatever the caller's version
 * (docs/stripe-facts.md §1.3): its data was fixed when it was made.
 */
export function renderAt<T>(value: T, version: string, world: World, changes = VERSION_CHANGES): T {
  return shape(value, version, world, changes) as T;
}

/** Whether rendering `value` at `version` can change it (so the canonical fast path is safe when not). */
export function shapesAt(value: unknown, version: string, changes = VERSION_CHANGES): boolean {
  return changesFor(version, changes).some((c) => c.transform) || hasEvents(value);
}

function shape(value: unknown, version: string, world: World, changes: VersionChange[]): unknown {
  const applicable = changesFor(version, changes).filter((c) => c.transform);
  const ctx: ShapeContext = { world, version, render: (v) => shape(v, version, world, changes) as any };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Record<string, any>;
    if (obj.object === 'event' && typeof obj.api_version === 'string' && obj.data) return renderEvent(obj, world, changes);
    let out: Record<string, any> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = walk(v);
    for (const change of applicable) if (out.object === change.object) out = change.transform!(out, ctx);
    return out;
  };
  return applicable.length || hasEvents(value) ? walk(value) : value;
}

/** An event's data (object and previous attributes) at the event's own version. */
function renderEvent(event: Record<string, any>, world: World, changes: VersionChange[]): Record<string, any> {
  const version: string = event.api_version;
  const applicable = changesFor(version, changes).filter((c) => c.transform);
  if (!applicable.length) return event;
  const object = shape(event.data.object, version, world, changes) as Record<string, any>;
  const data: Record<string, any> = { object };
  if (event.data.previous_attributes) data.previous_attributes = previousAt(event.data.object, event.data.previous_attributes, object, version, world, changes);
  return { ...event, data };
}

/**
 * previous_attributes at an older version: the canonical object as it was (the
 * current one with the previous values over it) rendered at that version, and
 * the keys whose rendered values differ from the rendered current object.
 */
function previousAt(current: Record<string, any>, previous: Record<string, any>, rendered: Record<string, any>, version: string, world: World, changes: VersionChange[]) {
  const before = shape({ ...current, ...previous }, version, world, changes) as Record<string, any>;
  const out: Record<string, any> = {};
  for (const key of Object.keys(before)) {
    if (key === 'metadata' && key in previous) out[key] = previous[key]; // only the changed keys, as recorded
    else if (JSON.stringify(before[key]) !== JSON.stringify(rendered[key])) out[key] = before[key] === undefined ? null : before[key];
  }
  return out;
}

function hasEvents(value: unknown): boolean {
  const v = value as { object?: string; data?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  if (v.object === 'event') return true;
  return Array.isArray(v.data) && v.data.some((e) => (e as { object?: string })?.object === 'event');
}
