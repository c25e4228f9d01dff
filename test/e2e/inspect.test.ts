import { freshKey, Mode, MODES, stripeError, useHarness } from '../helpers'; // first: loads the twin in its module order
import { EXCHANGE_BODY_BYTES, EXCHANGES_KEPT, recordRequest, REQUEST_LOG_SIZE } from '../../src/control/inspect';

// Inspect: the request log (/__admin__/requests) and the event log (/__admin__/events).

describe.each(MODES)('inspect (%s)', (mode: Mode) => {
  const t = useHarness(mode);
  const get = async (path: string, key: string) => {
    const res = await t.h.admin('GET', path, undefined, key);
    expect(res.status).toBe(200);
    return res.json;
  };

  it('logs every API request of a world, newest first, with its request id, key, status, latency and world time', async () => {
    const key = t.key;
    const customer = await t.stripe.customers.create({ email: 'a@b.co' }, { idempotencyKey: 'cus-1' });
    const replay = await t.stripe.customers.create({ email: 'a@b.co' }, { idempotencyKey: 'cus-1' });
    await t.h.admin('POST', '/__admin__/clock/advance', { seconds: 60 }, key);
    const missing = await stripeError(t.stripe.customers.retrieve('cus_nope'));
    await t.stripe.customers.list({ limit: 3 });
    await t.stripe.customers.del(customer.id);

    const log = await get('/__admin__/requests', key);
    expect(log).toMatchObject({ matched: 5, total: 5, kept: REQUEST_LOG_SIZE });
    expect(log.data.map((r: any) => [r.method, r.path, r.status, r.replayed])).toEqual([
      ['DELETE', `/v1/customers/${customer.id}`, 200, false],
      ['GET', '/v1/customers', 200, false],
      ['GET', '/v1/customers/cus_nope', 404, false],
      ['POST', '/v1/customers', 200, true],
      ['POST', '/v1/customers', 200, false],
    ]);
    const [, , notFound, replayed, first] = log.data;
    expect(first).toEqual({
      id: customer.lastResponse.requestId,
      method: 'POST',
      path: '/v1/customers',
      status: 200,
      idempotency_key: 'cus-1',
      replayed: false,
      fault: null,
      latency_ms: expect.any(Number),
      created: 1767225600,
    });
    expect(first.latency_ms).toBeGreaterThan(0);
    expect(replayed.id).toBe(replay.lastResponse.requestId);
    expect(notFound).toMatchObject({ id: missing.requestId, idempotency_key: null, created: 1767225660 });
  });

  it('one request by id, through the typed client: its entry, and its headers and bodies (the key masked)', async () => {
    const customer = await t.stripe.customers.create({ email: 'x@y.co', metadata: { n: '1' } }, { idempotencyKey: 'one-1' });
    const replay = await t.stripe.customers.create({ email: 'x@y.co', metadata: { n: '1' } }, { idempotencyKey: 'one-1' });
    const detail = await t.h.control(t.key).request(replay.lastResponse.requestId);
    expect(detail).toMatchObject({ id: replay.lastResponse.requestId, method: 'POST', path: '/v1/customers', status: 200, idempotency_key: 'one-1', replayed: true });
    expect(detail.exchange!.request_body).toBe('email=x%40y.co&metadata[n]=1');
    expect(JSON.parse(detail.exchange!.response_body).id).toBe(customer.id);
    expect(detail.exchange!.response_headers).toMatchObject({ 'Idempotent-Replayed': 'true', 'Original-Request': customer.lastResponse.requestId, 'Request-Id': replay.lastResponse.requestId });
    expect(detail.exchange!.request_headers.authorization).toMatch(/^Bearer sk_test_\*+/);
    expect(JSON.stringify(detail)).not.toContain(t.key);
    expect(await stripeError(t.h.control(t.key).request('req_nope'))).toMatchObject({ status: 404, message: "No request req_nope in this world's log" });
  });

  it('filters: method, path (exact or prefix*), status (code, class, dropped), idempotency key, request id, faulted, replayed, limit', async () => {
    const key = t.key;
    const customer = await t.stripe.customers.create({ email: 'a@b.co' }, { idempotencyKey: 'k1' });
    await t.stripe.customers.create({ email: 'a@b.co' }, { idempotencyKey: 'k1' });
    await t.stripe.customers.retrieve(customer.id);
    await stripeError(t.stripe.paymentIntents.create({ amount: 0, currency: 'usd' }));
    await t.h.admin('POST', '/__admin__/faults', { resource: 'customers', operation: 'list', fault: { status: 500 } }, key);
    await stripeError(t.stripe.customers.list());

    const paths = async (query: string) => (await get(`/__admin__/requests?${query}`, key)).data.map((r: any) => `${r.method} ${r.status}`);
    expect(await paths('method=get')).toEqual(['GET 500', 'GET 200']);
    expect(await paths('path=/v1/customers')).toEqual(['GET 500', 'POST 200', 'POST 200']);
    expect(await paths('path=/v1/customers/*')).toEqual(['GET 200']);
    expect(await paths('status=4xx')).toEqual(['POST 400']);
    expect(await paths('status=500')).toEqual(['GET 500']);
    expect(await paths('status=dropped')).toEqual([]);
    expect(await paths('idempotency_key=k1&replayed=true')).toEqual(['POST 200']);
    expect(await paths(`request_id=${customer.lastResponse.requestId}`)).toEqual(['POST 200']);
    expect(await paths('faulted=true')).toEqual(['GET 500']);
    expect(await paths('faulted=false&limit=2')).toEqual(['POST 400', 'GET 200']);
    const limited = await get('/__admin__/requests?limit=1', key);
    expect([limited.data.length, limited.matched]).toEqual([1, 5]);
  });

  it('answers bad filters with a plain JSON error', async () => {
    const key = freshKey();
    for (const [query, message] of [
      ['limit=0', /"limit" must be an integer from 1 to 10000/],
      ['limit=abc', /"limit"/],
      ['status=teapot', /"status" is a status/],
      ['faulted=yes', /"faulted" must be true or false/],
      ['colour=red', /"colour" is not a filter here \(filters: limit, method, path/],
    ] as const) {
      const res = await t.h.admin('GET', `/__admin__/requests?${query}`, undefined, key);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(message);
    }
    expect((await t.h.admin('GET', '/__admin__/events?type=x&limit=-1', undefined, key)).json.error.message).toMatch(/"limit"/);
    expect((await t.h.admin('GET', '/__admin__/requests')).json.error.message).toMatch(/Name the world/);
  });

  it('keeps one log per world; a reset forgets it', async () => {
    const a = t.key;
    const b = freshKey();
    await t.stripe.customers.create({ email: 'a@b.co' });
    expect((await get('/__admin__/requests', b)).data).toEqual([]);
    await t.h.admin('POST', '/__admin__/reset', {}, a);
    expect((await get('/__admin__/requests', a)).total).toBe(0);
  });

  it('the event log: id, type, created, object, request, pending_webhooks — newest first, filterable', async () => {
    const key = t.key;
    const pi = await t.stripe.paymentIntents.create({
      amount: 2000, currency: 'usd', confirm: true, payment_method: 'pm_card_visa', return_url: 'https://example.com/done',
    });
    const events = (await t.stripe.events.list()).data; // first: an API request runs due work (the async balance transaction)
    const log = await get('/__admin__/events', key);
    expect(log.data.map((e: any) => e.id)).toEqual(events.map((e) => e.id));
    expect(log.total).toBe(events.length);
    const succeeded = log.data.find((e: any) => e.type === 'payment_intent.succeeded');
    expect(succeeded).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: 'payment_intent.succeeded',
      created: pi.created,
      object: pi.id,
      request_id: pi.lastResponse.requestId,
      idempotency_key: expect.stringMatching(/^stripe-node-retry-/),
      pending_webhooks: expect.any(Number),
    });

    const types = async (query: string) => (await get(`/__admin__/events?${query}`, key)).data.map((e: any) => e.type);
    expect(await types('type=payment_intent.*')).toEqual(['payment_intent.succeeded', 'payment_intent.created']);
    expect(await types(`object=${pi.id}`)).toEqual(['payment_intent.succeeded', 'payment_intent.created']);
    expect(await types(`object=${pi.latest_charge}`)).toContain('charge.succeeded');
    expect(await types(`request_id=${pi.lastResponse.requestId}&limit=1`)).toHaveLength(1);
    expect(await types('type=customer.created')).toEqual([]);
  });
});

describe('the request log is bounded', () => {
  const t = useHarness('in-process');

  it(`keeps the newest ${REQUEST_LOG_SIZE} entries of a world`, async () => {
    const key = freshKey();
    const world = t.h.twin.engine.world(key);
    for (let i = 0; i < REQUEST_LOG_SIZE + 50; i++) {
      recordRequest(world, {
        id: `req_${i}`, method: 'GET', path: '/v1/customers', status: 200, idempotency_key: null,
        replayed: false, fault: null, latency_ms: 0.1, created: 0,
      });
    }
    const log = (await t.h.admin('GET', `/__admin__/requests?limit=${REQUEST_LOG_SIZE}`, undefined, key)).json;
    expect(log.total).toBe(REQUEST_LOG_SIZE + 50);
    expect(log.data).toHaveLength(REQUEST_LOG_SIZE);
    expect(log.data[0].id).toBe(`req_${REQUEST_LOG_SIZE + 49}`);
    expect(log.data[REQUEST_LOG_SIZE - 1].id).toBe('req_50');
  });

  it(`keeps headers and bodies for the newest ${EXCHANGES_KEPT} only, each body cut at ${EXCHANGE_BODY_BYTES} characters`, async () => {
    const key = freshKey();
    const world = t.h.twin.engine.world(key);
    const big = 'x'.repeat(EXCHANGE_BODY_BYTES + 10);
    for (let i = 0; i < EXCHANGES_KEPT + 5; i++) {
      recordRequest(world, { id: `req_${i}`, method: 'POST', path: '/v1/customers', status: 200, idempotency_key: null, replayed: false, fault: null, latency_ms: 0.1, created: 0 },
        { query: '', request_headers: {}, request_body: big, response_headers: [], response_body: '{}' });
    }
    const detail = async (id: string) => (await t.h.admin('GET', `/__admin__/requests/${id}`, undefined, key)).json;
    expect((await detail('req_4')).exchange).toBeNull();
    const kept = (await detail('req_5')).exchange;
    expect(kept.request_body).toBe(`${'x'.repeat(EXCHANGE_BODY_BYTES)}\n… (10 more characters not kept)`);
  });
});
