import Stripe from 'stripe';
import { handleRequest } from '../../src';
import { BRIEF_001_PERMISSIONS, freshKey, MODES, stripeError, useHarness } from '../helpers';

// Restricted keys (rk_test_…, minted through the control surface): every route
// needs its rak_<resource>_read (GET) or rak_<resource>_write permission, write
// allowing read; a key without it gets Stripe's 403 naming the permission.

describe.each(MODES)('restricted keys (%s)', (mode) => {
  const t = useHarness(mode);

  async function restricted(permissions: string[]) {
    const owner = freshKey('owner');
    const secret = t.h.stripe(owner);
    const customer = await secret.customers.create({ email: 'ann@example.com' });
    const { key } = await t.h.control(owner).keys.create({ kind: 'restricted', permissions });
    return { secret, customer, rk: t.h.stripe(key), key, account: (await t.h.control(owner).keys.list()).account };
  }

  it('reads with a read permission, and answers the rest with the 403 naming the permission that would allow it', async () => {
    const { rk, customer, key, account } = await restricted(['rak_customer_read', 'rak_balance_read']);
    expect(key).toMatch(/^rk_test_/);
    expect((await rk.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ id: customer.id, email: 'ann@example.com' });
    expect((await rk.customers.list()).data.map((c) => c.id)).toEqual([customer.id]);
    expect((await rk.balance.retrieve()).object).toBe('balance');
    const denied = await stripeError(rk.customers.create({ email: 'bob@example.com' }));
    expect(denied).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(denied).toMatchObject({ statusCode: 403, type: 'StripePermissionError' });
    expect(denied.message).toBe(`The provided key '${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 30))}${key.slice(-4)}' does not have the required permissions for this endpoint on account '${account}'. Having the 'rak_customer_write' permission would allow this request to continue.`);
    expect((await stripeError(rk.paymentIntents.list())).message).toMatch(/Having the 'rak_payment_intent_read' permission/);
    expect((await stripeError(rk.prices.create({ unit_amount: 100, currency: 'usd', product_data: { name: 'x' } }))).message).toMatch(/'rak_plan_write'/);
    expect((await stripeError(rk.checkout.sessions.list())).message).toMatch(/'rak_checkout_session_read'/);
  });

  it('a write permission also reads; the denied write changes nothing', async () => {
    const { rk, secret, customer } = await restricted(['rak_customer_write']);
    expect(((await rk.customers.update(customer.id, { name: 'Ann' })) as Stripe.Customer).name).toBe('Ann');
    expect(((await rk.customers.retrieve(customer.id)) as Stripe.Customer).name).toBe('Ann');
    const before = (await secret.events.list()).data.length;
    expect((await stripeError(rk.paymentIntents.create({ amount: 500, currency: 'usd' }))).statusCode).toBe(403);
    expect((await secret.events.list()).data.length).toBe(before);
    expect((await secret.paymentIntents.list()).data).toEqual([]);
  });
});

describe.each(MODES)('restricted keys seeded from a Dashboard table (%s)', (mode) => {
  const t = useHarness(mode);

  it("brief 001's table, as written, is a seed: its key reads and writes exactly what the table lists", async () => {
    const owner = freshKey('agent_owner');
    const control = t.h.control(owner);
    const seeded = await control.seed({
      products: [{ id: 'prod_pro', name: 'Pro' }],
      prices: [{ id: 'price_pro', product: 'prod_pro', unit_amount: 2000, currency: 'usd' }],
      keys: [
        {
          key: 'rk_test_agent',
          permissions: BRIEF_001_PERMISSIONS,
        },
      ],
    });
    expect(Object.values(seeded.worlds)[0].created.keys).toEqual(['rk_test_agent']);
    const listed = (await control.keys.list()).keys.find((k) => k.key === 'rk_test_agent')!;
    expect(listed).toMatchObject({ kind: 'restricted', permissions: ['rak_balance_read', 'rak_customer_read', 'rak_payment_intent_read', 'rak_payment_link_write', 'rak_invoice_read', 'rak_refund_write', 'rak_subscription_read'] });

    const agent = t.h.stripe('rk_test_agent');
    const secret = t.h.stripe(owner);
    const customer = await secret.customers.create({ email: 'john@example.com' });
    const pi = await secret.paymentIntents.create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    expect((await agent.balance.retrieve()).object).toBe('balance');
    expect((await agent.customers.list({ email: 'john@example.com' })).data.map((c) => c.id)).toEqual([customer.id]);
    expect((await agent.paymentIntents.list()).data.map((p) => p.id)).toEqual([pi.id]);
    expect((await agent.paymentLinks.create({ line_items: [{ price: 'price_pro', quantity: 1 }] })).url).toBeTruthy();
    expect((await agent.invoices.list()).data).toEqual([]);
    expect((await agent.refunds.create({ payment_intent: pi.id })).status).toBe('succeeded');
    expect((await agent.subscriptions.list()).data).toEqual([]);
    expect((await stripeError(agent.customers.create({ email: 'x@example.com' }))).message).toMatch(/'rak_customer_write'/);
    expect((await stripeError(agent.products.list())).message).toMatch(/'rak_product_read'/);
    // The restricted key cannot seed itself more power (its own Authorization, no control token).
    const refused = await handleRequest(t.h.twin.engine, {
      method: 'POST',
      url: '/__admin__/seed',
      headers: { authorization: 'Bearer rk_test_agent', 'content-type': 'application/json' },
      readBody: async () => Buffer.from(JSON.stringify({ keys: [{ kind: 'secret' }] })),
    });
    expect(refused.status).toBe(403);
    expect((await control.keys.list()).keys.filter((k) => k.kind === 'secret')).toHaveLength(1);
  });
});
