import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// Customers (docs/stripe-facts.md §9) and PaymentMethods (§4.1, §10) through the SDK.

describe.each(MODES)('customers and payment methods (%s)', (mode) => {
  const t = useHarness(mode);
  const eventTypes = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();

  it('creates customers with Stripe’s defaults and exactly the recorded keys', async () => {
    const c = await t.stripe.customers.create({ email: 'jane@example.com', name: 'Jane', metadata: { plan: 'pro' } });
    expect(Object.keys(c)).toEqual([
      'id', 'object', 'address', 'balance', 'created', 'currency', 'customer_account', 'default_source', 'delinquent', 'description',
      'discount', 'email', 'invoice_prefix', 'invoice_settings', 'livemode', 'metadata', 'name', 'next_invoice_sequence', 'phone',
      'preferred_locales', 'shipping', 'tax_exempt', 'test_clock',
    ]);
    expect(c).toMatchObject({ balance: 0, delinquent: false, next_invoice_sequence: 1, preferred_locales: [], tax_exempt: 'none', livemode: false });
    expect(c.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(c.invoice_prefix).toMatch(/^[0-9A-Z]{8}$/);
    expect(c.invoice_settings).toEqual({ custom_fields: null, default_payment_method: null, footer: null, rendering_options: null });
  });

  it('updates with previous_attributes, deletes to a stub, and lists by email', async () => {
    const c = await t.stripe.customers.create({ name: 'Old', email: 'a@example.com' });
    await t.stripe.customers.create({ email: 'b@example.com' });
    const u = await t.stripe.customers.update(c.id, { name: 'New', metadata: { k: 'v' } });
    expect(u.name).toBe('New');
    const updated = (await t.stripe.events.list({ type: 'customer.updated' })).data[0];
    expect(updated.data.previous_attributes).toEqual({ name: 'Old', metadata: { k: null } });
    expect((await t.stripe.customers.list({ email: 'a@example.com' })).data.map((x) => x.id)).toEqual([c.id]);
    const deleted = await t.stripe.customers.del(c.id);
    expect(deleted).toMatchObject({ id: c.id, object: 'customer', deleted: true });
    expect(await t.stripe.customers.retrieve(c.id)).toMatchObject({ id: c.id, deleted: true });
    expect((await stripeError(t.stripe.customers.update(c.id, { name: 'x' }))).statusCode).toBe(404);
    expect((await t.stripe.customers.list()).data).toHaveLength(1);
    expect(await eventTypes()).toEqual(['customer.created', 'customer.created', 'customer.updated', 'customer.deleted']);
    expect(await stripeError(t.stripe.customers.retrieve('cus_123'))).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such customer: 'cus_123'" });
  });

  it('turns a magic id into a new card PaymentMethod each time, with realistic card details', async () => {
    const a = await t.stripe.paymentMethods.retrieve('pm_card_mastercard');
    const b = await t.stripe.paymentMethods.retrieve('pm_card_mastercard');
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^pm_1[A-Za-z0-9]{23}$/);
    expect(a.card!.fingerprint).toBe(b.card!.fingerprint);
    expect(a).toMatchObject({ type: 'card', customer: null, allow_redisplay: 'unspecified', livemode: false });
    expect(a.card).toMatchObject({
      brand: 'mastercard',
      last4: '4444',
      funding: 'credit',
      country: 'US',
      display_brand: 'mastercard',
      networks: { available: ['mastercard'], preferred: null },
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      three_d_secure_usage: { supported: true },
      regulated_status: 'unregulated',
      wallet: null,
    });
    expect(a.card!.exp_year).toBe(new Date(a.created * 1000).getUTCFullYear() + 1);
    expect(a.card!.exp_month).toBe(new Date(a.created * 1000).getUTCMonth() + 1);
    const other = await t.stripe.paymentMethods.retrieve('pm_card_visa');
    expect(other.card!.fingerprint).not.toBe(a.card!.fingerprint);
  });

  it('creates cards from tokens and raw test numbers, and refuses invalid card data with 402s', async () => {
    const tok = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_amex' } });
    expect(tok.card).toMatchObject({ brand: 'amex', last4: '0005', country: 'US' });
    const rawCard = await t.stripe.paymentMethods.create({ type: 'card', card: { number: '4000056655665556', exp_month: 12, exp_year: 2034, cvc: '123' }, billing_details: { name: 'J' } });
    expect(rawCard.card).toMatchObject({ brand: 'visa', funding: 'debit', last4: '5556', exp_month: 12, exp_year: 2034, checks: { cvc_check: 'unchecked' } });
    expect(rawCard.billing_details).toEqual({ address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: 'J', phone: null, tax_id: null });
    const bad = async (card: any) => (await stripeError(t.stripe.paymentMethods.create({ type: 'card', card })));
    expect(await bad({ number: '4242424242424241', exp_month: 1, exp_year: 2034 })).toMatchObject({ statusCode: 402, code: 'incorrect_number', param: 'number', message: 'Your card number is incorrect.' });
    expect(await bad({ number: '4242424242424242', exp_month: 13, exp_year: 2034 })).toMatchObject({ code: 'invalid_expiry_month', param: 'exp_month' });
    expect(await bad({ number: '4242424242424242', exp_month: 1, exp_year: 2001 })).toMatchObject({ code: 'invalid_expiry_year', param: 'exp_year' });
    expect(await bad({ number: '4242424242424242', exp_month: 1, exp_year: 2034, cvc: '1' })).toMatchObject({ code: 'invalid_cvc', param: 'cvc' });
    expect(await bad({ number: '4111111111111111', exp_month: 1, exp_year: 2034 })).toMatchObject({ code: 'card_declined', decline_code: 'test_mode_live_card' });
    expect(await stripeError(t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_nonsense' } }))).toMatchObject({ code: 'resource_missing', message: "No such token: 'tok_nonsense'" });
    expect(await stripeError(t.stripe.paymentMethods.retrieve('pm_card_nonsense'))).toMatchObject({ code: 'resource_missing', message: "No such PaymentMethod: 'pm_card_nonsense'" });
  });

  it('attaches and detaches with events, and keeps a detached method from being used again', async () => {
    const c = await t.stripe.customers.create();
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    expect(pm).toMatchObject({ customer: c.id, card: { checks: { cvc_check: 'pass' } } });
    await t.stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } });
    const listed = await t.stripe.customers.listPaymentMethods(c.id);
    expect(listed.data.map((p) => p.id)).toEqual([pm.id]);
    expect((await t.stripe.paymentMethods.list({ customer: c.id })).data).toHaveLength(1);
    const detached = await t.stripe.paymentMethods.detach(pm.id);
    expect(detached.customer).toBeNull();
    const customer = (await t.stripe.customers.retrieve(c.id)) as Stripe.Customer;
    expect(customer.invoice_settings.default_payment_method).toBeNull();
    const events = (await t.stripe.events.list({ types: ['payment_method.attached', 'payment_method.detached'] })).data;
    expect(events.map((e) => e.type)).toEqual(['payment_method.detached', 'payment_method.attached']);
    expect(events[0].data.previous_attributes).toEqual({ customer: c.id });
    const reuse = await stripeError(t.stripe.paymentMethods.attach(pm.id, { customer: c.id }));
    expect(reuse.message).toMatch(/^The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment/);
    const twice = await stripeError(t.stripe.paymentMethods.detach(pm.id));
    expect(twice.statusCode).toBe(400);
  });

  it('refuses to attach a declining card (param "") and a method attached elsewhere (E40)', async () => {
    const c = await t.stripe.customers.create();
    const declined = await stripeError(t.stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: c.id }));
    expect(declined.raw).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', param: '', advice_code: 'try_again_later', network_decline_code: '01' });
    expect(declined.raw.charge).toBeUndefined();
    const failsLater = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: c.id });
    expect(failsLater.customer).toBe(c.id);
    const other = await t.stripe.customers.create();
    const e40 = await stripeError(t.stripe.paymentMethods.attach(failsLater.id, { customer: other.id }));
    expect(e40.raw).toMatchObject({ message: 'The payment method you provided has already been attached to a customer.', type: 'invalid_request_error' });
    expect(e40.raw.code).toBeUndefined();
    const missing = await stripeError(t.stripe.paymentMethods.attach('pm_1Nope', { customer: c.id }));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'payment_method' });
    expect(missing.message).toMatch(/^No such PaymentMethod: 'pm_1Nope'; It's possible this PaymentMethod exists on one of your connected accounts/);
  });

  it('consumes a PaymentMethod used without a customer (E21) and keeps customer ones reusable', async () => {
    const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: pm.id, confirm: true, allowed_payment_method_types: ['card'] });
    const e21 = await stripeError(t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: pm.id, confirm: true, allowed_payment_method_types: ['card'] }));
    expect(e21.statusCode).toBe(400);
    const c = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const saved = c.invoice_settings.default_payment_method as string;
    expect(saved).toMatch(/^pm_1/);
    for (let i = 0; i < 2; i++) {
      const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: c.id, payment_method: saved, confirm: true, off_session: true });
      expect(pi.status).toBe('succeeded');
    }
    const bad = await stripeError(t.stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } }));
    expect(bad.message).toBe(`The customer does not have a payment method with the ID ${pm.id}. The payment method must be attached to the customer.`);
  });

  it('saves the card to the customer when a payment sets setup_future_usage', async () => {
    const c = await t.stripe.customers.create();
    const pi = await t.stripe.paymentIntents.create({ amount: 1200, currency: 'usd', customer: c.id, payment_method: 'pm_card_visa', setup_future_usage: 'off_session', confirm: true, allowed_payment_method_types: ['card'] });
    const pm = await t.stripe.paymentMethods.retrieve(pi.payment_method as string);
    expect(pm.customer).toBe(c.id);
    const types = (await t.stripe.events.list()).data.map((e) => e.type).reverse();
    expect(types.slice(types.indexOf('payment_intent.created'))).toEqual(['payment_intent.created', 'payment_method.attached', 'charge.succeeded', 'payment_intent.succeeded', 'charge.updated']);
  });

  it('updates billing details, expiry and metadata with payment_method.updated', async () => {
    const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    const u = await t.stripe.paymentMethods.update(pm.id, { billing_details: { address: { postal_code: '94107' } }, card: { exp_month: 4, exp_year: 2040 }, metadata: { a: 'b' } });
    expect(u).toMatchObject({ billing_details: { address: { postal_code: '94107' } }, card: { exp_month: 4, exp_year: 2040 }, metadata: { a: 'b' } });
    const event = (await t.stripe.events.list({ type: 'payment_method.updated' })).data[0];
    expect(Object.keys(event.data.previous_attributes!).sort()).toEqual(['billing_details', 'card', 'metadata']);
  });
});
