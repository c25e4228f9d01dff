import { errors, StripeError } from '../../engine/errors';
import { emit } from '../../engine/events';
import { paginate } from '../../engine/list';
import { checkChargeAmount, checkCurrency, processingFee } from '../../engine/money';
import { Params } from '../../engine/params';
import { metadataKeys, search } from '../../engine/search';
import { pinned } from '../../engine/exogenous';
import { CARD_DECLINES, DECLINES, Decline } from '../../engine/testValues';
import { Ctx, declareIndex, StripeObject } from '../../engine/world';
import { createBalanceTransaction } from '../core/balance';
import { Charge, createCharge, saveCharge } from './charges';
import { given, shipping, sortKeys } from '../common';
import { EMPTY, find, mergeMetadata, route, shared, unsupportedParams } from '../../engine/resource';
import {
  attachPaymentMethod,
  behaviourOf,
  cardError,
  cardOf,
  checkUsable,
  declineFields,
  forcedBehaviour,
  lastError,
  markChecked,
  markConsumed,
  PaymentMethod,
  intentPaymentMethod,
  spendForced,
} from './payment_methods';
import { refundCharge } from './refunds';
import { authenticatedDetails, nextAction, pendingAuthentication } from './three_d_secure';

// PaymentIntents (stripe-behaviour.md §3): the state machine of §3.2 with
// capture methods automatic, automatic_async and manual; 3D Secure with a
// control-surface helper to finish authentication; declines that return to
// requires_payment_method with a 402 carrying the charge, PaymentMethod and
// PaymentIntent; capture, cancel, update and authorization expiry.

export type PaymentIntent = StripeObject & {
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  automatic_payment_methods: { allow_redirects?: string; enabled: boolean } | null;
  capture_method: 'automatic' | 'automatic_async' | 'manual';
  confirmation_method: 'automatic' | 'manual';
  currency: string;
  customer: string | null;
  latest_charge: string | null;
  payment_method: string | null;
  payment_method_options: Record<string, any>;
  setup_future_usage: string | null;
  status: string;
};

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
/** Seven days to capture a card authorization (§3 T4). */
const AUTHORIZATION_SECONDS = 7 * 86400;

/** Per-type payment_method_options Stripe fills in (§3.1; us_bank_account and acss_debit as recorded at 2026-03-25.dahlia). */
const OPTION_DEFAULTS: Record<string, Record<string, unknown>> = {
  card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
  link: { persistent_token: null },
  klarna: { preferred_locale: null },
  afterpay_clearpay: { reference: null },
  wechat_pay: { app_id: null, client: null },
  alipay: {},
  cashapp: {},
  crypto: {},
  us_bank_account: {
    financial_connections: { permissions: ['payment_method'], prefetch: [] },
    mandate_options: {},
    transaction_purpose: 'unspecified',
    verification_method: 'automatic',
  },
  acss_debit: { verification_method: 'automatic' },
};

const AMOUNT_DETAILS = shared({ tip: {} });
const MANAGED_PAYMENTS = shared({ enabled: false });
const AUTOMATIC = { always: shared({ allow_redirects: 'always', enabled: true }), never: shared({ allow_redirects: 'never', enabled: true }) };

const defaultOptions = new Map<string, Record<string, unknown>>();

function paymentMethodOptions(types: string[], given: Params | null | undefined, current?: Record<string, any>): Record<string, unknown> {
  if (!given && !current) {
    const key = types.join(',');
    let options = defaultOptions.get(key);
    if (!options) defaultOptions.set(key, (options = shared(paymentMethodOptions(types, undefined, {}))));
    return options;
  }
  current ??= {};
  const out: Record<string, unknown> = {};
  for (const type of [...types].sort()) {
    const base = current[type] ?? OPTION_DEFAULTS[type] ?? {};
    out[type] = sortKeys({ ...base, ...(given?.[type] ?? {}) });
  }
  return out;
}

const unexpectedState = (pi: PaymentIntent, message: string) =>
  errors.state(message, 'payment_intent_unexpected_state', { payment_intent: pi });

/** A PaymentMethod set up for off-session use by an authenticated setup (…3155, §4.8). */
export const setUpOffSession = (pmId: string) => `setup_off_session:${pmId}`;

/** Facts the engine keeps about an intent outside its public fields. */
const facts = {
  returnUrl: (id: string) => `return_url:${id}`,
  authenticated: (id: string) => `authenticated:${id}`,
};

// --- create ---------------------------------------------------------------

/**
 * The payment method types an intent offers: explicit `allowed_payment_method_types`
 * (2026-09-30.endive on) or `payment_method_types` (earlier versions; still accepted),
 * else automatic payment methods decide from the account's configuration (§0, 2023-08-16).
 */
export function offeredTypes(ctx: Ctx, params: Params) {
  // Twin choice: no recorded answer to both type lists at once, so the text is
  // Stripe's wording for exclusive parameters; the names' pairing and the param (unverified).
  if (params.payment_method_types && params.allowed_payment_method_types) {
    throw errors.onlyOneOf(['allowed_payment_method_types', 'payment_method_types'], 'payment_method_types');
  }
  const explicit: string[] | undefined = params.allowed_payment_method_types ?? params.payment_method_types ?? undefined;
  if (explicit && params.automatic_payment_methods) {
    // The names' order and the param (unverified): reported texts list names alphabetically.
    const types = params.allowed_payment_method_types ? 'allowed_payment_method_types' : 'payment_method_types';
    throw errors.onlyOneOf(['automatic_payment_methods', types], 'automatic_payment_methods');
  }
  if (explicit) return { types: explicit, allowed: (params.allowed_payment_method_types as string[] | undefined) ?? null, automatic: null };
  if (params.automatic_payment_methods?.enabled === false) return { types: ['card'], allowed: null, automatic: null };
  return {
    types: ctx.world.config.paymentMethodTypes,
    allowed: null,
    automatic: AUTOMATIC[(params.automatic_payment_methods?.allow_redirects ?? 'always') as 'always' | 'never'],
  };
}

/** The account's payment method configuration, used when automatic payment methods decide. */
export function pmcId(ctx: Ctx): string {
  const key = 'payment_method_configuration';
  let id = ctx.world.facts.get(key) as string | undefined;
  if (!id) ctx.world.facts.set(key, (id = ctx.world.ids.next('pmc')));
  return id;
}

export function createPaymentIntent(ctx: Ctx, params: Params): PaymentIntent {
  unsupportedParams('POST /v1/payment_intents', params, ['application_fee_amount', 'on_behalf_of', 'transfer_data', 'mandate', 'mandate_data', 'confirmation_token', 'radar_options']);
  const currency = checkCurrency(params.currency);
  checkChargeAmount(params.amount, currency);
  const offered = offeredTypes(ctx, params);
  const customer = params.customer ? find(ctx, 'customer', params.customer, 'customer') : null;
  const pm = intentPaymentMethod(ctx, params);
  const { world } = ctx;
  const types = offered.types;
  const piId = world.ids.next('pi');
  const pi = world.insert<PaymentIntent>({
    id: piId,
    object: 'payment_intent',
    allowed_payment_method_types: offered.allowed,
    amount: params.amount,
    amount_capturable: 0,
    amount_details: AMOUNT_DETAILS,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: offered.automatic,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: params.capture_method ?? 'automatic_async',
    client_secret: world.ids.clientSecret(piId),
    confirmation_method: params.confirmation_method ?? 'automatic',
    created: world.now(),
    currency,
    customer: customer?.id ?? null,
    customer_account: null,
    description: params.description ?? null,
    excluded_payment_method_types: params.excluded_payment_method_types ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: MANAGED_PAYMENTS,
    metadata: mergeMetadata(EMPTY, params.metadata),
    next_action: null,
    on_behalf_of: null,
    payment_method: pm?.id ?? null,
    payment_method_configuration_details: offered.automatic ? { id: pmcId(ctx), parent: null } : null,
    payment_method_options: paymentMethodOptions(types, params.payment_method_options),
    payment_method_types: types,
    payment_record: null,
    processing: null,
    receipt_email: params.receipt_email ?? null,
    review: null,
    setup_future_usage: params.setup_future_usage ?? null,
    shared_payment_granted_token: null,
    shipping: shipping(params.shipping),
    source: null,
    statement_descriptor: params.statement_descriptor ?? null,
    statement_descriptor_suffix: params.statement_descriptor_suffix ?? null,
    status: pm ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: params.transfer_group ?? null,
  });
  if (params.return_url) world.facts.set(facts.returnUrl(pi.id), params.return_url);
  emit(ctx, 'payment_intent.created', pi);
  if (params.confirm) return confirmPaymentIntent(ctx, pi, { ...params, payment_method: undefined, payment_method_data: undefined });
  return pi;
}

// --- confirm --------------------------------------------------------------

export function confirmPaymentIntent(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  const { world } = ctx;
  if (!CONFIRMABLE.includes(pi.status)) {
    throw unexpectedState(
      pi,
      pi.status === 'succeeded'
        ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
        : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
    );
  }
  if (params.payment_method && !params.payment_method.startsWith('pm_card_')) {
    find(ctx, 'payment_method', params.payment_method, 'payment_method', 'PaymentMethod');
  }
  const returnUrl: string | undefined = params.return_url ?? (world.facts.get(facts.returnUrl(pi.id)) as string | undefined);
  const offSession = params.off_session === true || params.off_session === 'one_off' || params.off_session === 'recurring';
  const apm = pi.automatic_payment_methods;
  if (apm?.enabled && apm.allow_redirects !== 'never' && !returnUrl && !offSession) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      message:
        "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
      payment_intent: pi,
    });
  }
  const pm = intentPaymentMethod(ctx, params) ?? (pi.payment_method ? world.get<PaymentMethod>(pi.payment_method)! : null);
  if (!pm) {
    throw unexpectedState(
      pi,
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.",
    );
  }
  checkUsable(ctx, pm);
  if (returnUrl) world.facts.set(facts.returnUrl(pi.id), returnUrl);
  const types = params.allowed_payment_method_types ?? params.payment_method_types ?? pi.payment_method_types;
  pi = world.update(pi, {
    allowed_payment_method_types: given(params.allowed_payment_method_types, pi.allowed_payment_method_types),
    capture_method: params.capture_method ?? pi.capture_method,
    payment_method: pm.id,
    payment_method_options: params.payment_method_options || types !== pi.payment_method_types
      ? paymentMethodOptions(types, params.payment_method_options, pi.payment_method_options)
      : pi.payment_method_options,
    payment_method_types: types,
    receipt_email: given(params.receipt_email, pi.receipt_email),
    setup_future_usage: given(params.setup_future_usage, pi.setup_future_usage),
    shipping: params.shipping === undefined ? pi.shipping : shipping(params.shipping),
    status: 'requires_confirmation',
    next_action: null,
  });

  if (needsAuthentication(ctx, pi, pm, offSession)) {
    spendForced(world, pi.id, ['authentication']);
    if (offSession) return failPayment(ctx, pi, pm, { decline: DECLINES.authentication_required });
    if (params.error_on_requires_action) {
      return failPayment(ctx, pi, pm, { decline: DECLINES.authentication_required, reported: AUTHENTICATION_NOT_HANDLED });
    }
    return requireAction(ctx, pi, pm, returnUrl);
  }
  return chargeIntent(ctx, pi, pm, { offSession });
}

/** Does this confirmation need 3D Secure (§4.8, or forced by `payment.requires_action`)? */
function needsAuthentication(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, offSession: boolean): boolean {
  const { world } = ctx;
  if (world.facts.get(facts.authenticated(pi.id)) === pm.id) return false;
  const requested = pi.payment_method_options.card?.request_three_d_secure;
  if (!offSession && (requested === 'any' || requested === 'challenge')) return true;
  const rule = behaviourOf(world, pm.id, pi.id)?.authentication;
  if (rule === 'always') return true;
  if (rule === 'on_session') return !offSession;
  if (rule === 'unless_setup') return !(offSession && world.facts.get(setUpOffSession(pm.id)));
  return false;
}

/** A payment attempt id (`payatt_…`, PaymentIntent family), as in 3DS next actions. */
const paymentAttemptId = (ctx: Ctx, pi: PaymentIntent) => ctx.world.ids.next('payatt', pi.id);

function requireAction(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, returnUrl: string | undefined): PaymentIntent {
  const { world } = ctx;
  world.facts.set(pendingAuthentication(pi.id), pm.id);
  const action = nextAction(ctx, pi, pm, paymentAttemptId(ctx, pi), returnUrl);
  const updated = world.update(pi, { status: 'requires_action', next_action: action });
  emit(ctx, 'payment_intent.requires_action', updated);
  return updated;
}

/**
 * Finishes a pending 3D Secure authentication (the customer's part, done in a
 * browser on Stripe). Success continues the payment as a confirmation would;
 * failure returns the intent to requires_payment_method (§3 T7).
 */
export function completeAuthentication(ctx: Ctx, pi: PaymentIntent, succeed: boolean): PaymentIntent {
  const { world } = ctx;
  const pmId = world.facts.get(pendingAuthentication(pi.id)) as string | undefined;
  if (pi.status !== 'requires_action' || !pmId) throw new Error(`${pi.id} has no pending authentication (status ${pi.status})`);
  world.facts.delete(pendingAuthentication(pi.id));
  const pm = world.get<PaymentMethod>(pmId)!;
  if (!succeed) {
    const failed = world.update(pi, {
      status: 'requires_payment_method',
      next_action: null,
      payment_method: null,
      last_payment_error: lastError(
        {
          code: 'payment_intent_authentication_failure',
          message:
            'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
        },
        pm,
        'invalid_request_error',
      ),
    });
    emit(ctx, 'payment_intent.payment_failed', failed);
    return failed;
  }
  world.facts.set(facts.authenticated(pi.id), pm.id);
  if (pi.confirmation_method === 'manual') return world.update(pi, { status: 'requires_confirmation', next_action: null });
  const threeDSecure = authenticatedDetails(ctx);
  try {
    return chargeIntent(ctx, world.update(pi, { next_action: null }), pm, {
      offSession: false,
      threeDSecure,
      authenticated: true,
    });
  } catch (e) {
    if (e instanceof StripeError && e.status === 402) return world.get<PaymentIntent>(pi.id)!;
    throw e;
  }
}

interface ChargeOptions {
  offSession: boolean;
  threeDSecure?: Record<string, unknown>;
  /** The charge follows a successful 3D Secure challenge. */
  authenticated?: boolean;
}

/**
 * The decline of a charge attempt, if it fails at the issuer: the card's (or the
 * one a trigger forced, which it spends); a pinned `last_payment_error.decline_code`
 * names the issuer's reason unless a trigger forced one.
 */
function issuerDecline(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, authenticated: boolean): Decline | undefined {
  const { world } = ctx;
  const behaviour = behaviourOf(world, pm.id, pi.id);
  const decline = (authenticated && behaviour?.declineAfterAuthentication) || behaviour?.decline;
  if (!decline) return undefined;
  if (forcedBehaviour(world, pi.id)?.decline) {
    spendForced(world, pi.id, ['decline', 'declineAfterAuthentication']);
    return decline;
  }
  const pin = pinned(world, 'last_payment_error.decline_code', [pi.id, pm.id, pi.customer]);
  return pin ? CARD_DECLINES.get(pin.value as string) ?? decline : decline;
}

/** The charge attempt of a confirmation: success per capture method, or a decline (§3 T2–T6). */
function chargeIntent(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, opts: ChargeOptions): PaymentIntent {
  const { world } = ctx;
  const card = cardOf(world, pm.id);
  const decline = issuerDecline(ctx, pi, pm, Boolean(opts.authenticated));
  const blocked = !decline && Boolean(card?.risk?.blocked);
  if (decline || blocked) return failPayment(ctx, pi, pm, { decline: decline ?? DECLINES.blocked, blocked, threeDSecure: opts.threeDSecure });

  // Saving the card for later: attach before the charge events (§3 T2 order).
  if (pi.setup_future_usage && pi.customer && !pm.customer) pm = attachPaymentMethod(ctx, pm, pi.customer);
  if (pi.setup_future_usage === 'off_session' && opts.authenticated) world.facts.set(setUpOffSession(pm.id), true);
  pm = markChecked(ctx, pm);
  markConsumed(ctx, pm);
  const manual = pi.capture_method === 'manual';
  let charge = createCharge(ctx, { intent: pi, pm, capture: !manual, threeDSecure: opts.threeDSecure });
  if (pi.capture_method === 'automatic') charge = world.replace({ ...charge, balance_transaction: chargeTransaction(ctx, charge, charge.amount).id });
  const done = world.update(pi, {
    status: manual ? 'requires_capture' : 'succeeded',
    amount_capturable: manual ? pi.amount : 0,
    amount_received: manual ? 0 : pi.amount,
    latest_charge: charge.id,
    last_payment_error: null,
    next_action: null,
  });
  emit(ctx, 'charge.succeeded', charge);
  emit(ctx, manual ? 'payment_intent.amount_capturable_updated' : 'payment_intent.succeeded', done);
  if (pi.capture_method === 'automatic_async') {
    // The balance transaction arrives shortly after, announced by charge.updated (§3 T2).
    world.schedule(world.now(), (later) => {
      const current = later.world.get<Charge>(charge.id)!;
      if (current.balance_transaction) return;
      saveCharge(later, current, { ...current, balance_transaction: chargeTransaction(later, current, current.amount_captured).id });
    });
  }
  if (manual) world.schedule(world.now() + AUTHORIZATION_SECONDS, (later) => expireAuthorization(later, pi.id));
  return done;
}

function chargeTransaction(ctx: Ctx, charge: Charge, amount: number) {
  const card = cardOf(ctx.world, charge.payment_method);
  return createBalanceTransaction(ctx, {
    amount,
    currency: charge.currency,
    fee: processingFee(amount, charge.payment_method_details.card.country),
    type: 'charge',
    reportingCategory: 'charge',
    source: charge.id,
    description: charge.description,
    family: charge.payment_intent,
    availableImmediately: card?.availableImmediately,
  });
}

/** E42: what the error reports when `error_on_requires_action` meets a card that needs authentication. */
const AUTHENTICATION_NOT_HANDLED: Decline = {
  code: 'authentication_required',
  decline_code: 'authentication_not_handled',
  message:
    "This payment required an authentication action to complete, but `error_on_requires_action` was set. When you're ready, you can upgrade your integration to handle actions at https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions.",
};

interface Failure {
  /** What the failed charge records. */
  decline: Decline;
  blocked?: boolean;
  threeDSecure?: Record<string, unknown>;
  /** What the error reports instead, without naming the charge (E42). */
  reported?: Decline;
}

/**
 * A failed payment: a failed charge, the intent back in requires_payment_method
 * with last_payment_error, charge.failed and payment_intent.payment_failed, and
 * the 402 (E15/E16; E42 for error_on_requires_action).
 */
function failPayment(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, failure: Failure): never {
  pm = markChecked(ctx, pm);
  const { decline, blocked, threeDSecure, reported } = failure;
  const charge = createCharge(ctx, { intent: pi, pm, capture: false, decline, blocked, threeDSecure });
  const chargeField: Record<string, string> = reported ? {} : { charge: charge.id };
  const failed = ctx.world.update(pi, {
    status: 'requires_payment_method',
    payment_method: null,
    latest_charge: charge.id,
    last_payment_error: lastError({ ...declineFields(reported ?? decline), ...chargeField }, pm),
    next_action: null,
  });
  emit(ctx, 'charge.failed', charge);
  emit(ctx, 'payment_intent.payment_failed', failed);
  throw cardError(reported ?? decline, { ...chargeField, payment_intent: failed, payment_method: pm });
}

// --- capture, cancel, update ----------------------------------------------

function capturePaymentIntent(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  const { world } = ctx;
  if (pi.status !== 'requires_capture') {
    throw unexpectedState(
      pi,
      pi.status === 'succeeded' && pi.capture_method === 'manual'
        ? 'This PaymentIntent could not be captured because it has already been captured.'
        : `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
    );
  }
  const amount: number = params.amount_to_capture ?? pi.amount_capturable;
  if (amount > pi.amount_capturable) {
    throw errors.paramState(
      `The amount to capture (${amount}) must be less than or equal to the amount capturable (${pi.amount_capturable}).`,
      'amount_to_capture',
      'amount_too_large',
    );
  }
  const charge = world.get<Charge>(pi.latest_charge!)!;
  const bt = chargeTransaction(ctx, charge, amount);
  saveCharge(
    ctx,
    charge,
    { ...charge, amount_captured: amount, amount_refunded: charge.amount - amount, balance_transaction: bt.id, captured: true },
    'charge.captured',
  );
  const done = world.update(pi, {
    status: 'succeeded',
    amount_capturable: 0,
    amount_received: amount,
    metadata: mergeMetadata(pi.metadata, params.metadata),
  });
  emit(ctx, 'payment_intent.succeeded', done);
  return done;
}

function cancelPaymentIntent(ctx: Ctx, pi: PaymentIntent, reason: string | null, automatic = false): PaymentIntent {
  const { world } = ctx;
  if (!CANCELABLE.includes(pi.status)) {
    throw unexpectedState(
      pi,
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
    );
  }
  if (pi.status === 'requires_capture') {
    // The uncaptured authorization is released as a refund of the whole amount (§3 T9).
    const charge = world.get<Charge>(pi.latest_charge!)!;
    refundCharge(ctx, charge, { reversal: true, stripeReason: automatic ? 'expired_uncaptured_charge' : undefined });
    if (automatic) emit(ctx, 'charge.expired', world.get(charge.id)!);
  }
  world.facts.delete(pendingAuthentication(pi.id));
  spendForced(world, pi.id, ['decline', 'declineAfterAuthentication', 'authentication']);
  const canceled = world.update(pi, {
    status: 'canceled',
    canceled_at: world.now(),
    cancellation_reason: reason,
    amount_capturable: 0,
    next_action: null,
  });
  emit(ctx, 'payment_intent.canceled', canceled);
  return canceled;
}

function expireAuthorization(ctx: Ctx, piId: string): void {
  const pi = ctx.world.get<PaymentIntent>(piId)!;
  if (pi.status === 'requires_capture') cancelPaymentIntent(ctx, pi, 'automatic', true);
}

/** Fields that may change only before the intent succeeds or is canceled (T10). */
const LOCKED_AFTER_CONFIRM = ['amount', 'currency', 'customer', 'payment_method', 'payment_method_types', 'allowed_payment_method_types', 'capture_method', 'setup_future_usage', 'payment_method_data', 'payment_method_options'];

function updatePaymentIntent(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  unsupportedParams('POST /v1/payment_intents/{intent}', params, ['application_fee_amount', 'transfer_data']);
  const { world } = ctx;
  if (!CONFIRMABLE.includes(pi.status)) {
    const locked = LOCKED_AFTER_CONFIRM.find((p) => params[p] !== undefined);
    if (locked) {
      throw unexpectedState(
        pi,
        `This PaymentIntent's ${locked} could not be updated because it has a status of ${pi.status}. You may only update the ${locked} of a PaymentIntent with one of the following statuses: ${CONFIRMABLE.join(', ')}.`,
      );
    }
  }
  const currency = params.currency ? checkCurrency(params.currency) : pi.currency;
  if (params.amount !== undefined || params.currency !== undefined) checkChargeAmount(params.amount ?? pi.amount, currency);
  if (params.customer) find(ctx, 'customer', params.customer, 'customer');
  const paymentMethod = intentPaymentMethod(ctx, params)?.id ?? pi.payment_method;
  const types = params.allowed_payment_method_types ?? params.payment_method_types ?? pi.payment_method_types;
  const next: PaymentIntent = {
    ...pi,
    allowed_payment_method_types: given(params.allowed_payment_method_types, pi.allowed_payment_method_types),
    amount: params.amount ?? pi.amount,
    capture_method: params.capture_method ?? pi.capture_method,
    currency,
    customer: given(params.customer, pi.customer),
    description: given(params.description, pi.description),
    metadata: mergeMetadata(pi.metadata, params.metadata),
    payment_method: paymentMethod,
    payment_method_options: params.payment_method_options || types !== pi.payment_method_types
      ? paymentMethodOptions(types, params.payment_method_options, pi.payment_method_options)
      : pi.payment_method_options,
    payment_method_types: types,
    receipt_email: given(params.receipt_email, pi.receipt_email),
    setup_future_usage: given(params.setup_future_usage, pi.setup_future_usage),
    shipping: params.shipping === undefined ? pi.shipping : shipping(params.shipping),
    statement_descriptor: given(params.statement_descriptor, pi.statement_descriptor),
    statement_descriptor_suffix: given(params.statement_descriptor_suffix, pi.statement_descriptor_suffix),
    transfer_group: given(params.transfer_group, pi.transfer_group),
  };
  // A new payment method needs a new confirmation; updates emit no event (§3 T10).
  if (paymentMethod !== pi.payment_method && CONFIRMABLE.includes(pi.status)) {
    next.status = 'requires_confirmation';
    next.next_action = null;
  }
  return world.replace(next);
}

// Indexes behind the list filters and search (filters recheck each object).
declareIndex('payment_intent', 'customer');
declareIndex('payment_intent', 'metadata', metadataKeys);

export const paymentIntentRoutes = [
  route('POST', '/v1/payment_intents', 'payment_intent', (ctx, params) => createPaymentIntent(ctx, params)),
  route('GET', '/v1/payment_intents/{intent}', 'payment_intent', (ctx, _p, path) => find(ctx, 'payment_intent', path.intent)),
  route('POST', '/v1/payment_intents/{intent}', 'payment_intent', (ctx, params, path) =>
    updatePaymentIntent(ctx, find<PaymentIntent>(ctx, 'payment_intent', path.intent), params),
  ),
  route('POST', '/v1/payment_intents/{intent}/confirm', 'payment_intent', (ctx, params, path) => {
    unsupportedParams('POST /v1/payment_intents/{intent}/confirm', params, ['mandate', 'mandate_data', 'confirmation_token', 'radar_options']);
    return confirmPaymentIntent(ctx, find<PaymentIntent>(ctx, 'payment_intent', path.intent), params);
  }),
  route('POST', '/v1/payment_intents/{intent}/capture', 'payment_intent', (ctx, params, path) => {
    unsupportedParams('POST /v1/payment_intents/{intent}/capture', params, ['application_fee_amount', 'transfer_data']);
    return capturePaymentIntent(ctx, find<PaymentIntent>(ctx, 'payment_intent', path.intent), params);
  }),
  route('POST', '/v1/payment_intents/{intent}/cancel', 'payment_intent', (ctx, params, path) =>
    cancelPaymentIntent(ctx, find<PaymentIntent>(ctx, 'payment_intent', path.intent), params.cancellation_reason ?? null),
  ),
  route('GET', '/v1/payment_intents/search', { list: 'payment_intent' }, (ctx, params) =>
    search(ctx.world, 'payment_intent', '/v1/payment_intents/search', params, {
      amount: { read: (pi) => pi.amount, number: true },
      created: { read: (pi) => pi.created, number: true },
      currency: { read: (pi) => pi.currency },
      customer: { read: (pi) => pi.customer },
      metadata: { read: (pi) => pi.metadata },
      status: { read: (pi) => pi.status },
    }),
  ),
  route('GET', '/v1/payment_intents', { list: 'payment_intent' }, (ctx, params) =>
    paginate<PaymentIntent>(ctx.world, 'payment_intent', '/v1/payment_intents', params, (pi) => params.customer == null || pi.customer === params.customer, {
      customer: params.customer,
    }),
  ),
  // Capturing a PaymentIntent's charge through the Charges API captures the intent (§5).
  route('POST', '/v1/charges/{charge}/capture', 'charge', (ctx, params, path) => {
    const charge = find<Charge>(ctx, 'charge', path.charge);
    if (charge.captured) throw errors.state(`Charge ${charge.id} has already been captured.`, 'charge_already_captured');
    const pi = find<PaymentIntent>(ctx, 'payment_intent', charge.payment_intent!);
    capturePaymentIntent(ctx, pi, { amount_to_capture: params.amount, metadata: params.metadata });
    return ctx.world.get(charge.id)!;
  }),
];
