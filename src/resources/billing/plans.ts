import { errors } from '../../engine/errors';
import { emit, StripeEvent } from '../../engine/events';
import { react } from '../../engine/reactions';
import { defineResource, route, Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';
import { Price, prices } from './prices';

// Legacy Plans (billing notes §1.1, §1.7): a recurring price is also a plan with
// the same id, so a plan is not stored on its own; it is read from its price
// (retrieve, list), and creating a recurring price announces plan.created after
// price.created (order unverified). Making plans through POST /v1/plans, and
// plan.updated / plan.deleted, are not modeled yet (501).

export type Plan = Shaped<'plan'>;

/** The plan a recurring price stands for. */
export function planOf(ctx: Ctx, price: Price): Plan {
  const r = price.recurring;
  return plans.build(ctx, {}, {
    id: price.id,
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r.interval,
    interval_count: r.interval_count,
    metadata: price.metadata,
    meter: r.meter,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: price.transform_quantity,
    trial_period_days: r.trial_period_days,
    usage_type: r.usage_type,
  });
}

function recurringPrice(ctx: Ctx, id: string): Price {
  const price = ctx.world.get<Price>(id);
  if (!price || price.object !== 'price' || price.type !== 'recurring') throw errors.resourceMissing('plan', id);
  return price;
}

export const plans = defineResource<'plan', Plan>({
  object: 'plan',
  prefix: 'price',
  path: '/v1/plans',
  omit: ['tiers'],
  routes: { retrieve: false, list: false },
}).with(
  route('GET', '/v1/plans/{plan}', 'plan', (ctx, _p, path) => planOf(ctx, recurringPrice(ctx, path.plan))),
  route('GET', '/v1/plans', { list: 'plan' }, (ctx, params) => {
    const list = prices.list(ctx, { ...params, type: 'recurring' }, '/v1/plans');
    return { ...list, data: list.data.map((price) => planOf(ctx, price)) };
  }),
);

react('price.created', 'a recurring price is also a plan', (ctx, event: StripeEvent) => {
  const price = event.data.object as Price;
  if (price.type === 'recurring') emit(ctx, 'plan.created', planOf(ctx, price));
});
