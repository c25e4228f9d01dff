import Stripe from 'stripe';
import { keyOf, MODES, stripeError, useHarness } from '../helpers';

// The legacy API (docs/legacy.md): Charges with `source`, Tokens, customer
// sources and Cards, written as an old-style suite would through the SDK.

describe.each(MODES)('legacy charges, tokens and sources (%s)', (mode) => {
  const t = useHarness(mode);
  const advance = (duration: string) => t.h.admin('POST', '/__admin__/clock/advance', { duration }, keyOf(t.stripe));
  const eventTypes = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();
  const card = (c: Stripe.Charge) => c.source as Stripe.Card;

  it('charges a test token: a Charge without a PaymentIntent, with the card as source and a balance transaction', async () => {
    const charge = await t.stripe.charges.create({ amount: 2000, currency: 'USD', source: 'tok_visa', description: 'Order 1', metadata: { order: '1' } });
    expect(charge).toMatchObject({
      object: 'charge', amount: 2000, amount_captured: 2000, currency: 'usd', captured: true, paid: true, status: 'succeeded',
      payment_intent: null, customer: null, description: 'Order 1', metadata: { order: '1' }, refunded: false,
    });
    expect(charge.id).toMatch(/^ch_1/);
    expect(card(charge)).toMatchObject({ object: 'card', brand: 'Visa', last4: '4242', funding: 'credit', country: 'US', customer: null, cvc_check: null, address_line1: null, name: null, metadata: {} });
    expect(card(charge).id).toMatch(/^card_/);
    expect(charge.payment_method).toBe(card(charge).id);
    expect(charge.payment_method_details!.card).toMatchObject({ brand: 'visa', last4: '4242', amount_authorized: 2000 });
    const bt = await t.stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    expect(bt).toMatchObject({ amount: 2000, fee: 88, type: 'charge', source: charge.id });
    expect(await eventTypes()).toEqual(['charge.succeeded']);
    const mastercard = await t.stripe.charges.create({ amount: 500, currency: 'usd', source: 'tok_mastercard' });
    expect(card(mastercard)).toMatchObject({ brand: 'MasterCard', last4: '4444' });
    expect(card(mastercard).id).not.toBe(card(charge).id);
    expect((await t.stripe.charges.list()).data.map((c) => c.id)).toEqual([mastercard.id, charge.id]);
  });

  it('declines with the tok_chargeDeclined* tokens: 402 naming the stored failed charge, and charge.failed', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['tok_chargeDeclined', { code: 'card_declined', decline_code: 'generic_decline', param: undefined }],
      ['tok_chargeDeclinedInsufficientFunds', { code: 'card_declined', decline_code: 'insufficient_funds' }],
      ['tok_chargeDeclinedFraudulent', { code: 'card_declined', decline_code: 'fraudulent' }],
      ['tok_chargeDeclinedIncorrectCvc', { code: 'incorrect_cvc', param: 'cvc' }],
      ['tok_chargeDeclinedExpiredCard', { code: 'expired_card', param: 'exp_month' }],
      ['tok_chargeDeclinedProcessingError', { code: 'processing_error', param: undefined }],
    ];
    for (const [source, expected] of cases) {
      const err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', source }));
      expect(err).toMatchObject({ type: 'StripeCardError', statusCode: 402, ...expected });
      expect(err.raw.charge).toMatch(/^ch_1/);
      expect(err.raw.payment_intent).toBeUndefined();
      const failed = await t.stripe.charges.retrieve(err.raw.charge);
      expect(failed).toMatchObject({ status: 'failed', paid: false, captured: false, failure_code: expected.code, balance_transaction: null, payment_intent: null });
    }
    expect(new Set(await eventTypes())).toEqual(new Set(['charge.failed']));
  });

  it('authorizes with capture=false, then captures in full or in part; a second capture fails', async () => {
    const auth = await t.stripe.charges.create({ amount: 3000, currency: 'usd', source: 'tok_visa', capture: false });
    expect(auth).toMatchObject({ captured: false, amount_captured: 0, balance_transaction: null, status: 'succeeded', paid: true });
    const captured = await t.stripe.charges.capture(auth.id);
    expect(captured).toMatchObject({ captured: true, amount_captured: 3000, amount_refunded: 0 });
    expect(captured.balance_transaction).toMatch(/^txn_/);
    const again = await stripeError(t.stripe.charges.capture(auth.id));
    expect(again).toMatchObject({ statusCode: 400, code: 'charge_already_captured', message: `Charge ${auth.id} has already been captured.` });

    const partial = await t.stripe.charges.create({ amount: 3000, currency: 'usd', source: 'tok_visa', capture: false });
    const tooSmall = await stripeError(t.stripe.charges.capture(partial.id, { amount: 10 }));
    expect(tooSmall).toMatchObject({ statusCode: 400, code: 'amount_too_small', param: undefined });
    const part = await t.stripe.charges.capture(partial.id, { amount: 1000 });
    // From 2025-03-31.basil no refund is made for the rest.
    expect(part).toMatchObject({ captured: true, amount_captured: 1000, amount_refunded: 0, refunded: false });
    expect((await t.stripe.balanceTransactions.retrieve(part.balance_transaction as string)).amount).toBe(1000);
    const missing = await stripeError(t.stripe.charges.capture('ch_nope'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'charge' });
    expect(await eventTypes()).toEqual(['charge.succeeded', 'charge.captured', 'charge.succeeded', 'charge.captured']);
  });

  it('refunds legacy charges (also through /v1/charges/:id/refunds) and releases uncaptured ones whole', async () => {
    const charge = await t.stripe.charges.create({ amount: 2000, currency: 'usd', source: 'tok_visa' });
    const r1 = await t.stripe.refunds.create({ charge: charge.id, amount: 500 });
    expect(r1).toMatchObject({ amount: 500, charge: charge.id, payment_intent: null, status: 'succeeded' });
    expect(r1.id).toMatch(/^re_1/);
    // The older charge-scoped form.
    const r2 = (await t.stripe.rawRequest('POST', `/v1/charges/${charge.id}/refunds`, {})) as unknown as Stripe.Refund;
    expect(r2).toMatchObject({ object: 'refund', amount: 1500, charge: charge.id });
    expect(await t.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 2000, refunded: true });

    const auth = await t.stripe.charges.create({ amount: 2000, currency: 'usd', source: 'tok_visa', capture: false });
    const partial = await stripeError(t.stripe.refunds.create({ charge: auth.id, amount: 500 }));
    expect(partial).toMatchObject({ statusCode: 400, param: 'amount' });
    const released = await t.stripe.refunds.create({ charge: auth.id });
    expect(released).toMatchObject({ amount: 2000, balance_transaction: null });
    const capture = await stripeError(t.stripe.charges.capture(auth.id));
    expect(capture.statusCode).toBe(400);
  });

  it('releases an uncaptured charge after seven days with charge.expired', async () => {
    const auth = await t.stripe.charges.create({ amount: 2000, currency: 'usd', source: 'tok_visa', capture: false });
    await advance('8d');
    expect(await t.stripe.charges.retrieve(auth.id)).toMatchObject({ captured: false, amount_refunded: 2000 });
    expect((await eventTypes()).slice(-3)).toEqual(['charge.refunded', 'refund.created', 'charge.expired']);
  });

  it('validates the request as Stripe does', async () => {
    expect(await stripeError(t.stripe.charges.create({ currency: 'usd', source: 'tok_visa' } as any))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'amount', message: 'Missing required param: amount.' });
    expect(await stripeError(t.stripe.charges.create({ amount: 100 } as any))).toMatchObject({ code: 'parameter_missing', param: 'currency' });
    expect(await stripeError(t.stripe.charges.create({ amount: 5, currency: 'usd', source: 'tok_visa' }))).toMatchObject({ code: 'amount_too_small', param: 'amount', message: 'Amount must be at least $0.50 usd' });
    expect(await stripeError(t.stripe.charges.create({ amount: -1, currency: 'usd', source: 'tok_visa' }))).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    expect(await stripeError(t.stripe.charges.create({ amount: 500, currency: 'usd', source: 'tok_nope' }))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'source' });
    expect(await stripeError(t.stripe.charges.create({ amount: 500, currency: 'usd' }))).toMatchObject({ statusCode: 400, message: 'Must provide source or customer.' });
  });

  it('makes card tokens from raw test numbers (single use) and bank-account tokens', async () => {
    const token = await t.stripe.tokens.create({ card: { number: '4242424242424242', exp_month: '12', exp_year: '2040', cvc: '123' } } as any);
    expect(Object.keys(token)).toEqual(['id', 'object', 'card', 'client_ip', 'created', 'livemode', 'type', 'used']);
    expect(token).toMatchObject({ object: 'token', type: 'card', used: false, client_ip: null, livemode: false });
    expect(token.id).toMatch(/^tok_/);
    expect(token.card).toMatchObject({ object: 'card', brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2040, cvc_check: 'pass' });
    expect(token.card).not.toHaveProperty('customer');
    const charge = await t.stripe.charges.create({ amount: 1000, currency: 'usd', source: token.id });
    expect(card(charge).id).toBe(token.card!.id);
    expect((await t.stripe.tokens.retrieve(token.id)).used).toBe(true);
    const reused = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', source: token.id }));
    expect(reused).toMatchObject({ statusCode: 400, code: 'token_already_used', message: `You cannot use a Stripe token more than once: ${token.id}.` });
    const bad = await stripeError(t.stripe.tokens.create({ card: { number: '4242424242424241', exp_month: '12', exp_year: '2040' } } as any));
    expect(bad).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'incorrect_number', param: 'number' });
    const declining = await t.stripe.tokens.create({ card: { number: '4000000000000002', exp_month: '12', exp_year: '2040' } } as any);
    const declined = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', source: declining.id }));
    expect(declined).toMatchObject({ statusCode: 402, decline_code: 'generic_decline' });

    const btok = await t.stripe.tokens.create({
      bank_account: { country: 'US', currency: 'usd', account_holder_name: 'Jenny Rosen', account_holder_type: 'individual', routing_number: '110000000', account_number: '000123456789' },
    });
    expect(btok).toMatchObject({ object: 'token', type: 'bank_account', used: false });
    expect(btok.id).toMatch(/^btok_/);
    expect(btok.bank_account).toMatchObject({ object: 'bank_account', bank_name: 'STRIPE TEST BANK', last4: '6789', routing_number: '110000000', status: 'new', account_type: null });
    expect(btok).not.toHaveProperty('card');
    expect(await stripeError(t.stripe.tokens.retrieve('tok_missing'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe.each(MODES)('raw card numbers without raw-card access (%s)', (mode) => {
  const t = useHarness(mode, { config: { rawCardData: false } });

  it('refuses a card token from raw numbers with E33, and test tokens still work', async () => {
    const err = await stripeError(t.stripe.tokens.create({ card: { number: '4242424242424242', exp_month: '12', exp_year: '2040' } } as any));
    expect(err).toMatchObject({ statusCode: 402, type: 'StripeCardError' });
    expect(err.message).toMatch(/^Sending credit card numbers directly to the Stripe API is generally unsafe\..*To enable raw card data APIs in test mode, see https:\/\/support\.stripe\.com\/questions\/enabling-access-to-raw-card-data-apis\.$/);
    expect((await t.stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_visa' })).status).toBe('succeeded');
  });
});

describe.each(MODES)('customer sources and cards (%s)', (mode) => {
  const t = useHarness(mode);
  const eventTypes = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();

  it('creates a customer with source=tok_visa: the card is saved and is the default source', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_visa', email: 'a@example.com' });
    expect(customer.default_source).toMatch(/^card_/);
    expect(customer).not.toHaveProperty('sources');
    const expanded = await t.stripe.customers.retrieve(customer.id, { expand: ['sources'] }) as Stripe.Customer;
    expect(expanded.sources).toMatchObject({ object: 'list', has_more: false, url: `/v1/customers/${customer.id}/sources` });
    expect(expanded.sources!.data).toHaveLength(1);
    const saved = expanded.sources!.data[0] as Stripe.Card;
    expect(saved).toMatchObject({ id: customer.default_source, object: 'card', customer: customer.id, brand: 'Visa', last4: '4242' });
    expect(await eventTypes()).toEqual(['customer.created', 'customer.source.created']);

    const charge = await t.stripe.charges.create({ amount: 1500, currency: 'usd', customer: customer.id });
    expect(charge).toMatchObject({ customer: customer.id, payment_method: saved.id, status: 'succeeded' });
    expect(charge.source).toMatchObject({ id: saved.id, customer: customer.id });
  });

  it('fails creating a customer with a declining token as attaching does', async () => {
    expect(await stripeError(t.stripe.customers.create({ source: 'tok_chargeDeclined' }))).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline', param: '' });
    expect(await stripeError(t.stripe.customers.create({ source: 'tok_chargeDeclinedIncorrectCvc' }))).toMatchObject({ code: 'incorrect_cvc', param: 'cvc' });
    expect(await stripeError(t.stripe.customers.create({ source: 'tok_chargeDeclinedExpiredCard' }))).toMatchObject({ code: 'expired_card', param: 'exp_month' });
    expect((await t.stripe.customers.list()).data).toHaveLength(0);
    // …0341 attaches, then every charge declines.
    const customer = await t.stripe.customers.create({ source: 'tok_chargeCustomerFail' });
    const err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: customer.id }));
    expect(err).toMatchObject({ statusCode: 402, code: 'card_declined' });
    expect((await t.stripe.charges.retrieve(err.raw.charge)).customer).toBe(customer.id);
  });

  it('adds, lists, updates and deletes cards; the default follows', async () => {
    const customer = await t.stripe.customers.create({ email: 'b@example.com' });
    expect(customer.default_source).toBeNull();
    const noCard = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: customer.id }));
    expect(noCard).toMatchObject({ statusCode: 402, code: 'missing', param: 'card', message: 'Cannot charge a customer that has no active card' });

    const first = (await t.stripe.customers.createSource(customer.id, { source: 'tok_visa' })) as Stripe.Card;
    expect(first).toMatchObject({ object: 'card', customer: customer.id, last4: '4242' });
    expect((await t.stripe.customers.retrieve(customer.id) as Stripe.Customer).default_source).toBe(first.id);
    const second = (await t.stripe.customers.createSource(customer.id, { source: 'tok_mastercard', metadata: { n: '2' } })) as Stripe.Card;
    expect(second.metadata).toEqual({ n: '2' });
    expect((await t.stripe.customers.retrieve(customer.id) as Stripe.Customer).default_source).toBe(first.id);

    const listed = await t.stripe.customers.listSources(customer.id, { object: 'card' });
    expect(listed.data.map((c) => c.id)).toEqual([second.id, first.id]);
    expect(listed.url).toBe(`/v1/customers/${customer.id}/sources`);
    expect((await t.stripe.customers.listSources(customer.id, { object: 'bank_account' })).data).toEqual([]);
    expect(await t.stripe.customers.retrieveSource(customer.id, second.id)).toMatchObject({ id: second.id });
    expect(await stripeError(t.stripe.customers.retrieveSource(customer.id, 'card_nope'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(await stripeError(t.stripe.customers.listSources('cus_nope'))).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such customer: 'cus_nope'" });

    const updated = (await t.stripe.customers.updateSource(customer.id, second.id, { name: 'Jenny Rosen', exp_year: 2040 } as any)) as Stripe.Card;
    expect(updated).toMatchObject({ name: 'Jenny Rosen', exp_year: 2040 });

    // A given card of the customer, then one of another customer.
    const charge = await t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: customer.id, source: second.id });
    expect(charge.payment_method).toBe(second.id);
    const other = await t.stripe.customers.create({ source: 'tok_visa' });
    const notLinked = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: other.id, source: second.id }));
    expect(notLinked).toMatchObject({ statusCode: 404, code: 'missing', param: 'source', message: `Customer ${other.id} does not have a linked source with ID ${second.id}.` });

    // Switching the default, then deleting it: the other card becomes the default.
    const switched = await t.stripe.customers.update(customer.id, { default_source: second.id });
    expect(switched.default_source).toBe(second.id);
    expect(await stripeError(t.stripe.customers.update(customer.id, { default_source: 'card_nope' }))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'source' });
    const deleted = await t.stripe.customers.deleteSource(customer.id, second.id);
    expect(deleted).toEqual({ id: second.id, object: 'card', deleted: true });
    expect((await t.stripe.customers.retrieve(customer.id) as Stripe.Customer).default_source).toBe(first.id);
    await t.stripe.customers.deleteSource(customer.id, first.id);
    expect((await t.stripe.customers.retrieve(customer.id) as Stripe.Customer).default_source).toBeNull();

    const types = (await eventTypes()).filter((type) => type.startsWith('customer.'));
    expect(types).toEqual([
      'customer.created', 'customer.source.created', 'customer.updated', 'customer.source.created', 'customer.source.updated',
      'customer.created', 'customer.source.created', 'customer.updated', 'customer.source.deleted', 'customer.updated',
      'customer.source.deleted', 'customer.updated',
    ]);
  });

  it('saves card details sent as a hash, and gives a customer to a charge that had none', async () => {
    const customer = await t.stripe.customers.create({});
    const saved = (await t.stripe.customers.createSource(customer.id, {
      card: { object: 'card', number: '5555555555554444', exp_month: 3, exp_year: 2041, cvc: '314', address_zip: '94107', metadata: { via: 'hash' } },
    } as any)) as Stripe.Card;
    expect(saved).toMatchObject({ brand: 'MasterCard', last4: '4444', exp_month: 3, exp_year: 2041, cvc_check: 'pass', address_zip: '94107', address_zip_check: 'pass', customer: customer.id, metadata: { via: 'hash' } });
    const bad = await stripeError(t.stripe.customers.createSource(customer.id, { card: { number: '4242424242424242', exp_month: 13, exp_year: 2041 } } as any));
    expect(bad).toMatchObject({ statusCode: 402, code: 'invalid_expiry_month', param: 'exp_month' });

    const charge = await t.stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_visa' });
    const given = await t.stripe.charges.update(charge.id, { customer: customer.id });
    expect(given.customer).toBe(customer.id);
    expect(await stripeError(t.stripe.charges.update(charge.id, { customer: 'cus_other' }))).toMatchObject({ statusCode: 400, param: 'customer' });
    const updated = (await t.stripe.events.list({ type: 'charge.updated' })).data[0];
    expect(updated.data.previous_attributes).toEqual({ customer: null });
  });

  it('replaces the default source when the customer is updated with a new source', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_visa' });
    const old = customer.default_source as string;
    const updated = await t.stripe.customers.update(customer.id, { source: 'tok_mastercard' });
    expect(updated.default_source).not.toBe(old);
    const sources = await t.stripe.customers.listSources(customer.id);
    expect(sources.data.map((s) => s.id)).toEqual([updated.default_source]);
    expect(((sources.data[0]) as Stripe.Card).brand).toBe('MasterCard');
  });

  it('accepts a card id as a PaymentIntent payment_method, declining as the card does', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_visa' });
    const cardId = customer.default_source as string;
    const pi = await t.stripe.paymentIntents.create({
      amount: 1200, currency: 'usd', customer: customer.id, payment_method: cardId, confirm: true, allowed_payment_method_types: ['card'],
    });
    expect(pi).toMatchObject({ status: 'succeeded', payment_method: cardId });
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ payment_intent: pi.id, payment_method: cardId });

    const failing = await t.stripe.customers.create({ source: 'tok_chargeCustomerFail' });
    const err = await stripeError(t.stripe.paymentIntents.create({
      amount: 1200, currency: 'usd', customer: failing.id, payment_method: failing.default_source as string, confirm: true, allowed_payment_method_types: ['card'],
    }));
    expect(err).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
  });
});

describe.each(MODES)('legacy cards where PaymentMethods are used (%s)', (mode) => {
  const t = useHarness(mode);
  const advance = (duration: string) => t.h.admin('POST', '/__admin__/clock/advance', { duration }, keyOf(t.stripe));

  it('refuses another customer’s card on a PaymentIntent', async () => {
    const owner = await t.stripe.customers.create({ source: 'tok_visa' });
    const other = await t.stripe.customers.create({});
    const err = await stripeError(t.stripe.paymentIntents.create({
      amount: 1000, currency: 'usd', customer: other.id, payment_method: owner.default_source as string, allowed_payment_method_types: ['card'],
    }));
    expect(err).toMatchObject({ statusCode: 404, param: 'payment_method', message: `Customer ${other.id} does not have a linked source with ID ${owner.default_source}.` });
  });

  it('confirms a PaymentIntent without a payment method with the customer’s default source', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_mastercard' });
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id, confirm: true, allowed_payment_method_types: ['card'] });
    expect(pi).toMatchObject({ status: 'succeeded', source: customer.default_source, payment_method: customer.default_source });
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.payment_method_details!.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
  });

  it('bills a subscription to the customer’s default source', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_visa' });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], expand: ['latest_invoice'] });
    expect(sub.status).toBe('active');
    expect((sub.latest_invoice as Stripe.Invoice).status).toBe('paid');
    const charge = (await t.stripe.charges.list({ customer: customer.id })).data[0];
    expect(charge).toMatchObject({ amount: 1500, payment_method: customer.default_source, status: 'succeeded' });
  });

  it('bills a subscription to its own default_source, which must be the customer’s', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_visa' });
    const second = await t.stripe.customers.createSource(customer.id, { source: 'tok_mastercard' });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 900, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_source: second.id });
    expect(sub).toMatchObject({ status: 'active', default_source: second.id });
    expect((await t.stripe.charges.list({ customer: customer.id })).data[0].payment_method).toBe(second.id);
    const stranger = await t.stripe.customers.create({ source: 'tok_visa' });
    const err = await stripeError(t.stripe.subscriptions.update(sub.id, { default_source: stranger.default_source as string }));
    expect(err).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'default_source' });
  });

  it('pays an invoice with its default_source, or with the source given to pay', async () => {
    const customer = await t.stripe.customers.create({ source: 'tok_visa' });
    const amex = await t.stripe.customers.createSource(customer.id, { source: 'tok_amex' });
    const mastercard = await t.stripe.customers.createSource(customer.id, { source: 'tok_mastercard' });
    const invoiceFor = async (params: Partial<Stripe.InvoiceCreateParams> = {}) => {
      const invoice = await t.stripe.invoices.create({ customer: customer.id, auto_advance: false, ...params });
      await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 700, currency: 'usd' });
      return invoice;
    };
    const first = await invoiceFor({ default_source: amex.id });
    expect(first.default_source).toBe(amex.id);
    expect((await t.stripe.invoices.pay(first.id)).status).toBe('paid');
    const second = await invoiceFor();
    expect((await t.stripe.invoices.pay(second.id, { source: mastercard.id })).status).toBe('paid');
    const charges = (await t.stripe.charges.list({ customer: customer.id })).data;
    expect(charges.map((c) => c.payment_method)).toEqual([mastercard.id, amex.id]);
  });

  it('opens a dispute on a tok_createDispute charge after it is made', async () => {
    const charge = await t.stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_createDispute' });
    expect(charge.disputed).toBe(false);
    await advance('1s');
    const later = await t.stripe.charges.retrieve(charge.id);
    expect(later.disputed).toBe(true);
    expect((await t.stripe.events.list({ type: 'charge.dispute.created' })).data).toHaveLength(1);
  });
});
