import { customerCancels, Subscription } from '../billing/subscriptions';
import { nowIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { Ctx, indexKey, StripeObject, World } from '../../engine/world';
import type { Customer } from '../core/customers';
import { saveCustomer } from '../core/customers';
import type { PaymentMethod } from '../payments/payment_methods';
import { attachPaymentMethod, paymentMethodFromData, resolvePaymentMethod } from '../payments/payment_methods';
import type { PortalConfiguration, PortalSession } from './portal';
import { CheckoutSession } from './session_state';
import { submitSession } from './sessions';

// What the pages the twin serves (src/server/hosted.ts renders them) do to a
// world: the customer typing a card into the Checkout page or the portal, and
// what those pages show; and the control surface's stand-in for the customer. The card the customer types is checked and made into a
// PaymentMethod as card data sent to the API is (test numbers only, Stripe's
// texts for a wrong number, expiry or CVC), so declines, 3D Secure and the
// other test cards behave on the page as they do through the API.

/** What the customer types into a card form. */
export interface CardForm {
  number: string;
  /** `MM / YY` (or `MM/YYYY`). */
  expiry: string;
  cvc: string;
  name?: string;
  email?: string;
}

/** The PaymentMethod for a typed card; Stripe's 402 card errors for a wrong number, expiry or CVC. */
function cardPaymentMethod(ctx: Ctx, form: CardForm): PaymentMethod {
  const [month, year] = form.expiry.split('/').map((part) => part.trim());
  const digits = (value: string | undefined) => (value && /^\d{1,4}$/.test(value) ? Number(value) : undefined);
  const number = form.number.replace(/[\s-]/g, '');
  // What the page says of a field left empty (twin's texts, in the style of Stripe's card form).
  if (!number) throw errors.paramState('Your card number is incomplete.', 'number');
  if (digits(month) === undefined || digits(year) === undefined) throw errors.paramState("Your card's expiration date is incomplete.", 'exp_month');
  if (!form.cvc.trim()) throw errors.paramState("Your card's security code is incomplete.", 'cvc');
  return paymentMethodFromData(ctx, {
    type: 'card',
    card: { number, exp_month: digits(month), exp_year: digits(year), cvc: form.cvc.trim() },
    billing_details: { email: form.email?.trim() || null, name: form.name?.trim() || null },
  });
}

/** The Checkout page's form: pay (or set up) with the typed card. */
export function payWithCard(ctx: Ctx, session: CheckoutSession, form: CardForm): CheckoutSession {
  if (!form.email?.trim() && !session.customer_details?.email && !session.customer_email) {
    throw errors.paramState('Your email is incomplete.', 'email'); // the page's prompt (twin's text)
  }
  return submitSession(ctx, session, { paymentMethod: cardPaymentMethod(ctx, form), email: form.email?.trim() || null, name: form.name?.trim() || null });
}

/**
 * The customer completing a session without a browser (the control surface): a
 * PaymentMethod (`pm_…` or a test value such as `pm_card_visa`) or a test card
 * number (default 4242 4242 4242 4242, expiring in five years), then the same
 * submit as the page's.
 */
export function completeAsCustomer(ctx: Ctx, session: CheckoutSession, given: { card?: string; payment_method?: string; email?: string; name?: string }): CheckoutSession {
  const year = new Date(nowIn(ctx) * 1000).getUTCFullYear() + 5;
  const paymentMethod = given.payment_method
    ? resolvePaymentMethod(ctx, given.payment_method, 'payment_method')
    : cardPaymentMethod(ctx, { number: given.card ?? '4242424242424242', expiry: `12/${year}`, cvc: '123', name: given.name, email: given.email });
  return submitSession(ctx, session, { paymentMethod, email: given.email ?? null, name: given.name ?? null });
}

/** What the portal page shows: the customer, its card payment methods (the default first) and, where the account has any, its subscriptions. */
export function portalView(world: World, session: PortalSession) {
  const customer = world.get<Customer>(session.customer)!;
  const config = world.get<PortalConfiguration>(session.configuration)!;
  const owned = (object: string) => world.indexed(object, 'customer', indexKey(customer.id)).map((p) => world.at(object, p)).filter((o) => o.customer === customer.id);
  const paymentMethods = owned('payment_method') as PaymentMethod[];
  const defaultId = customer.invoice_settings.default_payment_method;
  paymentMethods.sort((a, b) => Number(b.id === defaultId) - Number(a.id === defaultId));
  // Subscriptions are read only when the account has any (through the index their resource keeps by customer).
  const subscriptions: StripeObject[] = world.count('subscription') ? owned('subscription') : [];
  return { customer, config, paymentMethods, defaultId, subscriptions };
}

/** The portal's cancel button: the configuration's `subscription_cancel` (mode at_period_end by default) on one of the customer's live subscriptions. */
export function cancelPortalSubscription(ctx: Ctx, session: PortalSession, subscriptionId: string): void {
  const config = ctx.world.get<PortalConfiguration>(session.configuration)!;
  const cancel = config.features.subscription_cancel;
  if (!cancel.enabled) throw errors.state('Cancelling subscriptions is not enabled for this portal.'); // twin's text
  const sub = ctx.world.get<Subscription>(subscriptionId);
  if (!sub || sub.object !== 'subscription' || sub.customer !== session.customer || sub.status === 'canceled') throw errors.state('No such subscription for this customer.'); // twin's text
  customerCancels(ctx, sub, cancel.mode === 'immediately' ? 'immediately' : 'at_period_end');
}

/** The portal's form: a new card, attached to the customer, and made its default when asked. */
export function addPortalCard(ctx: Ctx, session: PortalSession, form: CardForm, makeDefault: boolean): PaymentMethod {
  const config = ctx.world.get<PortalConfiguration>(session.configuration)!;
  if (!config.features.payment_method_update.enabled) throw errors.state('Updating payment methods is not enabled for this portal.'); // twin's text
  const pm = attachPaymentMethod(ctx, cardPaymentMethod(ctx, form), session.customer);
  if (makeDefault) {
    const customer = ctx.world.get<Customer>(session.customer)!;
    saveCustomer(ctx, customer, { ...customer, invoice_settings: { ...customer.invoice_settings, default_payment_method: pm.id } });
  }
  return pm;
}
