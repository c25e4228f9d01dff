import { Twin } from '../../src/engine/twin';
import { accountIdOf, placeOf, routeOf, routeOfKey } from '../../src/engine/routes';

// An account's route (src/engine/routes.ts, docs/scaling.md): whatever names an
// account names its route, derived from the seed and the name alone.

describe('account routes', () => {
  const twin = new Twin({ seed: 7 });

  it('derives a key\'s route from the account id the key opens', () => {
    for (const key of ['sk_test_a', 'rk_test_b', 'sk_test_c']) {
      expect(twin.world(key).accountId).toBe(accountIdOf('7', key));
      expect(routeOfKey('7', key)).toBe(routeOf(twin.world(key).accountId));
    }
  });

  it('routes a minted key by the account it embeds, once its tag checks out', () => {
    const account = twin.world('sk_test_owner');
    for (const kind of ['secret', 'restricted'] as const) {
      const { key } = twin.createKey(account, kind, kind === 'secret' ? null : ['rak_customer_read']);
      expect(key).toHaveLength(107);
      expect(routeOfKey('7', key)).toBe(routeOf(account.accountId));
    }
    // A Dashboard key of the same shape names a real Stripe account: it opens (and routes as) its own world.
    const minted = twin.createKey(account, 'secret', null).key;
    const untagged = minted.slice(0, -1) + (minted.endsWith('A') ? 'B' : 'A');
    expect(routeOfKey('7', untagged)).toBe(routeOf(accountIdOf('7', untagged)));
    expect(twin.world(untagged)).not.toBe(account);
  });

  it('gives a connected account its platform\'s route', () => {
    const platform = twin.world('sk_test_platform');
    for (let i = 0; i < 5; i++) expect(routeOf(twin.connectAccount(platform).accountId)).toBe(routeOf(platform.accountId));
  });

  it('spreads routes over places evenly', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[placeOf(routeOfKey('7', `sk_test_spread_${i}`), 3)]++;
    for (const n of counts) expect(n).toBeGreaterThan(900);
  });
});
