import path from 'node:path';
import Stripe from 'stripe';
import { MODES, runModuleScript, stripeError, useHarness } from '../helpers';

// Static crypto deposit addresses and transaction_verification PaymentIntents
// (src/resources/payments/crypto_deposits.ts; docs/agents.md §1.6 newer variant,
// docs/agents.md §2.8): what mppx's stripe.create() calls for its crypto rails. GA stripe-node
// has neither, so they go through rawRequest and cast params; mppx's own code
// runs against the twin in a child process (ESM-only).

const PREVIEW = { apiVersion: '2026-05-27.preview' };
const FAILURE = `0x${'0'.repeat(54)}testfailed`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

/** The PaymentIntent mppx records after an on-chain payment (record-payment.js). */
const VERIFIED = (transactionHash: string, network = 'base') =>
  ({
    amount: 50,
    currency: 'usd',
    confirm: true,
    payment_method_data: { type: 'crypto' },
    payment_method_types: ['crypto'],
    payment_method_options: { crypto: { mode: 'transaction_verification', transaction_verification_options: { network, transaction_hash: transactionHash } } },
  }) as unknown as Stripe.PaymentIntentCreateParams;

describe.each(MODES)('crypto deposit addresses and transaction verification (%s)', (mode) => {
  const t = useHarness(mode);
  const call = (method: string, path: string, params: Record<string, any> = {}) =>
    (method === 'GET'
      ? t.stripe.rawRequest(method, Object.keys(params).length ? `${path}?${new URLSearchParams(params)}` : path, null as any, PREVIEW)
      : t.stripe.rawRequest(method, path, params, PREVIEW)) as Promise<any>;

  it('creates, retrieves and lists deposit addresses per network', async () => {
    const base = await call('POST', '/v1/crypto/deposit_addresses', { network: 'base', metadata: { rail: 'x402' } });
    expect(Object.keys(base).filter((k) => k !== 'lastResponse')).toEqual(['id', 'object', 'address', 'created', 'customer', 'livemode', 'metadata', 'network', 'supported_tokens']);
    expect(base).toMatchObject({
      object: 'crypto.deposit_address',
      address: expect.stringMatching(/^0x[0-9a-f]{40}$/),
      customer: null,
      livemode: false,
      metadata: { rail: 'x402' },
      network: 'base',
      supported_tokens: [{ token_contract_address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', token_currency: 'usdc' }],
    });
    const solana = await call('POST', '/v1/crypto/deposit_addresses', { network: 'solana' });
    expect(solana.address).toMatch(/^[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect((await call('GET', `/v1/crypto/deposit_addresses/${base.id}`)).address).toBe(base.address);
    const listed = await call('GET', '/v1/crypto/deposit_addresses', { network: 'base', limit: 1 });
    expect(listed).toMatchObject({ object: 'list', url: '/v1/crypto/deposit_addresses', has_more: false });
    expect(listed.data.map((a: any) => a.id)).toEqual([base.id]);
    expect((await call('GET', '/v1/crypto/deposit_addresses')).data.map((a: any) => a.id)).toEqual([solana.id, base.id]);
    expect(await stripeError(call('POST', '/v1/crypto/deposit_addresses', { network: 'polygon' }))).toMatchObject({ statusCode: 400, param: 'network' });
    expect(await stripeError(call('POST', '/v1/crypto/deposit_addresses', {}))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'network' });
  });

  it('records a payment made on chain: processing then succeeded, the charge carrying the transaction', async () => {
    const pi = await t.stripe.paymentIntents.create(VERIFIED(hash(1)), { ...PREVIEW, idempotencyKey: hash(1) } as Stripe.RequestOptions);
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 50, next_action: null });
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, payment_method_details: { type: 'crypto', crypto: { network: 'base', token_currency: 'usdc', transaction_hash: hash(1) } } });
    const types = (await t.stripe.events.list({ limit: 100 })).data.filter((e) => (e.data.object as any).id === pi.id).map((e) => e.type).reverse();
    expect(types).toEqual(['payment_intent.created', 'payment_intent.processing', 'payment_intent.succeeded']);

    // The same transaction under another key is refused; the failure test hash fails the payment.
    expect(await stripeError(t.stripe.paymentIntents.create(VERIFIED(hash(1)), PREVIEW))).toMatchObject({ statusCode: 400, message: expect.stringContaining('already been recorded') });
    const failed = await t.stripe.paymentIntents.create(VERIFIED(FAILURE), PREVIEW);
    expect(failed).toMatchObject({ status: 'requires_payment_method', payment_method: null, last_payment_error: { code: 'payment_intent_payment_attempt_failed' } });
    expect(await stripeError(t.stripe.paymentIntents.create(VERIFIED('0x1234'), PREVIEW))).toMatchObject({ statusCode: 400, param: 'payment_method_options[crypto][transaction_verification_options][transaction_hash]' });
  });
});

describe("mppx's crypto rails against the twin", () => {
  const t = useHarness('http');

  it('finds or creates its deposit address and records a payment as a transaction_verification PaymentIntent, once', async () => {
    const { result, stderr } = await runModuleScript(path.join(__dirname, 'mppx_stripe_crypto.mjs'), { TWIN_URL: t.h.url, KEY: t.key, HASH: hash(7) });
    expect(result.error).toBeUndefined();
    expect(stderr).not.toContain('failed to record');
    expect(result.created).toMatch(/^0x[0-9a-f]{40}$/);
    expect(result.found).toBe(result.created);
    const addresses = (await t.stripe.rawRequest('GET', '/v1/crypto/deposit_addresses', {})) as any;
    expect(addresses.data).toHaveLength(1);
    const pis = (await t.stripe.paymentIntents.list()).data;
    expect(pis).toHaveLength(1);
    expect(pis[0]).toMatchObject({ amount: 50, currency: 'usd', status: 'succeeded', metadata: { machine_payment: 'true' } });
    const { json } = await t.h.admin('GET', '/__admin__/requests?path=/v1/payment_intents&method=POST', undefined, t.key);
    expect(json.data.map((r: any) => [r.status, r.replayed, r.idempotency_key])).toEqual([
      [200, true, hash(7)],
      [200, false, hash(7)],
    ]);
  }, 60000);
});
