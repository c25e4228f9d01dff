import { World } from '../engine/world';
import { ControlRoute } from './surface';

// Which worlds exist, and forgetting them (the world named, or all when none is).
// Listing and forgetting every world span worlds: the control token's, not a key's.

function describe(world: World) {
  const counts = Object.fromEntries(
    ['customer', 'payment_method', 'payment_intent', 'charge', 'refund', 'setup_intent', 'dispute', 'event'].map((t) => [t, world.count(t)]),
  );
  return { key: world.key, account: world.accountId, now: world.now(), objects: counts };
}

export const worldRoutes: ControlRoute[] = [
  {
    method: 'GET',
    path: '/__admin__/worlds',
    scope: 'twin',
    what: 'listing every world',
    run: ({ twin }) => ({ worlds: twin.allWorlds().map(describe) }),
  },
  {
    method: 'POST',
    path: '/__admin__/reset',
    run: (call) => {
      const key = call.key();
      call.authorize(key, 'resetting every world');
      call.twin.reset(key);
      return { reset: key ?? 'all' };
    },
  },
];
