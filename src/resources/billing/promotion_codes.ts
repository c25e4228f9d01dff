import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { checkCurrency } from '../../engine/money';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { Ctx, declareIndex, indexKey } from '../../engine/world';
import { Coupon, redeemable, refuse } from './coupons';

// Promotion codes (shape and rules from Stripe's types): a customer-facing code for a coupon, named at endive as
// `promotion[type]=coupon&promotion[coupon]=…` (the top-level `coupon` of older
// versions is an unknown parameter now). Codes are unique, whatever their case,
// among active codes; a code is active only while its coupon is valid, before
// `expires_at` and below `max_redemptions`. Update: active, metadata.

export type PromotionCode = Shaped<'promotion_code'>;

/** Generated codes: 8 letters and digits, mixed case (twin choice, from the world's id stream). */
const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const CODE = /^[a-zA-Z0-9-]+$/;

// Codes are listed by their coupon (`?coupon=`), which sits in promotion.coupon.
declareIndex('promotion_code', 'coupon', undefined, (code) => code.promotion?.coupon);

/** The code's active namesake that `code` would clash with: same text whatever the case, for the same customer or for everyone. */
function clash(ctx: Ctx, code: string, customer: string | null, self?: string): PromotionCode | undefined {
  for (const p of ctx.world.indexed('promotion_code', 'code', indexKey(code))) {
    const other = ctx.world.at<PromotionCode>('promotion_code', p);
    if (other.id === self || !other.active || other.code.toLowerCase() !== code.toLowerCase()) continue;
    // "unique across all active promotion codes for each customer" (Stripe's types): a code for
    // everyone clashes with any; codes for two different customers do not (twin's reading).
    if (other.customer === customer || other.customer === null || customer === null) return other;
  }
  return undefined;
}

function checkUnique(ctx: Ctx, code: string, customer: string | null, self?: string): void {
  // Stripe's text, as integrations quote it (a recording is not at hand).
  if (clash(ctx, code, customer, self)) throw refuse(`An active promotion code with \`code: ${code}\` already exists.`, 'code');
}

/** Whether a code may be redeemed at `at` (its coupon is checked by the caller). */
export function codeRedeemable(code: PromotionCode, at: number): boolean {
  return code.active && (code.expires_at === null || at < code.expires_at) && (code.max_redemptions === null || code.times_redeemed < code.max_redemptions);
}

/** Counts one redemption; the code goes inactive at max_redemptions. Stored without an event (twin choice). */
export function redeemCode(ctx: Ctx, code: PromotionCode): PromotionCode {
  const times = code.times_redeemed + 1;
  const active = code.active && (code.max_redemptions === null || times < code.max_redemptions);
  return ctx.world.replace({ ...code, times_redeemed: times, active });
}

/** Every active code of a coupon goes inactive (its coupon is no longer valid); stored without events (twin choice). */
export function deactivateCodesOf(ctx: Ctx, couponId: string): void {
  for (const p of ctx.world.indexed('promotion_code', 'coupon', indexKey(couponId))) {
    const code = ctx.world.at<PromotionCode>('promotion_code', p);
    if (code.active && code.promotion.coupon === couponId) ctx.world.replace({ ...code, active: false });
  }
}

function restrictionsOf(input: Params | undefined): Record<string, unknown> {
  const r = input ?? {};
  if (r.minimum_amount != null && r.minimum_amount_currency == null) throw errors.parameterMissing('restrictions[minimum_amount_currency]');
  if (r.minimum_amount == null && r.minimum_amount_currency != null) throw errors.parameterMissing('restrictions[minimum_amount]');
  return {
    first_time_transaction: r.first_time_transaction ?? false,
    minimum_amount: r.minimum_amount ?? null,
    minimum_amount_currency: r.minimum_amount_currency != null ? checkCurrency(r.minimum_amount_currency, 'restrictions[minimum_amount_currency]') : null,
  };
}

function createPromotionCode(ctx: Ctx, params: Params): PromotionCode {
  promotionCodes.unsupported('create', params);
  if (params.restrictions?.currency_options != null) throw errors.unsupportedParam('POST /v1/promotion_codes', 'restrictions[currency_options]');
  if (params.promotion.coupon == null) throw errors.parameterMissing('promotion[coupon]');
  const coupon = find<Coupon>(ctx, 'coupon', params.promotion.coupon, 'promotion[coupon]');
  const now = nowIn(ctx);
  // Twin's texts (unverified) for the refusals below; the rules are the types' (PromotionCodeCreateParams).
  if (!redeemable(coupon, now)) throw refuse(`Coupon ${coupon.id} is no longer valid.`, 'promotion[coupon]', 'coupon_expired');
  const customer = params.customer != null ? find(ctx, 'customer', params.customer, 'customer').id : null;
  const expiresAt: number | null = params.expires_at ?? null;
  if (expiresAt !== null && expiresAt <= now) throw refuse('`expires_at` must be in the future.', 'expires_at');
  if (expiresAt !== null && coupon.redeem_by !== null && expiresAt > coupon.redeem_by) {
    throw refuse("`expires_at` cannot be after the coupon's `redeem_by`.", 'expires_at');
  }
  const max: number | null = params.max_redemptions ?? null;
  if (max !== null && max < 1) throw refuse('Invalid max_redemptions: must be a positive integer.', 'max_redemptions', 'parameter_invalid_integer');
  if (max !== null && coupon.max_redemptions !== null && max > coupon.max_redemptions) {
    throw refuse("`max_redemptions` cannot be greater than the coupon's `max_redemptions`.", 'max_redemptions');
  }
  const restrictions = restrictionsOf(params.restrictions);
  const active = params.active ?? true;
  let code: string;
  if (params.code != null) {
    code = params.code;
    if (!CODE.test(code)) throw refuse('Invalid code: only letters, digits and dashes (-) may be used.', 'code');
    if (active) checkUnique(ctx, code, customer);
  } else {
    do code = ctx.world.ids.chars(8, CODE_ALPHABET);
    while (active && clash(ctx, code, customer));
  }
  const created = promotionCodes.insert(ctx, params, {
    active,
    code,
    customer,
    expires_at: expiresAt,
    max_redemptions: max,
    metadata: mergeMetadata(EMPTY, params.metadata),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions,
  });
  // At expires_at the code goes inactive, stored without an event (twin choice).
  if (expiresAt !== null) {
    scheduleIn(ctx, expiresAt, EXPIRE_CODE, { id: created.id });
  }
  return created;
}

const EXPIRE_CODE = declareTask<{ id: string }>('promotion_code.expire', (later, { id }) => {
  const current = later.world.get<PromotionCode>(id);
  if (current?.active) later.world.replace({ ...current, active: false });
});

function updatePromotionCode(ctx: Ctx, code: PromotionCode, params: Params): PromotionCode {
  if (params.restrictions?.currency_options != null) throw errors.unsupportedParam('POST /v1/promotion_codes/{promotion_code}', 'restrictions[currency_options]');
  if (params.active === true && !code.active) {
    // "can only be reactivated when the coupon is still valid and the promotion code is otherwise
    // redeemable" (Stripe's types); the text is the twin's (unverified).
    const coupon = ctx.world.get<Coupon>(code.promotion.coupon);
    const now = nowIn(ctx);
    const usable = { ...code, active: true };
    if (!coupon || coupon.deleted || !redeemable(coupon, now) || !codeRedeemable(usable, now)) {
      throw refuse('This promotion code cannot be reactivated.', 'active');
    }
    checkUnique(ctx, code.code, code.customer, code.id);
  }
  return promotionCodes.save(ctx, code, promotionCodes.apply(ctx, code, params));
}

export const promotionCodes = defineResource<'promotion_code', PromotionCode>({
  object: 'promotion_code',
  prefix: 'promo',
  path: '/v1/promotion_codes',
  name: 'promotion code',
  create: createPromotionCode,
  defaults: { active: true, metadata: EMPTY, times_redeemed: 0 },
  writable: {
    active: true,
    metadata: (value, current) => mergeMetadata(current, value),
  },
  unsupported: { create: ['customer_account'] },
  events: { created: 'promotion_code.created', updated: 'promotion_code.updated' },
  filters: ['active', 'customer'],
  indexes: ['code', 'customer', 'active'],
  routes: { update: false, list: false },
}).with(
  route('POST', '/v1/promotion_codes/{promotion_code}', 'promotion_code', (ctx, params, path) =>
    updatePromotionCode(ctx, promotionCodes.find(ctx, path.promotion_code), params),
  ),
  route('GET', '/v1/promotion_codes', { list: 'promotion_code' }, (ctx, params) => {
    if (params.customer_account != null) throw errors.unsupportedParam('GET /v1/promotion_codes', 'customer_account');
    const code: string | null = params.code ?? null;
    const coupon: string | null = params.coupon ?? null;
    return promotionCodes.list(
      ctx,
      params,
      '/v1/promotion_codes',
      (p) => (code === null || p.code.toLowerCase() === code.toLowerCase()) && (coupon === null || p.promotion.coupon === coupon),
      { code, coupon },
    );
  }),
);

// A code is active only while its coupon is valid: a deleted coupon's codes go
// inactive (its exhaustion is handled where redemptions are counted, ./discounts.ts;
// its redeem_by below).
react('coupon.deleted', "a deleted coupon's promotion codes go inactive", (ctx, event) => deactivateCodesOf(ctx, event.data.object.id));
react('coupon.created', "a coupon's promotion codes go inactive past its redeem_by", (ctx, event) => {
  const coupon = event.data.object as Coupon;
  if (coupon.redeem_by !== null) scheduleIn(ctx, coupon.redeem_by + 1, DEACTIVATE_CODES, { coupon: coupon.id });
});
const DEACTIVATE_CODES = declareTask<{ coupon: string }>('promotion_code.coupon_lapsed', (later, { coupon }) => deactivateCodesOf(later, coupon));
