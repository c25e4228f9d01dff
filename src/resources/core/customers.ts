import { inClock, onTestClock } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { registerIncludable } from '../../engine/expand';
import { paginate } from '../../engine/list';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { Ctx, StripeObject } from '../../engine/world';
import { address, given, shipping } from '../common';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { customerCoupon } from '../billing/discounts';
import type { Discount } from '../billing/discounts';
import { attachPaymentMethod, resolvePaymentMethod } from '../payments/payment_methods';
import { announceSource, cardsOf, removeSource, sourceCard } from '../payments/sources';
import type { Card } from '../payments/sources';

// Customers (docs/stripe-facts.md §9): create, retrieve, update, delete, list,
// invoice_settings.default_payment_method, and the customer's PaymentMethods.
// A customer made with `test_clock` lives on that test clock (./test_clocks.ts):
// dated by it, left out of plain lists, deleted with it.

export type Customer = Shaped<'customer'>;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function checkEmail(email: string | null | undefined): void {
  if (email && !EMAIL.test(email)) throw errors.paramState(`Invalid email address: ${email}`, 'email', 'email_invalid');
}

/** E36: the default payment method must be attached to this customer. */
function checkDefaultPaymentMethod(ctx: Ctx, customerId: string, pmId: string | null | undefined): void {
  if (!pmId) return;
  const pm = ctx.world.get(pmId);
  if (!pm || pm.object !== 'payment_method' || pm.customer !== customerId) {
    throw errors.paramState(
      `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
      'invoice_settings[default_payment_method]',
    );
  }
}

function invoiceSettings(current: Params, update: Params | null | undefined): Params {
  const u = update ?? {};
  return {
    custom_fields: given(u.custom_fields, current.custom_fields ?? null),
    default_payment_method: given(u.default_payment_method, current.default_payment_method ?? null),
    footer: given(u.footer, current.footer ?? null),
    rendering_options: given(u.rendering_options, current.rendering_options ?? null),
  };
}

/**
 * The context whose clock is the customer's test clock, if it has one (else ctx
 * unchanged). Work done for a customer's objects runs in it: what it creates is
 * dated by the clock, and what it schedules waits for the clock to advance.
 */
export function onCustomerClock(ctx: Ctx, customer: { test_clock: string | null } | string): Ctx {
  if (typeof customer !== 'string') return onTestClock(ctx, customer.test_clock);
  const found = ctx.world.get(customer);
  return found?.object === 'customer' ? onTestClock(ctx, found.test_clock) : ctx;
}

export function createCustomer(ctx: Ctx, params: Params): Customer {
  customers.unsupported('create', params);
  if (params.test_clock != null) {
    // Attached at creation only (the update operation has no test_clock). A missing
    // clock is answered as for the list filter (inferred: no recording of this one).
    const clock = ctx.world.testClock(params.test_clock);
    if (!clock) throw errors.testClockMissing(params.test_clock, 'test_clock');
    ctx = inClock(ctx, clock);
  }
  checkEmail(params.email);
  // A magic payment_method may also be named as the default (Stripe CLI fixtures do this).
  const pm = params.payment_method ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method') : null;
  const id = customers.newId(ctx);
  // `source` saves a card and makes it the default (docs/legacy.md, Customer sources); a declining card stops the creation.
  const card = params.source != null ? sourceCard(ctx, params.source, 'source', id) : null;
  // Before basil a coupon or promotion code gave the customer its discount (docs/versions.md).
  const discount = customerCoupon(ctx, id, params);
  const customer = customers.insert(ctx, params, {
    id,
    default_source: card?.id ?? null,
    discount: discount ?? null,
    invoice_prefix: params.invoice_prefix ?? ctx.world.ids.chars(8, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    invoice_settings: invoiceSettings({}, null),
  });
  if (discount) emit(ctx, 'customer.discount.created', discount);
  if (card) announceSource(ctx, card);
  if (pm) attachPaymentMethod(ctx, pm, customer.id, 'payment_method');
  if (!params.invoice_settings) return customer;
  const settings = { ...params.invoice_settings };
  if (pm && settings.default_payment_method === params.payment_method) settings.default_payment_method = pm.id;
  checkDefaultPaymentMethod(ctx, customer.id, settings.default_payment_method);
  return ctx.world.replace({ ...customer, invoice_settings: invoiceSettings(customer.invoice_settings, settings) });
}

function updateCustomer(ctx: Ctx, customer: Customer, params: Params): Customer {
  customers.unsupported('update', params);
  checkEmail(params.email);
  checkDefaultPaymentMethod(ctx, customer.id, params.invoice_settings?.default_payment_method);
  const next = customers.apply(ctx, customer, params);
  if (params.default_source != null) {
    // Must be one of the customer's sources [parity SSM: param "source"]; text (uncertain).
    const source = ctx.world.get(params.default_source);
    if (!source || source.deleted || source.customer !== customer.id) throw errors.resourceMissing('source', params.default_source, 'source');
    next.default_source = source.id;
  }
  if (params.source == null) return withCoupon(ctx, customers.save(ctx, customer, next), params);
  // A new source replaces the default: the card is saved, made the default, and the
  // previous default source is deleted (Stripe's text for the `source` parameter).
  const card = sourceCard(ctx, params.source, 'source', customer.id);
  const previous = customer.default_source ? ctx.world.get<Card>(customer.default_source) : undefined;
  const saved = customers.save(ctx, customer, { ...next, default_source: card.id });
  announceSource(ctx, card);
  if (previous && !previous.deleted && previous.object === 'card') removeSource(ctx, previous);
  return withCoupon(ctx, ctx.world.get<Customer>(saved.id)!, params);
}

/** The customer after an update's `coupon` / `promotion_code` (before basil, docs/versions.md): its discount set, replaced or removed. */
function withCoupon(ctx: Ctx, customer: Customer, params: Params): Customer {
  const discount = customerCoupon(ctx, customer.id, params);
  if (discount) setCustomerDiscount(ctx, customer.id, discount.id);
  else if (discount === null && customer.discount) removeCustomerDiscount(ctx, customer, customer.discount as Discount);
  return ctx.world.get<Customer>(customer.id)!;
}

/**
 * Makes `discountId` the customer's discount (its `discount` field shows the whole
 * object), announced by customer.discount.created, or .updated when it replaces
 * another, then customer.updated (order: twin choice, unverified).
 */
export function setCustomerDiscount(ctx: Ctx, customerId: string, discountId: string): void {
  const customer = find<Customer>(ctx, 'customer', customerId, 'customer');
  const discount = find<Discount>(ctx, 'discount', discountId, 'discount');
  const previous = customer.discount as Discount | null;
  if (previous?.id === discount.id) return;
  if (previous) emit(ctx, 'customer.discount.updated', discount, previousAttributes(previous, discount) ?? {});
  else emit(ctx, 'customer.discount.created', discount);
  saveCustomer(ctx, customer, { ...customer, discount });
}

/** Ends the customer's discount: customer.discount.deleted, then customer.updated. */
function removeCustomerDiscount(ctx: Ctx, customer: Customer, discount: Discount): void {
  emit(ctx, 'customer.discount.deleted', discount);
  saveCustomer(ctx, customer, { ...customer, discount: null });
}

/** A deleted discount as DELETE answers it: the types' DeletedDiscount, which has no `end`. */
function deletedDiscount(d: Discount): StripeObject {
  return {
    id: d.id,
    object: 'discount',
    checkout_session: d.checkout_session,
    customer: d.customer,
    customer_account: d.customer_account,
    deleted: true,
    invoice: d.invoice,
    invoice_item: d.invoice_item,
    promotion_code: d.promotion_code,
    source: d.source,
    start: d.start,
    subscription: d.subscription,
    subscription_item: d.subscription_item,
  };
}

/** Stores a changed customer and emits customer.updated when anything changed. */
export const saveCustomer = (ctx: Ctx, before: Customer, after: Customer): Customer => customers.save(ctx, before, after);

// A detached default payment method is no longer the customer's default.
react('payment_method.detached', "a customer's default payment method is cleared when detached", (ctx, event) => {
  const customer = ctx.world.get<Customer>(event.data.previous_attributes!.customer as string);
  if (!customer || customer.deleted || customer.invoice_settings.default_payment_method !== event.data.object.id) return;
  saveCustomer(ctx, customer, { ...customer, invoice_settings: { ...customer.invoice_settings, default_payment_method: null } });
});

// A customer's first source becomes its default; deleting the default makes the
// newest remaining source the default, or none (B3.1 [parity SSM, set-or-unset only];
// which one is the twin's choice). customer.updated announces the change.
react('customer.source.created', "a customer's first source becomes its default source", (ctx, event) => {
  const customer = ctx.world.get<Customer>(event.data.object.customer as string);
  if (!customer || customer.deleted || customer.default_source) return;
  saveCustomer(ctx, customer, { ...customer, default_source: event.data.object.id });
});
react('customer.source.deleted', "a deleted default source is replaced by the customer's newest remaining one", (ctx, event) => {
  const customer = ctx.world.get<Customer>(event.data.object.customer as string);
  if (!customer || customer.deleted || customer.default_source !== event.data.object.id) return;
  saveCustomer(ctx, customer, { ...customer, default_source: cardsOf(ctx, customer.id)[0]?.id ?? null });
});

// `sources` only when expanded (B3.1 [parity SSM; sdk `sources?`]).
registerIncludable('customer', 'sources', {
  link: 'list:card',
  compute: (ctx, customer) => {
    const data = cardsOf(ctx, customer.id);
    return { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/customers/${customer.id}/sources` };
  },
});

// Deleting a test clock deletes its customers, each as DELETE /v1/customers/:id
// would (customer.deleted, dated by the clock, after test_helpers.test_clock.deleted;
// the order is the twin's choice). What hangs off a customer (subscriptions,
// invoices…) reacts to customer.deleted, on either path.
react('test_helpers.test_clock.deleted', "a deleted test clock's customers are deleted with it", (ctx, event) => {
  const clock = event.data.object.id;
  for (const run of ctx.world.runs('customer', clock)) {
    for (let i = run.from; i < run.to; i++) {
      const customer = ctx.world.at<Customer>('customer', run.positions ? run.positions[i] : i);
      if (!customer.deleted && customer.test_clock === clock) customers.remove(ctx, customer);
    }
  }
});

registerIncludable('customer', 'tax', {
  link: 'obj:customer_tax',
  compute: () => ({ automatic_tax: 'unrecognized_location', ip_address: null, location: null, provider: 'stripe' }),
});
// Credit per currency, positive for a credit (the opposite sign of `balance`); the
// twin keeps one balance currency per customer, and shows none while it is 0 (twin choice).
registerIncludable('customer', 'invoice_credit_balance', {
  link: 'obj:invoice_credit_balance',
  compute: (_ctx, customer) => (customer.currency && customer.balance ? { [customer.currency]: -customer.balance } : {}),
});

const orDefault = (fallback: unknown) => (value: unknown) => value ?? fallback;

export const customers = defineResource<'customer', Customer>({
  object: 'customer',
  prefix: 'cus',
  path: '/v1/customers',
  create: (ctx, params) => createCustomer(ctx, params),
  omit: ['business_name', 'cash_balance', 'individual_name', 'invoice_credit_balance', 'sources', 'subscriptions', 'tax', 'tax_ids'],
  defaults: { balance: 0, delinquent: false, metadata: EMPTY, next_invoice_sequence: 1, preferred_locales: [], tax_exempt: 'none' },
  writable: {
    address: (value) => address(value),
    balance: orDefault(0),
    description: true,
    email: true,
    invoice_prefix: true,
    invoice_settings: (value, current) => invoiceSettings(current, value),
    metadata: (value, current) => mergeMetadata(current, value),
    name: true,
    next_invoice_sequence: orDefault(1),
    phone: true,
    preferred_locales: orDefault([]),
    shipping: (value) => shipping(value),
    tax_exempt: orDefault('none'),
  },
  unsupported: {
    create: ['cash_balance', 'tax', 'tax_id_data'],
    update: ['cash_balance', 'tax'],
  },
  events: { created: 'customer.created', updated: 'customer.updated', deleted: 'customer.deleted' },
  filters: ['email'],
  indexes: ['email', 'name', 'phone', 'metadata'],
  search: { created: 'number', email: 'text', metadata: 'metadata', name: 'text', phone: 'text' },
  // Deleted customers keep a stub that GET still returns (docs/stripe-facts.md §9).
  delete: { retrievable: true, response: 'deleted_customer' },
  // `test_clock` comes from the context; GET /v1/customers shows a clock's customers only with `test_clock=`.
  clockScoped: true,
  routes: { update: false },
}).with(
  route('POST', '/v1/customers/{customer}', 'customer', (ctx, params, path) => updateCustomer(ctx, customers.find(ctx, path.customer), params)),
  route('GET', '/v1/customers/{customer}/payment_methods', { list: 'payment_method' }, (ctx, params, path) => {
    const customer = customers.find(ctx, path.customer);
    return paginate(ctx.world, 'payment_method', `/v1/customers/${customer.id}/payment_methods`, params, (pm) =>
      pm.customer === customer.id && (params.type == null || pm.type === params.type),
    { customer: customer.id });
  }),
  route('GET', '/v1/customers/{customer}/payment_methods/{payment_method}', 'payment_method', (ctx, _p, path) => {
    const customer = customers.find(ctx, path.customer);
    const pm = find(ctx, 'payment_method', path.payment_method, 'payment_method', 'PaymentMethod');
    if (pm.customer !== customer.id) throw errors.resourceMissing('PaymentMethod', path.payment_method, 'payment_method');
    return pm;
  }),
);

customers.with(
  route('DELETE', '/v1/customers/{customer}/discount', 'deleted_discount', (ctx, _p, path) => {
    const customer = find<Customer>(ctx, 'customer', path.customer, 'id');
    const discount = customer.discount as Discount | null;
    if (!discount) {
      // Twin's text (unverified): the customer has no discount to remove.
      const message = `No active discount for customer: '${customer.id}'`;
      throw new StripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message }, 'validation');
    }
    removeCustomerDiscount(ctx, customer, discount);
    return deletedDiscount(discount);
  }),
);
