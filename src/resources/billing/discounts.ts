import { errors, StripeError } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { Params } from '../../engine/params';
import { defineResource, find, route, Shaped } from '../../engine/resource';
import { Ctx, indexKey, StripeObject } from '../../engine/world';
import type { Customer } from '../core/customers';
import { saveCustomer } from '../core/customers';
import { addMonths } from '../common';
import { appliesToProducts, Coupon, couponTerms, redeemable, redeemCoupon, refuse } from './coupons';
import { codeRedeemable, deactivateCodesOf, PromotionCode, redeemCode } from './promotion_codes';

// Discounts (shape and rules from Stripe's types, values from recorded captures):
// a coupon applied somewhere — a customer, subscription, subscription item, invoice, invoice item
// or Checkout Session — from `start` to `end`. `di_…` objects are stored but have
// no routes of their own; they are reached through what holds them (`discounts`
// ids, expandable, and the customer's `discount`). Since 2025-09-30.clover a
// discount names its coupon as `source: {coupon: <id>, type: "coupon"}`, the id
// expandable (`expand[]=…discount.source.coupon`, as a recorded capture shows).
// Resolving a `discounts` parameter, redemption counts and the amount a discount
// takes off live here, for invoices and subscriptions to call.

export type Discount = Shaped<'discount'>;

/** Where a discount applies (all optional except customer, which may be null for checkout). */
export interface DiscountTarget {
  customer: string | null;
  subscription?: string | null;
  subscription_item?: string | null;
  invoice?: string | null;
  invoice_item?: string | null;
  checkout_session?: string | null;
}

export const discounts = defineResource<'discount', Discount>({
  object: 'discount',
  prefix: 'di',
  path: null,
});

/** Coupons Stripe refuses to redeem carry the coupon_expired code (Stripe's error-code list); the text is the twin's (unverified). */
const couponNotValid = (coupon: Coupon, param: string) => refuse(`Coupon ${coupon.id} is no longer valid.`, param, 'coupon_expired');

/** Whether the customer has paid before: a succeeded charge or a paid invoice of theirs. */
function hasPriorTransactions(ctx: Ctx, customer: string): boolean {
  const paid = (object: string, status: string) =>
    ctx.world.indexed(object, 'customer', indexKey(customer)).some((p) => {
      const obj = ctx.world.at(object, p);
      return obj.customer === customer && obj.status === status;
    });
  return paid('charge', 'succeeded') || paid('invoice', 'paid');
}

function newDiscount(ctx: Ctx, coupon: Coupon, code: PromotionCode | null, target: DiscountTarget, at: number): Discount {
  return discounts.insert(ctx, {}, {
    checkout_session: target.checkout_session ?? null,
    customer: target.customer,
    end: coupon.duration === 'repeating' ? addMonths(at, coupon.duration_in_months) : null,
    invoice: target.invoice ?? null,
    invoice_item: target.invoice_item ?? null,
    promotion_code: code ? code.id : null,
    source: { coupon: coupon.id, type: 'coupon' },
    start: at,
    subscription: target.subscription ?? null,
    subscription_item: target.subscription_item ?? null,
  });
}

/** One redemption of `coupon` (and of `code`): counts it, and a coupon used up takes its codes down with it. */
function redeem(ctx: Ctx, coupon: Coupon, code: PromotionCode | null): void {
  const after = redeemCoupon(ctx, coupon);
  if (!after.valid) deactivateCodesOf(ctx, coupon.id);
  if (code) redeemCode(ctx, ctx.world.get<PromotionCode>(code.id)!);
}

/**
 * Resolves a `discounts` param (array of {coupon} | {promotion_code} | {discount}, or '' meaning none) into
 * discount ids, validating (coupon exists and is valid, promotion code active and its restrictions, an existing
 * `discount` id belonging to the same customer), creating di_ objects and counting redemptions
 * (coupon.times_redeemed, promotion code times_redeemed). `param` is the request param name for errors,
 * e.g. 'discounts'.
 */
export function applyDiscounts(ctx: Ctx, entries: unknown, target: DiscountTarget, param: string, at: number): string[] {
  if (entries === undefined || entries === null || entries === '') return [];
  if (!Array.isArray(entries)) throw errors.invalidArray(param);
  const ids: string[] = [];
  entries.forEach((entry: Params | null, i) => {
    const at_ = `${param}[${i}]`;
    const given = ['coupon', 'discount', 'promotion_code'].filter((k) => entry?.[k] != null);
    if (given.length > 1) throw errors.onlyOneOf(given, at_);
    // Twin's text (unverified).
    if (given.length === 0) throw refuse('Each discount needs one of `coupon`, `discount` or `promotion_code`.', at_);
    const e = entry as Params;
    if (e.discount != null) {
      const existing = find<Discount>(ctx, 'discount', e.discount, `${at_}[discount]`);
      if (existing.customer !== target.customer) {
        throw refuse(`The discount ${existing.id} belongs to another customer.`, `${at_}[discount]`); // twin's text (unverified)
      }
      ids.push(existing.id);
      return;
    }
    if (e.coupon != null) {
      const coupon = find<Coupon>(ctx, 'coupon', e.coupon, `${at_}[coupon]`);
      if (!redeemable(coupon, at)) throw couponNotValid(coupon, `${at_}[coupon]`);
      ids.push(newDiscount(ctx, coupon, null, target, at).id);
      redeem(ctx, coupon, null);
      return;
    }
    const codeParam = `${at_}[promotion_code]`;
    const code = find<PromotionCode>(ctx, 'promotion_code', e.promotion_code, codeParam, 'promotion code');
    // Twin's texts (unverified) but the prior-transactions one, which integrations quote.
    if (!codeRedeemable(code, at)) throw refuse('This promotion code cannot be redeemed because it is inactive, expired or used up.', codeParam);
    if (code.customer !== null && code.customer !== target.customer) {
      throw refuse('This promotion code cannot be redeemed by this customer.', codeParam);
    }
    if (code.restrictions.first_time_transaction && target.customer !== null && hasPriorTransactions(ctx, target.customer)) {
      throw refuse('This promotion code cannot be redeemed because the associated customer has prior transactions.', codeParam, 'promotion_code_customer_not_first_time');
    }
    const coupon = find<Coupon>(ctx, 'coupon', code.promotion.coupon, codeParam);
    if (!redeemable(coupon, at)) throw couponNotValid(coupon, codeParam);
    ids.push(newDiscount(ctx, coupon, code, target, at).id);
    redeem(ctx, coupon, code);
  });
  return ids;
}

/**
 * Refuses discounts from promotion codes whose `restrictions.minimum_amount` the purchase (`amount` in
 * `currency`, before discounts) does not reach; for the caller to run once it knows the amount. The
 * refusal rolls back the discounts applyDiscounts made in the same request.
 */
export function checkMinimumAmount(ctx: Ctx, discountIds: readonly string[], amount: number, currency: string, param: string): void {
  discountIds.forEach((id, i) => {
    const codeId = ctx.world.get<Discount>(id)?.promotion_code;
    const code = codeId ? ctx.world.get<PromotionCode>(codeId) : undefined;
    const r = code?.restrictions;
    if (!r || r.minimum_amount === null) return;
    if (r.minimum_amount_currency !== currency || amount < r.minimum_amount) {
      throw refuse('This promotion code cannot be redeemed because the associated purchase does not meet the minimum amount requirement.', `${param}[${i}][promotion_code]`);
    }
  });
}

/** `amount × percent / 100`, rounded half up to the minor unit, in exact integer arithmetic. */
function percentOf(amount: number, percent: number): number {
  const micro = BigInt(Math.round(percent * 1_000_000)); // percent in millionths: percent_off has few decimals
  const scale = 100_000_000n;
  return Number((BigInt(amount) * micro * 2n + scale) / (2n * scale));
}

/**
 * The amount a discount takes off `amount` (minor units) in `currency`: percent_off rounded half-up to the
 * minor unit, amount_off capped at `amount`; 0 when the coupon's currency differs or applies_to excludes
 * `product`.
 */
export function discountAmount(ctx: Ctx, discountId: string, amount: number, currency: string, product?: string | null): number {
  const discount = ctx.world.get<Discount>(discountId);
  const coupon = discount && couponTerms(ctx, discount.source.coupon);
  if (!coupon || amount <= 0) return 0;
  const products = appliesToProducts(ctx, coupon.id);
  if (products && (!product || !products.includes(product))) return 0;
  if (coupon.percent_off !== null) return Math.min(amount, percentOf(amount, coupon.percent_off));
  return coupon.currency === currency ? Math.min(amount, coupon.amount_off) : 0;
}

/** Whether the discount still applies to an invoice for a period starting at `at` (`end` not reached; `once` handled by the caller). */
export function discountApplies(ctx: Ctx, discountId: string, at: number): boolean {
  const discount = ctx.world.get<Discount>(discountId);
  return Boolean(discount) && (discount!.end === null || at < discount!.end);
}

/** Whether the discount's coupon lasts one invoice only (`duration: once`). */
export function appliesOnce(ctx: Ctx, discountId: string): boolean {
  const discount = ctx.world.get<Discount>(discountId);
  return Boolean(discount) && couponTerms(ctx, discount!.source.coupon)?.duration === 'once';
}

/**
 * Makes `discountId` the customer's discount (its `discount` field shows the whole
 * object), announced by customer.discount.created, or .updated when it replaces
 * another, then customer.updated (order: twin choice, unverified). For seeding:
 * at endive no API parameter sets a customer's discount.
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

discounts.with(
  route('DELETE', '/v1/customers/{customer}/discount', 'deleted_discount', (ctx, _p, path) => {
    const customer = find<Customer>(ctx, 'customer', path.customer, 'id');
    const discount = customer.discount as Discount | null;
    if (!discount) {
      // Twin's text (unverified): the customer has no discount to remove.
      const message = `No active discount for customer: '${customer.id}'`;
      throw new StripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message }, 'validation');
    }
    emit(ctx, 'customer.discount.deleted', discount);
    saveCustomer(ctx, customer, { ...customer, discount: null });
    return deletedDiscount(discount);
  }),
);
