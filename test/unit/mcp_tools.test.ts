import { permissionFor } from '../../src/engine/permissions';
import { routes } from '../../src/resources';
import { listEntry, textResult, TOOL_SETS, toolSet, toolsFor } from '../../src/mcp/server';
import { isRestCall, project, requestFor, RestCall } from '../../src/mcp/tools';
import { searchDocumentation } from '../../src/mcp/documentation';

// The MCP tool declarations (src/mcp): each names a modeled REST route with a
// known permission, and maps only inputs it declares.

describe.each(Object.keys(TOOL_SETS))('tool set %s', (set) => {
  const tools = TOOL_SETS[set];

  it('names unique tools, each over a modeled route with a known permission, mapping declared inputs only', () => {
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    for (const tool of tools) {
      for (const required of tool.required ?? []) expect(Object.keys(tool.inputs)).toContain(required);
      // Each tool says what it answers: a Stripe object (structured) or the toolkit's text form.
      expect({ tool: tool.name, results: Boolean(tool.returns) !== Boolean(tool.text) }).toEqual({ tool: tool.name, results: true });
      if (!isRestCall(tool.call)) {
        // Only the documentation search is answered by the twin itself (no Stripe API call, no permission).
        expect([tool.name, tool.call.local]).toEqual(['search_stripe_documentation', 'search_documentation']);
        continue;
      }
      const call: RestCall = tool.call;
      const sample = call.path.replace(/\{[^}]+\}/g, 'x_1');
      const match = routes.match(call.method, sample);
      expect({ tool: tool.name, modeled: match !== null && match !== 'wrong-method' && match.value.path === call.path }).toEqual({ tool: tool.name, modeled: true });
      expect({ tool: tool.name, permission: permissionFor(call.method, call.path) }).toEqual({ tool: tool.name, permission: expect.stringMatching(/^rak_[a-z_]+_(read|write)$/) });
      for (const input of [...Object.keys(call.map), ...Object.keys(call.when ?? {})]) expect(Object.keys(tool.inputs)).toContain(input);
    }
  });
});

describe('skill tools', () => {
  it("need exactly brief 001's permissions, one tool set for a key per row", () => {
    const needs = Object.fromEntries(TOOL_SETS.skill.map((t) => [t.name, permissionFor((t.call as RestCall).method, (t.call as RestCall).path)]));
    expect(needs).toEqual({
      stripe_get_balance: 'rak_balance_read',
      stripe_list_customers: 'rak_customer_read',
      stripe_get_customer: 'rak_customer_read',
      stripe_list_payment_intents: 'rak_payment_intent_read',
      stripe_create_payment_link: 'rak_payment_link_write',
      stripe_list_invoices: 'rak_invoice_read',
      stripe_create_refund: 'rak_refund_write',
      stripe_list_subscriptions: 'rak_subscription_read',
    });
    expect(toolsFor('skill', ['rak_customer_write']).map((t) => t.name)).toEqual(['stripe_list_customers', 'stripe_get_customer']);
    expect(toolsFor('skill', null)).toHaveLength(8);
  });

  it('maps inputs to path and form parameters', () => {
    const tool = (name: string) => TOOL_SETS.skill.find((t) => t.name === name)!;
    expect(listEntry(tool('stripe_get_balance')).inputSchema).toEqual({ type: 'object', properties: {} });
    expect(requestFor(tool('stripe_get_customer'), { customer_id: 'cus_a/b' })).toEqual({ method: 'GET', url: '/v1/customers/cus_a%2Fb', body: '' });
    expect(requestFor(tool('stripe_list_invoices'), { customer_id: 'cus_1', status: 'open', limit: 3 })).toEqual({ method: 'GET', url: '/v1/invoices?customer=cus_1&status=open&limit=3', body: '' });
    expect(requestFor(tool('stripe_create_payment_link'), { price_id: 'price_1', quantity: 2 })).toEqual({ method: 'POST', url: '/v1/payment_links', body: 'line_items[0][price]=price_1&line_items[0][quantity]=2' });
    expect(requestFor(tool('stripe_create_refund'), { charge_id: 'ch_1' })).toEqual({ method: 'POST', url: '/v1/refunds', body: 'charge=ch_1' });
  });
});

describe('stripe tools (the agent toolkit 0.7.12 set)', () => {
  const tool = (name: string) => TOOL_SETS.stripe.find((t) => t.name === name)!;

  it('are the toolkit\'s 22 tools in its order, each needing the permission of its toolkit action (docs/agents.md §4.4)', () => {
    const needs = Object.fromEntries(TOOL_SETS.stripe.map((t) => [t.name, isRestCall(t.call) ? permissionFor(t.call.method, t.call.path) : null]));
    expect(needs).toEqual({
      create_customer: 'rak_customer_write',
      list_customers: 'rak_customer_read',
      create_product: 'rak_product_write',
      list_products: 'rak_product_read',
      create_price: 'rak_plan_write',
      list_prices: 'rak_plan_read',
      create_payment_link: 'rak_payment_link_write',
      create_invoice: 'rak_invoice_write',
      list_invoices: 'rak_invoice_read',
      create_invoice_item: 'rak_invoice_item_write',
      finalize_invoice: 'rak_invoice_write',
      retrieve_balance: 'rak_balance_read',
      create_refund: 'rak_refund_write',
      list_payment_intents: 'rak_payment_intent_read',
      list_subscriptions: 'rak_subscription_read',
      cancel_subscription: 'rak_subscription_write',
      update_subscription: 'rak_subscription_write',
      search_stripe_documentation: null,
      list_coupons: 'rak_coupon_read',
      create_coupon: 'rak_coupon_write',
      update_dispute: 'rak_dispute_write',
      list_disputes: 'rak_dispute_read',
    });
    // documentation.read is not a Stripe permission: every key lists the search.
    expect(toolsFor('stripe', ['rak_coupon_read']).map((t) => t.name)).toEqual(['search_stripe_documentation', 'list_coupons']);
    expect(toolsFor('stripe', null)).toHaveLength(22);
  });

  it('list as the toolkit lists them: no top-level title or outputSchema, draft-07 inputs, sentence-case annotation titles', () => {
    const entry = listEntry(tool('create_coupon'));
    expect(Object.keys(entry)).toEqual(['name', 'description', 'inputSchema', 'annotations', 'execution']);
    expect(entry.inputSchema).toMatchObject({
      type: 'object',
      required: ['name', 'amount_off'],
      additionalProperties: false,
      $schema: 'http://json-schema.org/draft-07/schema#',
      properties: { currency: { type: 'string', default: 'USD' }, duration: { enum: ['once', 'repeating', 'forever'], default: 'once' } },
    });
    expect(Object.keys(entry.inputSchema.properties!)).toEqual(['name', 'percent_off', 'amount_off', 'currency', 'duration', 'duration_in_months']);
    expect(entry.annotations).toEqual({ title: 'Create coupon', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    expect(listEntry(tool('retrieve_balance')).inputSchema).toEqual({ type: 'object', properties: {} });
    expect(listEntry(tool('cancel_subscription')).annotations).toMatchObject({ destructiveHint: true, idempotentHint: true, readOnlyHint: false });
    expect(listEntry(tool('list_customers')).inputSchema.properties).toMatchObject({ limit: { type: 'integer', minimum: 1, maximum: 100 } });
  });

  it('map inputs as the toolkit\'s stripe-node calls send them', () => {
    expect(requestFor(tool('create_payment_link'), { price: 'price_1', quantity: 2 })).toEqual({
      method: 'POST', url: '/v1/payment_links', body: 'line_items[0][price]=price_1&line_items[0][quantity]=2',
    });
    expect(requestFor(tool('create_payment_link'), { price: 'price_1', quantity: 1, redirect_url: 'https://example.com/ok' }).body).toBe(
      'line_items[0][price]=price_1&line_items[0][quantity]=1&after_completion[redirect][url]=https%3A%2F%2Fexample.com%2Fok&after_completion[type]=redirect',
    );
    expect(requestFor(tool('create_invoice'), { customer: 'cus_1', days_until_due: 30 }).body).toBe('customer=cus_1&days_until_due=30&collection_method=send_invoice');
    expect(requestFor(tool('cancel_subscription'), { subscription: 'sub_1' })).toEqual({ method: 'DELETE', url: '/v1/subscriptions/sub_1', body: '' });
    expect(requestFor(tool('update_subscription'), { subscription: 'sub_1', items: [{ id: 'si_1', deleted: true }, { price: 'price_2', quantity: 3 }] }).body).toBe(
      'items[0][id]=si_1&items[0][deleted]=true&items[1][price]=price_2&items[1][quantity]=3',
    );
    expect(requestFor(tool('update_dispute'), { dispute: 'dp_1', evidence: { uncategorized_text: 'hi' }, submit: false })).toEqual({
      method: 'POST', url: '/v1/disputes/dp_1', body: 'evidence[uncategorized_text]=hi&submit=false',
    });
  });

  it('answer compact JSON of the fields the toolkit keeps, and "Failed to …" strings, never isError', () => {
    expect(project(tool('create_invoice').text!, { id: 'in_1', hosted_invoice_url: null, customer: 'cus_1', status: 'draft', total: 0 })).toEqual({ id: 'in_1', url: null, customer: 'cus_1', status: 'draft' });
    expect(project(tool('list_customers').text!, { object: 'list', data: [{ id: 'cus_1', email: 'a' }] })).toEqual([{ id: 'cus_1' }]);
    expect(textResult(tool('create_refund'), { status: 200, body: '{\n  "id": "re_1",\n  "amount": 5,\n  "status": "succeeded"\n}' })).toEqual({
      content: [{ type: 'text', text: '{"id":"re_1","status":"succeeded","amount":5}' }],
    });
    const error = JSON.stringify({ error: { message: 'Invalid currency: usdd', type: 'invalid_request_error' } });
    expect(textResult(tool('create_refund'), { status: 403, body: error })).toEqual({ content: [{ type: 'text', text: '"Failed to create refund"' }] });
    expect(textResult(tool('create_coupon'), { status: 400, body: error }).content).toEqual([{ type: 'text', text: '"Failed to create coupon: Invalid currency: usdd"' }]);
  });

  it('serve with the skill set (no names collide), and refuse unknown sets', () => {
    expect(toolSet('stripe,skill')).toHaveLength(30);
    expect(() => toolSet('stripe,stripe')).toThrow('both have a tool named create_customer');
    expect(() => toolSet('stripe,nope')).toThrow('unknown tool set "nope"');
    // brief 000's set shares three names with the stripe set (docs/agents.md §3.4): never served together.
    expect(() => toolSet('stripe,pome')).toThrow('both have a tool named list_payment_intents');
    expect(toolSet('skill,pome')).toHaveLength(20);
  });
});

describe('search_stripe_documentation', () => {
  it('answers from the API operation summaries the twin ships, or says plainly it cannot search Stripe\'s documentation', () => {
    const sources = searchDocumentation('How do I create a refund?');
    expect(Array.isArray(sources)).toBe(true);
    expect((sources as { title: string }[])[0]).toMatchObject({ title: 'POST /v1/refunds', content: expect.stringContaining('refund'), source: expect.stringContaining('OpenAPI') });
    expect((sources as unknown[]).length).toBeLessThanOrEqual(5);
    expect(searchDocumentation('zzzz qqqq')).toMatch(/^stripe-twin cannot search Stripe's documentation/);
  });
});
