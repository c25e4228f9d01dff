import { freshKey, raw, useHarness } from '../helpers';

// Request conventions over raw HTTP (docs/stripe-facts.md §1, §2): auth, headers,
// encoding, routing, byte-level rendering.

const t = useHarness('http', { seed: 'conventions' });

describe('authentication', () => {
  it('answers a missing key with E1 and no Request-Id or Stripe-Version', async () => {
    const res = await raw(t.h.url, 'GET', '/v1/customers', { key: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      error: {
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        type: 'invalid_request_error',
      },
    });
    expect(res.headers['request-id']).toBeUndefined();
    expect(res.headers['stripe-version']).toBeUndefined();
  });

  it('answers an invalid key with E2, the key masked, and Www-Authenticate', async () => {
    const res = await raw(t.h.url, 'GET', '/v1/customers', { key: 'sk_nonsense_123456789012345' });
    expect(res.status).toBe(401);
    expect(res.body).toBe('{\n  "error": {\n    "message": "Invalid API Key provided: sk_nonse***************2345",\n    "type": "invalid_request_error"\n  }\n}\n');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Stripe"');
    expect(res.headers['request-id']).toBeUndefined();
  });

  it('never echoes a short invalid key whole', async () => {
    for (const [key, shown] of [['sk_test_', 'sk_t****'], ['sk_12345678', 'sk_12******'], ['abc', 'a**'], ['x', '*']]) {
      const res = await raw(t.h.url, 'GET', '/v1/customers', { key });
      expect([res.status, res.json.error.message]).toEqual([401, `Invalid API Key provided: ${shown}`]);
    }
  });

  it('refuses live-mode keys', async () => {
    const res = await raw(t.h.url, 'GET', '/v1/customers', { key: 'sk_live_abcdefghijklmnop' });
    expect(res.status).toBe(401);
    expect(res.json.error.type).toBe('invalid_request_error');
    expect(res.json.error.message).toMatch(/^Live-mode API keys are refused by stripe-twin: sk_live_\*+mnop/);
  });

  it('accepts Basic auth with the key as user name, and restricted test keys', async () => {
    const key = freshKey('basic');
    const basic = await raw(t.h.url, 'GET', '/v1/customers', {
      key: null,
      headers: { Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
    expect((await raw(t.h.url, 'GET', '/v1/customers', { key: 'rk_test_restricted' })).status).toBe(200);
  });
});

describe('headers', () => {
  it('sends Request-Id and echoes Stripe-Version on reads, without idempotency headers', async () => {
    const res = await raw(t.h.url, 'GET', '/v1/customers', { key: freshKey(), headers: { 'Stripe-Version': '2024-12-18.acacia' } });
    expect(res.headers['request-id']).toMatch(/^req_[A-Za-z0-9]{14}$/);
    expect(res.headers['stripe-version']).toBe('2024-12-18.acacia');
    expect(res.headers['idempotency-key']).toBeUndefined();
    expect(res.headers['original-request']).toBeUndefined();
    expect(res.headers['stripe-should-retry']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('adds Idempotency-Key (generated when absent), Original-Request and Stripe-Should-Retry on POSTs', async () => {
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: freshKey(), body: 'name=A' });
    expect(res.status).toBe(200);
    expect(res.headers['idempotency-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.headers['original-request']).toBe(res.headers['request-id']);
    expect(res.headers['stripe-should-retry']).toBe('false');
    expect(res.headers['stripe-version']).toBe('2026-10-28.endive');
  });

  it('omits Stripe-Should-Retry on validation failures but keeps the idempotency headers', async () => {
    const res = await raw(t.h.url, 'POST', '/v1/payment_intents', { key: freshKey(), body: 'amount=0&currency=usd', headers: { 'Idempotency-Key': 'k1' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    expect(res.headers['stripe-should-retry']).toBeUndefined();
    expect(res.headers['idempotency-key']).toBe('k1');
    expect(res.headers['original-request']).toBe(res.headers['request-id']);
  });

  it('echoes a DELETE idempotency key without Original-Request', async () => {
    const key = freshKey();
    const created = await raw(t.h.url, 'POST', '/v1/customers', { key, body: '' });
    const res = await raw(t.h.url, 'DELETE', `/v1/customers/${created.json.id}`, { key, headers: { 'Idempotency-Key': 'del-1' } });
    expect(res.json).toEqual({ id: created.json.id, object: 'customer', deleted: true });
    expect(res.headers['idempotency-key']).toBe('del-1');
    expect(res.headers['original-request']).toBeUndefined();
  });

  it('rejects a malformed or unknown Stripe-Version', async () => {
    for (const version of ['2019-2-19', '2031-01-01']) {
      const res = await raw(t.h.url, 'GET', '/v1/customers', { key: freshKey(), headers: { 'Stripe-Version': version } });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', message: `Invalid Stripe API version: ${version}` });
    }
  });
});

describe('routing', () => {
  it('answers unknown URLs with E5', async () => {
    const res = await raw(t.h.url, 'GET', '/v1/nope', { key: freshKey() });
    expect(res.status).toBe(404);
    expect(res.json.error.message).toBe('Unrecognized request URL (GET: /v1/nope). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.');
    const wrongMethod = await raw(t.h.url, 'DELETE', '/v1/payment_intents', { key: freshKey() });
    expect(wrongMethod.status).toBe(404);
  });

  it('answers routes Stripe has but the twin does not model with 501 fidelity: unsupported', async () => {
    for (const [method, path] of [['GET', '/v1/climate/orders'], ['POST', '/v1/apple_pay/domains'], ['GET', '/v1/issuing/cards']]) {
      const res = await raw(t.h.url, method, path, { key: freshKey(), body: method === 'POST' ? '' : undefined });
      expect([method, path, res.status]).toEqual([method, path, 501]);
      expect(res.json.error).toMatchObject({ type: 'api_error', fidelity: 'unsupported' });
      expect(res.headers['stripe-should-retry']).toBe('false');
    }
  });

  it('answers parameters it does not model with 501 rather than ignoring them', async () => {
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: freshKey(), body: 'tax[ip_address]=127.0.0.1' });
    expect(res.status).toBe(501);
    expect(res.json.error).toMatchObject({ fidelity: 'unsupported', param: 'tax' });
  });

  it('serves /healthz', async () => {
    const res = await raw(t.h.url, 'GET', '/healthz', { key: null });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });
});

describe('encoding and rendering', () => {
  it('reads literal brackets, indexed arrays and percent-encoded query arrays', async () => {
    const key = freshKey();
    const created = await raw(t.h.url, 'POST', '/v1/customers', {
      key,
      body: 'email=jane%40example.com&name=Jane+Doe&metadata[order_id]=6735&preferred_locales[0]=fr&preferred_locales[1]=en&shipping[name]=J&shipping[address][city]=Paris',
    });
    expect(created.json).toMatchObject({
      email: 'jane@example.com',
      name: 'Jane Doe',
      metadata: { order_id: '6735' },
      preferred_locales: ['fr', 'en'],
      shipping: { name: 'J', address: { city: 'Paris', country: null, line1: null, line2: null, postal_code: null, state: null } },
    });
    const list = await raw(t.h.url, 'GET', '/v1/customers?expand%5B%5D=data.tax&limit=1', { key });
    expect(list.json.data[0].tax).toEqual({ automatic_tax: 'unrecognized_location', ip_address: null, location: null, provider: 'stripe' });
  });

  it('prints success bodies pretty with no trailing newline, Stripe key order, and error bodies with one', async () => {
    const key = freshKey();
    const created = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=%C3%97' });
    expect(created.body.startsWith('{\n  "id": "cus_')).toBe(true);
    expect(created.body.endsWith('\n}')).toBe(true);
    expect(created.body).toContain('"name": "×"');
    expect(created.body).toContain('"metadata": {},');
    expect(created.body).toContain('"preferred_locales": [],');
    const keys = Object.keys(created.json);
    expect(keys.slice(0, 2)).toEqual(['id', 'object']);
    expect(keys.slice(2)).toEqual([...keys.slice(2)].sort());
    const missing = await raw(t.h.url, 'GET', '/v1/customers/cus_missing', { key });
    expect(missing.status).toBe(404);
    expect(missing.body.endsWith('}\n')).toBe(true);
    expect(missing.json.error).toEqual({
      code: 'resource_missing',
      doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
      message: "No such customer: 'cus_missing'",
      param: 'id',
      request_log_url: expect.stringMatching(/^https:\/\/dashboard\.stripe\.com\/acct_1[A-Za-z0-9]{15}\/test\/workbench\/logs\?object=req_/),
      type: 'invalid_request_error',
    });
  });

  it('prints lists and search results exactly as JSON.stringify would, items included', async () => {
    const key = freshKey();
    await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=A&metadata[price]=%24%26%241' });
    await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=B&address[city]=Paris' });
    for (const path of ['/v1/customers', '/v1/customers?limit=1', '/v1/customers/search?query=name%3A%22A%22', '/v1/events', '/v1/payment_intents']) {
      const res = await raw(t.h.url, 'GET', path, { key });
      expect([path, res.body]).toEqual([path, JSON.stringify(res.json, null, 2)]);
    }
  });

  it('keeps metadata in the caller’s order and applies the unset rules', async () => {
    const key = freshKey();
    const c = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'metadata[z]=1&metadata[a]=2&metadata[m]=3&description=hello' });
    expect(Object.keys(c.json.metadata)).toEqual(['z', 'a', 'm']);
    const u = await raw(t.h.url, 'POST', `/v1/customers/${c.json.id}`, { key, body: 'metadata[a]=&description=' });
    expect(u.json.metadata).toEqual({ z: '1', m: '3' });
    expect(u.json.description).toBeNull();
    const cleared = await raw(t.h.url, 'POST', `/v1/customers/${c.json.id}`, { key, body: 'metadata=' });
    expect(cleared.json.metadata).toEqual({});
  });

  it('enforces metadata limits', async () => {
    const key = freshKey();
    const long = await raw(t.h.url, 'POST', '/v1/customers', { key, body: `metadata[${'k'.repeat(41)}]=v` });
    expect(long.status).toBe(400);
    expect(long.json.error).toMatchObject({ param: 'metadata', message: `Invalid key: ${'k'.repeat(41)} must be a string under 40 characters` });
    const many = await raw(t.h.url, 'POST', '/v1/customers', { key, body: Array.from({ length: 51 }, (_, i) => `metadata[k${i}]=v`).join('&') });
    expect(many.status).toBe(400);
    const value = await raw(t.h.url, 'POST', '/v1/customers', { key, body: `metadata[k]=${'v'.repeat(501)}` });
    expect(value.json.error.message).toMatch(/^Invalid val: v+ must be a string under 500 characters$/);
  });
});
