import Stripe from 'stripe';
import { createTwin, HttpWebhookDispatcher, signature } from '../../src';
import { freePort, keyOf, MODES, stripeError, useHarness } from '../helpers';
import { Receiver } from '../webhook_receiver';

// Webhook endpoints (docs/stripe-facts.md §19.1), signed delivery (§19.2–§19.3), pending_webhooks
// (docs/stripe-facts.md §18), retries in world time, the delivery log, resend, and the control routes.

const sdk = new Stripe('sk_test_verify');

describe.each(MODES)('webhooks (%s)', (mode) => {
  const t = useHarness(mode);
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start();
  });
  afterAll(() => rx.close());
  beforeEach(() => {
    rx.release();
    rx.received.length = 0;
    rx.status = () => 200;
  });

  const key = () => keyOf(t.stripe);
  const admin = (method: string, path: string, body?: unknown) => t.h.admin(method, path, body, key());
  const drain = async () => {
    const res = await admin('POST', '/__admin__/webhooks/drain');
    expect(res.status).toBe(200);
    return res.json;
  };
  const deliveries = async (query = '') => (await admin('GET', `/__admin__/webhooks/deliveries${query}`)).json.deliveries;
  const endpoint = (path: string, events: string[] = ['*'], extra: Partial<Stripe.WebhookEndpointCreateParams> = {}) =>
    t.stripe.webhookEndpoints.create({ url: `${rx.url}${path}`, enabled_events: events as any, ...extra });
  const advance = (seconds: number) => admin('POST', '/__admin__/clock/advance', { seconds });

  it('creates an endpoint in Stripe key order, with the secret on create only', async () => {
    const we = await endpoint('/a', ['payment_intent.succeeded', 'charge.refunded'], { description: 'orders', metadata: { team: 'pay' } });
    expect(Object.keys(we)).toEqual([
      'id', 'object', 'api_version', 'application', 'created', 'description', 'enabled_events', 'livemode', 'metadata', 'secret', 'status', 'url',
    ]);
    expect(we).toMatchObject({
      object: 'webhook_endpoint', api_version: null, application: null, description: 'orders', livemode: false,
      metadata: { team: 'pay' }, status: 'enabled', url: `${rx.url}/a`,
    });
    expect(we.enabled_events).toEqual(['payment_intent.succeeded', 'charge.refunded']); // the caller's order
    expect(we.id).toMatch(/^we_1[A-Za-z0-9]{23}$/);
    expect(we.secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);
    const read = await t.stripe.webhookEndpoints.retrieve(we.id);
    expect(read.secret).toBeUndefined();
    expect(read).toEqual({ ...we, secret: undefined });
    const updated = await t.stripe.webhookEndpoints.update(we.id, { description: 'renamed' });
    expect(updated.secret).toBeUndefined();
    expect(updated.description).toBe('renamed');
    expect((await t.stripe.webhookEndpoints.list()).data.map((e) => [e.id, e.secret])).toEqual([[we.id, undefined]]);
    // Stable and re-readable through the control surface.
    expect((await admin('GET', `/__admin__/webhooks/endpoints/${we.id}/secret`)).json).toEqual({ id: we.id, secret: we.secret });
    expect((await admin('GET', `/__admin__/webhooks/endpoints/${we.id}/secret`)).json.secret).toBe(we.secret);
  });

  it('updates url, events and status, deletes, and lists newest first with pagination', async () => {
    const a = await endpoint('/a');
    const b = await endpoint('/b');
    const c = await endpoint('/c');
    const page = await t.stripe.webhookEndpoints.list({ limit: 2 });
    expect(page.data.map((e) => e.id)).toEqual([c.id, b.id]);
    expect(page.has_more).toBe(true);
    expect((await t.stripe.webhookEndpoints.list({ starting_after: b.id })).data.map((e) => e.id)).toEqual([a.id]);
    const disabled = await t.stripe.webhookEndpoints.update(a.id, { disabled: true, url: `${rx.url}/a2`, enabled_events: ['customer.created'] });
    expect(disabled).toMatchObject({ status: 'disabled', url: `${rx.url}/a2`, enabled_events: ['customer.created'] });
    expect((await t.stripe.webhookEndpoints.update(a.id, { disabled: false })).status).toBe('enabled');
    const deleted = await t.stripe.webhookEndpoints.del(b.id);
    expect(deleted).toEqual({ id: b.id, object: 'webhook_endpoint', deleted: true });
    const missing = await stripeError(t.stripe.webhookEndpoints.retrieve(b.id));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: `No such webhook endpoint: '${b.id}'` });
    expect((await t.stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([c.id, a.id]);
  });

  it("refuses bad input with Stripe's errors", async () => {
    const unknown = await stripeError(endpoint('/a', ['customer.created', 'customer.exploded']));
    expect(unknown).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'enabled_events[1]' });
    expect(unknown.message).toMatch(/^Invalid enabled_events\[1\]: must be one of account\.application\.authorized, account\.application\.deauthorized, /);
    expect(unknown.message).not.toContain(' *,');
    const scheme = await stripeError(t.stripe.webhookEndpoints.create({ url: 'example.com/hook', enabled_events: ['*'] }));
    expect(scheme).toMatchObject({ statusCode: 400, param: 'url', message: 'Invalid URL: An explicit scheme (such as https) must be provided.' });
    const missing = await stripeError(t.stripe.webhookEndpoints.create({ url: `${rx.url}/a` } as any));
    expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'enabled_events' });
    const badVersion = await stripeError(endpoint('/a', ['*'], { api_version: '2099-01-01' as any }));
    expect(badVersion).toMatchObject({ statusCode: 400, param: 'api_version' });
    const we = await endpoint('/a');
    expect(await stripeError(t.stripe.webhookEndpoints.update(we.id, { url: '' } as any))).toMatchObject({ statusCode: 400, code: 'parameter_invalid_empty', param: 'url' });
    expect(await stripeError(t.stripe.webhookEndpoints.update(we.id, { api_version: '2026-10-28.endive' } as any))).toMatchObject({ code: 'parameter_unknown' });
    for (let i = 1; i < 16; i++) await endpoint(`/n${i}`);
    const limit = await stripeError(endpoint('/17'));
    expect(limit).toMatchObject({ statusCode: 400, message: 'You have reached the maximum of 16 test webhook endpoints.' });
    // None of the refused requests left anything behind.
    expect((await t.stripe.webhookEndpoints.list({ limit: 100 })).data).toHaveLength(16);
  });

  it('delivers signed events that constructEvent accepts, over the exact raw body', async () => {
    const we = await endpoint('/hook', ['customer.created']);
    const customer = await t.stripe.customers.create({ email: 'jane@example.com', name: 'Jane "J" Ünïcode' });
    await drain();
    expect(rx.received).toHaveLength(1);
    const [req] = rx.received;
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.headers['user-agent']).toBe('Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    expect(req.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const [event] = rx.events('/hook', we.secret!);
    expect(event).toMatchObject({ object: 'event', type: 'customer.created', data: { object: { id: customer.id, name: 'Jane "J" Ünïcode' } } });
    // The same event the API returns, pending_webhooks aside.
    const stored = await t.stripe.events.retrieve(event.id);
    expect({ ...event, pending_webhooks: 0 }).toEqual({ ...stored, pending_webhooks: 0 });
    expect(req.body).toBe(JSON.stringify(JSON.parse(req.body), null, 2)); // printed as Stripe prints
    // The signature covers the exact bytes: one changed byte, or another secret, fails.
    expect(() => sdk.webhooks.constructEvent(`${req.body} `, req.headers['stripe-signature'] as string, we.secret!)).toThrow(/signature/i);
    expect(() => sdk.webhooks.constructEvent(req.body, req.headers['stripe-signature'] as string, 'whsec_wrong')).toThrow(/signature/i);
    // t is the signing (wall-clock) time, within the SDK's tolerance of the receiver's clock.
    const signedAt = Number(/t=(\d+)/.exec(req.headers['stripe-signature'] as string)![1]);
    expect(Math.abs(signedAt - Date.now() / 1000)).toBeLessThan(5);
  });

  it('counts pending_webhooks down as endpoints acknowledge', async () => {
    await endpoint('/one', ['customer.created']);
    const two = await endpoint('/two', ['*']);
    await endpoint('/other', ['payment_intent.created']);
    rx.hold();
    const customer = await t.stripe.customers.create();
    const [created] = (await t.stripe.events.list({ type: 'customer.created' })).data;
    expect(created.data.object).toMatchObject({ id: customer.id });
    expect(created.pending_webhooks).toBe(2);
    await rx.waitFor(2);
    // Each delivery carries the event as it stands when sent.
    expect(rx.received.map((r) => JSON.parse(r.body).pending_webhooks)).toEqual([2, 2]);
    rx.release();
    await drain();
    expect((await t.stripe.events.retrieve(created.id)).pending_webhooks).toBe(0);
    // An event no endpoint wants counts 0 from the start, and nothing is sent.
    await t.stripe.webhookEndpoints.del(two.id);
    await t.stripe.customers.update(customer.id, { name: 'Unwatched' });
    const [updated] = (await t.stripe.events.list({ type: 'customer.updated' })).data;
    expect(updated.pending_webhooks).toBe(0);
    await drain();
    expect(rx.received).toHaveLength(2);
  });

  it('filters by enabled_events, * included; disabled and deleted endpoints get nothing', async () => {
    const only = await endpoint('/only', ['customer.updated']);
    const all = await endpoint('/all', ['*']);
    const off = await endpoint('/off', ['*']);
    const gone = await endpoint('/gone', ['*']);
    await t.stripe.webhookEndpoints.update(off.id, { disabled: true });
    await t.stripe.webhookEndpoints.del(gone.id);
    const c = await t.stripe.customers.create();
    await t.stripe.customers.update(c.id, { name: 'New' });
    await drain();
    expect(rx.events('/only', only.secret!).map((e) => e.type)).toEqual(['customer.updated']);
    expect(rx.events('/all', all.secret!).map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
    expect(rx.on('/off')).toHaveLength(0);
    expect(rx.on('/gone')).toHaveLength(0);
    const events = (await t.stripe.events.list()).data;
    expect(events.map((e) => e.pending_webhooks)).toEqual([0, 0]);
  });

  it('delivers to one endpoint in event order', async () => {
    const we = await endpoint('/ordered');
    const pi = await t.stripe.paymentIntents.create({
      amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'],
    });
    await t.stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    await drain();
    const delivered = rx.events('/ordered', we.secret!).map((e) => e.id);
    const created = (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.id).reverse();
    expect(delivered).toEqual(created);
    expect(delivered.length).toBeGreaterThan(5);
  });

  it('retries after an outage in world time, exactly once per success, with a delivery log', async () => {
    const we = await endpoint('/flaky', ['customer.created', 'customer.updated']);
    rx.status = () => 500;
    const c = await t.stripe.customers.create();
    await t.stripe.customers.update(c.id, { name: 'B' });
    await drain();
    expect(rx.received).toHaveLength(2);
    const log = await deliveries(`?endpoint=${we.id}`);
    expect(log).toHaveLength(2);
    const [updated, created] = log; // newest first
    expect(created).toMatchObject({ type: 'customer.created', endpoint: we.id, state: 'pending' });
    const [first] = created.attempts;
    expect(first).toMatchObject({ attempt: 1, status: 500, response: 'receiver says 500', error: null });
    expect(Object.keys(first)).toEqual(['attempt', 'at', 'status', 'latency_ms', 'response', 'error']);
    expect(first.latency_ms).toBeGreaterThanOrEqual(0);
    expect(created.next_attempt_at).toBe(first.at + 3600);
    expect(updated.type).toBe('customer.updated');
    const pending = (await t.stripe.events.list()).data;
    expect(pending.map((e) => e.pending_webhooks)).toEqual([1, 1]);

    // Not due yet: nothing is sent before the retry time.
    await advance(3599);
    expect(rx.received).toHaveLength(2);
    rx.status = () => 200;
    await advance(1); // the clock call returns once the due retries are delivered
    expect(rx.received).toHaveLength(4);
    expect(rx.events('/flaky', we.secret!).map((e) => e.type)).toEqual(['customer.created', 'customer.updated', 'customer.created', 'customer.updated']);
    const after = await deliveries(`?endpoint=${we.id}&state=succeeded`);
    expect(after.map((d: any) => d.attempts.map((a: any) => a.status))).toEqual([[500, 200], [500, 200]]);
    expect((await t.stripe.events.list()).data.map((e) => e.pending_webhooks)).toEqual([0, 0]);
    // Nothing more goes out, however far the clock moves.
    await advance(86400);
    await drain();
    expect(rx.received).toHaveLength(4);
  });

  it('gives up after three retries (1 h, 2 h, 4 h); connection refused is a failure; resend delivers again', async () => {
    const closed = await freePort();
    const down = await t.stripe.webhookEndpoints.create({ url: `http://127.0.0.1:${closed}/nobody`, enabled_events: ['customer.created'] });
    const c = await t.stripe.customers.create();
    await drain();
    await advance(8 * 3600); // every retry falls due on the way, each at its own time
    const [d] = await deliveries(`?endpoint=${down.id}`);
    expect(d.state).toBe('failed');
    expect(d.next_attempt_at).toBeNull();
    const at = d.attempts.map((a: any) => a.at - d.attempts[0].at);
    expect(at).toEqual([0, 3600, 3600 + 7200, 3600 + 7200 + 14400]);
    expect(d.attempts.every((a: any) => a.status === null && /ECONNREFUSED/.test(a.error))).toBe(true);
    const [event] = (await t.stripe.events.list({ type: 'customer.created' })).data;
    expect(event.data.object).toMatchObject({ id: c.id });
    expect(event.pending_webhooks).toBe(1);

    // The receiver comes up: the failed delivery is not lost — resend it.
    await t.stripe.webhookEndpoints.update(down.id, { url: `${rx.url}/back` });
    const resent = await admin('POST', `/__admin__/events/${event.id}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.json.deliveries).toHaveLength(1);
    expect(resent.json.deliveries[0]).toMatchObject({ state: 'succeeded', endpoint: down.id });
    expect(resent.json.deliveries[0].attempts.map((a: any) => a.status)).toEqual([null, null, null, null, 200]);
    expect(rx.on('/back')).toHaveLength(1);
    expect((await t.stripe.events.retrieve(event.id)).pending_webhooks).toBe(0);
    // Resending a delivered event sends it again and leaves pending_webhooks alone.
    await admin('POST', `/__admin__/events/${event.id}/resend`, { endpoint: down.id });
    expect(rx.on('/back')).toHaveLength(2);
    expect((await t.stripe.events.retrieve(event.id)).pending_webhooks).toBe(0);
    // To an endpoint created after the event.
    const late = await endpoint('/late', ['customer.updated']);
    await admin('POST', `/__admin__/events/${event.id}/resend`, { endpoint: late.id });
    expect(rx.events('/late', late.secret!).map((e) => e.id)).toEqual([event.id]);
    expect((await admin('POST', '/__admin__/events/evt_nope/resend')).status).toBe(404);
    expect((await admin('POST', `/__admin__/events/${event.id}/resend`, { endpoint: 'we_nope' })).status).toBe(404);
  });

  it('sends new events at once, without a drain, while earlier ones wait for their retry', async () => {
    const we = await endpoint('/later', ['customer.created']);
    rx.status = () => 500;
    for (let i = 0; i < 3; i++) await t.stripe.customers.create();
    await drain();
    expect(rx.received).toHaveLength(3);
    rx.status = () => 200;
    const fresh = await t.stripe.customers.create();
    await rx.waitFor(4); // kicked by the API call itself
    await drain(); // (only to wait for the twin to record the answer)
    const [last] = rx.events('/later', we.secret!).slice(-1);
    expect((last.data.object as Stripe.Customer).id).toBe(fresh.id);
    expect((await deliveries('?state=pending')).map((d: any) => d.attempts.length)).toEqual([1, 1, 1]);
  });

  it('stops retrying when the endpoint is disabled or deleted', async () => {
    rx.status = () => 503;
    const a = await endpoint('/a', ['customer.created']);
    const b = await endpoint('/b', ['customer.created']);
    await t.stripe.customers.create();
    await drain();
    await t.stripe.webhookEndpoints.update(a.id, { disabled: true });
    await t.stripe.webhookEndpoints.del(b.id);
    rx.status = () => 200;
    await advance(86400);
    expect(rx.received).toHaveLength(2);
    expect((await deliveries()).map((d: any) => d.state)).toEqual(['failed', 'failed']);
  });

  it('renders the payload at the endpoint api_version and signs with the clock it is given', async () => {
    const we = await endpoint('/v', ['customer.created'], { api_version: '2025-03-31.basil' });
    const original = t.h.twin.engine.dispatcher;
    t.h.twin.engine.dispatcher = new HttpWebhookDispatcher({ clock: () => 1767225600_000 });
    try {
      await t.stripe.customers.create();
      await drain();
    } finally {
      t.h.twin.engine.dispatcher = original;
    }
    const [req] = rx.received;
    expect(req.headers['stripe-signature']).toBe(signature(we.secret!, req.body, 1767225600));
    expect(JSON.parse(req.body).api_version).toBe('2025-03-31.basil');
    const verified = sdk.webhooks.constructEvent(req.body, req.headers['stripe-signature'] as string, we.secret!, 1e10);
    expect(verified.type).toBe('customer.created');
  });

  it('seeds endpoints with chosen ids, and a failed seed leaves no endpoint or delivery behind', async () => {
    const bad = await admin('POST', '/__admin__/seed', {
      webhook_endpoints: [{ id: 'we_app', url: `${rx.url}/seeded`, enabled_events: ['*'] }],
      customers: [{ id: 'cus_jane', email: 'jane@example.com' }, { email: 'not an email' }],
    });
    expect(bad.status).toBe(400);
    expect((await t.stripe.webhookEndpoints.list()).data).toHaveLength(0);
    expect(await deliveries()).toEqual([]);
    const ok = await admin('POST', '/__admin__/seed', {
      webhook_endpoints: [{ id: 'we_app', url: `${rx.url}/seeded`, enabled_events: ['customer.created'] }],
      customers: [{ id: 'cus_jane', email: 'jane@example.com' }],
    });
    expect(ok.status).toBe(200);
    const { secret } = (await admin('GET', '/__admin__/webhooks/endpoints/we_app/secret')).json;
    expect(secret).toMatch(/^whsec_/);
    await drain();
    expect(rx.events('/seeded', secret).map((e) => (e.data.object as any).id)).toEqual(['cus_jane']);
  });

  it('answers control errors in plain JSON', async () => {
    const missing = await admin('GET', '/__admin__/webhooks/endpoints/we_nope/secret');
    expect(missing).toEqual({ status: 404, json: { error: { message: 'No webhook endpoint we_nope in this world' } } });
    expect((await admin('GET', '/__admin__/webhooks/deliveries?state=lost')).status).toBe(400);
    expect((await admin('POST', '/__admin__/webhooks/listeners', { url: 'nope' })).status).toBe(400);
    expect((await admin('POST', '/__admin__/webhooks/listeners', { url: `${rx.url}/l`, events: 'customer.created,customer.exploded' })).json.error.message).toBe(
      'Unknown event type: customer.exploded',
    );
  });

  it('listen sessions: a hidden endpoint with the world secret, gone when unregistered', async () => {
    const first = await admin('POST', '/__admin__/webhooks/listeners', { url: `${rx.url}/listen`, events: ['customer.created'] });
    expect(first.json).toMatchObject({ id: 'listener_1', enabled_events: ['customer.created'], api_version: '2026-10-28.endive' });
    expect(first.json.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const second = await admin('POST', '/__admin__/webhooks/listeners', { url: `${rx.url}/listen2` });
    expect(second.json.secret).toBe(first.json.secret); // one secret per world
    expect((await t.stripe.webhookEndpoints.list()).data).toEqual([]);
    await t.stripe.customers.create();
    await drain();
    expect(rx.events('/listen', first.json.secret).map((e) => e.type)).toEqual(['customer.created']);
    expect(rx.on('/listen2')).toHaveLength(1);
    expect((await admin('DELETE', `/__admin__/webhooks/listeners/${first.json.id}`)).json).toEqual({ id: 'listener_1', deleted: true });
    expect((await admin('DELETE', `/__admin__/webhooks/listeners/${first.json.id}`)).status).toBe(404);
    await t.stripe.customers.create();
    await drain();
    expect(rx.on('/listen')).toHaveLength(1);
    expect(rx.on('/listen2')).toHaveLength(2);
  });
});

describe('webhook retries when world time follows the wall clock', () => {
  it('are made on their own, with no request or clock call', async () => {
    const rx = await Receiver.start();
    const twin = createTwin({ wallClock: Date.now, config: { webhookRetryDelays: [1] } });
    try {
      const stripe = twin.stripe('sk_test_wall');
      const we = await stripe.webhookEndpoints.create({ url: `${rx.url}/wall`, enabled_events: ['customer.created'] });
      rx.status = () => 500;
      await stripe.customers.create();
      await rx.waitFor(1);
      rx.status = () => 200;
      await rx.waitFor(2, 4000); // the retry, 1 s of world (= wall) time later
      await twin.engine.dispatcher!.drain(twin.engine.world('sk_test_wall')); // wait for the answer to be recorded
      expect(rx.events('/wall', we.secret!).map((e) => e.type)).toEqual(['customer.created', 'customer.created']);
      const [event] = (await stripe.events.list()).data;
      expect(event.pending_webhooks).toBe(0);
    } finally {
      (twin.engine.dispatcher as HttpWebhookDispatcher).close();
      await rx.close();
    }
  });
});

describe('webhook signatures', () => {
  it("match stripe-node's own test header", () => {
    const payload = '{\n  "id": "evt_1",\n  "object": "event"\n}';
    const secret = 'whsec_test_secret';
    expect(signature(secret, payload, 1767225600)).toBe(sdk.webhooks.generateTestHeaderString({ payload, secret, timestamp: 1767225600 }));
  });
});
