import { errors, StripeError } from '../../engine/errors';
import { checkCurrency } from '../../engine/money';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';
import { Customer, saveCustomer } from './customers';

// Customer balance transactions (shape and rules from Stripe's types and API
// reference): the ledger of a customer's invoice balance. Each entry moves `customer.balance`
// (negative = credit the next invoices use, positive = owed) and records the
// balance after it (`ending_balance`). The API makes `adjustment` entries;
// invoices, credit notes and Checkout make theirs through adjustCustomerBalance.
// Only description and metadata change afterwards. Stripe's event list has no
// event of their own; the customer's change is announced by customer.updated
// (with previous_attributes; twin choice, unverified).

export type CustomerBalanceTransaction = Shaped<'customer_balance_transaction'>;

export interface BalanceEntry {
  amount: number;
  currency: string;
  type: string;
  invoice?: string | null;
  credit_note?: string | null;
  checkout_session?: string | null;
  description?: string | null;
}

/**
 * A customer with a currency takes balance entries in that currency only. Stripe's
 * text for combining currencies on one customer, as reported for subscriptions,
 * coupons and invoice items (unverified for balance transactions).
 */
const otherCurrency = (currency: string) =>
  new StripeError(
    400,
    {
      type: 'invalid_request_error',
      message: `Can't combine currencies on a single customer. This customer has had a subscription, coupon, or invoice item with currency ${currency}`,
      param: 'currency',
    },
    'validation',
  );

function record(ctx: Ctx, customerId: string, entry: BalanceEntry, metadata?: Params | null): CustomerBalanceTransaction {
  const customer = find<Customer>(ctx, 'customer', customerId, 'customer');
  const currency = checkCurrency(entry.currency);
  if (customer.currency !== null && customer.currency !== undefined && customer.currency !== currency) throw otherCurrency(customer.currency);
  const balance = customer.balance + entry.amount;
  const transaction = customerBalanceTransactions.insert(ctx, {}, {
    amount: entry.amount,
    checkout_session: entry.checkout_session ?? null,
    credit_note: entry.credit_note ?? null,
    currency,
    customer: customer.id,
    description: entry.description ?? null,
    ending_balance: balance,
    invoice: entry.invoice ?? null,
    metadata: mergeMetadata(EMPTY, metadata),
    type: entry.type,
  });
  saveCustomer(ctx, customer, { ...customer, balance, currency });
  return transaction;
}

/**
 * Records a balance transaction of `customerId` (ending_balance), moves customer.balance
 * (negative = credit), sets the customer's currency when it had none, refuses another
 * currency than the customer's, and announces the change with customer.updated.
 */
export function adjustCustomerBalance(ctx: Ctx, customerId: string, entry: BalanceEntry): CustomerBalanceTransaction {
  return record(ctx, customerId, entry);
}

/** The transaction `id` of `customer`; another customer's is as missing (twin choice). */
function ownTransaction(ctx: Ctx, customer: Customer, id: string): CustomerBalanceTransaction {
  const transaction = customerBalanceTransactions.find(ctx, id);
  if (transaction.customer !== customer.id) throw errors.resourceMissing('customer_balance_transaction', id);
  return transaction;
}

const PATH = '/v1/customers/{customer}/balance_transactions';
const ITEM = `${PATH}/{transaction}`;
const customerOf = (ctx: Ctx, path: Record<string, string>) => find<Customer>(ctx, 'customer', path.customer);

export const customerBalanceTransactions = defineResource<'customer_balance_transaction', CustomerBalanceTransaction>({
  object: 'customer_balance_transaction',
  prefix: 'cbtxn',
  path: PATH,
  defaults: { metadata: EMPTY },
  writable: {
    description: true,
    metadata: (value, current) => mergeMetadata(current, value),
  },
  indexes: ['customer'],
  routes: { retrieve: false, list: false, update: false },
}).with(
  route('POST', PATH, 'customer_balance_transaction', (ctx, params, path) => {
    const customer = customerOf(ctx, path);
    const entry = { amount: params.amount, currency: params.currency, type: 'adjustment', description: params.description ?? null };
    return record(ctx, customer.id, entry, params.metadata);
  }),
  route('GET', ITEM, 'customer_balance_transaction', (ctx, _p, path) => ownTransaction(ctx, customerOf(ctx, path), path.transaction)),
  route('POST', ITEM, 'customer_balance_transaction', (ctx, params, path) => {
    const current = ownTransaction(ctx, customerOf(ctx, path), path.transaction);
    return customerBalanceTransactions.save(ctx, current, customerBalanceTransactions.apply(ctx, current, params));
  }),
  route('GET', PATH, { list: 'customer_balance_transaction' }, (ctx, params, path) => {
    const customer = customerOf(ctx, path);
    const invoice: string | null = params.invoice ?? null;
    const url = `/v1/customers/${customer.id}/balance_transactions`;
    return customerBalanceTransactions.list(ctx, params, url, (t) => t.customer === customer.id && (invoice === null || t.invoice === invoice), { customer: customer.id });
  }),
);
