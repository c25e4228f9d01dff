import { MODES, stripeError, useHarness } from '../helpers';

/** stripe-node 23 reads `*_decimal` fields as Decimal objects: compare their text. */
const text = (o: Record<string, any>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k.endsWith('_decimal') && v !== null ? String(v) : v]));

// Products, Prices and their legacy Plans through the SDK (src/resources/billing/).

describe.each(MODES)('products, prices and plans (%s)', (mode) => {
  const t = useHarness(mode);
  const types = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();

  it('creates a product with its default price, which is also a plan: product.created, price.created, plan.created', async () => {
    const product = await t.stripe.products.create({ name: 'Pro', default_price_data: { currency: 'usd', unit_amount: 2500, recurring: { interval: 'month' } } });
    expect(Object.keys(product)).toEqual([
      'id', 'object', 'active', 'created', 'default_price', 'description', 'images', 'livemode', 'marketing_features', 'metadata', 'name',
      'package_dimensions', 'shippable', 'statement_descriptor', 'tax_code', 'tax_details', 'type', 'unit_label', 'updated', 'url',
    ]);
    expect(product).toMatchObject({ active: true, images: [], marketing_features: [], type: 'service', updated: product.created });
    expect(product.id).toMatch(/^prod_[A-Za-z0-9]{14}$/);
    const price = await t.stripe.prices.retrieve(product.default_price as string);
    expect(text(price)).toMatchObject({
      product: product.id, type: 'recurring', unit_amount: 2500, unit_amount_decimal: '2500', billing_scheme: 'per_unit', tax_behavior: 'unspecified',
      recurring: { interval: 'month', interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    });
    const plan = await t.stripe.plans.retrieve(price.id);
    expect(text(plan)).toMatchObject({ id: price.id, object: 'plan', amount: 2500, amount_decimal: '2500', interval: 'month', product: product.id, usage_type: 'licensed' });
    expect(await types()).toEqual(['product.created', 'price.created', 'plan.created']);
  });

  it("refuses Stripe's invalid prices, and a failed price keeps nothing (not even its product_data product)", async () => {
    const product = await t.stripe.products.create({ name: 'Seat' });
    const before = await types();
    expect(await stripeError(t.stripe.prices.create({ currency: 'usd', unit_amount: 1 } as never))).toMatchObject({
      statusCode: 400, message: 'You must specify either `product` or `product_data` when creating a price.',
    });
    expect(await stripeError(t.stripe.prices.create({ currency: 'usd', unit_amount: 1, product: product.id, product_data: { name: 'x' } }))).toMatchObject({
      statusCode: 400, param: 'product', message: 'You may only specify one of these parameters: product, product_data.',
    });
    expect(await stripeError(t.stripe.prices.create({ currency: 'usd', product_data: { name: 'Lost' } }))).toMatchObject({
      statusCode: 400, message: 'Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set.',
    });
    expect(await stripeError(t.stripe.prices.create({ currency: 'usd', product: product.id, billing_scheme: 'tiered', tiers_mode: 'volume', tiers: [{ up_to: 'inf', unit_amount: 1 }] }))).toMatchObject({
      statusCode: 400, param: 'interval', message: 'Prices with `type=one_time` are not supported with tiered billing.',
    });
    expect(await stripeError(t.stripe.prices.create({ currency: 'usd', unit_amount: 1, product: 'prod_missing' }))).toMatchObject({
      statusCode: 400, code: 'resource_missing', param: 'product',
    });
    expect(await types()).toEqual(before);
    expect((await t.stripe.products.list()).data.map((p) => p.name)).toEqual(['Seat']);
  });

  it('keeps lookup keys unique over every price, transfers them on request, and filters by them', async () => {
    const a = await t.stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'Seat' }, lookup_key: 'seat' });
    await t.stripe.prices.update(a.id, { active: false });
    const clash = await stripeError(t.stripe.prices.create({ currency: 'usd', unit_amount: 200, product: a.product as string, lookup_key: 'seat' }));
    expect(clash).toMatchObject({ statusCode: 400, param: 'lookup_key', message: `A price (\`${a.id}\`) already uses that lookup key.` });
    const b = await t.stripe.prices.create({ currency: 'usd', unit_amount: 200, product: a.product as string, lookup_key: 'seat', transfer_lookup_key: true });
    expect((await t.stripe.prices.retrieve(a.id)).lookup_key).toBeNull();
    const moved = (await t.stripe.events.list({ type: 'price.updated' })).data[0];
    expect(moved.data).toMatchObject({ object: { id: a.id, lookup_key: null }, previous_attributes: { lookup_key: 'seat' } });
    expect((await t.stripe.prices.list({ lookup_keys: ['seat'] })).data.map((p) => p.id)).toEqual([b.id]);
    expect((await t.stripe.prices.list({ active: false })).data.map((p) => p.id)).toEqual([a.id]);
    // One-time prices are not plans.
    expect(await stripeError(t.stripe.plans.retrieve(b.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('renders tiers when expanded, fixes amounts at create, and has no price DELETE', async () => {
    const product = await t.stripe.products.create({ name: 'API calls' });
    const tiered = await t.stripe.prices.create({
      currency: 'usd', product: product.id, billing_scheme: 'tiered', tiers_mode: 'graduated', recurring: { interval: 'month' },
      tiers: [{ up_to: 10, unit_amount: 500 }, { up_to: 'inf', unit_amount: 400, flat_amount: 100 }], expand: ['tiers'],
    });
    expect(tiered).toMatchObject({ billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: null, unit_amount_decimal: null });
    expect(tiered.tiers!.map(text)).toEqual([
      { flat_amount: null, flat_amount_decimal: null, unit_amount: 500, unit_amount_decimal: '500', up_to: 10 },
      { flat_amount: 100, flat_amount_decimal: '100', unit_amount: 400, unit_amount_decimal: '400', up_to: null },
    ]);
    expect((await t.stripe.prices.retrieve(tiered.id)).tiers).toBeUndefined();
    expect(await stripeError(t.stripe.prices.update(tiered.id, { unit_amount: 1 } as never))).toMatchObject({ code: 'parameter_unknown', param: 'unit_amount' });
    expect(await stripeError(t.stripe.rawRequest('DELETE', `/v1/prices/${tiered.id}`))).toMatchObject({ statusCode: 404 });
    expect((await t.stripe.plans.list()).data.map((p) => p.id)).toEqual([tiered.id]);
  });

  it('updates and archives products with product.updated, deletes only a product without prices, and searches them', async () => {
    const product = await t.stripe.products.create({ name: 'Old', metadata: { tier: 'gold' } });
    const updated = await t.stripe.products.update(product.id, { name: 'New', active: false });
    expect(updated).toMatchObject({ name: 'New', active: false });
    expect((await t.stripe.events.list({ type: 'product.updated' })).data[0].data.previous_attributes).toEqual({ active: true, name: 'Old' });
    expect((await t.stripe.products.search({ query: 'metadata["tier"]:"gold"' })).data.map((p) => p.id)).toEqual([product.id]);
    await t.stripe.prices.create({ currency: 'usd', unit_amount: 100, product: product.id });
    expect(await stripeError(t.stripe.products.del(product.id))).toMatchObject({
      statusCode: 400, message: 'This product cannot be deleted because it has one or more user-created prices.',
    });
    const bare = await t.stripe.products.create({ name: 'Bare', id: 'prod_bare' });
    expect(bare.id).toBe('prod_bare');
    expect(await stripeError(t.stripe.products.create({ name: 'Again', id: 'prod_bare' }))).toMatchObject({ statusCode: 400, code: 'resource_already_exists', param: 'id' });
    expect(await t.stripe.products.del(bare.id)).toMatchObject({ id: 'prod_bare', object: 'product', deleted: true });
    expect(await stripeError(t.stripe.products.retrieve(bare.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(((await t.stripe.events.list({ type: 'product.deleted' })).data[0].data.object as { id: string }).id).toBe('prod_bare');
  });
  it('POST /v1/plans makes the recurring price the plan is; plan update and delete go through the price, announcing both', async () => {
    const plan = await t.stripe.plans.create({ id: 'gold-monthly', amount: 2000, currency: 'usd', interval: 'month', product: { name: 'Gold' }, nickname: 'Gold' });
    expect(plan).toMatchObject({ id: 'gold-monthly', object: 'plan', amount: 2000, interval: 'month', interval_count: 1, nickname: 'Gold', active: true });
    expect(await t.stripe.prices.retrieve('gold-monthly')).toMatchObject({ type: 'recurring', unit_amount: 2000, product: plan.product });
    const updated = await t.stripe.plans.update('gold-monthly', { metadata: { tier: 'gold' }, trial_period_days: 14 });
    expect(updated).toMatchObject({ metadata: { tier: 'gold' }, trial_period_days: 14 });
    expect((await t.stripe.events.list({ type: 'plan.updated' })).data[0].data.previous_attributes).toEqual({ metadata: { tier: null }, trial_period_days: null });
    expect(await t.stripe.plans.del('gold-monthly')).toEqual({ id: 'gold-monthly', object: 'plan', deleted: true });
    expect((await t.stripe.events.list({ limit: 2 })).data.map((e) => e.type)).toEqual(['plan.deleted', 'price.deleted']);
    expect(await stripeError(t.stripe.plans.retrieve('gold-monthly'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});
