import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freshKey, Harness, Mode, MODES, startHarness, useHarness } from '../helpers';
import { httpClient, stdioClient, text } from '../mcp_helpers';

// Brief 000's twelve stripe-node-aligned tools (docs/agents.md §3.4; src/mcp/pome.ts, /mcp/pome,
// --tools pome) driven by the MCP SDK's own Client through the crypto-deposit
// flow they exist for: a deposit PaymentIntent, its settlement by the test
// helper, the charge, balance and events, a refund retried with one idempotency
// key, and a second refund refused with Stripe's error.

const POME = [
  'create_payment_intent',
  'retrieve_payment_intent',
  'confirm_payment_intent',
  'cancel_payment_intent',
  'list_payment_intents',
  'simulate_crypto_deposit',
  'retrieve_charge',
  'list_charges',
  'create_refund',
  'retrieve_balance',
  'list_balance_transactions',
  'list_events',
];
const SUCCESS = `0x${'0'.repeat(53)}testsuccess`;
const WALLET = '0x1111111111111111111111111111111111111111';
const DEPOSIT = {
  amount: 1000,
  currency: 'usd',
  allowed_payment_method_types: ['crypto'],
  payment_method_data: { type: 'crypto' },
  payment_method_options: { crypto: { mode: 'deposit', deposit_options: { networks: ['base'] } } },
  confirm: true,
};

/** A successful call's object (the REST answer as structuredContent, and the same bytes as text). */
async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name}: ${text(result)}`);
  expect(JSON.parse(text(result))).toEqual(result.structuredContent);
  return result.structuredContent;
}

/** Every tool once, in the order an agent settling and refunding a deposit would call them; returns what it saw. */
async function depositFlow(client: Client) {
  const pi = await call(client, 'create_payment_intent', { ...DEPOSIT, description: 'agent order 1', metadata: { order: '1' } });
  expect(pi).toMatchObject({ object: 'payment_intent', status: 'requires_action', amount: 1000, metadata: { order: '1' } });
  const address = pi.next_action.crypto_display_details.deposit_addresses.base.address;
  expect(address).toMatch(/^0x[0-9a-f]{40}$/i);

  const settled = await call(client, 'simulate_crypto_deposit', {
    id: pi.id, buyer_wallet: WALLET, network: 'base', token_currency: 'usdc', transaction_hash: SUCCESS,
  });
  expect(settled).toMatchObject({ id: pi.id, status: 'succeeded', amount_received: 1000 });
  expect(await call(client, 'retrieve_payment_intent', { id: pi.id })).toMatchObject({ status: 'succeeded', latest_charge: settled.latest_charge });

  const charges = await call(client, 'list_charges', { payment_intent: pi.id });
  expect(charges.data.map((c: any) => c.id)).toEqual([settled.latest_charge]);
  const charge = await call(client, 'retrieve_charge', { id: settled.latest_charge });
  expect(charge).toMatchObject({ status: 'succeeded', payment_method_details: { type: 'crypto', crypto: { buyer_address: WALLET } } });
  const txns = await call(client, 'list_balance_transactions', { source: charge.id });
  expect(txns.data).toEqual([expect.objectContaining({ id: charge.balance_transaction, amount: 1000, type: 'payment' })]);
  expect((await call(client, 'retrieve_balance')).object).toBe('balance');

  // A refund whose answer the agent lost is retried with the same key: one refund.
  const refund = await call(client, 'create_refund', { payment_intent: pi.id, reason: 'requested_by_customer', idempotency_key: 'refund-order-1' });
  expect(await call(client, 'create_refund', { payment_intent: pi.id, reason: 'requested_by_customer', idempotency_key: 'refund-order-1' })).toEqual(refund);
  const again = (await client.callTool({ name: 'create_refund', arguments: { charge: charge.id } })) as CallToolResult;
  expect(again.isError).toBe(true);
  expect(JSON.parse(text(again)).error).toMatchObject({ type: 'invalid_request_error', code: 'charge_already_refunded' });

  const events = await call(client, 'list_events', { types: ['payment_intent.succeeded', 'charge.refunded'] });
  expect(events.data.map((e: any) => e.type)).toEqual(['charge.refunded', 'payment_intent.succeeded']);

  // The card side of the same tools: confirm one intent, cancel another, list them.
  const card = await call(client, 'create_payment_intent', { amount: 500, currency: 'usd', allowed_payment_method_types: ['card'] });
  expect(await call(client, 'confirm_payment_intent', { id: card.id, payment_method: 'pm_card_visa' })).toMatchObject({ status: 'succeeded' });
  const abandoned = await call(client, 'create_payment_intent', { amount: 700, currency: 'usd', allowed_payment_method_types: ['card'] });
  expect(await call(client, 'cancel_payment_intent', { id: abandoned.id, cancellation_reason: 'abandoned' })).toMatchObject({
    status: 'canceled', cancellation_reason: 'abandoned',
  });
  const listed = await call(client, 'list_payment_intents', { limit: 2 });
  expect(listed).toMatchObject({ object: 'list', has_more: true });
  expect(listed.data.map((p: any) => p.id)).toEqual([abandoned.id, card.id]);
  return { pi, refund };
}

describe.each(MODES)('the pome tool set over Streamable HTTP (%s)', (mode: Mode) => {
  const t = useHarness(mode);
  const clients: Client[] = [];
  const connect = async (key: string, path = '/mcp/pome') => {
    const client = await httpClient(t.h, key, path);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('lists the twelve tools, with stripe-node parameter names, output schemas and hints', async () => {
    const { tools } = await (await connect(t.key)).listTools();
    expect(tools.map((tool) => tool.name)).toEqual(POME);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(byName.simulate_crypto_deposit.inputSchema.required).toEqual(['id', 'buyer_wallet', 'network', 'token_currency', 'transaction_hash']);
    expect(Object.keys(byName.create_refund.inputSchema.properties!)).toEqual(['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'idempotency_key']);
    // stripe-node 23's allowed_payment_method_types; payment_method_types, refused from 2026-09-30.endive, is sent as it.
    expect(Object.keys(byName.create_payment_intent.inputSchema.properties!).slice(0, 4)).toEqual(['amount', 'currency', 'allowed_payment_method_types', 'payment_method_types']);
    const client = await connect(t.key);
    const legacy = await call(client, 'create_payment_intent', { amount: 500, currency: 'usd', payment_method_types: ['card'] });
    expect(legacy).toMatchObject({ allowed_payment_method_types: ['card'], payment_method_types: ['card'], automatic_payment_methods: null });
    const both = await call(client, 'create_payment_intent', { amount: 500, currency: 'usd', payment_method_types: ['card'], allowed_payment_method_types: ['crypto'] });
    expect(both).toMatchObject({ allowed_payment_method_types: ['crypto'], payment_method_types: ['crypto'] });
    expect(byName.create_refund.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.list_events.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(byName.retrieve_charge.outputSchema).toMatchObject({ properties: { object: { const: 'charge' } } });
  });

  it('runs every tool through a crypto deposit, its settlement, a retried refund and the events', async () => {
    const client = await connect(t.key);
    const { refund } = await depositFlow(client);
    // The retried refund made one refund, and both calls are in the request log under the one key.
    const refunds = await t.stripe.refunds.list();
    expect(refunds.data.map((r) => r.id)).toEqual([refund.id]);
  });

  it('lists only what a restricted key may call, and refuses a call made anyway with the permission error', async () => {
    const agentKey = `rk_test_pome_${process.pid}_${mode.replace('-', '_')}`;
    await t.h.control(t.key).seed({ keys: [{ key: agentKey, permissions: { 'Payment Intents': 'Read', Events: 'Read' } }] });
    const client = await connect(agentKey);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['retrieve_payment_intent', 'list_payment_intents', 'list_events']);
    const denied = (await client.callTool({ name: 'create_refund', arguments: { payment_intent: 'pi_123' } })) as CallToolResult;
    expect(denied.isError).toBe(true);
    expect(JSON.parse(text(denied)).error).toMatchObject({ type: 'invalid_request_error' });
    expect(JSON.parse(text(denied)).error.message).toContain('rak_refund_write');
  });
});

describe('the pome tool set over stdio (stripe-twin mcp --tools pome)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http');
  });
  afterAll(async () => {
    await h.close();
  });

  it('bridges to a served twin and runs the flow in its world', async () => {
    const key = freshKey('pome_stdio');
    const client = await stdioClient(['--url', h.url, '--api-key', key, '--tools', 'pome']);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(POME);
      const { pi } = await depositFlow(client);
      expect((await h.stripe(key).paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    } finally {
      await client.close();
    }
  });
});
