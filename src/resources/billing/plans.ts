import { errors } from '../../engine/errors';
import { emit, previousAttributes, StripeEvent } from '../../engine/events';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { defineResource, route, Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';
import { createPrice, Price, prices, updatePrice } from './prices';

// Legacy Plans (docs/billing.md §1.1, §1.7): a recurring price is also a plan with
// the same id, so a plan is not stored on its own; it is read from its price
// (retrieve, list), and creating a recurring price announces plan.created after
// price.created (order unverified). POST /v1/plans makes that price (a chosen
// `id` allowed, as plans always had; `product` an id or a new product's hash);
// updating or deleting a plan updates or deletes its price, announcing the
// price's event, then the plan's (order unverified).

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

/** POST /v1/plans: the recurring price the plan is, under the plan's names. */
function createPlan(ctx: Ctx, params: Params): Plan {
  if (params.id !== undefined && ctx.world.get(params.id)) {
    throw errors.paramState('Plan already exists.', 'id', 'resource_already_exists'); // twin's text (unverified)
  }
  const product = typeof params.product === 'string' ? { product: params.product } : { product_data: params.product };
  const price = createPrice(ctx, {
    ...product,
    active: params.active,
    billing_scheme: params.billing_scheme,
    currency: params.currency,
    metadata: params.metadata,
    nickname: params.nickname,
    recurring: { interval: params.interval, interval_count: params.interval_count, trial_period_days: params.trial_period_days, usage_type: params.usage_type, meter: params.meter },
    tiers: params.tiers,
    tiers_mode: params.tiers_mode,
    transform_quantity: params.transform_usage,
    unit_amount: params.amount,
    unit_amount_decimal: params.amount_decimal,
  }, params.id);
  return planOf(ctx, price);
}

function updatePlan(ctx: Ctx, price: Price, params: Params): Plan {
  const before = planOf(ctx, price);
  const { trial_period_days: trial, ...rest } = params;
  let updated = updatePrice(ctx, price, rest);
  if (trial !== undefined) updated = ctx.world.replace({ ...updated, recurring: { ...updated.recurring, trial_period_days: trial } });
  const after = planOf(ctx, updated);
  const previous = previousAttributes(before, after);
  if (previous) emit(ctx, 'plan.updated', after, previous);
  return after;
}

export const plans = defineResource<'plan', Plan>({
  object: 'plan',
  prefix: 'price',
  path: '/v1/plans',
  omit: ['tiers'],
  routes: { retrieve: false, list: false },
}).with(
  route('POST', '/v1/plans', 'plan', createPlan),
  route('GET', '/v1/plans/{plan}', 'plan', (ctx, _p, path) => planOf(ctx, recurringPrice(ctx, path.plan))),
  route('POST', '/v1/plans/{plan}', 'plan', (ctx, params, path) => updatePlan(ctx, recurringPrice(ctx, path.plan), params)),
  route('DELETE', '/v1/plans/{plan}', 'deleted_plan', (ctx, _p, path) => {
    const price = recurringPrice(ctx, path.plan);
    const plan = planOf(ctx, price);
    ctx.world.replace({ id: price.id, object: 'price', deleted: true });
    emit(ctx, 'price.deleted', price);
    emit(ctx, 'plan.deleted', plan);
    return { id: price.id, object: 'plan', deleted: true };
  }),
  route('GET', '/v1/plans', { list: 'plan' }, (ctx, params) => {
    const list = prices.list(ctx, { ...params, type: 'recurring' }, '/v1/plans');
    return { ...list, data: list.data.map((price) => planOf(ctx, price)) };
  }),
);

react('price.created', 'a recurring price is also a plan', (ctx, event: StripeEvent) => {
  const price = event.data.object as Price;
  if (price.type === 'recurring') emit(ctx, 'plan.created', planOf(ctx, price));
});
