import { World } from '../engine/world';
import { checkedVersion } from './seed';
import { ControlError, ControlRoute } from './surface';

// Which worlds (accounts opened by keys) exist, and forgetting them (the account
// named, with its keys and connected accounts, or all when none is). Listing and
// forgetting every world span worlds: the control token's, not a key's.

function describe(world: World) {
  const counts = Object.fromEntries(
    ['customer', 'payment_method', 'payment_intent', 'charge', 'refund', 'setup_intent', 'dispute', 'event'].map((t) => [t, world.count(t)]),
  );
  return { key: world.key, account: world.accountId, api_version: world.config.defaultApiVersion, now: world.now(), objects: counts, connected_accounts: [...world.connected.keys()] };
}

export const worldRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/api_version',
    description: "Sets the account's default API version: requests without Stripe-Version are answered at it, and its events (and webhook endpoints without their own api_version) are rendered at it.",
    params: { api_version: { in: 'body', type: 'string', description: 'A released version, e.g. 2020-08-27 or 2024-12-18.acacia', required: true } },
    run: (call) => {
      const world = call.world();
      world.config.defaultApiVersion = checkedVersion(call.body.api_version, 'api_version');
      return { account: world.accountId, api_version: world.config.defaultApiVersion };
    },
  },
  {
    method: 'GET',
    path: '/__admin__/worlds',
    description: 'Lists every world (account) with its account id, object counts and connected accounts.',
    scope: 'twin',
    what: 'listing every world',
    run: ({ twin }) => ({ worlds: twin.allWorlds().map(describe) }),
  },
  {
    method: 'POST',
    path: '/__admin__/reset',
    description: 'Forgets the world of the key given; with the control token and no key, every world. A forgotten world starts afresh with the same seed.',
    run: (call) => {
      const key = call.key();
      call.authorize(key, 'resetting every world');
      if (call.account !== undefined) {
        throw new ControlError('A connected account is forgotten with its platform: reset the platform\'s key', 400, 'account');
      }
      call.twin.reset(key);
      return { reset: key ?? 'all' };
    },
  },
];
