import { ShapeContext, VersionChange } from '../../engine/versions';
import { idOf, lookup, put } from '../helpers';

// CL basil/2025-03-31/deprecate-singular-coupon-promotion-code: Subscriptions
// and Invoices lost their single `discount` (a full Discount) for the existing
// `discounts` list. Older versions get the first discount back; a Customer keeps its own.

function first(obj: Record<string, any>, ctx: ShapeContext) {
  if (!Array.isArray(obj.discounts)) return obj;
  const head = obj.discounts[0];
  if (head && typeof head === 'object') return put(obj, 'discount', head); // expanded: rendered already
  const discount = lookup(ctx.world, idOf(head), 'discount');
  return put(obj, 'discount', discount ? ctx.render(discount) : null);
}

const change = (object: string): VersionChange => ({
  version: '2025-03-31.basil',
  description: `${object === 'invoice' ? 'Invoice' : 'Subscription'}.discount (one Discount) removed for discounts`,
  object,
  transform: first,
});

export const subscriptionDiscount = change('subscription');
export const invoiceDiscount = change('invoice');
