import { emit, previousAttributes } from '../../engine/events';
import { pinnedUnder } from '../../engine/exogenous';
import { registerIncludable } from '../../engine/expand';
import { paginate } from '../../engine/list';
import { Params } from '../../engine/params';
import { metadataKeys, search } from '../../engine/search';
import { Decline, sellerMessage } from '../../engine/testValues';
import { Ctx, declareIndex, indexKey, StripeObject } from '../../engine/world';
import { shipping } from '../common';
import { EMPTY, find, mergeMetadata, route, shared } from '../../engine/resource';
import { cardOf, PaymentMethod } from './payment_methods';

// Charges (stripe-behaviour.md §5), created by PaymentIntents: succeeded or
// failed, with outcome, failure codes, card details and balance transaction.

export type Charge = StripeObject & {
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: string | null;
  captured: boolean;
  currency: string;
  customer: string | null;
  disputed: boolean;
  payment_intent: string | null;
  payment_method: string;
  payment_method_details: { card: Record<string, any>; type: 'card' };
  refunded: boolean;
  status: 'succeeded' | 'pending' | 'failed';
};

export interface ChargeAttempt {
  /** The PaymentIntent making the attempt (charges share its id family). */
  intent: StripeObject;
  pm: PaymentMethod;
  capture: boolean;
  /** Set when the attempt fails. */
  decline?: Decline;
  /** Radar blocked the payment before it reached the network. */
  blocked?: boolean;
  /** 3D Secure result when the customer authenticated. */
  threeDSecure?: Record<string, unknown> | null;
}

/** Card features every test charge reports the same way (recorded traffic, §5). */
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
  const now = world.now();
  const card = pm.card;
  const suffix = intent.statement_descriptor_suffix;
  return world.insert<Charge>({
    id: world.ids.next('ch', intent.id),
    object: 'charge',
    amount: intent.amount,
    amount_captured: !failed && attempt.capture ? intent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: `${world.config.statementDescriptor}${suffix ? `* ${suffix}` : ''}`.toUpperCase(),
    captured: !failed && attempt.capture,
    created: now,
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    destination: null,
    dispute: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failed ? (attempt.decline?.code ?? 'card_declined') : null,
    failure_message: failed ? (attempt.decline?.message ?? 'Your card was declined.') : null,
    fraud_details: EMPTY,
    livemode: false,
    metadata: intent.metadata ?? {},
    on_behalf_of: null,
    order: null,
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
    radar_options: EMPTY,
    receipt_email: intent.receipt_email ?? null,
    receipt_number: null,
    receipt_url: failed ? null : `https://pay.stripe.com/receipts/payment/${world.ids.chars(96, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`,
    refunded: false,
    review: null,
    shipping: intent.shipping ?? null,
    source: null,
    source_transfer: null,
    statement_descriptor: intent.statement_descriptor ?? null,
    statement_descriptor_suffix: suffix ?? null,
    status: failed ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: intent.transfer_group ?? null,
  });
}

/** Directory server of a card brand, for 3D Secure next actions. */
export function directoryServer(brand: string): { name: string; id: string } {
  const ids: Record<string, string> = { visa: 'A000000003', mastercard: 'A000000004', amex: 'A000000025' };
  return { name: DIRECTORY[brand] ?? brand, id: ids[brand] ?? 'A000000003' };
}

/** Stores a changed charge and emits `type` with its previous attributes. */
export function saveCharge(ctx: Ctx, before: Charge, after: Charge, type = 'charge.updated'): Charge {
  const previous = previousAttributes(before, after);
  const saved = ctx.world.replace(after);
  if (previous) emit(ctx, type, saved, previous);
  return saved;
}

function updateCharge(ctx: Ctx, charge: Charge, params: Params): Charge {
  const next: Charge = {
    ...charge,
    description: params.description === undefined ? charge.description : params.description,
    fraud_details: params.fraud_details ?? charge.fraud_details,
    metadata: mergeMetadata(charge.metadata, params.metadata),
    receipt_email: params.receipt_email === undefined ? charge.receipt_email : params.receipt_email,
    shipping: params.shipping === undefined ? charge.shipping : shipping(params.shipping),
    transfer_group: params.transfer_group === undefined ? charge.transfer_group : params.transfer_group,
  };
  return previousAttributes(charge, next) ? saveCharge(ctx, charge, next) : charge;
}

/** Refunds of a charge, newest first, as Stripe embeds them when `refunds` is expanded. */
export function chargeRefunds(ctx: Ctx, chargeId: string): Record<string, unknown> {
  const { world } = ctx;
  const data = world.indexed('refund', 'charge', indexKey(chargeId)).map((p) => world.at('refund', p)).filter((r) => r.charge === chargeId).reverse();
  return { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/charges/${chargeId}/refunds` };
}

registerIncludable('charge', 'refunds', { link: 'list:refund', compute: (ctx, charge) => chargeRefunds(ctx, charge.id) });

// Indexes behind the list filters and search (filters recheck each object).
declareIndex('charge', 'customer');
declareIndex('charge', 'payment_intent');
declareIndex('charge', 'metadata', metadataKeys);

export const chargeRoutes = [
  route('GET', '/v1/charges/{charge}', 'charge', (ctx, _p, path) => find(ctx, 'charge', path.charge)),
  route('POST', '/v1/charges/{charge}', 'charge', (ctx, params, path) => updateCharge(ctx, find<Charge>(ctx, 'charge', path.charge), params)),
  route('GET', '/v1/charges/search', { list: 'charge' }, (ctx, params) =>
    search(ctx.world, 'charge', '/v1/charges/search', params, {
      amount: { read: (c) => c.amount, number: true },
      created: { read: (c) => c.created, number: true },
      currency: { read: (c) => c.currency },
      customer: { read: (c) => c.customer },
      disputed: { read: (c) => c.disputed },
      metadata: { read: (c) => c.metadata },
      'payment_method_details.card.last4': { read: (c) => c.payment_method_details.card.last4 },
      refunded: { read: (c) => c.refunded },
      status: { read: (c) => c.status },
    }),
  ),
  route('GET', '/v1/charges', { list: 'charge' }, (ctx, params) =>
    paginate<Charge>(ctx.world, 'charge', '/v1/charges', params, (c) =>
      (params.customer == null || c.customer === params.customer) &&
      (params.payment_intent == null || c.payment_intent === params.payment_intent) &&
      (params.transfer_group == null || c.transfer_group === params.transfer_group),
    { customer: params.customer, payment_intent: params.payment_intent }),
  ),
];
