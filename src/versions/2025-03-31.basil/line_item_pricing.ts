import { VersionChange } from '../../engine/versions';
import { Price } from '../../resources/billing/prices';
import { planOf } from '../../resources/billing/plans';
import { buildCtx, lookup, putAll } from '../helpers';

// stripe-node 18.0.0 (2025-03-31.basil): an invoice line's and an invoice
// item's full `price` and `plan` objects gave way to `pricing.price_details`
// (ids). Older versions get both back: the price, and the plan a recurring
// price stands for (null for a one-time price).

export function priceAndPlan(pricing: Record<string, any> | null | undefined, ctx: { world: any; render<T>(v: T): T }) {
  const price = lookup<Price>(ctx.world, pricing?.price_details?.price, 'price');
  if (!price) return { plan: null, price: null };
  return {
    plan: price.type === 'recurring' ? ctx.render(planOf(buildCtx(ctx.world), price)) : null,
    price: ctx.render(price),
  };
}

export const lineItemPricing: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Invoice line price and plan (full objects) replaced by pricing.price_details',
  object: 'line_item',
  transform: (line, ctx) => ('pricing' in line ? putAll(line, priceAndPlan(line.pricing, ctx)) : line),
};
