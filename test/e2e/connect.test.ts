import Stripe from 'stripe';
import { keyOf, MODES, raw, stripeError, useHarness } from '../helpers';
import { Receiver } from '../webhook_receiver';

// Connect (docs/connect.md) through the official SDK: a platform with an
// Express and a Custom account, Stripe-Account scoping, destination charges
// with an application fee, transfers and reversals, payouts and top-ups on the
// clock, idempotency per account, and connect=true webhook endpoints.

/** The test values that onboard a Custom account (docs/connect.md §1.2). */
const KYC: Stripe.AccountCreateParams = {
  business_type: 'individual',
  business_profile: { url: 'https://accessible.stripe.com', mcc: '5734' },
  individual: { first_name: 'Jenny', last_name: 'Rosen', dob: { day: 1, month: 1, year: 1901 }, address: { line1: 'address_full_match', city: 'SF', postal_code: '94107', state: 'CA' } },
  tos_acceptance: { date: 1767225600, ip: '127.0.0.1' },
};

describe.each(MODES)('Connect (%s)', (mode) => {
  const t = useHarness(mode);
  const advance = (seconds: number) => t.h.admin('POST', '/__admin__/clock/advance', { seconds }, keyOf(t.stripe));
  const available = async (stripeAccount?: string) => {
    const b = await t.stripe.balance.retrieve({}, stripeAccount ? { stripeAccount } : {});
    return { available: b.available.find((a) => a.currency === 'usd')!.amount, pending: b.pending.find((a) => a.currency === 'usd')!.amount };
  };
  const custom = (extra: Partial<Stripe.AccountCreateParams> = {}) =>
    t.stripe.accounts.create({ type: 'custom', country: 'US', capabilities: { card_payments: { requested: true }, transfers: { requested: true } }, ...KYC, ...extra });
  /** Funds the platform's available balance as the CLI's transfer triggers do (4000000000000077). */
  const fund = (amount: number) =>
    t.stripe.paymentIntents.create({ amount, currency: 'usd', payment_method: 'pm_card_bypassPending', confirm: true, allowed_payment_method_types: ['card'] });

  it('creates Express and Custom accounts with their controller properties and onboarding state', async () => {
    const express = await t.stripe.accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } });
    expect(express).toMatchObject({
      object: 'account', type: 'express', charges_enabled: false, payouts_enabled: false, details_submitted: false,
      capabilities: { transfers: 'inactive' },
      controller: { type: 'application', is_controller: true, fees: { payer: 'application_express' }, losses: { payments: 'application' }, requirement_collection: 'stripe', stripe_dashboard: { type: 'express' } },
      login_links: { object: 'list', total_count: 0, url: `/v1/accounts/${express.id}/login_links` },
    });
    expect(express.id).toMatch(/^acct_1[A-Za-z0-9]{15}$/);
    expect(express.requirements!.currently_due).toEqual(expect.arrayContaining(['business_profile.url', 'external_account', 'tos_acceptance.date']));

    const acct = await custom();
    expect(acct).toMatchObject({ type: 'custom', controller: { fees: { payer: 'application_custom' }, stripe_dashboard: { type: 'none' } }, capabilities: { card_payments: 'active', transfers: 'active' }, charges_enabled: true, payouts_enabled: false });
    expect(acct.requirements).toMatchObject({ currently_due: ['external_account'], disabled_reason: 'requirements.past_due' });
    const bank = await t.stripe.accounts.createExternalAccount(acct.id, { external_account: 'btok_us_verified' });
    expect(bank).toMatchObject({ object: 'bank_account', account: acct.id, bank_name: 'STRIPE TEST BANK', last4: '6789', routing_number: '110000000', default_for_currency: true, status: 'new' });
    const after = await t.stripe.accounts.retrieve(acct.id);
    expect(after).toMatchObject({ payouts_enabled: true, requirements: { currently_due: [], disabled_reason: null }, external_accounts: { total_count: 1 } });
    expect((await t.stripe.accounts.listCapabilities(acct.id)).data.map((c) => [c.id, c.status])).toEqual([['card_payments', 'active'], ['transfers', 'active']]);

    const standard = await t.stripe.accounts.create();
    expect(standard).toMatchObject({ type: 'standard', capabilities: { card_payments: 'active', transfers: 'active' }, charges_enabled: false, controller: { fees: { payer: 'account' }, stripe_dashboard: { type: 'full' } } });
    expect((await t.stripe.accounts.list()).data.map((a) => a.id)).toEqual([standard.id, acct.id, express.id]);

    const updated = await t.stripe.accounts.update(express.id, { metadata: { plan: 'pro' } });
    expect(updated.metadata).toEqual({ plan: 'pro' });
    const events = await t.stripe.events.list({ type: 'account.updated' }, { stripeAccount: express.id });
    expect(events.data[0]).toMatchObject({ account: express.id, data: { object: { id: express.id }, previous_attributes: { metadata: { plan: null } } } });

    const link = await t.stripe.accountLinks.create({ account: express.id, type: 'account_onboarding', refresh_url: 'https://example.com/r', return_url: 'https://example.com/x' });
    expect(link).toMatchObject({ object: 'account_link', expires_at: link.created + 300, url: expect.stringMatching(`^https://connect.stripe.com/setup/c/${express.id}/`) });
    expect(await stripeError(t.stripe.accounts.createLoginLink(express.id))).toMatchObject({ statusCode: 400, message: 'Cannot create a login link for an account that has not completed onboarding.' });
    await t.h.control(keyOf(t.stripe)).accounts.onboard(express.id);
    expect(await t.stripe.accounts.retrieve(express.id)).toMatchObject({ details_submitted: true, charges_enabled: true, payouts_enabled: true, capabilities: { transfers: 'active' } });
    expect((await t.stripe.events.list({ type: 'capability.updated' }, { stripeAccount: express.id })).data[0].data.object).toMatchObject({ id: 'transfers', status: 'active', account: express.id });
    expect(await t.stripe.accounts.createLoginLink(express.id)).toMatchObject({ object: 'login_link', url: expect.stringContaining(express.id) });

    const person = await t.stripe.accounts.createPerson(acct.id, { first_name: 'Ann', id_number: '000000000', relationship: { owner: true, percent_ownership: 50 } });
    expect(person).toMatchObject({ object: 'person', account: acct.id, first_name: 'Ann', id_number_provided: true, ssn_last_4_provided: false, relationship: { owner: true, percent_ownership: 50 }, verification: { status: 'unverified' } });
    expect(person).not.toHaveProperty('id_number');
    expect(await stripeError(t.stripe.accounts.update(acct.id, { settings: { payouts: { schedule: { interval: 'manual' } } } }))).toMatchObject({ statusCode: 501 });
    expect((await t.stripe.accounts.listPersons(acct.id)).data.map((p) => p.id)).toEqual([person.id]);

    const rejected = await t.stripe.accounts.reject(acct.id, { reason: 'fraud' } as any);
    expect(rejected).toMatchObject({ charges_enabled: false, payouts_enabled: false, requirements: { disabled_reason: 'rejected.fraud' } });
    expect(await t.stripe.accounts.del(standard.id)).toEqual({ id: standard.id, object: 'account', deleted: true });
    expect(await stripeError(t.stripe.accounts.retrieve(standard.id))).toMatchObject({ statusCode: 403, code: 'account_invalid' });
    expect(await stripeError(t.stripe.customers.list({}, { stripeAccount: standard.id }))).toMatchObject({ statusCode: 403, code: 'account_invalid' });
  });

  it("keeps each account's objects apart, answers Stripe's errors, and scopes idempotency keys per account", async () => {
    const a = await custom();
    const b = await t.stripe.accounts.create({ type: 'express' });
    const onA = await t.stripe.customers.create({ email: 'a@example.com' }, { stripeAccount: a.id, idempotencyKey: 'same' });
    const onB = await t.stripe.customers.create({ email: 'a@example.com' }, { stripeAccount: b.id, idempotencyKey: 'same' });
    expect(onA.id).not.toBe(onB.id); // the same key on two accounts is two requests
    expect(await stripeError(t.stripe.customers.retrieve(onA.id))).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });
    expect(await stripeError(t.stripe.customers.retrieve(onA.id, {}, { stripeAccount: b.id }))).toMatchObject({ statusCode: 404 });
    expect(await t.stripe.customers.retrieve(onA.id, {}, { stripeAccount: a.id })).toMatchObject({ email: 'a@example.com' });
    expect((await t.stripe.accounts.retrieveCurrent({}, { stripeAccount: a.id })).id).toBe(a.id);
    expect(await stripeError(t.stripe.accounts.retrieve(b.id, {}, { stripeAccount: a.id }))).toMatchObject({ statusCode: 400, message: expect.stringMatching(/does not match the account specified in the Stripe-Account header/) });
    expect(await stripeError(t.stripe.accounts.create({}, { stripeAccount: a.id }))).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^You can only create new accounts if you've signed up for Connect/) });
    expect(await stripeError(t.stripe.customers.list({}, { stripeAccount: 'acct_1Unknown000000000' }))).toMatchObject({ statusCode: 403, code: 'account_invalid' });
    if (mode === 'http') {
      // Stripe answers GET /v1/accounts/:id with a Stripe-Account header naming it, even when the request sent none (recorded).
      const res = await raw(t.h.url, 'GET', `/v1/accounts/${a.id}`, { key: keyOf(t.stripe) });
      expect(res.status).toBe(200);
      expect(res.headers['stripe-account']).toBe(a.id);
    }
  });

  it('makes a destination charge: transfer, py_ payment, application fee, balances on both sides, events', async () => {
    const dest = await custom();
    await t.stripe.accounts.createExternalAccount(dest.id, { external_account: 'btok_us_verified' });
    const pi = await t.stripe.paymentIntents.create({
      amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'],
      application_fee_amount: 500, transfer_data: { destination: dest.id },
    });
    expect(pi).toMatchObject({ status: 'succeeded', application_fee_amount: 500, transfer_data: { destination: dest.id }, transfer_group: `group_${pi.id}` });
    expect(pi.transfer_data).not.toHaveProperty('amount');
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ destination: dest.id, transfer_data: { amount: null, destination: dest.id }, application_fee_amount: 500, transfer_group: `group_${pi.id}` });
    const transfer = await t.stripe.transfers.retrieve(charge.transfer as string);
    expect(transfer.id).toMatch(/^tr_3/);
    expect(transfer).toMatchObject({ amount: 2000, destination: dest.id, source_transaction: charge.id, transfer_group: `group_${pi.id}`, reversed: false });
    const fee = await t.stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee).toMatchObject({ object: 'application_fee', account: dest.id, amount: 500, amount_refunded: 0, originating_transaction: charge.id, charge: transfer.destination_payment, fee_source: { type: 'charge' }, refunded: false });
    expect(fee.id.slice(-18, -8)).toBe(dest.id.slice(-10)); // the connected account's block
    const payment = await t.stripe.charges.retrieve(transfer.destination_payment as string, {}, { stripeAccount: dest.id });
    expect(payment).toMatchObject({ object: 'charge', amount: 2000, source_transfer: transfer.id, payment_method_details: { type: 'stripe_account' } });
    expect(payment.id).toMatch(/^py_/);
    expect(await stripeError(t.stripe.charges.retrieve(payment.id))).toMatchObject({ statusCode: 404 });
    const platformBts = (await t.stripe.balanceTransactions.list()).data.map((bt) => [bt.type, bt.amount]);
    expect(platformBts).toEqual(expect.arrayContaining([['charge', 2000], ['transfer', -2000], ['application_fee', 500]]));
    const connectedBts = (await t.stripe.balanceTransactions.list({}, { stripeAccount: dest.id })).data.map((bt) => [bt.type, bt.amount]);
    expect(connectedBts).toEqual([['application_fee', -500], ['payment', 2000]]);
    expect(await available(dest.id)).toEqual({ available: -500, pending: 2000 });
    const types = (await t.stripe.events.list()).data.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['transfer.created', 'application_fee.created', 'charge.succeeded']));
    expect((await t.stripe.events.list({ type: 'transfer.created' })).data[0]).not.toHaveProperty('account');

    const refund = await t.stripe.applicationFees.createRefund(fee.id, { amount: 200 });
    expect(refund).toMatchObject({ object: 'fee_refund', amount: 200, fee: fee.id });
    expect(await t.stripe.applicationFees.retrieve(fee.id)).toMatchObject({ amount_refunded: 200, refunded: false, refunds: { total_count: 1 } });

    // Reversing the transfer with a refund is not modeled: 501, never a silent refund that leaves the transfer.
    expect(await stripeError(t.stripe.refunds.create({ payment_intent: pi.id, reverse_transfer: true }))).toMatchObject({ statusCode: 501, raw: expect.objectContaining({ param: 'reverse_transfer' }) });
    const missing = await stripeError(t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', transfer_data: { destination: 'acct_1Nope000000000000' } }));
    expect(missing).toMatchObject({ statusCode: 400, param: 'transfer_data[destination]', message: "No such destination: 'acct_1Nope000000000000'" });
  });

  it('charges directly on a connected account with an application fee for the platform', async () => {
    const acct = await custom();
    const pi = await t.stripe.paymentIntents.create(
      { amount: 3000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'], application_fee_amount: 300 },
      { stripeAccount: acct.id },
    );
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string, {}, { stripeAccount: acct.id });
    expect(charge.application_fee).toMatch(/^fee_/);
    expect(charge.application).toMatch(/^ca_/);
    const fees = await t.stripe.applicationFees.list();
    expect(fees.data).toEqual([expect.objectContaining({ id: charge.application_fee, account: acct.id, amount: 300, charge: charge.id, originating_transaction: null })]);
    expect((await t.stripe.events.list({}, { stripeAccount: acct.id })).data.every((e) => e.account === acct.id)).toBe(true);
    expect(await stripeError(t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', application_fee_amount: 100 }))).toMatchObject({ statusCode: 400, param: 'application_fee_amount' });
  });

  it('transfers from the available balance and reverses', async () => {
    const dest = await custom();
    const broke = await stripeError(t.stripe.transfers.create({ amount: 1000, currency: 'usd', destination: dest.id }));
    expect(broke).toMatchObject({ statusCode: 400, code: 'balance_insufficient' });
    await fund(5000);
    const transfer = await t.stripe.transfers.create({ amount: 1000, currency: 'usd', destination: dest.id, transfer_group: 'ORDER_1' });
    expect(Object.keys(transfer)).toEqual(['id', 'object', 'amount', 'amount_reversed', 'balance_transaction', 'created', 'currency', 'description', 'destination', 'destination_payment', 'livemode', 'metadata', 'reversals', 'reversed', 'source_transaction', 'source_type', 'transfer_group']);
    expect(transfer).toMatchObject({ amount: 1000, amount_reversed: 0, destination: dest.id, reversals: { object: 'list', data: [], total_count: 0, url: `/v1/transfers/${transfer.id}/reversals` }, source_type: 'card' });
    expect(await available(dest.id)).toEqual({ available: 1000, pending: 0 });
    const reversal = await t.stripe.transfers.createReversal(transfer.id, { amount: 400 });
    expect(reversal).toMatchObject({ object: 'transfer_reversal', amount: 400, transfer: transfer.id, destination_payment_refund: expect.stringMatching(/^pyr_/) });
    expect(await t.stripe.transfers.retrieve(transfer.id)).toMatchObject({ amount_reversed: 400, reversed: false, reversals: { total_count: 1 } });
    await t.stripe.transfers.createReversal(transfer.id);
    expect(await t.stripe.transfers.retrieve(transfer.id)).toMatchObject({ amount_reversed: 1000, reversed: true });
    expect(await available(dest.id)).toEqual({ available: 0, pending: 0 });
    expect((await t.stripe.events.list({ type: 'transfer.*' } as any)).data.map((e) => e.type)).toEqual(['transfer.reversed', 'transfer.reversed', 'transfer.created']);
    const noCap = await t.stripe.accounts.create({ type: 'express' });
    expect(await stripeError(t.stripe.transfers.create({ amount: 100, currency: 'usd', destination: noCap.id }))).toMatchObject({ statusCode: 400, code: 'insufficient_capabilities_for_transfer' });
  });

  it('pays out on the clock: paid to a good bank account, failed to a failing one, and tops up', async () => {
    const acct = await custom();
    await fund(10000);
    await t.stripe.transfers.create({ amount: 3000, currency: 'usd', destination: acct.id });
    const good = await t.stripe.accounts.createExternalAccount(acct.id, { external_account: 'btok_us_verified' });
    expect(await stripeError(t.stripe.payouts.create({ amount: 1000, currency: 'eur' }, { stripeAccount: acct.id }))).toMatchObject({ statusCode: 400, message: "Sorry, you don't have any external accounts in that currency (eur)." });
    const paid = await t.stripe.payouts.create({ amount: 1000, currency: 'usd' }, { stripeAccount: acct.id });
    expect(paid).toMatchObject({ object: 'payout', status: 'pending', destination: good.id, method: 'standard', type: 'bank_account', automatic: false });
    const bad = await t.stripe.accounts.createExternalAccount(acct.id, { external_account: 'btok_us_verified_noAccount' });
    const failed = await t.stripe.payouts.create({ amount: 500, currency: 'usd', destination: bad.id }, { stripeAccount: acct.id });
    expect(await available(acct.id)).toEqual({ available: 1500, pending: 0 });
    await advance(2 * 86400);
    expect(await t.stripe.payouts.retrieve(paid.id, {}, { stripeAccount: acct.id })).toMatchObject({ status: 'paid' });
    expect(await t.stripe.payouts.retrieve(failed.id, {}, { stripeAccount: acct.id })).toMatchObject({ status: 'failed', failure_code: 'no_account', failure_balance_transaction: expect.stringMatching(/^txn_/) });
    expect(await available(acct.id)).toEqual({ available: 2000, pending: 0 });
    const events = (await t.stripe.events.list({}, { stripeAccount: acct.id })).data.map((e) => e.type).filter((type) => type.startsWith('payout.'));
    expect(events).toEqual(['payout.failed', 'payout.paid', 'payout.created', 'payout.created']);
    expect(await stripeError(t.stripe.payouts.create({ amount: 99999, currency: 'usd' }, { stripeAccount: acct.id }))).toMatchObject({ statusCode: 400, code: 'balance_insufficient' });

    const cancel = await t.stripe.payouts.create({ amount: 100, currency: 'usd' }, { stripeAccount: acct.id });
    expect(await t.stripe.payouts.cancel(cancel.id, {}, { stripeAccount: acct.id })).toMatchObject({ status: 'canceled' });

    const topup = await t.stripe.topups.create({ amount: 2000, currency: 'usd', description: 'Top-up' });
    expect(topup).toMatchObject({ object: 'topup', status: 'pending', amount: 2000, balance_transaction: null });
    await advance(86400);
    expect(await t.stripe.topups.retrieve(topup.id)).toMatchObject({ status: 'succeeded', balance_transaction: expect.stringMatching(/^txn_/) });
    expect((await t.stripe.events.list({ type: 'topup.succeeded' })).data).toHaveLength(1);
  });

  it('delivers connected accounts’ events to connect=true endpoints, and the platform’s own to the others', async () => {
    const rx = await Receiver.start();
    try {
      const connectHook = await t.stripe.webhookEndpoints.create({ url: `${rx.url}/connect`, enabled_events: ['customer.created', 'transfer.created'], connect: true });
      await t.stripe.webhookEndpoints.create({ url: `${rx.url}/own`, enabled_events: ['customer.created', 'transfer.created'] });
      expect(connectHook).not.toHaveProperty('connect');
      const acct = await custom();
      const customer = await t.stripe.customers.create({ email: 'c@example.com' }, { stripeAccount: acct.id });
      await t.stripe.customers.create({ email: 'p@example.com' });
      await t.h.admin('POST', '/__admin__/webhooks/drain', undefined, keyOf(t.stripe));
      const got = (path: string) => rx.received.filter((r) => r.path === path).map((r) => JSON.parse(r.body));
      expect(got('/connect')).toEqual([expect.objectContaining({ type: 'customer.created', account: acct.id, data: { object: expect.objectContaining({ id: customer.id }) } })]);
      expect(got('/own')).toEqual([expect.objectContaining({ type: 'customer.created', data: { object: expect.objectContaining({ email: 'p@example.com' }) } })]);
      expect(got('/own')[0]).not.toHaveProperty('account');
      const sig = rx.received.find((r) => r.path === '/connect')!.headers['stripe-signature'];
      expect(sig).toMatch(/^t=\d+,v1=/);
    } finally {
      await rx.close();
    }
  });
});
