import { Twin } from '../../src/engine/twin';
import { Ctx, StripeObject } from '../../src/engine/world';
import { createPaymentIntent } from '../../src/resources/payments/payment_intents';
import { cryptoFee, depositAddressOf, intentForDepositAddress, settleCryptoDeposit, tokenAmount } from '../../src/resources/payments/crypto_deposits';
import { refusal } from '../helpers';
import '../../src/resources'; // every resource's indexes, as in a running twin

// What the x402 facilitator will call (src/resources/payments/crypto_deposits.ts):
// settleCryptoDeposit with an amount in token units and a chain transaction hash,
// and the lookup of an intent by the deposit address it was given.

function setup(seed = 1) {
  const twin = new Twin({ seed });
  const world = twin.world('sk_test_crypto');
  const ctx: Ctx = { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
  const deposit = (amount: number) =>
    world.transaction(() =>
      createPaymentIntent(ctx, {
        amount,
        currency: 'usd',
        payment_method_types: ['crypto'],
        payment_method_data: { type: 'crypto' },
        payment_method_options: { crypto: { mode: 'deposit', deposit_options: { networks: ['base', 'solana'] } } },
        confirm: true,
      }),
    );
  return { ctx, world, deposit };
}

describe('crypto deposits', () => {
  it('converts cents to USDC atomic units and takes a 1.5% fee', () => {
    expect(tokenAmount(1)).toBe('10000');
    expect(tokenAmount(5000)).toBe('50000000');
    expect(cryptoFee(5000)).toBe(75);
    expect(cryptoFee(1)).toBe(0);
    expect(cryptoFee(100)).toBe(2); // 1.5 rounds half up
  });

  it('finds the intent by its deposit address in any letter case, and draws addresses from the seeded stream', () => {
    const a = setup();
    const pi = a.deposit(100);
    const address = depositAddressOf(a.world, pi.id, 'base')!;
    expect(address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(intentForDepositAddress(a.world, 'base', address.toUpperCase().replace('0X', '0x'))).toBe(pi.id);
    expect(intentForDepositAddress(a.world, 'solana', address)).toBeUndefined();
    const b = setup();
    expect(depositAddressOf(b.world, b.deposit(100).id, 'base')).toBe(address);
    const c = setup(2);
    expect(depositAddressOf(c.world, c.deposit(100).id, 'base')).not.toBe(address);
  });

  it('settles with the amount in token units: less is refused and changes nothing, more is accepted', () => {
    const { ctx, world, deposit } = setup();
    const pi = deposit(25);
    const under = refusal(() => world.transaction(() => settleCryptoDeposit(ctx, pi, { network: 'base', token: 'usdc', amount: '249999', txHash: '0xaa' })));
    expect(under).toMatchObject({ status: 400, fields: { param: 'amount', code: 'amount_too_small' } });
    expect(world.get<StripeObject>(pi.id)!.status).toBe('requires_action');
    const settled = world.transaction(() =>
      settleCryptoDeposit(ctx, world.get(pi.id)!, { network: 'solana', token: 'usdc', amount: 260000n, txHash: '5hash', buyer: 'BuyerWallet111' }),
    );
    expect(settled).toMatchObject({ status: 'succeeded', amount_received: 25 });
    const charge = world.get<StripeObject>(settled.latest_charge)!;
    expect(charge.payment_method_details).toEqual({ crypto: { buyer_address: 'BuyerWallet111', network: 'solana', token_currency: 'usdc', transaction_hash: '5hash' }, type: 'crypto' });
  });
});
