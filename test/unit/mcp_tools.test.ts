import { permissionFor } from '../../src/engine/permissions';
import { routes } from '../../src/resources';
import { TOOL_SETS, toolsFor } from '../../src/mcp/server';
import { requestFor } from '../../src/mcp/tools';

// The MCP tool declarations (src/mcp): each names a modeled REST route with a
// known permission, and maps only inputs it declares.

describe.each(Object.keys(TOOL_SETS))('tool set %s', (set) => {
  const tools = TOOL_SETS[set];

  it('names unique tools, each over a modeled route with a known permission, mapping declared inputs only', () => {
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    for (const tool of tools) {
      const sample = tool.call.path.replace(/\{[^}]+\}/g, 'x_1');
      const match = routes.match(tool.call.method, sample);
      expect({ tool: tool.name, modeled: match !== null && match !== 'wrong-method' && match.value.path === tool.call.path }).toEqual({ tool: tool.name, modeled: true });
      expect({ tool: tool.name, permission: permissionFor(tool.call.method, tool.call.path) }).toEqual({ tool: tool.name, permission: expect.stringMatching(/^rak_[a-z_]+_(read|write)$/) });
      for (const input of Object.keys(tool.call.map)) expect(Object.keys(tool.inputs)).toContain(input);
      for (const required of tool.required ?? []) expect(Object.keys(tool.inputs)).toContain(required);
    }
  });
});

describe('skill tools', () => {
  it("need exactly brief 001's permissions, one tool set for a key per row", () => {
    const needs = Object.fromEntries(TOOL_SETS.skill.map((t) => [t.name, permissionFor(t.call.method, t.call.path)]));
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
    expect(requestFor(tool('stripe_get_customer'), { customer_id: 'cus_a/b' })).toEqual({ method: 'GET', url: '/v1/customers/cus_a%2Fb', body: '' });
    expect(requestFor(tool('stripe_list_invoices'), { customer_id: 'cus_1', status: 'open', limit: 3 })).toEqual({ method: 'GET', url: '/v1/invoices?customer=cus_1&status=open&limit=3', body: '' });
    expect(requestFor(tool('stripe_create_payment_link'), { price_id: 'price_1', quantity: 2 })).toEqual({ method: 'POST', url: '/v1/payment_links', body: 'line_items[0][price]=price_1&line_items[0][quantity]=2' });
    expect(requestFor(tool('stripe_create_refund'), { charge_id: 'ch_1' })).toEqual({ method: 'POST', url: '/v1/refunds', body: 'charge=ch_1' });
  });
});
