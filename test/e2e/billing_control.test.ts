import Stripe from 'stripe';
import { expectSameRuns, MODES, useHarness } from '../helpers';

// Billing through the control surface: seeding definitions and customers with
// chosen ids, and the renewal nobody can test on real Stripe: a decline armed
// for a subscription's next renewal, then the clock moved past it. The calls
// are brief 004's control snippet (docs/agents.md §9) as written there, through the typed client.

describe.each(MODES)('billing control (%s)', (mode) => {
  const t = useHarness(mode);

  it("brief 004's snippet: seed, decline at next renewal, advance 32 days → upcoming, created, payment_failed, past_due", async () => {
    const sandbox = t.h.control(t.key);
    await sandbox.seed('prices', [{ id: 'price_pro_monthly', unit_amount: 1500, currency: 'cad', recurring: { interval: 'month' }, product: 'prod_pro' }]);
    await sandbox.seed('customers', [{ id: 'cus_jane', email: 'jane@example.com', invoice_settings: { default_payment_method: 'pm_jane_visa' } }]);
    const jane = await t.stripe.customers.retrieve('cus_jane') as Stripe.Customer;
    expect(jane.invoice_settings.default_payment_method).toBe('pm_jane_visa');
    expect(await t.stripe.prices.retrieve('price_pro_monthly')).toMatchObject({ unit_amount: 1500, currency: 'cad', product: 'prod_pro', type: 'recurring' });

    const sub = await t.stripe.subscriptions.create({ customer: 'cus_jane', items: [{ price: 'price_pro_monthly' }] });
    expect(sub.status).toBe('active');
    const since = (await t.stripe.events.list({ limit: 1 })).data[0].id;
    const armed = await sandbox.world.trigger('payment.declined', { subscription_id: sub.id, at: 'next_renewal' });
    expect(armed).toMatchObject({ trigger: 'payment.declined', subscription: sub.id, armed: { decline_code: 'generic_decline', at: 'next_renewal' } });
    await sandbox.clock.advance('32d');

    const all = (await t.stripe.events.list({ limit: 100 })).data.reverse();
    const after = all.slice(all.findIndex((e) => e.id === since) + 1);
    const billing = after.filter((e) => ['invoice.upcoming', 'invoice.created', 'invoice.payment_failed'].includes(e.type) || (e.type === 'customer.subscription.updated' && (e.data.previous_attributes as any)?.status));
    expect(billing.map((e) => e.type)).toEqual(['invoice.upcoming', 'invoice.created', 'invoice.payment_failed', 'customer.subscription.updated']);
    expect((billing[1].data.object as Stripe.Invoice).billing_reason).toBe('subscription_cycle');
    expect(billing[3].data).toMatchObject({ object: { status: 'past_due' }, previous_attributes: { status: 'active' } });
    expect((await t.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
  });

  it("brief 004's account, pinned at 2024-12-18.acacia: the renewal's events carry that version and its shapes", async () => {
    const sandbox = t.h.control(t.key);
    await sandbox.setApiVersion('2024-12-18.acacia');
    await sandbox.seed('prices', [{ id: 'price_pro_monthly', unit_amount: 1500, currency: 'cad', recurring: { interval: 'month' }, product: 'prod_pro' }]);
    await sandbox.seed('customers', [{ id: 'cus_jane', email: 'jane@example.com', invoice_settings: { default_payment_method: 'pm_jane_visa' } }]);
    const sub = await t.stripe.subscriptions.create({ customer: 'cus_jane', items: [{ price: 'price_pro_monthly' }] });
    await sandbox.world.trigger('payment.declined', { subscription_id: sub.id, at: 'next_renewal' });
    await sandbox.clock.advance('32d');
    const [failed] = (await t.stripe.events.list({ type: 'invoice.payment_failed', limit: 1 })).data;
    // Events use the account's pin, whatever the SDK sends (brief 004: "events always use the account pin").
    expect(failed.api_version).toBe('2024-12-18.acacia');
    // Before basil an invoice names its subscription and PaymentIntent at the top level (the twin keeps basil's
    // `parent` beside them, docs/versions.md).
    const invoice = failed.data.object as any;
    expect(invoice).toMatchObject({ subscription: sub.id, billing_reason: 'subscription_cycle', paid: false, status: 'open' });
    expect(invoice.payment_intent).toMatch(/^pi_/);
    // The same invoice read at the SDK's own version has the endive shape.
    const now = await t.stripe.invoices.retrieve(invoice.id);
    expect(now.parent?.subscription_details?.subscription).toBe(sub.id);
    expect(now).not.toHaveProperty('subscription');
  });

  it('seeds products, prices with a legacy id, coupons and subscriptions in one call', async () => {
    const result = await t.h.control(t.key).seed({
      products: [{ id: 'prod_team', name: 'Team', unit_label: 'seat' }],
      prices: [{ id: 'small-monthly', product: 'prod_team', unit_amount: 2500, currency: 'usd', recurring: { interval: 'month' }, nickname: 'Small Monthly' }],
      coupons: [{ id: '10OFF', percent_off: 10, duration: 'forever', name: '10% Off' }],
      customers: [{ id: 'cus_bob', email: 'bob@example.com', invoice_settings: { default_payment_method: 'pm_bob_visa' } }],
      subscriptions: [{ id: 'sub_bob', customer: 'cus_bob', items: [{ price: 'small-monthly', quantity: 3 }] }],
    });
    expect(Object.values(result.worlds)[0].created).toMatchObject({ products: ['prod_team'], prices: ['small-monthly'], coupons: ['10OFF'], customers: ['cus_bob'], subscriptions: ['sub_bob'] });
    const sub = await t.stripe.subscriptions.retrieve('sub_bob', { expand: ['latest_invoice'] });
    expect(sub).toMatchObject({ status: 'active', items: { data: [{ price: { id: 'small-monthly' }, plan: { id: 'small-monthly', object: 'plan' }, quantity: 3 }] } });
    expect((sub.latest_invoice as Stripe.Invoice).lines.data[0].description).toBe('3 seat × Team (at $25.00 / month)');
    expect(await t.stripe.coupons.retrieve('10OFF')).toMatchObject({ percent_off: 10, duration: 'forever' });
  });
});

describe('billing determinism', () => {
  it('the same seed and requests give the same bytes: subscriptions, four months on a test clock with a trial, a discount and dunning, Checkout and credit notes', async () => {
    await expectSameRuns({ seed: 'billing' }, async (h, record) => {
      const stripe = h.stripe('sk_test_billing_determinism');
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1767225600 });
      const price = await stripe.prices.create({ unit_amount: 1200, currency: 'usd', recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
      const coupon = await stripe.coupons.create({ percent_off: 25, duration: 'repeating', duration_in_months: 3 });
      const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }], trial_period_days: 10 });
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 70 * 86400 });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 120 * 86400 });
      record(await stripe.subscriptions.retrieve(sub.id));
      const invoices = await stripe.invoices.list({ customer: customer.id, limit: 100 });
      record(invoices);
      const paid = invoices.data.find((i) => i.status === 'paid' && i.amount_paid > 0)!;
      record(await stripe.creditNotes.create({ invoice: paid.id, lines: [{ type: 'custom_line_item', unit_amount: 100, quantity: 1, description: 'goodwill' }], credit_amount: 100 }));
      const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://example.com' });
      record(await stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: 'pm_card_visa' }));
      // Events without `request`: its idempotency key is the one stripe-node draws at random for each POST.
      record((await stripe.events.list({ limit: 100 })).data.map(({ request: _r, ...event }) => event));
    });
  });
});
