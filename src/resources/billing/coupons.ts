import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { registerIncludable } from '../../engine/expand';
import { checkCurrency } from '../../engine/money';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';
import { addMonths } from '../common';

// Coupons (shape and rules from Stripe's types, values from recorded captures):
// a percentage or an amount off, for one invoice (`once`), some months (`repeating`) or `forever`;
// caller-chosen ids; `max_redemptions` and `redeem_by` folded into `valid`;
// `applies_to[products]` shown only when expanded. Only name and metadata change
// after create. Deleting stops new redemptions; discounts already made keep the
// coupon's terms (./discounts.ts reads them through couponTerms).

export type Coupon = Shaped<'coupon'>;

/** A refusal raised before anything is stored: the request changes nothing. */
export const refuse = (message: string, param?: string, code?: string) =>
  new StripeError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) }, 'validation');

/** The products a coupon is limited to (applies_to[products]), kept beside it: an includable field. */
const appliesToFact = (id: string) => `coupon_applies_to:${id}`;
/** A deleted coupon's last terms, for the discounts made while it lived. */
const deletedFact = (id: string) => `deleted_coupon:${id}`;

/** Generated ids: 8 upper-case letters and digits, the form of Stripe's generated coupon ids in its published fixtures (uncertain). */
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const FIVE_YEARS = 5 * 365 * 86400;
const MAX_TIME = 253402300799;

/** A live coupon's terms, or a deleted coupon's as they were when it was deleted. */
export function couponTerms(ctx: Ctx, id: string): Coupon | undefined {
  const coupon = ctx.world.get<Coupon>(id);
  if (coupon && coupon.object === 'coupon' && !coupon.deleted) return coupon;
  return ctx.world.facts.get(deletedFact(id)) as Coupon | undefined;
}

/** The products a coupon applies to, or null when it applies to everything. */
export function appliesToProducts(ctx: Ctx, couponId: string): readonly string[] | null {
  const appliesTo = ctx.world.facts.get(appliesToFact(couponId)) as { products: string[] } | undefined;
  return appliesTo ? appliesTo.products : null;
}

/** Whether a coupon may be redeemed at `at`: still `valid` and `redeem_by` not passed. */
export function redeemable(coupon: Coupon, at: number): boolean {
  return coupon.valid && (coupon.redeem_by === null || at <= coupon.redeem_by);
}

/**
 * Counts one redemption (a discount made from the coupon); the coupon stops being
 * valid when it reaches max_redemptions. Stored without an event: Stripe's event
 * list has none for a redemption (twin choice).
 */
export function redeemCoupon(ctx: Ctx, coupon: Coupon): Coupon {
  const times = coupon.times_redeemed + 1;
  const valid = coupon.valid && (coupon.max_redemptions === null || times < coupon.max_redemptions);
  return ctx.world.replace({ ...coupon, times_redeemed: times, valid });
}

function createCoupon(ctx: Ctx, params: Params): Coupon {
  coupons.unsupported('create', params);
  const { world } = ctx;
  if (params.id != null && world.get(params.id)) {
    // The code is Stripe's for a reused custom id; the text is the twin's (unverified).
    // A deleted coupon's id stays taken here (twin choice).
    throw refuse('Coupon already exists.', 'id', 'resource_already_exists');
  }
  const percentOff: number | null = params.percent_off ?? null;
  const amountOff: number | null = params.amount_off ?? null;
  if (percentOff !== null && amountOff !== null) throw errors.onlyOneOf(['amount_off', 'percent_off'], 'amount_off');
  // Twin's texts (unverified) for the checks below; the rules are the types' (CouponCreateParams).
  if (percentOff === null && amountOff === null) throw refuse('You must pass either `percent_off` or `amount_off`.', 'percent_off');
  if (percentOff !== null && !(percentOff > 0 && percentOff <= 100)) throw refuse('Invalid percent_off: must be greater than 0 and at most 100.', 'percent_off');
  if (amountOff !== null && amountOff < 1) throw refuse('Invalid amount_off: must be a positive integer.', 'amount_off', 'parameter_invalid_integer');
  if (amountOff !== null && params.currency == null) throw errors.parameterMissing('currency');
  if (amountOff === null && params.currency != null) throw refuse('`currency` may only be given with `amount_off`.', 'currency');
  const currency = amountOff !== null ? checkCurrency(params.currency) : null;
  const duration: string = params.duration ?? 'once';
  if (duration === 'repeating' && params.duration_in_months == null) throw errors.parameterMissing('duration_in_months');
  if (duration !== 'repeating' && params.duration_in_months != null) throw refuse('`duration_in_months` may only be given when `duration` is `repeating`.', 'duration_in_months');
  if (params.duration_in_months != null && params.duration_in_months < 1) throw refuse('Invalid duration_in_months: must be a positive integer.', 'duration_in_months', 'parameter_invalid_integer');
  // A discount's `end` must stay a date (the twin's bound, as for its clock: 9999-12-31).
  if (params.duration_in_months != null && !(addMonths(nowIn(ctx), params.duration_in_months) <= MAX_TIME)) {
    throw refuse('Invalid duration_in_months: too many months.', 'duration_in_months', 'parameter_invalid_integer');
  }
  if (params.max_redemptions != null && params.max_redemptions < 1) throw refuse('Invalid max_redemptions: must be a positive integer.', 'max_redemptions', 'parameter_invalid_integer');
  const now = nowIn(ctx);
  const redeemBy: number | null = params.redeem_by ?? null;
  if (redeemBy !== null && redeemBy <= now) throw refuse('`redeem_by` must be in the future.', 'redeem_by');
  if (redeemBy !== null && redeemBy > now + FIVE_YEARS) throw refuse('`redeem_by` can be at most five years in the future.', 'redeem_by');
  const products: string[] | null = params.applies_to?.products ?? null;
  products?.forEach((id, i) => find(ctx, 'product', id, `applies_to[products][${i}]`));

  let id: string = params.id ?? world.ids.chars(8, ID_ALPHABET);
  while (!params.id && world.get(id)) id = world.ids.chars(8, ID_ALPHABET);
  if (products) world.facts.set(appliesToFact(id), Object.freeze({ products: Object.freeze([...products]) }));
  const coupon = coupons.insert(ctx, params, {
    id,
    amount_off: amountOff,
    currency,
    duration,
    duration_in_months: duration === 'repeating' ? params.duration_in_months : null,
    max_redemptions: params.max_redemptions ?? null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    percent_off: percentOff,
    redeem_by: redeemBy,
  });
  // Past redeem_by the coupon is no longer valid; the lapse is stored without an event (twin choice).
  if (redeemBy !== null) {
    scheduleIn(ctx, redeemBy + 1, LAPSE, { id });
  }
  return coupon;
}

const LAPSE = declareTask<{ id: string }>('coupon.lapse', (later, { id }) => {
  const current = later.world.get<Coupon>(id);
  if (current && current.object === 'coupon' && !current.deleted && current.valid) later.world.replace({ ...current, valid: false });
});

registerIncludable('coupon', 'applies_to', { link: 'obj:coupon_applies_to', compute: (ctx, coupon) => ctx.world.facts.get(appliesToFact(coupon.id)) });

export const coupons = defineResource<'coupon', Coupon>({
  object: 'coupon',
  prefix: 'coupon',
  path: '/v1/coupons',
  create: createCoupon,
  omit: ['applies_to', 'currency_options'],
  defaults: { metadata: EMPTY, times_redeemed: 0, valid: true },
  writable: {
    metadata: (value, current) => mergeMetadata(current, value),
    name: true,
  },
  unsupported: { create: ['currency_options'], update: ['currency_options'] },
  events: { created: 'coupon.created', updated: 'coupon.updated', deleted: 'coupon.deleted' },
  delete: {
    retrievable: false,
    response: 'deleted_coupon',
    after: (ctx, coupon) => ctx.world.facts.set(deletedFact(coupon.id), coupon),
  },
});
