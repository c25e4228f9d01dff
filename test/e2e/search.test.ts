import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// The Search API (docs/stripe-facts.md §1.12) on PaymentIntents, customers and charges.

describe.each(MODES)('search (%s)', (mode) => {
  const t = useHarness(mode);

  it('finds customers by email, name substring, metadata and negation', async () => {
    const amy = await t.stripe.customers.create({ email: 'amy@example.com', name: 'Amy Pond', metadata: { plan: 'pro' } });
    const rory = await t.stripe.customers.create({ email: 'rory@example.com', name: 'Rory Williams', metadata: { plan: 'free' } });
    const byEmail = await t.stripe.customers.search({ query: 'email:"amy@example.com"' });
    expect(byEmail).toMatchObject({ object: 'search_result', has_more: false, next_page: null, url: '/v1/customers/search' });
    expect(byEmail.data.map((c) => c.id)).toEqual([amy.id]);
    expect((await t.stripe.customers.search({ query: 'name~"will"' })).data.map((c) => c.id)).toEqual([rory.id]);
    expect((await t.stripe.customers.search({ query: 'metadata["plan"]:"pro"' })).data.map((c) => c.id)).toEqual([amy.id]);
    expect((await t.stripe.customers.search({ query: '-metadata["plan"]:"pro"' })).data.map((c) => c.id)).toEqual([rory.id]);
    expect((await t.stripe.customers.search({ query: 'email:"amy@example.com" OR name:"Rory Williams"' })).data).toHaveLength(2);
  });

  it("takes single-quoted values and metadata keys as Stripe's own examples write them, \\ escaping a quote inside", async () => {
    const sally = await t.stripe.customers.create({ email: 'sally@rocketrides.io', name: "Sally O'Brien", metadata: { key: 'value' } });
    const other = await t.stripe.customers.create({ email: 'other@rocketrides.io', name: 'Said "Hi"', metadata: { key: 'other' } });
    const ids = async (query: string) => (await t.stripe.customers.search({ query })).data.map((c) => c.id);
    expect(await ids("email:'sally@rocketrides.io'")).toEqual([sally.id]);
    expect(await ids("metadata['key']:'value'")).toEqual([sally.id]);
    expect(await ids(`metadata['key']:"value"`)).toEqual([sally.id]);
    expect(await ids(`metadata["key"]:'other'`)).toEqual([other.id]);
    expect(await ids("-metadata['key']:'value'")).toEqual([other.id]);
    expect(await ids("name:'Sally O\\'Brien'")).toEqual([sally.id]);
    expect(await ids(`name:'Said "Hi"'`)).toEqual([other.id]);
    expect(await ids("email:'sally@rocketrides.io' OR metadata['key']:'other'")).toEqual([other.id, sally.id]);
    // `:` is case-insensitive [doc: `currency:"eur"` finds "EUR"]; `null` is too.
    expect(await ids("email:'SALLY@RocketRides.io'")).toEqual([sally.id]);
    expect(await ids('metadata["missing"]:NULL')).toEqual([other.id, sally.id]);
    for (const bad of ["email:'sally@rocketrides.io", "email:'sally'@rocketrides.io'", `metadata['key"]:'value'`]) {
      expect(await stripeError(t.stripe.customers.search({ query: bad }))).toMatchObject({ statusCode: 400, param: 'query', code: 'parameter_invalid_string' });
    }
  });

  it('compares amounts, pages with next_page, and rejects bad queries', async () => {
    const ids: string[] = [];
    for (const amount of [500, 1500, 2500, 3500]) ids.push((await t.stripe.paymentIntents.create({ amount, currency: 'usd', metadata: { order: String(amount) } })).id);
    const big = await t.stripe.paymentIntents.search({ query: 'amount>1000 AND currency:"usd"', limit: 2 });
    expect(big.data.map((p) => p.amount)).toEqual([3500, 2500]);
    expect(big.has_more).toBe(true);
    const next = await t.stripe.paymentIntents.search({ query: 'amount>1000 AND currency:"usd"', limit: 2, page: big.next_page! });
    expect(next.data.map((p) => p.amount)).toEqual([1500]);
    expect(next.next_page).toBeNull();
    const all: number[] = [];
    for await (const p of t.stripe.paymentIntents.search({ query: 'status:"requires_payment_method"', limit: 1 })) all.push(p.amount);
    expect(all).toEqual([3500, 2500, 1500, 500]);
    expect(await stripeError(t.stripe.paymentIntents.search({ query: 'amount>' }))).toMatchObject({ statusCode: 400, param: 'query' });
    expect(await stripeError(t.stripe.paymentIntents.search({ query: 'nonsense:"x"' }))).toMatchObject({ statusCode: 400, param: 'query' });
    expect(await stripeError(t.stripe.paymentIntents.search({ query: 'amount>1 AND currency:"usd" OR status:"x"' }))).toMatchObject({ statusCode: 400 });
  });

  it('finds charges by card last4 and refunded flag', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_mastercard', confirm: true, allowed_payment_method_types: ['card'] });
    await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    const found = await t.stripe.charges.search({ query: 'payment_method_details.card.last4:"4444"', expand: ['data.payment_intent'] });
    expect(found.data.map((c) => c.id)).toEqual([pi.latest_charge]);
    expect((found.data[0].payment_intent as Stripe.PaymentIntent).id).toBe(pi.id);
    expect((await t.stripe.charges.search({ query: 'refunded:"false"' })).data).toHaveLength(2);
  });
});
