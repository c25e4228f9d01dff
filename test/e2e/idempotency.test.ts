import net from 'node:net';
import Stripe from 'stripe';
import { createTwin } from '../../src';
import { createHttpServer, listen } from '../../src/server/http';
import { freshKey, MODES, raw, stripeError, useHarness } from '../helpers';

// Idempotency-Key (docs/stripe-facts.md §1.5).

describe('idempotency over HTTP', () => {
  const t = useHarness('http');

  it('replays the identical status and body with Idempotent-Replayed and the original request id', async () => {
    const key = freshKey();
    const headers = { 'Idempotency-Key': 'order-42' };
    const first = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'email=a%40b.co', headers });
    const second = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'email=a%40b.co', headers });
    expect(second.status).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers['original-request']).toBe(first.headers['request-id']);
    expect(second.headers['request-id']).not.toBe(first.headers['request-id']);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const list = await raw(t.h.url, 'GET', '/v1/customers', { key });
    expect(list.json.data).toHaveLength(1);
    const events = await raw(t.h.url, 'GET', '/v1/events', { key });
    expect(events.json.data.map((e: any) => e.request)).toEqual([{ id: first.headers['request-id'], idempotency_key: 'order-42' }]);
  });

  it('treats the same parameters in another order as the same request', async () => {
    const key = freshKey();
    const headers = { 'Idempotency-Key': 'same' };
    const a = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=A&email=x%40y.z', headers });
    const b = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'email=x%40y.z&name=A', headers });
    expect(b.json.id).toBe(a.json.id);
  });

  it('refuses the same key with other parameters or on another endpoint (E27)', async () => {
    const key = freshKey();
    const headers = { 'Idempotency-Key': 'k-1' };
    await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=A', headers });
    const other = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=B', headers });
    expect(other.status).toBe(400);
    expect(other.json.error).toMatchObject({
      type: 'idempotency_error',
      message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k-1' if you meant to execute a different request.",
    });
    const endpoint = await raw(t.h.url, 'POST', '/v1/payment_intents', { key, body: 'amount=100&currency=usd', headers });
    expect(endpoint.json.error.message).toBe(
      "Keys for idempotent requests can only be used for the same endpoint they were first used for ('/v1/payment_intents' vs '/v1/customers'). Try using a key other than 'k-1' if you meant to execute a different request.",
    );
  });

  it('stores nothing for requests that fail validation, so the key can be used again', async () => {
    const key = freshKey();
    const headers = { 'Idempotency-Key': 'retry-me' };
    const bad = await raw(t.h.url, 'POST', '/v1/payment_intents', { key, body: 'amount=0&currency=usd', headers });
    expect(bad.status).toBe(400);
    const good = await raw(t.h.url, 'POST', '/v1/payment_intents', { key, body: 'amount=100&currency=usd', headers });
    expect(good.status).toBe(200);
    expect(good.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays a stored 402 decline byte for byte, creating nothing new', async () => {
    const key = freshKey();
    const headers = { 'Idempotency-Key': 'decline' };
    const body = 'amount=500&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true&allowed_payment_method_types[0]=card';
    const first = await raw(t.h.url, 'POST', '/v1/payment_intents', { key, body, headers });
    const second = await raw(t.h.url, 'POST', '/v1/payment_intents', { key, body, headers });
    expect(first.status).toBe(402);
    expect(second.status).toBe(402);
    expect(JSON.parse(second.body).error.charge).toBe(first.json.error.charge);
    // The first answer's bytes, request_log_url (the first request's log) included (docs/stripe-facts.md §1.5).
    expect(second.body).toBe(first.body);
    expect(second.headers['request-id']).not.toBe(first.headers['request-id']);
    expect(second.headers['stripe-should-retry']).toBe('false');
    const charges = await raw(t.h.url, 'GET', '/v1/charges', { key });
    expect(charges.json.data).toHaveLength(1);
  });

  it('forgets keys after 24 hours of world time', async () => {
    const key = freshKey();
    const headers = { 'Idempotency-Key': 'daily' };
    const first = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=A', headers });
    await t.h.admin('POST', '/__admin__/clock/advance', { duration: '23h' }, key);
    expect((await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=A', headers })).json.id).toBe(first.json.id);
    await t.h.admin('POST', '/__admin__/clock/advance', { duration: '1h' }, key);
    const after = await raw(t.h.url, 'POST', '/v1/customers', { key, body: 'name=B', headers });
    expect(after.status).toBe(200);
    expect(after.json.id).not.toBe(first.json.id);
  });

  it('scopes keys to a world: the same key on another account is a new request', async () => {
    const headers = { 'Idempotency-Key': 'shared' };
    const a = await raw(t.h.url, 'POST', '/v1/customers', { key: freshKey(), body: 'name=A', headers });
    const b = await raw(t.h.url, 'POST', '/v1/customers', { key: freshKey(), body: 'name=B', headers });
    expect(b.status).toBe(200);
    expect(b.json.name).toBe('B');
    expect(a.json.id).not.toBe(b.json.id);
  });
});

describe.each(MODES)('idempotency through the SDK (%s)', (mode) => {
  const t = useHarness(mode);

  it('works with the SDK’s automatic keys and an explicit idempotencyKey', async () => {
    const a = await t.stripe.customers.create({ name: 'A' });
    const b = await t.stripe.customers.create({ name: 'A' });
    expect(a.id).not.toBe(b.id);
    expect(a.lastResponse.headers['idempotency-key']).toMatch(/^stripe-node-retry-/);
    const x = await t.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'pi-1' });
    const y = await t.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'pi-1' });
    expect(y.id).toBe(x.id);
    expect(y.lastResponse.headers['idempotent-replayed']).toBe('true');
    const e = await stripeError(t.stripe.paymentIntents.create({ amount: 200, currency: 'usd' }, { idempotencyKey: 'pi-1' }));
    expect(e).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((await t.stripe.paymentIntents.list()).data).toHaveLength(1);
  });
});

describe('a client that stalls while sending its body', () => {
  it('holds its Idempotency-Key only until the request timeout, then frees it', async () => {
    const twin = createTwin({ seed: 1 });
    const server = createHttpServer(twin.engine, { requestTimeoutMs: 400 });
    const { url, port } = await listen(server, 0, '127.0.0.1');
    try {
      const key = freshKey('stall');
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const closed = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('close', () => resolve(text));
      });
      socket.write(
        `POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nIdempotency-Key: stalled\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const during = await raw(url, 'POST', '/v1/customers', { key, body: 'email=b%40example.com', headers: { 'Idempotency-Key': 'stalled' } });
      expect([during.status, during.json.error.type]).toEqual([409, 'invalid_request_error']);
      expect(await closed).toMatch(/^HTTP\/1\.1 408/);
      // The server hears of the closed connection just after the client does.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = await raw(url, 'POST', '/v1/customers', { key, body: 'email=b%40example.com', headers: { 'Idempotency-Key': 'stalled' } });
      expect([after.status, after.json.email]).toEqual([200, 'b@example.com']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
