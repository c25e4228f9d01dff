import { errors } from '../../engine/errors';
import { nowIn } from '../../engine/clock';
import { Params } from '../../engine/params';
import { defineResource, find, Shaped } from '../../engine/resource';
import { Ctx, indexKey } from '../../engine/world';
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
  return entries.map((entry: Params | null, i) => {
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
      return existing.id;
    }
    return e.coupon != null ? couponDiscount(ctx, e.coupon, target, `${at_}[coupon]`, at) : codeDiscount(ctx, e.promotion_code, target, `${at_}[promotion_code]`, at);
  });
}

/** A new discount of coupon `id`, redeemed; `param` names it in errors. */
function couponDiscount(ctx: Ctx, id: string, target: DiscountTarget, param: string, at: number): string {
  const coupon = find<Coupon>(ctx, 'coupon', id, param);
  if (!redeemable(coupon, at)) throw couponNotValid(coupon, param);
  const discount = newDiscount(ctx, coupon, null, target, at);
  redeem(ctx, coupon, null);
  return discount.id;
}

/** A new discount of promotion code `id` (its restrictions checked), redeemed; `param` names it in errors. */
function codeDiscount(ctx: Ctx, id: string, target: DiscountTarget, codeParam: string, at: number): string {
  const code = find<PromotionCode>(ctx, 'promotion_code', id, codeParam, 'promotion code');
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
  const discount = newDiscount(ctx, coupon, code, target, at);
  redeem(ctx, coupon, code);
  return discount.id;
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
 * A customer's `coupon` or `promotion_code` parameter, which set the customer's discount
 * before 2025-03-31.basil (docs/versions.md; refused from basil on): the new discount
 * (redeemed), `null` for an empty value (remove the discount), or `undefined` when
 * neither was sent. The customer endpoints make it the customer's.
 */
export function customerCoupon(ctx: Ctx, customerId: string, params: Params): Discount | null | undefined {
  const given = (['coupon', 'promotion_code'] as const).filter((k) => params[k] !== undefined);
  if (!given.length) return undefined;
  if (given.length > 1) throw errors.onlyOneOf(given, given[0]); // twin's pairing (unverified)
  if (params[given[0]] === null) return null;
  const at = nowIn(ctx);
  const target = { customer: customerId };
  const id = given[0] === 'coupon' ? couponDiscount(ctx, params.coupon, target, 'coupon', at) : codeDiscount(ctx, params.promotion_code, target, 'promotion_code', at);
  return ctx.world.get<Discount>(id)!;
}
