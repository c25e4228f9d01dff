import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// SetupIntents (docs/stripe-facts.md §11) and the events API (§18).

describe.each(MODES)('setup intents and events (%s)', (mode) => {
  const t = useHarness(mode);
  const authenticate = async (id: string, outcome: string) =>
    t.h.admin('POST', `/__admin__/intents/${id}/authenticate`, { outcome }, t.key);

  it('sets up a card for a customer: attached, succeeded, with events', async () => {
    const c = await t.stripe.customers.create();
    const si = await t.stripe.setupIntents.create({ customer: c.id, payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    expect(si).toMatchObject({ object: 'setup_intent', status: 'succeeded', usage: 'off_session', customer: c.id, last_setup_error: null });
    expect(si.id).toMatch(/^seti_1/);
    expect(si.client_secret).toMatch(new RegExp(`^${si.id}_secret_[A-Za-z0-9]{31}$`));
    expect(si.latest_attempt).toMatch(/^setatt_/);
    expect((await t.stripe.paymentMethods.retrieve(si.payment_method as string)).customer).toBe(c.id);
    const types = (await t.stripe.events.list()).data.map((e) => e.type).reverse();
    expect(types).toEqual(['customer.created', 'setup_intent.created', 'payment_method.attached', 'setup_intent.succeeded']);
    expect((await t.stripe.setupIntents.list({ customer: c.id })).data.map((s) => s.id)).toEqual([si.id]);
  });

  it('needs a return_url with automatic payment methods and fails declines with a 402 carrying the setup intent', async () => {
    const auto = await t.stripe.setupIntents.create({ payment_method: 'pm_card_visa' });
    expect(auto.automatic_payment_methods).toEqual({ allow_redirects: 'always', enabled: true });
    expect((await stripeError(t.stripe.setupIntents.confirm(auto.id))).statusCode).toBe(400);
    const e = await stripeError(t.stripe.setupIntents.create({ payment_method: 'pm_card_chargeDeclined', confirm: true, allowed_payment_method_types: ['card'] }));
    expect(e.statusCode).toBe(402);
    expect(e.raw).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', setup_intent: { status: 'requires_payment_method' } });
    expect(e.raw.setup_intent.last_setup_error).toMatchObject({ code: 'card_declined', decline_code: 'generic_decline' });
    expect((await t.stripe.events.list({ type: 'setup_intent.setup_failed' })).data).toHaveLength(1);
  });

  it('asks for 3D Secure, after which an off-session payment with …3155 needs no authentication', async () => {
    const c = await t.stripe.customers.create();
    const si = await t.stripe.setupIntents.create({ customer: c.id, payment_method: 'pm_card_authenticationRequiredOnSetup', confirm: true, allowed_payment_method_types: ['card'] });
    expect(si.status).toBe('requires_action');
    expect(si.next_action!.type).toBe('use_stripe_sdk');
    const pmId = si.payment_method as string;
    const onSession = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: c.id, payment_method: 'pm_card_authenticationRequiredOnSetup', confirm: true, allowed_payment_method_types: ['card'] });
    expect(onSession.status).toBe('requires_action');
    const done = await authenticate(si.id, 'succeed');
    expect(done.json).toMatchObject({ status: 'succeeded' });
    const offSession = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: c.id, payment_method: pmId, confirm: true, off_session: true, allowed_payment_method_types: ['card'] });
    expect(offSession.status).toBe('succeeded');
    const failing = await t.stripe.setupIntents.create({ payment_method: 'pm_card_authenticationRequired', confirm: true, allowed_payment_method_types: ['card'] });
    expect((await authenticate(failing.id, 'fail')).json).toMatchObject({ status: 'requires_payment_method', last_setup_error: { code: 'setup_intent_authentication_failure' } });
    expect((await authenticate(failing.id, 'fail')).status).toBe(409);
  });

  it('cancels, and refuses to cancel a succeeded setup', async () => {
    const si = await t.stripe.setupIntents.create({ allowed_payment_method_types: ['card'] });
    expect(await t.stripe.setupIntents.cancel(si.id, { cancellation_reason: 'abandoned' })).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    const done = await t.stripe.setupIntents.create({ payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    expect(await stripeError(t.stripe.setupIntents.cancel(done.id))).toMatchObject({ statusCode: 400, code: 'setup_intent_unexpected_state' });
  });

  it('records full snapshots with the request, key and version that caused them', async () => {
    const customer = await t.stripe.customers.create({ name: 'A' }, { idempotencyKey: 'create-a' });
    const [event] = (await t.stripe.events.list({ limit: 1 })).data;
    expect(Object.keys(event)).toEqual(['id', 'object', 'api_version', 'created', 'data', 'livemode', 'pending_webhooks', 'request', 'type']);
    expect(event).toMatchObject({
      type: 'customer.created',
      api_version: '2026-10-28.endive',
      livemode: false,
      pending_webhooks: 0,
      request: { id: customer.lastResponse.requestId, idempotency_key: 'create-a' },
      data: { object: { id: customer.id, name: 'A' } },
    });
    expect(await t.stripe.events.retrieve(event.id)).toEqual(event);
    await t.stripe.customers.update(customer.id, { name: 'B' });
    const [first] = (await t.stripe.events.list({ type: 'customer.created' })).data;
    expect((first.data.object as Stripe.Customer).name).toBe('A');
    expect(await stripeError(t.stripe.events.retrieve('evt_nope'))).toMatchObject({ statusCode: 404, message: "No such event: 'evt_nope'" });
    // A request pinned to another version is answered with it; its events carry the account's version (docs/stripe-facts.md §1.3).
    const old = await t.stripe.customers.create({ name: 'C' }, { apiVersion: '2025-03-31.basil' });
    expect(old.lastResponse.apiVersion).toBe('2025-03-31.basil');
    expect((await t.stripe.events.list({ limit: 1 })).data[0].api_version).toBe('2026-10-28.endive');
  });

  it('filters events by type, wildcard, types[] and created', async () => {
    await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    await t.stripe.customers.create();
    const charges = await t.stripe.events.list({ type: 'charge.*' });
    expect(charges.data.map((e) => e.type).sort()).toEqual(['charge.succeeded', 'charge.updated']);
    const some = await t.stripe.events.list({ types: ['customer.created', 'payment_intent.created'] });
    expect(some.data.map((e) => e.type)).toEqual(['customer.created', 'payment_intent.created']);
    const all = await t.stripe.events.list({ created: { gte: 0 } });
    expect(all.data.map((e) => e.type)).toEqual(['customer.created', 'charge.updated', 'payment_intent.succeeded', 'charge.succeeded', 'payment_intent.created']);
    expect((await t.stripe.events.list({ created: { lt: 0 } })).data).toHaveLength(0);
  });
});
