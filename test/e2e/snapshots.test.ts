import Stripe from 'stripe';
import { freshKey, MODES, startHarness, useHarness } from '../helpers'; // first: loads the twin in its module order
import { TwinControlError } from '../../src/control/client';

// Snapshots and world files (docs/durability.md), through the typed control
// client and the official SDK: what is restored carries on as if never saved.

const DAY = 86400;

async function subscriptionOnTestClock(stripe: Stripe) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1767225600 });
  const customer = await stripe.customers.create({ test_clock: clock.id, email: 'jane@example.com' });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  return { clock, customer, sub };
}

describe.each(MODES)('snapshots (%s)', (mode) => {
  const t = useHarness(mode);

  it('restores a world as saved: objects, ids that go on where they stopped, idempotency keys, scheduled renewals on a test clock', async () => {
    const { stripe } = t;
    const c = t.h.control(t.key);
    const { clock, sub } = await subscriptionOnTestClock(stripe);
    const made = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' }, { idempotencyKey: 'before-save' });
    const saved = await c.snapshots.save('base');
    expect(saved).toMatchObject({ name: 'base', key: t.key, worlds: [{ key: t.key }] });
    expect(saved.objects).toBeGreaterThan(5);

    // What happens after the save: the renewal runs, a new PaymentIntent is made.
    const after = await stripe.paymentIntents.create({ amount: 700, currency: 'usd' });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 32 * DAY });
    const renewedBefore = await stripe.invoices.list({ subscription: sub.id });
    expect(renewedBefore.data).toHaveLength(2);

    await c.snapshots.restore('base');
    await expect(stripe.paymentIntents.retrieve(after.id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(1);
    // The same id stream: the next PaymentIntent gets the id the one made after the save got.
    expect((await stripe.paymentIntents.create({ amount: 700, currency: 'usd' })).id).toBe(after.id);
    // A retried key replays.
    const replay = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' }, { idempotencyKey: 'before-save' });
    expect(replay.id).toBe(made.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    // The renewal scheduled on the test clock still runs when the clock advances.
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 32 * DAY });
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data).toHaveLength(2);
    expect(invoices.data.map((i) => i.id)).toEqual(renewedBefore.data.map((i) => i.id));
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');

    expect((await c.snapshots.list()).snapshots.map((s) => s.name)).toContain('base');
    await c.snapshots.delete('base');
    await expect(c.snapshots.restore('base')).rejects.toMatchObject({ status: 404 });
  });

  it('restores a snapshot of another world as a copy under this key; a key holder cannot use another world\'s snapshot', async () => {
    const template = freshKey('template');
    await t.h.control(template).seed({ customers: [{ id: 'cus_jane', email: 'jane@example.com' }], products: [{ id: 'prod_plan', name: 'Plan' }] });
    await t.h.control(template).snapshots.save('template');
    const copy = t.h.control(t.key);
    await copy.snapshots.restore('template');
    expect(((await t.stripe.customers.retrieve('cus_jane')) as Stripe.Customer).email).toBe('jane@example.com');
    // The copy is its own world: a change there leaves the template as it was.
    await t.stripe.customers.update('cus_jane', { email: 'changed@example.com' });
    expect(((await t.h.stripe(template).customers.retrieve('cus_jane')) as Stripe.Customer).email).toBe('jane@example.com');

    if (mode === 'http') {
      const { TwinControl } = await import('../../src/control/client');
      const keyOnly = new TwinControl({ url: t.h.url, key: freshKey('other'), token: undefined });
      const error = await keyOnly.snapshots.restore('template').catch((e) => e);
      expect(error).toBeInstanceOf(TwinControlError);
      expect(error.status).toBe(403);
    }
  });

  it('saves and restores every world with the control token', async () => {
    const h = await startHarness(mode);
    try {
      const a = h.stripe('sk_test_a');
      const b = h.stripe('sk_test_b');
      const ca = await a.customers.create({ email: 'a@example.com' });
      const cb = await b.customers.create({ email: 'b@example.com' });
      const all = h.control();
      expect((await all.snapshots.save('everything', { all: true })).worlds).toHaveLength(2);
      await all.reset({ all: true });
      await expect(a.customers.retrieve(ca.id)).rejects.toMatchObject({ statusCode: 404 });
      await all.snapshots.restore('everything', { all: true });
      expect(((await a.customers.retrieve(ca.id)) as Stripe.Customer).email).toBe('a@example.com');
      expect(((await b.customers.retrieve(cb.id)) as Stripe.Customer).email).toBe('b@example.com');
    } finally {
      await h.close();
    }
  });
});

describe('world files', () => {
  it('exports a world from one twin and imports it into another, which carries on from there', async () => {
    const one = await startHarness('http', { seed: 'one' });
    const two = await startHarness('http', { seed: 'two' });
    try {
      const stripe = one.stripe('sk_test_colleague');
      const { clock, sub } = await subscriptionOnTestClock(stripe);
      const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', allowed_payment_method_types: ['card'], payment_method: 'pm_card_visa', confirm: true } as Stripe.PaymentIntentCreateParams, { idempotencyKey: 'k1' });
      const file = await one.control('sk_test_colleague').exportWorld();
      expect(file.format).toBe('stripe-twin.worlds/1');
      const json = JSON.stringify(file); // what is written to disk and sent along
      await two.control('sk_test_mine').importWorld(JSON.parse(json));

      const mine = two.stripe('sk_test_mine');
      expect((await mine.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
      expect((await mine.paymentIntents.create({ amount: 900, currency: 'usd', allowed_payment_method_types: ['card'], payment_method: 'pm_card_visa', confirm: true } as Stripe.PaymentIntentCreateParams, { idempotencyKey: 'k1' })).id).toBe(pi.id);
      // Both twins go on the same way from the same state.
      const next = await Promise.all([stripe, mine].map((s) => s.customers.create({ email: 'next@example.com' })));
      expect(next[0].id).toBe(next[1].id);
      await mine.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 32 * DAY });
      expect((await mine.invoices.list({ subscription: sub.id })).data).toHaveLength(2);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('refuses a body that is not a world file', async () => {
    const h = await startHarness('in-process');
    const error = await h.control(freshKey()).importWorld({ format: 'nope' } as any).catch((e) => e);
    expect(error).toMatchObject({ status: 400 });
    expect(error.message).toContain('format');
  });
});
