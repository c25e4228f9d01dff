import { Params } from '../../src/engine/params';
import { Route } from '../../src/engine/resource';
import { Twin } from '../../src/engine/twin';
import { refusal } from '../helpers';
import { Ctx, StripeObject } from '../../src/engine/world';
import { coupons } from '../../src/resources/billing/coupons';
import { applyDiscounts, checkMinimumAmount, discountAmount, discountApplies, Discount } from '../../src/resources/billing/discounts';
import { addMonths } from '../../src/resources/common';
import { promotionCodes } from '../../src/resources/billing/promotion_codes';
import { customers } from '../../src/resources/core/customers';
import '../../src/resources'; // every resource's indexes, as in a running twin

// What invoices and subscriptions call (src/resources/billing/discounts.ts):
// resolving a `discounts` parameter into di_ objects with redemption counts,
// and the amount a discount takes off.

const JAN_31 = Date.UTC(2026, 0, 31) / 1000;

function setup() {
  const twin = new Twin({ seed: 1 });
  const world = twin.world('sk_test_discounts');
  const ctx: Ctx = { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
  const handler = (routes: Route[], method: string, path: string) => routes.find((r) => r.method === method && r.path === path)!.handler;
  const call = (routes: Route[], method: string, path: string, params: Params, pathParams: Record<string, string> = {}) =>
    world.transaction(() => handler(routes, method, path)(ctx, params, pathParams)) as StripeObject;
  const coupon = (params: Params) => call(coupons.routes, 'POST', '/v1/coupons', params);
  const code = (params: Params) => call(promotionCodes.routes, 'POST', '/v1/promotion_codes', params);
  const customer = () => call(customers.routes, 'POST', '/v1/customers', {}).id;
  const apply = (entries: unknown, target: { customer: string | null; subscription?: string }) =>
    world.transaction(() => applyDiscounts(ctx, entries, target, 'discounts', world.now()));
  const get = <T extends StripeObject>(id: string) => world.get<T>(id)!;
  return { ctx, world, coupon, code, customer, apply, get, call };
}


describe('applyDiscounts', () => {
  it('makes one di_ per coupon or promotion code, counts redemptions, and reuses a discount of the same customer', () => {
    const s = setup();
    const cus = s.customer();
    s.coupon({ id: 'TEN', percent_off: 10, duration: 'repeating', duration_in_months: 3 });
    const promo = s.code({ promotion: { type: 'coupon', coupon: 'TEN' }, code: 'TENOFF' });
    const ids = s.apply([{ coupon: 'TEN' }, { promotion_code: promo.id }], { customer: cus, subscription: 'sub_x' });
    expect(ids).toHaveLength(2);
    const [a, b] = ids.map((id) => s.get<Discount>(id));
    expect(a).toMatchObject({ object: 'discount', customer: cus, subscription: 'sub_x', invoice: null, promotion_code: null, source: { coupon: 'TEN', type: 'coupon' } });
    expect(b).toMatchObject({ promotion_code: promo.id, source: { coupon: 'TEN', type: 'coupon' } });
    expect(a.end).toBe(addMonths(a.start, 3));
    expect(s.get('TEN')).toMatchObject({ times_redeemed: 2, valid: true });
    expect(s.get(promo.id)).toMatchObject({ times_redeemed: 1, active: true });
    // An existing discount is reused as is: no new object, no redemption.
    expect(s.apply([{ discount: a.id }], { customer: cus })).toEqual([a.id]);
    expect(s.get('TEN').times_redeemed).toBe(2);
    expect(refusal(() => s.apply([{ discount: a.id }], { customer: s.customer() }))).toMatchObject({ status: 400, fields: { param: 'discounts[0][discount]' } });
    expect(s.apply('', { customer: cus })).toEqual([]);
    expect(s.apply(undefined, { customer: cus })).toEqual([]);
  });

  it("refuses what Stripe refuses and keeps nothing of the request", () => {
    const s = setup();
    const cus = s.customer();
    s.coupon({ id: 'ONCE', amount_off: 500, currency: 'usd', max_redemptions: 1 });
    const before = s.world.count('discount');
    expect(refusal(() => s.apply([{ coupon: 'ONCE' }, { coupon: 'MISSING' }], { customer: cus }))).toMatchObject({
      status: 400, fields: { code: 'resource_missing', param: 'discounts[1][coupon]', message: "No such coupon: 'MISSING'" },
    });
    expect(s.world.count('discount')).toBe(before);
    expect(s.get('ONCE').times_redeemed).toBe(0);
    expect(refusal(() => s.apply([{ coupon: 'ONCE', promotion_code: 'promo_x' }], { customer: cus }))).toMatchObject({
      fields: { param: 'discounts[0]', message: 'You may only specify one of these parameters: coupon, promotion_code.' },
    });
    s.apply([{ coupon: 'ONCE' }], { customer: cus });
    expect(s.get('ONCE')).toMatchObject({ times_redeemed: 1, valid: false });
    expect(refusal(() => s.apply([{ coupon: 'ONCE' }], { customer: cus }))).toMatchObject({ fields: { code: 'coupon_expired', param: 'discounts[0][coupon]' } });
  });

  it('checks a promotion code: its customer, first-time transactions, minimum amount, and being active', () => {
    const s = setup();
    const mine = s.customer();
    const other = s.customer();
    s.coupon({ id: 'VIP', percent_off: 30 });
    const personal = s.code({ promotion: { type: 'coupon', coupon: 'VIP' }, customer: mine });
    expect(refusal(() => s.apply([{ promotion_code: personal.id }], { customer: other }))).toMatchObject({ fields: { param: 'discounts[0][promotion_code]' } });
    const firstTime = s.code({ promotion: { type: 'coupon', coupon: 'VIP' }, restrictions: { first_time_transaction: true } });
    s.world.transaction(() => s.world.insert({ id: 'ch_paid', object: 'charge', customer: other, status: 'succeeded', created: s.world.now() }));
    expect(refusal(() => s.apply([{ promotion_code: firstTime.id }], { customer: other }))).toMatchObject({
      fields: { code: 'promotion_code_customer_not_first_time', message: 'This promotion code cannot be redeemed because the associated customer has prior transactions.' },
    });
    expect(s.apply([{ promotion_code: firstTime.id }], { customer: mine })).toHaveLength(1);
    const minimum = s.code({ promotion: { type: 'coupon', coupon: 'VIP' }, restrictions: { minimum_amount: 5000, minimum_amount_currency: 'usd' } });
    const ids = s.apply([{ coupon: 'VIP' }, { promotion_code: minimum.id }], { customer: mine });
    expect(refusal(() => checkMinimumAmount(s.ctx, ids, 4999, 'usd', 'discounts'))).toMatchObject({
      fields: { param: 'discounts[1][promotion_code]', message: 'This promotion code cannot be redeemed because the associated purchase does not meet the minimum amount requirement.' },
    });
    expect(() => checkMinimumAmount(s.ctx, ids, 5000, 'usd', 'discounts')).not.toThrow();
    s.call(promotionCodes.routes, 'POST', '/v1/promotion_codes/{promotion_code}', { active: false }, { promotion_code: minimum.id });
    expect(refusal(() => s.apply([{ promotion_code: minimum.id }], { customer: mine }))).toMatchObject({ status: 400 });
    expect(refusal(() => s.apply([{ promotion_code: 'promo_nope' }], { customer: mine }))).toMatchObject({ fields: { message: "No such promotion code: 'promo_nope'" } });
  });
});

describe('discountAmount and discountApplies', () => {
  it('rounds percentages half up to the minor unit and caps amounts off', () => {
    const s = setup();
    const cus = s.customer();
    s.coupon({ id: 'P10', percent_off: 10 });
    s.coupon({ id: 'P125', percent_off: 12.5 });
    s.coupon({ id: 'P3333', percent_off: 33.33 });
    s.coupon({ id: 'A500', amount_off: 500, currency: 'usd' });
    const [p10, p125, p3333, a500] = s.apply([{ coupon: 'P10' }, { coupon: 'P125' }, { coupon: 'P3333' }, { coupon: 'A500' }], { customer: cus });
    expect(discountAmount(s.ctx, p10, 2500, 'usd')).toBe(250); // the recorded subscription discount
    expect(discountAmount(s.ctx, p10, 2505, 'usd')).toBe(251); // 250.5 rounds up
    expect(discountAmount(s.ctx, p10, 2504, 'usd')).toBe(250);
    expect(discountAmount(s.ctx, p125, 4, 'usd')).toBe(1); // 0.5 rounds up
    expect(discountAmount(s.ctx, p125, 3, 'usd')).toBe(0); // 0.375
    expect(discountAmount(s.ctx, p3333, 10000, 'usd')).toBe(3333);
    expect(discountAmount(s.ctx, p3333, 99_999_999, 'jpy')).toBe(33_330_000); // 33,329,999.67
    expect(discountAmount(s.ctx, a500, 1900, 'usd')).toBe(500);
    expect(discountAmount(s.ctx, a500, 300, 'usd')).toBe(300);
    expect(discountAmount(s.ctx, a500, 1900, 'eur')).toBe(0);
    expect(discountAmount(s.ctx, a500, 0, 'usd')).toBe(0);
    expect(discountAmount(s.ctx, 'di_missing', 1000, 'usd')).toBe(0);
  });

  it('takes nothing off products a coupon does not apply to, and keeps a deleted coupon\'s terms', () => {
    const s = setup();
    const cus = s.customer();
    s.world.transaction(() => s.world.insert({ id: 'prod_seat', object: 'product', created: s.world.now() }));
    s.coupon({ id: 'SEATS', percent_off: 50, applies_to: { products: ['prod_seat'] } });
    const [d] = s.apply([{ coupon: 'SEATS' }], { customer: cus });
    expect(discountAmount(s.ctx, d, 1900, 'usd', 'prod_seat')).toBe(950);
    expect(discountAmount(s.ctx, d, 1900, 'usd', 'prod_other')).toBe(0);
    expect(discountAmount(s.ctx, d, 1900, 'usd')).toBe(0);
    s.call(coupons.routes, 'DELETE', '/v1/coupons/{coupon}', {}, { coupon: 'SEATS' });
    expect(discountAmount(s.ctx, d, 1900, 'usd', 'prod_seat')).toBe(950);
  });

  it('applies until `end`: repeating coupons end after their calendar months, others never', () => {
    const s = setup();
    const cus = s.customer();
    s.coupon({ id: 'REP', percent_off: 5, duration: 'repeating', duration_in_months: 1 });
    s.coupon({ id: 'FOREVER', percent_off: 5, duration: 'forever' });
    const [rep, forever] = s.apply([{ coupon: 'REP' }, { coupon: 'FOREVER' }], { customer: cus });
    const start = s.get<Discount>(rep).start;
    expect(s.get<Discount>(rep).end).toBe(start + 31 * 86400); // 2026-01-01 → 2026-02-01
    expect(discountApplies(s.ctx, rep, start)).toBe(true);
    expect(discountApplies(s.ctx, rep, start + 31 * 86400 - 1)).toBe(true);
    expect(discountApplies(s.ctx, rep, start + 31 * 86400)).toBe(false);
    expect(s.get<Discount>(forever).end).toBeNull();
    expect(discountApplies(s.ctx, forever, start + 10 * 365 * 86400)).toBe(true);
  });

  it('adds calendar months, keeping the time of day and clamping to the month end', () => {
    expect(new Date(addMonths(JAN_31 + 3600, 1) * 1000).toISOString()).toBe('2026-02-28T01:00:00.000Z');
    expect(new Date(addMonths(JAN_31, 13) * 1000).toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2027, 11, 15) / 1000, 3) * 1000).toISOString()).toBe('2028-03-15T00:00:00.000Z');
  });
});
