import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Stripe from 'stripe';
import { freePort, freshKey, MODES, useHarness } from '../helpers'; // first: loads the twin in its module order
import { createTwin } from '../../src';
import { TwinControl, TwinControlError } from '../../src/control/client';
import { Receiver } from '../webhook_receiver';

// The typed control client (`stripe-twin/control`), over HTTP and in-process.

describe.each(MODES)('TwinControl (%s)', (mode) => {
  const t = useHarness(mode);
  const control = (key?: string) => t.h.control(key);
  const stripe = (key: string, config?: Stripe.StripeConfig) => t.h.stripe(key, config);

  it('seeds, lists worlds, reads and advances the clock, resets', async () => {
    const key = freshKey();
    const c = control(key);
    const seeded = await c.seed({ customers: [{ id: 'cus_jane', email: 'jane@example.com' }] });
    expect(seeded.worlds[key].created).toEqual({ customers: ['cus_jane'] });
    expect((await stripe(key).customers.retrieve('cus_jane')).id).toBe('cus_jane');
    const yaml = await control(freshKey()).seed('customers:\n  - id: cus_yaml\n');
    expect(Object.values(yaml.worlds)[0].created).toEqual({ customers: ['cus_yaml'] });

    const world = (await c.worlds()).worlds.find((w) => w.key === key)!;
    expect(world).toMatchObject({ account: seeded.worlds[key].account, objects: { customer: 1 } });

    const before = await c.clock.get();
    expect(before).toEqual({ now: 1767225600, iso: '2026-01-01T00:00:00.000Z', pending_tasks: 0 });
    expect((await c.clock.advance(90)).now).toBe(before.now + 90);
    expect((await c.clock.advance('1d')).now).toBe(before.now + 90 + 86400);
    expect((await c.clock.advance({ to: before.now + 200000 })).now).toBe(before.now + 200000);

    expect(await c.reset()).toEqual({ reset: key });
    expect((await c.clock.get()).now).toBe(before.now);
  });

  it('authenticates a 3D Secure challenge', async () => {
    const key = freshKey();
    const pi = await stripe(key).paymentIntents.create({
      amount: 2900, currency: 'usd', payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: 'https://shop.example/back',
    });
    expect(pi.status).toBe('requires_action');
    const done = await control(key).intents.authenticate(pi.id, 'succeed');
    expect(done).toMatchObject({ id: pi.id, status: 'succeeded' });
  });

  it('arms, lists and clears faults; reads the request and event logs', async () => {
    const key = freshKey();
    const c = control(key);
    const fault = await c.faults.arm('payment_intents', 'create', { status: 429, type: 'rate_limit_error' }, { times: 2 });
    expect(fault).toMatchObject({ resource: 'payment_intents', operation: 'create', remaining: 2 });
    await c.faults.arm({ resource: 'customers', fault: 'lost_response', mode: '500' });
    expect((await c.faults.list()).faults.map((f) => f.id)).toEqual(['fault_1', 'fault_2']);

    const e = await stripe(key).paymentIntents.create({ amount: 100, currency: 'usd' }).catch((err) => err);
    expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    const customer = await stripe(key, { maxNetworkRetries: 1 }).customers.create({ email: 'a@b.co' });
    expect(customer.lastResponse.headers['idempotent-replayed']).toBe('true');

    expect(await c.faults.clear('fault_1')).toMatchObject({ cleared: 1, fault: { id: 'fault_1', remaining: 1 } });
    expect(await c.faults.clear()).toEqual({ cleared: 0 });

    const log = await c.requests({ faulted: true });
    expect(log.data.map((r) => [r.status, r.fault?.type])).toEqual([[500, 'lost_response'], [429, 'rate_limit_error']]);
    expect((await c.requests({ path: '/v1/customers', replayed: true })).data[0].id).toBe(customer.lastResponse.requestId);
    const events = await c.events({ type: 'customer.*' });
    expect(events.data.map((ev) => [ev.type, ev.object])).toEqual([['customer.created', customer.id]]);
  });

  it('throws a TwinControlError with the status, message and place of a control error', async () => {
    const c = control(freshKey());
    const e = await c.faults.arm({ fault: { status: 418 } as never }).catch((err) => err);
    expect(e).toBeInstanceOf(TwinControlError);
    expect(e).toMatchObject({ status: 400, at: 'fault.status' });
    expect(e.message).toMatch(/not armable/);
    const missing = await c.intents.authenticate('pi_nope', 'succeed').catch((err) => err);
    expect(missing).toMatchObject({ status: 404, message: 'No PaymentIntent pi_nope in this world' });
    const noWorld = await control().clock.get().catch((err) => err);
    expect(noWorld).toMatchObject({ status: 400 });
    expect(noWorld.message).toMatch(/Name the world/);
    expect(await c.call('GET', '/__admin__/nope').catch((err) => err)).toMatchObject({ status: 404, message: 'No control route GET /__admin__/nope' });
    // A control path with another method is no route either (the control surface's own 404, not Stripe's).
    expect(await c.call('GET', '/__admin__/seed').catch((err) => err)).toMatchObject({ status: 404, message: 'No control route GET /__admin__/seed' });
    expect(await c.call('DELETE', '/__admin__/faults/fault%5F9/').catch((err) => err)).toMatchObject({
      status: 404,
      message: 'No armed fault fault_9 in this world (it may have run out)',
    });
  });

  it('triggers world events and lists what can be triggered next', async () => {
    const key = freshKey();
    const c = control(key);
    const pi = await stripe(key).paymentIntents.create({ amount: 1500, currency: 'usd' });
    const next = await c.world.next();
    expect(next.triggers.find((tr) => tr.trigger === 'payment.declined')?.objects).toEqual([{ payment_intent: pi.id, status: 'requires_payment_method' }]);
    expect((await c.world.triggers()).triggers.map((tr) => tr.trigger)).toContain('dispute.created');
    const armed = await c.world.trigger('payment.declined', { payment_intent: pi.id, decline_code: 'insufficient_funds' });
    expect(armed).toMatchObject({ trigger: 'payment.declined', payment_intent: pi.id });
    const e = await stripe(key).paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa', return_url: 'https://example.com/done' }).catch((err) => err);
    expect(e.raw).toMatchObject({ type: 'card_error', decline_code: 'insufficient_funds' });
    expect((await c.world.trigger('refund.failed', { refund: 're_nope' }).catch((err) => err)).status).toBe(404);
  });

  it('pins, lists and clears exogenous values', async () => {
    const key = freshKey();
    const c = control(key);
    expect((await c.exogenous.pin({ 'charge.outcome.risk_score': 92 })).pins).toEqual([{ scope: 'world', path: 'charge.outcome.risk_score', value: 92 }]);
    const pi = await stripe(key).paymentIntents.create({
      amount: 1500, currency: 'usd', confirm: true, payment_method: 'pm_card_visa', return_url: 'https://example.com/done', expand: ['latest_charge'],
    });
    expect((pi.latest_charge as Stripe.Charge).outcome!.risk_score).toBe(92);
    expect((await c.exogenous.list()).pins).toHaveLength(1);
    expect(await c.exogenous.clear({ path: 'charge.outcome.risk_score' })).toMatchObject({ pins: [] });
    expect((await c.exogenous.pin({ 'charge.outcome.risk_score': 101 }).catch((err) => err)).status).toBe(400);
  });

  it('reads webhook secrets and deliveries, drains, resends, registers listen sessions', async () => {
    const rx = await Receiver.start();
    const url = `${rx.url}/hook`;
    try {
      const key = freshKey();
      const c = control(key);
      const endpoint = await stripe(key).webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
      expect(await c.webhooks.secret(endpoint.id)).toEqual({ id: endpoint.id, secret: endpoint.secret });
      expect((await c.webhooks.endpoints()).endpoints).toMatchObject([{ id: endpoint.id, url, listener: false }]);
      const customer = await stripe(key).customers.create({ email: 'a@b.co' });
      expect(await c.webhooks.drain()).toEqual({ pending: 0, succeeded: 1, failed: 0 });
      const [delivery] = (await c.webhooks.deliveries({ state: 'succeeded' })).deliveries;
      expect(delivery).toMatchObject({ endpoint: endpoint.id, type: 'customer.created', state: 'succeeded' });
      expect((await c.events({ type: 'customer.created' })).data[0]).toMatchObject({ id: delivery.event, pending_webhooks: 0 });
      expect((await c.events.resend(delivery.event)).deliveries).toMatchObject([{ event: delivery.event, state: 'succeeded' }]);
      // Both arrived signed with the endpoint's secret: the event, then its resend.
      const events = rx.events('/hook', endpoint.secret!);
      expect(events.map((e) => [e.id, e.type, (e.data.object as Stripe.Customer).id])).toEqual([
        [delivery.event, 'customer.created', customer.id],
        [delivery.event, 'customer.created', customer.id],
      ]);
      const session = await c.webhooks.listen(url, { events: ['customer.updated'] });
      expect(session.secret).toMatch(/^whsec_/);
      expect(await c.webhooks.unlisten(session.id)).toEqual({ id: session.id, deleted: true });
    } finally {
      await rx.close();
    }
  });

  it('forKey acts on another world of the same twin', async () => {
    const a = control(freshKey());
    const b = a.forKey(freshKey());
    await b.clock.advance(60);
    expect((await a.clock.get()).now + 60).toBe((await b.clock.get()).now);
  });
});

describe('TwinControl construction', () => {
  it('takes a twin handle or its engine, and refuses both or neither target', async () => {
    const twin = createTwin();
    expect((await new TwinControl({ twin: twin.engine, key: 'sk_test_e' }).clock.get()).now).toBe(1767225600);
    expect(() => new TwinControl({})).toThrow(/give "url"/);
    expect(() => new TwinControl({ twin, url: 'http://x' })).toThrow(/not both/);
  });

  it('a connection that fails surfaces as the fetch error', async () => {
    const e = await new TwinControl({ url: `http://127.0.0.1:${await freePort()}`, key: 'sk_test_x' }).worlds().catch((err) => err);
    expect(e).not.toBeInstanceOf(TwinControlError);
    // fetch's TypeError comes from Node's realm, not the test's, so it is told by name.
    expect(e).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/fetch failed/) });
  });

  it('is exported as stripe-twin/control (built package)', () => {
    const root = path.join(__dirname, '..', '..');
    const out = spawnSync(process.execPath, ['-e', "const c = require('stripe-twin/control'); console.log(typeof c.TwinControl, typeof c.TwinControlError)"], { cwd: root, encoding: 'utf8' });
    expect(out.stdout.trim()).toBe('function function');
  });
});
