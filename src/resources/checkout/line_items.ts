import { errors, StripeError } from '../../engine/errors';
import { registerIncludable } from '../../engine/expand';
import { checkLimit, ListResult } from '../../engine/list';
import { Params } from '../../engine/params';
import { defineResource, find, Shaped } from '../../engine/resource';
import { Ctx, StripeObject, World } from '../../engine/world';
import { createPrice, Price } from '../billing/prices';

// Line items (`item` objects, `li_…`) of Checkout Sessions and Payment Links:
// made from `line_items[]` (`price`, or `price_data` which makes an inline price,
// and its product with `product_data`, through the prices module), kept beside
// their owner (never in the object: `GET …/line_items` or `expand[]=line_items`),
// with the amounts a per-unit price gives. Stripe's types for the shape; amounts
// without discounts or taxes (neither is modeled).

export type LineItem = Shaped<'item'>;

const lineItems = defineResource<'item', LineItem>({
  object: 'item',
  prefix: 'li',
  path: '/v1/checkout/sessions/{session}/line_items',
  // Sent only when expanded (line_items.data.discounts, .taxes).
  omit: ['discounts', 'taxes'],
  routes: { retrieve: false, list: false },
});

const itemsFact = (ownerId: string) => `line_items:${ownerId}`;

/** The line items of a session or payment link, in the order given. */
export function lineItemsOf(world: World, ownerId: string): readonly LineItem[] {
  return (world.facts.get(itemsFact(ownerId)) as readonly LineItem[] | undefined) ?? [];
}

/** What `line_items[]` amount to: the items (not yet stored), their currency, whether any recurs, the total. */
export interface PricedItems {
  items: LineItem[];
  currency: string | null;
  recurring: boolean;
  oneTime: boolean;
  subtotal: number;
}

const refused = (message: string, param?: string) =>
  new StripeError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) }, 'validation');

/** A price's amount for `quantity` units: per-unit prices only (tiers, custom amounts and transforms are not modeled: 501). */
function amountOf(price: Price, quantity: number, param: string): number {
  if (price.billing_scheme !== 'per_unit' || price.custom_unit_amount || price.transform_quantity) {
    throw errors.unsupportedBehaviour(`Checkout line items whose price is tiered, customer-chosen or transformed (${param})`);
  }
  const unit = price.unit_amount ?? Number(price.unit_amount_decimal);
  return Math.round(unit * quantity);
}

/** The price of `line_items[i]`: an existing active price, or an inline one made from `price_data`. */
function priceOf(ctx: Ctx, input: Params, at: string): Price {
  if (input.price && input.price_data) throw errors.onlyOneOf(['price', 'price_data'], `${at}[price]`);
  if (input.price) {
    const price = find<Price>(ctx, 'price', input.price, `${at}[price]`);
    // Twin's text (unverified): Stripe refuses archived prices here.
    if (!price.active) throw refused(`The price \`${price.id}\` is not active.`, `${at}[price]`);
    return price;
  }
  if (!input.price_data) throw errors.parameterMissing(`${at}[price]`);
  // Inline prices are made inactive (they cannot be reused); the price and its
  // product_data product are announced like any other (twin choice, unrecorded).
  return createPrice(ctx, { ...input.price_data, active: false });
}

/**
 * Prices and amounts of `line_items[]` (`at` names the parameter). Nothing is
 * stored but inline prices; `store` keeps the items for their owner.
 */
export function priceLineItems(ctx: Ctx, input: Params[] | null | undefined, at = 'line_items'): PricedItems {
  const out: PricedItems = { items: [], currency: null, recurring: false, oneTime: false, subtotal: 0 };
  (input ?? []).forEach((line, i) => {
    const param = `${at}[${i}]`;
    for (const name of ['adjustable_quantity', 'dynamic_tax_rates', 'tax_rates', 'discounts', 'metadata']) {
      if (line[name] != null) throw errors.unsupportedParam(`POST ${at}`, `${param}[${name}]`);
    }
    if (line.quantity == null) throw errors.parameterMissing(`${param}[quantity]`);
    const price = priceOf(ctx, line, param);
    if (out.currency && price.currency !== out.currency) {
      // Twin's text (unverified).
      throw refused('All line items must use the same currency.', `${param}[price]`);
    }
    out.currency = price.currency;
    if (price.type === 'recurring') out.recurring = true;
    else out.oneTime = true;
    const amount = amountOf(price, line.quantity, param);
    out.subtotal += amount;
    const product = ctx.world.get(price.product);
    out.items.push(
      lineItems.build(ctx, {}, {
        amount_discount: 0,
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        currency: price.currency,
        description: product?.name ?? null,
        price,
        quantity: line.quantity,
      }),
    );
  });
  return out;
}

/** Keeps `items` as the line items of `ownerId`. */
export function storeLineItems(world: World, ownerId: string, items: readonly LineItem[]): void {
  world.facts.set(itemsFact(ownerId), Object.freeze([...items]));
}

/** Copies of `items` with new ids, for a new owner (a session made from a payment link). */
export function copyLineItems(ctx: Ctx, items: readonly LineItem[]): LineItem[] {
  return items.map((item) => ({ ...item, id: lineItems.newId(ctx) }));
}

/** A page of an owner's line items, in their order, with Stripe's cursors. */
export function listLineItems(world: World, ownerId: string, url: string, params: Params): ListResult<LineItem> {
  const items = lineItemsOf(world, ownerId);
  const limit = checkLimit(params.limit);
  const { starting_after: after, ending_before: before } = params;
  if (after && before) throw errors.onlyOneOf(['ending_before', 'starting_after'], 'ending_before');
  const at = (id: string, param: string) => {
    const i = items.findIndex((item) => item.id === id);
    if (i === -1) throw errors.resourceMissing('item', id, param);
    return i;
  };
  let from = after ? at(after, 'starting_after') + 1 : 0;
  let to = items.length;
  if (before) {
    to = at(before, 'ending_before');
    from = Math.max(0, to - limit);
  }
  const data = items.slice(from, Math.min(to, from + limit));
  return { object: 'list', data, has_more: before ? from > 0 : from + data.length < to, url };
}

/** `expand[]=line_items` on a session or payment link: the first page of its items. */
export function includeLineItems(object: string, path: (owner: StripeObject) => string): void {
  registerIncludable(object, 'line_items', { link: 'list:item', compute: (ctx, owner) => listLineItems(ctx.world, owner.id, path(owner), {}) });
}
