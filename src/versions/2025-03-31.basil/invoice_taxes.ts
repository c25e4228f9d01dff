import { VersionChange } from '../../engine/versions';
import { putAll } from '../helpers';

// stripe-node 18.0.0 (2025-03-31.basil): an Invoice's `tax` and
// `total_tax_amounts` gave way to `total_taxes`. Older versions get them back.

/** A basil tax entry in the older tax-amount form. */
export const taxAmount = (t: Record<string, any>) => ({
  amount: t.amount,
  inclusive: t.tax_behavior === 'inclusive',
  tax_rate: t.tax_rate_details?.tax_rate ?? null,
  taxability_reason: t.taxability_reason ?? null,
  taxable_amount: t.taxable_amount ?? null,
});

export const invoiceTaxes: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Invoice tax and total_tax_amounts replaced by total_taxes',
  object: 'invoice',
  transform: (invoice) => {
    if (!Array.isArray(invoice.total_taxes)) return invoice;
    const taxes: Record<string, any>[] = invoice.total_taxes;
    return putAll(invoice, {
      tax: taxes.length ? taxes.reduce((sum, t) => sum + t.amount, 0) : null,
      total_tax_amounts: taxes.map(taxAmount),
    });
  },
};
