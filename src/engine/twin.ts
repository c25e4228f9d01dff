import { AccountRegistry, AccountState, ApiKey, KeyKind, RegistryListener } from './accounts';
import { errors } from './errors';
import { LATEST_VERSION } from './versions';
import { AccountDirectory, Ctx, World, WorldConfig } from './world';

// The twin: accounts (worlds) and the keys that open them (./accounts.ts: an
// unknown sk_test_ key opens its own test-mode account, so parallel test files
// never see each other's objects), a seed and a clock. Faces (HTTP server,
// in-process transport, control surface) sit on top.

export interface TwinOptions {
  /** Seed of every id stream; same seed + same requests ⇒ same bytes. */
  seed?: string | number;
  /** Start of world time, Unix seconds (default 2026-01-01T00:00:00Z). */
  startTime?: number;
  /**
   * A wall-clock source in milliseconds supplied by the face. Given, world time
   * runs in real time from `startTime`; absent, world time only moves when advanced.
   */
  wallClock?: () => number;
  config?: Partial<WorldConfig>;
  /** Keys answered with 401 "Invalid API Key provided" (so that error is testable). */
  revokedKeys?: string[];
  /**
   * Accounts kept at once, connected accounts included (default 1,000): a new key
   * past it forgets the account used least recently (with its keys and connected
   * accounts), so a twin left running while test suites mint a key per test stays bounded.
   */
  maxWorlds?: number;
  /**
   * With `wallClock`: the wall time (ms) world time started at `startTime` (default: now). A
   * twin restarted on its data directory passes the first start's, so world time goes on.
   */
  wallStart?: number;
}

export const DEFAULT_MAX_WORLDS = 1000;

/** Keeps the twin's state somewhere (a data directory: src/server/durable.ts); told when to write what changed. */
export interface TwinStore {
  /**
   * Resolves once everything changed so far is written; a face waits for it
   * before answering. What changes in one turn of the event loop is written
   * together (group commit).
   */
  written(): Promise<void>;
}

export const DEFAULT_START_TIME = 1767225600;

export const DEFAULT_CONFIG: WorldConfig = {
  paymentMethodTypes: ['card'],
  payoutDelayDays: 7,
  statementDescriptor: 'STRIPE TWIN',
  defaultApiVersion: LATEST_VERSION,
  rawCardData: true,
  // Test mode retries "three times over a few hours" (docs/stripe-facts.md §19.2); the spacing is a twin choice.
  webhookRetryDelays: [3600, 7200, 14400],
  accountName: null,
  // Stripe's recommended default is 8 tries within 2 weeks, timed by Smart Retries;
  // the twin spaces them evenly (the first attempt, then 7 retries two days apart),
  // then cancels the subscription and leaves the invoice open (a twin choice, configurable).
  billing: { retryDays: [2, 2, 2, 2, 2, 2, 2], afterRetries: 'cancel', invoiceAfterRetries: 'open' },
  // Where `serve` listens by default; a served twin sets its own address (setPublicUrl).
  publicUrl: 'http://127.0.0.1:12111',
};

/**
 * Performs the webhook deliveries the engine records (src/server/webhooks.ts).
 * Faces install one; without it deliveries stay pending in the world.
 */
export interface WebhookDispatcher {
  /** New deliveries may be due: start them without waiting. */
  kick(world: World): void;
  /** Delivers everything due now, and waits until nothing due is left. */
  drain(world: World): Promise<void>;
  /** Advances the world clock, making each retry that falls due on the way at its own time. */
  advance(world: World, seconds: number, ctx: Ctx): Promise<void>;
}

/** Who a request acts as: its key (and permissions), and the account it acts on. */
export interface RequestAccount {
  apiKey: ApiKey;
  /** The key's account, or the connected account Stripe-Account named. */
  account: World;
  /** The account id to echo in a Stripe-Account response header; null when the request named none. */
  echo: string | null;
  /**
   * The request named another account, but the key's account never had connected
   * accounts: Stripe answers a non-platform with a 403 "Only Stripe Connect
   * platforms can work with other accounts…" (docs/connect.md §2), which the
   * pipeline raises once the request has its id.
   */
  notAPlatform: boolean;
}

/**
 * A session (brief 000's scored runs, docs/agents.md §8): requests under the URL prefix `/s/<id>`
 * without a key, and requests bearing its token anywhere, act as its key.
 */
export interface Session {
  readonly id: string;
  /** The API key the session acts as (its account is the session's world). */
  readonly key: string;
  /** The bearer token standing for the key (`Authorization: Bearer <token>`). */
  readonly token: string;
}

/** The key an Authorization header carries: Bearer, Basic with the key as user name (docs/stripe-facts.md §1.1), or the bare key; '' when none. */
export function keyOfAuthorization(authorization: string | undefined): string {
  if (!authorization) return '';
  const [scheme, credentials = ''] = authorization.trim().split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) return Buffer.from(credentials, 'base64').toString('utf8').split(':')[0];
  return /^bearer$/i.test(scheme) ? credentials : authorization.trim();
}

export class Twin {
  readonly seed: string;
  readonly startTime: number;
  readonly config: WorldConfig;
  readonly revokedKeys: Set<string>;
  dispatcher: WebhookDispatcher | null = null;
  /** Told of each key minted under a name its caller chose (a router cannot derive its account from it: docs/scaling.md). */
  onKeyChosen: ((key: string) => void) | null = null;
  /** Where the twin's state is kept besides memory; null: in memory only. */
  store: TwinStore | null = null;
  readonly maxWorlds: number;
  private readonly registry: AccountRegistry;
  private readonly timeSource: () => number;
  private readonly sessionsById = new Map<string, Session>();
  private readonly sessionsByToken = new Map<string, Session>();

  constructor(options: TwinOptions = {}) {
    this.seed = String(options.seed ?? 0);
    this.config = { ...DEFAULT_CONFIG, ...options.config };
    this.revokedKeys = new Set(options.revokedKeys ?? []);
    this.maxWorlds = options.maxWorlds ?? DEFAULT_MAX_WORLDS;
    if (!Number.isInteger(this.maxWorlds) || this.maxWorlds < 1) throw new Error(`maxWorlds must be a positive integer (got ${options.maxWorlds})`);
    const wall = options.wallClock;
    if (wall) {
      const wallStart = options.wallStart ?? wall();
      this.startTime = options.startTime ?? Math.floor(wallStart / 1000);
      this.timeSource = () => this.startTime + Math.floor((wall() - wallStart) / 1000);
    } else {
      this.startTime = options.startTime ?? DEFAULT_START_TIME;
      this.timeSource = () => this.startTime;
    }
    const directory: AccountDirectory = { byBlock: (block) => this.registry.byBlock(block), all: () => this.registry.everyAccount() };
    const connections = { connect: (platform: World, id?: string) => this.connectAccount(platform, id), disconnect: (account: World) => this.disconnectAccount(account) };
    this.registry = new AccountRegistry(this.seed, this.maxWorlds, (name, platform, accountId) => {
      // A connected account's time is its platform's (its own advances aside): one simulated time per platform (twin choice).
      const world = new World(name, this.seed, platform ? () => platform.now() : this.timeSource, { ...(platform?.config ?? this.config) }, platform, accountId);
      world.directory = directory;
      world.connections = connections;
      return world;
    });
  }

  /** The registry's listener (a durable store's). */
  set accountListener(listener: RegistryListener | null) {
    this.registry.listener = listener;
  }

  /** Resolves once what changed is in the store, if the twin has one (a face waits for it before answering). */
  written(): Promise<void> | undefined {
    return this.store?.written();
  }

  /** Accounts forgotten to stay within maxWorlds. */
  get evicted(): number {
    return this.registry.evicted;
  }

  /** The account of an API key, opened on first use; the least recently used one is forgotten past maxWorlds. */
  world(key: string): World {
    return this.registry.apiKey(key).account;
  }

  /** The key, with its permissions and account (opened on first use). */
  apiKey(key: string): ApiKey {
    return this.registry.apiKey(key);
  }

  /** A key the twin knows, without opening an account for it. */
  knownKey(key: string): ApiKey | undefined {
    return this.registry.known(key);
  }

  hasWorld(key: string): boolean {
    return this.registry.known(key) !== undefined;
  }

  /** The keys that opened the accounts kept, least recently used first. */
  keys(): string[] {
    return this.registry.openingKeys();
  }

  /** Every account opened by a key, least recently used first, without counting this as a use. */
  allWorlds(): World[] {
    return this.registry.accounts();
  }

  /**
   * Who a request is: its key (Bearer, or Basic with the key as user name, docs/stripe-facts.md §1.1)
   * and the account it acts on — the key's own, or, with `Stripe-Account: acct_…`
   * (or stripe-node 23's `Stripe-Context`, docs/connect.md §2), one of its
   * connected accounts. Failures are auth-stage errors (401, 403 E41).
   */
  authenticate(authorization: string | undefined, stripeAccount?: string): RequestAccount {
    const key = keyOfAuthorization(authorization);
    if (!key) throw errors.missingKey();
    if (/^(sk|rk)_live_/.test(key)) throw errors.liveKeyRefused(key);
    if (/^pk_(test|live)_/.test(key)) throw errors.publishableKey();
    if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key) || this.revokedKeys.has(key)) throw errors.invalidKey(key);
    const apiKey = this.registry.apiKey(key);
    const own = apiKey.account;
    // An empty header is as none, as before (twin choice).
    if (!stripeAccount) return { apiKey, account: own, echo: null, notAPlatform: false };
    // The platform's own id: not observed (docs/connect.md §2, uncertain); twin choice: as if no header were sent, echoed.
    if (stripeAccount === own.accountId) return { apiKey, account: own, echo: stripeAccount, notAPlatform: false };
    if (own.connectedEver === 0) return { apiKey, account: own, echo: null, notAPlatform: true };
    const connected = own.connected.get(stripeAccount);
    if (!connected) throw errors.accountInvalid(key, stripeAccount);
    return { apiKey, account: connected, echo: stripeAccount, notAPlatform: false };
  }

  /**
   * The account whose 10-character id block is `block` (the last characters of its
   * id, which its object ids carry too), connected accounts included: how a page the
   * twin serves finds its account from the id or token in its URL.
   */
  accountByBlock(block: string): World | undefined {
    return this.registry.byBlock(block);
  }

  /** Points the pages the twin serves at `url` (its origin, no trailing slash), for every account. */
  setPublicUrl(url: string): void {
    this.config.publicUrl = url;
    for (const world of this.registry.everyAccount()) world.config.publicUrl = url;
  }

  /** A further key for `account` (one a key opened): secret (every permission) or restricted to `permissions`. */
  createKey(account: World, kind: KeyKind, permissions: readonly string[] | null, chosen?: string): ApiKey {
    const minted = this.registry.mint(account, kind, permissions, chosen);
    if (chosen !== undefined) this.onKeyChosen?.(minted.key);
    return minted;
  }

  /** An account's keys: the one that opened it first. */
  keysOf(account: World): readonly ApiKey[] {
    return this.registry.keysOf(account);
  }

  /** A new connected account of `platform`, reached with the platform's keys and `Stripe-Account: <its id>`. */
  connectAccount(platform: World, accountId?: string): World {
    return this.registry.connect(platform, accountId);
  }

  /** Forgets a deleted connected account: its id answers 403 account_invalid from then on. */
  disconnectAccount(account: World): void {
    this.registry.disconnect(account);
  }

  /** Opens a session (src/server/sessions.ts resolves its prefix and token); ids and tokens are unique. */
  openSession(session: Session): void {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(session.id)) throw new Error(`a session id is 1-100 letters, digits, "_", "." or "-" (got ${JSON.stringify(session.id)})`);
    if (this.sessionsById.has(session.id)) throw new Error(`session ${session.id} is open already`);
    if (!session.token || this.sessionsByToken.has(session.token)) throw new Error(`session ${session.id} needs a token of its own`);
    this.sessionsById.set(session.id, session);
    this.sessionsByToken.set(session.token, session);
  }

  /** Whether any session is open: the pipeline looks for session prefixes and tokens only then. */
  get hasSessions(): boolean {
    return this.sessionsById.size > 0;
  }

  session(id: string): Session | undefined {
    return this.sessionsById.get(id);
  }

  sessionOfToken(token: string): Session | undefined {
    return this.sessionsByToken.get(token);
  }

  /** After a request: hands new deliveries of `world` (or of every world, after a control call) to the dispatcher. */
  kickWebhooks(world?: World): void {
    if (!this.dispatcher) return;
    if (world) {
      this.dispatcher.kick(world);
      // A connected account's events go to its platform's Connect endpoints, whose deliveries the platform keeps.
      if (world.platform) this.dispatcher.kick(world.platform);
    }
    else for (const w of this.registry.everyAccount()) this.dispatcher.kick(w);
  }

  /**
   * Forgets the account of `key` (with its keys and connected accounts), or every
   * account. A forgotten account starts afresh with the same seed when its opening key is used again.
   */
  reset(key?: string): void {
    this.registry.forget(key);
  }

  // --- state as data (docs/durability.md) ---

  /** The account `key` opened (or one of its keys names), as plain data; undefined when the twin keeps none. */
  exportAccount(key: string): AccountState | undefined {
    const account = this.registry.known(key)?.account;
    return account && this.registry.state(account);
  }

  /** Every account opened by a key, least recently used first, as plain data. */
  exportAccounts(): AccountState[] {
    return this.registry.accounts().map((account) => this.registry.state(account));
  }

  /**
   * Puts back an account from its state, under the key that opened it or, given
   * `key`, as a copy opened by that key (AccountRegistry.restore); what that key
   * opened before is forgotten. `wallMs`: the face's monotonic clock, in ms.
   */
  importAccount(state: AccountState, wallMs: number, key?: string): World {
    const world = this.registry.restore(state, wallMs, key);
    for (const account of [world, ...world.connected.values()]) account.config.publicUrl = this.config.publicUrl;
    return world;
  }
}
