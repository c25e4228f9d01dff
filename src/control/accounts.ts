import { StripeError } from '../engine/errors';
import { World } from '../engine/world';
import { networkProfileOf } from '../resources/payments/shared_payment_tokens';
import { completeOnboarding } from '../resources/connect/accounts';
import { keyedAccount, requireFullAccess } from './keys';
import { apiCall, chooseProfile } from './seed';
import { ControlError, controlCtx, ControlRoute } from './surface';

// Connected accounts (docs/connect.md): an account opened by a key becomes a
// platform with its first one. The platform's keys reach a connected account
// with `Stripe-Account: acct_…` (or `Stripe-Context`); control routes reach it
// with `?account=`. Each has its own objects, balance, ids (its own 10-character
// block), events, idempotency keys, webhook endpoints and request log; its clock
// follows its platform's. Making one here is POST /v1/accounts (a Standard
// account unless `type` says otherwise), without an event; `onboard` completes
// the Stripe-hosted onboarding the twin does not serve.

const describeConnected = (platform: World) => ({
  account: platform.accountId,
  connected_accounts: [...platform.connected.values()].map((account) => ({ id: account.accountId, now: account.now() })),
});

const describeProfile = (world: World) => ({ account: world.accountId, network_business_profile: networkProfileOf(world) });

export const accountRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/accounts',
    description: 'Creates a connected account under the platform account (as POST /v1/accounts does; `type` standard by default); `Stripe-Account: <id>` (or `?account=` here) then acts on it.',
    params: { type: { in: 'body', type: 'string', description: 'standard, express or custom', enum: ['standard', 'express', 'custom'] } },
    run: (call) => {
      requireFullAccess(call, 'Creating a connected account');
      const platform = keyedAccount(call, 'Creating a connected account');
      const type = call.body?.type ?? 'standard';
      if (!['standard', 'express', 'custom'].includes(type)) throw new ControlError('"type" must be standard, express or custom', 400, 'type');
      try {
        const account = platform.transaction(() => apiCall(controlCtx(platform), 'POST /v1/accounts', { type }), true);
        return { id: account.id, platform: platform.accountId };
      } catch (e) {
        throw new ControlError(e instanceof StripeError ? e.fields.message : (e as Error).message, 409);
      }
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
      const world = call.world();
      chooseProfile(world, (call.body as Record<string, unknown> | undefined)?.network_business_profile);
      return describeProfile(world);
    },
  },
  {
    method: 'GET',
    path: '/__admin__/accounts',
    description: 'Lists the platform account\'s connected accounts.',
    run: (call) => describeConnected(keyedAccount(call, 'Listing connected accounts')),
  },
  {
    method: 'POST',
    path: '/__admin__/accounts/{id}/onboard',
    description: 'Completes a connected account\'s Stripe-hosted onboarding with test values: details submitted, a test bank account (000123456789) when it has none, requirements met, capabilities active (account.updated, capability.updated).',
    run: (call) => {
      requireFullAccess(call, 'Onboarding a connected account');
      const platform = keyedAccount(call, 'Onboarding a connected account');
      const connected = platform.connected.get(call.params.id);
      if (!connected) throw new ControlError(`${call.params.id} is not a connected account of ${platform.accountId}`, 404, 'id');
      return connected.transaction(() => completeOnboarding(controlCtx(connected), connected), true);
    },
  },
];
