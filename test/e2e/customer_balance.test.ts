import { adjustCustomerBalance } from '../../src/resources/core/customer_balance';
import { Ctx } from '../../src/engine/world';
import { MODES, stripeError, useHarness } from '../helpers';

// Customer balance transactions through the SDK (src/resources/core/customer_balance.ts).

const KEYS = [
  'id', 'object', 'amount', 'checkout_session', 'created', 'credit_note', 'currency', 'customer', 'customer_account', 'description',
  'ending_balance', 'invoice', 'livemode', 'metadata', 'type',
];

describe.each(MODES)('customer balance transactions (%s)', (mode) => {
  const t = useHarness(mode);

  it('records an adjustment, moves the balance, sets the currency and announces customer.updated', async () => {
    const customer = await t.stripe.customers.create({ email: 'credit@example.com' });
    const credit = await t.stripe.customers.createBalanceTransaction(customer.id, { amount: -500, currency: 'usd', description: 'Goodwill', metadata: { ticket: '42' } });
    expect(Object.keys(credit)).toEqual(KEYS);
    expect(credit).toMatchObject({
      object: 'customer_balance_transaction', amount: -500, checkout_session: null, credit_note: null, currency: 'usd', customer: customer.id,
      customer_account: null, description: 'Goodwill', ending_balance: -500, invoice: null, livemode: false, metadata: { ticket: '42' }, type: 'adjustment',
    });
    expect(credit.id).toMatch(/^cbtxn_1[A-Za-z0-9]{23}$/);
    const after = await t.stripe.customers.retrieve(customer.id, { expand: ['invoice_credit_balance'] });
    expect(after).toMatchObject({ balance: -500, currency: 'usd', invoice_credit_balance: { usd: 500 } });
    const events = (await t.stripe.events.list()).data;
    expect(events.map((e) => e.type)).toEqual(['customer.updated', 'customer.created']);
    expect(events[0].data.previous_attributes).toEqual({ balance: 0, currency: null });
    const debit = await t.stripe.customers.createBalanceTransaction(customer.id, { amount: 200, currency: 'usd' });
    expect(debit).toMatchObject({ ending_balance: -300, description: null, metadata: {} });
    expect((await t.stripe.customers.retrieve(customer.id) as { balance: number }).balance).toBe(-300);
  });

  it("refuses a currency other than the customer's, and Stripe's parameter errors, changing nothing", async () => {
    const customer = await t.stripe.customers.create({});
    await t.stripe.customers.createBalanceTransaction(customer.id, { amount: 100, currency: 'usd' });
    const before = (await t.stripe.events.list()).data.length;
    expect(await stripeError(t.stripe.customers.createBalanceTransaction(customer.id, { amount: 100, currency: 'eur' }))).toMatchObject({
      statusCode: 400, param: 'currency', message: "Can't combine currencies on a single customer. This customer has had a subscription, coupon, or invoice item with currency usd",
    });
    expect(await stripeError(t.stripe.customers.createBalanceTransaction(customer.id, { amount: 100 } as never))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'currency' });
    expect(await stripeError(t.stripe.customers.createBalanceTransaction(customer.id, { amount: 100, currency: 'usd', type: 'initial' } as never))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'type',
    });
    expect(await stripeError(t.stripe.customers.createBalanceTransaction('cus_missing', { amount: 1, currency: 'usd' }))).toMatchObject({
      statusCode: 404, code: 'resource_missing', message: "No such customer: 'cus_missing'",
    });
    expect((await t.stripe.events.list()).data).toHaveLength(before);
    expect((await t.stripe.customers.retrieve(customer.id) as { balance: number }).balance).toBe(100);
  });

  it("retrieves, lists and updates a customer's own transactions (description and metadata only)", async () => {
    const customer = await t.stripe.customers.create({});
    const other = await t.stripe.customers.create({});
    const a = await t.stripe.customers.createBalanceTransaction(customer.id, { amount: -100, currency: 'usd' });
    const b = await t.stripe.customers.createBalanceTransaction(customer.id, { amount: -200, currency: 'usd' });
    const theirs = await t.stripe.customers.createBalanceTransaction(other.id, { amount: -300, currency: 'usd' });
    expect(await t.stripe.customers.retrieveBalanceTransaction(customer.id, a.id)).toEqual(a);
    expect(await stripeError(t.stripe.customers.retrieveBalanceTransaction(customer.id, theirs.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const list = await t.stripe.customers.listBalanceTransactions(customer.id);
    expect(list.data.map((x) => x.id)).toEqual([b.id, a.id]);
    expect((list as unknown as { url: string }).url).toBe(`/v1/customers/${customer.id}/balance_transactions`);
    expect((await t.stripe.customers.listBalanceTransactions(customer.id, { limit: 1 })).has_more).toBe(true);
    expect((await t.stripe.customers.listBalanceTransactions(customer.id, { invoice: 'in_none' })).data).toEqual([]);
    const updated = await t.stripe.customers.updateBalanceTransaction(customer.id, a.id, { description: 'Refund credit', metadata: { k: 'v' } });
    expect(updated).toMatchObject({ id: a.id, amount: -100, description: 'Refund credit', metadata: { k: 'v' } });
    expect(await stripeError(t.stripe.customers.updateBalanceTransaction(customer.id, a.id, { amount: 5 } as never))).toMatchObject({ code: 'parameter_unknown', param: 'amount' });
    expect(await stripeError(t.stripe.customers.updateBalanceTransaction(other.id, a.id, { description: 'x' }))).toMatchObject({ statusCode: 404 });
  });

  it('adjustCustomerBalance records the entries invoices and credit notes make', async () => {
    const customer = await t.stripe.customers.create({});
    const world = t.h.twin.engine.world(t.key);
    const ctx: Ctx = { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
    const entry = world.transaction(() => adjustCustomerBalance(ctx, customer.id, { amount: 40, currency: 'usd', type: 'invoice_too_small', invoice: 'in_small' }));
    expect(entry).toMatchObject({ type: 'invoice_too_small', invoice: 'in_small', ending_balance: 40, credit_note: null, checkout_session: null });
    expect((await t.stripe.customers.listBalanceTransactions(customer.id, { invoice: 'in_small' })).data.map((x) => x.id)).toEqual([entry.id]);
    expect((await t.stripe.customers.retrieve(customer.id) as { balance: number }).balance).toBe(40);
  });
});
