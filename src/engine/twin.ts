import { LATEST_VERSION } from './versions';
import { World, WorldConfig } from './world';

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
}

export const DEFAULT_START_TIME = 1767225600;

export const DEFAULT_CONFIG: WorldConfig = {
  paymentMethodTypes: ['card'],
  payoutDelayDays: 7,
  statementDescriptor: 'STRIPE TWIN',
  defaultApiVersion: LATEST_VERSION,
  rawCardData: true,
};

export class Twin {
  readonly seed: string;
  readonly startTime: number;
  readonly config: WorldConfig;
  readonly revokedKeys: Set<string>;
  private readonly worlds = new Map<string, World>();
  private readonly timeSource: () => number;

  constructor(options: TwinOptions = {}) {
    this.seed = String(options.seed ?? 0);
    this.config = { ...DEFAULT_CONFIG, ...options.config };
    this.revokedKeys = new Set(options.revokedKeys ?? []);
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

  /** The world of an API key, created on first use. */
  world(key: string): World {
    let world = this.worlds.get(key);
    if (!world) {
      world = new World(key, this.seed, this.timeSource, { ...this.config });
      this.worlds.set(key, world);
    }
    return world;
  }

  hasWorld(key: string): boolean {
    return this.worlds.has(key);
  }

  keys(): string[] {
    return [...this.worlds.keys()];
  }

  /** Forgets one world, or all of them. A forgotten world starts afresh with the same seed. */
  reset(key?: string): void {
    if (key === undefined) this.worlds.clear();
    else this.worlds.delete(key);
  }
}
