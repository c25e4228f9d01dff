import Stripe from 'stripe';
import { freshKey, MODES, stripeError, useHarness } from '../helpers';

// Shared Payment Tokens (src/resources/payments/shared_payment_tokens.ts,
// docs/agents.md §2.9): a buyer's issued token granted to a seller's profile (an
// account of the twin), the seller's test helper, redemption by PaymentIntent
// with its events on both sides, each refusal, revocation, expiry, and the
// idempotent replay mppx's seller relies on. GA stripe-node has no SPT methods,
// so the preview routes go through rawRequest with the preview Stripe-Version.

const PREVIEW = { apiVersion: '2026-07-29.preview' };
const HOUR = 3600;

describe.each(MODES)('Shared Payment Tokens (%s)', (mode) => {
  const t = useHarness(mode);

  const call = <T = any>(stripe: Stripe, method: string, path: string, params: Record<string, unknown> = {}, options: Record<string, unknown> = {}) =>
    stripe.rawRequest(method, path, params, { ...PREVIEW, ...options }) as unknown as Promise<T & { lastResponse: { headers: Record<string, string> } }>;

  /** A second account of the same twin (the seller), with its profile id from the control surface. */
  const seller = async () => {
    const key = freshKey('seller');
    const stripe = t.h.stripe(key);
    await stripe.customers.list({ limit: 1 }); // opens the account
    const { json } = await t.h.admin('GET', '/__admin__/profile', undefined, key);
    return { key, stripe, profile: json.network_business_profile as string, account: json.account as string };
  };

  const now = async (stripe: Stripe) => (await stripe.customers.create()).created;
  const eventsOf = async (stripe: Stripe, id: string) =>
    (await stripe.events.list({ limit: 100 })).data.filter((e) => (e.data.object as any).id === id).map((e) => e.type).reverse();

  const issue = async (stripe: Stripe, profile: string, limits: Record<string, unknown> = {}) =>
    call(stripe, 'POST', '/v1/shared_payment/issued_tokens', {
      payment_method: 'pm_card_visa',
      seller_details: { network_business_profile: profile },
      usage_limits: { currency: 'usd', max_amount: 1000, expires_at: (await now(stripe)) + HOUR, ...limits },
      shared_metadata: { order: 'o_1' },
    });

  it('gives each account a stable profile id, which can be chosen', async () => {
    const a = await seller();
    expect(a.profile).toMatch(/^profile_test_61[A-Za-z0-9]{42}$/);
    expect(a.profile.slice(15, 31)).toBe(a.account.slice(5));
    expect((await t.h.admin('GET', '/__admin__/profile', undefined, a.key)).json.network_business_profile).toBe(a.profile);
    const chosen = await t.h.admin('POST', '/__admin__/profile', { network_business_profile: 'profile_test_shop' }, a.key);
    expect(chosen).toMatchObject({ status: 200, json: { network_business_profile: 'profile_test_shop' } });
    expect((await t.h.admin('POST', '/__admin__/profile', { network_business_profile: 'shop' }, a.key)).status).toBe(400);
    // A chosen profile receives tokens; a seed can choose it too.
    const issued = await issue(t.stripe, 'profile_test_shop');
    expect((await call(a.stripe, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`)).id).toBe(issued.id);
    const b = await seller();
    expect((await t.h.admin('POST', '/__admin__/seed', { worlds: { [b.key]: { network_business_profile: 'profile_test_seeded' } } })).status).toBe(200);
    expect((await t.h.admin('GET', '/__admin__/profile', undefined, b.key)).json.network_business_profile).toBe('profile_test_seeded');
    expect((await t.h.admin('POST', '/__admin__/seed', { worlds: { [b.key]: { network_business_profile: 7 } } })).status).toBe(400);
  });

  it('issues a token to a seller profile: the buyer sees an issued token, the seller the granted token with the same id', async () => {
    const s = await seller();
    const buyer = t.stripe;
    const buyerProfile = (await t.h.admin('GET', '/__admin__/profile', undefined, t.key)).json.network_business_profile;
    const issued = await issue(buyer, s.profile);
    expect(issued.id).toMatch(/^spt_[A-Za-z0-9]{24}$/);
    expect(Object.keys(issued).filter((k) => k !== 'lastResponse')).toEqual([
      'id', 'object', 'created', 'deactivated_at', 'deactivated_reason', 'livemode', 'next_action', 'payment_method', 'return_url', 'risk_details',
      'seller_details', 'setup_future_usage', 'shared_metadata', 'status', 'usage_details', 'usage_limits',
    ]);
    expect(issued).toMatchObject({
      object: 'shared_payment.issued_token',
      status: 'active',
      deactivated_at: null,
      deactivated_reason: null,
      livemode: false,
      payment_method: expect.stringMatching(/^pm_/),
      seller_details: { external_id: null, network_business_profile: s.profile },
      shared_metadata: { order: 'o_1' },
      usage_details: { amount_captured: null },
      usage_limits: { currency: 'usd', max_amount: 1000, recurring_interval: null },
    });
    expect((await call(buyer, 'GET', `/v1/shared_payment/issued_tokens/${issued.id}`)).status).toBe('active');

    const granted = await call(s.stripe, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`);
    expect(Object.keys(granted).filter((k) => k !== 'lastResponse')).toEqual([
      'id', 'object', 'agent_details', 'created', 'deactivated_at', 'deactivated_reason', 'livemode', 'payment_method_details', 'risk_details',
      'shared_metadata', 'usage_details', 'usage_limits',
    ]);
    expect(granted).toMatchObject({
      id: issued.id,
      object: 'shared_payment.granted_token',
      agent_details: { network_business_profile: buyerProfile },
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', funding: 'credit' } },
      shared_metadata: { order: 'o_1' },
      usage_limits: issued.usage_limits,
    });
    // The buyer does not see the seller's object, nor a third account either.
    expect(await stripeError(call(buyer, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(await stripeError(call(t.h.stripe(), 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`))).toMatchObject({ statusCode: 404 });
  });

  it('redeems a granted token with a PaymentIntent: a clone of the card pays, both sides are consumed and announced', async () => {
    const s = await seller();
    const issued = await issue(t.stripe, s.profile);
    const pi = await s.stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      shared_payment_granted_token: issued.id,
    } as Stripe.PaymentIntentCreateParams, PREVIEW as Stripe.RequestOptions);
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 700, shared_payment_granted_token: issued.id });
    expect(pi.lastResponse.headers['stripe-version']).toBe('2026-07-29.preview');
    const pm = await s.stripe.paymentMethods.retrieve(pi.payment_method as string);
    expect(pm).toMatchObject({ type: 'card', card: { brand: 'visa', last4: '4242' }, shared_payment_granted_token: issued.id });
    expect(pm.id).not.toBe(issued.payment_method);

    const granted = await call(s.stripe, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`);
    expect(granted).toMatchObject({ deactivated_reason: 'consumed', deactivated_at: expect.any(Number), usage_details: { amount_captured: { currency: 'usd', value: 700 } } });
    expect(await eventsOf(s.stripe, issued.id)).toEqual(['shared_payment.granted_token.used']);
    const after = await call(t.stripe, 'GET', `/v1/shared_payment/issued_tokens/${issued.id}`);
    expect(after).toMatchObject({ status: 'deactivated', deactivated_reason: 'consumed', usage_details: { amount_captured: { currency: 'usd', value: 700 } } });
    expect(await eventsOf(t.stripe, issued.id)).toEqual(['shared_payment.issued_token.used']);

    // Single use: a second payment is refused.
    const again = await stripeError(
      s.stripe.paymentIntents.create({ amount: 100, currency: 'usd', confirm: true, payment_method_data: { shared_payment_granted_token: issued.id } } as any),
    );
    expect(again).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', code: 'token_already_used', param: 'payment_method_data[shared_payment_granted_token]' });
  });

  it("mints through the test helper (mppx's parameters included) and redeems as payment_method_data on confirm", async () => {
    const s = await seller();
    const minted = await call(s.stripe, 'POST', '/v1/test_helpers/shared_payment/granted_tokens', {
      payment_method: 'pm_card_mastercard',
      usage_limits: { currency: 'usd', max_amount: 500 },
      seller_details: { network_id: s.profile },
      metadata: { source: 'mppx' },
    });
    expect(minted).toMatchObject({ object: 'shared_payment.granted_token', agent_details: null, usage_limits: { expires_at: null, max_amount: 500 } });
    const pi = await s.stripe.paymentIntents.create({ amount: 500, currency: 'usd', allowed_payment_method_types: ['card'] });
    const confirmed = await s.stripe.paymentIntents.confirm(pi.id, { payment_method_data: { shared_payment_granted_token: minted.id } } as any);
    expect(confirmed).toMatchObject({ status: 'succeeded', shared_payment_granted_token: minted.id });
    expect(await eventsOf(s.stripe, minted.id)).toEqual(['shared_payment.granted_token.used']);

    // A buyer's key may mint for the seller by naming its profile (what mppx's CLI does).
    const forSeller = await call(t.stripe, 'POST', '/v1/test_helpers/shared_payment/granted_tokens', {
      payment_method: 'pm_card_visa',
      usage_limits: { currency: 'usd', max_amount: 500 },
      seller_details: { network_id: s.profile },
    });
    expect((await call(s.stripe, 'GET', `/v1/shared_payment/granted_tokens/${forSeller.id}`)).id).toBe(forSeller.id);
  });

  it('refuses what the token does not allow, each with its error, and changes nothing', async () => {
    const s = await seller();
    const issued = await issue(t.stripe, s.profile, { max_amount: 1000 });
    const pay = (params: Record<string, unknown>) =>
      stripeError(s.stripe.paymentIntents.create({ amount: 500, currency: 'usd', confirm: true, allowed_payment_method_types: ['card'], shared_payment_granted_token: issued.id, ...params } as any));

    expect(await pay({ amount: 1001 })).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    expect(await pay({ currency: 'eur' })).toMatchObject({ statusCode: 400, code: 'shared_payment_granted_token_currency_mismatch', param: 'currency' });
    expect(await pay({ shared_payment_granted_token: 'spt_1Nothing0000000000000000' })).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'shared_payment_granted_token' });
    expect(await pay({ payment_method: 'pm_card_visa' })).toMatchObject({ statusCode: 400, param: 'shared_payment_granted_token' });
    // Another seller (a third account) cannot redeem it: to that account it does not exist.
    const other = await stripeError(
      t.h.stripe().paymentIntents.create({ amount: 500, currency: 'usd', confirm: true, allowed_payment_method_types: ['card'], shared_payment_granted_token: issued.id } as any),
    );
    expect(other).toMatchObject({ statusCode: 400, code: 'resource_missing' });
    expect((await s.stripe.paymentIntents.list()).data).toEqual([]);
    expect((await call(s.stripe, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`)).deactivated_reason).toBeNull();

    // Expiry follows the world clock: the token deactivates at expires_at, with its events on both sides.
    await t.h.admin('POST', '/__admin__/clock/advance', { seconds: HOUR }, s.key);
    expect(await pay({})).toMatchObject({ statusCode: 400, code: 'shared_payment_granted_token_inactive' });
    expect((await call(s.stripe, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`)).deactivated_reason).toBe('expired');
    expect(await eventsOf(s.stripe, issued.id)).toEqual(['shared_payment.granted_token.deactivated']);
    await t.h.admin('POST', '/__admin__/clock/advance', { seconds: HOUR }, t.key);
    expect(await call(t.stripe, 'GET', `/v1/shared_payment/issued_tokens/${issued.id}`)).toMatchObject({ status: 'deactivated', deactivated_reason: 'expired' });
  });

  it('revokes from either side: the buyer revokes its issued token, the test helper revokes a granted one', async () => {
    const s = await seller();
    const issued = await issue(t.stripe, s.profile);
    const revoked = await call(t.stripe, 'POST', `/v1/shared_payment/issued_tokens/${issued.id}/revoke`);
    expect(revoked).toMatchObject({ status: 'deactivated', deactivated_reason: 'revoked', deactivated_at: expect.any(Number) });
    expect(await eventsOf(t.stripe, issued.id)).toEqual(['shared_payment.issued_token.deactivated']);
    expect(await call(s.stripe, 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`)).toMatchObject({ deactivated_reason: 'revoked' });
    expect(await eventsOf(s.stripe, issued.id)).toEqual(['shared_payment.granted_token.deactivated']);
    const refused = await stripeError(
      s.stripe.paymentIntents.create({ amount: 500, currency: 'usd', confirm: true, allowed_payment_method_types: ['card'], shared_payment_granted_token: issued.id } as any),
    );
    expect(refused).toMatchObject({ statusCode: 400, code: 'shared_payment_granted_token_inactive', message: expect.stringContaining('revoked') });

    const second = await issue(t.stripe, s.profile);
    const viaHelper = await call(s.stripe, 'POST', `/v1/test_helpers/shared_payment/granted_tokens/${second.id}/revoke`);
    expect(viaHelper).toMatchObject({ deactivated_reason: 'revoked' });
    expect(await call(t.stripe, 'GET', `/v1/shared_payment/issued_tokens/${second.id}`)).toMatchObject({ status: 'deactivated', deactivated_reason: 'revoked' });
  });

  it('checks what an issued token is created with', async () => {
    const s = await seller();
    const own = (await t.h.admin('GET', '/__admin__/profile', undefined, t.key)).json.network_business_profile;
    const base = { payment_method: 'pm_card_visa', usage_limits: { currency: 'usd', max_amount: 1000 } };
    const create = (params: Record<string, unknown>) => stripeError(call(t.stripe, 'POST', '/v1/shared_payment/issued_tokens', params));
    expect(await create({ ...base })).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'seller_details' });
    expect(await create({ ...base, seller_details: { network_business_profile: own } })).toMatchObject({ statusCode: 400, param: 'seller_details[network_business_profile]' });
    expect(await create({ ...base, seller_details: { network_business_profile: s.profile }, usage_limits: { currency: 'usd' } })).toMatchObject({ code: 'parameter_missing', param: 'usage_limits[max_amount]' });
    expect(await create({ ...base, seller_details: { network_business_profile: s.profile }, usage_limits: { currency: 'usd', max_amount: 0 } })).toMatchObject({ param: 'usage_limits[max_amount]' });
    expect(await create({ ...base, seller_details: { network_business_profile: s.profile }, payment_method: 'pm_nothing' })).toMatchObject({ code: 'resource_missing', param: 'payment_method' });
    // Stripe's docs test profile is no account of the twin: the token is issued and granted to no one.
    const docs = await call(t.stripe, 'POST', '/v1/shared_payment/issued_tokens', { ...base, seller_details: { network_business_profile: 'profile_test_61TU90nIeGjU7NNVXA6TU90m7ISQWsBxpcx9lASWWXTk' } });
    expect(docs).toMatchObject({ status: 'active' });
  });

  it("replays mppx's PaymentIntent create under its Idempotency-Key with Idempotent-Replayed: true", async () => {
    const s = await seller();
    const issued = await issue(t.stripe, s.profile);
    // The request mppx 0.11's seller makes (docs/agents.md §2.7).
    const params = {
      amount: 50,
      currency: 'usd',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { machine_payment: 'true', mpp_sdk: 'mppx/0.11.0', mpp_intent: 'charge', mpp_challenge_id: 'ch_1' },
      shared_payment_granted_token: issued.id,
    };
    const options = { ...PREVIEW, idempotencyKey: `mpp_ch_1_${issued.id}` };
    const first = await s.stripe.paymentIntents.create(params as any, options);
    expect(first.status).toBe('succeeded');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    const replay = await s.stripe.paymentIntents.create(params as any, options);
    expect(replay.id).toBe(first.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await s.stripe.paymentIntents.list()).data).toHaveLength(1);
  });

  it("needs the shared PaymentMethod's permission from a restricted key (twin choice)", async () => {
    const s = await seller();
    const { key } = await t.h.control(t.key).keys.create({ kind: 'restricted', permissions: ['rak_payment_intent_write'] });
    const denied = await stripeError(
      call(t.h.stripe(key), 'POST', '/v1/shared_payment/issued_tokens', {
        payment_method: 'pm_card_visa',
        seller_details: { network_business_profile: s.profile },
        usage_limits: { currency: 'usd', max_amount: 100 },
      }),
    );
    expect(denied).toMatchObject({ statusCode: 403, message: expect.stringContaining("'rak_payment_method_write'") });
    const { key: reader } = await t.h.control(s.key).keys.create({ kind: 'restricted', permissions: ['rak_payment_method_read'] });
    const issued = await issue(t.stripe, s.profile);
    expect((await call(t.h.stripe(reader), 'GET', `/v1/shared_payment/granted_tokens/${issued.id}`)).id).toBe(issued.id);
  });

  it('accepts the preview API versions and refuses an unknown one', async () => {
    for (const version of ['2026-03-04.preview', '2026-05-27.preview', '2026-07-29.preview']) {
      const res = await t.stripe.customers.list({ limit: 1 }, { apiVersion: version } as Stripe.RequestOptions);
      expect(res.lastResponse.headers['stripe-version']).toBe(version);
    }
    expect(await stripeError(t.stripe.customers.list({ limit: 1 }, { apiVersion: '2026-07-30.preview' } as Stripe.RequestOptions))).toMatchObject({ statusCode: 400 });
  });
});
