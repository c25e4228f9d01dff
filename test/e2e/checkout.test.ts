import Stripe from 'stripe';
import { handleRequest } from '../../src';
import { MODES, stripeError, useHarness } from '../helpers';

// Checkout Sessions, Payment Links and the customer portal through the SDK
// (src/resources/checkout/), completion through Stripe's private payment_pages
// routes (what the Stripe CLI drives) and the control surface.

/** Top-level keys of a recorded dahlia session, with the two endive adds (`allowed_payment_method_types`, `managed_payments`). */
const SESSION_KEYS = [
  'id', 'object', 'adaptive_pricing', 'after_expiration', 'allow_promotion_codes', 'allowed_payment_method_types', 'amount_subtotal', 'amount_total',
  'automatic_tax', 'billing_address_collection', 'branding_settings', 'cancel_url', 'client_reference_id', 'client_secret', 'collected_information',
  'consent', 'consent_collection', 'created', 'currency', 'currency_conversion', 'custom_fields', 'custom_text', 'customer', 'customer_account',
  'customer_creation', 'customer_details', 'customer_email', 'discounts', 'expires_at', 'integration_identifier', 'invoice', 'invoice_creation',
  'livemode', 'locale', 'managed_payments', 'metadata', 'mode', 'origin_context', 'payment_intent', 'payment_link', 'payment_method_collection',
  'payment_method_configuration_details', 'payment_method_options', 'payment_method_types', 'payment_status', 'permissions', 'phone_number_collection',
  'recovered_from', 'saved_payment_method_options', 'setup_intent', 'shipping_address_collection', 'shipping_cost', 'shipping_options', 'status',
  'submit_type', 'subscription', 'success_url', 'total_details', 'ui_mode', 'url', 'wallet_options',
];

describe.each(MODES)('checkout (%s)', (mode) => {
  const t = useHarness(mode);
  const types = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();
  const oneTime = (unit_amount = 1500) => t.stripe.prices.create({ currency: 'usd', unit_amount, product_data: { name: 'T-shirt' } });
  const monthly = () => t.stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
  const paymentSession = async (extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) =>
    t.stripe.checkout.sessions.create({ mode: 'payment', success_url: 'https://example.com/ok?cs={CHECKOUT_SESSION_ID}', line_items: [{ price: (await oneTime()).id, quantity: 2 }], ...extra });
  /** A page the twin serves, through the same pipeline as the API (both faces). */
  const page = (path: string) => handleRequest(t.h.twin.engine, { method: 'GET', url: path, headers: {}, readBody: async () => Buffer.alloc(0) });

  it('creates a payment-mode session in the recorded shape: open, unpaid, its url on the twin, line items apart', async () => {
    const customer = await t.stripe.customers.create({ email: 'jane@example.com' });
    const session = await paymentSession({ customer: customer.id, cancel_url: 'https://example.com/cancel', client_reference_id: 'order-7', metadata: { order: '7' } });
    expect(Object.keys(session)).toEqual(SESSION_KEYS);
    expect(session.id).toMatch(/^cs_test_a1[A-Za-z0-9]{56}$/);
    expect(session).toMatchObject({
      object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid', amount_subtotal: 3000, amount_total: 3000, currency: 'usd',
      customer: customer.id, customer_creation: null, customer_email: null, client_reference_id: 'order-7', metadata: { order: '7' },
      customer_details: { email: 'jane@example.com', tax_exempt: 'none', address: null, name: null, tax_ids: null },
      payment_intent: null, setup_intent: null, subscription: null, invoice: null, payment_link: null, ui_mode: 'hosted_page', client_secret: null,
      payment_method_types: ['card'], payment_method_options: { card: { request_three_d_secure: 'automatic' } }, payment_method_collection: 'if_required',
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 }, discounts: [], adaptive_pricing: { enabled: true },
      invoice_creation: { enabled: false }, after_expiration: null, recovered_from: null,
      expires_at: session.created + 86400,
    });
    expect(session.url).toBe(`${mode === 'http' ? t.h.url : 'http://127.0.0.1:12111'}/c/pay/${session.id}${session.url!.slice(session.url!.indexOf('#'))}`);
    expect(session.payment_method_configuration_details!.id).toMatch(/^pmc_/);
    const items = await t.stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data).toHaveLength(1);
    expect(Object.keys(items.data[0])).toEqual(['id', 'object', 'adjustable_quantity', 'amount_discount', 'amount_subtotal', 'amount_tax', 'amount_total', 'currency', 'description', 'metadata', 'price', 'quantity']);
    expect(items.data[0]).toMatchObject({ object: 'item', amount_subtotal: 3000, amount_total: 3000, quantity: 2, description: 'T-shirt', price: { unit_amount: 1500 } });
    expect(items.data[0].id).toMatch(/^li_1/);
    const expanded = await t.stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] });
    expect(expanded.line_items).toMatchObject({ object: 'list', data: [{ id: items.data[0].id }], url: `/v1/checkout/sessions/${session.id}/line_items` });
    expect(await t.stripe.checkout.sessions.retrieve(session.id)).toEqual(session);
    // There is no checkout.session.created event.
    expect(await types()).toEqual(['customer.created', 'product.created', 'price.created']);
  });

  it('makes inline prices from price_data (and products from product_data), and keeps recurring prices to subscription mode', async () => {
    const session = await t.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'eur', unit_amount: 700, product_data: { name: 'Mug' } }, quantity: 3 }],
    });
    expect(session).toMatchObject({ amount_total: 2100, currency: 'eur', customer_creation: 'if_required', customer_details: null, success_url: null });
    const [item] = (await t.stripe.checkout.sessions.listLineItems(session.id)).data;
    expect(item.price).toMatchObject({ active: false, unit_amount: 700, currency: 'eur' });
    expect(item.description).toBe('Mug');
    expect(await types()).toEqual(['product.created', 'price.created']);
    const sub = await t.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: (await monthly()).id, quantity: 1 }] });
    expect(sub).toMatchObject({
      mode: 'subscription', amount_total: 1000, payment_status: 'unpaid', payment_method_collection: 'always', invoice_creation: null, customer_creation: null,
    });
  });

  it("refuses what Stripe refuses, with Stripe's texts, and answers 501 for what the twin does not model", async () => {
    const recurring = await monthly();
    const once = await oneTime();
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: recurring.id, quantity: 1 }] }))).toMatchObject({
      statusCode: 400, type: 'StripeInvalidRequestError',
      message: 'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
    });
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: once.id, quantity: 1 }] }))).toMatchObject({
      statusCode: 400, message: 'You must provide at least one recurring price in `subscription` mode when using prices.',
    });
    expect(await stripeError(t.stripe.checkout.sessions.create({ line_items: [{ price: once.id, quantity: 1 }] }))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'mode' });
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: 'price_nope', quantity: 1 }] }))).toMatchObject({
      statusCode: 400, code: 'resource_missing', param: 'line_items[0][price]', message: "No such price: 'price_nope'",
    });
    const c = await t.stripe.customers.create();
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', customer: c.id, customer_email: 'a@example.com', line_items: [{ price: once.id, quantity: 1 }] }))).toMatchObject({
      statusCode: 400, message: 'You may only specify one of these parameters: customer, customer_email.',
    });
    // Endive removed payment_method_types from Checkout: an unknown parameter now.
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', payment_method_types: ['card'], line_items: [{ price: once.id, quantity: 1 }] } as never))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'payment_method_types', message: 'Received unknown parameter: payment_method_types',
    });
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', expires_at: Math.floor(Date.UTC(2030, 0, 1) / 1000), line_items: [{ price: once.id, quantity: 1 }] }))).toMatchObject({
      statusCode: 400, param: 'expires_at',
    });
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: (await oneTime(20)).id, quantity: 1 }] }))).toMatchObject({
      statusCode: 400, message: "The Checkout Session's total amount due must add up to at least $0.50 usd",
    });
    for (const extra of [{ ui_mode: 'embedded_page' }, { discounts: [{ coupon: 'x' }] }, { payment_intent_data: { application_fee_amount: 5 } }] as const) {
      const e = await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: once.id, quantity: 1 }], ...(extra as object) }));
      expect(e).toMatchObject({ statusCode: 501 });
      expect(e.raw.fidelity).toBe('unsupported');
    }
    expect(await stripeError(t.stripe.checkout.sessions.create({ mode: 'setup', currency: 'zzz' }))).toMatchObject({ statusCode: 400, param: 'currency' });
    expect((await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', currency: 'eur', line_items: [{ price: once.id, quantity: 1 }] }))).statusCode).toBe(501);
    expect(await stripeError(t.stripe.paymentLinks.create({ line_items: [{ price: once.id, quantity: 1 }], after_completion: { type: 'redirect' } as never }))).toMatchObject({
      statusCode: 400, code: 'parameter_missing', param: 'after_completion[redirect][url]',
    });
    expect((await t.stripe.checkout.sessions.list()).data).toEqual([]);
  });

  it('setup mode makes its SetupIntent with the session; completing it saves the card to the customer', async () => {
    const customer = await t.stripe.customers.create({ email: 'sam@example.com' });
    const session = await t.stripe.checkout.sessions.create({ mode: 'setup', customer: customer.id, currency: 'usd', success_url: 'https://example.com/ok' });
    expect(session.id).toMatch(/^cs_test_c1/);
    expect(session).toMatchObject({
      payment_status: 'no_payment_required', amount_subtotal: null, amount_total: null, total_details: null, discounts: null, invoice_creation: null,
      saved_payment_method_options: null, adaptive_pricing: { enabled: false }, payment_method_collection: 'always', customer_details: { tax_exempt: null },
    });
    const si = await t.stripe.setupIntents.retrieve(session.setup_intent as string);
    expect(si).toMatchObject({ status: 'requires_payment_method', customer: customer.id, usage: 'off_session' });
    const done = await t.h.control(t.key).checkout.complete(session.id, { payment_method: 'pm_card_visa' });
    expect(done).toMatchObject({ status: 'complete', url: null, payment_status: 'no_payment_required' });
    expect((await t.stripe.setupIntents.retrieve(si.id)).status).toBe('succeeded');
    expect((await t.stripe.customers.listPaymentMethods(customer.id)).data).toHaveLength(1);
    expect(await types()).toEqual(['customer.created', 'setup_intent.created', 'payment_method.attached', 'setup_intent.succeeded', 'checkout.session.completed']);
  });

  it('subscription mode: the subscription made as the API makes it, then checkout.session.completed (docs/billing.md §8.7); a trial needs no payment; a decline keeps only the customer', async () => {
    const price = await monthly();
    const trial = await t.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 2 }], subscription_data: { trial_period_days: 7 }, success_url: 'https://example.com/ok' });
    expect(trial).toMatchObject({ amount_subtotal: 0, amount_total: 0, status: 'open' });
    expect((await t.stripe.checkout.sessions.listLineItems(trial.id)).data[0]).toMatchObject({ amount_total: 2000, quantity: 2 });
    const trialDone = await t.stripe.rawRequest('POST', `/v1/payment_pages/${trial.id}/confirm`, { payment_method: 'pm_card_visa' }) as unknown as Stripe.Checkout.Session;
    expect(trialDone).toMatchObject({ status: 'complete', payment_status: 'no_payment_required' });
    expect(await t.stripe.subscriptions.retrieve(trialDone.subscription as string)).toMatchObject({ status: 'trialing', items: { data: [{ quantity: 2 }] } });

    const declined = await t.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://example.com/ok' });
    const before = await types();
    const e = await stripeError(t.stripe.rawRequest('POST', `/v1/payment_pages/${declined.id}/confirm`, { payment_method: 'pm_card_chargeDeclined' }));
    expect(e).toMatchObject({ statusCode: 402, code: 'card_declined' });
    // The customer is made at the first submit and kept (./sessions.ts); no subscription, invoice or charge.
    expect(await types()).toEqual([...before, 'customer.created']);
    expect((await t.stripe.checkout.sessions.retrieve(declined.id)).status).toBe('open');

    const since = (await types()).length;
    const done = await t.stripe.rawRequest('POST', `/v1/payment_pages/${declined.id}/confirm`, { payment_method: 'pm_card_visa' }) as unknown as Stripe.Checkout.Session;
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    const sub = await t.stripe.subscriptions.retrieve(done.subscription as string);
    expect(sub).toMatchObject({ status: 'active', customer: done.customer, latest_invoice: done.invoice });
    expect((await types()).slice(since).filter((x) => x !== 'charge.updated')).toEqual([
      'payment_method.attached', 'customer.subscription.created', 'invoice.created', 'invoice.finalized', 'payment_intent.created',
      'charge.succeeded', 'payment_intent.succeeded', 'invoice.paid', 'customer.subscription.updated', 'invoice.payment_succeeded', 'invoice_payment.paid',
      'invoice.updated', 'checkout.session.completed',
    ]);
  });

  it('completes through the private payment_pages routes as the Stripe CLI does: payment_intent.created → charge.succeeded → payment_intent.succeeded → checkout.session.completed', async () => {
    // The CLI's checkout.session.completed fixture, step by step.
    const product = await t.stripe.products.create({ name: 'myproduct', description: '(created by Stripe CLI)' });
    const price = await t.stripe.prices.create({ product: product.id, unit_amount: 1500, currency: 'usd' });
    const shipping = { name: 'Jenny Rosen', address: { line1: '510 Townsend St', postal_code: '94103', city: 'San Francisco', state: 'CA', country: 'US' } };
    const session = await t.stripe.checkout.sessions.create({
      success_url: 'https://httpbin.org/post', cancel_url: 'https://httpbin.org/post', mode: 'payment',
      line_items: [{ price: price.id, quantity: 2 }], payment_intent_data: { shipping },
    });
    expect(await t.stripe.rawRequest('GET', `/v1/payment_pages/${session.id}`, {})).toMatchObject({ id: session.id, status: 'open' });
    const pm = await t.stripe.paymentMethods.create({
      type: 'card', card: { token: 'tok_visa' },
      billing_details: { email: 'stripe@example.com', name: 'Jenny Rosen', address: { line1: '354 Oyster Point Blvd', postal_code: '94080', city: 'South San Francisco', state: 'CA', country: 'US' } },
    });
    const wrong = await stripeError(t.stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: pm.id, expected_amount: 1500 }));
    expect(wrong).toMatchObject({ statusCode: 400, param: 'expected_amount' });
    const confirmed = await t.stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: pm.id, expected_amount: 3000 });
    expect(confirmed).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid', url: null });
    const done = await t.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    const pi = done.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({ status: 'succeeded', amount: 3000, currency: 'usd', payment_method: pm.id, shipping: { name: 'Jenny Rosen' }, payment_method_types: ['card'] });
    expect(done.customer_details).toMatchObject({ email: 'stripe@example.com', name: 'Jenny Rosen', address: { city: 'South San Francisco' }, tax_ids: [] });
    expect(done.customer).toBeNull(); // customer_creation if_required: no Customer object
    expect(await types()).toEqual([
      'product.created', 'price.created', 'payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed', 'charge.updated',
    ]);
    const event = (await t.stripe.events.list({ type: 'checkout.session.completed' })).data[0];
    expect(event.data.object).toMatchObject({ id: session.id, status: 'complete', payment_intent: pi.id });
    expect(await stripeError(t.stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: 'pm_card_visa' }))).toMatchObject({ statusCode: 400 });
    expect(await stripeError(t.stripe.checkout.sessions.expire(session.id))).toMatchObject({
      statusCode: 400, message: 'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of `complete`.',
    });
  });

  it('control complete: a decline leaves the session open with its message, another card completes it on the same PaymentIntent; customer_creation=always makes a customer', async () => {
    const control = t.h.control(t.key);
    const session = await paymentSession({ customer_creation: 'always' });
    const declined = await control.checkout.complete(session.id, { card: '4000 0000 0000 0002', email: 'pat@example.com' }).catch((e) => e);
    expect(declined).toMatchObject({ status: 402, message: 'Your card was declined.' });
    const open = await t.stripe.checkout.sessions.retrieve(session.id);
    expect(open).toMatchObject({ status: 'open', payment_status: 'unpaid' });
    expect(await t.stripe.paymentIntents.retrieve(open.payment_intent as string)).toMatchObject({ status: 'requires_payment_method', last_payment_error: { decline_code: 'generic_decline' } });
    const done = await control.checkout.complete(session.id, { card: '4242424242424242', email: 'pat@example.com', name: 'Pat Lee' });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', payment_intent: open.payment_intent, customer_details: { email: 'pat@example.com', name: 'Pat Lee' } });
    // Made at the first submit, with what the customer had typed then.
    expect(await t.stripe.customers.retrieve(done.customer as string)).toMatchObject({ email: 'pat@example.com' });
    expect(await types()).toEqual([
      'product.created', 'price.created', 'customer.created', 'payment_intent.created', 'charge.failed', 'payment_intent.payment_failed',
      'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed', 'charge.updated',
    ]);
    expect((await t.stripe.checkout.sessions.list({ payment_intent: done.payment_intent as string })).data.map((s) => s.id)).toEqual([session.id]);
    expect((await t.stripe.checkout.sessions.list({ customer: done.customer as string })).data.map((s) => s.id)).toEqual([session.id]);
    expect((await t.stripe.checkout.sessions.list({ customer_details: { email: 'pat@example.com' } })).data.map((s) => s.id)).toEqual([session.id]);
  });

  it('a 3D Secure card leaves the session open until the challenge is finished, which completes it; manual capture completes unpaid', async () => {
    const control = t.h.control(t.key);
    const session = await paymentSession();
    const waiting = await control.checkout.complete(session.id, { card: '4000002760003184', email: 'a@example.com' });
    expect(waiting.status).toBe('open');
    expect(await t.stripe.paymentIntents.retrieve(waiting.payment_intent as string)).toMatchObject({ status: 'requires_action' });
    await control.intents.authenticate(waiting.payment_intent as string, 'succeed');
    expect(await t.stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const held = await paymentSession({ payment_intent_data: { capture_method: 'manual', metadata: { order: '9' }, description: 'Order 9' } });
    const authorized = await control.checkout.complete(held.id, { email: 'b@example.com' });
    expect(authorized).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
    expect(await t.stripe.paymentIntents.retrieve(authorized.payment_intent as string)).toMatchObject({ status: 'requires_capture', metadata: { order: '9' }, description: 'Order 9' });
    expect((await t.stripe.checkout.sessions.list({ status: 'complete' })).data.map((s) => s.id)).toEqual([held.id, session.id]);
  });

  it('expires on request or at expires_at on the world clock; a recoverable session gets a recovery URL that opens a new session', async () => {
    const session = await paymentSession();
    const expired = await t.stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ status: 'expired', url: null, payment_status: 'unpaid' });
    expect(await stripeError(t.stripe.checkout.sessions.expire(session.id))).toMatchObject({
      statusCode: 400, message: 'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of `expired`.',
    });
    const later = await paymentSession({ expires_at: (await t.stripe.checkout.sessions.retrieve(session.id)).created + 3600, after_expiration: { recovery: { enabled: true } } });
    expect(later.after_expiration).toEqual({ recovery: { allow_promotion_codes: false, enabled: true, expires_at: null, url: null } });
    await t.h.control(t.key).clock.advance(3599);
    expect((await t.stripe.checkout.sessions.retrieve(later.id)).status).toBe('open');
    await t.h.control(t.key).clock.advance(1);
    const gone = await t.stripe.checkout.sessions.retrieve(later.id);
    expect(gone).toMatchObject({ status: 'expired', url: null });
    const recovery = gone.after_expiration!.recovery!;
    expect(recovery).toMatchObject({ enabled: true, expires_at: gone.expires_at + 30 * 86400 });
    expect(recovery.url).toBe(`${new URL(later.url!).origin}/r/${later.id}`);
    expect((await types()).filter((e) => e.startsWith('checkout.'))).toEqual(['checkout.session.expired', 'checkout.session.expired']);
    const opened = await page(new URL(recovery.url!).pathname);
    expect(opened.status).toBe(303);
    const recoveredId = opened.headers[opened.headers.indexOf('Location') + 1].split('/').pop()!;
    expect(await t.stripe.checkout.sessions.retrieve(recoveredId)).toMatchObject({ status: 'open', recovered_from: later.id, amount_total: 3000 });
  });

  it('updates metadata, and refuses the update parameters it does not model', async () => {
    const session = await paymentSession({ metadata: { a: '1' } });
    expect((await t.stripe.checkout.sessions.update(session.id, { metadata: { b: '2' } })).metadata).toEqual({ a: '1', b: '2' });
    expect((await stripeError(t.stripe.checkout.sessions.update(session.id, { shipping_options: [{ shipping_rate: 'shr_123' }] }))).statusCode).toBe(501);
  });

  it('payment links: created with their line items and a twin URL, updated, and opened into a session', async () => {
    const price = await oneTime();
    const link = await t.stripe.paymentLinks.create({ line_items: [{ price: price.id, quantity: 1 }], metadata: { campaign: 'x' } });
    expect(link.id).toMatch(/^plink_1/);
    expect(Object.keys(link)).toEqual([
      'id', 'object', 'active', 'after_completion', 'allow_promotion_codes', 'application', 'application_fee_amount', 'application_fee_percent', 'automatic_tax',
      'billing_address_collection', 'consent_collection', 'currency', 'custom_fields', 'custom_text', 'customer_creation', 'inactive_message', 'invoice_creation',
      'livemode', 'managed_payments', 'metadata', 'on_behalf_of', 'payment_intent_data', 'payment_method_collection', 'payment_method_options',
      'payment_method_types', 'phone_number_collection', 'restrictions', 'shipping_address_collection', 'shipping_options', 'submit_type', 'subscription_data',
      'tax_id_collection', 'transfer_data', 'url',
    ]);
    expect(link).toMatchObject({
      active: true, currency: 'usd', after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: null } },
      customer_creation: 'if_required', submit_type: 'auto', billing_address_collection: 'auto', subscription_data: null, metadata: { campaign: 'x' },
    });
    expect(link.url).toMatch(/\/b\/test_[A-Za-z0-9]{14}$/);
    expect((await t.stripe.paymentLinks.listLineItems(link.id)).data[0]).toMatchObject({ amount_total: 1500, price: { id: price.id } });
    const updated = await t.stripe.paymentLinks.update(link.id, { allow_promotion_codes: true });
    expect(updated.allow_promotion_codes).toBe(true);
    const opened = await page(new URL(link.url).pathname);
    expect(opened.status).toBe(303);
    const sessionId = opened.headers[opened.headers.indexOf('Location') + 1].split('/').pop()!;
    const session = await t.stripe.checkout.sessions.retrieve(sessionId);
    expect(session).toMatchObject({ payment_link: link.id, mode: 'payment', amount_total: 1500, allow_promotion_codes: true, status: 'open' });
    expect((await t.stripe.checkout.sessions.list({ payment_link: link.id })).data.map((s) => s.id)).toEqual([sessionId]);
    await t.stripe.paymentLinks.update(link.id, { active: false, inactive_message: 'Sold out <for now>' });
    const inactive = await page(new URL(link.url).pathname);
    expect(inactive.status).toBe(410);
    expect(inactive.body).toContain('Sold out &lt;for now&gt;');
    expect(await types()).toEqual(['product.created', 'price.created', 'payment_link.created', 'payment_link.updated', 'payment_link.updated']);
    const recurring = await t.stripe.paymentLinks.create({ line_items: [{ price: (await monthly()).id, quantity: 1 }] });
    expect(recurring).toMatchObject({ invoice_creation: null, subscription_data: { trial_period_days: null, metadata: {} } });
    expect((await t.stripe.paymentLinks.list({ active: false })).data.map((l) => l.id)).toEqual([link.id]);
  });

  it('customer portal: configurations (CLI fixtures), sessions on the default configuration, in the recorded shape', async () => {
    const config = await t.stripe.billingPortal.configurations.create({
      business_profile: { headline: 'created by the Stripe CLI', privacy_policy_url: 'https://www.example.com', terms_of_service_url: 'https://www.example.com' },
      features: { subscription_cancel: { enabled: true } },
    });
    expect(config.id).toMatch(/^bpc_1/);
    expect(config).toMatchObject({
      active: true, is_default: false, default_return_url: null, login_page: { enabled: false, url: null }, metadata: null, name: null,
      features: { subscription_cancel: { enabled: true, mode: 'at_period_end' }, payment_method_update: { enabled: false }, invoice_history: { enabled: false } },
    });
    const updated = await t.stripe.billingPortal.configurations.update(config.id, { metadata: { foo: 'bar' } });
    expect(updated.metadata).toEqual({ foo: 'bar' });
    const customer = await t.stripe.customers.create({ description: '(created by Stripe CLI)' });
    const session = await t.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'http://localhost:3000/' });
    expect(Object.keys(session)).toEqual(['id', 'object', 'configuration', 'created', 'customer', 'customer_account', 'flow', 'livemode', 'locale', 'on_behalf_of', 'return_url', 'url']);
    expect(session).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'http://localhost:3000/', flow: null, locale: null });
    expect(session.id).toMatch(/^bps_1/);
    expect(session.url).toMatch(/\/p\/session\/test_[A-Za-z0-9+/]{72}0100[A-Za-z0-9]{8}$/);
    const defaults = await t.stripe.billingPortal.configurations.retrieve(session.configuration as string);
    expect(defaults).toMatchObject({ is_default: true, features: { payment_method_update: { enabled: true } } });
    expect((await t.stripe.billingPortal.configurations.list({ is_default: true })).data.map((c) => c.id)).toEqual([defaults.id]);
    const again = await t.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: config.id });
    expect(again).toMatchObject({ configuration: config.id, return_url: null });
    expect(await stripeError(t.stripe.billingPortal.sessions.create({} as never))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'customer' });
    expect((await stripeError(t.stripe.billingPortal.sessions.create({ customer: customer.id, flow_data: { type: 'payment_method_update' } }))).statusCode).toBe(501);
    expect(await types()).toEqual([
      'billing_portal.configuration.created', 'billing_portal.configuration.updated', 'customer.created', 'billing_portal.session.created', 'billing_portal.session.created',
    ]);
    expect((await page(new URL(session.url).pathname)).status).toBe(200);
  });
});
