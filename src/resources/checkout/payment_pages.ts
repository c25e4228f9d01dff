import { StripeError } from '../../engine/errors';
import { Schema } from '../../engine/params';
import { Handler, Route } from '../../engine/resource';
import { resolvePaymentMethod } from '../payments/payment_methods';
import { checkoutSessions, submitSession } from './sessions';

// Stripe's private payment page API, which the Stripe CLI drives to complete a
// session (its checkout.session.completed fixture): `GET /v1/payment_pages/:cs`,
// then `POST /v1/payment_pages/:cs/confirm {payment_method, expected_amount}`.
// Neither is in Stripe's spec or SDK. Both answer the Checkout Session (Stripe's
// private payment page object is unrecorded: twin choice); confirming is the
// same submit as the hosted page's.

const EXPAND: Schema = { type: 'array', items: { type: 'string', maxLength: 5000 } };

function privateRoute(method: Route['method'], path: string, description: string, params: Schema, handler: Handler): Route {
  return { method, path, response: 'checkout.session', list: false, description, params, handler };
}

export const paymentPageRoutes: Route[] = [
  privateRoute('GET', '/v1/payment_pages/{session}', "Stripe's private payment page of a Checkout Session (the Stripe CLI reads it); answers the session.", { type: 'object', properties: { expand: EXPAND } }, (ctx, _p, path) =>
    checkoutSessions.find(ctx, path.session),
  ),
  privateRoute(
    'POST',
    '/v1/payment_pages/{session}/confirm',
    "Stripe's private payment page confirmation (the Stripe CLI completes sessions with it): pays or sets up with the payment method, as the hosted page does.",
    {
      type: 'object',
      properties: { payment_method: { type: 'string', maxLength: 5000 }, expected_amount: { type: 'integer' }, expand: EXPAND },
      required: ['payment_method'],
    },
    (ctx, params, path) => {
      const session = checkoutSessions.find(ctx, path.session);
      const due = session.amount_total ?? 0;
      if (params.expected_amount != null && params.expected_amount !== due) {
        // Twin's text (unverified): the page's amount changed under the customer.
        throw new StripeError(
          400,
          { type: 'invalid_request_error', message: `The expected_amount (${params.expected_amount}) does not match the amount due on this Checkout Session (${due}).`, param: 'expected_amount' },
          'validation',
        );
      }
      const paymentMethod = resolvePaymentMethod(ctx, params.payment_method, 'payment_method');
      return submitSession(ctx, session, { paymentMethod });
    },
  ),
];
