import Stripe from 'stripe';
import { freshKey, MODES, raw, stripeError, useHarness } from '../helpers'; // first: loads the twin in its module order

// Accounts, keys and connected accounts through the official SDK and the
// control client, over HTTP and in-process (src/engine/accounts.ts,
// src/control/keys.ts, src/control/accounts.ts).

describe.each(MODES)('accounts and keys (%s)', (mode) => {
  const t = useHarness(mode);

  it('lets a key minted for an account reach its objects, restricted keys carrying their permissions', async () => {
    const customer = await t.stripe.customers.create({ email: 'owner@example.com' });
    const control = t.h.control(t.key);
    const secret = await control.keys.create();
    expect(secret).toMatchObject({ kind: 'secret', permissions: null, minted: true });
    expect(secret.key).toMatch(/^sk_test_51[A-Za-z0-9]{97}$/);
    const restricted = await control.keys.create({ permissions: ['rak_customer_read', 'rak_customer_read', 'rak_charge_write'] });
    expect(restricted).toMatchObject({ kind: 'restricted', permissions: ['rak_customer_read', 'rak_charge_write'] });
    expect(restricted.key).toMatch(/^rk_test_51/);
    expect(restricted.account).toBe(secret.account);

    expect((await t.h.stripe(restricted.key).customers.retrieve(customer.id)).id).toBe(customer.id);
    const made = await t.h.stripe(secret.key).customers.create({ email: 'second-key@example.com' });
    expect((await t.stripe.customers.list()).data.map((c) => c.id)).toEqual([made.id, customer.id]);

    const listed = await control.keys.list();
    expect(listed.account).toBe(secret.account);
    expect(listed.keys.map((k) => [k.key, k.kind, k.minted])).toEqual([
      [t.key, 'secret', false],
      [secret.key, 'secret', true],
      [restricted.key, 'restricted', true],
    ]);
    expect((await t.h.control(secret.key).keys.list()).keys).toHaveLength(3);
  });

  it('refuses bad key requests with a clear 4xx and mints nothing', async () => {
    const control = t.h.control(t.key);
    const bad: [unknown, RegExp, string?][] = [
      [{ kind: 'restricted' }, /needs "permissions"/, 'permissions'],
      [{ kind: 'secret', permissions: ['rak_customer_read'] }, /secret key has every permission/, 'permissions'],
      [{ kind: 'admin' }, /"kind" must be/, 'kind'],
      [{ permissions: [] }, /non-empty list/, 'permissions'],
      [{ permissions: 'rak_customer_read' }, /non-empty list/, 'permissions'],
      [{ permissions: ['__proto__'] }, /permissions\[0\] \("__proto__"\) is not a permission name/, 'permissions[0]'],
      [{ permissions: ['rak_customer_read', 'constructor'] }, /permissions\[1\]/, 'permissions[1]'],
      [{ permissions: ['rak_customer_admin'] }, /not a permission name/, 'permissions[0]'],
      [{ permissions: [{ x: 1 }] }, /\(object\) is not a permission name/, 'permissions[0]'],
      [{ permissions: [`rak_${'a'.repeat(200)}_read`] }, /not a permission name/, 'permissions[0]'],
      [{ permissions: Array.from({ length: 257 }, () => 'rak_customer_read') }, /at most 256/, 'permissions'],
    ];
    for (const [body, message, at] of bad) {
      const res = await t.h.admin('POST', '/__admin__/keys', body, t.key);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.json.error.message).toMatch(message);
      expect(res.json.error.at).toBe(at);
    }
    expect((await t.h.admin('POST', '/__admin__/keys', { key: '__proto__' })).status).toBe(400);
    expect((await t.h.admin('POST', '/__admin__/keys', {})).json.error.message).toMatch(/^Name the world/);
    expect((await control.keys.list()).keys).toHaveLength(1);
  });

  it('keeps a connected account apart: its own objects, ids, balance, events and idempotency keys', async () => {
    const control = t.h.control(t.key);
    const { id: account, platform } = await control.accounts.connect();
    expect(account).toMatch(/^acct_1[A-Za-z0-9]{15}$/);
    expect(platform).not.toBe(account);
    const onPlatform = await t.stripe.customers.create({ email: 'platform@example.com' }, { idempotencyKey: 'same-key' });
    const onConnected = await t.stripe.customers.create({ email: 'connected@example.com' }, { stripeAccount: account, idempotencyKey: 'same-key' });
    expect(onConnected.id).not.toBe(onPlatform.id);
    expect(onConnected.lastResponse.headers['stripe-account']).toBe(account);
    expect(onPlatform.lastResponse.headers['stripe-account']).toBeUndefined();

    // A PaymentIntent made there carries the connected account's 10-character block (docs/stripe-facts.md §1.7).
    const pi = await t.stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } },
      { stripeAccount: account },
    );
    expect(pi.id.slice(9, 19)).toBe(account.slice(-10));
    expect(pi.id.slice(9, 19)).not.toBe(platform.slice(-10));

    const missing = await stripeError(t.stripe.customers.retrieve(onConnected.id));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect((await t.stripe.customers.list({}, { stripeAccount: account })).data.map((c) => c.id)).toEqual([onConnected.id]);
    expect((await t.stripe.balance.retrieve({}, { stripeAccount: account })).pending).toEqual([expect.objectContaining({ amount: 1000 - 59, currency: 'usd' })]);
    expect((await t.stripe.balance.retrieve()).pending).toEqual([expect.objectContaining({ amount: 0 })]);
    const events = await t.stripe.events.list({}, { stripeAccount: account });
    expect(events.data.every((e) => e.id.includes(account.slice(-10)))).toBe(true);
    expect((await t.stripe.events.list()).data.map((e) => e.type)).toEqual(['customer.created']);

    // stripe-node 23's stripeContext reaches the same account.
    const viaContext = await t.stripe.customers.list({}, { stripeContext: account } as Stripe.RequestOptions);
    expect(viaContext.data.map((c) => c.id)).toEqual([onConnected.id]);
    // The platform's own id: as without the header.
    expect((await t.stripe.customers.list({}, { stripeAccount: platform })).data.map((c) => c.id)).toEqual([onPlatform.id]);

    // The control surface reaches it with `account` (forAccount).
    expect((await control.forAccount(account).events()).data.map((e) => e.type)).toContain('payment_intent.succeeded');
    expect(await control.accounts.list()).toEqual({ account: platform, connected_accounts: [{ id: account, now: 1767225600 }] });
  });

  it('refuses an account that does not exist or is not connected to this platform with 403 account_invalid', async () => {
    await t.h.control(t.key).accounts.connect();
    const { id: elsewhere } = await t.h.control(freshKey('other_platform')).accounts.connect();
    for (const id of ['acct_1Nope000000000000', elsewhere, '__proto__']) {
      const e = await stripeError(t.stripe.customers.create({}, { stripeAccount: id }));
      expect(e).toBeInstanceOf(Stripe.errors.StripePermissionError);
      expect(e.statusCode).toBe(403);
      expect(e.code).toBe('account_invalid');
      expect(e.message).toBe(
        `The provided key '${t.key.slice(0, 8)}${'*'.repeat(Math.min(t.key.length - 12, 30))}${t.key.slice(-4)}' does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
      );
      expect(e.requestId).toBeUndefined();
    }
    expect((await t.stripe.customers.list()).data).toEqual([]);
  });

  it("answers Stripe's 403 for Stripe-Account when the account is no Connect platform", async () => {
    for (const options of [{ stripeAccount: 'acct_1Nope000000000000' }, { stripeContext: 'acct_1Nope000000000000' }]) {
      const e = await stripeError(t.stripe.customers.create({}, options as Stripe.RequestOptions));
      expect(e.statusCode).toBe(403);
      expect(e).toMatchObject({ type: 'StripePermissionError', raw: expect.objectContaining({ type: 'invalid_request_error' }) });
      expect(e.message).toMatch(/^Only Stripe Connect platforms can work with other accounts\./);
    }
    expect((await t.stripe.customers.list()).data).toEqual([]);
  });
});

describe('Stripe-Account and keys on the wire', () => {
  const t = useHarness('http');
  const admin = (method: string, path: string, key: string, body?: unknown) =>
    raw(t.h.url, method, path, { key, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

  it('lets any key of an account act on it on the control surface, and only a key with every permission manage keys', async () => {
    const secret = (await t.h.control(t.key).keys.create()).key;
    const restricted = (await t.h.control(t.key).keys.create({ permissions: ['rak_customer_read'] })).key;
    const other = freshKey('other');
    await t.h.stripe(other).customers.create();
    expect((await admin('GET', '/__admin__/clock', restricted)).status).toBe(200);
    expect((await admin('GET', `/__admin__/requests?key=${t.key}`, secret)).status).toBe(200);
    expect((await admin('GET', '/__admin__/keys', secret)).json.keys).toHaveLength(3);
    for (const [method, path] of [['POST', '/__admin__/keys'], ['GET', '/__admin__/keys'], ['POST', '/__admin__/accounts']]) {
      const res = await admin(method, path, restricted, method === 'POST' ? {} : undefined);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.json.error.message).toMatch(/needs the control token or a key with every permission; rk_test_\*+.{4} is restricted$/);
    }
    // Another account's key reaches neither the account nor its keys.
    for (const [method, path] of [['GET', `/__admin__/keys?key=${t.key}`], ['POST', `/__admin__/keys?key=${secret}`], ['GET', `/__admin__/clock?key=${restricted}`]]) {
      expect((await admin(method, path, other, method === 'POST' ? {} : undefined)).status).toBe(403);
    }
    expect((await t.h.control(t.key).keys.list()).keys).toHaveLength(3);
  });

  it('renders E41 as Stripe does: message, type, code, doc_url; no Request-Id, Stripe-Version or request_log_url', async () => {
    await t.h.control(t.key).accounts.connect();
    const res = await raw(t.h.url, 'GET', '/v1/customers', { key: t.key, headers: { 'Stripe-Account': 'acct_1Missing00000000' } });
    expect(res.status).toBe(403);
    expect(Object.keys(res.json.error)).toEqual(['message', 'type', 'code', 'doc_url']);
    expect(res.json.error.doc_url).toBe('https://stripe.com/docs/error-codes/account-invalid');
    expect(res.body.endsWith('}\n')).toBe(true);
    expect(res.headers['request-id']).toBeUndefined();
    expect(res.headers['stripe-version']).toBeUndefined();
    expect(res.headers['stripe-account']).toBeUndefined();
  });

  it('echoes Stripe-Account on errors of a connected account, whose request_log_url names it', async () => {
    const { id } = await t.h.control(t.key).accounts.connect();
    const res = await raw(t.h.url, 'GET', '/v1/customers/cus_nope', { key: t.key, headers: { 'Stripe-Account': id } });
    expect(res.status).toBe(404);
    expect(res.headers['stripe-account']).toBe(id);
    expect(res.json.error.request_log_url).toContain(`/${id}/test/workbench/logs`);
  });
});
