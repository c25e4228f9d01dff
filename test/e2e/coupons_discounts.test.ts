import { applyDiscounts } from '../../src/resources/billing/discounts';
import { setCustomerDiscount } from '../../src/resources/core/customers';
import { Ctx } from '../../src/engine/world';
import { MODES, stripeError, useHarness } from '../helpers';

// Coupons, promotion codes and the customer's discount through the SDK
// (src/resources/billing/coupons.ts, promotion_codes.ts, discounts.ts).

const COUPON_KEYS = [
  'id', 'object', 'amount_off', 'created', 'currency', 'duration', 'duration_in_months', 'livemode', 'max_redemptions', 'metadata', 'name',
  'percent_off', 'redeem_by', 'times_redeemed', 'valid',
];

describe.each(MODES)('coupons, promotion codes and discounts (%s)', (mode) => {
  const t = useHarness(mode);
  const types = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();
  /** Runs engine code in the test's world, as a request would (seeding what no API parameter sets). */
  const inWorld = <T>(fn: (ctx: Ctx) => T): T => {
    const world = t.h.twin.engine.world(t.key);
    const ctx: Ctx = { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
    return world.transaction(() => fn(ctx));
  };

  it('creates coupons in the recorded shape, with chosen or generated ids, and announces them', async () => {
    const pct = await t.stripe.coupons.create({ id: '10OFF', percent_off: 10, duration: 'forever', name: '10% Off' });
    expect(Object.keys(pct)).toEqual(COUPON_KEYS);
    expect(pct).toMatchObject({
      id: '10OFF', object: 'coupon', amount_off: null, currency: null, duration: 'forever', duration_in_months: null, livemode: false,
      max_redemptions: null, metadata: {}, name: '10% Off', percent_off: 10, redeem_by: null, times_redeemed: 0, valid: true,
    });
    const amount = await t.stripe.coupons.create({ amount_off: 1000, currency: 'USD', duration: 'repeating', duration_in_months: 3 });
    expect(amount.id).toMatch(/^[A-Z0-9]{8}$/);
    expect(amount).toMatchObject({ amount_off: 1000, currency: 'usd', percent_off: null, duration: 'repeating', duration_in_months: 3 });
    expect((await t.stripe.coupons.create({ percent_off: 12.5 })).duration).toBe('once');
    expect(await t.stripe.coupons.retrieve('10OFF')).toEqual(pct);
    expect(await types()).toEqual(['coupon.created', 'coupon.created', 'coupon.created']);
    expect((await t.stripe.events.list({ type: 'coupon.created', limit: 1 })).data[0].data.object).toMatchObject({ percent_off: 12.5 });
    expect((await t.stripe.coupons.list({ limit: 2 })).data.map((c) => c.percent_off)).toEqual([12.5, null]);
  });

  it('shows applies_to only when expanded, and checks its products', async () => {
    const product = await t.stripe.products.create({ name: 'Seat' });
    const coupon = await t.stripe.coupons.create({ percent_off: 20, applies_to: { products: [product.id] }, expand: ['applies_to'] });
    expect(coupon.applies_to).toEqual({ products: [product.id] });
    expect(Object.keys(await t.stripe.coupons.retrieve(coupon.id))).toEqual(COUPON_KEYS);
    expect((await t.stripe.coupons.retrieve(coupon.id, { expand: ['applies_to'] })).applies_to).toEqual({ products: [product.id] });
    expect((await t.stripe.coupons.retrieve((await t.stripe.coupons.create({ percent_off: 1 })).id, { expand: ['applies_to'] })).applies_to).toBeUndefined();
    expect(await stripeError(t.stripe.coupons.create({ percent_off: 5, applies_to: { products: ['prod_missing'] } }))).toMatchObject({
      statusCode: 400, code: 'resource_missing', param: 'applies_to[products][0]',
    });
  });

  it("refuses Stripe's invalid coupons and changes nothing", async () => {
    await t.stripe.coupons.create({ id: 'TAKEN', percent_off: 5 });
    const before = await types();
    expect(await stripeError(t.stripe.coupons.create({ percent_off: 5, amount_off: 100, currency: 'usd' }))).toMatchObject({
      statusCode: 400, param: 'amount_off', message: 'You may only specify one of these parameters: amount_off, percent_off.',
    });
    expect(await stripeError(t.stripe.coupons.create({ duration: 'once' }))).toMatchObject({ statusCode: 400, param: 'percent_off' });
    expect(await stripeError(t.stripe.coupons.create({ amount_off: 100 }))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'currency' });
    expect(await stripeError(t.stripe.coupons.create({ percent_off: 150 }))).toMatchObject({ statusCode: 400, param: 'percent_off' });
    expect(await stripeError(t.stripe.coupons.create({ percent_off: 10, duration: 'repeating' }))).toMatchObject({ code: 'parameter_missing', param: 'duration_in_months' });
    expect(await stripeError(t.stripe.coupons.create({ percent_off: 10, duration: 'sometimes' as never }))).toMatchObject({ statusCode: 400, param: 'duration' });
    expect(await stripeError(t.stripe.coupons.create({ percent_off: 10, duration: 'repeating', duration_in_months: 1e12 }))).toMatchObject({ statusCode: 400, param: 'duration_in_months' });
    expect(await stripeError(t.stripe.coupons.create({ id: 'TAKEN', percent_off: 5 }))).toMatchObject({ statusCode: 400, code: 'resource_already_exists', param: 'id' });
    expect(await stripeError(t.stripe.coupons.create({ amount_off: 100, currency: 'usd', currency_options: { eur: { amount_off: 90 } } }))).toMatchObject({
      statusCode: 501, param: 'currency_options',
    });
    expect(await types()).toEqual(before);
  });

  it('updates only name and metadata, with coupon.updated and previous_attributes', async () => {
    const coupon = await t.stripe.coupons.create({ percent_off: 15, name: 'Old' });
    const updated = await t.stripe.coupons.update(coupon.id, { name: 'New', metadata: { campaign: 'spring' } });
    expect(updated).toMatchObject({ name: 'New', metadata: { campaign: 'spring' }, percent_off: 15 });
    const event = (await t.stripe.events.list({ type: 'coupon.updated' })).data[0];
    expect(event.data.previous_attributes).toEqual({ name: 'Old', metadata: { campaign: null } });
    expect(await stripeError(t.stripe.coupons.update(coupon.id, { percent_off: 20 } as never))).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'percent_off' });
    expect(await stripeError(t.stripe.coupons.update(coupon.id, { currency_options: { eur: { amount_off: 1 } } }))).toMatchObject({ statusCode: 501 });
    expect(await stripeError(t.stripe.coupons.retrieve('NOPE'))).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such coupon: 'NOPE'" });
  });

  it('deletes a coupon: the deleted stub, coupon.deleted, its codes inactive, its discounts kept', async () => {
    const customer = await t.stripe.customers.create({ email: 'a@example.com' });
    const coupon = await t.stripe.coupons.create({ id: 'BYE', percent_off: 50 });
    const code = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'BYE' }, code: 'BYE50' });
    const [discount] = inWorld((ctx) => applyDiscounts(ctx, [{ coupon: 'BYE' }], { customer: customer.id }, 'discounts', ctx.world.now()));
    inWorld((ctx) => setCustomerDiscount(ctx, customer.id, discount));
    expect(await t.stripe.coupons.del(coupon.id)).toEqual({ id: 'BYE', object: 'coupon', deleted: true });
    expect(await stripeError(t.stripe.coupons.retrieve('BYE'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect((await t.stripe.events.list({ type: 'coupon.deleted' })).data[0].data.object).toMatchObject({ id: 'BYE', percent_off: 50 });
    expect(await t.stripe.promotionCodes.retrieve(code.id)).toMatchObject({ active: false });
    expect((await t.stripe.customers.retrieve(customer.id) as { discount: unknown }).discount).toMatchObject({ id: discount, source: { coupon: 'BYE', type: 'coupon' } });
    expect((await t.stripe.coupons.list()).data).toEqual([]);
  });

  it('creates promotion codes with promotion[coupon]; the legacy top-level coupon is an unknown parameter at endive', async () => {
    const coupon = await t.stripe.coupons.create({ id: 'SPRING', percent_off: 25 });
    const code = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'Spring25', metadata: { a: '1' } });
    expect(Object.keys(code)).toEqual([
      'id', 'object', 'active', 'code', 'created', 'customer', 'customer_account', 'expires_at', 'livemode', 'max_redemptions', 'metadata',
      'promotion', 'restrictions', 'times_redeemed',
    ]);
    expect(code).toMatchObject({
      object: 'promotion_code', active: true, code: 'Spring25', customer: null, customer_account: null, expires_at: null, livemode: false,
      max_redemptions: null, metadata: { a: '1' }, promotion: { coupon: 'SPRING', type: 'coupon' },
      restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null }, times_redeemed: 0,
    });
    expect(code.id).toMatch(/^promo_1[A-Za-z0-9]{23}$/);
    const expanded = await t.stripe.promotionCodes.retrieve(code.id, { expand: ['promotion.coupon'] });
    expect(expanded.promotion.coupon).toMatchObject({ id: 'SPRING', object: 'coupon', percent_off: 25 });
    const generated = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
    expect(generated.code).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(await stripeError(t.stripe.promotionCodes.create({ coupon: 'SPRING' } as never))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'coupon', message: 'Received unknown parameter: coupon',
    });
    expect(await stripeError(t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'NOPE' } }))).toMatchObject({
      statusCode: 400, code: 'resource_missing', param: 'promotion[coupon]', message: "No such coupon: 'NOPE'",
    });
    expect(await stripeError(t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'SPRING' }, restrictions: { currency_options: { eur: { minimum_amount: 1 } } } }))).toMatchObject({
      statusCode: 501, param: 'restrictions[currency_options]',
    });
    expect(await stripeError(t.stripe.promotionCodes.retrieve('promo_missing'))).toMatchObject({ statusCode: 404, message: "No such promotion code: 'promo_missing'" });
    expect(await types()).toEqual(['coupon.created', 'promotion_code.created', 'promotion_code.created']);
  });

  it('keeps codes unique whatever their case among active codes, and lists by active, code, coupon and customer', async () => {
    const customer = await t.stripe.customers.create({ email: 'b@example.com' });
    const a = await t.stripe.coupons.create({ id: 'A', percent_off: 5 });
    const b = await t.stripe.coupons.create({ id: 'B', amount_off: 500, currency: 'usd' });
    const first = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: a.id }, code: 'WELCOME' });
    expect(await stripeError(t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: b.id }, code: 'welcome' }))).toMatchObject({
      statusCode: 400, param: 'code', message: 'An active promotion code with `code: welcome` already exists.',
    });
    const off = await t.stripe.promotionCodes.update(first.id, { active: false });
    expect(off.active).toBe(false);
    expect((await t.stripe.events.list({ type: 'promotion_code.updated' })).data[0].data.previous_attributes).toEqual({ active: true });
    const second = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: b.id }, code: 'welcome', customer: customer.id });
    expect(await stripeError(t.stripe.promotionCodes.update(first.id, { active: true }))).toMatchObject({ statusCode: 400, param: 'code' });
    const ids = async (params: object) => (await t.stripe.promotionCodes.list(params)).data.map((p) => p.id);
    expect(await ids({})).toEqual([second.id, first.id]);
    expect(await ids({ code: 'WeLcOmE' })).toEqual([second.id, first.id]);
    expect(await ids({ active: true })).toEqual([second.id]);
    expect(await ids({ coupon: 'A' })).toEqual([first.id]);
    expect(await ids({ customer: customer.id })).toEqual([second.id]);
    expect(await stripeError(t.stripe.promotionCodes.update(second.id, { code: 'x' } as never))).toMatchObject({ code: 'parameter_unknown', param: 'code' });
  });

  it('answers unknown-parameter for the customer coupon and promotion_code removed at basil', async () => {
    expect(await stripeError(t.stripe.customers.create({ coupon: 'A' } as never))).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'coupon' });
    const customer = await t.stripe.customers.create({});
    expect(await stripeError(t.stripe.customers.update(customer.id, { promotion_code: 'promo_x' } as never))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'promotion_code',
    });
    expect(await stripeError(t.stripe.customers.update(customer.id, { discounts: [{ coupon: 'A' }] } as never))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'discounts',
    });
  });

  it("shows the customer's discount and deletes it with customer.discount.deleted", async () => {
    const customer = await t.stripe.customers.create({ email: 'c@example.com' });
    expect(await stripeError(t.stripe.customers.deleteDiscount(customer.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await t.stripe.coupons.create({ id: 'LOYAL', percent_off: 10, duration: 'repeating', duration_in_months: 2 });
    const code = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'LOYAL' }, code: 'LOYAL10' });
    const [discount] = inWorld((ctx) => applyDiscounts(ctx, [{ promotion_code: code.id }], { customer: customer.id }, 'discounts', ctx.world.now()));
    inWorld((ctx) => setCustomerDiscount(ctx, customer.id, discount));
    const shown = (await t.stripe.customers.retrieve(customer.id, { expand: ['discount.source.coupon'] })) as { discount: any };
    expect(Object.keys(shown.discount)).toEqual([
      'id', 'object', 'checkout_session', 'customer', 'customer_account', 'end', 'invoice', 'invoice_item', 'promotion_code', 'source', 'start',
      'subscription', 'subscription_item',
    ]);
    expect(shown.discount).toMatchObject({ id: discount, object: 'discount', customer: customer.id, promotion_code: code.id, subscription: null });
    expect(shown.discount.id).toMatch(/^di_1[A-Za-z0-9]{23}$/);
    expect(shown.discount.source.coupon).toMatchObject({ id: 'LOYAL', object: 'coupon', times_redeemed: 1 });
    expect(shown.discount.end).toBe(shown.discount.start + 59 * 86400); // 2026-01-01 + 2 months
    expect((await t.stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(1);
    const deleted = await t.stripe.customers.deleteDiscount(customer.id);
    expect(Object.keys(deleted)).toEqual([
      'id', 'object', 'checkout_session', 'customer', 'customer_account', 'deleted', 'invoice', 'invoice_item', 'promotion_code', 'source', 'start',
      'subscription', 'subscription_item',
    ]);
    expect(deleted).toMatchObject({ id: discount, object: 'discount', deleted: true, source: { coupon: 'LOYAL', type: 'coupon' } });
    expect(((await t.stripe.customers.retrieve(customer.id)) as { discount: unknown }).discount).toBeNull();
    expect((await types()).slice(-4)).toEqual(['customer.discount.created', 'customer.updated', 'customer.discount.deleted', 'customer.updated']);
    const updated = (await t.stripe.events.list({ type: 'customer.updated', limit: 1 })).data[0];
    expect(updated.data.previous_attributes).toEqual({ discount: expect.objectContaining({ id: discount }) });
  });

  it('makes a coupon invalid past redeem_by and at max_redemptions, and its codes inactive', async () => {
    const now = Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000);
    const customer = await t.stripe.customers.create({});
    await t.stripe.coupons.create({ id: 'SOON', percent_off: 5, redeem_by: now + 3600 });
    const code = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'SOON' } });
    await t.h.control(t.key).clock.advance(3601);
    expect(await t.stripe.coupons.retrieve('SOON')).toMatchObject({ valid: false });
    expect(await t.stripe.promotionCodes.retrieve(code.id)).toMatchObject({ active: false });
    await t.stripe.coupons.create({ id: 'TWICE', amount_off: 100, currency: 'usd', max_redemptions: 2 });
    const limited = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'TWICE' } });
    inWorld((ctx) => applyDiscounts(ctx, [{ coupon: 'TWICE' }, { promotion_code: limited.id }], { customer: customer.id }, 'discounts', ctx.world.now()));
    expect(await t.stripe.coupons.retrieve('TWICE')).toMatchObject({ times_redeemed: 2, valid: false });
    expect(await t.stripe.promotionCodes.retrieve(limited.id)).toMatchObject({ times_redeemed: 1, active: false });
    expect(await stripeError(t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'TWICE' } }))).toMatchObject({ statusCode: 400, code: 'coupon_expired' });
  });
});
