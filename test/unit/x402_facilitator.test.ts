import Stripe from 'stripe';
import { privateKeyToAccount } from 'viem/accounts';
import { createTwin, handleRequest } from '../../src';
import { TwinControl } from '../../src/control/client';
import { settle, verify } from '../../src/x402/facilitator';
import { PaymentPayload, PaymentRequirements } from '../../src/x402/wire';

// The facilitator's checks one by one, with each version's reason string
// (docs/agents.md §1.5), on an in-process twin: what the paying clients in
// test/e2e/x402*.test.ts cannot be made to send (another scheme, network or
// asset, a missing domain, a malformed payload), concurrent settlement of one
// authorization, a paid intent paid again, and a restricted key.

const PAYER = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

const twin = createTwin({ webhooks: false });
let nonceCounter = 0;
const now = () => Math.floor(Date.now() / 1000);

async function depositAddress(stripe: Stripe, amount = 1): Promise<string> {
  const pi = await stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    allowed_payment_method_types: ['crypto'],
    payment_method_data: { type: 'crypto' },
    payment_method_options: { crypto: { mode: 'deposit' } },
    confirm: true,
  } as unknown as Stripe.PaymentIntentCreateParams);
  return (pi.next_action as any).crypto_display_details.deposit_addresses.base.address;
}

/** A signed v1 or v2 payment of `value` to `payTo`, and the requirement it answers. */
async function payment(version: 1 | 2, payTo: string, value = '10000') {
  const authorization = {
    from: PAYER.address,
    to: payTo,
    value,
    validAfter: String(now() - 600),
    validBefore: String(now() + 60),
    nonce: `0x${(++nonceCounter).toString(16).padStart(64, '0')}`,
  };
  const signature = await PAYER.signTypedData({
    domain: { name: 'USDC', version: '2', chainId: 84532, verifyingContract: USDC },
    types: TYPES,
    primaryType: 'TransferWithAuthorization',
    message: { ...authorization, to: authorization.to as `0x${string}`, value: BigInt(value), validAfter: BigInt(authorization.validAfter), validBefore: BigInt(authorization.validBefore), nonce: authorization.nonce as `0x${string}` },
  });
  const base = { scheme: 'exact', payTo, asset: USDC, maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' } };
  const requirements: PaymentRequirements =
    version === 1 ? { ...base, network: 'base-sepolia', maxAmountRequired: '10000', resource: 'http://shop/x', description: '', mimeType: '' } : { ...base, network: 'eip155:84532', amount: '10000' };
  const payload: PaymentPayload =
    version === 1
      ? { x402Version: 1, scheme: 'exact', network: 'base-sepolia', payload: { signature, authorization } }
      : { x402Version: 2, accepted: requirements, payload: { signature, authorization } };
  return { payload, requirements };
}

describe('x402 facilitator checks', () => {
  const key = 'sk_test_facilitator_unit';
  const stripe = twin.stripe(key);
  const world = () => twin.engine.world(key);

  const reason = async (p: { payload: PaymentPayload; requirements: PaymentRequirements }) => (await verify(world(), p.payload, p.requirements, now())).invalidReason;

  it('names the scheme, network, domain, payload and asset problems in each version', async () => {
    const payTo = await depositAddress(stripe);
    const v1 = await payment(1, payTo);
    const v2 = await payment(2, payTo);
    expect(await reason(v1)).toBeUndefined();
    expect(await reason(v2)).toBeUndefined();

    expect(await reason({ ...v1, payload: { ...v1.payload, scheme: 'upto' } })).toBe('unsupported_scheme');
    expect(await reason({ ...v2, requirements: { ...v2.requirements, scheme: 'upto' } })).toBe('invalid_exact_evm_scheme');
    expect(await reason({ ...v1, payload: { ...v1.payload, network: 'base' } })).toBe('invalid_network');
    expect(await reason({ ...v1, requirements: { ...v1.requirements, network: 'solana' }, payload: { ...v1.payload, network: 'solana' } })).toBe('invalid_network');
    expect(await reason({ ...v2, payload: { ...v2.payload, accepted: { ...v2.requirements, network: 'eip155:8453' } } })).toBe('invalid_exact_evm_network_mismatch');
    expect(await reason({ ...v2, requirements: { ...v2.requirements, extra: {} } })).toBe('invalid_exact_evm_missing_eip712_domain');
    // v1 falls back to the network's domain when `extra` is missing.
    expect(await reason({ ...v1, requirements: { ...v1.requirements, extra: undefined } })).toBeUndefined();
    const broken = { ...v1.payload, payload: { ...v1.payload.payload, authorization: { ...v1.payload.payload.authorization, nonce: '0x12' } } };
    expect(await reason({ ...v1, payload: broken })).toBe('invalid_payload');
    // Another token: the domain differs, so the signature does not hold, as on a chain.
    expect(await reason({ ...v2, requirements: { ...v2.requirements, asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' } })).toBe('invalid_exact_evm_signature');
    expect(await reason({ payload: { ...v2.payload, x402Version: 3 }, requirements: v2.requirements })).toBe('invalid_x402_version');
  });

  it('takes more than the price in v1 but only the exact amount in v2', async () => {
    const payTo = await depositAddress(stripe);
    expect(await reason(await payment(1, payTo, '10001'))).toBeUndefined();
    expect(await reason(await payment(2, payTo, '10001'))).toBe('invalid_exact_evm_payload_authorization_value_mismatch');
  });

  it('settles one authorization once, even when settled twice at the same time', async () => {
    const p = await payment(2, await depositAddress(stripe));
    const results = await Promise.all([settle(world(), p.payload, p.requirements, now()), settle(world(), p.payload, p.requirements, now())]);
    expect(results.map((r) => r.success).sort()).toEqual([false, true]);
    expect(results.find((r) => !r.success)).toMatchObject({ errorReason: 'invalid_exact_evm_nonce_already_used', transaction: '' });
    const ok = results.find((r) => r.success)!;
    expect(ok).toMatchObject({ network: 'eip155:84532', payer: PAYER.address, amount: '10000' });
    expect(ok.transaction).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('refuses a new authorization to an intent already paid', async () => {
    const payTo = await depositAddress(stripe);
    const first = await payment(1, payTo);
    expect((await settle(world(), first.payload, first.requirements, now())).success).toBe(true);
    expect(await reason(await payment(1, payTo))).toBe('invalid_transaction_state');
    expect(await reason(await payment(2, payTo))).toBe('invalid_exact_evm_transaction_simulation_failed');
  });

  it('refuses a deposit address this account does not have, and an amount below the intent', async () => {
    expect(await reason(await payment(2, '0x1111111111111111111111111111111111111111'))).toBe('invalid_exact_evm_recipient_mismatch');
    const dear = await depositAddress(stripe, 5); // 50 000 atomic due
    expect(await reason(await payment(1, dear))).toBe('invalid_exact_evm_payload_authorization_value');
  });

  it('needs a key allowed to write PaymentIntents', async () => {
    const control = new TwinControl({ twin, key });
    const narrow = await control.keys.create({ permissions: ['rak_customer_read'] });
    const p = await payment(2, await depositAddress(stripe));
    const call = (k: string) =>
      handleRequest(twin.engine, {
        method: 'POST',
        url: '/x402/verify',
        headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
        readBody: async () => Buffer.from(JSON.stringify({ x402Version: 2, paymentPayload: p.payload, paymentRequirements: p.requirements })),
      });
    const denied = await call(narrow.key);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).error.message).toContain("'rak_payment_intent_write'");
    const allowed = await control.keys.create({ permissions: ['rak_payment_intent_write'] });
    expect(JSON.parse((await call(allowed.key)).body)).toEqual({ isValid: true, payer: PAYER.address });
  });
});
