import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Stripe from 'stripe';
import { BRIEF_001_PERMISSIONS, freshKey, Harness, Mode, MODES, startHarness, useHarness } from '../helpers';
import { httpClient, stdioClient, text } from '../mcp_helpers';

// The MCP server (src/mcp): brief 001's eight skill tools (docs/agents.md §3.3; /mcp/skill, --tools skill), each a face over one
// REST route called through the API's pipeline with the caller's key. The SDK's
// own Client talks to it over Streamable HTTP (/mcp on a served twin; in-process,
// the same requests handed to the pipeline by a fetch) and over stdio
// (`stripe-twin mcp`, bridged to a served twin or with a twin of its own).

const SKILL = [
  'stripe_get_balance',
  'stripe_list_customers',
  'stripe_get_customer',
  'stripe_list_payment_intents',
  'stripe_create_payment_link',
  'stripe_list_invoices',
  'stripe_create_refund',
  'stripe_list_subscriptions',
];


let agentKeys = 0;
/** A world with a customer who paid, a price, an invoice and a subscription; and brief 001's restricted key for it. */
async function seedWorld(h: Harness) {
  const owner = freshKey('mcp_owner');
  const stripe = h.stripe(owner);
  const agentKey = `rk_test_agent_${process.pid}_${h.mode.replace('-', '_')}_${agentKeys++}`;
  await h.control(owner).seed({ keys: [{ key: agentKey, permissions: BRIEF_001_PERMISSIONS }] });
  const john = await stripe.customers.create({ email: 'john@example.com', name: 'John' });
  const other = await stripe.customers.create({ email: 'sarah@example.com', name: 'Sarah' });
  const pi = await stripe.paymentIntents.create({
    amount: 2500, currency: 'usd', customer: john.id, payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'],
  });
  const price = await stripe.prices.create({ unit_amount: 2000, currency: 'usd', recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
  const oneTime = await stripe.prices.create({ unit_amount: 900, currency: 'usd', product_data: { name: 'Guide' } });
  const invoice = await stripe.invoices.create({ customer: john.id });
  const subscription = await stripe.subscriptions.create({ customer: john.id, items: [{ price: price.id }], trial_period_days: 14 });
  return { owner, stripe, agentKey, john, other, pi, price, oneTime, invoice, subscription };
}

/** Every skill tool once in the world `w`, each answer checked against the API, then the events and the request log. */
async function everyTool(client: Client, w: Awaited<ReturnType<typeof seedWorld>>, h: Harness) {
  expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(SKILL);
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(text(result))).toEqual(result.structuredContent);
    return result.structuredContent as any;
  };

  const balance = await call('stripe_get_balance');
  expect(balance).toEqual(JSON.parse(JSON.stringify(await w.stripe.balance.retrieve())));
  expect(balance.object).toBe('balance');

  const found = await call('stripe_list_customers', { email: 'john@example.com' });
  expect(found.data.map((c: Stripe.Customer) => c.id)).toEqual([w.john.id]);
  expect((await call('stripe_list_customers', { limit: 1 })).data.map((c: Stripe.Customer) => c.id)).toEqual([w.other.id]);

  expect(await call('stripe_get_customer', { customer_id: w.john.id })).toEqual(JSON.parse(JSON.stringify(await w.stripe.customers.retrieve(w.john.id))));

  const intents = await call('stripe_list_payment_intents', { customer_id: w.john.id });
  expect(intents.data.map((p: Stripe.PaymentIntent) => [p.id, p.status])).toEqual([[w.pi.id, 'succeeded']]);
  expect((await call('stripe_list_payment_intents', { customer_id: w.other.id })).data).toEqual([]);

  const link = await call('stripe_create_payment_link', { price_id: w.oneTime.id, quantity: 2 });
  expect(link).toMatchObject({ object: 'payment_link', active: true });
  expect(link.url).toEqual(expect.any(String));
  const items = await w.stripe.paymentLinks.listLineItems(link.id);
  expect(items.data.map((i) => [i.price!.id, i.quantity])).toEqual([[w.oneTime.id, 2]]);

  const invoices = await call('stripe_list_invoices', { customer_id: w.john.id, status: 'draft' });
  expect(invoices.data.map((i: Stripe.Invoice) => i.id)).toEqual([w.invoice.id]);
  // The trial's $0 invoice is paid at once.
  const paid = await call('stripe_list_invoices', { customer_id: w.john.id, status: 'paid' });
  expect(paid.data.map((i: Stripe.Invoice) => [i.billing_reason, i.amount_paid])).toEqual([['subscription_create', 0]]);
  expect((await call('stripe_list_invoices', { customer_id: w.other.id })).data).toEqual([]);

  const subscriptions = await call('stripe_list_subscriptions', { customer_id: w.john.id, status: 'trialing' });
  expect(subscriptions.data.map((s: Stripe.Subscription) => s.id)).toEqual([w.subscription.id]);

  const refund = await call('stripe_create_refund', { payment_intent_id: w.pi.id, amount: 500 });
  expect(refund).toMatchObject({ object: 'refund', amount: 500, payment_intent: w.pi.id, status: 'succeeded' });
  const byCharge = await call('stripe_create_refund', { charge_id: w.pi.latest_charge as string });
  expect(byCharge).toMatchObject({ object: 'refund', amount: 2000, charge: w.pi.latest_charge });

  // The same calls as the REST API's: their events, and the request log.
  const events = await w.stripe.events.list({ type: 'refund.created' });
  expect(events.data.map((e) => (e.data.object as Stripe.Refund).id)).toEqual([byCharge.id, refund.id]);
  expect(events.data[1].request?.id).toEqual(expect.stringMatching(/^req_/));
  const log = await h.control(w.owner).requests();
  const paths = log.data.map((r) => `${r.method} ${r.path}`);
  expect(paths).toEqual(expect.arrayContaining(['GET /v1/balance', `GET /v1/customers/${w.john.id}`, 'POST /v1/payment_links', 'POST /v1/refunds']));
}

describe.each(MODES)('MCP over Streamable HTTP (%s)', (mode: Mode) => {
  const t = useHarness(mode);
  const clients: Client[] = [];
  // The skill set is /mcp/skill (/mcp is Stripe's own set: test/e2e/mcp_stripe.test.ts).
  const connect = async (key: string, path = '/mcp/skill') => {
    const client = await httpClient(t.h, key, path);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('lists the eight skill tools for a secret key, with JSON Schemas, output schemas and hints', async () => {
    const client = await connect(t.key);
    expect(client.getServerVersion()).toMatchObject({ name: 'stripe-twin' });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(SKILL);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(byName.stripe_get_customer.inputSchema).toEqual({
      type: 'object',
      properties: { customer_id: { type: 'string', description: 'The customer ID (cus_…).' } },
      required: ['customer_id'],
      additionalProperties: false,
      $schema: 'http://json-schema.org/draft-07/schema#',
    });
    expect(Object.keys(byName.stripe_create_refund.inputSchema.properties!)).toEqual(['payment_intent_id', 'charge_id', 'amount']);
    expect(Object.keys(byName.stripe_list_invoices.inputSchema.properties!)).toEqual(['customer_id', 'status', 'limit']);
    expect(byName.stripe_list_customers.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    expect(byName.stripe_create_refund.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    expect(byName.stripe_create_payment_link.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(byName.stripe_list_subscriptions.outputSchema).toMatchObject({ type: 'object', properties: { object: { const: 'list' } } });
    // Served with the stripe set, after it: /mcp/stripe,skill.
    const both = (await (await connect(t.key, '/mcp/stripe,skill')).listTools()).tools.map((tool) => tool.name);
    expect(both).toHaveLength(30);
    expect(both.slice(22)).toEqual(SKILL);
  });

  it("calls every skill tool with brief 001's restricted key against a seeded world; the calls are the API's (events, request log)", async () => {
    const w = await seedWorld(t.h);
    const client = await connect(w.agentKey);
    await everyTool(client, w, t.h);
  });

  it('shows a restricted key only the tools its permissions allow; a tool called anyway fails with Stripe\'s permission error', async () => {
    const owner = freshKey('mcp_narrow');
    const customer = await t.h.stripe(owner).customers.create({ email: 'ann@example.com' });
    const { key } = await t.h.control(owner).keys.create({ kind: 'restricted', permissions: { Customers: 'Read', Invoices: 'Write' } as never });
    const account = (await t.h.control(owner).keys.list()).account;
    const client = await connect(key);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['stripe_list_customers', 'stripe_get_customer', 'stripe_list_invoices']);
    expect(JSON.parse(text(await client.callTool({ name: 'stripe_get_customer', arguments: { customer_id: customer.id } }))).email).toBe('ann@example.com');

    const denied = (await client.callTool({ name: 'stripe_create_refund', arguments: { payment_intent_id: 'pi_123' } })) as CallToolResult;
    expect(denied.isError).toBe(true);
    const masked = `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 30))}${key.slice(-4)}`;
    expect(JSON.parse(text(denied))).toEqual({
      error: {
        message: `The provided key '${masked}' does not have the required permissions for this endpoint on account '${account}'. Having the 'rak_refund_write' permission would allow this request to continue.`,
        type: 'invalid_request_error',
      },
    });
    const balance = (await client.callTool({ name: 'stripe_get_balance', arguments: {} })) as CallToolResult;
    expect(balance.isError).toBe(true);
    expect(text(balance)).toContain("Having the 'rak_balance_read' permission would allow this request to continue.");
  });

  it("turns a Stripe error into a tool error carrying the API's error body; bad input and unknown tools are tool errors too", async () => {
    const client = await connect(t.key);
    const missing = (await client.callTool({ name: 'stripe_get_customer', arguments: { customer_id: 'cus_nope' } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toBeUndefined();
    expect(JSON.parse(text(missing)).error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: "No such customer: 'cus_nope'" });

    const refund = (await client.callTool({ name: 'stripe_create_refund', arguments: { payment_intent_id: 'pi_nope', amount: 100 } })) as CallToolResult;
    expect(refund.isError).toBe(true);
    expect(JSON.parse(text(refund)).error).toMatchObject({ code: 'resource_missing', message: "No such payment_intent: 'pi_nope'" });

    const invalid = (await client.callTool({ name: 'stripe_get_customer', arguments: {} })) as CallToolResult;
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^MCP error -32602: Input validation error: Invalid arguments for tool stripe_get_customer: .*customer_id/);
    const badStatus = (await client.callTool({ name: 'stripe_list_invoices', arguments: { status: 'late' } })) as CallToolResult;
    expect(text(badStatus)).toMatch(/Invalid arguments for tool stripe_list_invoices: \/status must be equal to one of the allowed values/);

    // Unknown arguments are dropped, as the SDK's McpServer does.
    expect(((await client.callTool({ name: 'stripe_get_balance', arguments: { verbose: true } })) as CallToolResult).isError).toBeFalsy();
    expect(text(await client.callTool({ name: 'stripe_delete_everything', arguments: {} }))).toBe('MCP error -32602: Tool stripe_delete_everything not found');
  });

  it('answers HTTP as a stateless Streamable HTTP server: a key is needed, GET is 405, unknown tool sets 404', async () => {
    if (mode === 'in-process') return; // the raw HTTP answers; the pipeline gives the same ones in-process
    const noKey = await fetch(`${t.h.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as any).error.type).toBe('invalid_request_error');
    const get = await fetch(`${t.h.url}/mcp`, { headers: { authorization: `Bearer ${t.key}`, accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    const unknown = await fetch(`${t.h.url}/mcp/everything`, { method: 'POST', headers: { authorization: `Bearer ${t.key}` }, body: '{}' });
    expect(unknown.status).toBe(404);
    const list = await fetch(`${t.h.url}/mcp/skill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as any).result.tools).toHaveLength(8);
  });
});

describe('MCP over stdio (stripe-twin mcp)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http');
  });
  afterAll(() => h.close());

  it('bridges to a running twin (--url): every tool in its world, with its key, and its errors', async () => {
    const w = await seedWorld(h);
    const client = await stdioClient(['--url', h.url, '--api-key', w.agentKey, '--tools', 'skill']);
    try {
      await everyTool(client, w, h);
      const missing = (await client.callTool({ name: 'stripe_get_customer', arguments: { customer_id: 'cus_nope' } })) as CallToolResult;
      expect(missing.isError).toBe(true);
      expect(JSON.parse(text(missing)).error.code).toBe('resource_missing');
    } finally {
      await client.close();
    }
  });

  it('runs a twin of its own without --url', async () => {
    const client = await stdioClient(['--api-key', 'sk_test_mcp_stdio', '--seed', '1', '--tools', 'skill']);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(SKILL);
      const balance = (await client.callTool({ name: 'stripe_get_balance', arguments: {} })) as CallToolResult;
      expect(balance.structuredContent).toMatchObject({ object: 'balance', livemode: false });
      expect(JSON.parse(text(await client.callTool({ name: 'stripe_list_customers', arguments: {} }))).data).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
