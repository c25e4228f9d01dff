import { errors } from '../../engine/errors';
import { defineMachine } from '../../engine/machine';
import { Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';

// A Checkout Session's states and how it completes, apart from the rest of
// ./sessions.ts so that subscription mode (./subscription_mode.ts, which
// sessions.ts calls) can complete a session without an import cycle.

export type CheckoutSession = Shaped<'checkout.session'>;

export const checkoutSessionMachine = defineMachine({
  states: ['open', 'complete', 'expired'],
  actions: {
    complete: {
      from: ['open'],
      to: { complete: ['checkout.session.completed'] },
      // Twin's text (unverified): what paying on a closed session answers.
      error: (s) => errors.state(`This Checkout Session is no longer open: it has a status of \`${s.status}\`.`),
    },
    expire: {
      from: ['open'],
      to: { expired: ['checkout.session.expired'] },
      // Stripe's text (a public issue quoting it).
      error: (s) => errors.state(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of \`${s.status}\`.`),
    },
  },
});

/**
 * Completes an open session: status complete, `url` null, checkout.session.completed.
 * `changes` are what completion set (`payment_status`; in subscription mode
 * `subscription` and `invoice`).
 */
export function completeSession(ctx: Ctx, session: CheckoutSession, changes: Partial<CheckoutSession> = {}): CheckoutSession {
  return checkoutSessionMachine.transition(ctx, session, 'complete', 'complete', { url: null, ...changes });
}
