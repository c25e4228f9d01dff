import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { createTwin } from '../../src';
import { TwinControl } from '../../src/control/client';
import { DurableStore, readData } from '../../src/server/durable';

// A world as plain data (docs/durability.md): exported, written as JSON and
// loaded again, it is the same world; and the durable store's journal, applied
// to its snapshot, gives the same data as the live twin.

const json = (value: unknown) => JSON.parse(JSON.stringify(value));

/** Every kind of state: objects on the account clock and a test clock, tasks on both, facts, idempotency keys, a connected account, a minted key, a pending delivery. */
async function busyWorld(stripe: Stripe, control: TwinControl) {
  await control.keys.create({ permissions: ['rak_customer_read'] } as any);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1767225600 });
  const customer = await stripe.customers.create({ test_clock: clock.id, email: 'c@example.com' });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
  await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  await stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', allowed_payment_method_types: ['card'], confirm: true, capture_method: 'manual' } as any, { idempotencyKey: 'k' });
  await stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hook', enabled_events: ['*'] });
  await stripe.customers.create({ email: 'after-endpoint@example.com' });
  const account = await stripe.accounts.create({ type: 'custom', country: 'US', capabilities: { card_payments: { requested: true }, transfers: { requested: true } } });
  await stripe.customers.create({ email: 'connected@example.com' }, { stripeAccount: account.id });
  await control.clock.advance(3600);
  return { clock, account };
}

describe('world state as data', () => {
  it('round-trips through JSON: the loaded world exports the same state and goes on the same way', async () => {
    const one = createTwin({ seed: 'state' });
    const key = 'sk_test_state';
    await busyWorld(one.stripe(key), new TwinControl({ twin: one, key }));
    const state = json(one.engine.exportAccount(key));
    expect(state.world.objects.length).toBeGreaterThan(20);
    expect(state.world.schedule.tasks.length + state.world.testClocks[0].schedule.tasks.length).toBeGreaterThan(2);
    expect(state.world.connected).toHaveLength(1);
    expect(state.keys).toHaveLength(1);

    const two = createTwin({ seed: 'state' });
    two.engine.importAccount(state, performance.now());
    expect(json(two.engine.exportAccount(key))).toEqual(state);
    // The same next ids and the same renewal on both.
    const [a, b] = [one, two].map((t) => t.stripe(key));
    expect((await a.customers.create({})).id).toBe((await b.customers.create({})).id);
    const advance = async (s: Stripe) => {
      const clock = (await s.testHelpers.testClocks.list()).data[0];
      await s.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 32 * 86400 });
      return (await s.invoices.list({ limit: 5 })).data.map((i) => [i.id, i.status, i.amount_paid]);
    };
    const renewed = await advance(a);
    expect(renewed).toHaveLength(2);
    expect(await advance(b)).toEqual(renewed);
  });

  // foldBytes 1: the files are weighed at every commit, and folded whenever more than half of them is superseded (in place here: the fold's worker is built JavaScript).
  it.each([
    ['one journal', undefined],
    ['folded whenever half is superseded', 1],
  ])('the journal applied to the snapshot is the live state (%s)', async (_label, foldBytes) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-state-'));
    try {
      const twin = createTwin({ seed: 'journal' });
      const store = DurableStore.open(dir, twin.engine, { foldBytes });
      const key = 'sk_test_journal';
      const control = new TwinControl({ twin, key });
      const { clock } = await busyWorld(twin.stripe(key), control);
      // Changes the journal must carry: a rollback, a removed test clock, a forgotten world.
      await twin.stripe(key).testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 32 * 86400 });
      // A world forgotten after 60 customers: most of the files are then superseded (a fold, with foldBytes 1).
      for (let i = 0; i < 60; i++) await twin.stripe('sk_test_forgotten').customers.create({});
      await new TwinControl({ twin, key: 'sk_test_forgotten' }).reset();
      await twin.stripe(key).testHelpers.testClocks.del(clock.id);
      await expect(twin.stripe(key).paymentIntents.create({ amount: -1, currency: 'usd' })).rejects.toThrow();
      await twin.engine.written();
      const live = json(twin.engine.exportAccounts());
      const { accounts } = readData(dir);
      expect(json(accounts)).toEqual(live);
      store.close();
      if (foldBytes) expect(JSON.parse(fs.readFileSync(path.join(dir, 'snapshot.jsonl'), 'utf8').split('\n')[0]).generation).toBeGreaterThan(1); // the start's fold is 1
      else {
        // What keeps lines short was used: objects by the fields they changed, and references to stored snapshots (an event's object, an idempotent answer's body).
        const written = fs.readFileSync(path.join(dir, 'journal.1.log'), 'utf8');
        expect(written).toMatch(/"patched":\[\["cus_/);
        expect(written).toMatch(/"object":\{"\$stored":"pi_[^"]+","amount_capturable":0,"latest_charge":null,"status":"requires_confirmation"\}/);
        expect(written).toMatch(/"body":\{"\$stored":"pi_/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
