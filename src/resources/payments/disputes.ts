import { errors } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { paginate } from '../../engine/list';
import { Params } from '../../engine/params';
import { TestCard } from '../../engine/testValues';
import { Ctx, declareIndex, StripeObject } from '../../engine/world';
import { createBalanceTransaction } from '../core/balance';
import { Charge, saveCharge } from './charges';
import { EMPTY, find, mergeMetadata, route } from '../../engine/resource';

// Disputes, basics (stripe-behaviour.md §8, §4.5): the dispute test cards open
// one shortly after the charge succeeds; evidence `winning_evidence` /
// `losing_evidence` decides the outcome; closing concedes.

export type Dispute = StripeObject & { object: 'dispute'; status: string; charge: string; amount: number; evidence: Record<string, unknown> };

/** Dispute fee on the withdrawal: 1500 in 2021 recordings, 2000 in 2024 (§7.2). */
const DISPUTE_FEE = 2000;
/** Days to respond (Stripe shows due_by at the end of a day roughly three weeks out; unverified). */
const RESPONSE_DAYS = 21;

const EVIDENCE_KEYS = [
  'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal',
  'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature',
  'duplicate_charge_documentation', 'duplicate_charge_explanation', 'duplicate_charge_id', 'enhanced_evidence',
  'product_description', 'receipt', 'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date',
  'service_documentation', 'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation',
  'shipping_tracking_number', 'uncategorized_file', 'uncategorized_text',
];

const isInquiry = (d: Dispute) => d.status.startsWith('warning_');

/** Opens a dispute on a succeeded charge "shortly afterwards": at the start of the next request (or clock advance). */
export function openDispute(ctx: Ctx, chargeId: string, spec: NonNullable<TestCard['dispute']>): void {
  ctx.world.schedule(ctx.world.now(), (later) => createDispute(later, chargeId, spec));
}

export function createDispute(ctx: Ctx, chargeId: string, spec: NonNullable<TestCard['dispute']>): Dispute {
  const { world } = ctx;
  const charge = world.get<Charge>(chargeId)!;
  const now = world.now();
  const id = world.ids.next('dp');
  const card = charge.payment_method_details.card;
  const dispute = world.insert<Dispute>({
    id,
    object: 'dispute',
    amount: charge.amount_captured,
    balance_transactions: [],
    charge: charge.id,
    created: now,
    currency: charge.currency,
    enhanced_eligibility_types: spec.enhanced ?? [],
    evidence: Object.fromEntries(EVIDENCE_KEYS.map((k) => [k, k === 'enhanced_evidence' ? {} : null])),
    evidence_details: {
      due_by: (Math.floor(now / 86400) + RESPONSE_DAYS + 1) * 86400 - 1,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: EMPTY,
    payment_intent: charge.payment_intent,
    payment_method_details: {
      card: { brand: card.brand, case_type: spec.status === 'warning_needs_response' ? 'inquiry' : 'chargeback', network_reason_code: null },
      type: 'card',
    },
    reason: spec.reason,
    status: spec.status,
  });
  saveCharge(ctx, charge, { ...charge, disputed: true });
  emit(ctx, 'charge.dispute.created', dispute);
  if (isInquiry(dispute)) return dispute;
  const bt = createBalanceTransaction(ctx, {
    amount: -dispute.amount,
    currency: dispute.currency,
    fee: DISPUTE_FEE,
    feeDescription: 'Dispute fee',
    type: 'adjustment',
    reportingCategory: 'dispute',
    source: dispute.id,
    description: `Chargeback withdrawal for ${charge.id}`,
  });
  const withdrawn = world.update(dispute, { balance_transactions: [bt] });
  emit(ctx, 'charge.dispute.funds_withdrawn', withdrawn);
  return withdrawn;
}

function saveDispute(ctx: Ctx, before: Dispute, after: Dispute, type: string): Dispute {
  const previous = previousAttributes(before, after);
  const saved = ctx.world.replace(after);
  emit(ctx, type, saved, previous ?? undefined);
  return saved;
}

function closeDispute(ctx: Ctx, dispute: Dispute, won: boolean): Dispute {
  const status = isInquiry(dispute) ? 'warning_closed' : won ? 'won' : 'lost';
  let closed = saveDispute(ctx, dispute, { ...dispute, status }, 'charge.dispute.closed');
  if (status === 'won') {
    const bt = createBalanceTransaction(ctx, {
      amount: dispute.amount,
      currency: dispute.currency,
      fee: -DISPUTE_FEE,
      feeDescription: 'Dispute fee',
      type: 'adjustment',
      reportingCategory: 'dispute_reversal',
      source: dispute.id,
      description: `Chargeback reversal for ${dispute.charge}`,
      availableImmediately: true,
    });
    closed = ctx.world.update(closed, { balance_transactions: [...(closed.balance_transactions as unknown[]), bt] });
    emit(ctx, 'charge.dispute.funds_reinstated', closed);
  }
  return closed;
}

function updateDispute(ctx: Ctx, dispute: Dispute, params: Params): Dispute {
  if (['won', 'lost', 'warning_closed'].includes(dispute.status) && (params.evidence || params.submit)) {
    throw errors.state(`This dispute is already closed.`);
  }
  const evidence = { ...dispute.evidence };
  for (const [k, v] of Object.entries(params.evidence ?? {})) evidence[k] = v;
  const submit = params.submit !== false && (params.submit === true || params.evidence !== undefined);
  const details = dispute.evidence_details as Record<string, unknown>;
  const next: Dispute = {
    ...dispute,
    evidence,
    evidence_details: {
      ...details,
      has_evidence: details.has_evidence || params.evidence !== undefined,
      submission_count: (details.submission_count as number) + (submit ? 1 : 0),
      submission_method: submit ? 'manual' : details.submission_method,
    },
    metadata: mergeMetadata(dispute.metadata, params.metadata),
    status: submit ? (isInquiry(dispute) ? 'warning_under_review' : 'under_review') : dispute.status,
  };
  const saved = previousAttributes(dispute, next) ? saveDispute(ctx, dispute, next, 'charge.dispute.updated') : dispute;
  const verdict = evidence.uncategorized_text;
  if (submit && (verdict === 'winning_evidence' || verdict === 'losing_evidence')) {
    ctx.world.schedule(ctx.world.now(), (later) => closeDispute(later, later.world.get<Dispute>(dispute.id)!, verdict === 'winning_evidence'));
  }
  return saved;
}

// Indexes behind the list filters (filters recheck each object).
declareIndex('dispute', 'charge');
declareIndex('dispute', 'payment_intent');

export const disputeRoutes = [
  route('GET', '/v1/disputes/{dispute}', 'dispute', (ctx, _p, path) => find(ctx, 'dispute', path.dispute)),
  route('POST', '/v1/disputes/{dispute}', 'dispute', (ctx, params, path) => updateDispute(ctx, find<Dispute>(ctx, 'dispute', path.dispute), params)),
  route('POST', '/v1/disputes/{dispute}/close', 'dispute', (ctx, _p, path) => {
    const dispute = find<Dispute>(ctx, 'dispute', path.dispute);
    if (['won', 'lost', 'warning_closed'].includes(dispute.status)) return dispute;
    return closeDispute(ctx, dispute, false);
  }),
  route('GET', '/v1/disputes', { list: 'dispute' }, (ctx, params) =>
    paginate<Dispute>(ctx.world, 'dispute', '/v1/disputes', params, (d) =>
      (params.charge == null || d.charge === params.charge) && (params.payment_intent == null || d.payment_intent === params.payment_intent),
    { charge: params.charge, payment_intent: params.payment_intent }),
  ),
];
