import { Params } from '../../engine/params';
import { Ctx } from '../../engine/world';
import { createSubscription } from '../billing/subscriptions';
import { attachPaymentMethod, PaymentMethod } from '../payments/payment_methods';
import { lineItemsOf } from './line_items';
import { CheckoutSession, completeSession } from './session_state';

// Completing a subscription-mode Checkout Session (docs/billing.md §7.1, §8.7): the
// card is attached to the session's customer (made by submitSession when none was
// given), then Checkout makes the subscription the way the API does: incomplete,
// its first invoice finalized and charged with that card, active once paid (a
// trial: nothing to charge). Recurring line items become its items, one-time ones
// go on its first invoice; `subscription_data` gives its trial and metadata. Then
// the session completes, after the subscription's events. A decline makes nothing
// (error_if_incomplete) and answers Stripe's 402, so the session stays open for
// another card; a card that asks for 3D Secure is not modeled on this path (its
// challenge is the payment mode's).

export function completeSubscriptionSession(ctx: Ctx, session: CheckoutSession, paymentMethod: PaymentMethod, data: Params): CheckoutSession {
  const pm = paymentMethod.customer ? paymentMethod : attachPaymentMethod(ctx, paymentMethod, session.customer!);
  const items = lineItemsOf(ctx.world, session.id);
  const recurring = items.filter((i) => i.price.type === 'recurring');
  const oneTime = items.filter((i) => i.price.type !== 'recurring');
  const subscriptionData = data.subscription_data ?? {};
  const sub = createSubscription(ctx, {
    customer: session.customer,
    items: recurring.map((i) => ({ price: i.price.id, quantity: i.quantity })),
    add_invoice_items: oneTime.map((i) => ({ price: i.price.id, quantity: i.quantity })),
    default_payment_method: pm.id,
    payment_behavior: 'error_if_incomplete',
    off_session: false,
    trial_period_days: subscriptionData.trial_period_days,
    metadata: subscriptionData.metadata,
  });
  return completeSession(ctx, session, {
    subscription: sub.id,
    invoice: sub.latest_invoice,
    payment_status: sub.status === 'trialing' ? 'no_payment_required' : 'paid',
  });
}
