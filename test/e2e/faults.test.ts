import Stripe from 'stripe';
import { freshKey, Mode, MODES, stripeError, useHarness } from '../helpers'; // first: loads the twin in its module order
import { ArmFault, RequestFilters, TwinControlError } from '../../src/control/client';
import { operationOf } from '../../src/control/faults';

// Faults (/__admin__/faults): Stripe's error envelopes armed on the next N calls
// of a resource/operation, timeouts, and the lost response, through the official
// SDK over HTTP and in-process.

const RATE_LIMIT = 'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.';
const CONFIRM = { payment_method: 'pm_card_visa', return_url: 'https://example.com/done' };

describe.each(MODES)('faults (%s)', (mode: Mode) => {
  const t = useHarness(mode);

  const arm = (key: string, fault: ArmFault) => t.h.control(key).faults.arm(fault);
  const armed = async (key: string) => (await t.h.control(key).faults.list()).faults;
  const log = async (key: string, filters: RequestFilters = {}) => (await t.h.control(key).requests(filters)).data;
  /** The newest log entry. A request is logged when it ends: over HTTP a held one ends once the server sees the client close. */
  async function newest(key: string) {
    for (let i = 0; i < 50; i++) {
      const [entry] = await log(key);
      if (entry) return entry;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  it('429 rate_limit_error: Stripe\'s envelope, no Stripe-Should-Retry, counts down, disarms, runs nothing', async () => {
    const key = freshKey();
    const stripe = t.h.stripe(key);
    const fault = await arm(key, { resource: 'payment_intents', operation: 'create', times: 2, fault: { status: 429, type: 'rate_limit_error' } });
    expect(fault).toEqual({
      id: 'fault_1', resource: 'payment_intents', operation: 'create', times: 2, remaining: 2,
      fault: { type: 'rate_limit_error', status: 429, code: 'rate_limit' },
    });
    const e = await stripeError(stripe.paymentIntents.create({ amount: 500, currency: 'usd' }));
    expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(e.statusCode).toBe(429);
    expect(e.raw).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit', message: RATE_LIMIT, doc_url: 'https://stripe.com/docs/error-codes/rate-limit' });
    expect(e.raw.request_log_url).toContain(e.requestId);
    expect(e.headers['stripe-should-retry']).toBeUndefined();
    expect(e.headers['idempotency-key']).toMatch(/^stripe-node-retry-/);
    expect(e.headers['stripe-version']).toBeDefined();
    expect((await armed(key))[0].remaining).toBe(1);

    await stripeError(stripe.paymentIntents.create({ amount: 500, currency: 'usd' }));
    expect(await armed(key)).toEqual([]);
    // Other operations were never affected; a third create goes through.
    expect((await stripe.paymentIntents.list()).data).toHaveLength(0);
    await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    expect((await stripe.paymentIntents.list()).data).toHaveLength(1);
    expect((await stripe.events.list()).data.map((ev) => ev.type)).toEqual(['payment_intent.created']);
    expect((await log(key, { faulted: true })).map((r) => [r.status, r.fault?.id])).toEqual([[429, 'fault_1'], [429, 'fault_1']]);
  });

  it('429 lock_timeout carries Stripe-Should-Retry: true, so the SDK retries it with the same key', async () => {
    const key = freshKey();
    await arm(key, { resource: 'customers', operation: 'create', fault: { status: 429, code: 'lock_timeout' } });
    const e = await stripeError(t.h.stripe(key).customers.create({ email: 'a@b.co' }));
    expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(e.raw).toMatchObject({ type: 'invalid_request_error', code: 'lock_timeout' });
    expect(e.raw.message).toMatch(/^This object cannot be accessed right now because another API request/);
    expect(e.headers['stripe-should-retry']).toBe('true');

    await arm(key, { resource: 'customers', operation: 'create', fault: { status: 429, code: 'lock_timeout' } });
    const customer = await t.h.stripe(key, { maxNetworkRetries: 1 }).customers.create({ email: 'a@b.co' });
    const attempts = await log(key, { path: '/v1/customers' });
    expect(attempts.slice(0, 2).map((r) => [r.status, r.idempotency_key])).toEqual([
      [200, attempts[1].idempotency_key],
      [429, attempts[1].idempotency_key],
    ]);
    expect((await t.h.stripe(key).customers.list()).data.map((c) => c.id)).toEqual([customer.id]);
  });

  it('500 api_error: not executed, no Stripe-Should-Retry (the SDK retries it); should_retry: false stops that', async () => {
    const key = freshKey();
    await arm(key, { resource: 'customers', operation: 'create', fault: { type: 'api_error' } });
    const e = await stripeError(t.h.stripe(key).customers.create({ email: 'a@b.co' }));
    expect(e).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(e.statusCode).toBe(500);
    expect(e.raw).toMatchObject({ type: 'api_error', message: 'An unknown error occurred' });
    expect(e.raw.request_log_url).toContain(e.requestId);
    expect(e.headers['stripe-should-retry']).toBeUndefined();
    expect((await t.h.stripe(key).customers.list()).data).toHaveLength(0);

    await arm(key, { resource: 'customers', operation: 'create', fault: { status: 500 } });
    const customer = await t.h.stripe(key, { maxNetworkRetries: 2 }).customers.create({ email: 'a@b.co' });
    expect(customer.lastResponse.headers['idempotent-replayed']).toBeUndefined(); // the 500 stored nothing
    const [ok, failed] = await log(key, { method: 'POST' });
    expect([ok.status, failed.status, ok.idempotency_key]).toEqual([200, 500, failed.idempotency_key]);

    await arm(key, { resource: 'customers', operation: 'create', times: 3, fault: { status: 500, should_retry: false } });
    const stopped = await stripeError(t.h.stripe(key, { maxNetworkRetries: 2 }).customers.create({ email: 'c@d.co' }));
    expect(stopped.headers['stripe-should-retry']).toBe('false');
    expect((await armed(key))[0].remaining).toBe(2);
    expect((await t.h.stripe(key).customers.list()).data).toHaveLength(1);
  });

  it('402 card_error: the decline envelope of the catalogue, Stripe-Should-Retry: false, nothing charged', async () => {
    const key = freshKey();
    const stripe = t.h.stripe(key);
    const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    await arm(key, { resource: 'payment_intents', operation: 'confirm', fault: { status: 402, decline_code: 'insufficient_funds' } });
    const e = await stripeError(stripe.paymentIntents.confirm(pi.id, CONFIRM));
    expect(e).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(e.raw).toMatchObject({
      type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.',
      advice_code: 'try_again_later', network_decline_code: '51', network_advice_code: '02',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    });
    expect(e.raw.charge).toBeUndefined();
    expect(e.headers['stripe-should-retry']).toBe('false');
    expect((await stripe.paymentIntents.retrieve(pi.id)).latest_charge).toBeNull();
    expect((await stripe.charges.list()).data).toHaveLength(0);

    await arm(key, { resource: 'payment_intents', operation: 'confirm', fault: { type: 'card_error' } });
    const generic = await stripeError(stripe.paymentIntents.confirm(pi.id, CONFIRM));
    expect(generic.raw).toMatchObject({ code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    await arm(key, { resource: 'payment_intents', operation: 'confirm', fault: { status: 402, code: 'expired_card' } });
    expect((await stripeError(stripe.paymentIntents.confirm(pi.id, CONFIRM))).raw).toMatchObject({ code: 'expired_card', param: 'exp_month' });
    expect((await stripe.paymentIntents.confirm(pi.id, CONFIRM)).status).toBe('succeeded');
  });

  it('timeout: holds the request without running it; the SDK gives up with its timeout error', async () => {
    const key = freshKey();
    await arm(key, { resource: 'customers', operation: 'create', fault: { type: 'timeout', delay_ms: 10_000 } });
    const started = Date.now();
    const e = await stripeError(t.h.stripe(key, { timeout: 200 }).customers.create({ email: 'a@b.co' }));
    expect(e).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(e.message).toBe('Request aborted due to timeout being reached (200ms)');
    expect(Date.now() - started).toBeLessThan(5000);
    const entry = await newest(key);
    expect(entry).toMatchObject({ status: null, fault: { type: 'timeout' } });
    expect(entry!.latency_ms).toBeGreaterThanOrEqual(150); // the hold ended when the client went away
    expect((await t.h.stripe(key).customers.list()).data).toHaveLength(0);
  });

  it('timeout shorter than the client\'s: the connection drops after the delay', async () => {
    const key = freshKey();
    await arm(key, { resource: 'customers', operation: 'retrieve', times: 2, fault: { type: 'timeout', delay_ms: 50 } });
    const customer = await t.h.stripe(key).customers.create({ email: 'a@b.co' });
    const e = await stripeError(t.h.stripe(key).customers.retrieve(customer.id));
    // stripe-node retries a closed connection once even with retries off; both attempts were held.
    expect(e).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect((await log(key, { method: 'GET' })).map((r) => [r.status, r.fault?.type, r.latency_ms >= 40])).toEqual([
      [null, 'timeout', true],
      [null, 'timeout', true],
    ]);
  });

  it.each(['drop', '500'] as const)('lost response (%s): the request takes effect; the SDK retry gets the original, replayed', async (lost) => {
    const key = freshKey();
    await arm(key, { resource: 'payment_intents', operation: 'create', fault: 'lost_response', mode: lost });
    const stripe = t.h.stripe(key, { maxNetworkRetries: 2 });
    const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', confirm: true, ...CONFIRM });
    expect(pi.status).toBe('succeeded');
    expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.charges.list({ payment_intent: pi.id })).data).toHaveLength(1);
    expect((await stripe.paymentIntents.list()).data).toHaveLength(1);
    const succeeded = (await stripe.events.list({ type: 'payment_intent.succeeded' })).data;
    expect(succeeded).toHaveLength(1);

    const attempts = await log(key, { method: 'POST' });
    expect(attempts.map((r) => ({ status: r.status, replayed: r.replayed, fault: r.fault }))).toEqual([
      { status: 200, replayed: true, fault: null },
      { status: lost === 'drop' ? null : 500, replayed: false, fault: { id: 'fault_1', type: 'lost_response', mode: lost } },
    ]);
    expect(attempts[0].idempotency_key).toBe(attempts[1].idempotency_key);
    expect(succeeded[0].request).toEqual({ id: attempts[1].id, idempotency_key: attempts[1].idempotency_key });
  });

  it('lost response with retries off: a drop is still retried once (stripe-node\'s closed-connection rule); a lost 500 is not', async () => {
    const key = freshKey();
    await arm(key, { resource: 'customers', operation: 'create', fault: 'lost_response' });
    const customer = await t.h.stripe(key).customers.create({ email: 'a@b.co' });
    expect(customer.lastResponse.headers['idempotent-replayed']).toBe('true');

    await arm(key, { resource: 'customers', operation: 'create', fault: { type: 'lost_response', mode: '500' } });
    const e = await stripeError(t.h.stripe(key).customers.create({ email: 'c@d.co' }, { idempotencyKey: 'order-7' }));
    expect(e).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(e.headers['stripe-should-retry']).toBeUndefined();
    // It took effect: the app's own retry with its key gets the original.
    const again = await t.h.stripe(key).customers.create({ email: 'c@d.co' }, { idempotencyKey: 'order-7' });
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await t.h.stripe(key).customers.list()).data).toHaveLength(2);
  });

  it('matches resource and operation, with *; the first armed fault that matches applies', async () => {
    const key = freshKey();
    const stripe = t.h.stripe(key);
    const customer = await stripe.customers.create({ email: 'a@b.co' });
    await arm(key, { resource: '*', operation: 'retrieve', fault: { status: 500 } });
    await arm(key, { resource: 'customers', times: 5, fault: { status: 429 } });
    await stripe.paymentIntents.list(); // list: neither matches
    expect((await stripeError(stripe.customers.retrieve(customer.id))).statusCode).toBe(500);
    expect((await stripeError(stripe.customers.retrieve(customer.id))).statusCode).toBe(429);
    expect((await stripeError(stripe.customers.update(customer.id, { name: 'X' }))).statusCode).toBe(429);
    expect((await armed(key)).map((f) => [f.id, f.remaining])).toEqual([['fault_2', 3]]);
  });

  it('clears faults: DELETE, POST …/clear, one by id; a reset forgets them', async () => {
    const key = freshKey();
    const c = t.h.control(key);
    const body: ArmFault = { resource: 'customers', operation: 'create', fault: { status: 500 } };
    await c.faults.arm(body);
    await c.faults.arm(body);
    expect(await c.faults.clear('fault_1')).toMatchObject({ cleared: 1, fault: { id: 'fault_1' } });
    const gone = await c.faults.clear('fault_1').catch((e) => e);
    expect(gone).toBeInstanceOf(TwinControlError);
    expect(gone).toMatchObject({ status: 404, message: 'No armed fault fault_1 in this world (it may have run out)' });
    expect(await c.faults.clear()).toEqual({ cleared: 1 });
    await c.faults.arm(body);
    expect(await c.call('POST', '/__admin__/faults/clear')).toEqual({ cleared: 1 });
    await c.faults.arm(body);
    expect(await c.reset()).toEqual({ reset: key });
    expect((await c.faults.list()).faults).toEqual([]);
    await t.h.stripe(key).customers.create({ email: 'a@b.co' });
  });

  it('faults are per world', async () => {
    const a = freshKey();
    const b = freshKey();
    await arm(a, { fault: { status: 500 }, times: 10 });
    await t.h.stripe(b).customers.create({ email: 'a@b.co' });
    expect((await armed(a))[0].remaining).toBe(10);
  });
});

describe('arming faults: bad input is a plain JSON control error', () => {
  const t = useHarness('in-process');

  it.each([
    [{ fault: { status: 418 } }, 'fault.status', /not armable: use 429 \(rate_limit_error\), 500 \(api_error\) or 402 \(card_error\)/],
    [{ fault: { status: 429, type: 'api_error' } }, 'fault', /status 429 goes with type "rate_limit_error"/],
    [{ fault: { type: 'boom' } }, 'fault.type', /fault.type must be one of/],
    [{ fault: {} }, 'fault', /needs a "status"/],
    [{}, 'fault', /"fault" must be an object/],
    [{ fault: 'lost_response', mode: 'sometimes' }, 'mode', /"drop" \(the connection closes\) or "500"/],
    [{ fault: { status: 429 }, mode: 'drop' }, 'mode', /lost_response fault only/],
    [{ fault: { status: 429, code: 'busy' } }, 'fault.code', /"rate_limit" or "lock_timeout"/],
    [{ fault: { status: 402, decline_code: 'nope' } }, 'fault.decline_code', /must be one of generic_decline, insufficient_funds/],
    [{ fault: { status: 500, message: 'hi' } }, 'fault.message', /not a field of a api_error fault/],
    [{ fault: { type: 'timeout', delay_ms: -1 } }, 'fault.delay_ms', /integer from 0 to 600000/],
    [{ fault: { status: 500 }, times: 0 }, 'times', /integer from 1 to 1000000/],
    [{ fault: { status: 500 }, times: 1.5 }, 'times', /integer from 1/],
    [{ fault: { status: 500 }, resource: 'Payment Intents' }, 'resource', /"resource" must be a name/],
    [{ fault: { status: 500 }, count: 2 }, 'count', /"count" is not a field of a fault/],
  ])('%j → 400 at %s', async (body, at, message) => {
    const res = await t.h.admin('POST', '/__admin__/faults', body, freshKey());
    expect(res.status).toBe(400);
    expect(res.json.error.at).toBe(at);
    expect(res.json.error.message).toMatch(message);
    expect(res.json.error.type).toBeUndefined();
  });

  it('needs a world, and a JSON or YAML object', async () => {
    expect((await t.h.admin('POST', '/__admin__/faults', { fault: { status: 500 } })).json.error.message).toMatch(/Name the world/);
    const yaml = await t.h.admin('POST', '/__admin__/faults', 'resource: customers\nfault:\n  status: 429\n', freshKey());
    expect(yaml.json.fault).toMatchObject({ type: 'rate_limit_error' });
    expect((await t.h.admin('POST', '/__admin__/faults', '[1, 2]', freshKey())).json.error.message).toBe('The body must be a JSON or YAML object');
  });
});

describe('operationOf: resource and operation of a route', () => {
  it.each([
    ['POST', '/v1/payment_intents', false, 'payment_intents', 'create'],
    ['GET', '/v1/payment_intents', true, 'payment_intents', 'list'],
    ['GET', '/v1/balance', false, 'balance', 'retrieve'],
    ['GET', '/v1/payment_intents/search', true, 'payment_intents', 'search'],
    ['GET', '/v1/payment_intents/{intent}', false, 'payment_intents', 'retrieve'],
    ['POST', '/v1/payment_intents/{intent}', false, 'payment_intents', 'update'],
    ['DELETE', '/v1/customers/{customer}', false, 'customers', 'delete'],
    ['POST', '/v1/payment_intents/{intent}/confirm', false, 'payment_intents', 'confirm'],
    ['POST', '/v1/charges/{charge}/refunds', false, 'charges', 'refunds'],
    ['GET', '/v1/charges/{charge}/refunds', true, 'charges', 'list_refunds'],
    ['GET', '/v1/charges/{charge}/refunds/{refund}', false, 'charges', 'retrieve_refunds'],
    ['GET', '/v1/customers/{customer}/payment_methods', true, 'customers', 'list_payment_methods'],
  ])('%s %s', (method, path, list, resource, operation) => {
    expect(operationOf(method, path, list)).toEqual({ resource, operation });
  });
});
