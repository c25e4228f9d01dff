import http from 'node:http';
import Stripe from 'stripe';
import { freshKey, raw, RawResponse, readResponse, useHarness } from '../helpers';

// Concurrency over real HTTP with the official SDK (docs/stripe-facts.md §1.5, §3).

const t = useHarness('http');

// Sent as-is on the wire; the SDK's types (v23) no longer list this create parameter.
const CARD_ONLY = { allowed_payment_method_types: ['card'] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrency over HTTP', () => {
  test('two simultaneous confirms of one PaymentIntent: one succeeds, one gets 400 payment_intent_unexpected_state', async () => {
    const key = freshKey('conc_confirm');
    const stripe = t.h.stripe(key);
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      ...CARD_ONLY,
    });
    expect(pi.status).toBe('requires_confirmation');

    const results = await Promise.allSettled([stripe.paymentIntents.confirm(pi.id), stripe.paymentIntents.confirm(pi.id)]);
    const fulfilled = results.filter((r): r is PromiseFulfilledResult<Stripe.Response<Stripe.PaymentIntent>> => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);

    expect(fulfilled[0].value.id).toBe(pi.id);
    expect(fulfilled[0].value.status).toBe('succeeded');
    expect(fulfilled[0].value.amount_received).toBe(2000);

    const error = rejected[0].reason;
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.statusCode).toBe(400);
    expect(error.type).toBe('StripeInvalidRequestError');
    expect(error.raw.type).toBe('invalid_request_error');
    expect(error.code).toBe('payment_intent_unexpected_state');
    expect(error.raw.payment_intent?.id).toBe(pi.id);

    const charges = await stripe.charges.list({ payment_intent: pi.id, limit: 100 });
    expect(charges.data).toHaveLength(1);
    expect(charges.data[0].status).toBe('succeeded');
    expect(charges.data[0].amount).toBe(2000);

    const chargeEvents = await stripe.events.list({ type: 'charge.succeeded', limit: 100 }).autoPagingToArray({ limit: 10_000 });
    const forThisPi = chargeEvents.filter((e) => (e.data.object as Stripe.Charge).payment_intent === pi.id);
    expect(forThisPi).toHaveLength(1);
    expect((forThisPi[0].data.object as Stripe.Charge).id).toBe(charges.data[0].id);
    const piEvents = await stripe.events.list({ type: 'payment_intent.succeeded', limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(piEvents.filter((e) => (e.data.object as Stripe.PaymentIntent).id === pi.id)).toHaveLength(1);

    const after = await stripe.paymentIntents.retrieve(pi.id);
    expect(after.status).toBe('succeeded');
    expect(after.latest_charge).toBe(charges.data[0].id);
  });

  test('same Idempotency-Key while the first request is in flight: 409, then 200, then a replay', async () => {
    const key = freshKey('conc_idem');
    const idem = `conc-inflight-${Date.now()}`;
    const body = 'email=inflight%40example.com&name=In+Flight&metadata[order]=42';
    const half = Math.floor(body.length / 2);

    // First request: headers and half the body, then the socket stays open.
    let firstResponse!: Promise<RawResponse>;
    const first = http.request({
      host: '127.0.0.1',
      port: t.port,
      method: 'POST',
      path: '/v1/customers',
      headers: {
        Authorization: `Bearer ${key}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': String(Buffer.byteLength(body)),
        'Idempotency-Key': idem,
      },
    });
    firstResponse = new Promise((resolve, reject) => {
      first.on('response', (res) => readResponse(res).then(resolve, reject));
      first.on('error', reject);
    });
    let firstAnswered = false;
    void firstResponse.then(() => (firstAnswered = true), () => undefined);
    first.write(body.slice(0, half));
    await sleep(150);
    expect(firstAnswered).toBe(false);

    // Second request, same key, full body, while the first is still arriving.
    const second = await raw(t.h.url, 'POST', '/v1/customers', { key, body, headers: { 'Idempotency-Key': idem } });
    expect(second.status).toBe(409);
    expect(second.json?.error?.type).toBe('invalid_request_error');
    expect(second.json?.error?.code).toBe('idempotency_key_in_use');
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(firstAnswered).toBe(false);

    // The first request finishes normally.
    first.end(body.slice(half));
    const done = await firstResponse;
    expect(done.status).toBe(200);
    expect(done.json.object).toBe('customer');
    expect(done.json.email).toBe('inflight@example.com');
    expect(done.json.name).toBe('In Flight');
    expect(done.json.metadata).toEqual({ order: '42' });
    expect(done.headers['idempotency-key']).toBe(idem);
    expect(done.headers['idempotent-replayed']).toBeUndefined();

    // Retrying the second request now replays the first one's result.
    const retry = await raw(t.h.url, 'POST', '/v1/customers', { key, body, headers: { 'Idempotency-Key': idem } });
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['original-request']).toBe(done.headers['request-id']);
    expect(retry.json.id).toBe(done.json.id);
    expect(retry.body).toBe(done.body);

    // Exactly one customer and one customer.created event exist.
    const stripe = t.h.stripe(key);
    const customers = await stripe.customers.list({ limit: 100 });
    expect(customers.data.map((c) => c.id)).toEqual([done.json.id]);
    const created = await stripe.events.list({ type: 'customer.created', limit: 100 });
    expect(created.data).toHaveLength(1);
    expect(created.data[0].request?.idempotency_key).toBe(idem);
  });

  test('200 concurrent creates across 20 keys: each key lists exactly its own 10 customers', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => freshKey(`conc_iso${i}`));
    const clients = keys.map((key) => t.h.stripe(key));
    const created = await Promise.all(
      keys.flatMap((key, k) =>
        Array.from({ length: 10 }, (_, c) =>
          clients[k].customers.create({ email: `k${k}-c${c}@example.com`, metadata: { owner: key, index: String(c) } }),
        ),
      ),
    );
    expect(created).toHaveLength(200);

    const lists = await Promise.all(clients.map((s) => s.customers.list({ limit: 100 })));
    lists.forEach((list, k) => {
      const mine = created.slice(k * 10, k * 10 + 10);
      expect(list.has_more).toBe(false);
      expect(list.data).toHaveLength(10);
      expect(new Set(list.data.map((c) => c.id))).toEqual(new Set(mine.map((c) => c.id)));
      for (const c of list.data) {
        expect(c.metadata.owner).toBe(keys[k]);
        expect(c.email).toMatch(new RegExp(`^k${k}-c\\d@example\\.com$`));
      }
      expect(new Set(list.data.map((c) => c.email)).size).toBe(10);
    });
    // Each key retrieves its own customers and nobody else's.
    // (IDs may coincide across worlds; what matters is that key 1 never sees key 0's object.)
    const seen = await clients[1].customers.retrieve(created[0].id).catch((e) => e);
    if (seen instanceof Error) expect((seen as any).statusCode).toBe(404);
    else expect((seen as Stripe.Customer).metadata.owner).toBe(keys[1]);
  });

  test('50 concurrent confirmed PaymentIntents with idempotency keys, then 50 concurrent retries: 50 PIs, 50 charges, same ids', async () => {
    const key = freshKey('conc_pi');
    const stripe = t.h.stripe(key);
    const params = (i: number): Stripe.PaymentIntentCreateParams => ({
      amount: 1000 + i,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      ...CARD_ONLY,
      confirm: true,
      metadata: { i: String(i) },
    });
    const idem = Array.from({ length: 50 }, (_, i) => `conc-pi-${Date.now()}-${i}`);

    const originals = await Promise.all(idem.map((k, i) => stripe.paymentIntents.create(params(i), { idempotencyKey: k })));
    originals.forEach((pi, i) => {
      expect(pi.status).toBe('succeeded');
      expect(pi.amount).toBe(1000 + i);
      expect(pi.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    });
    expect(new Set(originals.map((pi) => pi.id)).size).toBe(50);

    const retries = await Promise.all(idem.map((k, i) => stripe.paymentIntents.create(params(i), { idempotencyKey: k })));
    retries.forEach((pi, i) => {
      expect(pi.id).toBe(originals[i].id);
      expect(pi.latest_charge).toBe(originals[i].latest_charge);
      expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true');
    });

    const intents = await stripe.paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(intents).toHaveLength(50);
    expect(new Set(intents.map((pi) => pi.id))).toEqual(new Set(originals.map((pi) => pi.id)));
    const charges = await stripe.charges.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(charges).toHaveLength(50);
    expect(new Set(charges.map((c) => c.payment_intent))).toEqual(new Set(originals.map((pi) => pi.id)));
    const chargeEvents = await stripe.events.list({ type: 'charge.succeeded', limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(chargeEvents).toHaveLength(50);
  });
});
