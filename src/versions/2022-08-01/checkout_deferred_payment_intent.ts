import { VersionChange } from '../../engine/versions';
import { createSessionPaymentIntent } from '../../resources/checkout/sessions';
import type { CheckoutSession } from '../../resources/checkout/session_state';
import { isRoute } from '../helpers';

// CL 2022-08-01/deferred-paymentintent-checkout-session: a payment-mode Checkout
// Session makes its PaymentIntent when the customer pays, not with the session
// (`payment_intent` null until then). Before 2022-08-01 the session was created
// with its PaymentIntent (payment_intent.created at once), and the customer the
// session makes at completion becomes the intent's.

export const checkoutDeferredPaymentIntent: VersionChange = {
  version: '2022-08-01',
  description: 'payment-mode Checkout Session PaymentIntent made at confirmation (was at session creation)',
  completes: (ctx, req, result) => {
    const session = result as CheckoutSession;
    if (!isRoute(req, 'POST /v1/checkout/sessions') || session.mode !== 'payment' || session.payment_intent) return result;
    return createSessionPaymentIntent(ctx, session);
  },
};
