import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { withKey } from '../../engine/render';
import { Ctx, StripeObject, World } from '../../engine/world';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { balance, createBalanceTransaction } from '../core/balance';
import { midnightAfter } from '../common';
import { applicationId } from '../../engine/accounts';
import { Account, defaultExternalAccount, payoutFailureOf } from './accounts';

// Connect money movement (docs/connect.md §3): transfers and their reversals,
// destination charges (a transfer and the connected account's `py_…` payment
// when the charge succeeds), application fees (destination and direct charges)
// and their refunds, payouts and top-ups, each with balance transactions on the
// accounts they touch. Transfers and fees are the platform's objects and events;
// the payments, refunds and debits they make are the connected account's.

export type Transfer = Shaped<'transfer'>;
export type TransferReversal = Shaped<'transfer_reversal'>;
export type ApplicationFee = Shaped<'application_fee'>;
export type FeeRefund = Shaped<'fee_refund'>;
export type Payout = Shaped<'payout'>;
export type Topup = Shaped<'topup'>;

const list = (url: string, data: StripeObject[]) => ({ object: 'list', data, has_more: false, total_count: data.length, url });

/** What an account can spend now in `currency`. */
function available(world: World, currency: string): number {
  const entry = (balance(world).available as { amount: number; currency: string }[]).find((a) => a.currency === currency);
  return entry?.amount ?? 0;
}

/** The connected account a platform names (`destination`, a fee's account), or Stripe's error naming `param`. */
function connectedAccount(ctx: Ctx, id: unknown, param: string): { connected: World; account: Account } {
  const platform = ctx.world;
  const connected = typeof id === 'string' ? platform.connected.get(id) : undefined;
  const account = connected && platform.get<Account>(connected.accountId);
  if (!connected || !account || account.deleted) throw errors.paramState(`No such destination: '${id}'`, param);
  return { connected, account };
}

/**
 * The connected account's side of money sent to it: a `py_…` payment (a charge
 * whose source is the platform's account) and its balance transaction.
 */
function destinationPayment(ctx: Ctx, connected: World, amount: number, currency: string, transferId: string, transferGroup: string | null, availableOn: 'now' | 'pending'): StripeObject {
  const on: Ctx = { ...ctx, world: connected };
  const id = connected.ids.next('py');
  const bt = createBalanceTransaction(on, { amount, currency, type: 'payment', reportingCategory: 'charge', source: id, description: null, availableImmediately: availableOn === 'now' });
  const platform = ctx.world;
  return connected.insert({
    id,
    object: 'charge',
    amount,
    amount_captured: amount,
    amount_refunded: 0,
    application: applicationId(platform),
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: bt.id,
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: null,
    captured: true,
    created: nowIn(ctx),
    currency,
    customer: null,
    description: null,
    destination: null,
    dispute: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    order: null,
    outcome: null,
    paid: true,
    payment_intent: null,
    payment_method: null,
    payment_method_details: { stripe_account: {}, type: 'stripe_account' },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: { id: platform.accountId, object: 'account' },
    source_transfer: transferId,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: transferGroup,
  });
}

// --- transfers ------------------------------------------------------------------

interface NewTransfer {
  amount: number;
  currency: string;
  destination: string;
  description?: string | null;
  metadata?: Record<string, string> | null;
  sourceTransaction?: string | null;
  transferGroup?: string | null;
  /** A destination charge's PaymentIntent: the transfer's id is in its family (recorded `tr_3…`). */
  family?: string | null;
}

/** Sends money from the platform (ctx) to a connected account: the transfer, both balance transactions, the `py_…` payment, transfer.created. */
export function makeTransfer(ctx: Ctx, t: NewTransfer): Transfer {
  const platform = ctx.world;
  const { connected, account } = connectedAccount(ctx, t.destination, 'destination');
  if (account.capabilities?.transfers !== 'active' && account.capabilities?.crypto_transfers !== 'active' && account.capabilities?.legacy_payments !== 'active') {
    throw errors.state('Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments', 'insufficient_capabilities_for_transfer');
  }
  // Without a source charge, a transfer draws the platform's available balance (docs/connect.md §3.3).
  if (!t.sourceTransaction && available(platform, t.currency) < t.amount) {
    throw errors.state(
      'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card. See: https://stripe.com/docs/testing#available-balance',
      'balance_insufficient',
    );
  }
  const id = transfers.newId(ctx, t.family);
  const bt = createBalanceTransaction(ctx, { amount: -t.amount, currency: t.currency, type: 'transfer', reportingCategory: 'transfer', source: id, description: t.description ?? null, family: t.family });
  const payment = destinationPayment(ctx, connected, t.amount, t.currency, id, t.transferGroup ?? null, t.sourceTransaction ? 'pending' : 'now');
  return transfers.insert(ctx, { metadata: t.metadata ?? undefined, description: t.description ?? undefined }, {
    id,
    amount: t.amount,
    amount_reversed: 0,
    balance_transaction: bt.id,
    currency: t.currency,
    destination: connected.accountId,
    destination_payment: payment.id,
    reversals: list(`/v1/transfers/${id}/reversals`, []),
    reversed: false,
    source_transaction: t.sourceTransaction ?? null,
    source_type: 'card',
    transfer_group: t.transferGroup ?? null,
  });
}

function createTransfer(ctx: Ctx, params: Params): Transfer {
  if (ctx.world.platform) throw errors.paramState(`No such destination: '${params.destination}'`, 'destination'); // a connected account has no connected accounts of its own
  const currency = String(params.currency).toLowerCase();
  if (params.source_transaction) {
    const charge = find(ctx, 'charge', params.source_transaction, 'source_transaction');
    if (charge.status !== 'succeeded') throw errors.paramState(`The source_transaction ${charge.id} has not succeeded.`, 'source_transaction'); // twin's wording (unverified)
  }
  return makeTransfer(ctx, {
    amount: params.amount,
    currency,
    destination: params.destination,
    description: params.description,
    metadata: params.metadata,
    sourceTransaction: params.source_transaction,
    transferGroup: params.transfer_group,
  });
}

/** Reverses part or all of a transfer: money back from the connected account, transfer.reversed. */
function reverseTransfer(ctx: Ctx, transfer: Transfer, params: Params): TransferReversal {
  const platform = ctx.world;
  const remaining = transfer.amount - transfer.amount_reversed;
  const amount: number = params.amount ?? remaining;
  if (remaining <= 0) throw errors.state(`Transfer ${transfer.id} has already been fully reversed.`); // twin's wording (unverified)
  if (amount > remaining) throw errors.paramState(`Reversal amount (${amount}) is greater than the amount not yet reversed (${remaining}).`, 'amount'); // twin's wording (unverified)
  const id = reversals.newId(ctx);
  const bt = createBalanceTransaction(ctx, { amount, currency: transfer.currency, type: 'transfer_refund', reportingCategory: 'transfer_reversal', source: id, description: null, availableImmediately: true });
  const connected = platform.connected.get(transfer.destination);
  let refundId: string | null = null;
  if (connected) {
    const on = { ...ctx, world: connected };
    refundId = connected.ids.next('pyr');
    const refundBt = createBalanceTransaction(on, { amount: -amount, currency: transfer.currency, type: 'payment_refund', reportingCategory: 'refund', source: refundId, description: null });
    connected.insert({ id: refundId, object: 'refund', amount, balance_transaction: refundBt.id, charge: transfer.destination_payment, created: nowIn(ctx), currency: transfer.currency, metadata: {}, reason: null, status: 'succeeded' });
    const payment = connected.get(transfer.destination_payment);
    if (payment) connected.replace({ ...payment, amount_refunded: payment.amount_refunded + amount, refunded: payment.amount_refunded + amount >= payment.amount });
  }
  const reversal = reversals.build(ctx, params, { id, amount, balance_transaction: bt.id, currency: transfer.currency, destination_payment_refund: refundId, source_refund: null, transfer: transfer.id });
  platform.insert(reversal);
  const reversed = transfer.amount_reversed + amount;
  const all = reversalsOf(platform, transfer.id);
  transfers.save(ctx, transfer, { ...transfer, amount_reversed: reversed, reversals: list(`/v1/transfers/${transfer.id}/reversals`, all.slice(0, 10)), reversed: reversed >= transfer.amount }, 'transfer.reversed');
  return reversal;
}

function reversalsOf(world: World, transferId: string): TransferReversal[] {
  return world.idsOf('transfer_reversal').map((id) => world.get<TransferReversal>(id)!).filter((r) => r.transfer === transferId).reverse();
}

export const transfers = defineResource<'transfer', Transfer>({
  object: 'transfer',
  prefix: 'tr',
  path: '/v1/transfers',
  create: createTransfer,
  defaults: { metadata: EMPTY },
  writable: { description: true, metadata: (value, current) => mergeMetadata(current, value) },
  events: { created: 'transfer.created', updated: 'transfer.updated' },
  filters: ['destination', 'transfer_group'],
});

export const reversals = defineResource<'transfer_reversal', TransferReversal>({
  object: 'transfer_reversal',
  prefix: 'trr',
  path: null,
  defaults: { metadata: EMPTY },
  writable: { metadata: (value, current) => mergeMetadata(current, value) },
});

const findReversal = (ctx: Ctx, transferId: string, id: string) => {
  const found = ctx.world.get<TransferReversal>(id);
  if (!found || found.object !== 'transfer_reversal' || found.transfer !== transferId) throw errors.resourceMissing('transfer_reversal', id);
  return found;
};

transfers.with(
  route('POST', '/v1/transfers/{id}/reversals', 'transfer_reversal', (ctx, params, path) => reverseTransfer(ctx, transfers.find(ctx, path.id), params)),
  route('GET', '/v1/transfers/{id}/reversals', { list: 'transfer_reversal' }, (ctx, _params, path) => {
    const transfer = transfers.find(ctx, path.id);
    return { ...list(`/v1/transfers/${transfer.id}/reversals`, reversalsOf(ctx.world, transfer.id)) } as any;
  }),
  route('GET', '/v1/transfers/{transfer}/reversals/{id}', 'transfer_reversal', (ctx, _params, path) => findReversal(ctx, transfers.find(ctx, path.transfer).id, path.id)),
  route('POST', '/v1/transfers/{transfer}/reversals/{id}', 'transfer_reversal', (ctx, params, path) => {
    const current = findReversal(ctx, transfers.find(ctx, path.transfer).id, path.id);
    return ctx.world.replace(reversals.apply(ctx, current, params));
  }),
);

// --- application fees -------------------------------------------------------------

/**
 * Collects an application fee for the platform from a payment on a connected
 * account: the fee (`fee_…` in the connected account's block, kept by the
 * platform), a credit on the platform and a debit on the connected account,
 * application_fee.created (a platform event).
 */
function collectFee(ctx: Ctx, connected: World, amount: number, currency: string, charge: string, originating: string | null): ApplicationFee {
  const platform = connected.platform!;
  const onPlatform: Ctx = { ...ctx, world: platform };
  const id = connected.ids.next('fee');
  const account = platform.get<Account>(connected.accountId);
  const bt = createBalanceTransaction(onPlatform, {
    amount,
    currency,
    type: 'application_fee',
    reportingCategory: 'platform_earning',
    source: id,
    description: `Application fee from application ${platform.config.accountName ?? platform.accountId} for ${account?.email ?? connected.accountId} (${connected.accountId})`,
  });
  createBalanceTransaction({ ...ctx, world: connected }, { amount: -amount, currency, type: 'application_fee', reportingCategory: 'platform_earning', source: id, description: null });
  return applicationFees.insert(onPlatform, {}, {
    id,
    account: connected.accountId,
    amount,
    amount_refunded: 0,
    application: applicationId(platform),
    balance_transaction: bt.id,
    charge,
    currency,
    fee_source: { charge, type: 'charge' },
    originating_transaction: originating,
    refunded: false,
    refunds: list(`/v1/application_fees/${id}/refunds`, []),
  });
}

function refundFee(ctx: Ctx, fee: ApplicationFee, params: Params): FeeRefund {
  const platform = ctx.world;
  const remaining = fee.amount - fee.amount_refunded;
  const amount: number = params.amount ?? remaining;
  if (remaining <= 0) throw errors.state(`Application fee ${fee.id} has already been refunded.`); // twin's wording (unverified)
  if (amount > remaining) throw errors.paramState(`Refund amount (${amount}) is greater than the amount not yet refunded (${remaining}).`, 'amount'); // twin's wording (unverified)
  const id = feeRefunds.newId(ctx);
  const bt = createBalanceTransaction(ctx, { amount: -amount, currency: fee.currency, type: 'application_fee_refund', reportingCategory: 'platform_earning_refund', source: id, description: null });
  const connected = platform.connected.get(fee.account);
  if (connected) createBalanceTransaction({ ...ctx, world: connected }, { amount, currency: fee.currency, type: 'application_fee_refund', reportingCategory: 'platform_earning_refund', source: id, description: null, availableImmediately: true });
  const refund = platform.insert(feeRefunds.build(ctx, params, { id, amount, balance_transaction: bt.id, currency: fee.currency, fee: fee.id }));
  const refunded = fee.amount_refunded + amount;
  const all = feeRefundsOf(platform, fee.id);
  applicationFees.save(ctx, fee, { ...fee, amount_refunded: refunded, refunded: refunded >= fee.amount, refunds: list(`/v1/application_fees/${fee.id}/refunds`, all.slice(0, 10)) }, 'application_fee.refunded');
  return refund;
}

function feeRefundsOf(world: World, feeId: string): FeeRefund[] {
  return world.idsOf('fee_refund').map((id) => world.get<FeeRefund>(id)!).filter((r) => r.fee === feeId).reverse();
}

export const applicationFees = defineResource<'application_fee', ApplicationFee>({
  object: 'application_fee',
  prefix: 'fee',
  path: '/v1/application_fees',
  name: 'application fee',
  events: { created: 'application_fee.created' },
  filters: ['charge'],
});

export const feeRefunds = defineResource<'fee_refund', FeeRefund>({
  object: 'fee_refund',
  prefix: 'fr',
  path: null,
  defaults: { metadata: EMPTY },
  writable: { metadata: (value, current) => mergeMetadata(current, value) },
  events: { updated: 'application_fee.refund.updated' },
});

const findFeeRefund = (ctx: Ctx, feeId: string, id: string) => {
  const found = ctx.world.get<FeeRefund>(id);
  if (!found || found.object !== 'fee_refund' || found.fee !== feeId) throw errors.resourceMissing('fee_refund', id);
  return found;
};

applicationFees.with(
  route('POST', '/v1/application_fees/{id}/refunds', 'fee_refund', (ctx, params, path) => refundFee(ctx, applicationFees.find(ctx, path.id), params)),
  // The older form answers the fee (Stripe's spec).
  route('POST', '/v1/application_fees/{id}/refund', 'application_fee', (ctx, params, path) => {
    const refund = refundFee(ctx, applicationFees.find(ctx, path.id), params);
    return ctx.world.get(refund.fee)!;
  }),
  route('GET', '/v1/application_fees/{id}/refunds', { list: 'fee_refund' }, (ctx, _params, path) => {
    const fee = applicationFees.find(ctx, path.id);
    return list(`/v1/application_fees/${fee.id}/refunds`, feeRefundsOf(ctx.world, fee.id)) as any;
  }),
  route('GET', '/v1/application_fees/{fee}/refunds/{id}', 'fee_refund', (ctx, _params, path) => findFeeRefund(ctx, applicationFees.find(ctx, path.fee).id, path.id)),
  route('POST', '/v1/application_fees/{fee}/refunds/{id}', 'fee_refund', (ctx, params, path) => {
    const current = findFeeRefund(ctx, applicationFees.find(ctx, path.fee).id, path.id);
    return feeRefunds.save(ctx, current, feeRefunds.apply(ctx, current, params));
  }),
);

// --- destination and direct charges ----------------------------------------------

/**
 * When a charge's money is taken (charge.succeeded captured, or charge.captured):
 * a destination charge (on the platform, `transfer_data[destination]`) transfers
 * the whole amount, or `transfer_data[amount]`, to the destination and collects
 * `application_fee_amount` back from it; a direct charge (on a connected account)
 * with `application_fee_amount` pays that fee to the platform. The charge names
 * its transfer and fee (no event: Stripe fills them in as the charge settles).
 */
function settleConnectCharge(ctx: Ctx, announced: StripeObject): void {
  const { world } = ctx;
  // Most charges move no Connect money: the event's snapshot says so without reading the world.
  if (!announced.transfer_data?.destination && !(world.platform && announced.application_fee_amount)) return;
  const chargeId = announced.id;
  const charge = world.get(chargeId);
  // Once its balance transaction exists: an automatic_async charge settles after its confirmation (recorded: no transfer yet in the confirm response).
  if (!charge || !charge.captured || charge.status !== 'succeeded' || !charge.balance_transaction || charge.transfer !== undefined || charge.application_fee) return;
  if (charge.transfer_data?.destination && !world.platform) {
    const amount = charge.transfer_data.amount ?? charge.amount_captured;
    const transfer = makeTransfer(ctx, {
      amount,
      currency: charge.currency,
      destination: charge.transfer_data.destination,
      sourceTransaction: charge.id,
      transferGroup: charge.transfer_group,
      family: charge.payment_intent,
    });
    let next = withKey(world.get(chargeId)!, 'transfer', transfer.id);
    const fee = charge.application_fee_amount;
    if (fee) {
      const connected = world.connected.get(transfer.destination)!;
      next = { ...next, application_fee: collectFee(ctx, connected, Math.min(fee, amount), charge.currency, transfer.destination_payment, charge.id).id };
    }
    world.replace(next);
  } else if (world.platform && charge.application_fee_amount) {
    const fee = collectFee(ctx, world, charge.application_fee_amount, charge.currency, charge.id, null);
    world.replace({ ...world.get(chargeId)!, application_fee: fee.id });
  }
}

react('charge.succeeded', 'a destination or direct charge moves its Connect money', (ctx, event) => settleConnectCharge(ctx, event.data.object));
react('charge.captured', 'a captured destination or direct charge moves its Connect money', (ctx, event) => settleConnectCharge(ctx, event.data.object));
react('charge.updated', 'a settled automatic_async destination or direct charge moves its Connect money', (ctx, event) => {
  if (event.data.previous_attributes && 'balance_transaction' in event.data.previous_attributes) settleConnectCharge(ctx, event.data.object);
});

// --- payouts -------------------------------------------------------------------------

/** Stripe's texts for payout failure codes (docs.stripe.com/api/payouts/failures, in Stripe's words as the docs list them; twin's reading). */
const PAYOUT_FAILURE_MESSAGES: Record<string, string> = {
  no_account: 'The bank account details on file are probably incorrect. No bank account could be located with those details.',
  account_closed: 'The bank account has been closed.',
  insufficient_funds: 'Your Stripe account has insufficient funds to cover the payout.',
  debit_not_authorized: 'Debit transactions are not approved on the bank account. (Stripe requires bank accounts to be set up for both credit and debit payouts.)',
  invalid_currency: 'The bank was unable to process this payout because of its currency. This is probably because the bank account cannot accept payments in that currency.',
  could_not_process: 'The bank could not process this payout.',
};

/** Days from a payout's creation to its arrival (twin choice: the next day at midnight UTC, on the account's clock). */
export const PAYOUT_DAYS = 1;

/** An account the twin opened for a key pays out to a test bank account of its own (made on first use: twin choice, it has no API to add one). */
function ownBankAccount(ctx: Ctx, currency: string): StripeObject | undefined {
  const { world } = ctx;
  if (world.platform) return undefined;
  const existing = defaultExternalAccount(world, currency);
  if (existing) return existing;
  return world.insert({
    id: world.ids.next('ba'), object: 'bank_account', account: world.accountId, account_holder_name: null, account_holder_type: null, account_type: null,
    available_payout_methods: ['standard', 'instant'], bank_name: 'STRIPE TEST BANK', country: 'US', currency, default_for_currency: true,
    fingerprint: world.ids.chars(16), future_requirements: null, last4: '6789', metadata: {}, requirements: null, routing_number: '110000000', status: 'new', created: nowIn(ctx),
  });
}

function createPayout(ctx: Ctx, params: Params): Payout {
  const { world } = ctx;
  const currency = String(params.currency).toLowerCase();
  let destination: StripeObject | undefined;
  if (params.destination) {
    destination = world.get(params.destination);
    if (!destination || destination.deleted || (destination.object !== 'bank_account' && destination.object !== 'card')) throw errors.resourceMissing('external account', params.destination, 'destination');
  } else destination = defaultExternalAccount(world, currency) ?? ownBankAccount(ctx, currency);
  if (!destination) throw errors.paramState(`Sorry, you don't have any external accounts in that currency (${currency}).`, 'currency');
  if (params.method === 'instant') throw errors.unsupportedParam('POST /v1/payouts', 'method');
  if (available(world, currency) < params.amount) {
    throw errors.state(
      'You have insufficient funds in your Stripe account for this transfer. Your card balance is too low.  You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).',
      'balance_insufficient',
    );
  }
  const id = payouts.newId(ctx);
  const bt = createBalanceTransaction(ctx, { amount: -params.amount, currency, type: 'payout', reportingCategory: 'payout', source: id, description: params.description ?? 'STRIPE PAYOUT' });
  const arrival = midnightAfter(world.now(), PAYOUT_DAYS);
  const payout = payouts.insert(ctx, params, {
    id,
    amount: params.amount,
    arrival_date: arrival,
    automatic: false,
    balance_transaction: bt.id,
    currency,
    destination: destination.id,
    method: 'standard',
    reconciliation_status: 'not_applicable',
    source_type: 'card',
    status: 'pending',
    trace_id: { status: 'pending', value: null },
    type: destination.object === 'card' ? 'card' : 'bank_account',
  });
  const failure = payoutFailureOf(world, destination.id);
  scheduleIn(ctx, arrival, ARRIVE, { id, failure });
  return payout;
}

const ARRIVE = declareTask<{ id: string; failure: string | null }>('payout.arrive', (later, { id, failure }) => arrive(later, id, failure));

/** A payout reaches its bank at its arrival date: paid, or failed with its bank's code (the money comes back). */
function arrive(ctx: Ctx, id: string, failure: string | null): void {
  const payout = ctx.world.get<Payout>(id);
  if (!payout || payout.status !== 'pending') return;
  if (!failure) {
    payouts.save(ctx, payout, { ...payout, status: 'paid', trace_id: { status: 'supported', value: null } }, 'payout.paid');
    return;
  }
  const bt = createBalanceTransaction(ctx, { amount: payout.amount, currency: payout.currency, type: 'payout_failure', reportingCategory: 'payout_reversal', source: id, description: null, availableImmediately: true });
  payouts.save(
    ctx,
    payout,
    { ...payout, failure_balance_transaction: bt.id, failure_code: failure, failure_message: PAYOUT_FAILURE_MESSAGES[failure] ?? null, status: 'failed' },
    'payout.failed',
  );
}

function cancelPayout(ctx: Ctx, payout: Payout): Payout {
  if (payout.status !== 'pending') throw errors.state(`Payouts can only be canceled while they are pending. This payout's status is ${payout.status}.`); // twin's wording (unverified)
  const bt = createBalanceTransaction(ctx, { amount: payout.amount, currency: payout.currency, type: 'payout_cancel', reportingCategory: 'payout_reversal', source: payout.id, description: null, availableImmediately: true });
  return payouts.save(ctx, payout, { ...payout, failure_balance_transaction: bt.id, status: 'canceled' }, 'payout.canceled');
}

export const payouts = defineResource<'payout', Payout>({
  object: 'payout',
  prefix: 'po',
  path: '/v1/payouts',
  create: createPayout,
  defaults: { metadata: EMPTY },
  writable: { description: true, metadata: (value, current) => mergeMetadata(current, value), statement_descriptor: true },
  unsupported: { create: ['payout_method', 'source_type'] },
  events: { created: 'payout.created', updated: 'payout.updated' },
  filters: ['destination', 'status'],
}).with(route('POST', '/v1/payouts/{payout}/cancel', 'payout', (ctx, _params, path) => cancelPayout(ctx, payouts.find(ctx, path.payout))));

// --- top-ups -------------------------------------------------------------------------

/** Top-up bank tokens that fail, with their codes (docs/connect.md §3.5). */
const TOPUP_FAILURES: Record<string, string> = {
  btok_us_verified_noAccount: 'no_account',
  btok_us_verified_accountClosed: 'account_closed',
  btok_us_verified_insufficientFunds: 'insufficient_funds',
  btok_us_verified_debitNotAuthorized: 'debit_not_authorized',
  btok_us_verified_invalidCurrency: 'invalid_currency',
};

/** Days until a top-up's funds arrive (twin choice: the next day at midnight UTC, on the account's clock). */
export const TOPUP_DAYS = 1;

function createTopup(ctx: Ctx, params: Params): Topup {
  const { world } = ctx;
  const currency = String(params.currency).toLowerCase();
  const expected = midnightAfter(world.now(), TOPUP_DAYS);
  const topup = topups.insert(ctx, params, { amount: params.amount, currency, expected_availability_date: expected, status: 'pending' });
  const failure = typeof params.source === 'string' ? (TOPUP_FAILURES[params.source] ?? null) : null;
  scheduleIn(ctx, expected, SETTLE_TOPUP, { id: topup.id, failure });
  return topup;
}

const SETTLE_TOPUP = declareTask<{ id: string; failure: string | null }>('topup.settle', (later, { id, failure }) => settleTopup(later, id, failure));

function settleTopup(ctx: Ctx, id: string, failure: string | null): void {
  const topup = ctx.world.get<Topup>(id);
  if (!topup || topup.status !== 'pending') return;
  if (failure) {
    topups.save(ctx, topup, { ...topup, failure_code: failure, failure_message: PAYOUT_FAILURE_MESSAGES[failure] ?? null, status: 'failed' }, 'topup.failed');
    return;
  }
  const bt = createBalanceTransaction(ctx, { amount: topup.amount, currency: topup.currency, type: 'topup', reportingCategory: 'topup', source: id, description: topup.description, availableImmediately: true });
  topups.save(ctx, topup, { ...topup, balance_transaction: bt.id, status: 'succeeded' }, 'topup.succeeded');
}

export const topups = defineResource<'topup', Topup>({
  object: 'topup',
  prefix: 'tu',
  path: '/v1/topups',
  create: createTopup,
  omit: ['initiated_by', 'payment_method'],
  defaults: { metadata: EMPTY },
  writable: { description: true, metadata: (value, current) => mergeMetadata(current, value), statement_descriptor: true, transfer_group: true },
  events: { created: 'topup.created', updated: 'topup.updated' },
  filters: ['status'],
}).with(
  route('POST', '/v1/topups/{topup}/cancel', 'topup', (ctx, _params, path) => {
    const topup = topups.find(ctx, path.topup);
    if (topup.status !== 'pending') throw errors.state(`This top-up can no longer be canceled. Its status is ${topup.status}.`); // twin's wording (unverified)
    return topups.save(ctx, topup, { ...topup, status: 'canceled' }, 'topup.canceled');
  }),
);

export const connectMoneyRoutes = [...transfers.routes, ...applicationFees.routes, ...payouts.routes, ...topups.routes];
