import { errors } from '../../engine/errors';
import { declareTask, nowIn, scheduleIn, scopeOf } from '../../engine/clock';
import { emit, StripeEvent } from '../../engine/events';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { TestCard } from '../../engine/test_values';
import { Ctx } from '../../engine/world';
import { createBalanceTransaction } from '../core/balance';
import { Charge, charges } from './charges';
import { defineResource, EMPTY, mergeMetadata, route, Shaped } from '../../engine/resource';
import { cardOf } from './payment_methods';

// Disputes, basics (docs/stripe-facts.md §8, §4.5): the dispute test cards open
// one shortly after the charge succeeds; evidence `winning_evidence` /
// `losing_evidence` decides the outcome; closing concedes.

export type Dispute = Shaped<'dispute'>;

/** Dispute fee on the withdrawal: 1500 in 2021 recordings, 2000 in 2024 (docs/stripe-facts.md §7.2). */
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

/** Evidence fields that name an uploaded File (`file_…`). */
const FILE_EVIDENCE = [
  'cancellation_policy', 'customer_communication', 'customer_signature', 'duplicate_charge_documentation', 'receipt',
  'refund_policy', 'service_documentation', 'shipping_documentation', 'uncategorized_file',
];

/**
 * The twin has no File uploads, so a file named in evidence cannot exist:
 * Stripe's resource_missing for it (its name for File objects in this message,
 * "file upload", unverified). An empty value clears the field as usual.
 */
function checkFileEvidence(evidence: Params | undefined): void {
  for (const field of FILE_EVIDENCE) {
    const id = evidence?.[field];
    if (typeof id === 'string' && id !== '') throw errors.resourceMissing('file upload', id, `evidence[${field}]`);
  }
}

const isInquiry = (d: Dispute) => d.status.startsWith('warning_');
const isClosed = (d: Dispute) => ['won', 'lost', 'warning_closed'].includes(d.status);

/**
 * Opens a dispute on a succeeded charge "shortly afterwards": at the start of the
 * next request (or clock advance). A task at this moment schedules the one that
 * opens it, so that it runs after the confirmation's other work for this moment
 * (automatic_async's balance transaction, scheduled after the intent's event).
 */
export function openDispute(ctx: Ctx, chargeId: string, spec: NonNullable<TestCard['dispute']>): void {
  const at = nowIn(ctx);
  scheduleIn(ctx, at, OPEN_LATER, { chargeId, spec, at });
}

type DisputeSpec = { chargeId: string; spec: NonNullable<TestCard['dispute']> };
const OPEN = declareTask<DisputeSpec>('dispute.open', (due, { chargeId, spec }) => void createDispute(due, chargeId, spec));
const OPEN_LATER = declareTask<DisputeSpec & { at: number }>('dispute.open_after', (later, { chargeId, spec, at }) => scheduleIn(later, at, OPEN, { chargeId, spec }));

/** The dispute test cards (docs/stripe-facts.md §4.5) open a dispute once their payment succeeds or is authorized. */
function disputeOnDisputingCard(ctx: Ctx, event: StripeEvent): void {
  const chargeId = event.data.object.latest_charge;
  const charge = chargeId ? ctx.world.get<Charge>(chargeId) : undefined;
  if (!charge || charge.disputed) return;
  const spec = cardOf(ctx.world, charge.payment_method)?.dispute;
  if (spec) openDispute(ctx, charge.id, spec);
}
react('payment_intent.succeeded', 'dispute opens on a disputing card', disputeOnDisputingCard);
react('payment_intent.amount_capturable_updated', 'dispute opens on a disputing card', disputeOnDisputingCard);
// A Charges API charge has no intent: its own charge.succeeded opens the dispute (B1: `dispute` is null in the
// create response and set moments later [parity SSM]).
react('charge.succeeded', 'dispute opens on a disputing card charged through the Charges API', (ctx, event) => {
  const charge = event.data.object as Charge;
  if (charge.payment_intent) return;
  const spec = cardOf(ctx.world, charge.payment_method)?.dispute;
  if (spec) openDispute(ctx, charge.id, spec);
});

export function createDispute(ctx: Ctx, chargeId: string, spec: NonNullable<TestCard['dispute']>): Dispute {
  const { world } = ctx;
  const charge = world.get<Charge>(chargeId)!;
  const now = nowIn(ctx);
  const card = charge.payment_method_details.card;
  // Stored before the charge is marked disputed, announced after it.
  const dispute = world.insert(disputes.build(ctx, {}, {
    id: disputes.newId(ctx),
    amount: charge.amount_captured,
    balance_transactions: [],
    charge: charge.id,
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
    payment_intent: charge.payment_intent,
    // Twin choice: a bank debit's dispute names only its payment method type (Stripe's types detail cards, Klarna, PayPal, Amazon Pay).
    payment_method_details: card
      ? { card: { brand: card.brand, case_type: spec.status === 'warning_needs_response' ? 'inquiry' : 'chargeback', network_reason_code: null }, type: 'card' }
      : { type: charge.payment_method_details.type },
    reason: spec.reason,
    status: spec.status,
  }), scopeOf(ctx));
  charges.save(ctx, charge, { ...charge, disputed: true });
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

const CLOSE = declareTask<{ id: string; won: boolean }>('dispute.close', (later, { id, won }) => void closeDispute(later, later.world.get<Dispute>(id)!, won));

function closeDispute(ctx: Ctx, dispute: Dispute, won: boolean): Dispute {
  const status = isInquiry(dispute) ? 'warning_closed' : won ? 'won' : 'lost';
  let closed = disputes.save(ctx, dispute, { ...dispute, status }, 'charge.dispute.closed');
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
  if (isClosed(dispute) && (params.evidence || params.submit)) {
    throw errors.state(`This dispute is already closed.`);
  }
  checkFileEvidence(params.evidence ?? undefined);
  const submit = params.submit !== false && (params.submit === true || params.evidence !== undefined);
  const details = dispute.evidence_details as Record<string, unknown>;
  const next: Dispute = {
    ...disputes.apply(ctx, dispute, params),
    evidence_details: {
      ...details,
      has_evidence: details.has_evidence || params.evidence !== undefined,
      submission_count: (details.submission_count as number) + (submit ? 1 : 0),
      submission_method: submit ? 'manual' : details.submission_method,
    },
    status: submit ? (isInquiry(dispute) ? 'warning_under_review' : 'under_review') : dispute.status,
  };
  const saved = disputes.save(ctx, dispute, next);
  const verdict = next.evidence.uncategorized_text;
  if (submit && (verdict === 'winning_evidence' || verdict === 'losing_evidence')) {
    scheduleIn(ctx, nowIn(ctx), CLOSE, { id: dispute.id, won: verdict === 'winning_evidence' });
  }
  return saved;
}

export const disputes = defineResource<'dispute', Dispute>({
  object: 'dispute',
  prefix: 'dp',
  path: '/v1/disputes',
  omit: ['network_reason_code'],
  defaults: { is_charge_refundable: false, metadata: EMPTY },
  writable: {
    evidence: (value, current) => ({ ...current, ...value }),
    metadata: (value, current) => mergeMetadata(current, value),
  },
  events: { updated: 'charge.dispute.updated' },
  filters: ['charge', 'payment_intent'],
  indexes: ['charge', 'payment_intent'],
  routes: { update: false },
}).with(
  route('POST', '/v1/disputes/{dispute}', 'dispute', (ctx, params, path) => updateDispute(ctx, disputes.find(ctx, path.dispute), params)),
  route('POST', '/v1/disputes/{dispute}/close', 'dispute', (ctx, _p, path) => {
    const dispute = disputes.find(ctx, path.dispute);
    return isClosed(dispute) ? dispute : closeDispute(ctx, dispute, false);
  }),
);
