import { errors } from '../../engine/errors';
import { emit } from '../../engine/events';
import { registerIncludable } from '../../engine/expand';
import { checkCurrency } from '../../engine/money';
import { Params } from '../../engine/params';
import { defineResource, find, route, Shaped } from '../../engine/resource';
import { Ctx, indexKey, StripeObject } from '../../engine/world';
import type { Customer } from '../core/customers';
import { createBalanceTransaction } from '../core/balance';
import { charges, receiptUrl } from './charges';
import { paymentIntentMachine } from './intent_machines';
import { PaymentMethod } from './payment_methods';

// Bank transfers into a customer's cash balance (Stripe's API reference:
// cash_balance, customer_cash_balance_transaction, the fund_cash_balance test
// helper; docs/bank-payments.md). A PaymentIntent paying with `customer_balance`
// and `funding_type=bank_transfer` waits in requires_action showing
// `display_bank_transfer_instructions` (the customer's virtual bank account and a
// reference). Funds arriving (the test helper) are `funded` into the customer's
// cash balance (customer_cash_balance_transaction.created,
// cash_balance.funds_available), then applied automatically to the customer's
// waiting intents — the one whose reference the transfer names first, then the
// oldest (twin choice) — as `applied_to_payment` transactions: an intent paid in
// part stays in requires_action with less remaining
// (payment_intent.partially_funded); one paid in full succeeds with its charge.
// Funds no intent takes stay in the cash balance for the next confirmation.
// This balance is not the invoice credit balance (core/customer_balance.ts).

export type CashBalanceTransaction = Shaped<'customer_cash_balance_transaction'>;

/** Bank transfer types and the financial address each shows (Stripe's types; the addresses are the twin's test values). */
const TRANSFER_TYPES = ['eu_bank_transfer', 'gb_bank_transfer', 'jp_bank_transfer', 'mx_bank_transfer', 'us_bank_transfer'] as const;
type TransferType = (typeof TRANSFER_TYPES)[number];
const DEFAULT_TRANSFER: Record<string, TransferType> = { eur: 'eu_bank_transfer', gbp: 'gb_bank_transfer', jpy: 'jp_bank_transfer', mxn: 'mx_bank_transfer', usd: 'us_bank_transfer' };

const balanceFact = (customer: string) => `cash_balance:${customer}`;
const referenceFact = (pi: string) => `transfer_reference:${pi}`;

/** The customer's cash balance per currency (absent until funded). */
function balances(ctx: Ctx, customer: string): Record<string, number> {
  return (ctx.world.facts.get(balanceFact(customer)) as Record<string, number> | undefined) ?? {};
}

/** The `cash_balance` object (it has no id of its own). */
export function cashBalance(ctx: Ctx, customer: string): StripeObject {
  const available = balances(ctx, customer);
  return {
    object: 'cash_balance',
    available: Object.keys(available).length ? { ...available } : null,
    customer,
    customer_account: null,
    livemode: false,
    settings: { reconciliation_mode: 'automatic', using_merchant_default: true },
  } as unknown as StripeObject;
}

registerIncludable('customer', 'cash_balance', { link: 'obj:cash_balance', compute: (ctx, customer) => cashBalance(ctx, customer.id) });

/** Records a cash balance transaction of `net` (moving the balance) and announces it. */
function record(ctx: Ctx, customer: string, currency: string, net: number, type: string, detail: Record<string, unknown>): CashBalanceTransaction {
  const available = { ...balances(ctx, customer) };
  available[currency] = (available[currency] ?? 0) + net;
  ctx.world.facts.set(balanceFact(customer), available);
  return cashBalanceTransactions.insert(ctx, {}, {
    id: cashBalanceTransactions.newId(ctx, customer),
    currency,
    customer,
    ending_balance: available[currency],
    net_amount: net,
    type,
    ...detail,
  });
}

// --- PaymentIntents ---------------------------------------------------------

/** The customer's virtual bank account for `type` (stable per customer: drawn once from the world's id stream). */
function financialAddress(ctx: Ctx, customer: string, type: TransferType): Record<string, unknown> {
  const fact = `financial_address:${customer}:${type}`;
  const known = ctx.world.facts.get(fact) as Record<string, unknown> | undefined;
  if (known) return known;
  const { ids } = ctx.world;
  const holder = ctx.world.config.statementDescriptor;
  const address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
  const made: Record<string, Record<string, unknown>> = {
    us_bank_transfer: { aba: { account_holder_address: address, account_holder_name: holder, account_number: ids.digits(12), account_type: 'checking', bank_address: address, bank_name: 'STRIPE TEST BANK', routing_number: '110000000' }, supported_networks: ['ach', 'domestic_wire_us'], type: 'aba' },
    eu_bank_transfer: { iban: { account_holder_address: address, account_holder_name: holder, bank_address: address, bic: 'SXPYDEHH', country: 'DE', iban: `DE${ids.digits(20)}` }, supported_networks: ['sepa'], type: 'iban' },
    gb_bank_transfer: { sort_code: { account_holder_address: address, account_holder_name: holder, account_number: ids.digits(8), bank_address: address, sort_code: '040075' }, supported_networks: ['bacs', 'fps'], type: 'sort_code' },
    jp_bank_transfer: { supported_networks: ['zengin'], type: 'zengin', zengin: { account_holder_address: address, account_holder_name: holder, account_number: ids.digits(7), account_type: 'futsu', bank_address: address, bank_code: '0009', bank_name: 'STRIPE TEST BANK', branch_code: ids.digits(3), branch_name: 'TEST BRANCH' } },
    mx_bank_transfer: { spei: { account_holder_address: address, account_holder_name: holder, bank_address: address, bank_code: '002', bank_name: 'STRIPE TEST BANK', clabe: ids.digits(18) }, supported_networks: ['spei'], type: 'spei' },
  };
  ctx.world.facts.set(fact, made[type]);
  return made[type];
}

/** The bank transfer type an intent asked for (`payment_method_options[customer_balance][bank_transfer][type]`), else its currency's. */
function transferType(pi: StripeObject): TransferType {
  const asked = pi.payment_method_options?.customer_balance?.bank_transfer?.type as string | undefined;
  return (TRANSFER_TYPES as readonly string[]).includes(asked ?? '') ? (asked as TransferType) : DEFAULT_TRANSFER[pi.currency] ?? 'us_bank_transfer';
}

function instructions(ctx: Ctx, pi: StripeObject, remaining: number): Record<string, unknown> {
  const type = transferType(pi);
  return {
    display_bank_transfer_instructions: {
      amount_remaining: remaining,
      currency: pi.currency,
      financial_addresses: [financialAddress(ctx, pi.customer, type)],
      hosted_instructions_url: `https://payments.stripe.com/bank_transfers/instructions/test_${ctx.world.ids.chars(40)}`,
      reference: ctx.world.facts.get(referenceFact(pi.id)),
      type,
    },
    type: 'display_bank_transfer_instructions',
  };
}

/**
 * Confirming with `customer_balance` (after confirmation.ts's checks): a customer
 * and `funding_type=bank_transfer` are needed; what the cash balance already holds
 * pays first, and the rest waits for a transfer.
 */
export function confirmCustomerBalance<T extends StripeObject>(ctx: Ctx, pi: T, pm: PaymentMethod): T {
  if (!pi.customer) {
    // Stripe's text (unverified).
    throw errors.state('A customer is required to use the customer_balance payment method. Please provide a customer when creating or updating the PaymentIntent.', undefined, { payment_intent: pi });
  }
  if (pi.payment_method_options?.customer_balance?.funding_type !== 'bank_transfer') {
    throw errors.paramState('The customer_balance payment method requires `payment_method_options[customer_balance][funding_type]` to be `bank_transfer`.', 'payment_method_options[customer_balance][funding_type]');
  }
  ctx.world.facts.set(referenceFact(pi.id), ctx.world.ids.chars(12, 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'));
  const available = balances(ctx, pi.customer)[pi.currency] ?? 0;
  // Enough in the balance already: paid at once, no instructions shown (twin choice).
  if (available >= pi.amount) {
    record(ctx, pi.customer, pi.currency, -pi.amount, 'applied_to_payment', { applied_to_payment: { payment_intent: pi.id } });
    return payInFull(ctx, { ...pi, payment_method: pm.id }, 'confirm') as T;
  }
  const waiting = paymentIntentMachine.transition(ctx, pi, 'confirm', paymentIntentMachine.state.requires_action, {
    payment_method: pm.id,
    next_action: instructions(ctx, pi, pi.amount),
  });
  return available > 0 ? (applyFunds(ctx, waiting, available) as T) : waiting;
}

/** Applies up to `available` of the customer's cash balance to `pi`; returns the intent as it ends. */
function applyFunds(ctx: Ctx, pi: StripeObject, available: number): StripeObject {
  const remaining: number = pi.next_action.display_bank_transfer_instructions.amount_remaining;
  const applied = Math.min(available, remaining);
  record(ctx, pi.customer, pi.currency, -applied, 'applied_to_payment', { applied_to_payment: { payment_intent: pi.id } });
  if (applied < remaining) {
    return paymentIntentMachine.transition(ctx, pi, 'settle', paymentIntentMachine.state.requires_action, {
      next_action: { ...pi.next_action, display_bank_transfer_instructions: { ...pi.next_action.display_bank_transfer_instructions, amount_remaining: remaining - applied } },
    });
  }
  return payInFull(ctx, pi, 'settle');
}

/** The intent paid (by its confirmation, or by funds arriving): its charge (with a balance transaction) and success. */
function payInFull(ctx: Ctx, pi: StripeObject, step: 'confirm' | 'settle'): StripeObject {
  const { world } = ctx;
  const pm = world.get<PaymentMethod>(pi.payment_method)!;
  let charge = charges.insert(ctx, {}, {
    id: charges.newId(ctx, pi.id),
    amount: pi.amount,
    amount_captured: pi.amount,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: world.config.statementDescriptor.toUpperCase(),
    captured: true,
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    metadata: pi.metadata ?? {},
    outcome: {
      advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network',
      reason: null, risk_level: 'not_assessed', seller_message: 'Payment complete.', type: 'authorized',
    },
    paid: true,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: { customer_balance: {}, type: 'customer_balance' },
    receipt_email: pi.receipt_email ?? null,
    receipt_url: receiptUrl(world),
    shipping: pi.shipping ?? null,
    statement_descriptor: pi.statement_descriptor ?? null,
    statement_descriptor_suffix: pi.statement_descriptor_suffix ?? null,
    status: 'succeeded',
    transfer_group: pi.transfer_group ?? null,
  });
  // Twin choice: no fee on a payment from the cash balance (Stripe prices bank transfers per country).
  const bt = createBalanceTransaction(ctx, { amount: pi.amount, currency: pi.currency, fee: 0, type: 'payment', reportingCategory: 'charge', source: charge.id, description: charge.description, family: pi.id });
  charge = world.replace({ ...charge, balance_transaction: bt.id });
  return paymentIntentMachine.transition(ctx, pi, step, paymentIntentMachine.state.succeeded, { amount_received: pi.amount, next_action: null, latest_charge: charge.id, last_payment_error: null }, [['charge.succeeded', charge]]);
}

// --- funding ----------------------------------------------------------------

/** The customer's intents waiting for a transfer in `currency`: the one `reference` names first, then the oldest. */
function waitingIntents(ctx: Ctx, customer: string, currency: string, reference: string | null): StripeObject[] {
  const { world } = ctx;
  const open = world
    .indexed('payment_intent', 'customer', indexKey(customer))
    .map((p) => world.at('payment_intent', p))
    .filter((pi) => pi.customer === customer && pi.status === 'requires_action' && pi.currency === currency && pi.next_action?.type === 'display_bank_transfer_instructions');
  const named = open.filter((pi) => reference && world.facts.get(referenceFact(pi.id)) === reference);
  return [...named, ...open.filter((pi) => !named.includes(pi))];
}

/** POST /v1/test_helpers/customers/:id/fund_cash_balance: a bank transfer arrives and is reconciled. */
function fundCashBalance(ctx: Ctx, customer: Customer, params: Params): CashBalanceTransaction {
  const currency = checkCurrency(params.currency);
  const amount = params.amount as number;
  if (!Number.isInteger(amount) || amount <= 0) throw errors.paramState('Amount must be a positive integer.', 'amount');
  const reference: string | null = params.reference ?? null;
  const type = DEFAULT_TRANSFER[currency] ?? 'us_bank_transfer';
  const sender: Record<TransferType, Record<string, unknown>> = {
    eu_bank_transfer: { bic: 'BANKDEAAXXX', iban_last4: '7089', sender_name: 'Sample Business GmbH' },
    gb_bank_transfer: { account_number_last4: '4321', sender_name: 'Sample Business Ltd', sort_code: '040075' },
    jp_bank_transfer: { sender_bank: 'STRIPE TEST BANK', sender_branch: 'TEST BRANCH', sender_name: 'TEST SENDER' },
    mx_bank_transfer: { sender_bank: 'STRIPE TEST BANK', sender_name: 'Sample Business' },
    us_bank_transfer: { network: 'ach', sender_name: 'Sample Business' },
  };
  const funded = record(ctx, customer.id, currency, amount, 'funded', {
    funded: { bank_transfer: { [type]: sender[type], reference, type } },
  });
  emit(ctx, 'cash_balance.funds_available', cashBalance(ctx, customer.id));
  for (const pi of waitingIntents(ctx, customer.id, currency, reference)) {
    const available = balances(ctx, customer.id)[currency] ?? 0;
    if (available <= 0) break;
    applyFunds(ctx, pi, available);
  }
  return funded;
}

const TRANSACTIONS = '/v1/customers/{customer}/cash_balance_transactions';
const customerOf = (ctx: Ctx, path: Record<string, string>) => find<Customer>(ctx, 'customer', path.customer);

export const cashBalanceTransactions = defineResource<'customer_cash_balance_transaction', CashBalanceTransaction>({
  object: 'customer_cash_balance_transaction',
  prefix: 'ccsbtxn',
  path: TRANSACTIONS,
  indexes: ['customer'],
  events: { created: 'customer_cash_balance_transaction.created' },
  routes: { retrieve: false, list: false },
});

export const cashBalanceRoutes = [
  route('GET', '/v1/customers/{customer}/cash_balance', 'cash_balance', (ctx, _p, path) => cashBalance(ctx, customerOf(ctx, path).id)),
  route('POST', '/v1/customers/{customer}/cash_balance', 'cash_balance', (ctx, params, path) => {
    const customer = customerOf(ctx, path);
    // Twin choice: reconciliation is always automatic; asking for manual is not modeled.
    if (params.settings?.reconciliation_mode === 'manual') throw errors.unsupportedParam('POST /v1/customers/{customer}/cash_balance', 'settings[reconciliation_mode]=manual');
    return cashBalance(ctx, customer.id);
  }),
  route('GET', TRANSACTIONS, { list: 'customer_cash_balance_transaction' }, (ctx, params, path) => {
    const customer = customerOf(ctx, path);
    return cashBalanceTransactions.list(ctx, params, `/v1/customers/${customer.id}/cash_balance_transactions`, (t) => t.customer === customer.id, { customer: customer.id });
  }),
  route('GET', `${TRANSACTIONS}/{transaction}`, 'customer_cash_balance_transaction', (ctx, _p, path) => {
    const customer = customerOf(ctx, path);
    const transaction = cashBalanceTransactions.find(ctx, path.transaction);
    if (transaction.customer !== customer.id) throw errors.resourceMissing('customer_cash_balance_transaction', path.transaction);
    return transaction;
  }),
  route('POST', '/v1/test_helpers/customers/{customer}/fund_cash_balance', 'customer_cash_balance_transaction', (ctx, params, path) =>
    fundCashBalance(ctx, customerOf(ctx, path), params),
  ),
];
