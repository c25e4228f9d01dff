import { VersionChange } from '../../engine/versions';
import { putAll } from '../helpers';
import { priceAndPlan } from './line_item_pricing';

// stripe-node 18.0.0 and CL basil/2025-03-31/adds-new-parent-field-to-invoicing-objects:
// an InvoiceItem's price, plan, unit_amount and unit_amount_decimal gave way to
// `pricing`, its subscription and subscription_item to `parent`. Older versions get them back.

export const invoiceItemPricing: VersionChange = {
  version: '2025-03-31.basil',
  description: 'InvoiceItem price, plan, unit_amount(_decimal) replaced by pricing; subscription, subscription_item moved under parent',
  object: 'invoiceitem',
  removes: ['plan', 'price', 'subscription', 'subscription_item', 'unit_amount', 'unit_amount_decimal'],
  transform: (item, ctx) => {
    if (!('pricing' in item)) return item;
    const decimal: string | null = item.pricing?.unit_amount_decimal ?? null;
    const sub = item.parent?.subscription_details ?? null;
    return putAll(item, {
      ...priceAndPlan(item.pricing, ctx),
      subscription: sub?.subscription ?? null,
      subscription_item: sub?.subscription_item ?? null,
      unit_amount: decimal !== null && Number.isInteger(Number(decimal)) ? Number(decimal) : null,
      unit_amount_decimal: decimal,
    });
  },
};
