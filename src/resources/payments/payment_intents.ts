import { applicationId } from '../../engine/accounts';
import { errors } from '../../engine/errors';
import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { emit } from '../../engine/events';
import { checkChargeAmount, checkCurrency, processingFee } from '../../engine/money';
import { Params } from '../../engine/params';
import { pinned } from '../../engine/exogenous';
import { CARD_DECLINES, DECLINES, Decline } from '../../engine/test_values';
import { Ctx } from '../../engine/world';
import { createBalanceTransaction } from '../core/balance';
import { Charge, createCharge, saveCharge } from './charges';
import { given, shipping, sortKeys } from '../common';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared, unsupportedParams } from '../../engine/resource';
import { beginConfirmation, ConfirmationStep, demandsAuthentication, failAttempt, finishAuthentication, IntentKind, newIntentFields, rememberReturnUrl, requireAuthentication } from './confirmation';
import { checkCryptoConfirmation, confirmCryptoPayment } from './crypto_deposits';
import { checkDebitCurrency, confirmBankDebit, isBankDebit } from './bank_debits';
import { confirmCustomerBalance } from './cash_balance';
import { checkGrantedToken, grantedTokenParam, paymentMethodFromToken, recordTokenUse } from './shared_payment_tokens';
import { paymentIntentMachine } from './intent_machines';
import {
  attachPaymentMethod,
  behaviourOf,
  cardOf,
  forcedBehaviour,
  markChecked,
  markConsumed,
  PaymentMethod,
  intentPaymentMethod,
  isLegacyCard,
  spendForced,
} from './payment_methods';
import { refundCharge } from './refunds';
import { authenticatedDetails, markAuthenticated, pendingAuthentication, setUpOffSession } from './three_d_secure';

// PaymentIntents (docs/stripe-facts.md §3): the state machine of §3.2
// (intent_machines.ts) with capture methods automatic, automatic_async and
// manual; 3D Secure with a control-surface helper to finish authentication;
// declines that return to requires_payment_method with a 402 carrying the
// charge, PaymentMethod and PaymentIntent (confirmation.ts, shared with
// SetupIntents); capture, cancel, update and authorization expiry.

export type PaymentIntent = Shaped<'payment_intent', 'shared_payment_granted_token'>;

const S = paymentIntentMachine.state;

/** How confirmation (confirmation.ts) sees PaymentIntents. */
const PAYMENT: IntentKind = {
  object: 'payment_intent',
  name: 'PaymentIntent',
  machine: paymentIntentMachine,
  errorField: 'last_payment_error',
  authenticationFailure: {
    code: 'payment_intent_authentication_failure',
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
  },
};

/** Seven days to capture a card authorization (docs/stripe-facts.md §3.3 T4). */
const AUTHORIZATION_SECONDS = 7 * 86400;

/** Per-type payment_method_options Stripe fills in (docs/stripe-facts.md §3.1; us_bank_account and acss_debit as recorded at 2026-03-25.dahlia). */
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

// --- create ---------------------------------------------------------------

export function createPaymentIntent(ctx: Ctx, params: Params): PaymentIntent {
  paymentIntents.unsupported('create', params);
  const currency = checkCurrency(params.currency);
  // Crypto-only intents take amounts from one cent (x402 prices, mppx's records; twin choice, unverified).
  const types: string[] | undefined = params.allowed_payment_method_types ?? params.payment_method_types;
  checkChargeAmount(params.amount, currency, types?.length && types.every((t) => t === 'crypto') ? 1 : undefined);
  checkDebitCurrency(types, currency);
  const token = redeemToken(ctx, params, params.amount, currency);
  if (token) params = token.params;
  checkConnectParams(ctx, params);
  const intent = newIntentFields(ctx, PAYMENT, params, () => paymentIntents.newId(ctx));
  const pi = paymentIntents.insert(ctx, params, {
    ...intent,
    // A destination charge's intent is grouped with its transfer (recorded: `group_<intent id>`).
    ...(params.transfer_data && params.transfer_group == null ? { transfer_group: `group_${intent.id}` } : {}),
    // Made with Stripe-Account: the platform's Connect application (recorded `ca_…`).
    application: ctx.world.platform ? applicationId(ctx.world.platform) : null,
    confirmation_method: params.confirmation_method ?? 'automatic',
    currency,
    payment_method_options: paymentMethodOptions(intent.payment_method_types, params.payment_method_options),
    shared_payment_granted_token: token?.id ?? null,
  });
  rememberReturnUrl(ctx, pi, params.return_url);
  if (params.confirm) return confirmPaymentIntent(ctx, pi, { ...params, payment_method: undefined, payment_method_data: undefined });
  return pi;
}

/**
 * A Shared Payment Token sent with a PaymentIntent request (top level, as mppx
 * does, or in payment_method_data; docs/agents.md §2.9), checked against the
 * payment, becomes the clone of the shared PaymentMethod the intent pays with.
 */
function redeemToken(ctx: Ctx, params: Params, amount: number, currency: string): { id: string; params: Params } | null {
  const ref = grantedTokenParam(params);
  if (!ref) return null;
  if (params.payment_method) throw errors.onlyOneOf(['payment_method', ref.param], ref.param);
  const token = checkGrantedToken(ctx, ref, amount, currency);
  const pm = paymentMethodFromToken(ctx, token);
  return { id: token.id, params: { ...params, payment_method: pm.id, payment_method_data: undefined, shared_payment_granted_token: undefined } };
}

/**
 * Connect parameters name accounts of the caller's platform (docs/connect.md §3):
 * a destination or on_behalf_of account it does not have is Stripe's "No such
 * destination"; an application fee needs a destination or a Stripe-Account request.
 */
function checkConnectParams(ctx: Ctx, params: Params): void {
  const { world } = ctx;
  const destination = params.transfer_data?.destination;
  if (params.transfer_data && !world.connected.has(destination)) throw errors.paramState(`No such destination: '${destination}'`, 'transfer_data[destination]');
  if (params.on_behalf_of != null && !world.connected.has(params.on_behalf_of)) throw errors.paramState(`No such account: '${params.on_behalf_of}'`, 'on_behalf_of'); // twin's wording (unverified)
  if (params.transfer_data?.amount != null && params.transfer_data.amount > params.amount) {
    throw errors.paramState('The transfer amount cannot be greater than the amount of the PaymentIntent.', 'transfer_data[amount]'); // twin's wording (unverified)
  }
  if (params.application_fee_amount != null && !params.transfer_data && !world.platform) {
    throw errors.paramState(
      'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
      'application_fee_amount',
    );
  }
}

// --- confirm --------------------------------------------------------------

export function confirmPaymentIntent(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  const token = redeemToken(ctx, params, pi.amount, pi.currency);
  if (token) params = token.params;
  const offSession = params.off_session === true || params.off_session === 'one_off' || params.off_session === 'recurring';
  const { pm, returnUrl } = beginConfirmation(ctx, PAYMENT, pi, params, offSession);
  const types = params.allowed_payment_method_types ?? params.payment_method_types ?? pi.payment_method_types;
  const options = params.payment_method_options || types !== pi.payment_method_types
    ? paymentMethodOptions(types, params.payment_method_options, pi.payment_method_options)
    : pi.payment_method_options;
  if (pm.type === 'crypto') checkCryptoConfirmation(pi, types, options);
  pi = paymentIntentMachine.transition(ctx, pi, 'confirm', S.requires_confirmation, {
    allowed_payment_method_types: given(params.allowed_payment_method_types, pi.allowed_payment_method_types),
    capture_method: params.capture_method ?? pi.capture_method,
    payment_method: pm.id,
    payment_method_options: options,
    payment_method_types: types,
    receipt_email: given(params.receipt_email, pi.receipt_email),
    // The customer's default source, when it stood in for a missing payment method (confirmation.ts).
    source: isLegacyCard(pm.id) && pm.id !== pi.payment_method && !params.payment_method ? pm.id : pi.source,
    setup_future_usage: given(params.setup_future_usage, pi.setup_future_usage),
    shipping: params.shipping === undefined ? pi.shipping : shipping(params.shipping),
    shared_payment_granted_token: token?.id ?? pi.shared_payment_granted_token,
    next_action: null,
  });

  // Crypto: deposit mode waits for funds at the addresses shown; transaction_verification records a payment made (crypto_deposits.ts).
  if (pm.type === 'crypto') return confirmCryptoPayment(ctx, pi);
  // Bank debits: processing, then settled or failed on the clock (bank_debits.ts).
  if (isBankDebit(pm)) return confirmBankDebit(ctx, pi, pm, params);
  // Bank transfers: wait for funds in the customer's cash balance (cash_balance.ts).
  if (pm.type === 'customer_balance') return confirmCustomerBalance(ctx, pi, pm);
  if (demandsAuthentication(ctx, pi, pm, offSession)) {
    if (offSession) return failPayment(ctx, pi, pm, 'confirm', { decline: DECLINES.authentication_required });
    if (params.error_on_requires_action) {
      return failPayment(ctx, pi, pm, 'confirm', { decline: DECLINES.authentication_required, reported: AUTHENTICATION_NOT_HANDLED });
    }
    return requireAuthentication(ctx, PAYMENT, pi, pm, paymentAttemptId(ctx, pi), returnUrl);
  }
  return chargeIntent(ctx, pi, pm, 'confirm', { offSession });
}

/** A payment attempt id (`payatt_…`, PaymentIntent family), as in 3DS next actions. */
const paymentAttemptId = (ctx: Ctx, pi: PaymentIntent) => ctx.world.ids.next('payatt', pi.id);

/**
 * Finishes a pending 3D Secure authentication (the customer's part, done in a
 * browser on Stripe). Success continues the payment as a confirmation would;
 * failure returns the intent to requires_payment_method (docs/stripe-facts.md §3.3 T7).
 */
export function completeAuthentication(ctx: Ctx, pi: PaymentIntent, succeed: boolean): PaymentIntent {
  return finishAuthentication(ctx, PAYMENT, pi, succeed, (pi, pm) => {
    markAuthenticated(ctx.world, pi.id, pm.id);
    if (pi.confirmation_method === 'manual') return paymentIntentMachine.transition(ctx, pi, 'authenticate', S.requires_confirmation, { next_action: null });
    const threeDSecure = authenticatedDetails(ctx);
    return chargeIntent(ctx, ctx.world.update(pi, { next_action: null }), pm, 'authenticate', {
      offSession: false,
      threeDSecure,
      authenticated: true,
    });
  });
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
 * names the issuer's reason unless a trigger forced one. `pi` is the intent, or
 * for a Charges API charge its card (legacy_charges.ts), so both take this path.
 */
export function issuerDecline(ctx: Ctx, pi: { id: string; customer: string | null }, pm: PaymentMethod, authenticated: boolean): Decline | undefined {
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

/** The charge attempt of a confirmation (or of a passed challenge): success per capture method, or a decline (docs/stripe-facts.md §3.3 T2–T6). */
function chargeIntent(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, step: ConfirmationStep, opts: ChargeOptions): PaymentIntent {
  const { world } = ctx;
  // A token may have been revoked or expired since the intent took it.
  const token: string | null = pm.shared_payment_granted_token ?? null;
  if (token) checkGrantedToken(ctx, { id: token, param: 'payment_method' }, pi.amount, pi.currency);
  const card = cardOf(world, pm.id);
  const decline = issuerDecline(ctx, pi, pm, Boolean(opts.authenticated));
  const blocked = !decline && Boolean(card?.risk?.blocked);
  if (decline || blocked) return failPayment(ctx, pi, pm, step, { decline: decline ?? DECLINES.blocked, blocked, threeDSecure: opts.threeDSecure });

  // Saving the card for later: attach before the charge events (docs/stripe-facts.md §3.3 T2 order).
  if (pi.setup_future_usage && pi.customer && !pm.customer) pm = attachPaymentMethod(ctx, pm, pi.customer);
  if (pi.setup_future_usage === 'off_session' && opts.authenticated) world.facts.set(setUpOffSession(pm.id), true);
  pm = markChecked(ctx, pm);
  markConsumed(ctx, pm);
  const manual = pi.capture_method === 'manual';
  let charge = createCharge(ctx, { intent: pi, pm, capture: !manual, threeDSecure: opts.threeDSecure });
  if (pi.capture_method === 'automatic') charge = world.replace({ ...charge, balance_transaction: chargeTransaction(ctx, charge, charge.amount).id });
  const done = paymentIntentMachine.transition(
    ctx,
    pi,
    step,
    manual ? S.requires_capture : S.succeeded,
    {
      amount_capturable: manual ? pi.amount : 0,
      amount_received: manual ? 0 : pi.amount,
      latest_charge: charge.id,
      last_payment_error: null,
      next_action: null,
    },
    [['charge.succeeded', charge]],
  );
  if (pi.capture_method === 'automatic_async') {
    // The balance transaction arrives shortly after, announced by charge.updated (docs/stripe-facts.md §3.3 T2).
    scheduleIn(ctx, nowIn(ctx), SETTLE_ASYNC, { charge: charge.id });
  }
  if (manual) scheduleIn(ctx, nowIn(ctx) + AUTHORIZATION_SECONDS, EXPIRE_AUTHORIZATION, { id: pi.id });
  // Last: this also updates the buyer's account, which this request's rollback would not undo.
  if (token) recordTokenUse(ctx, token, pi.amount, pi.currency);
  return done;
}

/** The balance transaction of a captured amount (pending first, unless the card skips it, docs/stripe-facts.md §7). */
export function chargeTransaction(ctx: Ctx, charge: Charge, amount: number) {
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
 * A failed payment: a failed charge, then the intent's failure (confirmation.ts)
 * with charge.failed before payment_intent.payment_failed, and the 402 naming the
 * charge (E15/E16; E42 for error_on_requires_action names none).
 */
function failPayment(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, step: ConfirmationStep, failure: Failure): never {
  pm = markChecked(ctx, pm);
  const { decline, blocked, threeDSecure, reported } = failure;
  const charge = createCharge(ctx, { intent: pi, pm, capture: false, decline, blocked, threeDSecure });
  return failAttempt(ctx, PAYMENT, pi, pm, step, {
    decline: reported ?? decline,
    naming: reported ? {} : { charge: charge.id },
    changes: { latest_charge: charge.id },
    preceding: [['charge.failed', charge]],
  });
}

// --- capture, cancel, update ----------------------------------------------

export function capturePaymentIntent(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  const { world } = ctx;
  paymentIntentMachine.check(pi, 'capture');
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
  return paymentIntentMachine.transition(ctx, pi, 'capture', S.succeeded, {
    amount_capturable: 0,
    amount_received: amount,
    metadata: mergeMetadata(pi.metadata, params.metadata),
  });
}

export function cancelPaymentIntent(ctx: Ctx, pi: PaymentIntent, reason: string | null, automatic = false): PaymentIntent {
  const { world } = ctx;
  paymentIntentMachine.check(pi, 'cancel');
  if (pi.status === S.requires_capture) {
    // The uncaptured authorization is released as a refund of the whole amount (docs/stripe-facts.md §3.3 T9).
    const charge = world.get<Charge>(pi.latest_charge!)!;
    refundCharge(ctx, charge, { reversal: true, stripeReason: automatic ? 'expired_uncaptured_charge' : undefined });
    if (automatic) emit(ctx, 'charge.expired', world.get(charge.id)!);
  }
  world.facts.delete(pendingAuthentication(pi.id));
  spendForced(world, pi.id, ['decline', 'declineAfterAuthentication', 'authentication']);
  return paymentIntentMachine.transition(ctx, pi, 'cancel', S.canceled, {
    canceled_at: nowIn(ctx),
    cancellation_reason: reason,
    amount_capturable: 0,
    next_action: null,
  });
}

/**
 * A new amount for an intent not yet paid (an invoice's PaymentIntent follows
 * what is still due when a credit note lowers it); no event, as for updates.
 * An intent past the statuses that allow updates keeps its amount.
 */
export function setIntentAmount(ctx: Ctx, pi: PaymentIntent, amount: number): PaymentIntent {
  if (!paymentIntentMachine.allows(pi, 'update')) return pi;
  return paymentIntents.save(ctx, pi, { ...pi, amount });
}

const SETTLE_ASYNC = declareTask<{ charge: string }>('payment_intent.async_balance_transaction', (later, { charge }) => {
  const current = later.world.get<Charge>(charge)!;
  if (current.balance_transaction) return;
  saveCharge(later, current, { ...current, balance_transaction: chargeTransaction(later, current, current.amount_captured).id });
});
const EXPIRE_AUTHORIZATION = declareTask<{ id: string }>('payment_intent.expire_authorization', (later, { id }) => expireAuthorization(later, id));

function expireAuthorization(ctx: Ctx, piId: string): void {
  const pi = ctx.world.get<PaymentIntent>(piId)!;
  if (pi.status === S.requires_capture) cancelPaymentIntent(ctx, pi, 'automatic', true);
}

/** Fields that may change only before the intent succeeds or is canceled (T10). */
const LOCKED_AFTER_CONFIRM = ['amount', 'currency', 'customer', 'payment_method', 'payment_method_types', 'allowed_payment_method_types', 'capture_method', 'setup_future_usage', 'payment_method_data', 'payment_method_options'];

function updatePaymentIntent(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  paymentIntents.unsupported('update', params);
  const locked = LOCKED_AFTER_CONFIRM.find((p) => params[p] !== undefined);
  if (locked) paymentIntentMachine.check(pi, 'update', locked);
  const currency = params.currency ? checkCurrency(params.currency) : pi.currency;
  if (params.amount !== undefined || params.currency !== undefined) checkChargeAmount(params.amount ?? pi.amount, currency);
  if (params.customer) find(ctx, 'customer', params.customer, 'customer');
  const token = redeemToken(ctx, params, params.amount ?? pi.amount, currency);
  if (token) params = token.params;
  const paymentMethod = intentPaymentMethod(ctx, params, params.customer ?? pi.customer)?.id ?? pi.payment_method;
  const types = params.allowed_payment_method_types ?? params.payment_method_types ?? pi.payment_method_types;
  const next: PaymentIntent = {
    ...paymentIntents.apply(ctx, pi, params),
    allowed_payment_method_types: given(params.allowed_payment_method_types, pi.allowed_payment_method_types),
    currency,
    payment_method: paymentMethod,
    payment_method_options: params.payment_method_options || types !== pi.payment_method_types
      ? paymentMethodOptions(types, params.payment_method_options, pi.payment_method_options)
      : pi.payment_method_options,
    payment_method_types: types,
    shared_payment_granted_token: token?.id ?? pi.shared_payment_granted_token,
  };
  // A new payment method needs a new confirmation; updates emit no event (docs/stripe-facts.md §3.3 T10).
  if (paymentMethod !== pi.payment_method && paymentIntentMachine.allows(pi, 'update')) {
    return paymentIntentMachine.transition(ctx, pi, 'update', S.requires_confirmation, { ...next, next_action: null });
  }
  return paymentIntents.save(ctx, pi, next);
}

const orCurrent = (value: unknown, current: unknown) => value ?? current;

export const paymentIntents = defineResource<'payment_intent', PaymentIntent, 'shared_payment_granted_token'>({
  object: 'payment_intent',
  prefix: 'pi',
  path: '/v1/payment_intents',
  create: (ctx, params) => createPaymentIntent(ctx, params),
  omit: ['hooks', 'payment_details', 'presentment_details'],
  extra: ['shared_payment_granted_token'],
  defaults: {
    amount_capturable: 0,
    amount_details: AMOUNT_DETAILS,
    amount_received: 0,
    capture_method: 'automatic_async',
    managed_payments: MANAGED_PAYMENTS,
    metadata: EMPTY,
  },
  // Parameters create and update treat alike; the rest is in their handlers.
  writable: {
    amount: orCurrent,
    capture_method: orCurrent,
    customer: true,
    description: true,
    metadata: (value, current) => mergeMetadata(current, value),
    receipt_email: true,
    setup_future_usage: true,
    shipping: (value) => shipping(value),
    statement_descriptor: true,
    statement_descriptor_suffix: true,
    transfer_group: true,
    // Connect (docs/connect.md §3): the charge carries them; src/resources/connect moves the money when it succeeds.
    application_fee_amount: true,
    on_behalf_of: true,
    transfer_data: (value) => (value ? { ...(value.amount != null ? { amount: value.amount } : {}), destination: value.destination } : null),
  },
  unsupported: {
    create: ['mandate', 'confirmation_token', 'radar_options'],
  },
  events: { created: 'payment_intent.created' },
  filters: ['customer'],
  indexes: ['customer', 'metadata'],
  search: { amount: 'number', created: 'number', currency: 'text', customer: 'text', metadata: 'metadata', status: 'text' },
  routes: { update: false },
}).with(
  route('POST', '/v1/payment_intents/{intent}', 'payment_intent', (ctx, params, path) => updatePaymentIntent(ctx, paymentIntents.find(ctx, path.intent), params)),
  route('POST', '/v1/payment_intents/{intent}/confirm', 'payment_intent', (ctx, params, path) => {
    unsupportedParams('POST /v1/payment_intents/{intent}/confirm', params, ['mandate', 'confirmation_token', 'radar_options']);
    return confirmPaymentIntent(ctx, paymentIntents.find(ctx, path.intent), params);
  }),
  route('POST', '/v1/payment_intents/{intent}/capture', 'payment_intent', (ctx, params, path) => {
    unsupportedParams('POST /v1/payment_intents/{intent}/capture', params, ['application_fee_amount', 'transfer_data']);
    return capturePaymentIntent(ctx, paymentIntents.find(ctx, path.intent), params);
  }),
  route('POST', '/v1/payment_intents/{intent}/cancel', 'payment_intent', (ctx, params, path) =>
    cancelPaymentIntent(ctx, paymentIntents.find(ctx, path.intent), params.cancellation_reason ?? null),
  ),
);
