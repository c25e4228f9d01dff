import YAML from 'yaml';
import { StripeError } from '../engine/errors';
import { emptyTree, FormTree, FormValue } from '../engine/form';
import { coerceParams, Params } from '../engine/params';
import { Twin } from '../engine/twin';
import { Ctx, World } from '../engine/world';
import { routes } from '../resources';
import { attachPaymentMethod, createCardPaymentMethod, PaymentMethod } from '../resources/payment_methods';
import { completeAuthentication, PaymentIntent } from '../resources/payment_intents';
import { completeSetupAuthentication, SetupIntent } from '../resources/setup_intents';
import { testCards } from '../engine/testValues';
import { jsonResponse, MAX_BODY_BYTES, TwinRequest, TwinResponse } from './pipeline';

// The control surface, /__admin__/*: reset and seed worlds, read and advance
// the world clock, finish a pending 3D Secure challenge. Answers are plain JSON
// with their own errors ({"error": {"message"}}), never Stripe's envelope.
// Every change goes through the same engine operations as the API.

class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly at?: string,
  ) {
    super(message);
  }
}

const json = (status: number, value: unknown): TwinResponse => jsonResponse(status, JSON.stringify(value, null, 2));

export async function handleAdmin(twin: Twin, req: TwinRequest, path: string, query: string): Promise<TwinResponse> {
  try {
    const method = req.method.toUpperCase();
    const body = method === 'POST' ? parseBody(await req.readBody(), req.headers['content-type']) : {};
    const keyOf = () => worldKey(req, body, query);
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    if (route === 'GET /__admin__/worlds') {
      return json(200, { worlds: twin.keys().map((key) => describe(twin.world(key))) });
    }
    if (route === 'POST /__admin__/reset') {
      const key = body.key ?? keyFromHeader(req);
      twin.reset(key);
      return json(200, { reset: key ?? 'all' });
    }
    if (route === 'POST /__admin__/seed') return json(200, seed(twin, body, keyFromHeader(req)));
    if (route === 'GET /__admin__/clock') return json(200, clock(twin.world(keyOf())));
    if (route === 'POST /__admin__/clock/advance') {
      const world = twin.world(keyOf());
      world.advance(advanceSeconds(world, body), controlCtx(world));
      return json(200, clock(world));
    }
    const auth = route.match(/^POST \/__admin__\/intents\/([^/]+)\/authenticate$/);
    if (auth) return json(200, authenticate(twin.world(keyOf()), auth[1], body.outcome));
    throw new ControlError(`No control route ${method} ${path}`, 404);
  } catch (e) {
    if (e instanceof ControlError) return json(e.status, { error: { message: e.message, ...(e.at ? { at: e.at } : {}) } });
    if (e instanceof StripeError) return json(e.status, { error: { message: e.message } });
    return json(400, { error: { message: e instanceof Error ? e.message : String(e) } });
  }
}

function parseBody(bytes: Uint8Array, contentType = ''): Record<string, any> {
  if (bytes.length > MAX_BODY_BYTES) throw new ControlError(`The body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  const text = Buffer.from(bytes).toString('utf8').trim();
  if (!text) return {};
  try {
    const value = /json/.test(contentType) ? JSON.parse(text) : YAML.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch (e) {
    throw new ControlError(`The body is neither JSON nor YAML: ${(e as Error).message}`);
  }
  throw new ControlError('The body must be a JSON or YAML object');
}

function keyFromHeader(req: TwinRequest): string | undefined {
  const m = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1];
}

function worldKey(req: TwinRequest, body: Record<string, any>, query: string): string {
  const key = body.key ?? new URLSearchParams(query).get('key') ?? keyFromHeader(req);
  if (!key) throw new ControlError('Name the world: an Authorization: Bearer sk_test_… header, or a "key" field');
  checkKey(key);
  return key;
}

function checkKey(key: string): void {
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) throw new ControlError(`"${key}" is not a test-mode secret or restricted key`);
}

const controlCtx = (world: World): Ctx => ({ world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion });

function describe(world: World) {
  const counts = Object.fromEntries(
    ['customer', 'payment_method', 'payment_intent', 'charge', 'refund', 'setup_intent', 'dispute', 'event'].map((t) => [t, world.count(t)]),
  );
  return { key: world.key, account: world.accountId, now: world.now(), objects: counts };
}

function clock(world: World) {
  return { now: world.now(), iso: new Date(world.now() * 1000).toISOString(), pending_tasks: world.pendingTasks() };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `{seconds: 90}`, `{duration: "32d"}` or `{to: <unix seconds>}`. */
function advanceSeconds(world: World, body: Record<string, any>): number {
  if (typeof body.seconds === 'number' && body.seconds >= 0) return body.seconds;
  if (typeof body.to === 'number') {
    if (body.to < world.now()) throw new ControlError(`"to" (${body.to}) is before the world's current time (${world.now()})`);
    return body.to - world.now();
  }
  const m = typeof body.duration === 'string' && body.duration.match(/^(\d+)([smhdw])$/);
  if (m) return Number(m[1]) * UNITS[m[2]];
  throw new ControlError('Give "seconds" (a non-negative number), "duration" (like "90s", "2h", "32d") or "to" (Unix seconds)');
}

function authenticate(world: World, id: string, outcome: unknown) {
  if (outcome !== 'succeed' && outcome !== 'fail') throw new ControlError('"outcome" must be "succeed" or "fail"');
  const ctx = controlCtx(world);
  const intent = world.get(id);
  if (!intent || (intent.object !== 'payment_intent' && intent.object !== 'setup_intent')) {
    throw new ControlError(`No PaymentIntent or SetupIntent ${id} in this world`, 404);
  }
  try {
    return world.transaction(() =>
      intent.object === 'payment_intent'
        ? completeAuthentication(ctx, intent as PaymentIntent, outcome === 'succeed')
        : completeSetupAuthentication(ctx, intent as SetupIntent, outcome === 'succeed'),
    );
  } catch (e) {
    if (e instanceof StripeError) throw e;
    throw new ControlError((e as Error).message, 409);
  }
}

// --- seed -----------------------------------------------------------------

/** Sections in the order they are applied, the id prefix each takes, and the API operation each replays. */
const SECTIONS = [
  { name: 'customers', prefix: 'cus', op: 'POST /v1/customers' },
  { name: 'payment_methods', prefix: 'pm', op: 'POST /v1/payment_methods' },
  { name: 'payment_intents', prefix: 'pi', op: 'POST /v1/payment_intents' },
  { name: 'charges', prefix: 'ch', op: 'POST /v1/payment_intents' },
  { name: 'refunds', prefix: 're', op: 'POST /v1/refunds' },
] as const;

function seed(twin: Twin, body: Record<string, any>, headerKey: string | undefined) {
  const sectionNames = new Set<string>(SECTIONS.map((s) => s.name));
  let worlds: Record<string, any>;
  if (body.worlds) worlds = body.worlds;
  else if (Object.keys(body).some((k) => sectionNames.has(k))) {
    const { key, ...sections } = body;
    const target = key ?? headerKey;
    if (!target) throw new ControlError('Name the world to seed: a "key" field, an Authorization header, or a "worlds" map');
    worlds = { [target]: sections };
  } else worlds = body;
  const result: Record<string, unknown> = {};
  for (const [key, sections] of Object.entries(worlds)) {
    checkKey(key);
    for (const name of Object.keys(sections ?? {})) {
      if (!sectionNames.has(name)) throw new ControlError(`Unknown seed section "${name}"; use ${[...sectionNames].join(', ')}`, 400, key);
    }
    const world = twin.world(key);
    const created = world.transaction(() => seedWorld(world, sections ?? {}, key), true);
    result[key] = { account: world.accountId, created };
  }
  return { worlds: result };
}

function seedWorld(world: World, sections: Record<string, any[]>, key: string): Record<string, string[]> {
  const ctx = controlCtx(world);
  const created: Record<string, string[]> = {};
  for (const section of SECTIONS) {
    const entries = sections[section.name];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) throw new ControlError(`"${section.name}" must be a list`, 400, key);
    created[section.name] = entries.map((entry, i) => {
      const at = `${key}.${section.name}[${i}]`;
      try {
        return seedEntry(ctx, section, { ...entry });
      } catch (e) {
        if (e instanceof ControlError) throw e;
        throw new ControlError(e instanceof Error ? e.message : String(e), 400, at);
      } finally {
        world.ids.clearChosen();
      }
    });
  }
  return created;
}

function seedEntry(ctx: Ctx, section: (typeof SECTIONS)[number], entry: Record<string, any>): string {
  const { world } = ctx;
  const { id, customer, test_value: testValue, capture, ...rest } = entry;
  if (id !== undefined) {
    if (typeof id !== 'string' || !id.startsWith(`${section.prefix}_`)) throw new Error(`"id" must start with ${section.prefix}_`);
    if (world.get(id)) throw new Error(`${id} already exists in this world`);
    world.ids.choose(id);
  }
  if (section.name === 'payment_methods') {
    // A test value (pm_card_visa, tok_visa) or the parameters of POST /v1/payment_methods.
    let pm: PaymentMethod;
    if (testValue) {
      const card = testCards.byPaymentMethod(testValue) ?? testCards.byToken(testValue);
      if (!card) throw new Error(`Unknown test value "${testValue}"`);
      pm = createCardPaymentMethod(ctx, card, { billing_details: rest.billing_details, metadata: rest.metadata });
    } else pm = apiCall(ctx, section.op, rest) as PaymentMethod;
    if (customer) pm = attachPaymentMethod(ctx, pm, customer);
    return pm.id;
  }
  const params: Record<string, unknown> = customer === undefined ? rest : { ...rest, customer };
  if (section.name === 'charges') {
    // A charge is seeded the way it happens: a confirmed card PaymentIntent.
    Object.assign(params, { confirm: true, payment_method_types: ['card'], capture_method: capture === false ? 'manual' : 'automatic' });
    const pi = confirmedIntent(ctx, section.op, params);
    return pi.latest_charge as string;
  }
  if (section.name === 'payment_intents') return confirmedIntent(ctx, section.op, params).id;
  return apiCall(ctx, section.op, params).id as string;
}

/** Creates a PaymentIntent; a decline keeps its state (as on Stripe) rather than failing the seed. */
function confirmedIntent(ctx: Ctx, op: string, params: Record<string, unknown>) {
  const before = ctx.world.count('payment_intent');
  try {
    return apiCall(ctx, op, params);
  } catch (e) {
    if (e instanceof StripeError && e.status === 402 && ctx.world.count('payment_intent') > before) {
      const ids = ctx.world.idsOf('payment_intent');
      return ctx.world.get(ids[ids.length - 1])!;
    }
    throw e;
  }
}

/** Runs an API operation's handler with its spec-validated parameters, as a request would. */
function apiCall(ctx: Ctx, op: string, value: Record<string, unknown>) {
  const [method, path] = op.split(' ');
  const match = routes.match(method, path);
  if (!match || match === 'wrong-method') throw new Error(`${op} is not modeled`);
  const params: Params = coerceParams(match.value.params, toForm(value) as FormTree);
  return match.value.handler(ctx, params, {}) as Record<string, any>;
}

/** Typed JSON/YAML values as the strings a form-encoded request would carry. */
function toForm(value: unknown): FormValue {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(toForm);
  if (typeof value === 'object') {
    const tree = emptyTree();
    for (const [k, v] of Object.entries(value)) tree[k] = toForm(v);
    return tree;
  }
  return String(value);
}
