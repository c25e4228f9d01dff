import { StripeError } from '../../src/engine/errors';
import { checkChargeAmount, checkCurrency, formatAmount, processingFee } from '../../src/engine/money';

describe('money', () => {
  it('charges 2.9% rounded half up plus 30¢, matching every recorded fee (docs/stripe-facts.md §7.2)', () => {
    const recorded: [number, number][] = [[100, 33], [3340, 127], [65400, 1927], [950, 58], [1000, 59], [1900, 85], [2250, 95], [2500, 103], [2900, 114], [22500, 683], [25000, 755]];
    for (const [amount, fee] of recorded) expect([amount, processingFee(amount, 'US')]).toEqual([amount, fee]);
    expect(processingFee(1000, 'GB')).toBeGreaterThan(processingFee(1000, 'US'));
  });

  it('refuses amounts below the minimum with the recorded amount-0 text and amount_too_small otherwise', () => {
    const err = (amount: number, currency = 'usd') => {
      try {
        checkChargeAmount(amount, currency);
      } catch (e) {
        return (e as StripeError).fields;
      }
      return null;
    };
    expect(err(0)).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    expect(err(0)!.message).toMatch(/^The amount must be greater than or equal to the minimum charge amount/);
    expect(err(49)).toMatchObject({ code: 'amount_too_small', message: 'Amount must be at least $0.50 usd' });
    expect(err(50)).toBeNull();
    expect(err(49, 'jpy')).toMatchObject({ code: 'amount_too_small' });
  });

  it('formats amounts and lower-cases currencies', () => {
    expect(formatAmount(2000, 'usd')).toBe('$20.00');
    expect(formatAmount(500, 'jpy')).toBe('¥500');
    expect(checkCurrency('USD')).toBe('usd');
    expect(() => checkCurrency('zzz')).toThrow(/Invalid currency: zzz/);
  });
});
