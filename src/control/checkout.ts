import { completeAsCustomer } from '../resources/checkout/pages';
import { checkoutSessions } from '../resources/checkout/sessions';
import { ControlError, controlCtx, ControlRoute } from './surface';

// Completing a Checkout Session as its customer would on the hosted page, for
// tests without a browser: the same submit the page and Stripe's private
// payment_pages confirm make. A declined card answers its 402 and leaves the
// session open (the failed attempt is kept, as on the page); a 3D Secure card
// leaves it open until POST /__admin__/intents/{id}/authenticate finishes the
// challenge of its intent, which completes it.

const text = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !value) throw new ControlError(`"${name}" must be a non-empty string`, 400, name);
  return value;
};

export const checkoutRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/checkout/sessions/{id}/complete',
    description:
      'Completes an open Checkout Session as its customer would on the hosted page: pays (or sets up) with a test card number or a PaymentMethod. A declined card answers 402 and leaves it open; a 3D Secure card leaves it open until the intent is authenticated. Answers the session.',
    params: {
      card: { in: 'body', type: 'string', description: 'a test card number (default 4242 4242 4242 4242)' },
      payment_method: { in: 'body', type: 'string', description: 'a PaymentMethod id or test value (pm_card_visa) instead of a card number' },
      email: { in: 'body', type: 'string', description: "the customer's email, as typed on the page" },
      name: { in: 'body', type: 'string', description: 'the cardholder name' },
    },
    run: (call) => {
      const world = call.world();
      const given = { card: text(call.body.card, 'card'), payment_method: text(call.body.payment_method, 'payment_method'), email: text(call.body.email, 'email'), name: text(call.body.name, 'name') };
      if (given.card && given.payment_method) throw new ControlError('Give "card" or "payment_method", not both');
      const ctx = controlCtx(world);
      world.runDue(ctx);
      // Not atomic: a decline keeps its failed charge and intent, as the page's does.
      return world.transaction(() => completeAsCustomer(ctx, checkoutSessions.find(ctx, call.params.id), given));
    },
  },
];
