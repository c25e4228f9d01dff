import Stripe from 'stripe';
import { expectSameRuns, freshKey, MODES, startHarness, stripeError, useHarness } from '../helpers';

// Worlds and control: reset, seed (JSON and YAML), clock; determinism by seed.

describe.each(MODES)('control surface (%s)', (mode) => {
  const t = useHarness(mode, { seed: 'admin' });

  it('seeds worlds through the same operations as the API, under chosen ids', async () => {
    const key = freshKey('seed');
    const res = await t.h.admin('POST', '/__admin__/seed', {
      worlds: {
        [key]: {
          customers: [{ id: 'cus_jane', email: 'jane@example.com', metadata: { tier: 'gold' } }],
          payment_methods: [{ id: 'pm_jane_visa', test_value: 'pm_card_visa', customer: 'cus_jane' }, { type: 'card', card: { token: 'tok_mastercard' } }],
          payment_intents: [
            { id: 'pi_open', amount: 1500, currency: 'usd', customer: 'cus_jane' },
            { amount: 900, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true, allowed_payment_method_types: ['card'] },
          ],
          charges: [{ id: 'ch_paid', amount: 2000, currency: 'usd', customer: 'cus_jane', payment_method: 'pm_jane_visa' }],
          refunds: [{ id: 're_part', charge: 'ch_paid', amount: 500 }],
        },
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.worlds[key].created).toMatchObject({ customers: ['cus_jane'], payment_methods: ['pm_jane_visa', expect.stringMatching(/^pm_/)], charges: ['ch_paid'], refunds: ['re_part'] });
    const stripe = t.h.stripe(key);
    expect(await stripe.customers.retrieve('cus_jane')).toMatchObject({ email: 'jane@example.com', metadata: { tier: 'gold' } });
    expect(await stripe.paymentMethods.retrieve('pm_jane_visa')).toMatchObject({ customer: 'cus_jane', card: { last4: '4242' } });
    expect(await stripe.paymentIntents.retrieve('pi_open')).toMatchObject({ status: 'requires_payment_method', amount: 1500 });
    expect(await stripe.charges.retrieve('ch_paid')).toMatchObject({ amount_refunded: 500, customer: 'cus_jane', paid: true });
    const declined = (await stripe.paymentIntents.list({ limit: 10 })).data.find((p) => p.amount === 900)!;
    expect(declined.status).toBe('requires_payment_method');
    expect(res.json.worlds[key].created.payment_intents).toEqual(['pi_open', declined.id]);
    expect((await stripe.events.list({ type: 'charge.failed' })).data).toHaveLength(1);
  });

  it('accepts YAML, and answers control errors in plain JSON without changing the world', async () => {
    const key = freshKey('yaml');
    const yaml = `worlds:\n  ${key}:\n    customers:\n      - id: cus_yaml\n        name: From YAML\n`;
    expect((await t.h.admin('POST', '/__admin__/seed', yaml)).status).toBe(200);
    expect((await t.h.stripe(key).customers.retrieve('cus_yaml')) as Stripe.Customer).toMatchObject({ name: 'From YAML' });
    const bad = await t.h.admin('POST', '/__admin__/seed', { worlds: { [key]: { customers: [{ name: 'ok' }], refunds: [{ charge: 'ch_missing' }] } } });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { message: "No such charge: 'ch_missing'", at: `${key}.refunds[0]` } });
    expect((await t.h.stripe(key).customers.list()).data.map((c) => c.id)).toEqual(['cus_yaml']);
    expect((await t.h.admin('POST', '/__admin__/seed', { worlds: { [key]: { invoices: [] } } })).status).toBe(400);
    expect((await t.h.admin('POST', '/__admin__/seed', { worlds: { [key]: { customers: [{ id: 'pi_wrong' }] } } })).json.error.message).toBe('"id" must start with cus_');
    expect((await t.h.admin('GET', '/__admin__/nothing')).status).toBe(404);
  });

  it('resets one world or all', async () => {
    const a = freshKey();
    const b = freshKey();
    await t.h.stripe(a).customers.create();
    await t.h.stripe(b).customers.create();
    expect((await t.h.admin('POST', '/__admin__/reset', undefined, a)).json).toEqual({ reset: a });
    expect((await t.h.stripe(a).customers.list()).data).toHaveLength(0);
    expect((await t.h.stripe(b).customers.list()).data).toHaveLength(1);
    await t.h.admin('POST', '/__admin__/reset', {});
    expect((await t.h.stripe(b).customers.list()).data).toHaveLength(0);
  });

  it('names the world to reset or seed by a "key" field, ?key= or the header, and refuses a key that is no test key', async () => {
    const a = freshKey();
    const b = freshKey();
    await t.h.stripe(a).customers.create();
    await t.h.stripe(b).customers.create();
    expect(await t.h.admin('POST', `/__admin__/reset?key=${a}`, {})).toEqual({ status: 200, json: { reset: a } });
    expect((await t.h.stripe(a).customers.list()).data).toHaveLength(0);
    expect((await t.h.stripe(b).customers.list()).data).toHaveLength(1);
    for (const [path, body] of [['/__admin__/reset', { key: 'sk_live_nope' }], ['/__admin__/reset?key=sk_live_nope', {}]] as const) {
      expect(await t.h.admin('POST', path, body, b)).toEqual({ status: 400, json: { error: { message: '"sk_live_nope" is not a test-mode secret or restricted key' } } });
    }
    // An empty key names no world, and does not mean "all".
    for (const [path, body] of [['/__admin__/reset', { key: '' }], ['/__admin__/reset?key=', {}]] as const) {
      expect(await t.h.admin('POST', path, body)).toEqual({ status: 400, json: { error: { message: '"" is not a test-mode secret or restricted key' } } });
    }
    expect((await t.h.stripe(b).customers.list()).data).toHaveLength(1);
    const seeded = await t.h.admin('POST', `/__admin__/seed?key=${a}`, { customers: [{ id: 'cus_by_query' }] });
    expect(seeded).toEqual({ status: 200, json: { worlds: { [a]: { account: expect.stringMatching(/^acct_/), created: { customers: ['cus_by_query'] } } } } });
    expect((await t.h.stripe(a).customers.retrieve('cus_by_query')).id).toBe('cus_by_query');
    expect((await t.h.admin('POST', '/__admin__/seed?key=pk_test_nope', { customers: [{}] })).json).toEqual({
      error: { message: '"pk_test_nope" is not a test-mode secret or restricted key' },
    });
  });

  it('reads and advances the world clock', async () => {
    const key = freshKey();
    const before = (await t.h.admin('GET', '/__admin__/clock', undefined, key)).json.now;
    const after = await t.h.admin('POST', '/__admin__/clock/advance', { duration: '32d' }, key);
    expect(after.json.now).toBe(before + 32 * 86400);
    const c = await t.h.stripe(key).customers.create();
    expect(c.created).toBe(after.json.now);
    expect((await t.h.admin('POST', '/__admin__/clock/advance', { to: before }, key)).status).toBe(400);
    expect((await t.h.admin('POST', '/__admin__/clock/advance', { duration: 'soon' }, key)).status).toBe(400);
  });

  it('keeps worlds apart: objects of one key are missing for another', async () => {
    const a = t.h.stripe(freshKey());
    const b = t.h.stripe(freshKey());
    const c = await a.customers.create();
    expect(await stripeError(b.customers.retrieve(c.id))).toMatchObject({ statusCode: 404 });
  });
});

describe('determinism', () => {
  it('gives the same bytes for the same seed and requests, over HTTP and in-process alike', async () => {
    await expectSameRuns({ seed: 42 }, async (h, record) => {
      const stripe = h.stripe('sk_test_deterministic');
      const c = await stripe.customers.create({ email: 'd@example.com' }, { idempotencyKey: 'k1' });
      record(c);
      record(await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', customer: c.id, payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] }, { idempotencyKey: 'k2' }));
      const declined = await stripeError(stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true, allowed_payment_method_types: ['card'] }, { idempotencyKey: 'k3' }));
      record({ ...declined.raw, request_log_url: null, requestId: null, headers: null });
      record(await stripe.events.list({ limit: 100 }));
      record(await stripe.balance.retrieve());
    });
  });

  it('gives different ids for another seed', async () => {
    const a = await startHarness('in-process', { seed: 1 });
    const b = await startHarness('in-process', { seed: 2 });
    const [x, y] = await Promise.all([a.stripe('sk_test_same').customers.create(), b.stripe('sk_test_same').customers.create()]);
    expect(x.id).not.toBe(y.id);
    expect(x.created).toBe(y.created);
  });
});
