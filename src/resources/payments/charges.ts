import { errors } from '../../engine/errors';
import { pinnedUnder } from '../../engine/exogenous';
import { nowIn } from '../../engine/clock';
import { registerIncludable } from '../../engine/expand';
import { Decline, sellerMessage } from '../../engine/test_values';
import { Ctx, indexKey, StripeObject, World } from '../../engine/world';
import { shipping } from '../common';
import { defineResource, EMPTY, find, mergeMetadata, shared, Shaped } from '../../engine/resource';
import { createBalanceTransaction } from '../core/balance';
import { cardOf, PaymentMethod } from './payment_methods';

// Charges (docs/stripe-facts.md §5), created by PaymentIntents: succeeded or
// failed, with outcome, failure codes, card details and balance transaction.

/** Fields Stripe sends on charges that the package's types no longer declare. */
type ChargeExtra = 'destination' | 'dispute' | 'order';

export type Charge = Shaped<'charge', ChargeExtra>;

/**
 * What a charge is for: the PaymentIntent making the attempt (charges share its id
 * family; its Connect terms when it has them), or, for a Charges API charge, the
 * request's terms with no id.
 */
export type ChargeTerms = Pick<StripeObject, 'amount' | 'currency' | 'customer' | 'description' | 'metadata' | 'receipt_email' | 'shipping' | 'statement_descriptor' | 'statement_descriptor_suffix' | 'transfer_group'> &
  Partial<Pick<StripeObject, 'application' | 'application_fee_amount' | 'transfer_data' | 'on_behalf_of'>> & { id: string | null };

export interface ChargeAttempt {
  intent: ChargeTerms;
  pm: PaymentMethod;
  /** The legacy source charged (a Card object), shown as the charge's `source`; null for PaymentIntent charges. */
  source?: Record<string, unknown> | null;
  capture: boolean;
  /** Set when the attempt fails. */
  decline?: Decline;
  /** Radar blocked the payment before it reached the network. */
  blocked?: boolean;
  /** 3D Secure result when the customer authenticated. */
  threeDSecure?: Record<string, unknown> | null;
}

/** Card features every test charge reports the same way (recorded traffic, docs/stripe-facts.md §5). */
const CARD_FEATURES = shared({
  extended_authorization: { status: 'disabled' },
  incremental_authorization: { status: 'unavailable' },
  multicapture: { status: 'unavailable' },
  network_token: { used: false },
});

const DIRECTORY = { visa: 'visa', mastercard: 'mastercard', amex: 'american_express' } as Record<string, string>;

function riskScore(ctx: Ctx, level: string): number {
  const [low, span] = level === 'highest' ? [75, 25] : level === 'elevated' ? [65, 10] : [0, 65];
  return low + (Number(ctx.world.ids.digits(2)) % span);
}

/**
 * The network's and Radar's verdict. Pinned `charge.outcome.*` values (for the
 * intent, its payment method, its customer or the world) replace the engine's,
 * field by field; the risk score is drawn either way so that ids stay the same.
 */
function outcome(ctx: Ctx, attempt: ChargeAttempt): Record<string, unknown> {
  const card = cardOf(ctx.world, attempt.pm.id);
  const pin = pinnedUnder(ctx.world, 'charge.outcome.', [attempt.intent.id, attempt.pm.id, attempt.intent.customer]);
  const level = (pin.risk_level as string | undefined) ?? card?.risk?.level ?? 'normal';
  let out: Record<string, unknown>;
  if (attempt.blocked) {
    out = {
      advice_code: null, network_advice_code: null, network_decline_code: null,
      network_status: 'not_sent_to_network', reason: 'highest_risk_level', risk_level: 'highest',
      risk_score: riskScore(ctx, (pin.risk_level as string | undefined) ?? 'highest'), seller_message: 'Stripe blocked this payment as too risky.', type: 'blocked',
    };
  } else if (attempt.decline) {
    const d = attempt.decline;
    out = {
      advice_code: d.advice_code ?? null, network_advice_code: d.network_advice_code ?? null,
      network_decline_code: d.network_decline_code ?? null, network_status: 'declined_by_network',
      reason: d.decline_code, risk_level: level, risk_score: riskScore(ctx, level),
      seller_message: sellerMessage(d), type: 'issuer_declined',
    };
  } else {
    out = {
      advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network',
      reason: null, risk_level: level, risk_score: riskScore(ctx, level), seller_message: 'Payment complete.', type: 'authorized',
    };
  }
  for (const field in pin) if (field in out) out[field] = pin[field];
  return out;
}

export function createCharge(ctx: Ctx, attempt: ChargeAttempt): Charge {
  const { world } = ctx;
  const { intent, pm } = attempt;
  const failed = Boolean(attempt.decline || attempt.blocked);
  const now = nowIn(ctx);
  const card = pm.card;
  const suffix = intent.statement_descriptor_suffix;
  // Each of the id, risk score, authorization code, network transaction id and receipt draws from the id generator, in this order.
  return charges.insert(ctx, {}, {
    id: charges.newId(ctx, intent.id),
    amount: intent.amount,
    amount_captured: !failed && attempt.capture ? intent.amount : 0,
    application: intent.application ?? null,
    application_fee_amount: intent.application_fee_amount ?? null,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: `${world.config.statementDescriptor}${suffix ? `* ${suffix}` : ''}`.toUpperCase(),
    captured: !failed && attempt.capture,
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    // A destination charge names its destination in the legacy field too (recorded).
    destination: intent.transfer_data?.destination ?? null,
    failure_code: failed ? (attempt.decline?.code ?? 'card_declined') : null,
    failure_message: failed ? (attempt.decline?.message ?? 'Your card was declined.') : null,
    metadata: intent.metadata ?? {},
    on_behalf_of: intent.on_behalf_of ?? null,
    outcome: outcome(ctx, attempt),
    paid: !failed,
    payment_intent: intent.id,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        amount_authorized: failed ? null : intent.amount,
        authorization_code: failed ? null : world.ids.digits(6),
        brand: card.brand,
        ...(!failed && !attempt.capture ? { capture_before: now + 7 * 86400 } : {}),
        checks: card.checks,
        country: card.country,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        extended_authorization: CARD_FEATURES.extended_authorization,
        fingerprint: card.fingerprint,
        funding: card.funding,
        incremental_authorization: CARD_FEATURES.incremental_authorization,
        installments: null,
        last4: card.last4,
        mandate: null,
        multicapture: CARD_FEATURES.multicapture,
        network: card.networks.available[card.networks.available.length - 1],
        network_token: CARD_FEATURES.network_token,
        network_transaction_id: failed ? null : world.ids.digits(15),
        overcapture: { maximum_amount_capturable: intent.amount, status: 'unavailable' },
        regulated_status: card.regulated_status,
        three_d_secure: attempt.threeDSecure ?? null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: intent.receipt_email ?? null,
    receipt_url: failed ? null : receiptUrl(world),
    shipping: intent.shipping ?? null,
    source: attempt.source ?? null,
    statement_descriptor: intent.statement_descriptor ?? null,
    statement_descriptor_suffix: suffix ?? null,
    status: failed ? 'failed' : 'succeeded',
    transfer_data: intent.transfer_data ? { amount: intent.transfer_data.amount ?? null, destination: intent.transfer_data.destination } : null,
    transfer_group: intent.transfer_group ?? null,
  });
}


/** A paid charge's receipt page (its token drawn from the world's id stream). */
export const receiptUrl = (world: World) => `https://pay.stripe.com/receipts/payment/${world.ids.chars(96, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`;

/**
 * The pending charge of a payment that settles later (a bank debit, a crypto
 * deposit): not paid, not captured, `status: pending`, with the method's details
 * and outcome; announced as charge.pending by the intent's transition.
 */
export function createPendingCharge(ctx: Ctx, pi: StripeObject, pm: PaymentMethod, shown: { outcome: Record<string, unknown>; payment_method_details: Record<string, unknown> }): Charge {
  return charges.insert(ctx, {}, {
    id: charges.newId(ctx, pi.id),
    amount: pi.amount,
    amount_captured: 0,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: ctx.world.config.statementDescriptor.toUpperCase(),
    captured: false,
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    metadata: pi.metadata ?? {},
    outcome: shown.outcome,
    paid: false,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: shown.payment_method_details,
    receipt_email: pi.receipt_email ?? null,
    shipping: pi.shipping ?? null,
    statement_descriptor: pi.statement_descriptor ?? null,
    statement_descriptor_suffix: pi.statement_descriptor_suffix ?? null,
    status: 'pending',
    transfer_group: pi.transfer_group ?? null,
  });
}

/**
 * A pending charge's funds arrived: its `payment` balance transaction (non-card
 * payments are `payment` transactions, docs/bank-payments.md), then the charge
 * captured, paid and succeeded. The caller announces it with the intent's transition.
 */
export function settlePendingCharge(ctx: Ctx, charge: Charge, fee: number, family: string): Charge {
  const bt = createBalanceTransaction(ctx, {
    amount: charge.amount,
    currency: charge.currency,
    fee,
    type: 'payment',
    reportingCategory: 'charge',
    source: charge.id,
    description: charge.description,
    family,
  });
  return ctx.world.replace({ ...charge, amount_captured: charge.amount, balance_transaction: bt.id, captured: true, paid: true, receipt_url: receiptUrl(ctx.world), status: 'succeeded' });
}

/** Directory server of a card brand, for 3D Secure next actions. */
export function directoryServer(brand: string): { name: string; id: string } {
  const ids: Record<string, string> = { visa: 'A000000003', mastercard: 'A000000004', amex: 'A000000025' };
  return { name: DIRECTORY[brand] ?? brand, id: ids[brand] ?? 'A000000003' };
}

/** Stores a changed charge and emits `type` (default charge.updated) with its previous attributes, when anything changed. */
export const saveCharge = (ctx: Ctx, before: Charge, after: Charge, type?: string): Charge => charges.save(ctx, before, after, type);

/** Refunds of a charge, newest first, as Stripe embeds them when `refunds` is expanded. */
export function chargeRefunds(ctx: Ctx, chargeId: string): Record<string, unknown> {
  const { world } = ctx;
  const data = world.indexed('refund', 'charge', indexKey(chargeId)).map((p) => world.at('refund', p)).filter((r) => r.charge === chargeId).reverse();
  return { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/charges/${chargeId}/refunds` };
}

registerIncludable('charge', 'refunds', { link: 'list:refund', compute: (ctx, charge) => chargeRefunds(ctx, charge.id) });

// Made by PaymentIntents (payment_intents.ts), which announce them (charge.succeeded, charge.failed).
export const charges = defineResource<'charge', Charge, ChargeExtra>({
  object: 'charge',
  prefix: 'ch',
  path: '/v1/charges',
  omit: ['authorization_code', 'level3', 'presentment_details', 'refunds', 'transfer'],
  extra: ['destination', 'dispute', 'order'],
  defaults: { amount_refunded: 0, disputed: false, fraud_details: EMPTY, radar_options: EMPTY, refunded: false },
  writable: {
    // Only a charge without a customer may be given one [sdk ChargeUpdateParams.customer]; the error text is the twin's.
    customer: (value, current, ctx) => {
      if (current && value !== current) throw errors.paramState(`This charge already belongs to customer ${current}.`, 'customer');
      return find(ctx, 'customer', value, 'customer').id;
    },
    description: true,
    fraud_details: (value, current) => value ?? current,
    metadata: (value, current) => mergeMetadata(current, value),
    receipt_email: true,
    shipping: (value) => shipping(value),
    transfer_group: true,
  },
  events: { updated: 'charge.updated' },
  filters: ['customer', 'payment_intent', 'transfer_group'],
  indexes: ['customer', 'payment_intent', 'metadata'],
  search: {
    amount: 'number',
    created: 'number',
    currency: 'text',
    customer: 'text',
    disputed: 'text',
    metadata: 'metadata',
    'payment_method_details.card.last4': 'text',
    refunded: 'text',
    status: 'text',
  },
});
