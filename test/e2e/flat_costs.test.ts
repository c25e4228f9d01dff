import Stripe from 'stripe';
import { World } from '../../src/engine/world';
import { MODES, useHarness } from '../helpers';

// Filters, search and the events type filter visit only the objects that can
// match (declared indexes), so their cost does not grow with the world. Counted
// here as objects read (World.at, World.get), not timed; and the answers checked against
// what the filter means, across value changes, cursors and deletes.

/** Objects the engine reads (by id or by position) while `fn` runs. */
async function visits<T>(fn: () => Promise<T>): Promise<{ result: T; visited: number }> {
  const spies = [jest.spyOn(World.prototype, 'at'), jest.spyOn(World.prototype, 'get')];
  try {
    const result = await fn();
    return { result, visited: spies.reduce((n, spy) => n + spy.mock.calls.length, 0) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe.each(MODES)('flat costs (%s)', (mode) => {
  const t = useHarness(mode);
  const N = 300;

  async function crowd(stripe: Stripe): Promise<Stripe.Customer[]> {
    const out: Stripe.Customer[] = [];
    for (let i = 0; i < N; i++) out.push(await stripe.customers.create({ email: `c${i}@example.com`, metadata: { order: `o${i % 100}` } }));
    return out;
  }

  it('lists by email, pages through an index, and follows an email change', async () => {
    const customers = await crowd(t.stripe);
    const { result, visited } = await visits(() => t.stripe.customers.list({ email: 'c7@example.com' }));
    expect(result.data.map((c) => c.id)).toEqual([customers[7].id]);
    expect(visited).toBeLessThanOrEqual(2);

    await t.stripe.customers.update(customers[7].id, { email: 'moved@example.com' });
    await t.stripe.customers.update(customers[9].id, { email: 'c7@example.com' });
    expect((await t.stripe.customers.list({ email: 'c7@example.com' })).data.map((c) => c.id)).toEqual([customers[9].id]);
    expect((await t.stripe.customers.list({ email: 'moved@example.com' })).data.map((c) => c.id)).toEqual([customers[7].id]);
    await t.stripe.customers.update(customers[3].id, { email: 'c7@example.com' });
    await t.stripe.customers.del(customers[9].id);
    expect((await t.stripe.customers.list({ email: 'c7@example.com' })).data.map((c) => c.id)).toEqual([customers[3].id]);
  });

  it('searches through the index of an exact field or a metadata pair, with next_page', async () => {
    const customers = await crowd(t.stripe);
    const { result, visited } = await visits(() => t.stripe.customers.search({ query: 'metadata["order"]:"O42"', limit: 2 }));
    // Case-insensitive like Stripe's `:`; o42 is customers 42, 142, 242; newest first.
    expect(result.data.map((c) => c.id)).toEqual([customers[242].id, customers[142].id]);
    expect(result.has_more).toBe(true);
    expect(visited).toBeLessThanOrEqual(4);
    const next = await t.stripe.customers.search({ query: 'metadata["order"]:"O42"', limit: 2, page: result.next_page! });
    expect(next.data.map((c) => c.id)).toEqual([customers[42].id]);
    expect(next.has_more).toBe(false);
    const both = await visits(() => t.stripe.customers.search({ query: 'email:"c5@example.com" OR email:"C6@example.com"' }));
    expect(both.result.data.map((c) => c.id)).toEqual([customers[6].id, customers[5].id]);
    expect(both.visited).toBeLessThanOrEqual(2);
    // A negation cannot use an index: it still answers, visiting everything.
    const negated = await t.stripe.customers.search({ query: '-metadata["order"]:"o1" AND email~"c99@"', limit: 5 });
    expect(negated.data.map((c) => c.id)).toEqual([customers[99].id]);
  });

  it('filters events by type and by wildcard through the type index', async () => {
    await crowd(t.stripe);
    const pi = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    const exact = await visits(() => t.stripe.events.list({ type: 'payment_intent.succeeded' }));
    expect(exact.result.data.map((e) => [e.type, (e.data.object as { id: string }).id])).toEqual([['payment_intent.succeeded', pi.id]]);
    expect(exact.visited).toBeLessThanOrEqual(2);
    const wild = await visits(() => t.stripe.events.list({ type: 'payment_intent.*', limit: 100 }));
    expect(wild.result.data.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'payment_intent.created']);
    expect(wild.visited).toBeLessThanOrEqual(3);
    const listed = await visits(() => t.stripe.events.list({ types: ['charge.succeeded', 'payment_intent.created'], limit: 100 }));
    expect(listed.result.data.map((e) => e.type)).toEqual(['charge.succeeded', 'payment_intent.created']);
    expect(listed.visited).toBeLessThanOrEqual(3);
    // A run of stars is one pass over each type seen (a backtracking regex took 16 s for this with five events).
    expect((await t.stripe.events.list({ type: `${'*'.repeat(40)}Z` })).data).toEqual([]);
    expect((await t.stripe.events.list({ type: `${'*'.repeat(40)}succeeded`, limit: 100 })).data.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'charge.succeeded']);
    const admin = await t.h.admin('GET', `/__admin__/events?type=${'*'.repeat(40)}Z`, undefined, t.key);
    expect([admin.status, admin.json.matched]).toEqual([200, 0]);
    // The control surface's event log reads the same index.
    const log = await visits(() => t.h.admin('GET', '/__admin__/events?type=payment_intent.*', undefined, t.key));
    expect([log.result.json.matched, log.result.json.data.map((e: { type: string }) => e.type)]).toEqual([2, ['payment_intent.succeeded', 'payment_intent.created']]);
    expect(log.visited).toBeLessThanOrEqual(3);
    // Pages through the index newest first with cursors, as the full list does.
    const customerEvents = await t.stripe.events.list({ type: 'customer.created', limit: 100 });
    const page2 = await t.stripe.events.list({ type: 'customer.created', limit: 3, starting_after: customerEvents.data[10].id });
    expect(page2.data.map((e) => e.id)).toEqual(customerEvents.data.slice(11, 14).map((e) => e.id));
    const back = await t.stripe.events.list({ type: 'customer.created', limit: 3, ending_before: customerEvents.data[10].id });
    expect(back.data.map((e) => e.id)).toEqual(customerEvents.data.slice(7, 10).map((e) => e.id));
  });

  it('narrows a created range by binary search', async () => {
    const customers = await crowd(t.stripe);
    const created = customers[0].created;
    const { result, visited } = await visits(() => t.stripe.customers.list({ created: { gt: created + 1 }, limit: 5 }));
    expect(result.data).toEqual([]);
    expect(visited).toBeLessThanOrEqual(20); // the binary search's probes, not the 300 customers
  });

  it('lists a customer’s PaymentIntents and a charge’s refunds through their indexes', async () => {
    await crowd(t.stripe);
    const customer = await t.stripe.customers.create({ email: 'payer@example.com' });
    const pis: Stripe.PaymentIntent[] = [];
    for (let i = 0; i < 3; i++) {
      pis.push(await t.stripe.paymentIntents.create({ amount: 1000 + i, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] }));
    }
    const listed = await visits(() => t.stripe.paymentIntents.list({ customer: customer.id }));
    expect(listed.result.data.map((p) => p.id)).toEqual(pis.map((p) => p.id).reverse());
    expect(listed.visited).toBeLessThanOrEqual(5);
    const charge = pis[0].latest_charge as string;
    await t.stripe.refunds.create({ charge, amount: 100 });
    await t.stripe.refunds.create({ charge, amount: 200 });
    const expanded = await t.stripe.charges.retrieve(charge, { expand: ['refunds'] });
    expect(expanded.refunds!.data.map((r) => r.amount)).toEqual([200, 100]);
  });
});
