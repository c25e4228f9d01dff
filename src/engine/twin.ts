import { LATEST_VERSION } from './versions';
import { Ctx, World, WorldConfig } from './world';

// The twin: one world per API key (each key is its own test-mode account, so
// parallel test files never see each other's objects), a seed and a clock.
// Faces (HTTP server, in-process transport, control surface) sit on top.

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
   * Worlds kept at once (default 1,000): a new key past it forgets the world used
   * least recently, so a twin left running while test suites mint a key per test
   * stays bounded.
   */
  maxWorlds?: number;
}

export const DEFAULT_MAX_WORLDS = 1000;

export const DEFAULT_START_TIME = 1767225600;

export const DEFAULT_CONFIG: WorldConfig = {
  paymentMethodTypes: ['card'],
  payoutDelayDays: 7,
  statementDescriptor: 'STRIPE TWIN',
  defaultApiVersion: LATEST_VERSION,
  rawCardData: true,
  // Test mode retries "three times over a few hours" (§19.2); the spacing is a twin choice.
  webhookRetryDelays: [3600, 7200, 14400],
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

export class Twin {
  readonly seed: string;
  readonly startTime: number;
  readonly config: WorldConfig;
  readonly revokedKeys: Set<string>;
  dispatcher: WebhookDispatcher | null = null;
  readonly maxWorlds: number;
  /** Worlds forgotten to stay within maxWorlds. */
  evicted = 0;
  /** Worlds by key, least recently used first. */
  private readonly worlds = new Map<string, World>();
  private newest: World | null = null;
  private readonly timeSource: () => number;

  constructor(options: TwinOptions = {}) {
    this.seed = String(options.seed ?? 0);
    this.config = { ...DEFAULT_CONFIG, ...options.config };
    this.revokedKeys = new Set(options.revokedKeys ?? []);
    this.maxWorlds = options.maxWorlds ?? DEFAULT_MAX_WORLDS;
    if (!Number.isInteger(this.maxWorlds) || this.maxWorlds < 1) throw new Error(`maxWorlds must be a positive integer (got ${options.maxWorlds})`);
    const wall = options.wallClock;
    if (wall) {
      const wallStart = wall();
      this.startTime = options.startTime ?? Math.floor(wallStart / 1000);
      this.timeSource = () => this.startTime + Math.floor((wall() - wallStart) / 1000);
    } else {
      this.startTime = options.startTime ?? DEFAULT_START_TIME;
      this.timeSource = () => this.startTime;
    }
  }

  /** The world of an API key, created on first use; the least recently used one is forgotten past maxWorlds. */
  world(key: string): World {
    let world = this.worlds.get(key);
    if (world) {
      if (world !== this.newest) {
        this.worlds.delete(key);
        this.worlds.set(key, world);
      }
    } else {
      if (this.worlds.size >= this.maxWorlds) {
        this.worlds.delete(this.worlds.keys().next().value!);
        this.evicted++;
      }
      world = new World(key, this.seed, this.timeSource, { ...this.config });
      this.worlds.set(key, world);
    }
    this.newest = world;
    return world;
  }

  hasWorld(key: string): boolean {
    return this.worlds.has(key);
  }

  keys(): string[] {
    return [...this.worlds.keys()];
  }

  /** Every world, least recently used first, without counting this as a use. */
  allWorlds(): World[] {
    return [...this.worlds.values()];
  }

  /** After a request: hands new deliveries of `world` (or of every world, after a control call) to the dispatcher. */
  kickWebhooks(world?: World): void {
    if (!this.dispatcher) return;
    if (world) this.dispatcher.kick(world);
    else for (const w of this.worlds.values()) this.dispatcher.kick(w);
  }

  /** Forgets one world, or all of them. A forgotten world starts afresh with the same seed. */
  reset(key?: string): void {
    if (key === undefined) this.worlds.clear();
    else this.worlds.delete(key);
    this.newest = null;
  }
}
