import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { checkCurrency, formatAmount, minimumCharge } from '../../engine/money';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { defineResource, EMPTY, find, mergeMetadata, route, shared, unsupportedParams } from '../../engine/resource';
import { Ctx, declareIndex, World } from '../../engine/world';
import type { Customer } from '../core/customers';
import { createCustomer } from '../core/customers';
import { pmcId } from '../payments/confirmation';
import type { PaymentIntent } from '../payments/payment_intents';
import { completeAuthentication, confirmPaymentIntent, createPaymentIntent } from '../payments/payment_intents';
import type { PaymentMethod } from '../payments/payment_methods';
import { attachPaymentMethod } from '../payments/payment_methods';
import type { SetupIntent } from '../payments/setup_intents';
import { completeSetupAuthentication, confirmSetupIntent, createSetupIntent } from '../payments/setup_intents';
import { copyLineItems, includeLineItems, LineItem, lineItemsOf, listLineItems, priceLineItems, storeLineItems } from './line_items';
import { CheckoutSession, checkoutSessionMachine, completeSession } from './session_state';
import { completeSubscriptionSession } from './subscription_mode';

// Checkout Sessions (docs/billing.md §7.1; shapes, defaults
// and URL forms from recorded dahlia sessions): modes payment, setup and
// subscription; status open → complete | expired with `url` only while open;
// expiry at `expires_at` on the world clock, with recovery; no created event.
//
// Completion is one code path whatever the face (the hosted page, Stripe's private
// payment_pages confirm the CLI uses, the control surface): `submitSession` pays
// (payment mode: the session's PaymentIntent, made at the first submit and
// confirmed again after a decline), sets up (setup mode: the SetupIntent made with
// the session) or hands over to subscription mode. The session completes when its
// intent succeeds (a reaction below), so a 3D Secure challenge finished later, on
// any face, completes it too: payment_intent.created → charge.succeeded →
// payment_intent.succeeded → checkout.session.completed (docs/billing.md §8.8).
// checkout.session.async_payment_succeeded|failed are not reachable: they follow
// delayed payment methods, and the twin pays by card only.

const S = checkoutSessionMachine.state;

/** Sessions live at most 24 hours and at least 30 minutes (Stripe's types; 24 h by default). */
const MAX_LIFETIME = 24 * 3600;
const MIN_LIFETIME = 30 * 60;
/** A recovery URL works for 30 days after the session expired (twin choice from Stripe's docs, unrecorded). */
const RECOVERY_LIFETIME = 30 * 86400;

const refused = (message: string, param?: string) =>
  new StripeError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) }, 'validation');

// --- what a new session looks like (recorded dahlia sessions) ---------------

const AUTOMATIC_TAX = shared({ enabled: false, liability: null, provider: null, status: null });
const COLLECTED = shared({ business_name: null, individual_name: null, shipping_details: null });
const CUSTOM_TEXT = shared({ after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null });
const INVOICE_CREATION = shared({
  enabled: false,
  invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null },
});
const SAVED_PAYMENT_METHODS = shared({ allow_redisplay_filters: ['always'], payment_method_remove: 'disabled', payment_method_save: null });
const TOTAL_DETAILS = shared({ amount_discount: 0, amount_shipping: 0, amount_tax: 0 });
const ADAPTIVE = { on: shared({ enabled: true }), off: shared({ enabled: false }) };
const PHONE = shared({ enabled: false });

/** Options per payment method type, as recorded (us_bank_account outside subscription mode, wechat_pay in payment mode). */
function paymentMethodOptions(types: readonly string[], mode: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (types.includes('card')) out.card = { request_three_d_secure: 'automatic' };
  if (types.includes('us_bank_account') && mode !== 'subscription') {
    out.us_bank_account = { financial_connections: { permissions: ['payment_method'], prefetch: [] }, verification_method: 'automatic' };
  }
  if (types.includes('wechat_pay') && mode === 'payment') out.wechat_pay = { app_id: null, client: 'web' };
  return out;
}

/** The account's name as Checkout and the portal show it (the twin has no business profile: its statement descriptor, capitalised). */
export function displayName(world: World): string {
  return world.config.statementDescriptor.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
}

/** `cs_test_` and 58 characters: `a1` (`c1` in setup mode) as recorded, then the account's id block, so the hosted page finds its account. */
function newSessionId(ctx: Ctx, mode: string): string {
  return `cs_test_${mode === 'setup' ? 'c1' : 'a1'}${ctx.world.ids.accountBlock}${ctx.world.ids.chars(46)}`;
}

/** The account a session id belongs to: its id block. */
export const accountBlockOfSession = (id: string): string | null => (/^cs_test_[a-z]\d/.test(id) && id.length === 66 ? id.slice(10, 20) : null);

/** The hosted page of a session. The fragment is opaque (Stripe's carries the page's settings; browsers never send it). */
function sessionUrl(ctx: Ctx, id: string): string {
  return `${ctx.world.config.publicUrl}/c/pay/${id}#fid${ctx.world.ids.chars(40)}`;
}

const customerDetails = (customer: Customer | null, mode: string) =>
  customer
    ? { address: null, business_name: null, email: customer.email, individual_name: null, name: null, phone: null, tax_exempt: mode === 'setup' ? null : customer.tax_exempt, tax_ids: null }
    : null;

// --- create -------------------------------------------------------------------

/** Parameters of create Stripe accepts that the twin does not model (501). */
const UNSUPPORTED = [
  'branding_settings', 'consent_collection', 'custom_fields', 'custom_text', 'customer_account', 'customer_update', 'discounts',
  'managed_payments', 'name_collection', 'optional_items', 'payment_method_configuration', 'payment_method_data', 'payment_method_options',
  'permissions', 'redirect_on_completion', 'return_url', 'saved_payment_method_options', 'setup_intent_data', 'shipping_address_collection',
  'shipping_options', 'wallet_options',
];
/** Hashes accepted only in their default, disabled form (`{enabled: false}`). */
const OFF_ONLY = ['automatic_tax', 'invoice_creation', 'phone_number_collection', 'tax_id_collection'];
const INTENT_DATA = ['capture_method', 'description', 'metadata', 'receipt_email', 'setup_future_usage', 'shipping'];
const SUBSCRIPTION_DATA = ['metadata', 'trial_period_days'];

function checkModeled(params: Params): void {
  const op = 'POST /v1/checkout/sessions';
  unsupportedParams(op, params, UNSUPPORTED);
  for (const name of OFF_ONLY) {
    const value = params[name];
    if (value != null && (value.enabled !== false || Object.keys(value).length > 1)) throw errors.unsupportedParam(op, name);
  }
  if (params.ui_mode != null && params.ui_mode !== 'hosted_page') throw errors.unsupportedParam(op, 'ui_mode');
  for (const [hash, modeled] of [['payment_intent_data', INTENT_DATA], ['subscription_data', SUBSCRIPTION_DATA]] as const) {
    for (const key of Object.keys(params[hash] ?? {})) if (!modeled.includes(key)) throw errors.unsupportedParam(op, `${hash}[${key}]`);
  }
  if (params.after_expiration?.recovery?.allow_promotion_codes) throw errors.unsupportedParam(op, 'after_expiration[recovery][allow_promotion_codes]');
}

/** Where a session comes from besides its parameters: a payment link, or an expired session it recovers. */
export interface SessionOrigin {
  payment_link?: string;
  recovered_from?: string;
  /** Line items already priced (copied from the link or the expired session). */
  items?: readonly LineItem[];
}

/** The payment method types a session offers: the account's, narrowed by allowed / excluded types. */
function offeredTypes(ctx: Ctx, params: Params): string[] {
  const allowed: string[] | undefined = params.allowed_payment_method_types ?? undefined;
  const excluded: string[] = params.excluded_payment_method_types ?? [];
  if (allowed && params.excluded_payment_method_types) {
    throw errors.onlyOneOf(['allowed_payment_method_types', 'excluded_payment_method_types'], 'allowed_payment_method_types');
  }
  const types = ctx.world.config.paymentMethodTypes.filter((t) => (!allowed || allowed.includes(t)) && !excluded.includes(t));
  // The twin pays by card only: a list without one of its types is one it cannot offer (501, not Stripe's answer).
  if (!types.length) throw errors.unsupportedParam('POST /v1/checkout/sessions', allowed ? 'allowed_payment_method_types' : 'excluded_payment_method_types');
  return types;
}

export function createSession(ctx: Ctx, params: Params, origin: SessionOrigin = {}): CheckoutSession {
  checkModeled(params);
  const mode: string | undefined = params.mode;
  if (!mode) throw errors.parameterMissing('mode');
  if (params.customer && params.customer_email) throw errors.onlyOneOf(['customer', 'customer_email'], 'customer');
  const customer = params.customer ? find<Customer>(ctx, 'customer', params.customer, 'customer') : null;
  const now = nowIn(ctx);
  const expiresAt: number = params.expires_at ?? now + MAX_LIFETIME;
  if (expiresAt < now + MIN_LIFETIME || expiresAt > now + MAX_LIFETIME) {
    // Twin's text (unverified); the bounds are Stripe's.
    throw refused('The `expires_at` timestamp must be between 30 minutes and 24 hours after the Checkout Session is created.', 'expires_at');
  }
  if (mode !== 'payment' && params.payment_intent_data) throw refused('You can only specify `payment_intent_data` in `payment` mode.', 'payment_intent_data'); // twin's text (unverified)
  if (mode !== 'subscription' && params.subscription_data) throw refused('You can only specify `subscription_data` in `subscription` mode.', 'subscription_data'); // twin's text (unverified)

  const priced = origin.items ? null : priceLineItems(ctx, params.line_items);
  const items = origin.items ? copyLineItems(ctx, origin.items) : priced!.items;
  const recurring = origin.items ? items.some((i) => i.price.type === 'recurring') : priced!.recurring;
  const subtotal = items.reduce((sum, i) => sum + i.amount_subtotal, 0);
  const given = params.currency ? checkCurrency(params.currency) : null;
  let currency: string | null = items[0]?.currency ?? given;
  if (mode === 'setup') {
    if (items.length) throw refused('You cannot pass `line_items` in `setup` mode.', 'line_items'); // twin's text (unverified)
    currency = given;
  } else {
    // Prices in another currency than `currency` would need adaptive pricing's conversion (not modeled).
    if (given && given !== currency) throw errors.unsupportedParam('POST /v1/checkout/sessions', 'currency');
    if (!items.length) throw errors.parameterMissing('line_items');
    // Both texts as public projects quote Stripe's; codes and params unrecorded (none sent).
    if (mode === 'payment' && recurring) throw refused('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.');
    if (mode === 'subscription' && !recurring) throw refused('You must provide at least one recurring price in `subscription` mode when using prices.');
    if (mode === 'payment' && subtotal < minimumCharge(currency!)) {
      // As integrations quote Stripe's text (unverified against a recording).
      throw refused(`The Checkout Session's total amount due must add up to at least ${formatAmount(minimumCharge(currency!), currency!)} ${currency}`);
    }
  }
  const types = offeredTypes(ctx, params);
  // Setup mode makes its SetupIntent with the session (recorded); payment mode its PaymentIntent at the first submit.
  const si = mode === 'setup' ? createSetupIntent(ctx, { customer: customer?.id, payment_method_types: types, usage: 'off_session' }) : null;
  const id = newSessionId(ctx, mode);
  const trial = mode === 'subscription' && params.subscription_data?.trial_period_days;
  const amount = mode === 'setup' ? null : trial ? 0 : subtotal; // a trial's first invoice is free (twin choice: what is due today)
  const recovery = params.after_expiration?.recovery;
  const session = checkoutSessions.insert(ctx, params, {
    id,
    adaptive_pricing: params.adaptive_pricing ? ADAPTIVE[params.adaptive_pricing.enabled ? 'on' : 'off'] : ADAPTIVE[mode === 'setup' ? 'off' : 'on'],
    after_expiration: recovery ? { recovery: { allow_promotion_codes: false, enabled: recovery.enabled, expires_at: null, url: null } } : null,
    allowed_payment_method_types: params.allowed_payment_method_types ?? null,
    amount_subtotal: mode === 'setup' ? null : trial ? 0 : subtotal,
    amount_total: amount,
    branding_settings: { background_color: '#ffffff', border_style: 'rounded', button_color: '#0074d4', display_name: displayName(ctx.world), font_family: 'default', icon: null, logo: null },
    currency,
    customer: customer?.id ?? null,
    // Stripe sends null when a customer is given; 'if_required' is the default otherwise (docs/billing.md §7.1).
    customer_creation: customer ? null : params.customer_creation ?? (mode === 'subscription' ? null : 'if_required'),
    customer_details: customerDetails(customer, mode),
    discounts: mode === 'setup' ? null : [],
    expires_at: expiresAt,
    invoice_creation: mode === 'payment' ? INVOICE_CREATION : null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    payment_link: origin.payment_link ?? null,
    payment_method_collection: mode === 'payment' ? 'if_required' : params.payment_method_collection ?? 'always',
    payment_method_configuration_details: { id: pmcId(ctx), parent: null },
    payment_method_options: paymentMethodOptions(types, mode),
    payment_method_types: types,
    payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    recovered_from: origin.recovered_from ?? null,
    saved_payment_method_options: mode === 'setup' ? null : SAVED_PAYMENT_METHODS,
    setup_intent: si?.id ?? null,
    total_details: mode === 'setup' ? null : TOTAL_DETAILS,
    url: sessionUrl(ctx, id),
  });
  storeLineItems(ctx.world, id, items);
  if (si) ctx.world.facts.set(sessionOfIntent(si.id), id);
  // What completing needs later: the PaymentIntent's and the subscription's data, and (for a recovery) the parameters.
  const kept = { payment_intent_data: params.payment_intent_data ?? null, subscription_data: params.subscription_data ?? null, params: recovery?.enabled ? params : null };
  ctx.world.facts.set(sessionDataFact(id), Object.freeze(kept));
  scheduleIn(ctx, expiresAt, EXPIRE, { id });
  return session;
}

const EXPIRE = declareTask<{ id: string }>('checkout.session.expire', (later, { id }) => {
  const current = later.world.get<CheckoutSession>(id);
  if (current?.status === S.open) expireSession(later, current);
});

/** What a session keeps for later beside the object. */
interface SessionData {
  payment_intent_data: Params | null;
  subscription_data: Params | null;
  /** The create parameters, when the session can be recovered. */
  params: Params | null;
}
const sessionDataFact = (id: string) => `checkout_session:${id}`;
export const sessionData = (world: World, id: string) => world.facts.get(sessionDataFact(id)) as SessionData;

/** The session an intent pays or sets up (facts: one per session intent). */
const sessionOfIntent = (intentId: string) => `checkout_session_of:${intentId}`;

// --- expire and recover ----------------------------------------------------------

/** Expires an open session (API call or its `expires_at`); a recoverable one gets its recovery URL. */
export function expireSession(ctx: Ctx, session: CheckoutSession): CheckoutSession {
  checkoutSessionMachine.check(session, 'expire');
  const recovery = session.after_expiration?.recovery;
  const now = nowIn(ctx);
  return checkoutSessionMachine.transition(ctx, session, 'expire', S.expired, {
    url: null,
    after_expiration: recovery?.enabled
      ? { recovery: { ...recovery, expires_at: now + RECOVERY_LIFETIME, url: `${ctx.world.config.publicUrl}/r/${session.id}` } }
      : session.after_expiration,
  });
}

/** Opening a recovery URL: a new session with the expired one's parameters and line items, `recovered_from` it. */
export function recoverSession(ctx: Ctx, expired: CheckoutSession): CheckoutSession {
  const recovery = expired.after_expiration?.recovery;
  const data = sessionData(ctx.world, expired.id);
  if (expired.status !== S.expired || !recovery?.url || !data?.params || nowIn(ctx) > recovery.expires_at) {
    throw errors.state('This recovery link has expired.'); // twin's text (unverified)
  }
  const { after_expiration: _dropped, expires_at: _expiry, line_items: _items, ...params } = data.params;
  return createSession(ctx, params, { recovered_from: expired.id, payment_link: expired.payment_link ?? undefined, items: lineItemsOf(ctx.world, expired.id) });
}

// --- completion -------------------------------------------------------------------

/** What the customer gives when paying: the payment method, and the details the page asks for. */
export interface Submission {
  paymentMethod: PaymentMethod;
  email?: string | null;
  name?: string | null;
}

/**
 * The customer submits an open session (every face): the customer is made when
 * the session needs one, then payment mode confirms its PaymentIntent (made at the
 * first submit), setup mode its SetupIntent, subscription mode hands over to
 * ./subscription_mode.ts. Success completes the session through the intent's
 * event (below); a 3D Secure card leaves it open with the intent requiring action;
 * a decline throws Stripe's 402 and leaves it open (the failure is kept).
 */
export function submitSession(ctx: Ctx, session: CheckoutSession, submission: Submission): CheckoutSession {
  const { world } = ctx;
  checkoutSessionMachine.check(session, 'complete');
  const pm = submission.paymentMethod;
  const data = sessionData(world, session.id);
  const email = submission.email || session.customer_details?.email || session.customer_email || pm.billing_details.email || null;
  const name = submission.name || pm.billing_details.name || null;
  const needsCustomer =
    !session.customer &&
    (session.mode === 'subscription' || session.customer_creation === 'always' || (session.mode === 'payment' && Boolean(data.payment_intent_data?.setup_future_usage)));
  const customer = needsCustomer ? createCustomer(ctx, { email: email ?? undefined, name: name ?? undefined }).id : session.customer;
  session = world.replace({
    ...session,
    customer,
    customer_details: {
      address: session.mode === 'setup' ? null : pm.billing_details.address ?? null,
      business_name: null,
      email,
      individual_name: null,
      name,
      phone: pm.billing_details.phone ?? null,
      tax_exempt: session.mode === 'setup' ? null : 'none',
      tax_ids: [],
    },
  });
  if (session.mode === 'payment') pay(ctx, session, pm);
  else if (session.mode === 'setup') confirmSetupIntent(ctx, world.get<SetupIntent>(session.setup_intent)!, { payment_method: pm.id });
  else completeSubscriptionSession(ctx, session, pm, data);
  return world.get<CheckoutSession>(session.id)!;
}

function pay(ctx: Ctx, session: CheckoutSession, pm: PaymentMethod): void {
  const { world } = ctx;
  let pi = session.payment_intent ? world.get<PaymentIntent>(session.payment_intent)! : null;
  if (!pi) pi = world.get<PaymentIntent>(createSessionPaymentIntent(ctx, session).payment_intent)!;
  // An intent made with the session (before 2022-08-01) gets the customer the submit made.
  else if (!pi.customer && session.customer) pi = world.replace({ ...pi, customer: session.customer });
  confirmPaymentIntent(ctx, pi, { payment_method: pm.id });
}

/**
 * Makes a payment-mode session's PaymentIntent (with payment_intent_data): at the
 * first submit, or with the session itself at versions before 2022-08-01
 * (src/versions/2022-08-01). Returns the session, linked to it.
 */
export function createSessionPaymentIntent(ctx: Ctx, session: CheckoutSession): CheckoutSession {
  const { world } = ctx;
  const pi = createPaymentIntent(ctx, {
    amount: session.amount_total,
    currency: session.currency,
    customer: session.customer ?? undefined,
    payment_method_types: session.payment_method_types,
    ...(sessionData(world, session.id).payment_intent_data ?? {}),
  });
  world.facts.set(sessionOfIntent(pi.id), session.id);
  return world.replace({ ...world.get<CheckoutSession>(session.id)!, payment_intent: pi.id });
}

/** The intent a session waits on, when its customer must finish a 3D Secure challenge. */
export function pendingChallenge(world: World, session: CheckoutSession): PaymentIntent | SetupIntent | null {
  const id = session.mode === 'setup' ? session.setup_intent : session.payment_intent;
  const intent = id ? world.get<PaymentIntent | SetupIntent>(id) : undefined;
  return intent?.status === 'requires_action' ? intent : null;
}

/** The customer passes or fails the session's 3D Secure challenge (the hosted challenge page). */
export function authenticateSession(ctx: Ctx, session: CheckoutSession, succeed: boolean): void {
  const intent = pendingChallenge(ctx.world, session);
  if (!intent) throw errors.state('This Checkout Session has no 3D Secure challenge to finish.'); // twin's text
  if (intent.object === 'setup_intent') completeSetupAuthentication(ctx, intent as SetupIntent, succeed);
  else completeAuthentication(ctx, intent as PaymentIntent, succeed);
}

/** The open session an intent belongs to, if any. */
function openSessionOf(world: World, intentId: string): CheckoutSession | null {
  const id = world.facts.get(sessionOfIntent(intentId)) as string | undefined;
  const session = id ? world.get<CheckoutSession>(id) : undefined;
  return session?.status === S.open ? session : null;
}

// A session's payment completes it: paid, or authorized only (manual capture: unpaid
// until captured, as integrations report; uncertain).
react('payment_intent.succeeded', 'a Checkout Session completes when its payment succeeds', (ctx, event) => {
  const session = openSessionOf(ctx.world, event.data.object.id);
  if (session) completeSession(ctx, session, { payment_status: 'paid' });
});
react('payment_intent.amount_capturable_updated', 'a Checkout Session completes when its payment is authorized (manual capture)', (ctx, event) => {
  const session = openSessionOf(ctx.world, event.data.object.id);
  if (session) completeSession(ctx, session);
});
// Setup mode: the SetupIntent succeeding completes the session; a customer the
// session made (customer_creation=always) gets the payment method first.
react('setup_intent.succeeded', 'a setup-mode Checkout Session completes when its SetupIntent succeeds', (ctx, event) => {
  const session = openSessionOf(ctx.world, event.data.object.id);
  if (!session) return;
  const pm = ctx.world.get<PaymentMethod>(event.data.object.payment_method);
  if (pm && session.customer && !pm.customer) attachPaymentMethod(ctx, pm, session.customer);
  completeSession(ctx, session);
});

// --- the resource -----------------------------------------------------------------

// `customer_details[email]` filters the list: an index on the nested field.
declareIndex('checkout.session', 'customer_details.email', undefined, (s) => s.customer_details?.email);
includeLineItems('checkout.session', (s) => `/v1/checkout/sessions/${s.id}/line_items`);

export const checkoutSessions = defineResource<'checkout.session', CheckoutSession>({
  object: 'checkout.session',
  prefix: 'cs_test',
  path: '/v1/checkout/sessions',
  create: (ctx, params) => createSession(ctx, params),
  // Of the fields sent only when set, recorded sessions carry these two.
  optional: ['branding_settings', 'phone_number_collection'],
  defaults: {
    automatic_tax: AUTOMATIC_TAX,
    collected_information: COLLECTED,
    custom_fields: [],
    custom_text: CUSTOM_TEXT,
    phone_number_collection: PHONE,
    shipping_options: [],
    status: S.open,
    ui_mode: 'hosted_page',
  },
  writable: {
    allow_promotion_codes: true,
    billing_address_collection: true,
    cancel_url: true,
    client_reference_id: true,
    customer_email: true,
    integration_identifier: true,
    locale: true,
    metadata: (value, current) => mergeMetadata(current, value),
    mode: true,
    origin_context: true,
    submit_type: true,
    success_url: true,
  },
  // Of update's parameters only metadata is modeled.
  unsupported: { update: ['collected_information', 'line_items', 'payment_intent_data', 'shipping_options'] },
  filters: ['customer', 'payment_intent', 'payment_link', 'status', 'subscription'],
  indexes: ['customer', 'payment_intent', 'payment_link', 'status', 'subscription'],
  routes: { list: false },
}).with(
  route('GET', '/v1/checkout/sessions', { list: 'checkout.session' }, (ctx, params) => {
    unsupportedParams('GET /v1/checkout/sessions', params, ['customer_account']);
    const email: string | undefined = params.customer_details?.email;
    return checkoutSessions.list(ctx, params, '/v1/checkout/sessions', email ? (s) => s.customer_details?.email === email : undefined, { 'customer_details.email': email });
  }),
  route('GET', '/v1/checkout/sessions/{session}/line_items', { list: 'item' }, (ctx, params, path) => {
    const session = checkoutSessions.find(ctx, path.session);
    return listLineItems(ctx.world, session.id, `/v1/checkout/sessions/${session.id}/line_items`, params);
  }),
  route('POST', '/v1/checkout/sessions/{session}/expire', 'checkout.session', (ctx, _p, path) => expireSession(ctx, checkoutSessions.find(ctx, path.session))),
);
