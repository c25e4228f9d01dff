import net from 'node:net';
import Stripe from 'stripe';
import { freshKey, raw, RawResponse, useHarness } from '../helpers';

// Hostile input over real HTTP (docs/stripe-facts.md §1.2, §2.1). Every case checks:
//  - the exact HTTP status (a Stripe-style 4xx or 413, never a 5xx);
//  - Stripe's error envelope `{error: {type: 'invalid_request_error', message}}` wherever
//    the request reached the API pipeline;
//  - the server keeps serving (GET /healthz, and a normal SDK call);
//  - the world of the key that sent the hostile request is unchanged.

const t = useHarness('http');

interface World {
  key: string;
  stripe: Stripe;
  customer: Stripe.Customer;
  customers: unknown[];
  eventCount: number;
}

/** A fresh key with one customer in it, and a snapshot of what that key can see. */
async function seededWorld(): Promise<World> {
  const key = freshKey('hostile');
  const stripe = t.h.stripe(key);
  const customer = await stripe.customers.create({ email: 'before@example.com', name: 'Before', metadata: { seed: '1' } });
  const customers = plain((await stripe.customers.list({ limit: 100 })).data);
  const eventCount = (await stripe.events.list({ limit: 100 })).data.length;
  expect(customers).toHaveLength(1);
  return { key, stripe, customer, customers, eventCount };
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

/** The exact status, and Stripe's error envelope with an invalid_request_error. */
function expectEnvelope(res: RawResponse, status: number): any {
  expect({ status: res.status, body: res.body.slice(0, 500) }).toEqual({ status, body: expect.any(String) });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.json).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', message: expect.any(String) }) });
  expect(res.json.error.message.length).toBeGreaterThan(0);
  expect(res.json.error.message.length).toBeLessThan(2000);
  return res.json.error;
}

/** The server still answers, and the seeded world is exactly as it was. */
async function expectHealthyAndUnchanged(w: World): Promise<void> {
  const health = await raw(t.h.url, 'GET', '/healthz', { key: null });
  expect(health.status).toBe(200);
  expect(health.json).toEqual({ status: 'ok' });

  const after = plain((await w.stripe.customers.list({ limit: 100 })).data);
  expect(after).toEqual(w.customers);
  const retrieved = await w.stripe.customers.retrieve(w.customer.id);
  expect(plain(retrieved)).toEqual(w.customers[0]);
  expect((await w.stripe.events.list({ limit: 100 })).data).toHaveLength(w.eventCount);

  // Writes still work, on the same world and on another one.
  const other = await t.h.stripe(freshKey('hostile_other')).customers.create({ email: 'after@example.com' });
  expect(other.id).toMatch(/^cus_/);
  expect(({} as any).polluted).toBeUndefined();
}

/** Sends raw bytes on a socket; resolves with whatever came back before the server closed. */
function rawSocket(data: Buffer | string, options: { endAfterWrite?: boolean; waitMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(t.port, '127.0.0.1');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(finish, options.waitMs ?? 3000);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(data);
      if (options.endAfterWrite) socket.end();
    });
  });
}

const statusLine = (response: string) => response.split('\r\n', 1)[0];

describe('hostile input over HTTP', () => {
  test('malformed percent-encoding (email=%E0%A4%A) → 400 invalid_request_error', async () => {
    const w = await seededWorld();
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'email=%E0%A4%A' });
    expectEnvelope(res, 400);
    // Also a truncated escape in the key, and on a GET query string.
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'meta%Zdata[a]=1' }), 400);
    expectEnvelope(await raw(t.h.url, 'GET', '/v1/customers?limit=%E0%A4%A', { key: w.key }), 400);
    // An update of the existing customer must not half-apply either.
    expectEnvelope(await raw(t.h.url, 'POST', `/v1/customers/${w.customer.id}`, { key: w.key, body: 'name=Changed&email=%E0%A4%A' }), 400);
    await expectHealthyAndUnchanged(w);
  });

  test('raw invalid UTF-8 bytes in the body → 400 invalid_request_error', async () => {
    const w = await seededWorld();
    const body = Buffer.concat([Buffer.from('email=a%40b.co&name='), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80])]);
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body });
    expectEnvelope(res, 400);
    // Invalid bytes on an update of the existing customer.
    const update = Buffer.concat([Buffer.from('name='), Buffer.from([0xc0, 0xaf])]);
    expectEnvelope(await raw(t.h.url, 'POST', `/v1/customers/${w.customer.id}`, { key: w.key, body: update }), 400);
    await expectHealthyAndUnchanged(w);
  });

  test('10,000 unknown parameters → 400 parameter_unknown', async () => {
    const w = await seededWorld();
    const body = Array.from({ length: 10_000 }, (_, i) => `unknown_${i}=x`).join('&');
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body });
    const error = expectEnvelope(res, 400);
    expect(error.code).toBe('parameter_unknown');
    expect(error.param).toMatch(/^unknown_\d+$/);
    expect(error.message).toBe(`Received unknown parameter: ${error.param}`);
    await expectHealthyAndUnchanged(w);
  });

  test('10,000 metadata keys → 400, metadata is limited to 50 keys', async () => {
    const w = await seededWorld();
    const body = 'email=x%40example.com&' + Array.from({ length: 10_000 }, (_, i) => `metadata[k${i}]=v`).join('&');
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body });
    const error = expectEnvelope(res, 400);
    expect(error.param).toBe('metadata');
    expect(error.message).toMatch(/50 keys/);
    // The same on an update of the existing customer: its metadata stays as it was.
    const update = Array.from({ length: 10_000 }, (_, i) => `metadata[k${i}]=v`).join('&');
    const updateError = expectEnvelope(await raw(t.h.url, 'POST', `/v1/customers/${w.customer.id}`, { key: w.key, body: update }), 400);
    expect(updateError.param).toBe('metadata');
    await expectHealthyAndUnchanged(w);
  });

  test('50 levels of nesting (a[x][x]...=1) → 400', async () => {
    const w = await seededWorld();
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: `a${'[x]'.repeat(50)}=1` });
    expectEnvelope(res, 400);
    // Deep nesting under a parameter that takes a hash.
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: `metadata${'[x]'.repeat(50)}=1` }), 400);
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: `address${'[x]'.repeat(50)}=1` }), 400);
    await expectHealthyAndUnchanged(w);
  });

  test('a 1 MB description → 400 string too long', async () => {
    const w = await seededWorld();
    const body = `description=${'d'.repeat(1_000_000)}`;
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body });
    const error = expectEnvelope(res, 400);
    expect(error.param).toBe('description');
    // The 1 MB value must not be echoed back in the error message.
    expect(res.body.length).toBeLessThan(10_000);
    // Just over the documented maxLength (5000) is the same error.
    const justOver = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: `description=${'d'.repeat(5001)}` });
    expect(expectEnvelope(justOver, 400).param).toBe('description');
    await expectHealthyAndUnchanged(w);
  });

  test('a 2 MB body → 413 in the error envelope', async () => {
    const w = await seededWorld();
    const body = `description=x&metadata[a]=${'v'.repeat(2 * 1024 * 1024)}`;
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body });
    expectEnvelope(res, 413);
    expect(res.body.length).toBeLessThan(10_000);
    await expectHealthyAndUnchanged(w);
  });

  test('a 2 MB body with an Idempotency-Key: 413, and the key stays usable', async () => {
    const w = await seededWorld();
    const idem = `hostile-413-${Date.now()}`;
    const res = await raw(t.h.url, 'POST', '/v1/customers', {
      key: w.key,
      body: `email=x%40y.co&description=${'v'.repeat(2 * 1024 * 1024)}`,
      headers: { 'Idempotency-Key': idem },
    });
    expectEnvelope(res, 413);
    await expectHealthyAndUnchanged(w);
    // Nothing was stored before the endpoint ran (docs/stripe-facts.md §1.5): the key can be used for a real request.
    const ok = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'email=x%40y.co', headers: { 'Idempotency-Key': idem } });
    expect(ok.status).toBe(200);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });

  test('a value and a nested parameter under one name (a=1&a[b]=2) → 400', async () => {
    const w = await seededWorld();
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'a=1&a[b]=2' }), 400);
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'a[b]=2&a=1' }), 400);
    // The same clash on a real parameter.
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'metadata=x&metadata[b]=2' }), 400);
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'metadata[b]=2&metadata=x' }), 400);
    expectEnvelope(await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'preferred_locales[]=en&preferred_locales[0]=fr' }), 400);
    await expectHealthyAndUnchanged(w);
  });

  test('__proto__[polluted]=1 does not pollute Object.prototype → 400 parameter_unknown', async () => {
    const w = await seededWorld();
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: '__proto__[polluted]=1' });
    const error = expectEnvelope(res, 400);
    expect(error.code).toBe('parameter_unknown');
    expect(error.param).toMatch(/^__proto__/);
    expect(({} as any).polluted).toBeUndefined();

    for (const body of ['constructor[prototype][polluted]=1', '__proto__=1', 'address[__proto__][polluted]=1', '%5F_proto__%5Bpolluted%5D=1']) {
      const r = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body });
      expect(expectEnvelope(r, 400).code).toBe('parameter_unknown');
      expect(({} as any).polluted).toBeUndefined();
      expect((Object.prototype as any).polluted).toBeUndefined();
    }
    // On a GET query string too.
    expectEnvelope(await raw(t.h.url, 'GET', '/v1/customers?__proto__[polluted]=1', { key: w.key }), 400);
    expect(({} as any).polluted).toBeUndefined();
    await expectHealthyAndUnchanged(w);
  });

  test('metadata[__proto__] is an ordinary metadata key, not a prototype', async () => {
    const key = freshKey('hostile');
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'metadata[__proto__]=x&metadata[constructor]=y' });
    expect(res.status).toBe(200);
    expect(({} as any).polluted).toBeUndefined();
    const customer = await t.h.stripe(key).customers.retrieve(res.json.id);
    // Stripe stores metadata keys verbatim: both keys round-trip as plain strings.
    expect(Object.getOwnPropertyDescriptor((customer as Stripe.Customer).metadata, '__proto__')?.value).toBe('x');
    expect(Object.getOwnPropertyDescriptor((customer as Stripe.Customer).metadata, 'constructor')?.value).toBe('y');
    expect(res.body).toMatch(/"__proto__": "x"/);
  });

  test('garbage and truncated HTTP: the connection is refused, the server keeps serving', async () => {
    const w = await seededWorld();

    const garbage = await rawSocket('GARBAGE\r\n\r\n');
    expect(statusLine(garbage)).toBe('HTTP/1.1 400 Bad Request');

    const binary = await rawSocket(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(statusLine(binary)).toBe('HTTP/1.1 400 Bad Request');

    // Headers cut off mid-line, then the client hangs up.
    await rawSocket(`POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.key}\r\nContent-Le`, { endAfterWrite: true, waitMs: 500 });
    // A bad Content-Length.
    const badLength = await rawSocket(`POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.key}\r\nContent-Length: banana\r\n\r\nemail=x`);
    expect(statusLine(badLength)).toBe('HTTP/1.1 400 Bad Request');
    // A body that stops half-way, then the client hangs up (nothing may be created).
    await rawSocket(
      `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.key}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=half%40example.com`,
      { endAfterWrite: true, waitMs: 500 },
    );

    // The next normal request on a fresh connection is answered.
    const next = await rawSocket(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(statusLine(next)).toBe('HTTP/1.1 200 OK');
    await expectHealthyAndUnchanged(w);
  });

  test('a client that hangs up mid-body does not poison its Idempotency-Key', async () => {
    const w = await seededWorld();
    const idem = `hostile-hangup-${Date.now()}`;
    await rawSocket(
      `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.key}\r\nIdempotency-Key: ${idem}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=half%40example.com`,
      { endAfterWrite: true, waitMs: 500 },
    );
    await new Promise((r) => setTimeout(r, 100));
    await expectHealthyAndUnchanged(w);
    // The first request never reached the endpoint, so nothing was stored (docs/stripe-facts.md §1.5): a retry
    // with the same key runs normally instead of getting 409 idempotency_key_in_use forever.
    const retry = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'email=half%40example.com', headers: { 'Idempotency-Key': idem } });
    expect({ status: retry.status, code: retry.json?.error?.code }).toEqual({ status: 200, code: undefined });
    expect(retry.json.email).toBe('half@example.com');
    expect((await w.stripe.customers.list({ limit: 100 })).data).toHaveLength(2);
  });

  test('a huge header → 400, and the server keeps serving', async () => {
    const w = await seededWorld();
    const request = `GET /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.key}\r\nX-Huge: ${'h'.repeat(64 * 1024)}\r\n\r\n`;
    const res = await rawSocket(request);
    // Node refuses headers over its 16 KB limit; the twin answers like Stripe's nginx front: 400.
    expect(statusLine(res)).toBe('HTTP/1.1 400 Bad Request');
    // Many headers rather than one long one.
    const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}`).join('\r\n');
    const res2 = await rawSocket(`GET /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.key}\r\n${many}\r\n\r\n`);
    expect(statusLine(res2)).toBe('HTTP/1.1 400 Bad Request');
    await expectHealthyAndUnchanged(w);
  });

  test('a long but acceptable header (8 KB) is served normally', async () => {
    const w = await seededWorld();
    const res = await raw(t.h.url, 'GET', '/v1/customers', { key: w.key, headers: { 'X-Long': 'h'.repeat(8 * 1024) } });
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(1);
    await expectHealthyAndUnchanged(w);
  });

  test('a huge Idempotency-Key header → 400 invalid_request_error', async () => {
    const w = await seededWorld();
    const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body: 'email=x%40y.co', headers: { 'Idempotency-Key': 'k'.repeat(8000) } });
    const error = expectEnvelope(res, 400);
    expect(error.message.length).toBeLessThan(500);
    await expectHealthyAndUnchanged(w);
  });

  test('a JSON body with Content-Type application/json → 400 in the envelope, nothing created', async () => {
    const w = await seededWorld();
    for (const body of [
      JSON.stringify({ email: 'json@example.com', name: 'Jason', metadata: { a: 'b' } }),
      JSON.stringify({ email: 'json@example.com', description: 'a=b&c=d' }),
      '{"email": "json@example.com"',
      '[]',
    ]) {
      const res = await raw(t.h.url, 'POST', '/v1/customers', { key: w.key, body, headers: { 'Content-Type': 'application/json' } });
      expectEnvelope(res, 400);
    }
    // On an update of the existing customer.
    const update = await raw(t.h.url, 'POST', `/v1/customers/${w.customer.id}`, {
      key: w.key,
      body: JSON.stringify({ name: 'Changed' }),
      headers: { 'Content-Type': 'application/json' },
    });
    expectEnvelope(update, 400);
    await expectHealthyAndUnchanged(w);
  });
});
