import Stripe from 'stripe';
import { Harness } from '../helpers';

// Helpers for comparing a world made with control triggers (or pins) with the
// world the matching Stripe test value makes: everything a client can read
// through the SDK, and the same flow run twice on one key (reset in between),
// so that ids, secrets and times line up and any difference is a real one.

/** Everything the SDK can list in a world, events included (newest first, as Stripe lists). */
export async function worldOf(stripe: Stripe) {
  const page = { limit: 100 };
  return {
    payment_intents: (await stripe.paymentIntents.list(page)).data,
    setup_intents: (await stripe.setupIntents.list(page)).data,
    payment_methods: (await stripe.paymentMethods.list(page as Stripe.PaymentMethodListParams)).data,
    charges: (await stripe.charges.list(page)).data,
    refunds: (await stripe.refunds.list(page)).data,
    disputes: (await stripe.disputes.list(page)).data,
    balance_transactions: (await stripe.balanceTransactions.list(page)).data,
    balance: await stripe.balance.retrieve(),
    events: (await stripe.events.list(page)).data,
  };
}

/** The body of a Stripe error as the SDK got it, without transport details. */
export function errorBody(e: any): Record<string, unknown> {
  if (!e?.raw) throw e;
  const { headers: _h, statusCode, requestId: _r, ...body } = e.raw;
  return { statusCode, ...body };
}

/**
 * Replaces what tells two test cards apart — the card number's last four digits
 * and its fingerprint — so a flow on pm_card_visa compares with one on a decline
 * card; and the idempotency keys stripe-node makes up (random) for each POST.
 */
export function maskCard<T>(value: T, keys = ['last4', 'fingerprint']): T {
  if (Array.isArray(value)) return value.map((v) => maskCard(v, keys)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        keys.includes(k) ? '<card>' : k === 'idempotency_key' && typeof v === 'string' && v.startsWith('stripe-node-retry-') ? '<sdk key>' : maskCard(v, keys),
      ]),
    ) as T;
  }
  return value;
}

export interface Run<R> {
  result: R;
  world: Awaited<ReturnType<typeof worldOf>>;
}

/**
 * Runs `a` and then `b` on the same fresh key, resetting the world in between
 * (same seed ⇒ same id streams), and returns what each left behind.
 */
export async function pair<R>(
  h: Harness,
  key: string,
  a: (stripe: Stripe) => Promise<R>,
  b: (stripe: Stripe) => Promise<R>,
): Promise<[Run<R>, Run<R>]> {
  const stripe = h.stripe(key);
  const first = { result: await a(stripe), world: await worldOf(stripe) };
  expect((await h.admin('POST', '/__admin__/reset', undefined, key)).status).toBe(200);
  const second = { result: await b(stripe), world: await worldOf(stripe) };
  return [first, second];
}
