import { errors } from '../../engine/errors';
import { Ctx } from '../../engine/world';
import type { PaymentMethod } from '../payments/payment_methods';
import type { CheckoutSession } from './session_state';

// Completing a subscription-mode Checkout Session (billing notes §7.1, §8.7):
// Checkout makes the subscription (incomplete until its first invoice is paid),
// then the session completes. Not modeled yet: subscriptions are built apart and
// wired here. When this is called, the session is open and already has its
// customer (made by submitSession when none was given: customer.created comes
// first, as §8.7 lists). What the subscription needs is kept by the session:
// its line items (`lineItemsOf(world, session.id)` in ./line_items.ts) and
// `subscription_data` (`sessionData(world, session.id).subscription_data`:
// `trial_period_days`, `metadata`). Once the first invoice is paid (or a trial
// needs no payment), call `completeSession(ctx, session, { subscription, invoice,
// payment_status })` from ./session_state.ts: checkout.session.completed then
// follows the subscription's events.

export function completeSubscriptionSession(ctx: Ctx, session: CheckoutSession, paymentMethod: PaymentMethod): CheckoutSession {
  void ctx;
  void paymentMethod;
  // A validation-stage 501: nothing the submit did (the customer it made) is kept.
  throw errors.unsupportedBehaviour(`completing a subscription-mode Checkout Session (${session.id})`);
}
