import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { emit } from '../../engine/events';
import { checkChargeAmount, checkCurrency, formatAmount, minimumCharge } from '../../engine/money';
import { Params } from '../../engine/params';
import { DECLINES } from '../../engine/test_values';
import { Ctx, StripeObject } from '../../engine/world';
import { shipping } from '../common';
import { EMPTY, find, mergeMetadata, route, unsupportedParams } from '../../engine/resource';
import { Charge, charges, createCharge, saveCharge } from './charges';
import { capturePaymentIntent, chargeTransaction, issuerDecline, paymentIntents } from './payment_intents';
import { cardAsPaymentMethod, cardError, cardOf } from './payment_methods';
import { refundCharge } from './refunds';
import { Card, sourceCard } from './sources';

// The Charges API (docs/legacy.md, Charges; docs/stripe-facts.md §5):
// POST /v1/charges with a `source` (a token, a customer's card, or the
// customer's default source) and its capture. A Charges API charge is the
// Charge a PaymentIntent makes, with `payment_intent: null` and the card as
// `source`: the same charge builder, the same issuer decision (test cards,
// triggers, pins) and balance transactions, and only charge.* events.

/** Seven days to capture an authorization (the `capture` parameter's doc [sdk]). */
const AUTHORIZATION_SECONDS = 7 * 86400;

/** Parameters of POST /v1/charges the twin does not model (Connect). */
const UNMODELED = ['application_fee', 'application_fee_amount', 'destination', 'on_behalf_of', 'radar_options', 'transfer_data'];

const notFound = (id: string) =>
  new StripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such charge: '${id}'`, param: 'charge' });

/** The card a charge request pays with (B1 `source` rules and errors). */
function chargedCard(ctx: Ctx, params: Params, customer: StripeObject | null): Card {
  // `card` is the older name of `source` (a token, or card details as a hash).
  const source = params.source ?? params.card;
  if (typeof source === 'string' && source.startsWith('card_')) {
    const card = ctx.world.get<Card>(source);
    if (!customer || !card || card.object !== 'card' || card.deleted || card.customer !== customer.id) {
      // Without `customer` the card cannot be named at all (twin choice: the same 404).
      throw new StripeError(404, {
        type: 'invalid_request_error',
        code: 'missing',
        message: `Customer ${customer?.id ?? 'null'} does not have a linked source with ID ${source}.`,
        param: 'source',
      });
    }
    return card;
  }
  if (source != null) return sourceCard(ctx, source, params.source != null ? 'source' : 'card', null);
  if (!customer) {
    // Code and text from stripe-stateful-mock's source (uncertain).
    throw errors.state('Must provide source or customer.', 'parameter_missing');
  }
  const card = customer.default_source ? ctx.world.get<Card>(customer.default_source) : undefined;
  if (!card || card.deleted) {
    throw new StripeError(402, { type: 'card_error', code: 'missing', message: 'Cannot charge a customer that has no active card', param: 'card' });
  }
  return card;
}

function createLegacyCharge(ctx: Ctx, params: Params): Charge {
  const { world } = ctx;
  unsupportedParams('POST /v1/charges', params, UNMODELED);
  if (params.amount == null) throw errors.parameterMissing('amount');
  if (params.currency == null) throw errors.parameterMissing('currency');
  const currency = checkCurrency(params.currency);
  if (params.amount < 1) throw errors.paramState('Invalid positive integer', 'amount', 'parameter_invalid_integer');
  checkChargeAmount(params.amount, currency);
  const customer = params.customer ? find(ctx, 'customer', params.customer, 'customer') : null;
  const card = chargedCard(ctx, params, customer);
  const pm = cardAsPaymentMethod(ctx, card);
  const terms = {
    id: null,
    amount: params.amount,
    currency,
    customer: customer?.id ?? null,
    description: params.description ?? null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    receipt_email: params.receipt_email ?? null,
    shipping: shipping(params.shipping),
    statement_descriptor: params.statement_descriptor ?? null,
    statement_descriptor_suffix: params.statement_descriptor_suffix ?? null,
    transfer_group: params.transfer_group ?? null,
  };
  const decline = issuerDecline(ctx, { id: card.id, customer: terms.customer }, pm, false);
  const blocked = !decline && Boolean(cardOf(world, card.id)?.risk?.blocked);
  const capture = params.capture !== false;
  // A token's card is shown with `customer: null`; a saved card with its customer (B1).
  const source = { ...card, customer: card.customer ?? null };
  if (decline || blocked) {
    const failed = createCharge(ctx, { intent: terms, pm, source, capture: false, decline, blocked });
    emit(ctx, 'charge.failed', failed);
    throw cardError(decline ?? DECLINES.blocked, { charge: failed.id });
  }
  let charge = createCharge(ctx, { intent: terms, pm, source, capture });
  if (capture) charge = world.replace({ ...charge, balance_transaction: chargeTransaction(ctx, charge, charge.amount).id });
  emit(ctx, 'charge.succeeded', charge);
  if (!capture) scheduleIn(ctx, nowIn(ctx) + AUTHORIZATION_SECONDS, EXPIRE, { id: charge.id });
  return charge;
}

/** An authorization not captured in time is released (a reversal, as a PaymentIntent's is) and charge.expired follows. */
const EXPIRE = declareTask<{ id: string }>('charge.expire_authorization', (later, { id }) => expire(later, id));

function expire(ctx: Ctx, chargeId: string): void {
  const charge = ctx.world.get<Charge>(chargeId)!;
  if (charge.captured || charge.amount_refunded > 0) return;
  refundCharge(ctx, charge, { reversal: true, stripeReason: 'expired_uncaptured_charge' });
  emit(ctx, 'charge.expired', ctx.world.get(chargeId)!);
}

/**
 * Capture (B1.2). From 2025-03-31.basil a partial capture creates no refund and
 * leaves `amount_refunded` alone [doc D-BASIL]; one balance transaction for the
 * captured amount; charge.captured.
 */
function captureLegacyCharge(ctx: Ctx, charge: Charge, params: Params): Charge {
  unsupportedParams('POST /v1/charges/{charge}/capture', params, ['application_fee', 'application_fee_amount', 'transfer_data']);
  if (charge.status !== 'succeeded') throw errors.state(`Charge ${charge.id} has failed and cannot be captured.`); // (unverified)
  if (charge.amount_refunded > 0) throw errors.state(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
  const amount: number = params.amount ?? charge.amount;
  if (amount < minimumCharge(charge.currency)) {
    // No `param` here [parity SSM].
    throw errors.state(`Amount must be at least ${formatAmount(minimumCharge(charge.currency), charge.currency)} ${charge.currency}`, 'amount_too_small');
  }
  if (amount > charge.amount) {
    throw errors.paramState(`You cannot capture more than the authorized amount (${formatAmount(charge.amount, charge.currency)}).`, 'amount', 'amount_too_large'); // (unverified)
  }
  const bt = chargeTransaction(ctx, charge, amount);
  const captured: Charge = {
    ...charge,
    amount_captured: amount,
    balance_transaction: bt.id,
    captured: true,
    receipt_email: params.receipt_email ?? charge.receipt_email,
    statement_descriptor: params.statement_descriptor ?? charge.statement_descriptor,
    statement_descriptor_suffix: params.statement_descriptor_suffix ?? charge.statement_descriptor_suffix,
    transfer_group: params.transfer_group ?? charge.transfer_group,
  };
  return saveCharge(ctx, charge, captured, 'charge.captured');
}

export const legacyChargeRoutes = [
  route('POST', '/v1/charges', 'charge', createLegacyCharge),
  route('POST', '/v1/charges/{charge}/capture', 'charge', (ctx, params, path) => {
    const charge = ctx.world.get<Charge>(path.charge);
    if (!charge || charge.object !== 'charge') throw notFound(path.charge);
    if (charge.captured) throw errors.state(`Charge ${charge.id} has already been captured.`, 'charge_already_captured');
    if (!charge.payment_intent) return captureLegacyCharge(ctx, charge, params);
    // Capturing a PaymentIntent's charge through the Charges API captures the intent (docs/stripe-facts.md §5).
    capturePaymentIntent(ctx, paymentIntents.find(ctx, charge.payment_intent), { amount_to_capture: params.amount, metadata: params.metadata });
    return charges.find(ctx, charge.id);
  }),
];
