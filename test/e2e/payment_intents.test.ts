import Stripe from 'stripe';
import { keyOf, MODES, stripeError, useHarness } from '../helpers';

// PaymentIntents through the official SDK (docs/stripe-facts.md §3), over HTTP and in-process.

const CARD_ONLY = { allowed_payment_method_types: ['card'] };

describe.each(MODES)('PaymentIntents (%s)', (mode) => {
  const t = useHarness(mode);

  const typesOf = async (id: string) =>
    (await t.stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as any).id === id || (e.data.object as any).payment_intent === id)
      .map((e) => e.type)
      .reverse();

  it('creates with Stripe defaults: automatic_async, automatic payment methods, card options', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    expect(pi).toMatchObject({
      object: 'payment_intent',
      status: 'requires_payment_method',
      capture_method: 'automatic_async',
      confirmation_method: 'automatic',
      automatic_payment_methods: { allow_redirects: 'always', enabled: true },
      allowed_payment_method_types: null,
      payment_method_types: ['card'],
      payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
      amount_details: { tip: {} },
      amount_received: 0,
      amount_capturable: 0,
      livemode: false,
      metadata: {},
      latest_charge: null,
    });
    expect(pi.id).toMatch(/^pi_3[A-Za-z0-9]{23}$/);
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_[A-Za-z0-9]{25}$`));
    expect((pi.payment_method_configuration_details as any).id).toMatch(/^pmc_/);
    const explicit = await t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...CARD_ONLY });
    expect(explicit).toMatchObject({ allowed_payment_method_types: ['card'], payment_method_types: ['card'], automatic_payment_methods: null, payment_method_configuration_details: null });
    // payment_method_types, the parameter before 2026-09-30.endive, is accepted at older versions and refused at endive.
    const legacyParams = { amount: 2000, currency: 'usd', payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams;
    const legacy = await t.stripe.paymentIntents.create(legacyParams, { apiVersion: '2026-08-26.dahlia' });
    expect(legacy).toMatchObject({ allowed_payment_method_types: null, payment_method_types: ['card'], automatic_payment_methods: null });
    expect(await stripeError(t.stripe.paymentIntents.create(legacyParams))).toMatchObject({ statusCode: 400, code: 'payment_method_types_no_longer_supported' });
    const both = await stripeError(t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...CARD_ONLY, automatic_payment_methods: { enabled: true } }));
    expect(both).toMatchObject({ statusCode: 400, message: 'You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.' });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created']);
  });

  it('succeeds with automatic_async: balance transaction null at first, then charge.updated fills it', async () => {
    const pi = await t.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://example.com/return',
      expand: ['latest_charge'],
    });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 2000, amount_capturable: 0, last_payment_error: null });
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount_captured: 2000, balance_transaction: null, payment_intent: pi.id });
    expect(charge.outcome).toMatchObject({ type: 'authorized', network_status: 'approved_by_network', seller_message: 'Payment complete.', risk_level: 'normal' });
    expect(charge.id.slice(3, 9)).toBe(pi.id.slice(3, 9));
    expect(pi.payment_method).toMatch(/^pm_1/);
    const later = await t.stripe.charges.retrieve(charge.id, { expand: ['balance_transaction'] });
    const bt = later.balance_transaction as Stripe.BalanceTransaction;
    expect(bt).toMatchObject({ amount: 2000, fee: 88, net: 1912, type: 'charge', reporting_category: 'charge', status: 'pending', source: charge.id });
    expect(bt.available_on % 86400).toBe(0);
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'charge.updated']);
    const updated = (await t.stripe.events.list({ type: 'charge.updated' })).data[0];
    expect(updated.data.previous_attributes).toEqual({ balance_transaction: null });
  });

  it('sets the balance transaction synchronously with capture_method automatic', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, capture_method: 'automatic', ...CARD_ONLY, expand: ['latest_charge'] });
    expect((pi.latest_charge as Stripe.Charge).balance_transaction).toMatch(/^txn_3/);
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
  });

  it('goes through requires_confirmation, and updating the payment method needs a new confirmation', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1500, currency: 'eur', payment_method: 'pm_card_mastercard', ...CARD_ONLY });
    expect(pi.status).toBe('requires_confirmation');
    const updated = await t.stripe.paymentIntents.update(pi.id, { amount: 1600, metadata: { order: '1' }, payment_method: 'pm_card_visa' });
    expect(updated).toMatchObject({ status: 'requires_confirmation', amount: 1600, metadata: { order: '1' } });
    const confirmed = await t.stripe.paymentIntents.confirm(pi.id);
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1600, currency: 'eur' });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'charge.updated']);
    const locked = await stripeError(t.stripe.paymentIntents.update(pi.id, { amount: 5 }));
    expect(locked.code).toBe('payment_intent_unexpected_state');
    expect(locked.message).toBe(
      "This PaymentIntent's amount could not be updated because it has a status of succeeded. You may only update the amount of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.",
    );
    expect((await t.stripe.paymentIntents.update(pi.id, { metadata: { after: 'yes' } })).metadata).toEqual({ order: '1', after: 'yes' });
  });

  it('authorizes with manual capture, captures part, releases the rest', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, capture_method: 'manual', ...CARD_ONLY, expand: ['latest_charge'] });
    expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 1000, amount_received: 0 });
    expect(pi.latest_charge).toMatchObject({ captured: false, amount_captured: 0, balance_transaction: null, status: 'succeeded' });
    expect((pi.latest_charge as any).payment_method_details.card.capture_before).toBe((pi.latest_charge as any).created + 7 * 86400);
    const over = await stripeError(t.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1001 }));
    expect(over).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount_to_capture' });
    const captured = await t.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 600, expand: ['latest_charge.balance_transaction'] });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 600, amount_capturable: 0 });
    expect(captured.latest_charge).toMatchObject({ captured: true, amount_captured: 600, amount_refunded: 400, refunded: false, balance_transaction: { amount: 600, fee: 47 } });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.amount_capturable_updated', 'charge.captured', 'payment_intent.succeeded']);
    const again = await stripeError(t.stripe.paymentIntents.capture(pi.id));
    expect(again.message).toBe('This PaymentIntent could not be captured because it has already been captured.');
  });

  it('cancels, releasing an authorization as a refund, and refuses to cancel twice (E17)', async () => {
    const open = await t.stripe.paymentIntents.create({ amount: 700, currency: 'usd' });
    const canceled = await t.stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer', latest_charge: null });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    const e = await stripeError(t.stripe.paymentIntents.cancel(open.id));
    expect(e).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    expect(e.message).toBe(
      'You cannot cancel this PaymentIntent because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.',
    );
    expect(e.raw.payment_intent.id).toBe(open.id);

    const held = await t.stripe.paymentIntents.create({ amount: 900, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, capture_method: 'manual', ...CARD_ONLY });
    await t.stripe.paymentIntents.cancel(held.id);
    const charge = await t.stripe.charges.retrieve(held.latest_charge as string, { expand: ['refunds'] });
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 900, captured: false });
    expect(charge.refunds!.data).toHaveLength(1);
    expect(await typesOf(held.id)).toEqual(expect.arrayContaining(['charge.refunded', 'payment_intent.canceled']));
  });

  it('refuses to capture outside requires_capture (E18) and to confirm a succeeded intent (T11)', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    const e = await stripeError(t.stripe.paymentIntents.capture(pi.id));
    expect(e.message).toBe(
      'This PaymentIntent could not be captured because it has a status of requires_payment_method. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.',
    );
    const done = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, ...CARD_ONLY });
    const again = await stripeError(t.stripe.paymentIntents.confirm(done.id));
    expect(again).toMatchObject({ code: 'payment_intent_unexpected_state', message: 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.' });
  });

  it('needs a payment method to confirm (E19) and a return_url with redirect-capable automatic payment methods (E20)', async () => {
    const bare = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd', ...CARD_ONLY });
    const e19 = await stripeError(t.stripe.paymentIntents.confirm(bare.id));
    expect(e19.message).toMatch(/^You cannot confirm this PaymentIntent because it's missing a payment method/);
    const auto = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa' });
    const e20 = await stripeError(t.stripe.paymentIntents.confirm(auto.id));
    expect(e20.statusCode).toBe(400);
    expect(e20.message).toMatch(/^This PaymentIntent is configured to accept payment methods enabled in your Dashboard/);
    expect(e20.raw.payment_intent.id).toBe(auto.id);
    expect((await t.stripe.paymentIntents.retrieve(auto.id)).status).toBe('requires_confirmation');
    const never = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, confirm: true });
    expect(never.status).toBe('succeeded');
    const offSession = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, off_session: true });
    expect(offSession.status).toBe('succeeded');
  });

  it('declines with a 402 carrying the charge, payment method and intent, and persists the failure', async () => {
    const customer = await t.stripe.customers.create();
    const e = await stripeError(
      t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', customer: customer.id, setup_future_usage: 'off_session', payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds', confirm: true, ...CARD_ONLY }),
    );
    expect(e).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(e.statusCode).toBe(402);
    const { headers: _h, statusCode: _s, requestId: _r, ...body } = e.raw;
    expect(Object.keys(body).sort()).toEqual(
      ['advice_code', 'charge', 'code', 'decline_code', 'doc_url', 'message', 'network_advice_code', 'network_decline_code', 'payment_intent', 'payment_method', 'request_log_url', 'type'].sort(),
    );
    expect(e.raw).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
      advice_code: 'try_again_later',
      network_decline_code: '51',
      network_advice_code: '02',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    });
    expect(e.headers['stripe-should-retry']).toBe('false');
    const pi = e.raw.payment_intent;
    expect(pi).toMatchObject({ status: 'requires_payment_method', payment_method: null, latest_charge: e.raw.charge, amount_received: 0, customer: customer.id, setup_future_usage: 'off_session' });
    expect(pi.last_payment_error).toMatchObject({ charge: e.raw.charge, code: 'card_declined', decline_code: 'insufficient_funds', type: 'card_error' });
    expect(pi.last_payment_error.request_log_url).toBeUndefined();
    expect(pi.last_payment_error.payment_intent).toBeUndefined();
    expect(e.raw.payment_method.customer).toBeNull();
    expect(await t.stripe.paymentIntents.retrieve(pi.id)).toEqual(pi);
    const charge = await t.stripe.charges.retrieve(e.raw.charge);
    expect(charge).toMatchObject({ status: 'failed', paid: false, captured: false, failure_code: 'card_declined', failure_message: 'Your card has insufficient funds.', balance_transaction: null });
    expect(charge.outcome).toMatchObject({ network_status: 'declined_by_network', reason: 'insufficient_funds', type: 'issuer_declined' });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.failed', 'payment_intent.payment_failed']);
    // The intent can be confirmed again with another card.
    const retried = await t.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
    expect(retried.latest_charge).not.toBe(e.raw.charge);
  });

  it('requires 3D Secure on-session, and the control surface completes or fails the challenge', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 2900, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true, ...CARD_ONLY });
    expect(pi.status).toBe('requires_action');
    expect(pi.latest_charge).toBeNull();
    expect(pi.next_action).toMatchObject({ type: 'use_stripe_sdk', use_stripe_sdk: { type: 'stripe_3ds2_fingerprint', directory_server_name: 'visa' } });
    const redirected = await t.stripe.paymentIntents.create({ amount: 2900, currency: 'usd', payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: 'https://shop.example/back' });
    expect(redirected.next_action).toMatchObject({ type: 'redirect_to_url', redirect_to_url: { return_url: 'https://shop.example/back' } });
    expect((redirected.next_action as any).redirect_to_url.url).toMatch(/^https:\/\/hooks\.stripe\.com\/3d_secure_2\/hosted\?merchant=acct_.*&payment_intent=pi_.*&source=payatt_3/);

    const passed = await authenticate(pi.id, 'succeed');
    expect(passed).toMatchObject({ status: 'succeeded', amount_received: 2900 });
    const charge = await t.stripe.charges.retrieve(passed.latest_charge);
    expect(charge.payment_method_details!.card!.three_d_secure).toMatchObject({ result: 'authenticated', version: '2.2.0' });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'payment_intent.requires_action', 'charge.succeeded', 'payment_intent.succeeded', 'charge.updated']);

    const failed = await authenticate(redirected.id, 'fail');
    expect(failed).toMatchObject({ status: 'requires_payment_method', latest_charge: null, last_payment_error: { code: 'payment_intent_authentication_failure' } });
    expect(await typesOf(redirected.id)).toEqual(['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.payment_failed']);
  });

  it('declines off-session payments that need authentication, and honours error_on_requires_action (E42)', async () => {
    const off = await stripeError(t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true, off_session: true, ...CARD_ONLY }));
    expect(off.raw).toMatchObject({ code: 'authentication_required', decline_code: 'authentication_required', payment_intent: { status: 'requires_payment_method' } });
    const e42 = await stripeError(t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_threeDSecure2Required', confirm: true, error_on_requires_action: true, ...CARD_ONLY }));
    expect(e42.raw).toMatchObject({ type: 'card_error', code: 'authentication_required', decline_code: 'authentication_not_handled', doc_url: 'https://stripe.com/docs/error-codes/authentication-required' });
    expect(e42.raw.charge).toBeUndefined();
    expect(e42.raw.advice_code).toBeUndefined();
    const failedCharge = await t.stripe.charges.retrieve(e42.raw.payment_intent.latest_charge);
    expect(failedCharge).toMatchObject({ failure_code: 'authentication_required', failure_message: 'Your card was declined. This transaction requires authentication.' });
    expect(failedCharge.outcome!.seller_message).toBe('The bank returned the decline code `authentication_required`.');
  });

  it('lists newest first with customer and created filters, and expands data.*', async () => {
    const c = await t.stripe.customers.create();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await t.stripe.paymentIntents.create({ amount: 100 + i * 100, currency: 'usd', customer: c.id })).id);
    await t.stripe.paymentIntents.create({ amount: 999, currency: 'usd' });
    const list = await t.stripe.paymentIntents.list({ customer: c.id, expand: ['data.customer'] });
    expect(list.data.map((p) => p.id)).toEqual([...ids].reverse());
    expect((list.data[0].customer as Stripe.Customer).id).toBe(c.id);
    expect(list.url).toBe('/v1/payment_intents');
    const page = await t.stripe.paymentIntents.list({ limit: 2 });
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const p of t.stripe.paymentIntents.list({ limit: 1 })) all.push(p.id);
    expect(all).toHaveLength(4);
    const bad = await stripeError(t.stripe.paymentIntents.list({ expand: ['customer'] }));
    expect(bad.message).toBe("This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead.");
  });

  it('validates create parameters with Stripe errors', async () => {
    expect(await stripeError(t.stripe.paymentIntents.create({ amount: 0, currency: 'usd' }))).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    expect(await stripeError(t.stripe.paymentIntents.create({ amount: 10, currency: 'usd' }))).toMatchObject({ code: 'amount_too_small', message: 'Amount must be at least $0.50 usd' });
    expect(await stripeError(t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', customer: 'cus_nobody' }))).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'customer',
      message: "No such customer: 'cus_nobody'",
    });
    expect(await stripeError(t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_doesNotExist' }))).toMatchObject({
      code: 'resource_missing',
      param: 'payment_method',
      message: "No such PaymentMethod: 'pm_card_doesNotExist'",
    });
    expect(await stripeError(t.stripe.paymentIntents.retrieve('pi_123'))).toMatchObject({ statusCode: 404, message: "No such payment_intent: 'pi_123'", param: 'id' });
    expect(await stripeError(t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', capture_method: 'later' as any }))).toMatchObject({
      statusCode: 400,
      param: 'capture_method',
    });
  });

  const authenticate = async (id: string, outcome: 'succeed' | 'fail') =>
    (await t.h.admin('POST', `/__admin__/intents/${id}/authenticate`, { outcome }, keyOf(t.stripe))).json;
});

describe('PaymentIntent shape', () => {
  const t = useHarness('in-process');

  it('has the keys recorded in August 2026 (docs/stripe-facts.md §21) plus payment_record from stripe-node 23.1’s types, in Stripe’s order', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    expect(Object.keys(pi)).toEqual([
      'id', 'object', 'allowed_payment_method_types', 'amount', 'amount_capturable', 'amount_details', 'amount_received', 'application',
      'application_fee_amount', 'automatic_payment_methods', 'canceled_at', 'cancellation_reason', 'capture_method', 'client_secret',
      'confirmation_method', 'created', 'currency', 'customer', 'customer_account', 'description', 'excluded_payment_method_types',
      'last_payment_error', 'latest_charge', 'livemode', 'managed_payments', 'metadata', 'next_action', 'on_behalf_of', 'payment_method',
      'payment_method_configuration_details', 'payment_method_options', 'payment_method_types', 'payment_record', 'processing',
      'receipt_email', 'review', 'setup_future_usage', 'shared_payment_granted_token', 'shipping', 'source', 'statement_descriptor',
      'statement_descriptor_suffix', 'status', 'transfer_data', 'transfer_group',
    ]);
    const many = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', allowed_payment_method_types: ['card', 'us_bank_account', 'link'] });
    expect(many.payment_method_options).toEqual({
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
      link: { persistent_token: null },
      us_bank_account: { financial_connections: { permissions: ['payment_method'], prefetch: [] }, mandate_options: {}, transaction_purpose: 'unspecified', verification_method: 'automatic' },
    });
    const pm = await t.stripe.paymentMethods.retrieve('pm_card_visa');
    expect(Object.keys(pm)).toEqual(['id', 'object', 'allow_redisplay', 'billing_details', 'card', 'created', 'customer', 'customer_account', 'livemode', 'metadata', 'shared_payment_granted_token', 'type']);
    expect(Object.keys(pm.card!)).toEqual(['brand', 'checks', 'country', 'display_brand', 'exp_month', 'exp_year', 'fingerprint', 'funding', 'generated_from', 'last4', 'networks', 'regulated_status', 'three_d_secure_usage', 'wallet']);
  });
});
