import type { Ctx } from '../../engine/world';

// Invoice arithmetic (docs/billing.md §2.3–§2.5), checked against recorded
// invoices: a line's own discounts come off before `subtotal`; invoice-level
// discounts come after it, spread over the discountable lines; exclusive tax is
// added on what is left of each line, inclusive tax is the part of it that was
// tax. Rounding to the minor unit is half up, per line, then summed (Stripe's
// per-line rounding and its mode are unverified). Nothing here stores anything.

/** What totals need of a line. */
export interface LineAmounts {
  amount: number;
  discountable: boolean;
  /** The line's own discounts (item level). */
  discounts: string[];
  /** Its tax rates, or null for the invoice's defaults. */
  taxRates: string[] | null;
  product: string | null;
}

export interface TaxRateFacts {
  id: string;
  percentage: number;
  inclusive: boolean;
}

export interface Totals {
  lines: { discount_amounts: { amount: number; discount: string }[]; pretax_credit_amounts: PretaxCredit[]; taxes: LineTax[] }[];
  subtotal: number;
  subtotal_excluding_tax: number;
  total_discount_amounts: { amount: number; discount: string }[];
  total_pretax_credit_amounts: PretaxCredit[];
  total_taxes: LineTax[];
  total_excluding_tax: number;
  total: number;
}

type PretaxCredit = { amount: number; discount: string; type: 'discount' };
export type LineTax = { amount: number; tax_behavior: 'inclusive' | 'exclusive'; tax_rate_details: { tax_rate: string }; taxability_reason: string; taxable_amount: number; type: 'tax_rate_details' };

/** The amount a discount takes off a base (the discounts module knows coupons). */
export type DiscountOff = (discount: string, base: number, product: string | null) => number;

export function computeTotals(
  ctx: Ctx,
  lines: readonly LineAmounts[],
  invoiceDiscounts: readonly string[],
  defaultTaxRates: readonly string[],
  discountOff: DiscountOff,
): Totals {
  const perLine = lines.map((line) => {
    const discountAmounts = line.discounts.map((d) => ({ amount: discountOff(d, line.amount, line.product), discount: d }));
    return { line, discountAmounts, own: sum(discountAmounts) };
  });
  const subtotal = sum(perLine.map((l) => ({ amount: l.line.amount - l.own })));

  // Invoice-level discounts: each computed on the discountable net, then shared
  // out over the discountable lines in proportion, the remainder on the last.
  for (const discount of invoiceDiscounts) {
    const eligible = perLine.filter((l) => l.line.discountable && l.line.amount - l.own > 0);
    const base = eligible.reduce((s, l) => s + l.line.amount - l.own, 0);
    const off = Math.min(base, discountOff(discount, base, null));
    let left = off;
    eligible.forEach((l, i) => {
      const share = i === eligible.length - 1 ? left : Math.round((off * (l.line.amount - l.own)) / base);
      left -= share;
      l.discountAmounts.push({ amount: share, discount });
    });
  }

  const rates = taxRateReader(ctx);
  const out = perLine.map(({ line, discountAmounts }) => {
    const net = line.amount - sum(discountAmounts);
    const taxes = (line.taxRates ?? defaultTaxRates).map((id) => taxOn(rates(id), net));
    return {
      discount_amounts: discountAmounts,
      pretax_credit_amounts: discountAmounts.filter((d) => d.amount > 0).map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' as const })),
      taxes,
    };
  });

  const byDiscount = new Map<string, number>();
  for (const l of out) for (const d of l.discount_amounts) byDiscount.set(d.discount, (byDiscount.get(d.discount) ?? 0) + d.amount);
  const totalDiscounts = [...byDiscount].map(([discount, amount]) => ({ amount, discount }));
  const totalTaxes = sumTaxes(out.map((l) => l.taxes));
  const inclusive = sum(totalTaxes.filter((t) => t.tax_behavior === 'inclusive'));
  const exclusive = sum(totalTaxes.filter((t) => t.tax_behavior === 'exclusive'));
  const invoiceLevel = sum(invoiceDiscounts.map((d) => ({ amount: byDiscount.get(d) ?? 0 })));
  const totalExcludingTax = subtotal - invoiceLevel - inclusive;
  return {
    lines: out,
    subtotal,
    subtotal_excluding_tax: subtotal - inclusive,
    total_discount_amounts: totalDiscounts,
    total_pretax_credit_amounts: totalDiscounts.filter((d) => d.amount > 0).map((d) => ({ ...d, type: 'discount' as const })),
    total_taxes: totalTaxes,
    total_excluding_tax: totalExcludingTax,
    total: totalExcludingTax + inclusive + exclusive,
  };
}

const sum = (xs: readonly { amount: number }[]) => xs.reduce((s, x) => s + x.amount, 0);

/** Reads tax rates by id, each once per computation. */
export function taxRateReader(ctx: Ctx): (id: string) => TaxRateFacts {
  const rates = new Map<string, TaxRateFacts>();
  return (id) => {
    let r = rates.get(id);
    if (!r) {
      const stored = ctx.world.get(id)!;
      rates.set(id, (r = { id, percentage: stored.percentage as number, inclusive: stored.inclusive as boolean }));
    }
    return r;
  };
}

/** The tax of one rate on a net amount: exclusive on top of it, inclusive the part of it that is tax. */
export function taxOn(r: TaxRateFacts, net: number): LineTax {
  const amount = r.inclusive ? roundHalfUp((net * r.percentage) / (100 + r.percentage)) : roundHalfUp((net * r.percentage) / 100);
  return {
    amount,
    tax_behavior: r.inclusive ? 'inclusive' : 'exclusive',
    tax_rate_details: { tax_rate: r.id },
    // No recording shows a manual rate's taxability_reason; not_available is the twin's choice (unverified).
    taxability_reason: 'not_available',
    taxable_amount: r.inclusive ? net - amount : net,
    type: 'tax_rate_details',
  };
}

/** Lines' taxes summed per rate, in the order the rates first appear. */
export function sumTaxes(lines: readonly (readonly LineTax[])[]): LineTax[] {
  const byRate = new Map<string, LineTax>();
  for (const taxes of lines) {
    for (const t of taxes) {
      const seen = byRate.get(t.tax_rate_details.tax_rate);
      byRate.set(t.tax_rate_details.tax_rate, seen ? { ...seen, amount: seen.amount + t.amount, taxable_amount: seen.taxable_amount + t.taxable_amount } : t);
    }
  }
  return [...byRate.values()];
}

/** Half up to the minor unit, robust to binary fractions (521.7391… → 522; 0.5 → 1). */
export function roundHalfUp(value: number): number {
  return Math.floor(value + 0.5 + 1e-9);
}
