import { errors, StripeError } from '../../engine/errors';
import { registerIncludable } from '../../engine/expand';
import { checkCurrency } from '../../engine/money';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { defineResource, EMPTY, mergeMetadata, route, Shaped } from '../../engine/resource';
import { Ctx, indexKey } from '../../engine/world';
import { defaultPriceFact, products } from './products';

// Prices (Stripe's types for the shape; docs/billing.md §1.2–§1.7): one-time and
// recurring, per-unit and tiered (graduated, volume), transform_quantity,
// custom_unit_amount, lookup keys (unique over every price, transferable),
// product_data. Amounts, currency, recurring and tiers are fixed once created:
// the update operation has no such parameters. No DELETE route (Stripe has none).
// A recurring price is also a legacy Plan with the same id (./plans.ts).

export type Price = Shaped<'price'>;

/** A price Stripe refuses: nothing the request did is kept (a product_data product included). */
const invalid = (message: string, param?: string) =>
  new StripeError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) }, 'validation');

/** Tiers are stored beside the price (an includable field: `expand[]=tiers`). */
const tiersFact = (id: string) => `price_tiers:${id}`;

function tiersOf(input: Params[] | undefined): Record<string, unknown>[] {
  return (input ?? []).map((t) => ({
    flat_amount: t.flat_amount ?? null,
    flat_amount_decimal: t.flat_amount_decimal ?? (t.flat_amount != null ? String(t.flat_amount) : null),
    unit_amount: t.unit_amount ?? null,
    unit_amount_decimal: t.unit_amount_decimal ?? (t.unit_amount != null ? String(t.unit_amount) : null),
    // The last tier is sent as up_to=inf and printed null.
    up_to: t.up_to === 'inf' ? null : Number(t.up_to),
  }));
}

/** The price holding `lookupKey`, active or not (keys are unique over every price). */
function holderOf(ctx: Ctx, lookupKey: string) {
  for (const p of ctx.world.indexed('price', 'lookup_key', indexKey(lookupKey))) {
    const price = ctx.world.at<Price>('price', p);
    if (price.lookup_key === lookupKey) return price;
  }
  return undefined;
}

/** Takes `lookupKey` for `priceId`: a conflict is Stripe's 400, unless `transfer` moves it (the holder gets price.updated). */
function claimLookupKey(ctx: Ctx, lookupKey: string | null | undefined, transfer: boolean | undefined, priceId: string): void {
  if (!lookupKey) return;
  const holder = holderOf(ctx, lookupKey);
  if (!holder || holder.id === priceId) return;
  if (!transfer) throw invalid(`A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key');
  prices.save(ctx, holder, { ...holder, lookup_key: null });
}

/** Creates a price (POST /v1/prices, a product's default_price_data); `id` when the caller reserved one. */
export function createPrice(ctx: Ctx, params: Params, id?: string): Price {
  prices.unsupported('create', params);
  if (!params.product && !params.product_data) throw invalid('You must specify either `product` or `product_data` when creating a price.');
  if (params.product && params.product_data) throw errors.onlyOneOf(['product', 'product_data'], 'product');
  const currency = checkCurrency(params.currency);
  const tiered = params.billing_scheme === 'tiered';
  const custom = params.custom_unit_amount?.enabled ? params.custom_unit_amount : null;
  if (tiered) {
    if (!params.recurring) throw invalid('Prices with `type=one_time` are not supported with tiered billing.', 'interval');
    if (!params.tiers_mode) throw errors.paramState('Missing required param: tiers_mode.', 'tiers_mode', 'parameter_missing');
    if (!params.tiers?.length) throw errors.paramState('Missing required param: tiers.', 'tiers', 'parameter_missing');
  } else if (params.unit_amount == null && params.unit_amount_decimal == null && !custom) {
    throw invalid('Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set.');
  }
  const recurring = params.recurring;
  if (recurring?.usage_type === 'metered' && !recurring.meter) {
    throw invalid('Starting with Stripe version `2025-03-31.basil`, metered prices must be backed by meters.', 'recurring[meter]');
  }
  if (recurring?.meter) throw errors.unsupportedParam('POST /v1/prices', 'recurring[meter]');
  const product = params.product
    ? products.find(ctx, params.product, 'product')
    : products.insert(ctx, params.product_data, { id: products.newId(ctx), updated: ctx.world.now() });
  const priceId = id ?? prices.newId(ctx);
  claimLookupKey(ctx, params.lookup_key, params.transfer_lookup_key, priceId);
  const perUnit = !tiered && !custom;
  const price = prices.insert(ctx, params, {
    id: priceId,
    billing_scheme: tiered ? 'tiered' : 'per_unit',
    currency,
    custom_unit_amount: custom ? { maximum: custom.maximum ?? null, minimum: custom.minimum ?? null, preset: custom.preset ?? null } : null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    product: product.id,
    recurring: recurring
      ? {
          interval: recurring.interval,
          interval_count: recurring.interval_count ?? 1,
          meter: null,
          trial_period_days: recurring.trial_period_days ?? null,
          usage_type: recurring.usage_type ?? 'licensed',
        }
      : null,
    tiers_mode: tiered ? params.tiers_mode : null,
    transform_quantity: params.transform_quantity ? { divide_by: params.transform_quantity.divide_by, round: params.transform_quantity.round } : null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: perUnit ? params.unit_amount ?? null : null,
    unit_amount_decimal: perUnit ? params.unit_amount_decimal ?? String(params.unit_amount) : null,
  });
  if (tiered) ctx.world.facts.set(tiersFact(price.id), Object.freeze(tiersOf(params.tiers)));
  return price;
}

export function updatePrice(ctx: Ctx, price: Price, params: Params): Price {
  prices.unsupported('update', params);
  if (params.tax_behavior != null && price.tax_behavior !== 'unspecified' && params.tax_behavior !== price.tax_behavior) {
    // Fixed once inclusive or exclusive (Stripe's types); the text is the twin's (unverified).
    throw invalid(`tax_behavior cannot be changed once it is ${price.tax_behavior}.`, 'tax_behavior');
  }
  if (params.lookup_key !== undefined) claimLookupKey(ctx, params.lookup_key, params.transfer_lookup_key, price.id);
  return prices.save(ctx, price, prices.apply(ctx, price, params));
}

registerIncludable('price', 'tiers', { link: 'arr:price_tier', compute: (ctx, price) => ctx.world.facts.get(tiersFact(price.id)) ?? null });

export const prices = defineResource<'price', Price>({
  object: 'price',
  prefix: 'price',
  path: '/v1/prices',
  create: (ctx, params) => createPrice(ctx, params),
  omit: ['currency_options', 'tiers'],
  defaults: { active: true, metadata: EMPTY, tax_behavior: 'unspecified' },
  writable: {
    active: true,
    lookup_key: true,
    metadata: (value, current) => mergeMetadata(current, value),
    nickname: true,
    tax_behavior: (value, current) => value ?? current,
  },
  unsupported: { create: ['currency_options'], update: ['currency_options'] },
  events: { created: 'price.created', updated: 'price.updated' },
  filters: ['active', 'currency', 'product', 'type'],
  indexes: ['product', 'lookup_key', 'metadata'],
  search: { active: 'text', created: 'number', currency: 'text', lookup_key: 'text', metadata: 'metadata', product: 'text', type: 'text' },
  routes: { update: false, list: false },
}).with(
  route('POST', '/v1/prices/{price}', 'price', (ctx, params, path) => updatePrice(ctx, prices.find(ctx, path.price), params)),
  route('GET', '/v1/prices', { list: 'price' }, (ctx, params) => {
    const keys: string[] | undefined = params.lookup_keys ?? undefined;
    const recurring: Params | undefined = params.recurring ?? undefined;
    return prices.list(ctx, params, '/v1/prices', (p) =>
      (!keys || (p.lookup_key !== null && keys.includes(p.lookup_key))) &&
      (!recurring || (p.recurring !== null && Object.entries(recurring).every(([k, v]) => p.recurring[k] === v))),
    );
  }),
);

// A product made with default_price_data gets its price right after product.created
// (the product holds the price's id already; twin's order, unverified).
react('product.created', 'a product created with default_price_data gets that price', (ctx, event) => {
  const product = event.data.object;
  const data = ctx.world.facts.get(defaultPriceFact(product.id)) as Params | undefined;
  if (!data) return;
  ctx.world.facts.delete(defaultPriceFact(product.id));
  createPrice(ctx, { ...data, product: product.id }, product.default_price);
});
