import { httpClient, text } from '../mcp_helpers';
import { freshKey, useHarness } from '../helpers';

// Sessions (src/server/sessions.ts, brief 000, docs/agents.md §8): the URL prefix /s/<id> without a key,
// and the session's bearer token with or without the prefix, both act as the
// session's key, on the API, the MCP server and the control surface.

describe('sessions', () => {
  const t = useHarness('http');
  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzY2VuYXJpbyJ9.c2lnbmF0dXJl';

  beforeEach(() => {
    const id = t.key.slice(-12).replace(/[^A-Za-z0-9]/g, '_');
    t.h.twin.engine.openSession({ id, key: t.key, token: `${TOKEN}${id}` });
  });
  const session = () => t.key.slice(-12).replace(/[^A-Za-z0-9]/g, '_');
  const get = (path: string, authorization?: string) =>
    fetch(`${t.h.url}${path}`, { headers: authorization ? { Authorization: authorization } : {} }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

  it('the prefix alone, the token under the prefix and the token alone reach the session key\'s world', async () => {
    const customer = await t.stripe.customers.create({ email: 'session@example.com' });
    const ids = (r: { json: any }) => r.json.data?.map((c: any) => c.id);
    expect(ids(await get(`/s/${session()}/v1/customers`))).toEqual([customer.id]);
    expect(ids(await get(`/s/${session()}/v1/customers`, `Bearer ${TOKEN}${session()}`))).toEqual([customer.id]);
    expect(ids(await get('/v1/customers', `Bearer ${TOKEN}${session()}`))).toEqual([customer.id]);
    expect((await get(`/s/${session()}/healthz`)).json).toEqual({ status: 'ok' });
    // The control surface too: the session acts on its own world.
    expect((await get(`/s/${session()}/__admin__/clock`)).status).toBe(200);
  });

  it('an API key under the prefix is used as given; an unknown session and another session\'s token are refused', async () => {
    const otherKey = freshKey('other');
    const other = await t.h.stripe(otherKey).customers.create({ email: 'other@example.com' });
    await t.stripe.customers.create({ email: 'session@example.com' });
    const given = await get(`/s/${session()}/v1/customers`, `Bearer ${otherKey}`);
    expect(given.json.data.map((c: any) => c.id)).toEqual([other.id]);
    expect(await get('/s/nobody/v1/customers')).toEqual({ status: 404, json: { error: { message: 'No session "nobody" on this twin.', type: 'invalid_request_error' } } });
    t.h.twin.engine.openSession({ id: `${session()}_b`, key: `${t.key}_b`, token: `${TOKEN}${session()}_b` });
    expect(await get(`/s/${session()}/v1/customers`, `Bearer ${TOKEN}${session()}_b`)).toEqual({
      status: 401,
      json: { error: { message: `This session token belongs to another session than "${session()}".`, type: 'invalid_request_error' } },
    });
    // Without the prefix and without a token, nothing changes: no key is no key.
    expect((await get('/v1/customers')).status).toBe(401);
  });

  it('MCP at /s/<id>/mcp answers the real MCP client with the session token, as the session key', async () => {
    await t.stripe.customers.create({ email: 'mcp@example.com', name: 'Over MCP' });
    const client = await httpClient(t.h, `${TOKEN}${session()}`, `/s/${session()}/mcp`);
    const found = JSON.parse(text(await client.callTool({ name: 'list_customers', arguments: { email: 'mcp@example.com' } })));
    expect(found).toHaveLength(1);
    await client.close();
  });
});
