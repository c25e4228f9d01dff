import { declareTask } from '../../engine/clock';
import { emit } from '../../engine/events';
import { pinnedUnder } from '../../engine/exogenous';
import { Ctx, declareIndex, indexKey, StripeObject, World } from '../../engine/world';
import { midnightAfter } from '../common';
import { defineResource, route, Shaped } from '../../engine/resource';

// Balance and balance transactions (docs/stripe-facts.md §7): fees, pending →
// available on the world clock, `balance.available` when funds arrive.

export type BalanceTransaction = Shaped<'balance_transaction'>;

interface NewTransaction {
  amount: number;
  currency: string;
  fee?: number;
  feeDescription?: string;
  type: string;
  reportingCategory: string;
  source: string;
  description: string | null;
  /** The PaymentIntent the money belongs to, so the id shares its family (docs/stripe-facts.md §1.7). */
  family?: string | null;
  /** Credits wait for the payout delay unless the card skips pending (docs/stripe-facts.md §4.7); debits are immediate. */
  availableImmediately?: boolean;
}

export function createBalanceTransaction(ctx: Ctx, t: NewTransaction): BalanceTransaction {
  const { world } = ctx;
  // The balance is the account's: its transactions and their availability follow the
  // account clock, whatever clock the payment ran on (twin choice; not recorded).
  const now = world.now();
  const immediate = t.availableImmediately || t.amount < 0;
  const fee = t.fee ?? 0;
  const bt = balanceTransactions.insert(ctx, {}, {
    id: balanceTransactions.newId(ctx, t.family),
    amount: t.amount,
    available_on: immediate ? now : midnightAfter(now, world.config.payoutDelayDays),
    created: now,
    currency: t.currency,
    description: t.description,
    fee,
    fee_details: fee
      ? [{ amount: fee, application: null, currency: t.currency, description: t.feeDescription ?? 'Stripe processing fees', type: 'stripe_fee' }]
      : [],
    net: t.amount - fee,
    reporting_category: t.reportingCategory,
    source: t.source,
    status: immediate ? 'available' : 'pending',
    type: t.type,
  });
  addFunds(world, bt.status, bt.currency, bt.net);
  if (!immediate) scheduleRelease(world, bt.available_on);
  // Funds that skip pending (the 4000000000000077 card, the CLI's balance.available script) are announced too, once the request is done.
  else if (t.availableImmediately && t.amount > 0) announceAvailable(world);
  return bt;
}

/**
 * The account's running totals by status and currency (currencies in the order
 * first seen), kept as transactions arrive and funds are released, so reading
 * the balance never visits the transactions.
 */
interface Funds {
  currencies: readonly string[];
  available: Readonly<Record<string, number>>;
  pending: Readonly<Record<string, number>>;
}
const FUNDS = 'balance:funds';
const NO_FUNDS: Funds = Object.freeze({ currencies: [], available: {}, pending: {} });

function addFunds(world: World, status: 'available' | 'pending', currency: string, amount: number): void {
  const funds = (world.facts.get(FUNDS) as Funds | undefined) ?? NO_FUNDS;
  const known = funds.currencies.includes(currency);
  world.facts.set(FUNDS, Object.freeze({
    ...funds,
    currencies: known ? funds.currencies : [...funds.currencies, currency],
    [status]: { ...funds[status], [currency]: (funds[status][currency] ?? 0) + amount },
  }));
}

// Pending transactions by the day they become available.
declareIndex('balance_transaction', 'release', undefined, (bt) => (bt.status === 'pending' ? bt.available_on : null));

/** One release per payout day: that day's pending transactions become available and `balance.available` fires. */
function scheduleRelease(world: World, at: number): void {
  const fact = `release:${at}`;
  if (world.facts.has(fact)) return;
  world.facts.set(fact, true);
  world.schedule(at, RELEASE, { at });
}

const RELEASE = declareTask<{ at: number }>('balance.release', (ctx, { at }) => {
  const { world } = ctx;
  world.facts.delete(`release:${at}`);
  let released = false;
  for (const p of world.indexed('balance_transaction', 'release', indexKey(at))) {
    const bt = world.at<BalanceTransaction>('balance_transaction', p);
    if (bt.status === 'pending' && bt.available_on <= world.now()) {
      world.replace({ ...bt, status: 'available' });
      addFunds(world, 'pending', bt.currency, -bt.net);
      addFunds(world, 'available', bt.currency, bt.net);
      released = true;
    }
  }
  if (released) emit(ctx, 'balance.available', balance(world));
});

/** `balance.available` for funds that arrived available, once (after the request that brought them). */
function announceAvailable(world: World): void {
  if (world.facts.has('balance:announce')) return;
  world.facts.set('balance:announce', true);
  world.schedule(world.now(), ANNOUNCE, null);
}

const ANNOUNCE = declareTask<null>('balance.announce', (ctx) => {
  ctx.world.facts.delete('balance:announce');
  emit(ctx, 'balance.available', balance(ctx.world));
});

type Amounts = { amount: number; currency: string; source_types: { card: number } };

/**
 * The account balance: pinned opening balances (`balance.available.<currency>`,
 * `balance.pending.<currency>`), plus the balance transactions; usd is always listed.
 */
export function balance(world: World): StripeObject {
  const sums = { available: new Map<string, number>([['usd', 0]]), pending: new Map<string, number>([['usd', 0]]) };
  const add = (status: 'available' | 'pending', currency: string, amount: number) => {
    sums[status].set(currency, (sums[status].get(currency) ?? 0) + amount);
    const other = status === 'available' ? sums.pending : sums.available;
    if (!other.has(currency)) other.set(currency, 0);
  };
  for (const status of ['available', 'pending'] as const) {
    for (const [currency, amount] of Object.entries(pinnedUnder(world, `balance.${status}.`))) add(status, currency, amount as number);
  }
  const funds = (world.facts.get(FUNDS) as Funds | undefined) ?? NO_FUNDS;
  for (const currency of funds.currencies) {
    add('available', currency, funds.available[currency] ?? 0);
    add('pending', currency, funds.pending[currency] ?? 0);
  }
  const amounts = (m: Map<string, number>): Amounts[] =>
    [...m].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
  return {
    object: 'balance',
    available: amounts(sums.available),
    connect_reserved: [...sums.available.keys()].map((currency) => ({ amount: 0, currency })),
    livemode: false,
    pending: amounts(sums.pending),
  } as unknown as StripeObject;
}

export const balanceRoute = route('GET', '/v1/balance', 'balance', (ctx) => balance(ctx.world));

export const balanceTransactions = defineResource<'balance_transaction', BalanceTransaction>({
  object: 'balance_transaction',
  prefix: 'txn',
  path: '/v1/balance_transactions',
  defaults: { balance_type: 'payments' },
  filters: ['source', 'type'],
  routes: { list: false },
}).with(
  // `currency` matches in any case; the twin makes no payouts, so a `payout` filter keeps nothing.
  route('GET', '/v1/balance_transactions', { list: 'balance_transaction' }, (ctx, params) =>
    balanceTransactions.list(ctx, params, undefined, (bt) => (params.currency == null || bt.currency === params.currency.toLowerCase()) && params.payout == null),
  ),
);
