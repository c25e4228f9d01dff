import fs from 'node:fs';
import { createTwin, handleRequest } from '../../src';
import { TwinControl, TwinControlError } from '../../src/control/client';
import { MAX_WORLD_TIME } from '../../src/control/clock';
import { CONTROL_TOKEN_ENV, tokenFile } from '../../src/control/token';
import { cli, CliRun, freshKey, MODES, raw, RawResponse, stop, useHarness } from '../helpers';

// "Safe to leave running": the control surface (/__admin__) has an owner and
// reads its input safely.
//   - bodies: nesting checked before parsing (a body of 1,000 `[` used to abort
//     the process on its second arrival), size limits, `__proto__` as data;
//   - the clock: a refused advance changes nothing, world time stays a date;
//   - who may call: the control token (every world), a world's API key (that
//     world only), nobody else; foreign Host / Origin / Sec-Fetch-Site and
//     webhook deliveries (Stripe-Signature) refused before anything runs.

const TOKEN_HEADER = 'Stripe-Twin-Control-Token';

/** `stripe-twin serve` on a free port; its URL and control token once the banner is out. */
async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<{ run: CliRun; url: string; token: string; port: number }> {
  const run = cli(['serve', '--port', '0', ...args], env);
  const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*control:.*\n.*\n/);
  const token = run.out.text.match(/Stripe-Twin-Control-Token: (\S+)/)![1];
  return { run, url, token, port: Number(new URL(url).port) };
}

/** A raw control call: JSON (or the given text) body, the given headers, no Authorization unless `key`. */
function control(url: string, method: string, path: string, options: { key?: string; token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers[TOKEN_HEADER] = options.token;
  if (options.body !== undefined) headers['Content-Type'] ??= 'application/json';
  return raw(url, method, path, { key: options.key ?? null, body: options.body, headers });
}

const deep = (n: number) => '['.repeat(n);

describe('control bodies: nesting, size and keys are checked before anything runs', () => {
  it('keeps a served twin alive after bodies of 1,000 nested brackets (JSON, YAML, compact YAML), twice each', async () => {
    const { run, url, token } = await serve();
    try {
      const bodies: Array<[string, string]> = [
        [deep(1000), 'text/plain'],
        [deep(1000), 'text/plain'],
        [deep(1000), 'application/json'],
        [`{"a": ${deep(1000)}`, 'application/json'],
        [`${'- '.repeat(1000)}x`, 'application/yaml'],
        [`${'a: '.repeat(1000)}x`, 'application/yaml'],
        [`${'[a: '.repeat(1000)}x`, 'application/yaml'],
        [Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), 'application/yaml'],
      ];
      for (const [body, type] of bodies) {
        for (const path of ['/__admin__/reset', '/__admin__/seed']) {
          const res = await control(url, 'POST', path, { token, body, headers: { 'Content-Type': type } });
          expect({ status: res.status, json: res.json }).toEqual({ status: 400, json: { error: { message: 'The body nests deeper than 32 levels' } } });
        }
      }
      expect((await raw(url, 'GET', '/healthz', { key: null })).json).toEqual({ status: 'ok' });
      // Control still parses (YAML needs regular expressions, which the crash took away) and the API still serves.
      const key = freshKey('deep');
      const seeded = await control(url, 'POST', '/__admin__/seed', { key, body: 'customers:\n  - id: cus_after\n    name: After\n', headers: { 'Content-Type': 'application/yaml' } });
      expect(seeded.status).toBe(200);
      expect((await raw(url, 'GET', '/v1/customers/cus_after', { key })).json).toMatchObject({ id: 'cus_after', name: 'After' });
    } finally {
      await stop(run.child);
    }
    expect(run.out.err).not.toMatch(/FATAL|Allocation failed/);
  });

  describe.each(MODES)('(%s)', (mode) => {
    const t = useHarness(mode);
    const post = (body: string, type = 'application/yaml', path = '/__admin__/seed') =>
      mode === 'http'
        ? control(t.h.url, 'POST', path, { key: t.key, token: t.h.twin.controlToken, body, headers: { 'Content-Type': type } }).then((r) => ({ status: r.status, json: r.json }))
        : handleRequest(t.h.twin.engine, {
            method: 'POST',
            url: path,
            headers: { authorization: `Bearer ${t.key}`, 'content-type': type, [TOKEN_HEADER.toLowerCase()]: t.h.twin.controlToken },
            readBody: async () => Buffer.from(body),
          }).then((r) => ({ status: r.status, json: JSON.parse(r.body) }));

    it('accepts 32 levels and refuses 33, in JSON and YAML, flow and block', async () => {
      // An object, a list, an object, then n - 3 lists.
      const nest = (n: number, q = '"') => `{${q}customers${q}: [{${q}metadata${q}: {${q}k${q}: ${q}v${q}}, ${q}x${q}: ${'['.repeat(n - 3)}1${']'.repeat(n - 3)}}]}`;
      for (const [q, type] of [['"', 'application/json'], ['"', 'application/yaml'], ['', 'application/yaml']]) {
        // Accepted as a body (the seed then refuses the unknown parameter "x": the body was parsed).
        expect((await post(nest(32, q), type)).json.error.message).toMatch(/\bx\b/);
        expect((await post(nest(33, q), type)).json).toEqual({ error: { message: 'The body nests deeper than 32 levels' } });
      }
      const block = (n: number) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' x';
      expect((await post(block(32), 'application/yaml', '/__admin__/reset')).status).toBe(200);
      expect((await post(block(33), 'application/yaml', '/__admin__/reset')).json).toEqual({ error: { message: 'The body nests deeper than 32 levels' } });
    });

    it('refuses YAML aliases that expand (billion laughs) or nest (an anchor inside itself)', async () => {
      const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
      const bomb = await post(laughs);
      expect(bomb.status).toBe(400);
      expect(bomb.json.error.message).toMatch(/alias/i);
      expect(await post('a: &a [*a]')).toEqual({ status: 400, json: { error: { message: 'The body nests deeper than 32 levels' } } });
      // Aliases within reason are fine.
      const ok = await post(`card: &card {test_value: pm_card_visa}\npayment_methods: [*card, *card]`);
      expect(ok.status).toBe(400); // "card" is no seed section: parsed, then refused by the seed
      expect(ok.json.error.message).toMatch(/Unknown seed section "card"/);
    });

    it('answers 413 for bodies over 1 MiB, and YAML over 256 KiB (JSON of that size is fine)', async () => {
      const pad = (n: number) => `{"customers": [], "pad": "${'x'.repeat(n)}"}`;
      expect((await post(pad(1024 * 1024), 'application/json')).status).toBe(413);
      const bigYaml = `customers: []\npad: ${'x'.repeat(300 * 1024)}\n`;
      expect(await post(bigYaml)).toEqual({ status: 413, json: { error: { message: 'A YAML body is limited to 262144 bytes (JSON may have 1048576)' } } });
      // The same size as JSON, even sent as YAML, is read as JSON.
      const bigJson = pad(300 * 1024);
      expect((await post(bigJson, 'text/plain')).json.error.message).toMatch(/pad/); // parsed; the seed refuses "pad"
    });

    it('treats __proto__ and constructor keys as data: no pollution, no 5xx', async () => {
      const cases: Array<[string, string]> = [
        ['{"__proto__": {"polluted": true}, "customers": [{"id": "cus_proto"}]}', 'application/json'],
        ['__proto__: {polluted: true}\ncustomers: [{id: cus_proto2}]', 'application/yaml'],
        ['{"worlds": {"__proto__": {"customers": []}}}', 'application/json'],
        ['{"worlds": {"constructor": {"customers": []}}}', 'application/json'],
        ['{"constructor": {"prototype": {"polluted": true}}}', 'application/json'],
      ];
      for (const [body, type] of cases) {
        const res = await post(body, type);
        expect(res.status).toBeLessThan(500);
      }
      expect((await post('{"worlds": {"__proto__": {"customers": []}}}', 'application/json')).json).toEqual({
        error: { message: '"__proto__" is not a test-mode secret or restricted key' },
      });
      const meta = await post('{"customers": [{"id": "cus_meta", "metadata": {"__proto__": "kept", "constructor": "too"}}]}', 'application/json');
      expect(meta.status).toBe(200);
      const customer = await t.stripe.customers.retrieve('cus_meta');
      expect(Object.entries((customer as any).metadata)).toEqual([['__proto__', 'kept'], ['constructor', 'too']]);
      for (const path of ['/__admin__/faults', '/__admin__/exogenous', '/__admin__/world/trigger', '/__admin__/clock/advance']) {
        expect((await post('{"__proto__": {"polluted": true}, "constructor": 1, "toString": 2}', 'application/json', path)).status).toBe(400);
      }
      expect(({} as any).polluted).toBeUndefined();
      expect(Object.keys(Object.prototype)).toEqual([]);
    });
  });
});

describe.each(MODES)('the world clock moves only by a valid advance (%s)', (mode) => {
  const t = useHarness(mode);
  const clockNow = async () => {
    const res = await t.h.admin('GET', '/__admin__/clock', undefined, t.key);
    expect(res.status).toBe(200);
    return res.json.now as number;
  };
  const advance = (body: unknown) => t.h.admin('POST', '/__admin__/clock/advance', body, t.key);

  it('refuses huge, infinite, fractional and negative advances without moving the clock', async () => {
    const before = await clockNow();
    const refused: unknown[] = [
      { seconds: 1e13 },
      { seconds: 1.5 },
      { seconds: -1 },
      { seconds: '60' },
      { to: 1e13 },
      { to: before + 0.5 },
      { duration: '99999999999999d' },
      { duration: '1.5h' },
      { seconds: 1, duration: '1h' },
      {},
    ];
    for (const body of refused) {
      const res = await advance(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.json.error.message).toEqual(expect.any(String));
      expect(await clockNow()).toBe(before);
    }
    // 1e400 is Infinity once parsed: raw JSON text.
    for (const text of ['{"seconds": 1e400}', '{"to": 1e400}', 'seconds: .inf']) {
      const res =
        mode === 'http'
          ? await control(t.h.url, 'POST', '/__admin__/clock/advance', { key: t.key, body: text, headers: { 'Content-Type': text.startsWith('{') ? 'application/json' : 'application/yaml' } })
          : await handleRequest(t.h.twin.engine, { method: 'POST', url: '/__admin__/clock/advance', headers: { authorization: `Bearer ${t.key}` }, readBody: async () => Buffer.from(text) });
      expect(res.status).toBe(400);
      expect(await clockNow()).toBe(before);
    }
    const c = await t.stripe.customers.create();
    expect(c.created).toBe(before);
  });

  it('reaches 9999-12-31T23:59:59Z and no further; objects keep valid timestamps', async () => {
    const at = await advance({ to: MAX_WORLD_TIME });
    expect(at.status).toBe(200);
    expect(at.json).toMatchObject({ now: MAX_WORLD_TIME, iso: '9999-12-31T23:59:59.000Z' });
    const past = await advance({ seconds: 1 });
    expect(past.status).toBe(400);
    expect(past.json.error).toEqual({
      message: `The world clock cannot pass ${MAX_WORLD_TIME} (9999-12-31T23:59:59Z): it is ${MAX_WORLD_TIME}, so it can advance by at most 0 seconds`,
      at: 'seconds',
    });
    expect(await clockNow()).toBe(MAX_WORLD_TIME);
    expect((await t.stripe.customers.create()).created).toBe(MAX_WORLD_TIME);
  });
});

describe('World.advance guards the clock itself', () => {
  it('takes whole seconds that keep world time a date, and changes nothing otherwise', () => {
    const world = createTwin().engine.world('sk_test_guard');
    const ctx = { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion };
    for (const bad of [1.5, 1e13, Infinity, NaN, -1]) expect(() => world.advance(bad, ctx)).toThrow();
    expect(world.now()).toBe(1767225600);
    world.advance(MAX_WORLD_TIME - 1767225600, ctx);
    expect(world.now()).toBe(MAX_WORLD_TIME);
  });
});

describe('who may call the control surface', () => {
  const t = useHarness('http');
  const token = () => t.h.twin.controlToken;
  const other = () => freshKey('other');

  it('answers 401 without credentials or with a wrong token; the token acts on every world', async () => {
    for (const [method, path] of [['GET', '/__admin__/worlds'], ['POST', '/__admin__/reset'], ['GET', '/__admin__/clock'], ['GET', '/__admin__/nope']]) {
      const res = await control(t.h.url, method, path, { body: method === 'POST' ? '{}' : undefined });
      expect(res.status).toBe(401);
      expect(res.json.error.message).toMatch(/^The control surface needs credentials: the control token in a Stripe-Twin-Control-Token header/);
    }
    expect((await control(t.h.url, 'GET', '/__admin__/worlds', { token: 'twinctl_wrong_but_long_enough' })).json).toEqual({
      error: { message: 'Invalid control token (Stripe-Twin-Control-Token)' },
    });
    expect((await control(t.h.url, 'GET', '/__admin__/worlds', { key: 'sk_live_nope' })).status).toBe(401);
    expect((await control(t.h.url, 'GET', '/__admin__/worlds', { key: 'pk_test_nope' })).status).toBe(401);
    await t.stripe.customers.create();
    const worlds = await control(t.h.url, 'GET', '/__admin__/worlds', { token: token() });
    expect(worlds.status).toBe(200);
    expect(worlds.json.worlds.map((w: any) => w.key)).toContain(t.key);
  });

  it('lets an API key act on its own world only', async () => {
    const a = t.key;
    const b = other();
    await t.stripe.customers.create({ email: 'a@example.com' });
    await t.h.stripe(b).customers.create({ email: 'b@example.com' });
    const asA = (method: string, path: string, body?: unknown) => control(t.h.url, method, path, { key: a, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await asA('GET', '/__admin__/clock')).status).toBe(200);
    expect((await asA('POST', '/__admin__/faults', { resource: 'payment_intents', fault: { status: 429 } })).status).toBe(200);
    expect((await asA('GET', '/__admin__/requests')).json.data.length).toBeGreaterThan(0);
    expect((await asA('GET', '/__admin__/world/triggers')).status).toBe(200);
    const refused: Array<[string, string, unknown?]> = [
      ['GET', '/__admin__/worlds'],
      ['GET', `/__admin__/requests?key=${b}`],
      ['GET', `/__admin__/webhooks/endpoints?key=${b}`],
      ['POST', '/__admin__/faults', { key: b, fault: { status: 500 } }],
      ['POST', '/__admin__/reset', { key: b }],
      ['POST', '/__admin__/seed', { worlds: { [b]: { customers: [{}] } } }],
      ['POST', '/__admin__/seed', { worlds: { [a]: { customers: [{ id: 'cus_a_only' }] }, [b]: { customers: [{}] } } }],
      ['POST', '/__admin__/clock/advance', { key: b, seconds: 60 }],
    ];
    for (const [method, path, body] of refused) {
      const res = await asA(method, path, body);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
      expect(res.json.error.message).toMatch(/^An API key acts on its own world only; .* needs the control token \(the Stripe-Twin-Control-Token header\)$/);
    }
    // Nothing of that reached b (nor a: the two-world seed was refused whole).
    expect((await t.h.stripe(b).customers.list()).data.map((c) => c.email)).toEqual(['b@example.com']);
    expect((await t.h.stripe(b).customers.create()).id).toMatch(/^cus_/); // no fault armed on b
    expect(await t.stripe.customers.retrieve('cus_a_only').catch((e) => e.statusCode)).toBe(404);
    // Its own world, by the header or by naming it: a reset forgets a, never "all".
    expect((await asA('POST', '/__admin__/seed', { worlds: { [a]: { customers: [{ id: 'cus_a_seeded' }] } } })).status).toBe(200);
    expect((await asA('POST', '/__admin__/reset', {})).json).toEqual({ reset: a });
    expect((await t.stripe.customers.list()).data).toEqual([]);
    expect((await t.h.stripe(b).customers.list()).data).toHaveLength(2);
    // A reset of every world needs the token.
    expect((await control(t.h.url, 'POST', '/__admin__/reset', { token: token(), body: '{}' })).json).toEqual({ reset: 'all' });
    expect((await t.h.stripe(b).customers.list()).data).toEqual([]);
  });

  it('refuses revoked keys', async () => {
    const revoked = createTwin({ revokedKeys: ['sk_test_revoked'] });
    const res = await handleRequest(revoked.engine, { method: 'GET', url: '/__admin__/clock', headers: { authorization: 'Bearer sk_test_revoked' }, readBody: async () => Buffer.alloc(0) });
    expect(res.status).toBe(401);
  });

  it('refuses a foreign Host, a foreign Origin and cross-site fetches with 403 before anything runs, even with the token', async () => {
    await t.stripe.customers.create();
    const port = new URL(t.h.url).port;
    const reset = (headers: Record<string, string>) => control(t.h.url, 'POST', '/__admin__/reset', { token: token(), key: t.key, body: '{}', headers });
    const refusals: Array<[Record<string, string>, RegExp]> = [
      [{ Host: `evil.example:${port}` }, /^The control surface answers requests addressed to this twin only \(Host: "evil\.example:\d+"\)/],
      [{ Host: `127.0.0.1.nip.io:${port}` }, /addressed to this twin only/],
      // What a page can send without a preflight: text/plain with its own Origin.
      [{ Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, /^Cross-origin browser requests cannot reach the control surface \(Origin: "http:\/\/evil\.example"\)$/],
      [{ Origin: 'null', 'Content-Type': 'text/plain' }, /^Cross-origin browser requests/],
      [{ Origin: `http://localhost:${port}` }, /^Cross-origin browser requests/], // another origin than the one addressed
      [{ 'Sec-Fetch-Site': 'cross-site' }, /^Cross-site browser requests cannot reach the control surface$/],
      [{ 'Sec-Fetch-Site': 'same-site' }, /^Cross-site browser requests/],
      [{ 'Stripe-Signature': 't=1,v1=00' }, /^Webhook deliveries cannot reach the control surface/],
    ];
    for (const [headers, message] of refusals) {
      const res = await reset(headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      expect(res.json.error.message).toMatch(message);
    }
    expect((await t.stripe.customers.list()).data).toHaveLength(1);
    // Loopback names, and the twin's own origin, are fine.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `127.8.9.10:${port}`, `[::1]:${port}`, 'localhost', `app.localhost:${port}`]) {
      expect((await control(t.h.url, 'GET', '/__admin__/clock', { key: t.key, headers: { Host: host } })).status).toBe(200);
    }
    expect((await control(t.h.url, 'GET', '/__admin__/clock', { key: t.key, headers: { Origin: t.h.url, 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(200);
    // The API is unchanged: a page of any origin may call it with a key, as on Stripe.
    expect((await raw(t.h.url, 'GET', '/v1/customers', { key: t.key, headers: { Origin: 'http://evil.example', Host: `evil.example:${port}` } })).status).toBe(200);
  });

  it('never lets a webhook delivery reach it: an endpoint whose URL is the twin\'s own /__admin__/reset does nothing', async () => {
    const bystander = t.h.stripe(other());
    await bystander.customers.create({ email: 'bystander@example.com' });
    const endpoint = await t.stripe.webhookEndpoints.create({ url: `${t.h.url}/__admin__/reset`, enabled_events: ['customer.created'] });
    await t.stripe.customers.create({ email: 'trigger@example.com' });
    const c = t.h.control(t.key);
    expect(await c.webhooks.drain()).toEqual({ pending: 1, succeeded: 0, failed: 0 });
    const [delivery] = (await c.webhooks.deliveries({ endpoint: endpoint.id })).deliveries;
    expect(delivery.attempts[0]).toMatchObject({ status: 403, response: expect.stringContaining('Webhook deliveries cannot reach the control surface') });
    expect(delivery.state).toBe('pending'); // a retry is scheduled, and will be refused the same way
    // Both worlds survived.
    expect((await t.stripe.customers.list()).data.map((x) => x.email)).toEqual(['trigger@example.com']);
    expect((await bystander.customers.list()).data.map((x) => x.email)).toEqual(['bystander@example.com']);
  });

  it('TwinControl: in-process is trusted; over HTTP it sends the token it is given, or acts with its key alone', async () => {
    await t.stripe.customers.create();
    expect((await new TwinControl({ twin: t.h.twin }).worlds()).worlds.map((w) => w.key)).toContain(t.key);
    expect((await new TwinControl({ twin: t.h.twin.engine }).worlds()).worlds.length).toBeGreaterThan(0);
    expect((await new TwinControl({ url: t.h.url, token: token() }).worlds()).worlds.length).toBeGreaterThan(0);
    const keyOnly = new TwinControl({ url: t.h.url, key: t.key });
    expect((await keyOnly.clock.get()).now).toEqual(expect.any(Number));
    const refused = await keyOnly.worlds().catch((e) => e);
    expect(refused).toBeInstanceOf(TwinControlError);
    expect(refused.status).toBe(403);
    const saved = process.env[CONTROL_TOKEN_ENV];
    process.env[CONTROL_TOKEN_ENV] = token();
    try {
      expect((await new TwinControl({ url: t.h.url }).worlds()).worlds.length).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env[CONTROL_TOKEN_ENV];
      else process.env[CONTROL_TOKEN_ENV] = saved;
    }
  });
});

describe('stripe-twin serve: the control token', () => {
  it('is made at start-up, printed, and written for this user only (mode 0600) where local clients find it; removed on exit', async () => {
    const saved = process.env[CONTROL_TOKEN_ENV];
    delete process.env[CONTROL_TOKEN_ENV];
    const { run, url, token, port } = await serve();
    const file = tokenFile(port)!;
    try {
      expect(token).toMatch(/^twinctl_[A-Za-z0-9_-]{43}$/);
      expect(run.out.text).toContain(`also in ${file}`);
      expect(fs.readFileSync(file, 'utf8').trim()).toBe(token);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      // Zero-config: a client of a loopback URL, given no token, reads the file.
      const client = new TwinControl({ url, key: 'sk_test_local' });
      await client.seed({ customers: [{ id: 'cus_local' }] });
      expect((await client.worlds()).worlds.map((w) => w.key)).toEqual(['sk_test_local']);
      expect((await new TwinControl({ url: url.replace('127.0.0.1', 'localhost') }).reset({ all: true })).reset).toBe('all');
    } finally {
      if (saved !== undefined) process.env[CONTROL_TOKEN_ENV] = saved;
      await stop(run.child);
    }
    expect(fs.existsSync(file)).toBe(false);
  });

  it('takes --control-token or STRIPE_TWIN_CONTROL_TOKEN, and refuses a short one', async () => {
    const given = 'my-own-control-token-0123456789';
    const flagged = await serve(['--control-token', given]);
    try {
      expect(flagged.token).toBe(given);
      expect((await control(flagged.url, 'GET', '/__admin__/worlds', { token: given })).status).toBe(200);
    } finally {
      await stop(flagged.run.child);
    }
    const fromEnv = await serve([], { [CONTROL_TOKEN_ENV]: `${given}-env` });
    try {
      expect(fromEnv.token).toBe(`${given}-env`);
      expect((await control(fromEnv.url, 'GET', '/__admin__/worlds', { token: `${given}-env` })).status).toBe(200);
      expect((await control(fromEnv.url, 'GET', '/__admin__/worlds', { token: given })).status).toBe(401);
    } finally {
      await stop(fromEnv.run.child);
    }
    const short = cli(['serve', '--port', '0', '--control-token', 'short']);
    expect(await short.exited).toBe(2);
    expect(short.out.err).toBe(
      "stripe-twin serve: option '--control-token <token>' argument 'short' is invalid. A control token is 16 to 256 visible ASCII characters (no spaces).\n(stripe-twin serve --help shows its usage)\n",
    );
  });

  it('warns on stderr when it listens on a non-loopback address', async () => {
    const exposed = await serve(['--host', '0.0.0.0']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(exposed.run.out.err).toMatch(/^stripe-twin: warning: listening on 0\.0\.0\.0, which is not a loopback address: other machines can reach the API/);
      // Reached through loopback, the control surface still answers the token.
      expect((await control(exposed.url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/__admin__/worlds', { token: exposed.token })).status).toBe(200);
    } finally {
      await stop(exposed.run.child);
    }
    const local = await serve();
    try {
      expect(local.run.out.err).toBe('');
    } finally {
      await stop(local.run.child);
    }
  });
});

describe('stripe-twin/jest/globalSetup exports the control token to the workers', () => {
  it('sets STRIPE_TWIN_CONTROL_TOKEN beside STRIPE_TWIN_URL, and clears both on teardown', async () => {
    const names = ['STRIPE_TWIN_URL', 'STRIPE_TWIN_MODE', CONTROL_TOKEN_ENV, 'STRIPE_TWIN_REPLAY'];
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    try {
      const globalSetup = require('../../src/jest/global_setup') as () => Promise<void>;
      const globalTeardown = require('../../src/jest/global_teardown') as () => Promise<void>;
      await globalSetup();
      const url = process.env.STRIPE_TWIN_URL!;
      expect(process.env[CONTROL_TOKEN_ENV]).toMatch(/^twinctl_/);
      expect((await new TwinControl({ url }).worlds()).worlds).toEqual([]);
      await globalTeardown();
      expect(process.env.STRIPE_TWIN_URL).toBeUndefined();
      expect(process.env[CONTROL_TOKEN_ENV]).toBeUndefined();
    } finally {
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  });
});
