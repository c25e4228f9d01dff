import { errors } from './errors';

// Currencies, minimum charge amounts and test-mode fees (docs/stripe-facts.md §1.8, §7.2).

/** Currencies without minor units (docs.stripe.com/currencies#zero-decimal). */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

/** Minimum charge amounts in minor units (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
const MINIMUM: Record<string, number> = {
  usd: 50, aed: 200, aud: 50, bgn: 100, brl: 50, cad: 50, chf: 50, czk: 1500, dkk: 250, eur: 50, gbp: 30,
  hkd: 400, huf: 17500, inr: 50, jpy: 50, mxn: 1000, myr: 200, nok: 300, nzd: 50, pln: 200, ron: 200,
  sek: 300, sgd: 50, thb: 1000,
};

/** Currencies Stripe accepts for card payments (docs.stripe.com/currencies). */
export const CURRENCIES = new Set(
  (
    'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd cad cdf chf clp ' +
    'cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr ' +
    'isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn ' +
    'nad ngn nio nok npr nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std ' +
    'szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw'
  ).split(' '),
);

const SYMBOL: Record<string, string> = { usd: '$', aud: '$', cad: '$', nzd: '$', sgd: '$', hkd: '$', eur: '€', gbp: '£', jpy: '¥', inr: '₹' };

export const MAX_AMOUNT = 99_999_999;

export function isZeroDecimal(currency: string): boolean {
  return ZERO_DECIMAL.has(currency);
}

/** `$20.00` — the form in Stripe's refund messages (E23; non-USD formatting (unverified)). */
export function formatAmount(amount: number, currency: string): string {
  const major = isZeroDecimal(currency) ? String(amount) : (amount / 100).toFixed(2);
  return `${SYMBOL[currency] ?? ''}${major}${SYMBOL[currency] ? '' : ` ${currency.toUpperCase()}`}`;
}

/** Lower-cases and checks a currency code (message (unverified)). */
export function checkCurrency(currency: string, param = 'currency'): string {
  const c = currency.toLowerCase();
  if (!CURRENCIES.has(c)) {
    throw errors.paramState(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...CURRENCIES].join(', ')}`,
      param,
    );
  }
  return c;
}

/** The smallest amount a charge in `currency` may be (USD 50 cents). */
export function minimumCharge(currency: string): number {
  return MINIMUM[currency] ?? 50;
}

/** Amount rules of PaymentIntent create/update (E14; amount 0 text recorded 2025–2026); `minimumAmount` replaces the currency's minimum. */
export function checkChargeAmount(amount: number, currency: string, minimumAmount?: number): void {
  if (amount < 1) {
    throw errors.paramState(
      'The amount must be greater than or equal to the minimum charge amount allowed for your account and the currency set (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).  If you want to save a Payment Method for future use without an immediate payment, use a Setup Intent instead: https://docs.stripe.com/payments/setup-intents',
      'amount',
      'parameter_invalid_integer',
    );
  }
  const minimum = minimumAmount ?? minimumCharge(currency);
  if (amount < minimum) {
    throw errors.paramState(`Amount must be at least ${formatAmount(minimum, currency)} ${currency}`, 'amount', 'amount_too_small');
  }
  if (amount > MAX_AMOUNT) {
    throw errors.paramState(`Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)} ${currency}`, 'amount', 'amount_too_large');
  }
}

/**
 * Test-mode processing fee: 2.9% rounded half up, plus 30 minor units, for a
 * US account; cards issued outside the US add 1.5% (US price list; unverified in test mode).
 */
export function processingFee(amount: number, cardCountry: string | null): number {
  const perMille = cardCountry && cardCountry !== 'US' ? 44 : 29;
  return Math.floor((amount * perMille + 500) / 1000) + 30;
}
