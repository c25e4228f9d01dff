import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { Params } from '../../engine/params';
import { DebitFailure, MICRODEPOSITS, TestBankAccount } from '../../engine/test_values';
import { Ctx, StripeObject } from '../../engine/world';
import { defineResource, route, Shaped } from '../../engine/resource';
import { Charge, createPendingCharge, settlePendingCharge } from './charges';
import { createDispute } from './disputes';
import { paymentIntentMachine, setupIntentMachine } from './intent_machines';
import { attachPaymentMethod, bankAccountOf, lastError, markConsumed, microdepositState, PaymentMethod, setMicrodepositState } from './payment_methods';

// Bank debits (docs/bank-payments.md):
// us_bank_account (ACH) and sepa_debit. Confirming a PaymentIntent makes a
// mandate and a pending charge and leaves the intent `processing`
// (charge.pending, payment_intent.processing); the world clock then settles it
// as the test account says — succeeded (with its balance transaction; a
// disputing account is then disputed), failed (the intent back in
// requires_payment_method with last_payment_error: the async failure with no
// synchronous error), or never (the "stays processing" account). An ACH account
// typed in by hand is first verified by microdeposits (requires_action with
// next_action.verify_with_microdeposits, then POST …/verify_microdeposits on
// the PaymentIntent or SetupIntent).

export type Mandate = Shaped<'mandate'>;

export const isBankDebit = (pm: PaymentMethod) => pm.type === 'us_bank_account' || pm.type === 'sepa_debit';

/**
 * Twin choice: Stripe's test debits settle "instantly" (ACH) or without a stated
 * delay (SEPA), the delayed SEPA variants "after at least three minutes"; here a
 * few seconds of world time, and three minutes.
 */
export const SETTLE_SECONDS = 5;
export const DELAYED_SETTLE_SECONDS = 180;
/** Twin choice: microdeposits "arrive" two days after the confirmation (Stripe: 1–2 business days). */
const MICRODEPOSIT_ARRIVAL_SECONDS = 2 * 86400;

/** The currencies each method debits (Stripe's guides: ACH usd, SEPA eur). */
const CURRENCIES: Record<string, string[]> = { us_bank_account: ['usd'], sepa_debit: ['eur'] };

/**
 * An intent that names a bank debit among its payment method types must be in a
 * currency the debit supports: Stripe's refusal, as stripe-ios's tests record it for
 * bancontact ("The currency provided (usd) is invalid. Payments with … support the
 * following currencies: eur.").
 */
export function checkDebitCurrency(types: readonly string[] | undefined, currency: string): void {
  for (const type of types ?? []) {
    const allowed = CURRENCIES[type];
    if (allowed && !allowed.includes(currency)) {
      throw errors.state(`The currency provided (${currency}) is invalid. Payments with ${type} support the following currencies: ${allowed.join(', ')}.`);
    }
  }
}

const accountOf = (ctx: Ctx, pm: PaymentMethod): TestBankAccount =>
  bankAccountOf(ctx.world, pm.id) ?? { type: pm.type as TestBankAccount['type'], number: '', outcome: 'succeeded' };

// --- mandates ---------------------------------------------------------------

/** The customer's acceptance: `mandate_data[customer_acceptance]` as sent, else an online acceptance now (twin choice). */
function acceptance(ctx: Ctx, params: Params): Record<string, unknown> {
  const given: Params = params.mandate_data?.customer_acceptance ?? {};
  const type = given.type ?? 'online';
  return {
    accepted_at: given.accepted_at !== undefined ? Number(given.accepted_at) : nowIn(ctx),
    ...(type === 'offline' ? { offline: {} } : { online: { ip_address: given.online?.ip_address ?? null, user_agent: given.online?.user_agent ?? null } }),
    type,
  };
}

/** A multi-use mandate for debiting `pm` (SEPA's with its reference and the mandate's page). */
export function createMandate(ctx: Ctx, pm: PaymentMethod, params: Params): Mandate {
  const id = mandates.newId(ctx);
  const details =
    pm.type === 'sepa_debit'
      ? { sepa_debit: { reference: ctx.world.ids.chars(16, 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'), url: `https://payments.stripe.com/payment_methods/test_${ctx.world.ids.chars(24)}/sepa_debit/mandate` }, type: 'sepa_debit' }
      : { type: pm.type, [pm.type]: {} };
  return mandates.insert(ctx, {}, {
    id,
    customer_acceptance: acceptance(ctx, params),
    multi_use: {},
    payment_method: pm.id,
    payment_method_details: details,
    status: 'active',
    type: 'multi_use',
  });
}

export const mandates = defineResource<'mandate', Mandate>({
  object: 'mandate',
  prefix: 'mandate',
  path: '/v1/mandates',
  optional: ['multi_use'],
  routes: { list: false },
});

// --- PaymentIntents ---------------------------------------------------------

const MICRODEPOSIT_FAILED: DebitFailure = {
  code: 'payment_method_microdeposit_failed',
  message: "Microdeposits were failed to be deposited into the customer's bank account. Please check the account, institution and transit numbers as well as the currency type.",
};

/** What a debit's charge shows of its bank account and mandate; the debit is expected on the day it settles (twin choice). */
function chargeDetails(pm: PaymentMethod, mandate: string, settlesAt: number): Record<string, unknown> {
  const expected_debit_date = new Date(settlesAt * 1000).toISOString().slice(0, 10);
  if (pm.type === 'sepa_debit') {
    const { bank_code, branch_code, country, fingerprint, last4 } = pm.sepa_debit;
    return { sepa_debit: { bank_code, branch_code, country, expected_debit_date, fingerprint, last4, mandate, transaction_id: null }, type: 'sepa_debit' };
  }
  const { account_holder_type, account_type, bank_name, fingerprint, last4, routing_number } = pm.us_bank_account;
  return { type: 'us_bank_account', us_bank_account: { account_holder_type, account_type, bank_name, expected_debit_date, fingerprint, last4, mandate, payment_reference: null, routing_number } };
}

const PENDING_OUTCOME = {
  advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network',
  reason: null, risk_level: 'not_assessed', seller_message: 'Payment complete.', type: 'authorized',
};

/**
 * Confirming a PaymentIntent with a bank account (after confirmation.ts's
 * checks): microdeposits first for an unverified ACH account, else the debit.
 */
export function confirmBankDebit<T extends StripeObject>(ctx: Ctx, pi: T, pm: PaymentMethod, params: Params): T {
  const mandate = createMandate(ctx, pm, params);
  ctx.world.facts.set(mandateFact(pi.id), mandate.id);
  if (microdepositState(ctx.world, pm.id) === 'pending') return awaitMicrodeposits(ctx, pi, pm, 'payment');
  return startDebit(ctx, pi, pm, 'confirm');
}

const mandateFact = (intentId: string) => `mandate:${intentId}`;

/** The pending charge and `processing`; settlement is scheduled on the clock as the account says. */
function startDebit<T extends StripeObject>(ctx: Ctx, pi: T, pm: PaymentMethod, step: 'confirm' | 'verify'): T {
  const { world } = ctx;
  const account = accountOf(ctx, pm);
  const settlesAt = nowIn(ctx) + (account.delayed ? DELAYED_SETTLE_SECONDS : SETTLE_SECONDS);
  if (pi.setup_future_usage && pi.customer && !pm.customer) pm = attachPaymentMethod(ctx, pm, pi.customer);
  markConsumed(ctx, pm);
  const charge = createPendingCharge(ctx, pi, pm, {
    outcome: { ...PENDING_OUTCOME, risk_level: account.blocked ? 'highest' : 'normal', risk_score: account.blocked ? 99 : 0 },
    payment_method_details: chargeDetails(pm, world.facts.get(mandateFact(pi.id)) as string, settlesAt),
  });
  const processing = paymentIntentMachine.transition(ctx, pi, step, paymentIntentMachine.state.processing, { latest_charge: charge.id, next_action: null, last_payment_error: null, payment_method: pm.id }, [['charge.pending', charge]]);
  if (account.outcome !== 'processing') scheduleIn(ctx, settlesAt, SETTLE_DEBIT, { pi: pi.id, charge: charge.id });
  return processing;
}

/** The debit's end, on the clock: success (a disputing account then disputes it) or the async failure. */
const SETTLE_DEBIT = declareTask<{ pi: string; charge: string }>('bank_debit.settle', (later, { pi, charge }) => settleDebit(later, pi, charge));

function settleDebit(ctx: Ctx, piId: string, chargeId: string): void {
  const { world } = ctx;
  const pi = world.get<StripeObject>(piId)!;
  let charge = world.get<Charge>(chargeId)!;
  // Canceled (or otherwise moved on) while processing: nothing settles.
  if (pi.status !== 'processing' || pi.latest_charge !== chargeId) return;
  const pm = world.get<PaymentMethod>(charge.payment_method!)!;
  const account = accountOf(ctx, pm);
  if (account.outcome === 'failed') {
    const failure = account.failure!;
    charge = world.replace({
      ...charge,
      failure_code: failure.code,
      failure_message: failure.message,
      outcome: account.blocked
        ? { ...charge.outcome, network_status: 'not_sent_to_network', reason: 'highest_risk_level', seller_message: 'Stripe blocked this payment as too risky.', type: 'blocked' }
        : { ...charge.outcome, network_status: 'declined_by_network', reason: failure.code, seller_message: 'The bank returned the payment.', type: 'issuer_declined' },
      status: 'failed',
    });
    paymentIntentMachine.transition(
      ctx,
      pi,
      'settle',
      paymentIntentMachine.state.requires_payment_method,
      { payment_method: null, last_payment_error: lastError(failure as unknown as Record<string, string>, pm, 'invalid_request_error') },
      [['charge.failed', charge]],
    );
    return;
  }
  charge = settlePendingCharge(ctx, charge, debitFee(pm, charge.amount), pi.id);
  paymentIntentMachine.transition(ctx, pi, 'settle', paymentIntentMachine.state.succeeded, { amount_received: pi.amount, last_payment_error: null }, [['charge.succeeded', charge]]);
  // Twin choice: a bank debit dispute gives the reason a bank return of an unauthorized debit has.
  if (account.outcome === 'disputed') createDispute(ctx, charge.id, { reason: 'debit_not_authorized', status: 'needs_response' });
}

/** Stripe's published prices: ACH 0.8% capped at $5, SEPA €0.35 (test mode reports the live schedule; twin choice). */
function debitFee(pm: PaymentMethod, amount: number): number {
  return pm.type === 'sepa_debit' ? 35 : Math.min(500, Math.round(amount * 0.008));
}

// --- microdeposits ----------------------------------------------------------

/** requires_action with the microdeposits' next action; an account they cannot reach fails on the clock. */
function awaitMicrodeposits<T extends StripeObject>(ctx: Ctx, intent: T, pm: PaymentMethod, kind: 'payment' | 'setup'): T {
  const machine = kind === 'payment' ? paymentIntentMachine : setupIntentMachine;
  const arrival = nowIn(ctx) + MICRODEPOSIT_ARRIVAL_SECONDS;
  const waiting = machine.transition(ctx, intent as any, 'confirm', machine.state.requires_action, {
    payment_method: pm.id,
    next_action: {
      type: 'verify_with_microdeposits',
      verify_with_microdeposits: {
        arrival_date: arrival,
        hosted_verification_url: `https://payments.stripe.com/microdeposit/${kind === 'payment' ? 'pacs' : 'sacs'}_test_${ctx.world.ids.chars(40)}`,
        microdeposit_type: 'descriptor_code',
      },
    },
  }) as unknown as T;
  if (accountOf(ctx, pm).microdepositsFail) {
    scheduleIn(ctx, nowIn(ctx) + SETTLE_SECONDS, FAIL_MICRODEPOSITS, { intent: intent.id, pm });
  }
  return waiting;
}

const FAIL_MICRODEPOSITS = declareTask<{ intent: string; pm: PaymentMethod }>('bank_debit.microdeposits_fail', (later, { intent, pm }) => {
  const current = later.world.get<StripeObject>(intent)!;
  if (current.status !== 'requires_action' || current.next_action?.type !== 'verify_with_microdeposits') return;
  failVerification(later, current, pm, MICRODEPOSIT_FAILED);
});

/** The intent back in requires_payment_method, its error recorded (payment_failed / setup_failed). */
function failVerification(ctx: Ctx, intent: StripeObject, pm: PaymentMethod, failure: DebitFailure): StripeObject {
  const payment = intent.object === 'payment_intent';
  const machine = payment ? paymentIntentMachine : setupIntentMachine;
  return machine.transition(ctx, intent as any, 'verify', machine.state.requires_payment_method, {
    next_action: null,
    payment_method: null,
    [payment ? 'last_payment_error' : 'last_setup_error']: lastError(failure as unknown as Record<string, string>, pm, 'invalid_request_error'),
  });
}

const verificationError = (code: string, message: string, intent: StripeObject) =>
  errors.state(message, code, { [intent.object]: intent });

/**
 * POST …/verify_microdeposits: the amounts or descriptor code of docs/bank-payments.md.
 * The verifying values continue the intent; "attempts exceeded" and "timeout" fail it
 * (the error carries the intent as it ended); anything else is a mismatch that
 * leaves it waiting (twin choice: no attempt count).
 */
function verifyMicrodeposits(ctx: Ctx, intent: StripeObject, params: Params): StripeObject {
  const payment = intent.object === 'payment_intent';
  const machine = payment ? paymentIntentMachine : setupIntentMachine;
  if (intent.status !== 'requires_action' || intent.next_action?.type !== 'verify_with_microdeposits') throw machine.error(intent as any, 'verify');
  const amounts: number[] | undefined = params.amounts?.map(Number);
  const code: string | undefined = params.descriptor_code;
  if (amounts && code) throw errors.onlyOneOf(['amounts', 'descriptor_code'], 'amounts');
  if (!amounts && !code) throw errors.parameterMissing('amounts');
  if (amounts && amounts.length !== 2) {
    throw verificationError('payment_method_microdeposit_verification_amounts_invalid', 'You must provide exactly two microdeposit amounts.', intent);
  }
  const is = (values: { amounts: readonly number[]; descriptorCode: string }) =>
    amounts ? amounts[0] === values.amounts[0] && amounts[1] === values.amounts[1] : code === values.descriptorCode;
  const pm = ctx.world.get<PaymentMethod>(intent.payment_method)!;
  if (is(MICRODEPOSITS.attemptsExceeded) || is(MICRODEPOSITS.timeout)) {
    const failure = is(MICRODEPOSITS.timeout)
      ? { code: 'payment_method_microdeposit_verification_timeout', message: 'Payment method should be verified with microdeposits within the required period.' }
      : { code: 'payment_method_microdeposit_verification_attempts_exceeded', message: 'You have exceeded the number of allowed verification attempts.' };
    const failed = failVerification(ctx, intent, pm, failure);
    throw verificationError(failure.code, failure.message, failed);
  }
  if (!is(MICRODEPOSITS.verify)) {
    throw amounts
      ? verificationError('payment_method_microdeposit_verification_amounts_mismatch', 'The amounts provided do not match the amounts that were sent to the bank account.', intent)
      : verificationError('payment_method_microdeposit_verification_descriptor_code_mismatch', 'The verification code provided does not match the one sent to the bank account.', intent);
  }
  setMicrodepositState(ctx.world, pm.id, 'verified');
  if (payment) return startDebit(ctx, intent, pm, 'verify');
  let attached = pm;
  if (intent.customer && !pm.customer) attached = attachPaymentMethod(ctx, pm, intent.customer);
  return setupIntentMachine.transition(ctx, intent as any, 'verify', setupIntentMachine.state.succeeded, {
    next_action: null,
    last_setup_error: null,
    mandate: ctx.world.facts.get(mandateFact(intent.id)) ?? null,
    payment_method: attached.id,
  });
}

// --- SetupIntents -----------------------------------------------------------

/** Confirming a SetupIntent with a bank account: a mandate, then microdeposits (unverified ACH) or success. */
export function confirmBankSetup<T extends StripeObject>(ctx: Ctx, si: T, pm: PaymentMethod, params: Params): T {
  const mandate = createMandate(ctx, pm, params);
  ctx.world.facts.set(mandateFact(si.id), mandate.id);
  if (microdepositState(ctx.world, pm.id) === 'pending') return awaitMicrodeposits(ctx, si, pm, 'setup');
  if (si.customer && !pm.customer) pm = attachPaymentMethod(ctx, pm, si.customer);
  return setupIntentMachine.transition(ctx, si as any, 'confirm', setupIntentMachine.state.succeeded, {
    next_action: null,
    last_setup_error: null,
    mandate: mandate.id,
  }) as unknown as T;
}

export const bankDebitRoutes = [
  ...mandates.routes,
  route('POST', '/v1/payment_intents/{intent}/verify_microdeposits', 'payment_intent', (ctx, params, path) => {
    const pi = ctx.world.get<StripeObject>(path.intent);
    if (!pi || pi.object !== 'payment_intent') throw errors.resourceMissing('payment_intent', path.intent);
    return verifyMicrodeposits(ctx, pi, params);
  }),
  route('POST', '/v1/setup_intents/{intent}/verify_microdeposits', 'setup_intent', (ctx, params, path) => {
    const si = ctx.world.get<StripeObject>(path.intent);
    if (!si || si.object !== 'setup_intent') throw errors.resourceMissing('setup_intent', path.intent);
    return verifyMicrodeposits(ctx, si, params);
  }),
];
