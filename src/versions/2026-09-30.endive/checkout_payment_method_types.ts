import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL endive/2026-09-30/remove-payment-method-types-checkout-sessions: Checkout
// Session create lost `payment_method_types` (stripe-node 23's types have no such
// parameter, so from endive it is an unknown parameter; the changelog names no
// error code for Checkout) for the new `allowed_payment_method_types`. Older
// versions' list becomes the allowed list, which is what the twin offers from
// (twin choice: the session's `allowed_payment_method_types`, a field newer than
// those versions, then shows the list too).

export const checkoutPaymentMethodTypes: VersionChange = {
  version: '2026-09-30.endive',
  description: 'Checkout Session create payment_method_types replaced by allowed_payment_method_types',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/checkout/sessions')) return;
    const types = param(req.params, 'payment_method_types');
    if (types === undefined) return;
    delete req.params.payment_method_types;
    if (param(req.params, 'allowed_payment_method_types') === undefined) req.params.allowed_payment_method_types = types;
  },
};
