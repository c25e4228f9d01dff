import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Stripe from 'stripe';
import { freshKey, Harness, Mode, MODES, startHarness, useHarness } from '../helpers';
import { httpClient, stdioClient, text } from '../mcp_helpers';

// The "stripe" MCP tool set (src/mcp/stripe.ts): the 22 tools of Stripe's agent
// toolkit 0.7.12 (docs/agents.md §3.2), served at /mcp (the default) and
// /mcp/stripe, and by `stripe-twin mcp` without --tools. Results are the
// toolkit's: one text item of compact JSON (the object, a list's data, or the
// fields the toolkit keeps), and "Failed to …" strings instead of tool errors.

const STRIPE = [
  'create_customer',
  'list_customers',
  'create_product',
  'list_products',
  'create_price',
  'list_prices',
  'create_payment_link',
  'create_invoice',
  'list_invoices',
  'create_invoice_item',
  'finalize_invoice',
  'retrieve_balance',
  'create_refund',
  'list_payment_intents',
  'list_subscriptions',
  'cancel_subscription',
  'update_subscription',
  'search_stripe_documentation',
  'list_coupons',
  'create_coupon',
  'update_dispute',
  'list_disputes',
];

/** What the toolkit's actions need, as the Dashboard's restricted-key table reads (docs/agents.md §4.4). */
const TOOLKIT_PERMISSIONS = {
  Customers: 'Write',
  Products: 'Write',
  Prices: 'Write',
  'Payment Links': 'Write',
  Invoices: 'Write',
  'Invoice items': 'Write',
  Balance: 'Read',
  Refunds: 'Write',
  'Payment Intents': 'Read',
  Subscriptions: 'Write',
  Coupons: 'Write',
  Disputes: 'Write',
};

let keys = 0;
/** A world with a paying customer, a disputed payment and a trialing subscription; and a restricted key for every toolkit action. */
async function seedWorld(h: Harness) {
  const owner = freshKey('mcp_stripe');
  const stripe = h.stripe(owner);
  const agentKey = `rk_test_toolkit_${process.pid}_${h.mode.replace('-', '_')}_${keys++}`;
  await h.control(owner).seed({ keys: [{ key: agentKey, permissions: TOOLKIT_PERMISSIONS }] });
  const john = await stripe.customers.create({ email: 'john@example.com', name: 'John' });
  const pay = (payment_method: string) =>
    stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: john.id, payment_method, confirm: true, allowed_payment_method_types: ['card'] });
  const pi = await pay('pm_card_visa');
  const disputed = await pay('pm_card_createDispute');
  const monthly = await stripe.prices.create({ unit_amount: 2000, currency: 'usd', recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
  const yearly = await stripe.prices.create({ unit_amount: 20000, currency: 'usd', recurring: { interval: 'year' }, product_data: { name: 'Pro yearly' } });
  const subscription = await stripe.subscriptions.create({ customer: john.id, items: [{ price: monthly.id }], trial_period_days: 14 });
  return { owner, stripe, agentKey, john, pi, disputed, monthly, yearly, subscription };
}

/** Calls a tool and reads its one text item as JSON; the toolkit never sets isError or structuredContent. */
function caller(client: Client) {
  return async (name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toBeUndefined();
    expect(result.content).toHaveLength(1);
    const body = text(result);
    expect(body).toBe(JSON.stringify(JSON.parse(body))); // compact, as JSON.stringify writes it
    return JSON.parse(body);
  };
}

/** Every tool once, as the toolkit's actions would call them in the world `w`; checks each answer against the API. */
async function everyTool(client: Client, w: Awaited<ReturnType<typeof seedWorld>>, h: Harness) {
  expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(STRIPE);
  const call = caller(client);

  const ada = await call('create_customer', { name: 'Ada', email: 'ada@example.com' });
  expect(ada).toEqual({ id: expect.stringMatching(/^cus_/) });
  expect(await w.stripe.customers.retrieve(ada.id)).toMatchObject({ name: 'Ada', email: 'ada@example.com' });
  expect(await call('list_customers', { email: 'ada@example.com' })).toEqual([{ id: ada.id }]);
  expect(await call('list_customers', { limit: 2 })).toEqual([{ id: ada.id }, { id: w.john.id }]);

  const product = await call('create_product', { name: 'Guide', description: 'A printed guide' });
  expect(product).toEqual(JSON.parse(JSON.stringify(await w.stripe.products.retrieve(product.id))));
  expect(product).toMatchObject({ object: 'product', name: 'Guide', description: 'A printed guide' });
  expect((await call('list_products', { limit: 1 })).map((p: Stripe.Product) => p.id)).toEqual([product.id]);

  const price = await call('create_price', { product: product.id, unit_amount: 900, currency: 'usd' });
  expect(price).toMatchObject({ object: 'price', product: product.id, unit_amount: 900, currency: 'usd', type: 'one_time' });
  expect(await call('list_prices', { product: product.id })).toEqual([price]);

  const link = await call('create_payment_link', { price: price.id, quantity: 2, redirect_url: 'https://example.com/thanks' });
  expect(link).toEqual({ id: expect.stringMatching(/^plink_/), url: expect.any(String) });
  const made = await w.stripe.paymentLinks.retrieve(link.id);
  expect(made.after_completion).toMatchObject({ type: 'redirect', redirect: { url: 'https://example.com/thanks' } });
  expect((await w.stripe.paymentLinks.listLineItems(link.id)).data.map((i) => [i.price!.id, i.quantity])).toEqual([[price.id, 2]]);

  const draft = await call('create_invoice', { customer: ada.id, days_until_due: 30 });
  expect(draft).toEqual({ id: expect.stringMatching(/^in_/), url: null, customer: ada.id, status: 'draft' });
  expect(await w.stripe.invoices.retrieve(draft.id)).toMatchObject({ collection_method: 'send_invoice' });
  // The toolkit sends the price top-level (its API version, acacia, had it).
  const item = await call('create_invoice_item', { customer: ada.id, price: price.id, invoice: draft.id });
  expect(item).toEqual({ id: expect.stringMatching(/^ii_/), invoice: draft.id });
  const open = await call('finalize_invoice', { invoice: draft.id });
  expect(open).toEqual({ id: draft.id, url: expect.stringMatching(/^https?:\/\//), customer: ada.id, status: 'open' });
  const invoices = await call('list_invoices', { customer: ada.id });
  expect(invoices.map((i: Stripe.Invoice) => [i.id, i.status, i.amount_due])).toEqual([[draft.id, 'open', 900]]);

  expect(await call('retrieve_balance')).toEqual(JSON.parse(JSON.stringify(await w.stripe.balance.retrieve())));

  expect(await call('create_refund', { payment_intent: w.pi.id, amount: 500 })).toEqual({ id: expect.stringMatching(/^re_/), status: 'succeeded', amount: 500 });
  const intents = await call('list_payment_intents', { customer: w.john.id });
  expect(intents.map((p: Stripe.PaymentIntent) => p.id)).toEqual([w.disputed.id, w.pi.id]);

  const trialing = await call('list_subscriptions', { customer: w.john.id, status: 'trialing' });
  expect(trialing.map((s: Stripe.Subscription) => s.id)).toEqual([w.subscription.id]);
  expect(await call('list_subscriptions', { price: w.yearly.id })).toEqual([]);
  const itemId = w.subscription.items.data[0].id;
  const updated = await call('update_subscription', {
    subscription: w.subscription.id,
    proration_behavior: 'none',
    items: [{ id: itemId, deleted: true }, { price: w.yearly.id, quantity: 2 }],
  });
  expect(updated).toMatchObject({ object: 'subscription', id: w.subscription.id });
  expect(updated.items.data.map((i: Stripe.SubscriptionItem) => [i.price.id, i.quantity])).toEqual([[w.yearly.id, 2]]);
  const canceled = await call('cancel_subscription', { subscription: w.subscription.id });
  expect(canceled).toMatchObject({ object: 'subscription', id: w.subscription.id, status: 'canceled' });

  const sources = await call('search_stripe_documentation', { question: 'How do I create a refund?', language: 'node' });
  expect(sources[0]).toMatchObject({ title: 'POST /v1/refunds', content: expect.stringContaining('refund') });
  expect(await call('search_stripe_documentation', { question: 'zzzz' })).toMatch(/^stripe-twin cannot search Stripe's documentation/);

  // The toolkit's defaults are sent: currency "USD", duration "once".
  const coupon = await call('create_coupon', { name: 'Ten off', amount_off: 1000 });
  expect(coupon).toEqual({ id: expect.any(String) });
  expect(await w.stripe.coupons.retrieve(coupon.id)).toMatchObject({ amount_off: 1000, currency: 'usd', duration: 'once', name: 'Ten off' });
  expect(await call('list_coupons')).toEqual([{ id: coupon.id, name: 'Ten off', percent_off: null, amount_off: 1000, duration: 'once' }]);

  const disputes = await call('list_disputes', { payment_intent: w.disputed.id });
  expect(disputes).toEqual([{ id: expect.stringMatching(/^dp_/) }]);
  expect(await call('list_disputes', { charge: w.pi.latest_charge })).toEqual([]);
  expect(await call('update_dispute', { dispute: disputes[0].id, evidence: { uncategorized_text: 'winning_evidence' }, submit: true })).toEqual({ id: disputes[0].id });
  expect((await w.stripe.disputes.retrieve(disputes[0].id)).status).toBe('won');

  // The same calls as the REST API's: the request log (list_disputes sent its default limit).
  const log = await h.control(w.owner).requests();
  const paths = log.data.map((r) => `${r.method} ${r.path}`);
  expect(paths).toEqual(
    expect.arrayContaining(['POST /v1/customers', 'POST /v1/invoiceitems', `POST /v1/invoices/${draft.id}/finalize`, `DELETE /v1/subscriptions/${w.subscription.id}`, 'POST /v1/coupons']),
  );
}

describe.each(MODES)('the stripe MCP tool set over Streamable HTTP (%s)', (mode: Mode) => {
  const t = useHarness(mode);
  const clients: Client[] = [];
  const connect = async (key: string, path?: string) => {
    const client = await httpClient(t.h, key, path);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it("lists the toolkit's 22 tools at /mcp and /mcp/stripe, as the toolkit lists them", async () => {
    const client = await connect(t.key);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(STRIPE);
    expect((await (await connect(t.key, '/mcp/stripe')).listTools()).tools.map((tool) => tool.name)).toEqual(STRIPE);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    for (const tool of tools) {
      expect(tool).not.toHaveProperty('title');
      expect(tool).not.toHaveProperty('outputSchema');
      expect(tool.annotations).toMatchObject({ openWorldHint: true, title: expect.stringMatching(/^[A-Z][a-z]+( ([a-z]+|Stripe))*$/) });
    }
    expect(byName.create_customer.inputSchema).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', description: expect.any(String) },
        email: { type: 'string', format: 'email', description: expect.any(String) },
      },
      required: ['name'],
      additionalProperties: false,
      $schema: 'http://json-schema.org/draft-07/schema#',
    });
    expect(byName.retrieve_balance.inputSchema).toEqual({ type: 'object', properties: {} });
    expect(byName.create_price.inputSchema.required).toEqual(['product', 'unit_amount', 'currency']);
    expect(byName.list_subscriptions.inputSchema.properties!.status).toMatchObject({
      enum: ['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'all'],
    });
    expect(byName.list_disputes.inputSchema.properties!.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 10 });
    expect(byName.list_customers.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true, destructiveHint: false });
    expect(byName.cancel_subscription.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true, destructiveHint: true });
    expect(byName.finalize_invoice.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true, destructiveHint: false });
    expect(byName.create_refund.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false, destructiveHint: false });
  });

  it('calls every tool with a restricted key for the toolkit\'s actions against a seeded world; the calls are the API\'s', async () => {
    const w = await seedWorld(t.h);
    await everyTool(await connect(w.agentKey), w, t.h);
  });

  it('answers failures as the toolkit does: "Failed to …" text, not a tool error (create_coupon adds the message)', async () => {
    const client = await connect(t.key);
    const raw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
    const refund = await raw('create_refund', { payment_intent: 'pi_nope' });
    expect(refund).toEqual({ content: [{ type: 'text', text: '"Failed to create refund"' }] });
    const both = await raw('create_coupon', { name: 'Both', amount_off: 100, percent_off: 10 });
    expect(both.isError).toBeFalsy();
    expect(JSON.parse(text(both))).toMatch(/^Failed to create coupon: ./);
    expect(text(await raw('finalize_invoice', { invoice: 'in_nope' }))).toBe('"Failed to finalize invoice"');
    expect(text(await raw('cancel_subscription', { subscription: 'sub_nope' }))).toBe('"Failed to cancel subscription"');
    // Input the schema refuses is the MCP SDK's tool error, as for any tool.
    const invalid = await raw('create_customer', { name: 'X', email: 'not an email' });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^MCP error -32602: Input validation error: Invalid arguments for tool create_customer: \/email must match format "email"/);
    expect((await raw('list_customers', { limit: 101 })).isError).toBe(true);
  });

  it('shows a restricted key only the tools its permissions allow (the documentation search needs none); a tool called anyway fails', async () => {
    const owner = freshKey('mcp_stripe_narrow');
    const customer = await t.h.stripe(owner).customers.create({ email: 'ann@example.com' });
    const { key } = await t.h.control(owner).keys.create({ kind: 'restricted', permissions: { Customers: 'Read', Coupons: 'Write' } as never });
    const client = await connect(key);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['list_customers', 'search_stripe_documentation', 'list_coupons', 'create_coupon']);
    const call = caller(client);
    expect(await call('list_customers')).toEqual([{ id: customer.id }]);
    expect(await call('create_coupon', { name: 'Five', amount_off: 500 })).toEqual({ id: expect.any(String) });
    expect(await call('create_customer', { name: 'Nope' })).toBe('Failed to create customer');
    expect(await call('retrieve_balance')).toBe('Failed to retrieve balance');
    expect((await t.h.stripe(owner).customers.list()).data.map((c) => c.id)).toEqual([customer.id]);
  });
});

describe('the stripe MCP tool set over stdio (stripe-twin mcp)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http');
  });
  afterAll(() => h.close());

  it('calls every tool through the bridge (--url) against a seeded world', async () => {
    const w = await seedWorld(h);
    const client = await stdioClient(['--url', h.url, '--api-key', w.agentKey, '--tools', 'stripe']);
    try {
      await everyTool(client, w, h);
    } finally {
      await client.close();
    }
  });

  it('is the default set of the bridge (--url), with the key\'s tools and the twin\'s world', async () => {
    const owner = freshKey('mcp_stripe_stdio');
    const john = await h.stripe(owner).customers.create({ email: 'john@example.com' });
    const { key } = await h.control(owner).keys.create({ kind: 'restricted', permissions: { Customers: 'Write' } as never });
    const client = await stdioClient(['--url', h.url, '--api-key', key]);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['create_customer', 'list_customers', 'search_stripe_documentation']);
      const call = caller(client);
      const ada = await call('create_customer', { name: 'Ada' });
      expect(await call('list_customers')).toEqual([{ id: ada.id }, { id: john.id }]);
      expect(await call('retrieve_balance')).toBe('Failed to retrieve balance');
    } finally {
      await client.close();
    }
  });

  it('serves several sets together with --tools stripe,skill, in a twin of its own', async () => {
    const client = await stdioClient(['--api-key', 'sk_test_mcp_stripe_stdio', '--seed', '1', '--tools', 'stripe,skill']);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names.slice(0, 22)).toEqual(STRIPE);
      expect(names.slice(22)).toHaveLength(8);
      const call = caller(client);
      const ada = await call('create_customer', { name: 'Ada' });
      const found = (await client.callTool({ name: 'stripe_get_customer', arguments: { customer_id: ada.id } })) as CallToolResult;
      expect(found.structuredContent).toMatchObject({ id: ada.id, name: 'Ada' });
    } finally {
      await client.close();
    }
  });
});
