import { Random } from './random';
import { accountIdOf, tagMintedKey, withRouteOf } from './routes';
import type { World, WorldState } from './world';

// Accounts and the keys that open them. An account (a World) holds objects,
// balance, id streams, events and webhook endpoints; a key belongs to one
// account and carries permissions. Any `sk_test_…` key the twin has not seen
// opens an account of its own on first use, seeded from the key, so parallel
// test files never see each other's objects. The control surface mints further
// keys for an existing account (secret, or restricted to a set of `rak_…`
// permissions), and connected accounts under a platform (Stripe-Account).
//
// The registry is bounded: at most `max` accounts (connected ones count), the
// least recently used account opened by a key forgotten first, with its keys and
// its connected accounts.

export type KeyKind = 'secret' | 'restricted';

/** A key and what it may do. */
export interface ApiKey {
  readonly key: string;
  readonly kind: KeyKind;
  /**
   * null: everything (secret keys, and restricted keys the twin did not mint,
   * whose permission set it cannot know); otherwise the `rak_…` names
   * (docs/agents.md §4.3), enforced on every route by ./permissions.ts.
   */
  readonly permissions: readonly string[] | null;
  /** The account it opens (a platform's key with Stripe-Account acts on a connected account of it). */
  readonly account: World;
  /** Made by the control surface, rather than the key that opened the account. */
  readonly minted: boolean;
}

/** A minted key as data. */
export interface KeyState {
  key: string;
  kind: KeyKind;
  permissions: readonly string[] | null;
}

/**
 * An account opened by a key, as data: its world (connected accounts included),
 * the keys minted for it and where its key stream stands (docs/durability.md).
 */
export interface AccountState {
  world: WorldState;
  keys: KeyState[];
  keyStream: number[] | null;
}

/** Told of every change to the accounts kept (a durable store writes them down: docs/durability.md). */
export interface RegistryListener {
  /** An account opened by a key: new, or restored from its state. */
  opened(account: World): void;
  /** Its minted keys changed. */
  minted(account: World): void;
  connected(platform: World, account: World): void;
  disconnected(platform: World, account: World): void;
  /** The account `key` opened was forgotten (undefined: every account). */
  forgotten(key: string | undefined): void;
}

export class AccountRegistry {
  /** Set by a durable store. */
  listener: RegistryListener | null = null;
  /** Accounts opened by keys, least recently used first, by the key that opened them (World.key). */
  private readonly opened = new Map<string, World>();
  /** Every key of every account kept. */
  private readonly byKey = new Map<string, ApiKey>();
  private readonly keysByAccount = new Map<World, ApiKey[]>();
  private readonly keyStreams = new Map<World, Random>();
  /** Every account kept, connected ones included, by the last 10 characters of its id. */
  private readonly blocks = new Map<string, World>();
  private newest: World | null = null;
  /** Accounts kept, connected ones included. */
  private size = 0;
  /** Accounts forgotten to stay within `max`. */
  evicted = 0;

  constructor(
    private readonly seed: string,
    readonly max: number,
    /** Makes an account seeded from `name`; a connected account's clock follows its platform's. */
    private readonly make: (name: string, platform: World | null, accountId?: string) => World,
  ) {}

  /** The key, opening an account for it on first use; counts as a use of its account. */
  apiKey(key: string): ApiKey {
    let found = this.byKey.get(key);
    if (found) this.touch(found.account);
    else {
      this.makeRoom(null);
      const account = this.make(key, null);
      this.opened.set(key, account);
      this.blocks.set(account.ids.accountBlock, account);
      this.size++;
      // An rk_test_ key the twin did not mint keeps today's behaviour: its own account, every permission.
      found = { key, kind: key.startsWith('rk_') ? 'restricted' : 'secret', permissions: null, account, minted: false };
      this.byKey.set(key, found);
      this.keysByAccount.set(account, [found]);
      this.newest = account;
      this.listener?.opened(account);
    }
    return found;
  }

  /** A key already known, without opening an account or counting a use. */
  known(key: string): ApiKey | undefined {
    return this.byKey.get(key);
  }

  /**
   * A further key for `account`: `sk_test_…` or `rk_test_…`, drawn from the
   * account's own seeded stream (the same keys, in the same order, for the same
   * seed and opening key). The shape — prefix, `51`, the account id's body,
   * random characters, a tag routers check (./routes.ts), 107 in all, like today's
   * dashboard keys — is a twin choice.
   */
  mint(account: World, kind: KeyKind, permissions: readonly string[] | null, chosen?: string): ApiKey {
    const keys = this.keysByAccount.get(account);
    if (!keys) throw new Error(`${account.accountId} is not an account this twin keeps keys for`);
    if (keys.length >= MAX_KEYS_PER_ACCOUNT) throw new Error(`An account keeps at most ${MAX_KEYS_PER_ACCOUNT} keys`);
    let key: string;
    if (chosen !== undefined) {
      // A key named by its caller (a seed's `rk_test_agent`): its prefix must say its kind, and it must be new to the twin.
      if (!CHOSEN_KEY.test(chosen) || chosen.startsWith('sk_') !== (kind === 'secret')) throw new Error(`"key" must be ${kind === 'secret' ? 'sk' : 'rk'}_test_ followed by letters, digits or _ (at most 200 characters)`);
      if (this.byKey.has(chosen)) throw new Error(`The key ${chosen} is already in use`);
      key = chosen;
    } else {
      let stream = this.keyStreams.get(account);
      if (!stream) this.keyStreams.set(account, (stream = new Random(`${this.seed}:${account.key}:keys`)));
      do key = tagMintedKey(`${kind === 'secret' ? 'sk' : 'rk'}_test_51${account.accountId.slice(6)}${stream.chars(78)}`);
      while (this.byKey.has(key));
    }
    const minted: ApiKey = { key, kind, permissions: permissions && Object.freeze([...permissions]), account, minted: true };
    this.byKey.set(key, minted);
    keys.push(minted);
    this.touch(account);
    this.listener?.minted(account);
    return minted;
  }

  /** An account's keys: the one that opened it, then those minted, in order. */
  keysOf(account: World): readonly ApiKey[] {
    return this.keysByAccount.get(account) ?? [];
  }

  /**
   * A new connected account under `platform` (an account opened by a key), seeded
   * from the platform's name and its rank; `accountId` chooses its id (seeding an
   * account a recording names).
   */
  connect(platform: World, accountId?: string): World {
    if (platform.platform || !this.keysByAccount.has(platform)) throw new Error(`${platform.accountId} cannot have connected accounts`);
    if (accountId !== undefined && (!/^acct_[A-Za-z0-9]{10,}$/.test(accountId) || this.blocks.has(accountId.slice(-10)))) throw new Error(`${accountId} cannot be a new account's id`);
    this.makeRoom(platform);
    const name = `${platform.key}:connected:${platform.connectedEver}`;
    // A derived id carries its platform's route, so hosted pages of a connected account find the platform's place (./routes.ts).
    const account = this.make(name, platform, accountId ?? withRouteOf(accountIdOf(this.seed, name), platform.accountId));
    platform.connectedEver++;
    platform.connected.set(account.accountId, account);
    this.blocks.set(account.ids.accountBlock, account);
    this.size++;
    this.touch(platform);
    this.listener?.connected(platform, account);
    return account;
  }

  /** Forgets a connected account (deleted by its platform): its id then answers 403 account_invalid. */
  disconnect(account: World): void {
    const platform = account.platform;
    if (!platform || platform.connected.get(account.accountId) !== account) return;
    platform.connected.delete(account.accountId);
    this.listener?.disconnected(platform, account);
    if (this.blocks.get(account.ids.accountBlock) === account) this.blocks.delete(account.ids.accountBlock);
    this.size--;
  }

  /** The account (connected ones included) whose id ends with `block`. */
  byBlock(block: string): World | undefined {
    return this.blocks.get(block);
  }

  /** Accounts opened by keys, least recently used first. */
  accounts(): World[] {
    return [...this.opened.values()];
  }

  /** Every account kept, connected ones after their platform. */
  *everyAccount(): Iterable<World> {
    for (const account of this.opened.values()) {
      yield account;
      yield* account.connected.values();
    }
  }

  /** The opening keys of the accounts kept, least recently used first. */
  openingKeys(): string[] {
    return [...this.opened.keys()];
  }

  /** An account opened by a key, as data (see AccountState). */
  state(account: World): AccountState {
    const keys = (this.keysByAccount.get(account) ?? []).filter((k) => k.minted).map(({ key, kind, permissions }) => ({ key, kind, permissions }));
    return { world: account.exportState(), keys, keyStream: this.keyStreams.get(account)?.state ?? null };
  }

  /**
   * Puts back an account from its state, opened by `key` (default the key it was
   * opened by), with its connected accounts; an account `key` opened before is
   * forgotten first. Under another key (a copy: the same account id, objects and
   * ids), the keys minted for the original are not brought along, so they keep
   * naming the original; the account id's block then names the copy restored
   * last (hosted pages find their account by it). A minted key another account
   * holds is skipped. `wallMs` is the face's monotonic clock (World.loadState).
   */
  restore(state: AccountState, wallMs: number, key = state.world.key): World {
    this.forget(key);
    for (let i = 0; i <= state.world.connected.length; i++) this.makeRoom(null);
    const account = this.make(key, null, state.world.account);
    account.loadState(state.world, wallMs);
    this.opened.set(key, account);
    this.blocks.set(account.ids.accountBlock, account);
    this.size++;
    for (const connected of state.world.connected) {
      const world = this.make(connected.key, account, connected.account);
      world.loadState(connected, wallMs);
      account.connected.set(world.accountId, world);
      this.blocks.set(world.ids.accountBlock, world);
      this.size++;
    }
    const keys: ApiKey[] = [{ key, kind: key.startsWith('rk_') ? 'restricted' : 'secret', permissions: null, account, minted: false }];
    if (key === state.world.key) {
      for (const k of state.keys) if (!this.byKey.has(k.key)) keys.push({ ...k, permissions: k.permissions && Object.freeze([...k.permissions]), account, minted: true });
      if (state.keyStream) {
        const stream = new Random('');
        stream.state = state.keyStream;
        this.keyStreams.set(account, stream);
      }
    }
    for (const k of keys) this.byKey.set(k.key, k);
    this.keysByAccount.set(account, keys);
    this.newest = account;
    this.listener?.opened(account);
    return account;
  }

  /** Forgets the account of `key` (with its keys and connected accounts), or every account. */
  forget(key?: string): void {
    if (key === undefined) {
      this.listener?.forgotten(undefined);
      this.opened.clear();
      this.byKey.clear();
      this.keysByAccount.clear();
      this.keyStreams.clear();
      this.blocks.clear();
      this.size = 0;
    } else {
      const account = this.byKey.get(key)?.account;
      if (account) this.drop(account);
    }
    this.newest = null;
  }

  private touch(account: World): void {
    if (account === this.newest) return;
    this.opened.delete(account.key);
    this.opened.set(account.key, account);
    this.newest = account;
  }

  /** Forgets least recently used accounts (never `keep`) until one more fits. */
  private makeRoom(keep: World | null): void {
    while (this.size >= this.max) {
      let victim: World | undefined;
      for (const account of this.opened.values()) {
        if (account !== keep) {
          victim = account;
          break;
        }
      }
      if (!victim) throw new Error(`This twin keeps at most ${this.max} accounts (maxWorlds), connected accounts included`);
      this.evicted += 1 + victim.connected.size;
      this.drop(victim);
    }
  }

  private drop(account: World): void {
    this.listener?.forgotten(account.key);
    this.opened.delete(account.key);
    for (const apiKey of this.keysByAccount.get(account) ?? []) this.byKey.delete(apiKey.key);
    this.keysByAccount.delete(account);
    this.keyStreams.delete(account);
    for (const forgotten of [account, ...account.connected.values()]) {
      if (this.blocks.get(forgotten.ids.accountBlock) === forgotten) this.blocks.delete(forgotten.ids.accountBlock);
    }
    this.size -= 1 + account.connected.size;
    if (this.newest === account) this.newest = null;
  }
}

/**
 * A platform's Connect application id, `ca_` and 32 characters (recorded on
 * objects made with Stripe-Account and on application fees), derived from the
 * platform's id so it draws nothing from the id streams.
 */
export function applicationId(platform: World): string {
  return `ca_${new Random(`${platform.accountId}:application`).chars(32)}`;
}

/** `rak_<resource>_(read|write)` (docs/agents.md §4.3), lower-case words joined by `_`. */
/** A key a caller chooses: test mode, its kind's prefix, a bounded body. */
const CHOSEN_KEY = /^(?:sk|rk)_test_[A-Za-z0-9_]{1,192}$/;

export const PERMISSION_NAME = /^rak_[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:read|write)$/;

/** Keys one account keeps, the opening one included (twin choice, so minting stays bounded). */
export const MAX_KEYS_PER_ACCOUNT = 1000;

/** Most permissions one restricted key carries (twin choice; Stripe's resources number in the low hundreds). */
export const MAX_PERMISSIONS = 256;
