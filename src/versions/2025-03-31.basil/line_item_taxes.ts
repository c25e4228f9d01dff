import { VersionChange } from '../../engine/versions';
import { lookup, putAll } from '../helpers';
import { taxAmount } from './invoice_taxes';

// stripe-node 18.0.0 (2025-03-31.basil): an invoice line's tax_amounts,
// tax_rates (full TaxRates), amount_excluding_tax and unit_amount_excluding_tax
// gave way to `taxes`. Older versions get them back from `taxes`.

export const lineItemTaxes: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Invoice line tax_amounts, tax_rates, amount_excluding_tax and unit_amount_excluding_tax replaced by taxes',
  object: 'line_item',
  transform: (line, ctx) => {
    if (!Array.isArray(line.taxes)) return line;
    const taxes: Record<string, any>[] = line.taxes;
    const rates = [...new Set(taxes.map((t) => t.tax_rate_details?.tax_rate).filter((id): id is string => typeof id === 'string'))]
      .map((id) => lookup(ctx.world, id, 'tax_rate'))
      .filter((r) => r !== undefined)
      .map((r) => ctx.render(r));
    const inclusive = taxes.filter((t) => t.tax_behavior === 'inclusive').reduce((sum, t) => sum + t.amount, 0);
    const excluding = line.amount - inclusive;
    const quantity = line.quantity || 1;
    return putAll(line, {
      amount_excluding_tax: excluding,
      tax_amounts: taxes.map(taxAmount),
      tax_rates: rates,
      unit_amount_excluding_tax: String(Math.round((excluding / quantity) * 1e12) / 1e12),
    });
  },
};
