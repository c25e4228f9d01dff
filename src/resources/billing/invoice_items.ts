import { nowIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { checkCurrency } from '../../engine/money';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';
import { applyDiscounts } from './discounts';
import { instant } from './periods';
import { Price, prices } from './prices';
import { products } from './products';

// Invoice items (docs/billing.md §4.4): pending on the
// customer until an invoice takes them, or put on a draft with `invoice=`.
// Priced by `pricing[price]`, `price_data` or a bare `amount`; a bare amount
// still shows `pricing.price_details` of an inline price made for it, as
// recorded. Updatable and deletable only while pending or on a draft. Events
// invoiceitem.created and invoiceitem.deleted (Stripe has no .updated).

export type InvoiceItem = Shaped<'invoiceitem'>;

/** Inline prices (and their product) are kept silent and inactive, as Stripe's are (their events unverified). */
function inlinePrice(ctx: Ctx, currency: string, unitAmountDecimal: string, productId: string | null, name: string): Price {
  const product = productId
    ? products.find(ctx, productId, 'price_data[product]')
    : ctx.world.insert(products.build(ctx, {}, { active: false, name, updated: nowIn(ctx) }));
  return ctx.world.insert(
    prices.build(ctx, {}, {
      active: false,
      billing_scheme: 'per_unit',
      currency,
      product: product.id,
      tax_behavior: 'unspecified',
      type: 'one_time',
      unit_amount: Number.isInteger(Number(unitAmountDecimal)) ? Number(unitAmountDecimal) : null,
      unit_amount_decimal: unitAmountDecimal,
    }),
  );
}

/** The draft an item may be put on or changed on; Stripe's E35 otherwise. */
function editableInvoice(ctx: Ctx, invoiceId: string, param: string) {
  const invoice = find(ctx, 'invoice', invoiceId, param);
  if (invoice.status !== 'draft') throw errors.paramState("Finalized invoices can't be updated in this way", param, 'invoice_not_editable');
  return invoice;
}

/** The item's price, unit amount and amount from what the request gave. */
function pricing(ctx: Ctx, params: Params, quantity: number, description: string | null, customerCurrency: string | null = null) {
  const priceId = params.pricing?.price ?? params.price;
  if (priceId) {
    const price = prices.find(ctx, priceId, 'pricing[price]');
    if (price.type === 'recurring') {
      // Stripe's types: invoice items take one-time prices (text unverified).
      throw errors.paramState(`The price specified is set to \`type=recurring\` but this field only accepts prices with \`type=one_time\`.`, 'pricing[price]');
    }
    const unit = price.unit_amount_decimal as string;
    return { price, currency: price.currency as string, unit, amount: Math.round(Number(unit) * quantity) };
  }
  if (params.price_data) {
    const d = params.price_data;
    const currency = checkCurrency(d.currency, 'price_data[currency]');
    const unit = d.unit_amount_decimal ?? String(d.unit_amount ?? 0);
    const price = inlinePrice(ctx, currency, unit, d.product, description ?? '');
    return { price, currency, unit, amount: Math.round(Number(unit) * quantity) };
  }
  if (params.amount === undefined && params.unit_amount_decimal === undefined) throw errors.parameterMissing('amount');
  // Without `currency`, the customer's, else the account's default (USD): a recorded item sent only an amount.
  const currency = checkCurrency(params.currency ?? customerCurrency ?? 'usd');
  const unit = params.unit_amount_decimal ?? String(params.amount / quantity);
  const amount = params.amount ?? Math.round(Number(unit) * quantity);
  return { price: inlinePrice(ctx, currency, unit, null, description ?? ''), currency, unit, amount };
}

function createInvoiceItem(ctx: Ctx, params: Params): InvoiceItem {
  invoiceItems.unsupported('create', params);
  if (!params.customer) throw errors.parameterMissing('customer');
  const customer = find(ctx, 'customer', params.customer, 'customer');
  const invoice = params.invoice ? editableInvoice(ctx, params.invoice, 'invoice') : null;
  const quantity = params.quantity ?? 1;
  const description = params.description ?? null;
  const { price, currency, unit, amount } = pricing(ctx, params, quantity, description, customer.currency ?? null);
  const now = nowIn(ctx);
  const id = invoiceItems.newId(ctx);
  const item = invoiceItems.insert(ctx, params, {
    id,
    amount,
    currency,
    customer: customer.id,
    date: now,
    description,
    discounts: params.discounts ? applyDiscounts(ctx, params.discounts, { customer: customer.id, invoice_item: id }, 'discounts', now) : [],
    invoice: invoice?.id ?? null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    parent: params.subscription ? { subscription_details: { subscription: params.subscription, subscription_item: null }, type: 'subscription_details' } : null,
    period: params.period ? { end: params.period.end, start: params.period.start } : instant(now),
    pricing: { price_details: { price: price.id, product: price.product }, type: 'price_details', unit_amount_decimal: unit },
    quantity,
    quantity_decimal: String(quantity),
    tax_rates: params.tax_rates ?? [],
    test_clock: customer.test_clock ?? null,
  });
  if (invoice) itemAdded(ctx, invoice.id, item);
  return item;
}

/**
 * Called when an item lands on a draft (set by ./invoices.ts, which owns
 * the line it becomes): invoice items and invoices need each other, and the
 * hook keeps the imports one way.
 */
let itemAdded: (ctx: Ctx, invoiceId: string, item: InvoiceItem) => void = () => {};
let itemChanged: (ctx: Ctx, item: InvoiceItem, removed: boolean) => void = () => {};
export function onInvoiceItemChanges(added: typeof itemAdded, changed: typeof itemChanged): void {
  itemAdded = added;
  itemChanged = changed;
}

function updateInvoiceItem(ctx: Ctx, item: InvoiceItem, params: Params): InvoiceItem {
  invoiceItems.unsupported('update', params);
  if (item.invoice) editableInvoice(ctx, item.invoice, 'invoiceitem');
  let next = invoiceItems.apply(ctx, item, params);
  if (params.amount !== undefined || params.quantity !== undefined || params.price_data || params.pricing || params.unit_amount_decimal !== undefined) {
    const quantity = params.quantity ?? item.quantity;
    const priced = params.price_data || params.pricing
      ? pricing(ctx, params, quantity, next.description)
      : { unit: params.unit_amount_decimal ?? item.pricing.unit_amount_decimal, price: null, currency: item.currency, amount: 0 };
    const amount = params.amount ?? Math.round(Number(priced.unit) * quantity);
    next = {
      ...next,
      amount,
      quantity,
      quantity_decimal: String(quantity),
      pricing: { ...item.pricing, ...(priced.price ? { price_details: { price: priced.price.id, product: priced.price.product } } : {}), unit_amount_decimal: priced.unit },
    };
  }
  const saved = invoiceItems.save(ctx, item, next, []);
  if (saved !== item) itemChanged(ctx, saved, false);
  return saved;
}

export const invoiceItems = defineResource<'invoiceitem', InvoiceItem>({
  object: 'invoiceitem',
  prefix: 'ii',
  path: '/v1/invoiceitems',
  create: createInvoiceItem,
  omit: ['frozen_fields', 'invoicing_rules', 'net_amount', 'proration_details'],
  defaults: { discountable: true, discounts: [], metadata: EMPTY, proration: false, quantity: 1, quantity_decimal: '1', tax_rates: [] },
  writable: {
    description: true,
    discountable: true,
    metadata: (value, current) => mergeMetadata(current, value),
    period: (value) => ({ end: value.end, start: value.start }),
    tax_rates: (value) => value ?? [],
  },
  unsupported: { create: ['customer_account', 'tax_behavior', 'tax_code'], update: ['tax_behavior', 'tax_code', 'discounts'] },
  events: { created: 'invoiceitem.created', deleted: 'invoiceitem.deleted' },
  filters: ['customer', 'invoice'],
  indexes: ['customer', 'invoice'],
  routes: { update: false },
  delete: {
    retrievable: false,
    response: 'deleted_invoiceitem',
    refuse: (ctx, item) => {
      if (item.invoice) editableInvoice(ctx, item.invoice as string, 'invoiceitem');
    },
    after: (ctx, item) => itemChanged(ctx, item as InvoiceItem, true),
  },
}).with(
  route('POST', '/v1/invoiceitems/{invoiceitem}', 'invoiceitem', (ctx, params, path) => updateInvoiceItem(ctx, invoiceItems.find(ctx, path.invoiceitem), params)),
);

/** What a proration credit gives back: the invoice and lines that billed the time (kept beside the item; its field is not in the endive shape). */
export interface CreditedItems {
  invoice: string;
  invoice_line_items: string[];
}
const creditedFact = (item: string) => `credited_items:${item}`;
export function setCreditedItems(ctx: Ctx, item: string, credited: CreditedItems): void {
  ctx.world.facts.set(creditedFact(item), credited);
}
export function creditedItemsOf(ctx: Ctx, item: string): CreditedItems | null {
  return (ctx.world.facts.get(creditedFact(item)) as CreditedItems | undefined) ?? null;
}

/** Pending items of a customer (on no invoice yet), newest first; `subscription` narrows to one subscription's. */
export function pendingItems(ctx: Ctx, customer: string, subscription?: string): InvoiceItem[] {
  const out: InvoiceItem[] = [];
  const positions = ctx.world.indexed('invoiceitem', 'customer', customer.toLowerCase());
  for (let i = positions.length - 1; i >= 0; i--) {
    const item = ctx.world.at<InvoiceItem>('invoiceitem', positions[i]);
    if (item.deleted || item.invoice) continue;
    const of = item.parent?.subscription_details?.subscription ?? null;
    if (subscription !== undefined && of !== subscription) continue;
    out.push(item);
  }
  return out;
}
