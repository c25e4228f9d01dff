import { MODES, stripeError, useHarness } from '../helpers';

// Tax rates: a resource that is only a declaration (src/resources/billing/tax_rates.ts).

describe.each(MODES)('tax rates (%s)', (mode) => {
  const t = useHarness(mode);

  it('creates with the package shape and defaults, and announces it', async () => {
    const rate = await t.stripe.taxRates.create({ display_name: 'VAT', inclusive: false, percentage: 19, country: 'DE', jurisdiction: 'DE', tax_type: 'vat' });
    expect(Object.keys(rate)).toEqual([
      'id', 'object', 'active', 'country', 'created', 'description', 'display_name', 'effective_percentage', 'flat_amount', 'inclusive',
      'jurisdiction', 'jurisdiction_level', 'livemode', 'metadata', 'percentage', 'rate_type', 'state', 'tax_type',
    ]);
    expect(rate).toMatchObject({ object: 'tax_rate', active: true, percentage: 19, inclusive: false, country: 'DE', tax_type: 'vat', metadata: {}, description: null, livemode: false });
    expect(rate.id).toMatch(/^txr_1[A-Za-z0-9]{23}$/);
    const created = (await t.stripe.events.list({ type: 'tax_rate.created' })).data[0];
    expect(created.data.object).toEqual(rate);
    expect(await t.stripe.taxRates.retrieve(rate.id)).toEqual(rate);
  });

  it('updates with previous_attributes; percentage and inclusive are fixed at create', async () => {
    const rate = await t.stripe.taxRates.create({ display_name: 'GST', inclusive: true, percentage: 10 });
    const updated = await t.stripe.taxRates.update(rate.id, { active: false, metadata: { region: 'au' }, description: 'Australia' });
    expect(updated).toMatchObject({ active: false, metadata: { region: 'au' }, description: 'Australia', percentage: 10 });
    const event = (await t.stripe.events.list({ type: 'tax_rate.updated' })).data[0];
    expect(event.data.previous_attributes).toEqual({ active: true, description: null, metadata: { region: null } });
    const fixed = await stripeError(t.stripe.taxRates.update(rate.id, { percentage: 12 } as never));
    expect(fixed).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'percentage' });
    expect(await stripeError(t.stripe.taxRates.create({ display_name: 'x', inclusive: true } as never))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'percentage' });
  });

  it('lists newest first with the active and inclusive filters, and answers resource_missing', async () => {
    const a = await t.stripe.taxRates.create({ display_name: 'A', inclusive: true, percentage: 5 });
    const b = await t.stripe.taxRates.create({ display_name: 'B', inclusive: false, percentage: 7 });
    await t.stripe.taxRates.update(a.id, { active: false });
    expect((await t.stripe.taxRates.list()).data.map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await t.stripe.taxRates.list({ active: true })).data.map((r) => r.id)).toEqual([b.id]);
    expect((await t.stripe.taxRates.list({ inclusive: true })).data.map((r) => r.id)).toEqual([a.id]);
    expect(await stripeError(t.stripe.taxRates.retrieve('txr_missing'))).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such tax_rate: 'txr_missing'" });
  });
});
