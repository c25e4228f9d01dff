import { MODES, stripeError, useHarness } from '../helpers';

// Names a client sends are looked up as data, never through the prototype chain:
// `expand[]=constructor` and a search on `__proto__` get the 400 Stripe gives an
// unknown expand or search field (they were 500s).

const NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'];

describe.each(MODES)('prototype names (%s)', (mode) => {
  const t = useHarness(mode);

  it.each(NAMES)('expand[]=%s is an unknown expand, on objects and lists', async (name) => {
    const customer = await t.stripe.customers.create({ email: 'p@example.com' });
    const one = await stripeError(t.stripe.customers.retrieve(customer.id, { expand: [name] }));
    expect([one.statusCode, one.type, one.message]).toEqual([400, 'StripeInvalidRequestError', `This property cannot be expanded (${name}).`]);
    const nested = await stripeError(t.stripe.paymentIntents.list({ expand: [`data.${name}.x`] }));
    expect([nested.statusCode, nested.message]).toEqual([400, `This property cannot be expanded (${name}).`]);
    const list = await stripeError(t.stripe.customers.list({ expand: [`data.${name}`] }));
    expect([list.statusCode, list.message]).toEqual([400, `This property cannot be expanded (${name}).`]);
  });

  it.each(NAMES)('a search on %s is a 400 on the query', async (name) => {
    const e = await stripeError(t.stripe.customers.search({ query: `${name}:"x"` }));
    // Field names are lower case: one with capitals is not a query at all.
    const message = /[A-Z]/.test(name)
      ? 'Provide a query parameter with a valid search query string.'
      : `Field \`${name}\` is an unsupported search field. See https://stripe.com/docs/search#query-fields for the list of supported fields.`;
    expect([e.statusCode, e.param, e.message]).toEqual([400, 'query', message]);
  });

  it.each(NAMES)('the control surface reads %s as an unknown pin path or trigger parameter', async (name) => {
    const control = t.h.control(t.key);
    const pi = await t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', allowed_payment_method_types: ['card'] });
    await expect(control.exogenous.pin({ [name]: 1 })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(new RegExp(`^"${name}" cannot be pinned`)) });
    const trigger = control.world.trigger('payment.declined', { payment_intent: pi.id, decline_code: 'generic_decline', [name]: 'x' } as never);
    await expect(trigger).rejects.toMatchObject({ status: 400, message: expect.stringMatching(new RegExp(`^Unknown parameter "${name}" for payment.declined`)) });
  });

  it('reads an empty expand[] as asking for nothing (it was a 500)', async () => {
    const customer = await t.stripe.customers.create({ email: 'e@example.com' });
    const res = await t.h.stripe(t.key).rawRequest('GET', `/v1/customers/${customer.id}?expand[]=`, {});
    expect([res.lastResponse.statusCode, (res as unknown as { id: string }).id]).toEqual([200, customer.id]);
  });

  it('keeps metadata keys named like prototype properties as plain data', async () => {
    const customer = await t.stripe.customers.create({ metadata: { constructor: 'a', toString: 'b' } });
    expect(customer.metadata).toEqual({ constructor: 'a', toString: 'b' });
    const found = await t.stripe.customers.search({ query: 'metadata["constructor"]:"a"' });
    expect(found.data.map((c) => c.id)).toEqual([customer.id]);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
    // A metadata key that names a prototype property matches only objects that have it.
    // (A negated presence test visits every object, so the match itself is what answers.)
    const proto = await t.stripe.customers.search({ query: '-metadata["__proto__"]:null' });
    expect(proto.data).toEqual([]);
    const own = await t.stripe.customers.search({ query: '-metadata["toString"]:null' });
    expect(own.data.map((c) => c.id)).toEqual([customer.id]);
  });
});
