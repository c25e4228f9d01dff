import { StripeError } from '../engine/errors';
import { emptyTree, FormTree, FormValue } from '../engine/form';
import { coerceParams, Params } from '../engine/params';
import { testCards } from '../engine/test_values';
import { Twin } from '../engine/twin';
import { isKnownVersion } from '../engine/versions';
import { Ctx, StripeObject, World } from '../engine/world';
import { routes } from '../resources';
import { attachPaymentMethod, createCardPaymentMethod, PaymentMethod } from '../resources/payments/payment_methods';
import { chooseNetworkProfile } from '../resources/payments/shared_payment_tokens';
import { completeOnboarding } from '../resources/connect/accounts';
import { applyPins, seedPins } from './exogenous';
import { mintKey, requireFullAccess } from './keys';
import { checkKey, ControlError, controlCtx, ControlRoute } from './surface';

// Seeding worlds from JSON or YAML: customers, payment methods, billing's
// products, prices, tax rates, coupons, promotion codes and subscriptions,
// payment intents, charges and refunds, with ids chosen by the caller (`cus_jane`).
// Each entry replays the API operation that makes it, so seeded objects are
// exactly what the API would have made (and emit the same events).

export const seedRoutes: ControlRoute[] = [
  { method: 'POST', path: '/__admin__/seed', description: 'Seeds worlds from JSON or YAML: the account\'s default API version, webhook endpoints, connected accounts (objects of one named with `account`), customers, payment methods, products, prices, tax rates, coupons, promotion codes, subscriptions, payment intents, charges, refunds, opening balances, pins, the network business profile and further keys (restricted keys with their permissions) per key, all or nothing.', params: { worlds: { in: 'body', type: 'object', description: '{sk_test_…: {api_version, webhook_endpoints, accounts, customers, payment_methods, products, prices, tax_rates, coupons, promotion_codes, subscriptions, payment_intents, charges, refunds, balance, pins, network_business_profile, keys}}', required: true } }, run: (call) => seed(call.twin, call.body, call.key, call.authorize, () => requireFullAccess(call, 'Seeding keys')) },
];

/** Sections in the order they are applied, the id prefix each takes, and the API operation each replays. */
interface Section {
  name: string;
  prefix: string;
  op: string;
  /** Ids need not start with the prefix. */
  anyId?: boolean;
}

const SECTIONS: Section[] = [
  // First, so the events of the objects seeded after them are delivered.
  { name: 'webhook_endpoints', prefix: 'we', op: 'POST /v1/webhook_endpoints' },
  // Connected accounts (onboarded with test values unless `onboarded: false`), before what is seeded in them (`account: acct_…`).
  { name: 'accounts', prefix: 'acct', op: 'POST /v1/accounts' },
  { name: 'customers', prefix: 'cus', op: 'POST /v1/customers' },
  { name: 'payment_methods', prefix: 'pm', op: 'POST /v1/payment_methods' },
  // Billing's definitions, then subscriptions on them. Products and coupons take any id
  // (their create has an `id` parameter); a price may too, as legacy plans had (`small-monthly`).
  { name: 'products', prefix: 'prod', op: 'POST /v1/products', anyId: true },
  { name: 'prices', prefix: 'price', op: 'POST /v1/prices', anyId: true },
  { name: 'tax_rates', prefix: 'txr', op: 'POST /v1/tax_rates' },
  { name: 'coupons', prefix: 'coupon', op: 'POST /v1/coupons', anyId: true },
  { name: 'promotion_codes', prefix: 'promo', op: 'POST /v1/promotion_codes' },
  { name: 'subscriptions', prefix: 'sub', op: 'POST /v1/subscriptions' },
  { name: 'payment_intents', prefix: 'pi', op: 'POST /v1/payment_intents' },
  { name: 'charges', prefix: 'ch', op: 'POST /v1/payment_intents' },
  { name: 'refunds', prefix: 're', op: 'POST /v1/refunds' },
];

/**
 * Sections that make no API object: the account's default API version (`api_version`, first, so the
 * seeded objects' events carry it), opening balances and pinned exogenous values (./exogenous.ts),
 * the account's network business profile (a string: ./accounts.ts), and further keys (./keys.ts).
 */
const PIN_SECTIONS = ['api_version', 'balance', 'pins', 'network_business_profile', 'keys'];

/**
 * `key` names the world of sections given at the top level (a "key" field, `?key=` or the Authorization header);
 * `authorize` refuses worlds the caller may not act on (an API key seeds its own world only).
 */
function seed(twin: Twin, body: Record<string, any>, key: () => string | undefined, authorize: (key: string, what: string) => void, mayMintKeys: () => void) {
  const sectionNames = new Set<string>([...SECTIONS.map((s) => s.name), ...PIN_SECTIONS]);
  // A world named by the request (`?key=`, a "key" field) must be the caller's, even when nothing is sent to seed.
  const named = key();
  if (named) authorize(named, 'seeding another world');
  let worlds: Record<string, any>;
  if (body.worlds) worlds = body.worlds;
  else if (Object.keys(body).some((k) => sectionNames.has(k))) {
    const { key: _named, ...sections } = body;
    const target = key();
    if (!target) throw new ControlError('Name the world to seed: a "key" field, an Authorization header, or a "worlds" map');
    worlds = { [target]: sections };
  } else worlds = body;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(worlds)) {
    checkKey(key);
    authorize(key, 'seeding another world');
    if (worlds[key]?.keys !== undefined) mayMintKeys();
  }
  for (const [key, sections] of Object.entries(worlds)) {
    for (const name of Object.keys(sections ?? {})) {
      if (!sectionNames.has(name)) throw new ControlError(`Unknown seed section "${name}"; use ${[...sectionNames].join(', ')}`, 400, key);
    }
    const created = seedSections(twin, key, sections ?? {});
    result[key] = { account: twin.world(key).accountId, created };
  }
  return { worlds: result };
}

/** Seeds one world with sections, all or nothing (the fidelity gate's state declared by contracts uses it too). */
export function seedSections(twin: Twin, key: string, sections: Record<string, any[]>): Record<string, string[]> {
  const world = twin.world(key);
  const created = world.transaction(() => seedWorld(world, sections, key), true);
  // Keys last, once every object is in: a key minted is not taken back by a rollback.
  if (sections.keys !== undefined) created.keys = seedKeys(twin, world, sections.keys, key);
  return created;
}

/** The `keys` section: further keys of the world's account, as POST /__admin__/keys makes them (a chosen `key`, `permissions` as names or as the Dashboard's table). */
function seedKeys(twin: Twin, world: World, entries: unknown, key: string): string[] {
  if (!Array.isArray(entries)) throw new ControlError('"keys" must be a list', 400, key);
  if (world.platform) throw new ControlError(`${world.accountId} is a connected account, reached with its platform's keys`, 400, key);
  return entries.map((entry, i) => {
    if (!entry || typeof entry !== 'object') throw new ControlError(`${key}.keys[${i}] must be an object`, 400, key);
    return mintKey(twin, world, entry).key;
  });
}

function seedWorld(world: World, sections: Record<string, any[]>, key: string): Record<string, string[]> {
  const version = sections.api_version as unknown;
  if (version !== undefined) world.config.defaultApiVersion = checkedVersion(version, `${key}.api_version`);
  const ctx = controlCtx(world);
  const created: Record<string, string[]> = {};
  const pins = seedPins(key, sections.balance, sections.pins);
  applyPins(world, pins.early);
  if (sections.network_business_profile !== undefined) chooseProfile(world, sections.network_business_profile, `${key}.network_business_profile`);
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
  applyPins(world, pins.late);
  return created;
}

/** A Stripe API version an account may default to; a ControlError naming `at` otherwise. */
export function checkedVersion(version: unknown, at: string): string {
  if (typeof version !== 'string' || !isKnownVersion(version)) throw new ControlError(`"${String(version)}" is not a Stripe API version (e.g. 2020-08-27, 2024-12-18.acacia)`, 400, at);
  return version;
}

function seedEntry(platformCtx: Ctx, section: Section, entry: Record<string, any>): string {
  const { id, customer, test_value: testValue, capture, account, onboarded, ...rest } = entry;
  // An object of a connected account (seeded in its `accounts` section, or made before).
  let ctx = platformCtx;
  if (account !== undefined && section.name !== 'accounts') {
    const connected = typeof account === 'string' ? platformCtx.world.connected.get(account) : undefined;
    if (!connected) throw new Error(`"account" names no connected account of this world: ${account}`);
    ctx = controlCtx(connected);
  }
  const { world } = ctx;
  try {
    return seedOne(ctx, section, id, customer, testValue, capture, onboarded, rest);
  } finally {
    world.ids.clearChosen();
  }
}

function seedOne(ctx: Ctx, section: Section, id: unknown, customer: unknown, testValue: unknown, capture: unknown, onboarded: unknown, rest: Record<string, any>): string {
  const { world } = ctx;
  if (id !== undefined) {
    if (typeof id !== 'string' || (!section.anyId && !id.startsWith(`${section.prefix}_`))) throw new Error(`"id" must start with ${section.prefix}_`);
    if (world.get(id)) throw new Error(`${id} already exists in this world`);
    if (section.name === 'products' || section.name === 'coupons') rest.id = id;
    else world.ids.choose(id, section.prefix);
  }
  if (section.name === 'customers') return seedCustomer(ctx, section, rest);
  if (section.name === 'accounts') {
    const made = apiCall(ctx, section.op, rest);
    const connected = world.connected.get(made.id)!;
    if (onboarded !== false) completeOnboarding(controlCtx(connected), connected);
    return made.id as string;
  }
  // A price may name a product the seed has not made: it is made with that id (and the id as its name).
  if (section.name === 'prices' && typeof rest.product === 'string' && !world.get(rest.product)) {
    apiCall(ctx, 'POST /v1/products', { id: rest.product, name: rest.product });
  }
  if (section.name === 'payment_methods') {
    // A test value (pm_card_visa, tok_visa) or the parameters of POST /v1/payment_methods.
    let pm: PaymentMethod;
    if (typeof testValue === 'string') {
      const card = testCards.byPaymentMethod(testValue) ?? testCards.byToken(testValue);
      if (!card) throw new Error(`Unknown test value "${testValue}"`);
      pm = createCardPaymentMethod(ctx, card, { billing_details: rest.billing_details, metadata: rest.metadata });
    } else pm = apiCall(ctx, section.op, rest) as PaymentMethod;
    if (typeof customer === 'string') pm = attachPaymentMethod(ctx, pm, customer);
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

/**
 * A customer; its `invoice_settings.default_payment_method` may name a payment
 * method the seed makes with it: `pm_<anything>_<test card>` (`pm_jane_visa` is
 * a `pm_card_visa` card with that id), attached to the customer.
 */
function seedCustomer(ctx: Ctx, section: Section, params: Record<string, any>): string {
  const wanted = params.invoice_settings?.default_payment_method;
  const made = typeof wanted === 'string' && !ctx.world.get(wanted) ? testCards.byPaymentMethod(`pm_card_${wanted.slice(wanted.lastIndexOf('_') + 1)}`) : undefined;
  if (!made) return apiCall(ctx, section.op, params).id as string;
  const { default_payment_method: _named, ...settings } = params.invoice_settings;
  const customer = apiCall(ctx, section.op, { ...params, invoice_settings: settings });
  ctx.world.ids.choose(wanted, 'pm');
  const pm = attachPaymentMethod(ctx, createCardPaymentMethod(ctx, made), customer.id);
  apiCall(ctx, `POST /v1/customers/${customer.id}`, { invoice_settings: { default_payment_method: pm.id } });
  return customer.id as string;
}

/** Creates a PaymentIntent; a decline keeps its state (as on Stripe) rather than failing the seed. */
function confirmedIntent(ctx: Ctx, op: string, params: Record<string, unknown>) {
  try {
    return apiCall(ctx, op, params);
  } catch (e) {
    // A declined confirmation's 402 carries the intent it left in requires_payment_method.
    const declined = e instanceof StripeError && e.status === 402 ? (e.fields.payment_intent as StripeObject | undefined) : undefined;
    if (declined) return ctx.world.get(declined.id)!;
    throw e;
  }
}

/** Chooses an account's network business profile (the control route, a seed's `network_business_profile`): a profile id, or null for the derived one. */
export function chooseProfile(world: World, profile: unknown, at?: string): void {
  if (profile !== null && (typeof profile !== 'string' || !/^profile_(test_)?[A-Za-z0-9_]+$/.test(profile))) {
    throw new ControlError('network_business_profile must be a profile id (profile_test_…) or null', 400, at);
  }
  chooseNetworkProfile(world, profile);
}


/** Runs an API operation's handler with its spec-validated parameters, as a request would. */
export function apiCall(ctx: Ctx, op: string, value: Record<string, unknown>) {
  const [method, path] = op.split(' ');
  const match = routes.match(method, path);
  if (!match || match === 'wrong-method') throw new Error(`${op} is not modeled`);
  const params: Params = coerceParams(match.value.params, toForm(value) as FormTree);
  return match.value.handler(ctx, params, match.params) as Record<string, any>;
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
