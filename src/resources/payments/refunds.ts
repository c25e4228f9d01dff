import { errors } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { paginate } from '../../engine/list';
import { formatAmount } from '../../engine/money';
import { Params } from '../../engine/params';
import { withKey } from '../../engine/render';
import { Ctx, declareIndex, StripeObject } from '../../engine/world';
import { createBalanceTransaction } from '../core/balance';
import { Charge, saveCharge } from './charges';
import { EMPTY, find, mergeMetadata, route } from '../../engine/resource';
import { cardOf } from './payment_methods';

// Refunds (stripe-behaviour.md §6): full and partial, on a charge or a
// PaymentIntent; refunded amounts on the charge; a refund balance transaction;
// the pending/failing refund test cards (§4.6).

export type Refund = StripeObject & { object: 'refund'; amount: number; charge: string; status: string };

/** Test-mode delay before a pending refund settles or a failing refund fails (twin choice; advance the clock). */
export const REFUND_SETTLE_SECONDS = 60;

interface RefundInput {
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
  // The refund test cards (§4.6) act on refunds sent to the card; releasing an
  // authorization moves no money, so a reversal succeeds at once on any card.
  const behaviour = input.reversal ? undefined : cardOf(world, charge.payment_method)?.refund;
  const id = world.ids.next('re', charge.payment_intent);
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
  const refund = world.insert<Refund>({
    id,
    object: 'refund',
    amount,
    balance_transaction: bt?.id ?? null,
    charge: charge.id,
    created: world.now(),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    destination_details: input.reversal
      ? { card: { type: 'reversal' }, type: 'card' }
      : { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: mergeMetadata(EMPTY, input.metadata),
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: input.stripeReason ?? input.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: behaviour === 'pending' ? 'pending' : 'succeeded',
    transfer_reversal: null,
  });
  const refunded = charge.amount_refunded + amount;
  saveCharge(ctx, charge, { ...charge, amount_refunded: refunded, refunded: refunded >= base }, 'charge.refunded');
  emit(ctx, 'refund.created', refund);
  if (behaviour) world.schedule(world.now() + REFUND_SETTLE_SECONDS, (later) => settle(later, refund.id, behaviour));
  return refund;
}

/** The later life of a refund made with …7726 (pending → succeeded) or …5126 (succeeded → failed). */
function settle(ctx: Ctx, refundId: string, behaviour: 'pending' | 'fail'): void {
  const refund = ctx.world.get<Refund>(refundId)!;
  if (refund.status === 'failed') return; // failed already (the refund.failed trigger)
  if (behaviour === 'fail') {
    failRefund(ctx, refund);
    return;
  }
  if (refund.status === 'pending') saveRefund(ctx, refund, { ...refund, status: 'succeeded' }, false);
}

/** Card refunds that can still fail: succeeded or pending ones that moved money (not released authorizations). */
export function canFail(refund: Refund): boolean {
  return (refund.status === 'succeeded' || refund.status === 'pending') && refund.balance_transaction !== null;
}

/**
 * A refund fails (§4.6, …5126): the money comes back in a `refund_failure`
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
  return saveRefund(ctx, refund, next, true);
}

function saveRefund(ctx: Ctx, refund: Refund, next: Refund, failed: boolean): Refund {
  const previous = previousAttributes(refund, next) ?? {};
  const saved = ctx.world.replace(next);
  if (failed) emit(ctx, 'refund.failed', saved, previous);
  emit(ctx, 'refund.updated', saved, previous);
  emit(ctx, 'charge.refund.updated', saved, previous);
  return saved;
}

/** POST /v1/refunds: `charge` or `payment_intent` names what to refund. */
function createRefund(ctx: Ctx, params: Params): Refund {
  let charge: Charge;
  if (params.charge) {
    charge = find<Charge>(ctx, 'charge', params.charge, 'charge');
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

function updateRefund(ctx: Ctx, refund: Refund, params: Params): Refund {
  const next = { ...refund, metadata: mergeMetadata(refund.metadata, params.metadata) };
  const previous = previousAttributes(refund, next);
  if (!previous) return refund;
  const saved = ctx.world.replace(next);
  emit(ctx, 'refund.updated', saved, previous);
  emit(ctx, 'charge.refund.updated', saved, previous);
  return saved;
}

const refundsOf = (ctx: Ctx, params: Params, chargeId: string, url: string) =>
  paginate<Refund>(ctx.world, 'refund', url, params, (r) => r.charge === chargeId, { charge: chargeId });

// Indexes behind the list filters (filters recheck each object).
declareIndex('refund', 'charge');
declareIndex('refund', 'payment_intent');

export const refundRoutes = [
  route('POST', '/v1/refunds', 'refund', (ctx, params) => createRefund(ctx, params)),
  route('GET', '/v1/refunds/{refund}', 'refund', (ctx, _p, path) => find(ctx, 'refund', path.refund)),
  route('POST', '/v1/refunds/{refund}', 'refund', (ctx, params, path) => updateRefund(ctx, find<Refund>(ctx, 'refund', path.refund), params)),
  route('GET', '/v1/refunds', { list: 'refund' }, (ctx, params) =>
    paginate<Refund>(ctx.world, 'refund', '/v1/refunds', params, (r) =>
      (params.charge == null || r.charge === params.charge) && (params.payment_intent == null || r.payment_intent === params.payment_intent),
    { charge: params.charge, payment_intent: params.payment_intent }),
  ),
  // Older charge-scoped forms, still served by Stripe (§6).
  route('POST', '/v1/charges/{charge}/refunds', 'refund', (ctx, params, path) =>
    refundCharge(ctx, find<Charge>(ctx, 'charge', path.charge), params),
  ),
  route('POST', '/v1/charges/{charge}/refund', 'charge', (ctx, params, path) => {
    const refund = refundCharge(ctx, find<Charge>(ctx, 'charge', path.charge), params);
    return ctx.world.get(refund.charge)!;
  }),
  route('GET', '/v1/charges/{charge}/refunds', { list: 'refund' }, (ctx, params, path) => {
    const charge = find(ctx, 'charge', path.charge);
    return refundsOf(ctx, params, charge.id, `/v1/charges/${charge.id}/refunds`);
  }),
  route('GET', '/v1/charges/{charge}/refunds/{refund}', 'refund', (ctx, _p, path) => {
    const refund = find<Refund>(ctx, 'refund', path.refund);
    if (refund.charge !== path.charge) throw errors.resourceMissing('refund', path.refund);
    return refund;
  }),
];
