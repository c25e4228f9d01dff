import type { AccountState } from '../engine/accounts';
import type { Twin } from '../engine/twin';
import { ControlCall, ControlError, ControlRoute } from './surface';

// Snapshots and world files (docs/durability.md): a world — or every world — as
// plain data (objects, id streams, clocks, idempotency keys, scheduled work,
// pending webhook deliveries, connected accounts, minted keys), kept in the
// twin's memory under a name to restore later, or exported as a file a colleague
// imports into their twin. A snapshot shares the world's immutable objects, so
// saving costs references and restoring rebuilds only the indexes.
//
// The world a call names (its key) is the one saved, restored into or exported;
// with the control token and no key, every world.

/** The export file's format tag. */
export const WORLD_FILE_FORMAT = 'stripe-twin.worlds/1';

/** A world file: the twin's seed (informative) and its accounts. */
export interface WorldFile {
  format: typeof WORLD_FILE_FORMAT;
  seed: string;
  accounts: AccountState[];
}

interface Snapshot {
  name: string;
  /** The key of the world saved; null: every world. */
  key: string | null;
  accounts: AccountState[];
}

/** Names kept per twin (twin choice: a bound, as for worlds). */
export const MAX_SNAPSHOTS = 1000;
/** A world file's largest body over HTTP (twin choice). */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

const snapshotsOf = new WeakMap<Twin, Map<string, Snapshot>>();

function kept(twin: Twin): Map<string, Snapshot> {
  let map = snapshotsOf.get(twin);
  if (!map) snapshotsOf.set(twin, (map = new Map()));
  return map;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new ControlError('"name" must be 1-100 letters, digits, "_", "." or "-"', 400, 'name');
  return name;
}

/** The snapshot called `name`, if the caller may read it (a key holder: snapshots of their own world). */
function snapshotNamed(call: ControlCall, name: string): Snapshot {
  const snapshot = kept(call.twin).get(name);
  if (!snapshot) throw new ControlError(`No snapshot named ${JSON.stringify(name)}`, 404);
  call.authorize(snapshot.key ?? undefined, snapshot.key === null ? 'restoring every world' : "using another world's snapshot");
  return snapshot;
}

const objectCount = (accounts: AccountState[]) => accounts.reduce((n, a) => n + a.world.objects.length + a.world.connected.reduce((m, c) => m + c.objects.length, 0), 0);

const describe = (s: Snapshot) => ({ name: s.name, key: s.key, worlds: s.accounts.map((a) => ({ key: a.world.key, account: a.world.account })), objects: objectCount(s.accounts) });

/** The accounts a call names: its key's, or with the control token and no key, every one. */
function accountsOf(call: ControlCall, what: string): { key: string | null; accounts: AccountState[] } {
  if (call.account !== undefined) throw new ControlError("A connected account is saved with its platform: name the platform's key", 400, 'account');
  const key = call.key();
  call.authorize(key, what);
  if (key === undefined) return { key: null, accounts: call.twin.exportAccounts() };
  call.twin.world(key); // a key not used yet opens its (empty) world, as every control call does
  return { key, accounts: [call.twin.exportAccount(key)!] };
}

/**
 * Puts accounts back: into the world `key` names (one account, as a copy when it
 * came from another key), or, with no key, each under its own key — every world
 * the twin had is forgotten first when `all` (a snapshot of every world).
 */
function restore(call: ControlCall, accounts: AccountState[], all: boolean): { restored: { key: string; account: string }[] } {
  if (call.account !== undefined) throw new ControlError("A connected account is restored with its platform: name the platform's key", 400, 'account');
  const key = call.key();
  const wall = performance.now(); // the face's clock: idempotency keys age from now (World.loadState)
  if (key !== undefined) {
    if (accounts.length !== 1) throw new ControlError(`Restoring into one world needs one world; this holds ${accounts.length} (call with the control token and no key)`);
    const world = call.twin.importAccount(accounts[0], wall, key);
    return { restored: [{ key, account: world.accountId }] };
  }
  for (const account of accounts) call.authorize(account.world.key, 'restoring another world');
  if (all) call.twin.reset();
  return { restored: accounts.map((account) => ({ key: account.world.key, account: call.twin.importAccount(account, wall).accountId })) };
}

/** A world file's accounts, checked for their shape (the values themselves are trusted: a key holder can only spoil their own world). */
function accountsInFile(body: Record<string, any>): AccountState[] {
  if (body.format !== WORLD_FILE_FORMAT) throw new ControlError(`"format" must be "${WORLD_FILE_FORMAT}" (a file GET /__admin__/export made)`, 400, 'format');
  const accounts = body.accounts;
  const isWorld = (w: any): boolean =>
    w && typeof w.key === 'string' && typeof w.account === 'string' && Array.isArray(w.objects) && Array.isArray(w.facts) && Array.isArray(w.idempotency) &&
    w.schedule && Array.isArray(w.schedule.tasks) && Array.isArray(w.testClocks) && Array.isArray(w.connected) && w.connected.every(isWorld) && w.ids && Array.isArray(w.requests);
  if (!Array.isArray(accounts) || !accounts.every((a: any) => a && Array.isArray(a.keys) && isWorld(a.world))) {
    throw new ControlError('"accounts" must be the accounts of a world file', 400, 'accounts');
  }
  return accounts;
}

export const snapshotRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/snapshots',
    description: 'Saves the world of the key given (objects, id streams, clocks, idempotency keys, scheduled work, pending deliveries, connected accounts) under a name, in memory; with the control token and no key, every world. Saving again replaces it.',
    params: { name: { in: 'body', type: 'string', description: 'The snapshot\'s name (letters, digits, "_", "." or "-")', required: true } },
    run: (call) => {
      const name = checkName(call.body.name);
      const { key, accounts } = accountsOf(call, 'saving every world');
      const map = kept(call.twin);
      if (!map.has(name) && map.size >= MAX_SNAPSHOTS) throw new ControlError(`This twin keeps at most ${MAX_SNAPSHOTS} snapshots; delete one first`);
      const existing = map.get(name);
      if (existing) call.authorize(existing.key ?? undefined, "replacing another world's snapshot");
      const snapshot = { name, key, accounts };
      map.set(name, snapshot);
      return describe(snapshot);
    },
  },
  {
    method: 'GET',
    path: '/__admin__/snapshots',
    description: "Lists the snapshots kept: of the world of the key given, or with the control token and no key, all of them.",
    run: (call) => {
      const named = call.key(); // like every route, it refuses a caller naming a world not theirs
      if (named === undefined) {
        call.authorize(undefined, 'listing every snapshot');
        return { snapshots: [...kept(call.twin).values()].map(describe) };
      }
      const own = call.twin.knownKey(named)?.account;
      const visible = [...kept(call.twin).values()].filter((s) => s.key !== null && own !== undefined && call.twin.knownKey(s.key)?.account === own);
      return { snapshots: visible.map(describe) };
    },
  },
  {
    method: 'POST',
    path: '/__admin__/snapshots/{name}/restore',
    description: 'Restores a snapshot: into the world of the key given (a snapshot of another world becomes a copy of it under this key), or, with the control token and no key, as saved (a snapshot of every world replaces every world).',
    run: (call) => {
      const snapshot = snapshotNamed(call, call.params.name);
      return { name: snapshot.name, ...restore(call, snapshot.accounts, snapshot.key === null) };
    },
  },
  {
    method: 'DELETE',
    path: '/__admin__/snapshots/{name}',
    description: 'Forgets a snapshot.',
    run: (call) => {
      const snapshot = snapshotNamed(call, call.params.name);
      kept(call.twin).delete(snapshot.name);
      return { name: snapshot.name, deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/__admin__/export',
    description: 'The world of the key given as a file (JSON) another twin imports; with the control token and no key, every world.',
    run: (call): WorldFile => ({ format: WORLD_FILE_FORMAT, seed: call.twin.seed, accounts: accountsOf(call, 'exporting every world').accounts }),
  },
  {
    method: 'POST',
    path: '/__admin__/import',
    description: 'Loads a world file: into the world of the key given (its one world, as a copy under this key), or, with the control token and no key, each world under its own key (other worlds stay).',
    params: {
      format: { in: 'body', type: 'string', description: `"${WORLD_FILE_FORMAT}"`, required: true },
      accounts: { in: 'body', type: 'array', description: 'The accounts, as GET /__admin__/export gave them', required: true },
    },
    maxBodyBytes: MAX_IMPORT_BYTES,
    run: (call) => restore(call, accountsInFile(call.body), false),
  },
];
