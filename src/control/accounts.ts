import { World } from '../engine/world';
import { chooseNetworkProfile, networkProfileOf } from '../resources/payments/shared_payment_tokens';
import { keyedAccount, requireFullAccess } from './keys';
import { ControlError, ControlRoute } from './surface';

// Connected accounts (connect-and-legacy.md §A2): an account opened by a key
// becomes a platform with its first one. The platform's keys reach a connected
// account with `Stripe-Account: acct_…` (or `Stripe-Context`); control routes
// reach it with `?account=`. Each has its own objects, balance, ids (its own
// 10-character block), events, idempotency keys, webhook endpoints and request
// log; its clock follows its platform's. Modelling Connect
// itself (the Account object, transfers, application fees) is left for later.

const describeConnected = (platform: World) => ({
  account: platform.accountId,
  connected_accounts: [...platform.connected.values()].map((account) => ({ id: account.accountId, now: account.now() })),
});

const describeProfile = (world: World) => ({ account: world.accountId, network_business_profile: networkProfileOf(world) });

export const accountRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/accounts',
    description: 'Creates a connected account under the platform account; `Stripe-Account: <id>` (or `?account=` here) then acts on it.',
    run: (call) => {
      requireFullAccess(call, 'Creating a connected account');
      const platform = keyedAccount(call, 'Creating a connected account');
      let account: World;
      try {
        account = call.twin.connectAccount(platform);
      } catch (e) {
        throw new ControlError((e as Error).message, 409);
      }
      return { id: account.accountId, platform: platform.accountId };
    },
  },
  {
    method: 'GET',
    path: '/__admin__/profile',
    description: "The account's network business profile id (`profile_test_…`), the seller a Shared Payment Token is issued to.",
    run: (call) => describeProfile(call.world()),
  },
  {
    method: 'POST',
    path: '/__admin__/profile',
    description: "Chooses the account's network business profile id (`null` returns to the one derived from its id).",
    params: { network_business_profile: { in: 'body', type: 'string', description: 'profile_test_… (or null)', required: true } },
    run: (call) => {
      const profile = (call.body as Record<string, unknown> | undefined)?.network_business_profile;
      if (profile !== null && (typeof profile !== 'string' || !/^profile_(test_)?[A-Za-z0-9_]+$/.test(profile))) {
        throw new ControlError('network_business_profile must be a profile id (profile_test_…) or null', 400);
      }
      const world = call.world();
      chooseNetworkProfile(world, profile);
      return describeProfile(world);
    },
  },
  {
    method: 'GET',
    path: '/__admin__/accounts',
    description: 'Lists the platform account\'s connected accounts.',
    run: (call) => describeConnected(keyedAccount(call, 'Listing connected accounts')),
  },
];
