import Stripe from 'stripe';
import { keyOf, MODES, stripeError, useHarness } from '../helpers';

// Crypto-deposit PaymentIntents (src/resources/payments/crypto_deposits.ts):
// deposit mode's addresses, the simulate_crypto_deposit test helper, the charge,
// balance transaction and events it makes, refunds, and the refusals. Stripe's GA
// SDK has no types for deposit mode or the helper, so params are cast and the
// helper goes through rawRequest, as integrations do.

const SUCCESS = `0x${'0'.repeat(53)}testsuccess`;
const FAILURE = `0x${'0'.repeat(54)}testfailed`;
const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';

/**
 * A deposit-mode PaymentIntent as Stripe's docs create one (confirm on create), at endive:
 * the docs' `payment_method_types` (2026-03-04.preview) is `allowed_payment_method_types` there.
 */
const DEPOSIT = (networks?: string[]) =>
  ({
    amount: 5000,
    currency: 'usd',
    allowed_payment_method_types: ['crypto'],
    payment_method_data: { type: 'crypto' },
    payment_method_options: { crypto: { mode: 'deposit', ...(networks ? { deposit_options: { networks } } : {}) } },
    confirm: true,
  }) as unknown as Stripe.PaymentIntentCreateParams;

describe.each(MODES)('crypto-deposit PaymentIntents (%s)', (mode) => {
  const t = useHarness(mode);

  const simulate = (id: string, params: Record<string, unknown> = {}) =>
    t.stripe.rawRequest('POST', `/v1/test_helpers/payment_intents/${id}/simulate_crypto_deposit`, params) as unknown as Promise<Stripe.PaymentIntent>;

  const typesOf = async (id: string) =>
    (await t.stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as any).id === id || (e.data.object as any).payment_intent === id)
      .map((e) => e.type)
      .reverse();

  it('confirms into requires_action with a deposit address per network (Base first), in the token units of test nets', async () => {
    const pi = await t.stripe.paymentIntents.create(DEPOSIT(['solana', 'base', 'tempo']));
    expect(pi).toMatchObject({
      status: 'requires_action',
      amount: 5000,
      amount_received: 0,
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { deposit_options: { networks: ['solana', 'base', 'tempo'] }, mode: 'deposit' } },
      latest_charge: null,
    });
    const action = pi.next_action as any;
    expect(Object.keys(action)).toEqual(['crypto_display_details', 'type']);
    expect(action.type).toBe('crypto_display_details');
    const addresses = action.crypto_display_details.deposit_addresses;
    expect(Object.keys(addresses)).toEqual(['base', 'solana', 'tempo']);
    expect(addresses.base).toEqual({ address: expect.stringMatching(/^0x[0-9a-f]{40}$/), supported_tokens: [{ token_contract_address: BASE_SEPOLIA_USDC, token_currency: 'usdc' }] });
    expect(addresses.solana.address).toMatch(/^[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect(addresses.tempo.supported_tokens).toEqual([{ token_contract_address: '0x20c000000000000000000000b9537d11c60e8b50', token_currency: 'usdc' }]);
    const pm = await t.stripe.paymentMethods.retrieve(pi.payment_method as string);
    expect(pm).toMatchObject({ type: 'crypto', crypto: {}, customer: null });
    expect(pm).not.toHaveProperty('card');
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'payment_intent.requires_action']);
    // The addresses are the intent's: retrieving shows the same.
    expect((await t.stripe.paymentIntents.retrieve(pi.id)).next_action).toEqual(pi.next_action);
  });

  it('works in steps, with allowed_payment_method_types (endive), Base by default, and a one-cent amount', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1, currency: 'usd', allowed_payment_method_types: ['crypto'] } as Stripe.PaymentIntentCreateParams);
    expect(pi).toMatchObject({ status: 'requires_payment_method', allowed_payment_method_types: ['crypto'], payment_method_options: { crypto: {} } });
    const confirmed = await t.stripe.paymentIntents.confirm(pi.id, {
      payment_method_data: { type: 'crypto' },
      payment_method_options: { crypto: { mode: 'deposit' } },
    } as unknown as Stripe.PaymentIntentConfirmParams);
    expect(confirmed.status).toBe('requires_action');
    expect(Object.keys((confirmed.next_action as any).crypto_display_details.deposit_addresses)).toEqual(['base']);
    const settled = await simulate(pi.id);
    expect(settled).toMatchObject({ status: 'succeeded', amount_received: 1 });
  });

  it('settles through simulate_crypto_deposit: charge with crypto details, payment balance transaction, events in order', async () => {
    const pi = await t.stripe.paymentIntents.create({ ...DEPOSIT(), description: 'API call' } as Stripe.PaymentIntentCreateParams);
    const wallet = '0x1111111111111111111111111111111111111111';
    const settled = await simulate(pi.id, { network: 'base', token_currency: 'usdc', buyer_wallet: wallet, transaction_hash: SUCCESS });
    expect(settled).toMatchObject({ object: 'payment_intent', id: pi.id, status: 'succeeded', amount_received: 5000, next_action: null, last_payment_error: null });
    const charge = await t.stripe.charges.retrieve(settled.latest_charge as string, { expand: ['balance_transaction'] });
    expect(charge).toMatchObject({
      status: 'succeeded',
      paid: true,
      captured: true,
      amount_captured: 5000,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      description: 'API call',
      payment_method_details: { crypto: { buyer_address: wallet, network: 'base', token_currency: 'usdc', transaction_hash: SUCCESS }, type: 'crypto' },
    });
    expect(Object.keys(charge.payment_method_details!)).toEqual(['crypto', 'type']);
    expect(charge.id.slice(3, 9)).toBe(pi.id.slice(3, 9));
    expect(charge.balance_transaction).toMatchObject({ amount: 5000, fee: 75, net: 4925, type: 'payment', reporting_category: 'charge', status: 'pending', source: charge.id });
    expect(await typesOf(pi.id)).toEqual([
      'payment_intent.created',
      'payment_intent.requires_action',
      'charge.pending',
      'payment_intent.processing',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const pending = (await t.stripe.events.list({ type: 'charge.pending' })).data[0].data.object as Stripe.Charge;
    expect(pending).toMatchObject({ id: charge.id, status: 'pending', paid: false, balance_transaction: null });
    expect((await t.stripe.events.list({ type: 'payment_intent.processing' })).data[0].data.object).toMatchObject({ status: 'processing', latest_charge: charge.id });
    // Settled once: a second deposit is refused with the intent in the error.
    const again = await stripeError(simulate(pi.id));
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    expect(again.raw.payment_intent).toMatchObject({ id: pi.id, status: 'succeeded' });
  });

  it('refunds a settled deposit, in part and then the rest, with the refund hash on the chain', async () => {
    const pi = await simulate((await t.stripe.paymentIntents.create(DEPOSIT())).id);
    const partial = await t.stripe.refunds.create({ payment_intent: pi.id, amount: 2000 });
    expect(partial).toMatchObject({ status: 'succeeded', amount: 2000, charge: pi.latest_charge, payment_intent: pi.id });
    expect(partial.destination_details).toEqual({ crypto: { reference: expect.stringMatching(/^0x[0-9a-f]{64}$/) }, type: 'crypto' });
    const rest = await t.stripe.refunds.create({ charge: pi.latest_charge as string });
    expect(rest.amount).toBe(3000);
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ amount_refunded: 5000, refunded: true });
    expect(await stripeError(t.stripe.refunds.create({ payment_intent: pi.id }))).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });
    const bt = await t.stripe.balanceTransactions.retrieve(partial.balance_transaction as string);
    expect(bt).toMatchObject({ amount: -2000, fee: 0, type: 'refund', source: partial.id });
  });

  it('fails with the failure test hash: back to requires_payment_method, and the intent can be confirmed again', async () => {
    const pi = await t.stripe.paymentIntents.create(DEPOSIT());
    const address = (pi.next_action as any).crypto_display_details.deposit_addresses.base.address;
    const failed = await simulate(pi.id, { network: 'base', token_currency: 'usdc', transaction_hash: FAILURE });
    expect(failed).toMatchObject({ status: 'requires_payment_method', payment_method: null, next_action: null, amount_received: 0 });
    expect(failed.last_payment_error).toMatchObject({ code: 'payment_intent_payment_attempt_failed', type: 'invalid_request_error', payment_method: { id: pi.payment_method, type: 'crypto' } });
    expect(await t.stripe.charges.retrieve(failed.latest_charge as string)).toMatchObject({ status: 'failed', paid: false, failure_code: 'payment_intent_payment_attempt_failed', balance_transaction: null });
    expect((await typesOf(pi.id)).slice(-4)).toEqual(['charge.pending', 'payment_intent.processing', 'charge.failed', 'payment_intent.payment_failed']);
    const retried = await t.stripe.paymentIntents.confirm(pi.id, { payment_method_data: { type: 'crypto' } } as unknown as Stripe.PaymentIntentConfirmParams);
    expect(retried.status).toBe('requires_action');
    expect((retried.next_action as any).crypto_display_details.deposit_addresses.base.address).toBe(address);
    expect(await simulate(pi.id)).toMatchObject({ status: 'succeeded' });
  });

  it('refuses deposits Stripe would not take: wrong state, wrong network or token, unknown hash, not deposit mode', async () => {
    const pi = await t.stripe.paymentIntents.create(DEPOSIT());
    expect(await stripeError(simulate(pi.id, { network: 'solana' }))).toMatchObject({ statusCode: 400, param: 'network', rawType: 'invalid_request_error' });
    expect(await stripeError(simulate(pi.id, { token_currency: 'usdp' }))).toMatchObject({ statusCode: 400, param: 'token_currency' });
    expect(await stripeError(simulate(pi.id, { network: 'bitcoin' }))).toMatchObject({ statusCode: 400, param: 'network', message: expect.stringMatching(/^Invalid network: must be one of base/) });
    const hash = await stripeError(simulate(pi.id, { transaction_hash: '0xabc' }));
    expect(hash).toMatchObject({ statusCode: 400, param: 'transaction_hash', message: expect.stringMatching(/^0xabc is not a valid testmode transaction hash/) });
    expect(await stripeError(simulate('pi_missing'))).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such payment_intent: 'pi_missing'" });
    // Nothing was settled by the refusals.
    expect((await t.stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_action');

    const card = await t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', allowed_payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams);
    expect(await stripeError(simulate(card.id))).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    const canceled = await t.stripe.paymentIntents.cancel((await t.stripe.paymentIntents.create(DEPOSIT())).id);
    expect(canceled).toMatchObject({ status: 'canceled', next_action: null });
    expect((await stripeError(simulate(canceled.id))).message).toMatch(/because it has a status of canceled/);

    const cardOnly = await stripeError(t.stripe.paymentIntents.create({ ...DEPOSIT(), allowed_payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams));
    expect(cardOnly).toMatchObject({ statusCode: 400, code: 'payment_intent_incompatible_payment_method' });
    const euro = await stripeError(t.stripe.paymentIntents.create({ ...DEPOSIT(), currency: 'eur' } as Stripe.PaymentIntentCreateParams));
    expect(euro).toMatchObject({ statusCode: 400, param: 'currency' });
    const hosted = await stripeError(t.stripe.paymentIntents.create({ ...DEPOSIT(), payment_method_options: { crypto: {} } } as unknown as Stripe.PaymentIntentCreateParams));
    expect(hosted).toMatchObject({ statusCode: 501 });
    expect(await stripeError(t.stripe.paymentIntents.create({ ...DEPOSIT(), allowed_payment_method_types: ['card'], amount: 1 } as Stripe.PaymentIntentCreateParams))).toMatchObject({ code: 'amount_too_small' });
  });

  it('needs the PaymentIntents write permission on a restricted key', async () => {
    const pi = await t.stripe.paymentIntents.create(DEPOSIT());
    const owner = keyOf(t.stripe);
    const { key } = await t.h.control(owner).keys.create({ kind: 'restricted', permissions: ['rak_payment_intent_read'] });
    const rk = t.h.stripe(key);
    const denied = await stripeError(rk.rawRequest('POST', `/v1/test_helpers/payment_intents/${pi.id}/simulate_crypto_deposit`, {}));
    expect(denied).toMatchObject({ statusCode: 403 });
    expect(denied.message).toMatch(/Having the 'rak_payment_intent_write' permission/);
  });
});
