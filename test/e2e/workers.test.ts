import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Stripe from 'stripe';
import { accountIdOf, placeOf, routeOf, routeOfKey } from '../../src/engine/routes';
import { cli, CliRun, freePort, raw, stop } from '../helpers';
import { text } from '../mcp_helpers';
import { Receiver } from '../webhook_receiver';

// `serve --workers 2` (docs/scaling.md): a primary routes each request to the
// worker holding its account. Keys are picked so that both workers hold worlds;
// everything an account's requests name (its keys, minted keys, chosen keys,
// connected accounts, hosted pages, MCP, control calls) must reach the same world,
// and a seeded account's bytes must be those a single process serves.

const SEED = '1';
const WORKERS = 2;
const placeOfKey = (key: string) => placeOf(routeOfKey(SEED, key), WORKERS);

/** `count` keys with `prefix` held by worker `place`. */
function keysOn(place: number, prefix: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (placeOfKey(`${prefix}_${i}`) === place) keys.push(`${prefix}_${i}`);
  return keys;
}

async function served(args: string[]): Promise<{ run: CliRun; url: string; token: string }> {
  const run = cli(['serve', '--port', '0', '--seed', SEED, ...args]);
  const url = (await run.until(/listening on (http:\/\/\S+)/, 60_000))[1];
  const token = (await run.until(/Stripe-Twin-Control-Token: (\S+)/, 60_000))[1];
  return { run, url, token };
}

const sdk = (url: string, key: string) => {
  const { hostname, port } = new URL(url);
  return new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
};

const json = { 'Content-Type': 'application/json' };
const TOKEN = 'twinctl_workers_data_test_token_0123456789';

describe('serve --workers 2', () => {
  let twin: { run: CliRun; url: string; token: string };
  const [a0, b0] = keysOn(0, 'sk_test_workers_zero', 2);
  const [a1, b1] = keysOn(1, 'sk_test_workers_one', 2);

  beforeAll(async () => {
    twin = await served(['--workers', String(WORKERS)]);
  }, 90_000);
  afterAll(() => stop(twin.run.child));

  it('says it runs workers, and answers the SDK on keys held by either worker, each key its own world', async () => {
    expect(twin.run.out.text).toMatch(/workers: {2}2 threads/);
    for (const key of [a0, a1, b0, b1]) {
      const stripe = sdk(twin.url, key);
      const customer = await stripe.customers.create({ email: `${key}@example.com` });
      const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, confirm: true });
      expect(intent.status).toBe('succeeded');
      expect((await stripe.customers.list()).data.map((c) => c.email)).toEqual([`${key}@example.com`]);
    }
  });

  it('lists the worlds of both workers to the control token, and refuses it without', async () => {
    const worlds = await raw(twin.url, 'GET', '/__admin__/worlds', { key: null, headers: { 'Stripe-Twin-Control-Token': twin.token } });
    expect(worlds.status).toBe(200);
    expect(worlds.json.worlds.map((w: { key: string }) => w.key)).toEqual(expect.arrayContaining([a0, a1, b0, b1]));
    expect((await raw(twin.url, 'GET', '/__admin__/worlds', { key: a0 })).status).toBe(403);
  });

  it('routes keys the control surface mints (and keys a seed chose) to their account\'s world', async () => {
    for (const owner of [a0, a1]) {
      const [customer] = (await sdk(twin.url, owner).customers.list()).data;
      for (let i = 0; i < 4; i++) {
        const minted = await raw(twin.url, 'POST', '/__admin__/keys', { key: owner, body: '{}', headers: json });
        expect(minted.status).toBe(200);
        expect(placeOfKey(minted.json.key)).toBe(placeOfKey(owner)); // the tag routes it by the account it embeds
        expect((await sdk(twin.url, minted.json.key).customers.retrieve(customer.id)).id).toBe(customer.id);
      }
      // A key chosen by name routes by itself to the other worker: the minting worker tells the primary.
      const chosen = keysOn(1 - placeOfKey(owner), `rk_test_chosen_${owner.slice(-6)}`, 1)[0];
      const seeded = await raw(twin.url, 'POST', '/__admin__/seed', { key: owner, body: JSON.stringify({ keys: [{ key: chosen, permissions: ['rak_customer_read'] }] }), headers: json });
      expect(seeded.status).toBe(200);
      expect((await sdk(twin.url, chosen).customers.list()).data.map((c) => c.id)).toEqual([customer.id]);
    }
  });

  it('seeds worlds of both workers in one call, and resets every world when the control token names none', async () => {
    const [c0] = keysOn(0, 'sk_test_workers_seed', 1);
    const [c1] = keysOn(1, 'sk_test_workers_seed', 1);
    const body = JSON.stringify({ worlds: { [c1]: { customers: [{ id: 'cus_one', email: 'one@example.com' }] }, [c0]: { customers: [{ id: 'cus_zero' }] } } });
    const seeded = await raw(twin.url, 'POST', '/__admin__/seed', { key: null, body, headers: { ...json, 'Stripe-Twin-Control-Token': twin.token } });
    expect(seeded.status).toBe(200);
    expect(Object.keys(seeded.json.worlds)).toEqual([c1, c0]);
    expect(((await sdk(twin.url, c1).customers.retrieve('cus_one')) as Stripe.Customer).email).toBe('one@example.com');
    expect((await sdk(twin.url, c0).customers.retrieve('cus_zero')).id).toBe('cus_zero');
    const reset = await raw(twin.url, 'POST', '/__admin__/reset', { key: null, body: '{}', headers: { ...json, 'Stripe-Twin-Control-Token': twin.token } });
    expect(reset.json).toEqual({ reset: 'all' });
    const worlds = await raw(twin.url, 'GET', '/__admin__/worlds', { key: null, headers: { 'Stripe-Twin-Control-Token': twin.token } });
    expect(worlds.json.worlds).toEqual([]);
  });

  it('exports, imports and snapshots every world with the control token, each worker its own worlds', async () => {
    const [k0] = keysOn(0, 'sk_test_workers_files', 1);
    const [k1] = keysOn(1, 'sk_test_workers_files', 1);
    const owner = { key: null, headers: { ...json, 'Stripe-Twin-Control-Token': twin.token } };
    const emails = async (key: string) => (await sdk(twin.url, key).customers.list({ limit: 100 })).data.map((c) => c.email).sort();
    for (const key of [k0, k1]) await sdk(twin.url, key).customers.create({ email: `first@${key}.example` });

    const file = await raw(twin.url, 'GET', '/__admin__/export', owner);
    expect(file.status).toBe(200);
    expect(file.json.accounts.map((a: { world: { key: string } }) => a.world.key)).toEqual(expect.arrayContaining([k0, k1]));
    const saved = await raw(twin.url, 'POST', '/__admin__/snapshots', { ...owner, body: JSON.stringify({ name: 'every-world' }) });
    expect(saved.status).toBe(200);
    expect(saved.json.worlds.map((w: { key: string }) => w.key)).toEqual(expect.arrayContaining([k0, k1]));
    const listed = await raw(twin.url, 'GET', '/__admin__/snapshots', owner);
    expect(listed.json.snapshots.filter((s: { name: string }) => s.name === 'every-world')).toEqual([saved.json]);

    for (const key of [k0, k1]) await sdk(twin.url, key).customers.create({ email: `later@${key}.example` });
    const restored = await raw(twin.url, 'POST', '/__admin__/snapshots/every-world/restore', { ...owner, body: '{}' });
    expect(restored.status).toBe(200);
    expect(restored.json.restored.map((r: { key: string }) => r.key)).toEqual(expect.arrayContaining([k0, k1]));
    for (const key of [k0, k1]) expect(await emails(key)).toEqual([`first@${key}.example`]);

    // Forget every world, then import the file: each account goes back to the worker its key routes to.
    await raw(twin.url, 'POST', '/__admin__/reset', { ...owner, body: '{}' });
    for (const key of [k0, k1]) expect(await emails(key)).toEqual([]);
    const imported = await raw(twin.url, 'POST', '/__admin__/import', { ...owner, body: JSON.stringify(file.json) });
    expect(imported.status).toBe(200);
    expect(imported.json.restored.map((r: { key: string }) => r.key)).toEqual(file.json.accounts.map((a: { world: { key: string } }) => a.world.key));
    for (const key of [k0, k1]) expect(await emails(key)).toEqual([`first@${key}.example`]);

    expect((await raw(twin.url, 'DELETE', '/__admin__/snapshots/every-world', owner)).status).toBe(200);
    expect((await raw(twin.url, 'DELETE', '/__admin__/snapshots/every-world', owner)).status).toBe(404);
  });

  it('serves a connected account (Stripe-Account) and the hosted Checkout pages of sessions made on either worker', async () => {
    for (const platform of [a1, b0]) {
      const stripe = sdk(twin.url, platform);
      const account = await stripe.accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } });
      const own = await stripe.accounts.retrieveCurrent();
      expect(routeOf(account.id)).toBe(routeOf(own.id)); // a connected account lives with its platform
      const customer = await stripe.customers.create({ email: 'connected@example.com' }, { stripeAccount: account.id });
      expect((await stripe.customers.list({}, { stripeAccount: account.id })).data.map((c) => c.id)).toEqual([customer.id]);
      for (const stripeAccount of [undefined, account.id]) {
        const session = await stripe.checkout.sessions.create(
          { mode: 'payment', success_url: 'https://example.com/ok', line_items: [{ price_data: { currency: 'usd', unit_amount: 1500, product_data: { name: 'Tea' } }, quantity: 1 }] },
          { stripeAccount },
        );
        const page = await fetch(session.url!);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('Tea');
        // The customer pays on the page: the form's body reaches the session's worker.
        const form = new URLSearchParams({ cardNumber: '4242424242424242', cardExpiry: '12 / 34', cardCvc: '123', billingName: 'Ann', email: 'ann@example.com' });
        const paid = await fetch(session.url!, { method: 'POST', body: form, redirect: 'manual' });
        expect(paid.status).toBeLessThan(400);
        expect((await stripe.checkout.sessions.retrieve(session.id, {}, { stripeAccount })).status).toBe('complete');
      }
    }
  });

  it('answers MCP over /mcp for keys held by either worker', async () => {
    for (const key of [a0, a1]) {
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', twin.url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
      const client = new Client({ name: 'workers-test', version: '1.0.0' });
      await client.connect(transport);
      const created = JSON.parse(text(await client.callTool({ name: 'create_customer', arguments: { name: 'Mia', email: `mia.${key}@example.com` } })));
      expect(((await sdk(twin.url, key).customers.retrieve(created.id)) as Stripe.Customer).email).toBe(`mia.${key}@example.com`);
      await client.close();
    }
  });

  it('delivers the webhooks of worlds on both workers, signed', async () => {
    const rx = await Receiver.start();
    try {
      const secrets: Record<string, string> = {};
      for (const key of [a0, a1]) {
        const endpoint = await sdk(twin.url, key).webhookEndpoints.create({ url: `${rx.url}/${key}`, enabled_events: ['customer.created'] });
        secrets[`/${key}`] = endpoint.secret!;
        await sdk(twin.url, key).customers.create({ email: 'hook@example.com' });
      }
      for (let i = 0; i < 200 && rx.received.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(rx.received.map((r) => r.path).sort()).toEqual([`/${a0}`, `/${a1}`].sort());
      for (const r of rx.received) {
        const event = new Stripe('sk_test_x').webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), secrets[r.path]);
        expect(event.type).toBe('customer.created');
      }
    } finally {
      await rx.close();
    }
  }, 30_000);

  it('runs its workers as child processes when asked, and refuses a --workers that is no count', async () => {
    const run = cli(['serve', '--port', '0', '--seed', SEED, '--workers', '2'], { STRIPE_TWIN_WORKER_KIND: 'process' });
    try {
      const url = (await run.until(/listening on (http:\/\/\S+)/, 60_000))[1];
      const token = (await run.until(/Stripe-Twin-Control-Token: (\S+)/))[1];
      expect(run.out.text).toMatch(/workers: {2}2 processes/);
      for (const key of [a0, a1]) await sdk(url, key).customers.create({ email: 'p@example.com' });
      const worlds = await raw(url, 'GET', '/__admin__/worlds', { key: null, headers: { 'Stripe-Twin-Control-Token': token } });
      expect(worlds.json.worlds.map((w: { key: string }) => w.key).sort()).toEqual([a0, a1].sort());
    } finally {
      await stop(run.child);
    }
    for (const workers of ['0', 'two', '65']) {
      const bad = cli(['serve', '--port', '0', '--workers', workers]);
      expect(await bad.exited).toBe(2);
      expect(bad.out.err).toContain('--workers');
    }
  }, 90_000);

  it('keeps each worker\'s worlds in its own directory under --data: after kill -9 every acknowledged object, chosen key and idempotent answer is back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-workers-data-'));
    const port = await freePort();
    const start = async (workers: string) => {
      const run = cli(['serve', '--port', String(port), '--seed', SEED, '--workers', workers, '--data', dir, '--control-token', TOKEN]);
      await run.until(/control:.*\n.*\n/, 60_000);
      return run;
    };
    const url = `http://127.0.0.1:${port}`;
    let run = await start('2');
    try {
      expect(run.out.text).toContain(`data:     ${dir}   (every world kept on disk, by the worker holding it: worker-1 … worker-2)`);
      const [k0] = keysOn(0, 'sk_test_workers_data', 1);
      const [k1] = keysOn(1, 'sk_test_workers_data', 1);
      const made = new Map<string, string[]>();
      const answered = new Map<string, string>();
      for (const key of [k0, k1]) {
        const stripe = sdk(url, key);
        const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => stripe.customers.create({ email: `${i}@example.com` }).then((c) => c.id)));
        made.set(key, ids);
        const keyed = await stripe.paymentIntents.create({ amount: 700, currency: 'usd' }, { idempotencyKey: `once-${key}` });
        answered.set(key, JSON.stringify({ ...keyed, lastResponse: undefined }));
      }
      // A key chosen by name lives with k0's account on worker 1, though it routes by itself to worker 2.
      const chosen = keysOn(1, 'rk_test_workers_data_chosen', 1)[0];
      expect((await raw(url, 'POST', '/__admin__/seed', { key: k0, body: JSON.stringify({ keys: [{ key: chosen, permissions: ['rak_customer_read'] }] }), headers: json })).status).toBe(200);

      run.child.kill('SIGKILL');
      await run.exited;
      expect(fs.readdirSync(dir).sort()).toEqual(['twin.json', 'worker-1', 'worker-2']);
      run = await start('2');
      for (const key of [k0, k1]) {
        const stripe = sdk(url, key);
        expect((await stripe.customers.list({ limit: 100 })).data.map((c) => c.id).sort()).toEqual([...made.get(key)!].sort());
        const again = await stripe.paymentIntents.create({ amount: 700, currency: 'usd' }, { idempotencyKey: `once-${key}` });
        expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
        expect(JSON.stringify({ ...again, lastResponse: undefined })).toBe(answered.get(key));
      }
      expect((await sdk(url, chosen).customers.list({ limit: 100 })).data.map((c) => c.id).sort()).toEqual([...made.get(k0)!].sort());
      await stop(run.child);

      // The accounts are placed by route modulo the number of workers: another number is refused.
      for (const workers of ['1', '3']) {
        const other = cli(['serve', '--port', '0', '--seed', SEED, '--workers', workers, '--data', dir]);
        expect(await other.exited).toBe(2);
        expect(other.out.err).toContain(`--workers ${workers}: ${dir} holds worlds shared over 2 workers; use --workers 2, or another --data directory`);
      }
    } finally {
      await stop(run.child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('serves HTTPS as well (--https): both ports reach the same worlds', async () => {
    const run = cli(['serve', '--port', '0', '--https-port', '0', '--seed', SEED, '--workers', '2']);
    try {
      const url = (await run.until(/listening on (http:\/\/\S+)/, 60_000))[1];
      await run.until(/control:.*\n.*\n/, 60_000);
      const { hostname, port } = new URL(run.out.text.match(/https: +(https:\/\/\S+)/)![1]);
      const ca = fs.readFileSync(run.out.text.match(/NODE_EXTRA_CA_CERTS=(\S+)/)![1]);
      for (const key of [a0, a1]) {
        const secure = new Stripe(key, { host: hostname, port: Number(port), protocol: 'https', maxNetworkRetries: 0, httpAgent: new https.Agent({ ca }) });
        const customer = await secure.customers.create({ email: 'tls@example.com' });
        expect((await sdk(url, key).customers.retrieve(customer.id)).id).toBe(customer.id);
      }
    } finally {
      await stop(run.child);
    }
  }, 90_000);

  it('serves a seeded account the bytes a single process serves', async () => {
    const single = await served([]);
    try {
      const keys = [...keysOn(0, 'sk_test_same', 2), ...keysOn(1, 'sk_test_same', 2)];
      // Worker placement must not matter: a key's world is seeded from the seed and the key alone.
      expect(new Set(keys.map((k) => placeOf(routeOf(accountIdOf(SEED, k)), WORKERS)))).toEqual(new Set([0, 1]));
      const script = async (url: string) => {
        const bodies: string[] = [];
        const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
        for (const key of keys) {
          const call = async (method: string, path: string, body?: string, headers: Record<string, string> = form, as = key) => {
            const res = await raw(url, method, path, { key: as, body, headers });
            bodies.push(`${res.status} ${res.body}`);
            return res;
          };
          await call('POST', '/v1/customers', 'email=same@example.com');
          await call('POST', '/v1/payment_intents', 'amount=2000&currency=usd&payment_method=pm_card_visa&allowed_payment_method_types[]=card&confirm=true');
          const minted = (await call('POST', '/__admin__/keys', '{}', json)).json.key;
          await call('GET', '/v1/payment_intents', undefined, form, minted);
          const connected = (await call('POST', '/v1/accounts', 'type=express&capabilities[transfers][requested]=true')).json.id;
          const session = await call('POST', '/v1/checkout/sessions', 'mode=payment&success_url=https://example.com&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=700&line_items[0][price_data][product_data][name]=Tea&line_items[0][quantity]=1', { ...form, 'Stripe-Account': connected });
          await call('GET', new URL(session.json.url).pathname, undefined, {}, undefined);
        }
        return bodies;
      };
      const fromSingle = await script(single.url);
      const fromWorkers = await script(twin.url);
      expect(fromSingle.length).toBe(keys.length * 7);
      // Hosted pages link to their own origin: the two twins differ in port only.
      expect(fromWorkers.map((b) => b.split(new URL(twin.url).port).join('PORT'))).toEqual(fromSingle.map((b) => b.split(new URL(single.url).port).join('PORT')));
    } finally {
      await stop(single.run.child);
    }
  }, 120_000);
});
