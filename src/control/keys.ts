import { ApiKey, KeyKind, MAX_PERMISSIONS, PERMISSION_NAME } from '../engine/accounts';
import { DASHBOARD_RESOURCES } from '../engine/permissions';
import { Twin } from '../engine/twin';
import { maskKey } from '../engine/errors';
import { World } from '../engine/world';
import { ControlCall, ControlError, ControlRoute } from './surface';

// Further keys for an account: `sk_test_…` (every permission) or `rk_test_…`
// restricted to a set of `rak_…` permissions (docs/agents.md §4). Any key of
// an account reaches it, on the API and here. Keys are answered whole, as
// webhook signing secrets are (./webhooks.ts): a caller who may manage keys
// could mint one anyway. Managing keys and connected accounts needs the control
// token or a key with every permission, so a restricted key cannot mint itself
// a secret one.

/** Longest permission name accepted (the longest in docs/agents.md §4.3 has 30 characters). */
const MAX_PERMISSION_LENGTH = 100;

/** Refuses a caller holding only a restricted key the twin minted. */
export function requireFullAccess(call: ControlCall, what: string): void {
  if (call.caller.token) return;
  const apiKey = call.twin.knownKey(call.caller.key);
  if (apiKey && apiKey.permissions !== null) {
    throw new ControlError(`${what} needs the control token or a key with every permission; ${maskKey(apiKey.key)} is restricted`, 403);
  }
}

/** The world a key opened (a connected account has no keys of its own here). */
export function keyedAccount(call: ControlCall, what: string): World {
  const world = call.world();
  if (world.platform) throw new ControlError(`${what}: ${world.accountId} is a connected account, reached with its platform's keys and Stripe-Account`, 400, 'account');
  return world;
}

/**
 * A key's permissions: `rak_<resource>_read|write` names, or the Dashboard's
 * table as a map (`{"Payment Intents": "Read", "Refunds": "Write"}`; `None`
 * grants nothing), as restricted-key set-ups list them.
 */
function permissionsOf(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return fromTable(value as Record<string, unknown>);
  if (!Array.isArray(value) || value.length === 0) {
    throw new ControlError('"permissions" must be a non-empty list of rak_<resource>_read / rak_<resource>_write names, or a {Resource: Read|Write} table', 400, 'permissions');
  }
  if (value.length > MAX_PERMISSIONS) throw new ControlError(`"permissions" holds at most ${MAX_PERMISSIONS} names (got ${value.length})`, 400, 'permissions');
  const names = new Set<string>();
  value.forEach((name, i) => {
    if (typeof name !== 'string' || name.length > MAX_PERMISSION_LENGTH || !PERMISSION_NAME.test(name)) {
      const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, MAX_PERMISSION_LENGTH)) : typeof name;
      throw new ControlError(`permissions[${i}] (${shown}) is not a permission name: rak_<resource>_read or rak_<resource>_write, e.g. rak_customer_read`, 400, `permissions[${i}]`);
    }
    names.add(name);
  });
  return [...names];
}

function fromTable(table: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const [resource, level] of Object.entries(table)) {
    const slug = Object.hasOwn(DASHBOARD_RESOURCES, resource) ? DASHBOARD_RESOURCES[resource] : undefined;
    if (!slug) throw new ControlError(`permissions: unknown resource ${JSON.stringify(resource.slice(0, MAX_PERMISSION_LENGTH))}; use one of ${Object.keys(DASHBOARD_RESOURCES).join(', ')}`, 400, 'permissions');
    const access = typeof level === 'string' ? level.toLowerCase() : '';
    if (access !== 'read' && access !== 'write' && access !== 'none') throw new ControlError(`permissions[${resource}] must be Read, Write or None`, 400, `permissions[${resource}]`);
    if (access !== 'none') names.push(`rak_${slug}_${access}`);
  }
  if (!names.length) throw new ControlError('"permissions" grants nothing: give at least one resource Read or Write', 400, 'permissions');
  return names;
}

/** Mints the key a body describes (`kind`, `permissions`, a chosen `key`), for the keys route and seeds alike. */
export function mintKey(twin: Twin, account: World, body: Record<string, any>): ApiKey {
  const permissions = permissionsOf(body.permissions);
  const kind = kindOf(body, permissions);
  if (body.key !== undefined && typeof body.key !== 'string') throw new ControlError('"key" must be a string', 400, 'key');
  try {
    return twin.createKey(account, kind, permissions, body.key);
  } catch (e) {
    throw new ControlError((e as Error).message, 409, 'key');
  }
}

function kindOf(body: Record<string, any>, permissions: string[] | null): KeyKind {
  const kind = body.kind ?? (permissions ? 'restricted' : 'secret');
  if (kind !== 'secret' && kind !== 'restricted') throw new ControlError(`"kind" must be "secret" or "restricted" (got ${JSON.stringify(kind)})`, 400, 'kind');
  if (kind === 'secret' && permissions) throw new ControlError('A secret key has every permission; a key with "permissions" is "restricted"', 400, 'permissions');
  if (kind === 'restricted' && !permissions) throw new ControlError('A restricted key needs "permissions": a non-empty list of rak_… names', 400, 'permissions');
  return kind;
}

export const describeKey = (apiKey: ApiKey) => ({
  key: apiKey.key,
  account: apiKey.account.accountId,
  kind: apiKey.kind,
  permissions: apiKey.permissions,
  minted: apiKey.minted,
});

export const keyRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/keys',
    description: 'Mints a further key for the account: a secret key, or a restricted key (`rk_test_…`) carrying `permissions`.',
    params: {
      kind: { in: 'body', type: 'string', description: 'secret or restricted (default: restricted when permissions are given)', enum: ['secret', 'restricted'] },
      permissions: { in: 'body', type: 'array', description: 'rak_<resource>_read / rak_<resource>_write names (at most 256), or the Dashboard table as an object ({"Payment Intents": "Read", "Refunds": "Write"})' },
      key: { in: 'body', type: 'string', description: 'the key itself, when the caller chooses it (rk_test_… or sk_test_…, new to the twin); else one is drawn' },
    },
    run: (call) => {
      requireFullAccess(call, 'Creating a key');
      return describeKey(mintKey(call.twin, keyedAccount(call, 'Creating a key'), call.body));
    },
  },
  {
    method: 'GET',
    path: '/__admin__/keys',
    description: 'Lists the account\'s keys with their kind and permissions.',
    run: (call) => {
      requireFullAccess(call, 'Listing keys');
      const account = keyedAccount(call, 'Listing keys');
      return { account: account.accountId, keys: call.twin.keysOf(account).map(describeKey) };
    },
  },
];
