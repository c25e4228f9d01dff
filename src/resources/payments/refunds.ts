import { errors } from '../../engine/errors';
import { declareTask, nowIn, scheduleIn, scopeOf } from '../../engine/clock';
import { emit } from '../../engine/events';
import { formatAmount } from '../../engine/money';
import { Params } from '../../engine/params';
import { withKey } from '../../engine/render';
import { Ctx } from '../../engine/world';
import { createBalanceTransaction } from '../core/balance';
import { Charge, charges } from './charges';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { cardOf } from './payment_methods';
import { isCryptoCharge, refundTransactionHash } from './crypto_deposits';

// Refunds (docs/stripe-facts.md §6): full and partial, on a charge or a
// PaymentIntent; refunded amounts on the charge; a refund balance transaction;
// the pending/failing refund test cards (docs/stripe-facts.md §4.6).

export type Refund = Shaped<'refund'>;

/** Test-mode delay before a pending refund settles or a failing refund fails (twin choice; advance the clock). */
export const REFUND_SETTLE_SECONDS = 60;

/** A changed refund is announced twice: refund.updated, then charge.refund.updated. */
const REFUND_UPDATED = ['refund.updated', 'charge.refund.updated'] as const;

interface RefundInput {
  /** Connect's reversal of a destination charge's transfer and fee: not modeled (501 when asked for). */
  reverse_transfer?: boolean | null;
  refund_application_fee?: boolean | null;
  amount?: number | null;
  reason?: string | null;
  metadata?: Record<string, string> | null;
  /** Stripe-made refunds: releasing an uncaptured authorization. */
  reversal?: boolean;
  stripeReason?: string;
}

/** Refunds part or all of a charge; throws Stripe's E22/E23/E29 when it cannot. */
export function refundCharge(ctx: Ctx, charge: Charge, input: RefundInput): Refund {
  const { world } = ctx;
  for (const param of ['reverse_transfer', 'refund_application_fee'] as const) if (input[param]) throw errors.unsupportedParam('POST /v1/refunds', param);
  if (!input.reversal && !charge.payment_intent && charge.status === 'succeeded' && !charge.captured) {
    // Refunding an uncaptured Charges API charge releases the authorization, whole or not at all (B1.2 [parity SSM]; text (uncertain)).
    if (input.amount != null && input.amount < charge.amount - charge.amount_refunded) {
      throw errors.paramState(
        'You cannot partially refund an uncaptured charge. Instead, capture the charge for an amount less than the original amount',
        'amount',
      );
    }
    input = { ...input, reversal: true };
  }
  if (charge.disputed) {
    throw errors.state(`Charge ${charge.id} has been charged back; cannot issue a refund.`, 'charge_disputed');
  }
  const base = input.reversal ? charge.amount : charge.amount_captured;
  const remaining = base - charge.amount_refunded;
  if (charge.status !== 'succeeded' || (charge.refunded && remaining <= 0)) {
    throw errors.state(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
  }
  const amount = input.amount ?? remaining;
  if (amount > remaining) {
    throw errors.paramState(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      'amount',
    );
  }
  // The refund test cards (docs/stripe-facts.md §4.6) act on refunds sent to the card; releasing an
  // authorization moves no money, so a reversal succeeds at once on any card.
  const behaviour = input.reversal ? undefined : cardOf(world, charge.payment_method)?.refund;
  const id = refunds.newId(ctx, charge.payment_intent);
  const bt = input.reversal
    ? null
    : createBalanceTransaction(ctx, {
        amount: -amount,
        currency: charge.currency,
        type: 'refund',
        reportingCategory: 'refund',
        source: id,
        description: null,
        family: charge.payment_intent,
      });
  // Stored before charge.refunded, announced after it.
  const refund = world.insert(refunds.build(ctx, input, {
    id,
    amount,
    balance_transaction: bt?.id ?? null,
    charge: charge.id,
    currency: charge.currency,
    customer: charge.customer,
    destination_details: isCryptoCharge(charge)
      ? { crypto: { reference: refundTransactionHash(world) }, type: 'crypto' }
      : input.reversal
        ? { card: { type: 'reversal' }, type: 'card' }
        : { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: input.stripeReason ?? input.reason ?? null,
    status: behaviour === 'pending' ? 'pending' : 'succeeded',
  }), scopeOf(ctx));
  const refunded = charge.amount_refunded + amount;
  charges.save(ctx, charge, { ...charge, amount_refunded: refunded, refunded: refunded >= base }, 'charge.refunded');
  emit(ctx, 'refund.created', refund);
  if (behaviour) scheduleIn(ctx, nowIn(ctx) + REFUND_SETTLE_SECONDS, SETTLE, { id: refund.id, behaviour });
  return refund;
}

/** The later life of a refund made with …7726 (pending → succeeded) or …5126 (succeeded → failed). */
const SETTLE = declareTask<{ id: string; behaviour: 'pending' | 'fail' }>('refund.settle', (later, { id, behaviour }) => settle(later, id, behaviour));

function settle(ctx: Ctx, refundId: string, behaviour: 'pending' | 'fail'): void {
  const refund = ctx.world.get<Refund>(refundId)!;
  if (refund.status === 'failed') return; // failed already (the refund.failed trigger)
  if (behaviour === 'fail') {
    failRefund(ctx, refund);
    return;
  }
  if (refund.status === 'pending') refunds.save(ctx, refund, { ...refund, status: 'succeeded' });
}

/** Card refunds that can still fail: succeeded or pending ones that moved money (not released authorizations). */
export function canFail(refund: Refund): boolean {
  return (refund.status === 'succeeded' || refund.status === 'pending') && refund.balance_transaction !== null;
}

/**
 * A refund fails (docs/stripe-facts.md §4.6, …5126): the money comes back in a `refund_failure`
 * balance transaction, the charge is no longer refunded by that amount, and
 * refund.failed, refund.updated and charge.refund.updated follow.
 */
export function failRefund(ctx: Ctx, refund: Refund, reason = 'expired_or_canceled_card'): Refund {
  const { world } = ctx;
  const charge = world.get<Charge>(refund.charge)!;
  const bt = createBalanceTransaction(ctx, {
    amount: refund.amount,
    currency: refund.currency,
    type: 'refund_failure',
    reportingCategory: 'refund_failure',
    source: refund.id,
    description: 'REFUND FOR FAILED REFUND',
    family: refund.payment_intent,
    availableImmediately: true,
  });
  const next = { ...withKey(withKey(refund, 'failure_balance_transaction', bt.id), 'failure_reason', reason), status: 'failed' };
  const refunded = charge.amount_refunded - refund.amount;
  world.replace({ ...charge, amount_refunded: refunded, refunded: false });
  return refunds.save(ctx, refund, next, ['refund.failed', ...REFUND_UPDATED]);
}

/** POST /v1/refunds: `charge` or `payment_intent` names what to refund. */
function createRefund(ctx: Ctx, params: Params): Refund {
  let charge: Charge;
  if (params.charge) {
    charge = charges.find(ctx, params.charge, 'charge');
  } else if (params.payment_intent) {
    const pi = find(ctx, 'payment_intent', params.payment_intent, 'payment_intent');
    const latest = pi.latest_charge ? ctx.world.get<Charge>(pi.latest_charge) : undefined;
    if (!latest || latest.status !== 'succeeded' || !latest.captured) {
      throw errors.paramState(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        'payment_intent',
      );
    }
    charge = latest;
  } else {
    throw errors.paramState('One of the following params should be provided for this request: payment_intent or charge.', 'charge', 'parameter_missing');
  }
  if (params.charge && params.payment_intent && charge.payment_intent !== params.payment_intent) {
    throw errors.paramState(`Charge ${charge.id} does not belong to PaymentIntent ${params.payment_intent}.`, 'payment_intent');
  }
  return refundCharge(ctx, charge, params);
}

export const refunds = defineResource<'refund', Refund>({
  object: 'refund',
  prefix: 're',
  path: '/v1/refunds',
  create: createRefund,
  omit: ['description', 'failure_balance_transaction', 'failure_reason', 'instructions_email', 'next_action', 'pending_reason', 'presentment_details'],
  defaults: { metadata: EMPTY },
  writable: { metadata: (value, current) => mergeMetadata(current, value) },
  events: { updated: REFUND_UPDATED },
  filters: ['charge', 'payment_intent'],
  indexes: ['charge', 'payment_intent'],
}).with(
  // Older charge-scoped forms, still served by Stripe (docs/stripe-facts.md §6).
  route('POST', '/v1/charges/{charge}/refunds', 'refund', (ctx, params, path) => refundCharge(ctx, charges.find(ctx, path.charge), params)),
  route('POST', '/v1/charges/{charge}/refund', 'charge', (ctx, params, path) => {
    const refund = refundCharge(ctx, charges.find(ctx, path.charge), params);
    return ctx.world.get(refund.charge)!;
  }),
  route('GET', '/v1/charges/{charge}/refunds', { list: 'refund' }, (ctx, params, path) => {
    const charge = charges.find(ctx, path.charge);
    return refunds.list(ctx, params, `/v1/charges/${charge.id}/refunds`, (r) => r.charge === charge.id, { charge: charge.id });
  }),
  route('GET', '/v1/charges/{charge}/refunds/{refund}', 'refund', (ctx, _p, path) => {
    const refund = refunds.find(ctx, path.refund);
    if (refund.charge !== path.charge) throw errors.resourceMissing('refund', path.refund);
    return refund;
  }),
);
