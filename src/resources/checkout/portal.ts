import { nowIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { previousAttributes } from '../../engine/events';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared, unsupportedParams } from '../../engine/resource';
import { Ctx, World } from '../../engine/world';
import type { Customer } from '../core/customers';

// The customer portal (docs/billing.md §7.3; Stripe's types for the shapes, a
// recorded dahlia session for the session's): configurations (`bpc_…`) and
// sessions (`bps_…`) whose `url` is a page the twin serves. A session made
// without `configuration` uses the account's default configuration, which the
// twin makes the first time one is needed (on Stripe it is saved in the
// Dashboard; made here without an event). Events
// billing_portal.configuration.created|updated, billing_portal.session.created.

export type PortalConfiguration = Shaped<'billing_portal.configuration'>;
export type PortalSession = Shaped<'billing_portal.session'>;

/** Every feature off: what a configuration has of a feature it does not set. */
const FEATURES_OFF = shared({
  customer_update: { allowed_updates: [], enabled: false },
  invoice_history: { enabled: false },
  payment_method_update: { enabled: false, payment_method_configuration: null },
  subscription_cancel: { cancellation_reason: { enabled: false, feedback_options: null, options: [] }, enabled: false, mode: 'at_period_end', proration_behavior: 'none' },
  subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
  subscription_update: {
    billing_cycle_anchor: null,
    default_allowed_updates: [],
    enabled: false,
    proration_behavior: 'none',
    schedule_at_period_end: { conditions: [] },
    trial_update_behavior: 'end_trial',
  },
});

/**
 * The default configuration's features (twin choice; Stripe's default is what the
 * Dashboard saved): invoices, payment methods, email and address, and cancelling
 * at period end.
 */
const DEFAULT_FEATURES = {
  customer_update: { allowed_updates: ['email', 'address'], enabled: true },
  invoice_history: { enabled: true },
  payment_method_update: { enabled: true },
  subscription_cancel: { enabled: true },
};

const BUSINESS_PROFILE = shared({ headline: null, privacy_policy_url: null, terms_of_service_url: null });
const LOGIN_PAGE = shared({ enabled: false, url: null });

/** `base` with `update` laid over it, hash by hash (arrays and scalars replace). */
function merged(base: Params, update: Params | null | undefined): Params {
  if (!update) return base;
  const out: Params = { ...base };
  for (const [key, value] of Object.entries(update)) {
    const current = base[key];
    out[key] = value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current) ? merged(current, value) : value;
  }
  return out;
}

function checkFeatures(operation: string, features: Params | null | undefined): void {
  if (features?.subscription_update?.products != null) throw errors.unsupportedParam(operation, 'features[subscription_update][products]');
}

function checkLoginPage(operation: string, loginPage: Params | null | undefined): void {
  if (loginPage?.enabled) throw errors.unsupportedParam(operation, 'login_page[enabled]');
}

const DEFAULT_FACT = 'billing_portal_default_configuration';

/** The account's default configuration, made on first need. */
function defaultConfiguration(ctx: Ctx): PortalConfiguration {
  const id = ctx.world.facts.get(DEFAULT_FACT) as string | undefined;
  if (id) return ctx.world.get<PortalConfiguration>(id)!;
  const now = nowIn(ctx);
  const made = ctx.world.insert(
    portalConfigurations.build(ctx, {}, { features: merged(FEATURES_OFF, DEFAULT_FEATURES), is_default: true, updated: now }),
  );
  ctx.world.facts.set(DEFAULT_FACT, made.id);
  return made;
}

function createConfiguration(ctx: Ctx, params: Params): PortalConfiguration {
  checkFeatures('POST /v1/billing_portal/configurations', params.features);
  checkLoginPage('POST /v1/billing_portal/configurations', params.login_page);
  return portalConfigurations.insert(ctx, params, { features: merged(FEATURES_OFF, params.features), updated: nowIn(ctx) });
}

function updateConfiguration(ctx: Ctx, config: PortalConfiguration, params: Params): PortalConfiguration {
  checkFeatures('POST /v1/billing_portal/configurations/{configuration}', params.features);
  checkLoginPage('POST /v1/billing_portal/configurations/{configuration}', params.login_page);
  const next = { ...portalConfigurations.apply(ctx, config, params), features: merged(config.features, params.features) };
  if (!previousAttributes(config, next)) return config;
  return portalConfigurations.save(ctx, config, { ...next, updated: nowIn(ctx) });
}

export const portalConfigurations = defineResource<'billing_portal.configuration', PortalConfiguration>({
  object: 'billing_portal.configuration',
  prefix: 'bpc',
  path: '/v1/billing_portal/configurations',
  create: createConfiguration,
  defaults: { active: true, business_profile: BUSINESS_PROFILE, is_default: false, login_page: LOGIN_PAGE },
  writable: {
    active: true,
    business_profile: (value, current) => ({ ...(current ?? BUSINESS_PROFILE), ...value }),
    default_return_url: true,
    login_page: (value, current) => ({ ...(current ?? LOGIN_PAGE), ...value }),
    // Stripe's generated example has null metadata on a configuration made without it.
    metadata: (value, current) => mergeMetadata(current ?? EMPTY, value),
    name: true,
  },
  events: { created: 'billing_portal.configuration.created', updated: 'billing_portal.configuration.updated' },
  filters: ['active', 'is_default'],
  indexes: ['active', 'is_default'],
  routes: { update: false },
}).with(
  route('POST', '/v1/billing_portal/configurations/{configuration}', 'billing_portal.configuration', (ctx, params, path) =>
    updateConfiguration(ctx, portalConfigurations.find(ctx, path.configuration), params),
  ),
);

// --- sessions ---------------------------------------------------------------------

/**
 * The page token, in the form recorded sessions have: `test_`, then base64 of
 * `<account id>,_<31 characters>` (which names the account, as the twin's page
 * needs), then 12 more characters.
 */
function newToken(ctx: Ctx): string {
  const { world } = ctx;
  return `test_${Buffer.from(`${world.accountId},_${world.ids.chars(31)}`).toString('base64')}0100${world.ids.chars(8)}`;
}

const tokenFact = (token: string) => `portal_token:${token}`;

/** The account a portal page token names (its account id, base64 inside the token). */
export function accountBlockOfPortalToken(token: string): string | null {
  if (!/^test_[A-Za-z0-9+/]{72}0100[A-Za-z0-9]{8}$/.test(token)) return null;
  const account = Buffer.from(token.slice(5, 77), 'base64').toString('utf8').split(',')[0];
  return /^acct_[A-Za-z0-9]{16}$/.test(account) ? account.slice(-10) : null;
}

/** The portal session a page token names. */
export function portalSessionByToken(world: World, token: string): PortalSession | undefined {
  const id = world.facts.get(tokenFact(token)) as string | undefined;
  return id ? world.get<PortalSession>(id) : undefined;
}

function createPortalSession(ctx: Ctx, params: Params): PortalSession {
  unsupportedParams('POST /v1/billing_portal/sessions', params, ['after_expiration', 'customer_account', 'flow_data', 'on_behalf_of']);
  if (!params.customer) throw errors.parameterMissing('customer');
  const customer = find<Customer>(ctx, 'customer', params.customer, 'customer');
  const config = params.configuration ? portalConfigurations.find(ctx, params.configuration, 'configuration') : defaultConfiguration(ctx);
  const token = newToken(ctx);
  const session = portalSessions.insert(ctx, params, {
    configuration: config.id,
    customer: customer.id,
    locale: params.locale ?? null,
    return_url: params.return_url ?? config.default_return_url ?? null,
    url: `${ctx.world.config.publicUrl}/p/session/${token}`,
  });
  ctx.world.facts.set(tokenFact(token), session.id);
  return session;
}

export const portalSessions = defineResource<'billing_portal.session', PortalSession>({
  object: 'billing_portal.session',
  prefix: 'bps',
  path: '/v1/billing_portal/sessions',
  create: createPortalSession,
  // Sent only when set (endive); recorded sessions lack it.
  omit: ['after_expiration'],
  events: { created: 'billing_portal.session.created' },
  // Stripe has no retrieve or list of portal sessions.
  routes: { retrieve: false, list: false, update: false },
});
