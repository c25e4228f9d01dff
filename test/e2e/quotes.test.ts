import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// Quotes (src/resources/billing/quotes.ts): draft → open (numbered) → accepted
// (a subscription when an item recurs, else an invoice) or canceled, by hand or
// at expires_at on the world clock; through the official SDK.

describe.each(MODES)('quotes (%s)', (mode) => {
  const t = useHarness(mode);

  async function customerWithCard(email = 'quote@example.com') {
    const customer = await t.stripe.customers.create({ email });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    return customer;
  }
  const prices = async () => {
    const product = await t.stripe.products.create({ name: 'Seats' });
    const monthly = await t.stripe.prices.create({ product: product.id, unit_amount: 1500, currency: 'usd', recurring: { interval: 'month' } });
    const setup = await t.stripe.prices.create({ product: product.id, unit_amount: 5000, currency: 'usd' });
    return { monthly, setup };
  };
  const typesSince = async (created: number) =>
    (await t.stripe.events.list({ limit: 100, created: { gte: created } })).data.map((e) => e.type).reverse();

  it('prices a draft, numbers it on finalize, and makes a paid subscription on accept, in order', async () => {
    const customer = await customerWithCard();
    const { monthly, setup } = await prices();
    const quote = await t.stripe.quotes.create({
      customer: customer.id,
      description: 'Ten seats',
      line_items: [{ price: monthly.id, quantity: 10 }, { price: setup.id, quantity: 1 }],
    });
    expect(quote).toMatchObject({
      object: 'quote',
      status: 'draft',
      number: null,
      amount_subtotal: 20000,
      amount_total: 20000,
      currency: 'usd',
      collection_method: 'charge_automatically',
      computed: {
        recurring: { amount_subtotal: 15000, amount_total: 15000, interval: 'month', interval_count: 1 },
        upfront: { amount_subtotal: 20000, amount_total: 20000, total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 } },
      },
      invoice: null,
      subscription: null,
      status_transitions: { accepted_at: null, canceled_at: null, finalized_at: null },
    });
    expect(quote.id).toMatch(/^qt_/);
    expect(quote.expires_at - quote.created).toBe(30 * 86400);
    const items = await t.stripe.quotes.listLineItems(quote.id);
    expect(items.data.map((i) => [i.object, i.price!.id, i.quantity, i.amount_total])).toEqual([
      ['item', monthly.id, 10, 15000],
      ['item', setup.id, 1, 5000],
    ]);

    const open = await t.stripe.quotes.finalizeQuote(quote.id);
    const invoicePrefix = (await t.stripe.customers.retrieve(customer.id) as Stripe.Customer).invoice_prefix;
    expect(open).toMatchObject({ status: 'open', number: `QT-${invoicePrefix}-0001-1` });
    expect(open.status_transitions.finalized_at).toEqual(expect.any(Number));

    const accepted = await t.stripe.quotes.accept(quote.id);
    expect(accepted).toMatchObject({ status: 'accepted', invoice: null, subscription: expect.stringMatching(/^sub_/) });
    const sub = await t.stripe.subscriptions.retrieve(accepted.subscription as string, { expand: ['latest_invoice'] });
    expect(sub.status).toBe('active');
    expect(sub.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[monthly.id, 10]]);
    expect(sub.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 20000 });
    const types = await typesSince(quote.created);
    expect(types.filter((e) => e.startsWith('quote.'))).toEqual(['quote.created', 'quote.finalized', 'quote.accepted']);
    expect(types.indexOf('customer.subscription.created')).toBeLessThan(types.indexOf('quote.accepted'));
  });

  it('makes a draft invoice of one-time items, its parent the quote', async () => {
    const customer = await customerWithCard('one-time@example.com');
    const { setup } = await prices();
    const quote = await t.stripe.quotes.create({ customer: customer.id, line_items: [{ price: setup.id, quantity: 2 }] });
    expect(quote.computed.recurring).toBeNull();
    await t.stripe.quotes.finalizeQuote(quote.id);
    const accepted = await t.stripe.quotes.accept(quote.id);
    const invoice = await t.stripe.invoices.retrieve(accepted.invoice as string);
    expect(invoice).toMatchObject({
      status: 'draft',
      billing_reason: 'quote_accept',
      total: 10000,
      parent: { type: 'quote_details', quote_details: { quote: quote.id }, subscription_details: null },
    });
    expect(invoice.lines.data.map((l) => [l.amount, l.quantity])).toEqual([[10000, 2]]);
  });

  it('refuses what its state does not allow, and an open quote changes its expiry only', async () => {
    const { monthly } = await prices();
    const draft = await t.stripe.quotes.create({ line_items: [{ price: monthly.id, quantity: 1 }] });
    // No customer yet: cannot be finalized.
    expect(await stripeError(t.stripe.quotes.finalizeQuote(draft.id))).toMatchObject({ statusCode: 400, param: 'customer' });
    expect(await stripeError(t.stripe.quotes.accept(draft.id))).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    const customer = await customerWithCard('states@example.com');
    const updated = await t.stripe.quotes.update(draft.id, { customer: customer.id, line_items: [{ price: monthly.id, quantity: 3 }] });
    expect(updated).toMatchObject({ customer: customer.id, amount_total: 4500 });
    const open = await t.stripe.quotes.finalizeQuote(draft.id);
    expect(await stripeError(t.stripe.quotes.update(open.id, { description: 'late' }))).toMatchObject({ statusCode: 400, param: 'description' });
    const later = open.expires_at + 86400;
    expect((await t.stripe.quotes.update(open.id, { expires_at: later })).expires_at).toBe(later);
    const canceled = await t.stripe.quotes.cancel(open.id);
    expect(canceled).toMatchObject({ status: 'canceled', status_transitions: { canceled_at: expect.any(Number) } });
    expect(await stripeError(t.stripe.quotes.cancel(open.id))).toMatchObject({ statusCode: 400 });
    expect(await stripeError(t.stripe.quotes.create({ discounts: [{ coupon: 'X' }] } as any))).toMatchObject({ statusCode: 501 });
  });

  it('cancels a quote still open at its expiry on the world clock (quote.canceled)', async () => {
    const customer = await customerWithCard('expiry@example.com');
    const { monthly } = await prices();
    const quote = await t.stripe.quotes.create({ customer: customer.id, line_items: [{ price: monthly.id, quantity: 1 }] });
    await t.stripe.quotes.finalizeQuote(quote.id, { expires_at: quote.created + 3 * 86400 });
    await t.h.control(t.key).clock.advance('4d');
    const expired = await t.stripe.quotes.retrieve(quote.id);
    expect(expired).toMatchObject({ status: 'canceled', status_transitions: { canceled_at: quote.created + 3 * 86400 } });
    expect((await t.stripe.quotes.list({ customer: customer.id, status: 'canceled' })).data.map((q) => q.id)).toEqual([quote.id]);
  });
});
