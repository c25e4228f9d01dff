import { errors } from '../../engine/errors';
import { defineMachine } from '../../engine/machine';
import { StripeObject } from '../../engine/world';

// The state machines of PaymentIntents (docs/stripe-facts.md §3.2) and
// SetupIntents (docs/stripe-facts.md §11): which action is allowed from which status, where it leads,
// the events each transition emits and Stripe's error for an illegal action.
// Confirmation, capture, cancel and update check against these tables, and the
// control surface's triggers read them.

/** Stripe's error for an action the intent's status does not allow; it carries the intent. */
export const unexpectedState = (intent: StripeObject, message: string) =>
  errors.state(message, `${intent.object}_unexpected_state`, { [intent.object]: intent });

const NAMES: Record<string, string> = { payment_intent: 'PaymentIntent', setup_intent: 'SetupIntent' };

/** Stripe's "You cannot <verb> this <Intent> because it has a status of …" refusal, listing the statuses allowed. */
const cannot = (verb: string, done: string) => (intent: StripeObject, allowed: readonly string[]) =>
  unexpectedState(
    intent,
    `You cannot ${verb} this ${NAMES[intent.object]} because it has a status of ${intent.status}. Only a ${NAMES[intent.object]} with one of the following statuses may be ${done}: ${allowed.join(', ')}.`,
  );

/** Twin's own error (control surface): no challenge to finish. */
const noPendingAuthentication = (intent: StripeObject) => new Error(`${intent.id} has no pending authentication (status ${intent.status})`);

export const paymentIntentMachine = defineMachine({
  states: ['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  actions: {
    confirm: {
      from: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
      to: {
        // The confirmation's first step: the intent takes the payment method.
        requires_confirmation: [],
        requires_action: ['payment_intent.requires_action'],
        requires_capture: ['payment_intent.amount_capturable_updated'],
        // A crypto payment recorded by its transaction (transaction_verification) settles from here.
        processing: ['payment_intent.processing'],
        succeeded: ['payment_intent.succeeded'],
        requires_payment_method: ['payment_intent.payment_failed'],
      },
      error: (pi, allowed) =>
        pi.status === 'succeeded'
          ? unexpectedState(pi, 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.')
          : cannot('confirm', 'confirmed')(pi, allowed),
    },
    /** The customer finishing a 3D Secure challenge (control surface); a manual confirmation_method waits for confirm. */
    authenticate: {
      from: ['requires_action'],
      to: {
        requires_confirmation: [],
        requires_capture: ['payment_intent.amount_capturable_updated'],
        succeeded: ['payment_intent.succeeded'],
        requires_payment_method: ['payment_intent.payment_failed'],
      },
      error: noPendingAuthentication,
    },
    /**
     * Funds arriving asynchronously: at a deposit-mode crypto intent's address
     * (crypto_deposits.ts; docs/agents.md §1.6), a bank debit settling or failing on
     * the clock (bank_debits.ts, docs/stripe-facts.md §3.3 T8), a bank transfer funding a customer_balance
     * intent (cash_balance.ts): processing while it settles, then succeeded, back
     * to requires_payment_method when it fails, or still requires_action when only
     * part arrived (payment_intent.partially_funded).
     */
    settle: {
      from: ['requires_action', 'processing'],
      to: {
        requires_action: ['payment_intent.partially_funded'],
        processing: ['payment_intent.processing'],
        succeeded: ['payment_intent.succeeded'],
        requires_payment_method: ['payment_intent.payment_failed'],
      },
      // Twin text (unverified): Stripe's wording for a deposit on an intent not awaiting one is not recorded.
      error: (pi, allowed) =>
        unexpectedState(
          pi,
          `You cannot simulate a crypto deposit for this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may receive a deposit: ${allowed.join(', ')}.`,
        ),
    },
    /** Microdeposits verified (bank_debits.ts): the debit starts, or the intent fails when verification can no longer succeed. */
    verify: {
      from: ['requires_action'],
      to: { processing: ['payment_intent.processing'], requires_payment_method: ['payment_intent.payment_failed'] },
      error: (pi) => unexpectedState(pi, `This PaymentIntent is not awaiting microdeposit verification (its status is ${pi.status}).`),
    },
    capture: {
      from: ['requires_capture'],
      to: { succeeded: ['payment_intent.succeeded'] },
      error: (pi, allowed) =>
        unexpectedState(
          pi,
          pi.status === 'succeeded' && pi.capture_method === 'manual'
            ? 'This PaymentIntent could not be captured because it has already been captured.'
            : `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: ${allowed.join(', ')}.`,
        ),
    },
    cancel: {
      from: ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'],
      to: { canceled: ['payment_intent.canceled'] },
      error: cannot('cancel', 'canceled'),
    },
    /** Updating what is paid and how (fields locked after confirmation, T10); a new payment method needs a new confirmation, with no event. */
    update: {
      from: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
      to: { requires_confirmation: [] },
      error: (pi, allowed, field) =>
        unexpectedState(
          pi,
          `This PaymentIntent's ${field} could not be updated because it has a status of ${pi.status}. You may only update the ${field} of a PaymentIntent with one of the following statuses: ${allowed.join(', ')}.`,
        ),
    },
  },
});

export const setupIntentMachine = defineMachine({
  states: ['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'succeeded', 'canceled'],
  actions: {
    confirm: {
      from: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
      to: {
        // The confirmation's first step: the intent takes the payment method.
        requires_confirmation: [],
        requires_action: ['setup_intent.requires_action'],
        succeeded: ['setup_intent.succeeded'],
        requires_payment_method: ['setup_intent.setup_failed'],
      },
      error: cannot('confirm', 'confirmed'),
    },
    /** The customer finishing a 3D Secure challenge (control surface). */
    authenticate: {
      from: ['requires_action'],
      to: { succeeded: ['setup_intent.succeeded'], requires_payment_method: ['setup_intent.setup_failed'] },
      error: noPendingAuthentication,
    },
    /** Microdeposits verified (bank_debits.ts): the bank account is set up, or the setup fails. */
    verify: {
      from: ['requires_action'],
      to: { succeeded: ['setup_intent.succeeded'], requires_payment_method: ['setup_intent.setup_failed'] },
      error: (si) => unexpectedState(si, `This SetupIntent is not awaiting microdeposit verification (its status is ${si.status}).`),
    },
    cancel: {
      from: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
      to: { canceled: ['setup_intent.canceled'] },
      error: cannot('cancel', 'canceled'),
    },
    /** Changing the payment method, customer or types; a new payment method needs a new confirmation, with no event. */
    update: {
      from: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
      to: { requires_confirmation: [] },
      error: (si) => unexpectedState(si, `You cannot update this SetupIntent because it has a status of ${si.status}.`),
    },
  },
});

export type PaymentIntentStatus = (typeof paymentIntentMachine.states)[number];
export type SetupIntentStatus = (typeof setupIntentMachine.states)[number];

/** The machine of an intent, by its `object`. */
export function intentMachine(obj: StripeObject) {
  return obj.object === 'payment_intent' ? paymentIntentMachine : obj.object === 'setup_intent' ? setupIntentMachine : undefined;
}
