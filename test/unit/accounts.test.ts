import { MAX_KEYS_PER_ACCOUNT } from '../../src/engine/accounts';
import { Twin } from '../../src/engine/twin';
import { refusal } from '../helpers';
import { World } from '../../src/engine/world';

// Accounts apart from keys (src/engine/accounts.ts): the registry, minted keys,
// connected accounts and how a request finds its account.

const bearer = (key: string) => `Bearer ${key}`;

describe('accounts and keys', () => {
  it('opens an account for an unknown key exactly as before: seeded from the key', () => {
    const twin = new Twin({ seed: 7 });
    const world = twin.world('sk_test_same');
    const alone = new World('sk_test_same', '7', () => 0, { ...twin.config });
    expect(world.accountId).toBe(alone.accountId);
    expect(world.ids.next('pi')).toBe(alone.ids.next('pi'));
    expect(world.requestId()).toBe(alone.requestId());
    expect(twin.apiKey('sk_test_same')).toMatchObject({ key: 'sk_test_same', kind: 'secret', permissions: null, account: world, minted: false });
    // A restricted key the twin did not mint still opens its own account, with every permission.
    expect(twin.apiKey('rk_test_own')).toMatchObject({ kind: 'restricted', permissions: null, minted: false });
    expect(twin.world('rk_test_own')).not.toBe(world);
  });

  it('mints further keys for an account from its own seeded stream', () => {
    const mint = (twin: Twin) => {
      const account = twin.world('sk_test_platform');
      twin.world('sk_test_someone_else'); // other accounts do not shift an account's keys
      return [twin.createKey(account, 'secret', null), twin.createKey(account, 'restricted', ['rak_customer_read', 'rak_charge_write'])];
    };
    const twin = new Twin({ seed: 3 });
    const [secret, restricted] = mint(twin);
    const account = twin.world('sk_test_platform');
    expect(secret.key).toMatch(new RegExp(`^sk_test_51${account.accountId.slice(6)}[A-Za-z0-9]{82}$`));
    expect(restricted.key).toMatch(/^rk_test_51[A-Za-z0-9]{97}$/);
    expect(restricted).toMatchObject({ kind: 'restricted', permissions: ['rak_customer_read', 'rak_charge_write'], minted: true });
    expect(Object.isFrozen(restricted.permissions)).toBe(true);
    expect(twin.world(secret.key)).toBe(account);
    expect(twin.world(restricted.key)).toBe(account);
    expect(twin.keysOf(account).map((k) => k.key)).toEqual(['sk_test_platform', secret.key, restricted.key]);
    expect(mint(new Twin({ seed: 3 })).map((k) => k.key)).toEqual([secret.key, restricted.key]);
    expect(mint(new Twin({ seed: 4 }))[0].key).not.toBe(secret.key);
    expect(twin.keys()).toEqual(['sk_test_someone_else', 'sk_test_platform']);
  });

  it('finds accounts (connected ones too) by their id block, as hosted pages do, until they are forgotten', () => {
    const twin = new Twin({ maxWorlds: 3 });
    const platform = twin.world('sk_test_blocks');
    const connected = twin.connectAccount(platform);
    expect(twin.accountByBlock(platform.accountId.slice(-10))).toBe(platform);
    expect(twin.accountByBlock(connected.ids.accountBlock)).toBe(connected);
    expect(twin.accountByBlock('nothing123')).toBeUndefined();
    twin.world('sk_test_other');
    twin.world('sk_test_third'); // past maxWorlds: the platform (and its connected account) is forgotten
    expect(twin.accountByBlock(platform.ids.accountBlock)).toBeUndefined();
    expect(twin.accountByBlock(connected.ids.accountBlock)).toBeUndefined();
    twin.setPublicUrl('https://twin.example');
    expect(twin.world('sk_test_other').config.publicUrl).toBe('https://twin.example');
    expect(twin.world('sk_test_new').config.publicUrl).toBe('https://twin.example');
  });

  it('forgets an account with its keys and connected accounts, by any of its keys', () => {
    const twin = new Twin();
    const account = twin.world('sk_test_forget');
    const minted = twin.createKey(account, 'secret', null);
    twin.connectAccount(account);
    twin.reset(minted.key);
    expect(twin.hasWorld('sk_test_forget')).toBe(false);
    expect(twin.knownKey(minted.key)).toBeUndefined();
    const again = twin.world('sk_test_forget');
    expect(again).not.toBe(account);
    expect(again.accountId).toBe(account.accountId); // afresh, with the same seed
    expect(twin.createKey(again, 'secret', null).key).toBe(minted.key);
    expect(twin.connectAccount(again).accountId).toBe([...account.connected.keys()][0]);
  });

  it('bounds the accounts kept, connected ones included, forgetting the least recently used with its keys', () => {
    const twin = new Twin({ maxWorlds: 4 });
    const a = twin.world('sk_test_a');
    const minted = twin.createKey(a, 'restricted', ['rak_customer_read']);
    twin.world('sk_test_b');
    twin.connectAccount(twin.world('sk_test_c'));
    expect(twin.world(minted.key)).toBe(a); // a use: b is now the least recent
    twin.world('sk_test_d');
    expect(twin.keys()).toEqual(['sk_test_c', 'sk_test_a', 'sk_test_d']);
    expect(twin.evicted).toBe(1);
    twin.connectAccount(twin.world('sk_test_d')); // room made by forgetting c and its connected account
    expect(twin.keys()).toEqual(['sk_test_a', 'sk_test_d']);
    expect(twin.evicted).toBe(3);
    twin.world('sk_test_e');
    twin.world('sk_test_f'); // a goes, and its minted key with it
    expect(twin.knownKey(minted.key)).toBeUndefined();
    expect(twin.world(minted.key)).not.toBe(a); // an unknown key again: it opens an account of its own

    const small = new Twin({ maxWorlds: 2 });
    const platform = small.world('sk_test_p');
    small.connectAccount(platform);
    expect(() => small.connectAccount(platform)).toThrow('at most 2 accounts');
    expect(platform.connected.size).toBe(1);
  });

  it('gives a connected account its own id block, streams and objects', () => {
    const twin = new Twin({ seed: 1 });
    const platform = twin.world('sk_test_platform');
    const one = twin.connectAccount(platform);
    const two = twin.connectAccount(platform);
    expect(one.accountId).toMatch(/^acct_1[A-Za-z0-9]{15}$/);
    expect(new Set([platform.accountId, one.accountId, two.accountId]).size).toBe(3);
    expect(one.ids.next('pi')).toContain(one.accountId.slice(-10));
    expect(one.platform).toBe(platform);
    const again = new Twin({ seed: 1 });
    expect(again.connectAccount(again.world('sk_test_platform')).accountId).toBe(one.accountId);
    expect(() => twin.connectAccount(one)).toThrow('cannot have connected accounts');
    // Its clock follows the platform's, its own advances aside.
    const ctx = { world: platform, requestId: null, idempotencyKey: null, apiVersion: platform.config.defaultApiVersion };
    platform.advance(100, ctx);
    expect(one.now()).toBe(platform.now());
    one.advance(50, { ...ctx, world: one });
    expect(one.now()).toBe(platform.now() + 50);
    expect(platform.now()).toBe(1767225700);
  });
});

describe('authenticate: the key, then the account a request acts on', () => {
  const twin = new Twin();
  const platform = twin.world('sk_test_connect_platform');
  const connected = twin.connectAccount(platform);
  const restricted = twin.createKey(platform, 'restricted', ['rak_customer_write']);

  it('acts on the key\'s own account without a header, and on a connected account named by Stripe-Account', () => {
    expect(twin.authenticate(bearer('sk_test_connect_platform'))).toMatchObject({ account: platform, echo: null, apiKey: { permissions: null } });
    const who = twin.authenticate(bearer(restricted.key), connected.accountId);
    expect(who).toMatchObject({ account: connected, echo: connected.accountId, apiKey: { key: restricted.key, permissions: ['rak_customer_write'] } });
    // The platform's own id: as without a header (uncertain in the reference), echoed.
    expect(twin.authenticate(bearer('sk_test_connect_platform'), platform.accountId)).toMatchObject({ account: platform, echo: platform.accountId });
  });

  it('refuses unknown accounts with 403 account_invalid, fields in Stripe\'s order', () => {
    for (const id of ['acct_1Nope0000000000', '__proto__', 'constructor', 'toString', ' ', 'x'.repeat(5000)]) {
      const e = refusal(() => twin.authenticate(bearer('sk_test_connect_platform'), id));
      expect(e.status).toBe(403);
      expect(e.stage).toBe('auth');
      expect(e.keyOrder).toBe('as-built');
      expect(Object.keys(e.fields)).toEqual(['message', 'type', 'code', 'doc_url']);
      expect(e.fields).toMatchObject({ type: 'invalid_request_error', code: 'account_invalid', doc_url: 'https://stripe.com/docs/error-codes/account-invalid' });
      expect(e.fields.message).toBe(
        `The provided key 'sk_test_************form' does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
      );
    }
    // Another platform's connected account is out of reach too.
    const other = twin.world('sk_test_other_platform');
    twin.connectAccount(other);
    expect(refusal(() => twin.authenticate(bearer('sk_test_other_platform'), connected.accountId)).fields.code).toBe('account_invalid');
  });

  it('leaves a key whose account has no connected accounts to the pipeline\'s 501, and ignores an empty header', () => {
    expect(twin.authenticate(bearer('sk_test_no_platform'), connected.accountId)).toMatchObject({ echo: null, notAPlatform: true });
    expect(twin.authenticate(bearer('sk_test_no_platform'), '')).toMatchObject({ echo: null, notAPlatform: false });
    expect(twin.authenticate(bearer('sk_test_connect_platform'), '')).toMatchObject({ account: platform, echo: null, notAPlatform: false });
  });

  it('checks the key before the account', () => {
    expect(refusal(() => twin.authenticate(undefined, connected.accountId)).status).toBe(401);
    expect(refusal(() => twin.authenticate(bearer('sk_live_x'), connected.accountId)).status).toBe(401);
  });
});

describe('bounds on keys', () => {
  it('keeps at most MAX_KEYS_PER_ACCOUNT keys per account', () => {
    const twin = new Twin();
    const account = twin.world('sk_test_many_keys');
    for (let i = 1; i < MAX_KEYS_PER_ACCOUNT; i++) twin.createKey(account, 'secret', null);
    expect(() => twin.createKey(account, 'secret', null)).toThrow(`at most ${MAX_KEYS_PER_ACCOUNT} keys`);
    expect(new Set(twin.keysOf(account).map((k) => k.key)).size).toBe(MAX_KEYS_PER_ACCOUNT);
  });
});
