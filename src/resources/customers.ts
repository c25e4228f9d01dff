import { errors } from '../engine/errors';
import { emit, previousAttributes } from '../engine/events';
import { registerIncludable } from '../engine/expand';
import { paginate } from '../engine/list';
import { Params } from '../engine/params';
import { metadataKeys, search } from '../engine/search';
import { Ctx, declareIndex, StripeObject } from '../engine/world';
import { address, EMPTY, find, given, mergeMetadata, route, shipping, unsupportedParams } from './common';
import { attachPaymentMethod, resolvePaymentMethod } from './payment_methods';

// Customers (stripe-behaviour.md §9): create, retrieve, update, delete, list,
// invoice_settings.default_payment_method, and the customer's PaymentMethods.

export type Customer = StripeObject & { object: 'customer'; invoice_settings: { default_payment_method: string | null } };

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

function invoiceSettings(current: Params, update: Params | null | undefined): Customer['invoice_settings'] {
  const u = update ?? {};
  return {
    custom_fields: given(u.custom_fields, current.custom_fields ?? null),
    default_payment_method: given(u.default_payment_method, current.default_payment_method ?? null),
    footer: given(u.footer, current.footer ?? null),
    rendering_options: given(u.rendering_options, current.rendering_options ?? null),
  } as Customer['invoice_settings'];
}

export function createCustomer(ctx: Ctx, params: Params): Customer {
  unsupportedParams('POST /v1/customers', params, ['cash_balance', 'coupon', 'promotion_code', 'source', 'tax', 'tax_id_data', 'test_clock']);
  checkEmail(params.email);
  const metadata = mergeMetadata(EMPTY, params.metadata);
  const { world } = ctx;
  // A magic payment_method may also be named as the default (Stripe CLI fixtures do this).
  const pm = params.payment_method ? resolvePaymentMethod(ctx, params.payment_method, 'payment_method') : null;
  const customer = world.insert<Customer>({
    id: world.ids.next('cus'),
    object: 'customer',
    address: address(params.address),
    balance: params.balance ?? 0,
    created: world.now(),
    currency: null,
    customer_account: null,
    default_source: null,
    delinquent: false,
    description: params.description ?? null,
    discount: null,
    email: params.email ?? null,
    invoice_prefix: params.invoice_prefix ?? world.ids.chars(8, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    invoice_settings: invoiceSettings({}, null),
    livemode: false,
    metadata,
    name: params.name ?? null,
    next_invoice_sequence: params.next_invoice_sequence ?? 1,
    phone: params.phone ?? null,
    preferred_locales: params.preferred_locales ?? [],
    shipping: shipping(params.shipping),
    tax_exempt: params.tax_exempt ?? 'none',
    test_clock: null,
  });
  emit(ctx, 'customer.created', customer);
  let current = customer;
  if (pm) attachPaymentMethod(ctx, pm, customer.id, 'payment_method');
  if (params.invoice_settings) {
    const settings = { ...params.invoice_settings };
    if (pm && settings.default_payment_method === params.payment_method) settings.default_payment_method = pm.id;
    checkDefaultPaymentMethod(ctx, customer.id, settings.default_payment_method);
    current = world.replace({ ...customer, invoice_settings: invoiceSettings(customer.invoice_settings, settings) });
  }
  return current;
}

function updateCustomer(ctx: Ctx, customer: Customer, params: Params): Customer {
  unsupportedParams('POST /v1/customers/{customer}', params, ['cash_balance', 'coupon', 'promotion_code', 'source', 'default_source', 'tax']);
  checkEmail(params.email);
  checkDefaultPaymentMethod(ctx, customer.id, params.invoice_settings?.default_payment_method);
  const next: Customer = {
    ...customer,
    address: params.address === undefined ? customer.address : address(params.address),
    balance: given(params.balance, customer.balance) ?? 0,
    description: given(params.description, customer.description),
    email: given(params.email, customer.email),
    invoice_prefix: given(params.invoice_prefix, customer.invoice_prefix),
    invoice_settings: invoiceSettings(customer.invoice_settings, params.invoice_settings),
    metadata: mergeMetadata(customer.metadata, params.metadata),
    name: given(params.name, customer.name),
    next_invoice_sequence: given(params.next_invoice_sequence, customer.next_invoice_sequence) ?? 1,
    phone: given(params.phone, customer.phone),
    preferred_locales: given(params.preferred_locales, customer.preferred_locales) ?? [],
    shipping: params.shipping === undefined ? customer.shipping : shipping(params.shipping),
    tax_exempt: given(params.tax_exempt, customer.tax_exempt) ?? 'none',
  };
  return saveCustomer(ctx, customer, next);
}

/** Stores a changed customer and emits customer.updated when anything changed. */
export function saveCustomer(ctx: Ctx, before: Customer, after: Customer): Customer {
  const previous = previousAttributes(before, after);
  if (!previous) return before;
  const saved = ctx.world.replace(after);
  emit(ctx, 'customer.updated', saved, previous);
  return saved;
}

/** Deleted customers keep a stub that GET still returns (§9). */
function retrieveCustomer(ctx: Ctx, id: string): StripeObject {
  const found = ctx.world.get(id);
  if (!found || found.object !== 'customer') throw errors.resourceMissing('customer', id);
  return found;
}

registerIncludable('customer', 'tax', {
  link: 'obj:customer_tax',
  compute: () => ({ automatic_tax: 'unrecognized_location', ip_address: null, location: null, provider: 'stripe' }),
});
registerIncludable('customer', 'invoice_credit_balance', { link: 'obj:invoice_credit_balance', compute: () => ({}) });

for (const field of ['email', 'name', 'phone']) declareIndex('customer', field);
declareIndex('customer', 'metadata', metadataKeys);

export const customerRoutes = [
  route('POST', '/v1/customers', 'customer', (ctx, params) => createCustomer(ctx, params)),
  route('GET', '/v1/customers/{customer}', 'customer', (ctx, _p, path) => retrieveCustomer(ctx, path.customer)),
  route('POST', '/v1/customers/{customer}', 'customer', (ctx, params, path) =>
    updateCustomer(ctx, find<Customer>(ctx, 'customer', path.customer), params),
  ),
  route('DELETE', '/v1/customers/{customer}', 'deleted_customer', (ctx, _p, path) => {
    const customer = find<Customer>(ctx, 'customer', path.customer);
    const stub = { id: customer.id, object: 'customer', deleted: true };
    ctx.world.replace(stub);
    emit(ctx, 'customer.deleted', customer);
    return stub;
  }),
  route('GET', '/v1/customers/search', { list: 'customer' }, (ctx, params) =>
    search(ctx.world, 'customer', '/v1/customers/search', params, {
      created: { read: (c) => c.created, number: true },
      email: { read: (c) => c.email },
      metadata: { read: (c) => c.metadata },
      name: { read: (c) => c.name },
      phone: { read: (c) => c.phone },
    }),
  ),
  route('GET', '/v1/customers', { list: 'customer' }, (ctx, params) =>
    paginate<Customer>(ctx.world, 'customer', '/v1/customers', params, (c) => !c.deleted && (params.email == null || c.email === params.email), {
      email: params.email,
    }),
  ),
  route('GET', '/v1/customers/{customer}/payment_methods', { list: 'payment_method' }, (ctx, params, path) => {
    const customer = find<Customer>(ctx, 'customer', path.customer);
    return paginate(ctx.world, 'payment_method', `/v1/customers/${customer.id}/payment_methods`, params, (pm) =>
      pm.customer === customer.id && (params.type == null || pm.type === params.type),
    { customer: customer.id });
  }),
  route('GET', '/v1/customers/{customer}/payment_methods/{payment_method}', 'payment_method', (ctx, _p, path) => {
    const customer = find<Customer>(ctx, 'customer', path.customer);
    const pm = find(ctx, 'payment_method', path.payment_method, 'payment_method', 'PaymentMethod');
    if (pm.customer !== customer.id) throw errors.resourceMissing('PaymentMethod', path.payment_method, 'payment_method');
    return pm;
  }),
];
