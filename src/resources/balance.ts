import { errors } from '../engine/errors';
import { emit } from '../engine/events';
import { pinnedUnder } from '../engine/exogenous';
import { paginate } from '../engine/list';
import { Ctx, StripeObject, World } from '../engine/world';
import { midnightAfter, route } from './common';

// Balance and balance transactions (stripe-behaviour.md §7): fees, pending →
// available on the world clock, `balance.available` when funds arrive.

export type BalanceTransaction = StripeObject & {
  object: 'balance_transaction';
  amount: number;
  net: number;
  currency: string;
  status: 'pending' | 'available';
  available_on: number;
};

interface NewTransaction {
  amount: number;
  currency: string;
  fee?: number;
  feeDescription?: string;
  type: string;
  reportingCategory: string;
  source: string;
  description: string | null;
  /** The PaymentIntent the money belongs to, so the id shares its family (§1.7). */
  family?: string | null;
  /** Credits wait for the payout delay unless the card skips pending (§4.7); debits are immediate. */
  availableImmediately?: boolean;
}

export function createBalanceTransaction(ctx: Ctx, t: NewTransaction): BalanceTransaction {
  const { world } = ctx;
  const now = world.now();
  const immediate = t.availableImmediately || t.amount < 0;
  const fee = t.fee ?? 0;
  const bt = world.insert<BalanceTransaction>({
    id: world.ids.next('txn', t.family),
    object: 'balance_transaction',
    amount: t.amount,
    available_on: immediate ? now : midnightAfter(now, world.config.payoutDelayDays),
    balance_type: 'payments',
    created: now,
    currency: t.currency,
    description: t.description,
    exchange_rate: null,
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
  if (!immediate) scheduleRelease(world, bt.available_on);
  return bt;
}

/** One release per payout day: pending transactions become available and `balance.available` fires. */
function scheduleRelease(world: World, at: number): void {
  const fact = `release:${at}`;
  if (world.facts.has(fact)) return;
  world.facts.set(fact, true);
  world.schedule(at, (ctx) => {
    world.facts.delete(fact);
    let released = false;
    for (const id of world.idsOf('balance_transaction')) {
      const bt = world.get<BalanceTransaction>(id)!;
      if (bt.status === 'pending' && bt.available_on <= world.now()) {
        world.replace({ ...bt, status: 'available' });
        released = true;
      }
    }
    if (released) emit(ctx, 'balance.available', balance(world));
  });
}

type Funds = { amount: number; currency: string; source_types: { card: number } };

/**
 * The account balance: pinned opening balances (`balance.available.<currency>`,
 * `balance.pending.<currency>`), plus the balance transactions; usd is always listed.
 */
export function balance(world: World): StripeObject {
  const sums = { available: new Map<string, number>([['usd', 0]]), pending: new Map<string, number>([['usd', 0]]) };
  for (const status of ['available', 'pending'] as const) {
    for (const [currency, amount] of Object.entries(pinnedUnder(world, `balance.${status}.`))) {
      sums[status].set(currency, (sums[status].get(currency) ?? 0) + (amount as number));
      const other = status === 'available' ? sums.pending : sums.available;
      if (!other.has(currency)) other.set(currency, 0);
    }
  }
  for (const id of world.idsOf('balance_transaction')) {
    const bt = world.get<BalanceTransaction>(id)!;
    const bucket = sums[bt.status];
    bucket.set(bt.currency, (bucket.get(bt.currency) ?? 0) + bt.net);
    const other = bt.status === 'available' ? sums.pending : sums.available;
    if (!other.has(bt.currency)) other.set(bt.currency, 0);
  }
  const funds = (m: Map<string, number>): Funds[] =>
    [...m].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
  return {
    object: 'balance',
    available: funds(sums.available),
    connect_reserved: [...sums.available.keys()].map((currency) => ({ amount: 0, currency })),
    livemode: false,
    pending: funds(sums.pending),
  } as unknown as StripeObject;
}

export const balanceRoutes = [
  route('GET', '/v1/balance', 'balance', (ctx) => balance(ctx.world)),
  route('GET', '/v1/balance_transactions/{id}', 'balance_transaction', (ctx, _p, path) => {
    const bt = ctx.world.get(path.id);
    if (!bt || bt.object !== 'balance_transaction') throw errors.resourceMissing('balance_transaction', path.id);
    return bt;
  }),
  route('GET', '/v1/balance_transactions', { list: 'balance_transaction' }, (ctx, params) =>
    paginate<BalanceTransaction>(ctx.world, 'balance_transaction', '/v1/balance_transactions', params, (bt) =>
      (params.currency == null || bt.currency === params.currency.toLowerCase()) &&
      (params.source == null || bt.source === params.source) &&
      (params.type == null || bt.type === params.type) &&
      params.payout == null,
    ),
  ),
];
