import type { ApiKey } from './accounts';
import { AccountClock, Clock, runTask, Schedule, ScheduleState, Task, TaskType, TestClock } from './clock';
import { StripeError } from './errors';
import { Ids, IdsState } from './ids';
import { joined, Random } from './random';
import { accountIdOf } from './routes';

// A world is one Stripe account in test mode: its objects, clocks (its own and
// its test clocks, ./clock.ts), id streams, events, scheduled work, idempotency
// keys and connected accounts. Keys belong to accounts (./accounts.ts). Nothing
// here knows about HTTP.
//
// Stored objects are immutable snapshots: an update stores a new object. An
// event's data.object, an idempotent replay and a cached rendering can all hold
// a snapshot without copying it.

export interface StripeObject {
  id: string;
  object: string;
  [key: string]: any;
}

/** What one request (or one scheduled task) is doing in an account. */
export interface Ctx {
  /** The account acted on: the key's own, or a connected account of it (Stripe-Account). */
  world: World;
  requestId: string | null;
  idempotencyKey: string | null;
  /** The version the request runs under; events record it. */
  apiVersion: string;
  /** The key the request authenticated with, and its permissions; absent for control calls and scheduled work. */
  apiKey?: ApiKey;
  /** The clock the work runs on (./clock.ts); absent, the account's clock. */
  clock?: Clock;
  // Contexts are made with every field above, in this order, so they share one shape (faster reads).
}

/** How an account makes and forgets its connected accounts (the twin's registry, ./accounts.ts). */
export interface Connections {
  connect(platform: World, accountId?: string): World;
  disconnect(account: World): void;
}

export interface WorldConfig {
  /** Payment method types an account enables when automatic payment methods decide (default card only). */
  paymentMethodTypes: string[];
  /** Days between a charge and its funds becoming available (docs/stripe-facts.md §7.3: 7 in every recording). */
  payoutDelayDays: number;
  /** The account's statement descriptor, shown in capitals on charges. */
  statementDescriptor: string;
  /** API version used when a request sends no Stripe-Version. */
  defaultApiVersion: string;
  /** Accept raw card numbers in `card[number]` (some test accounts can; docs/stripe-facts.md §4.1). */
  rawCardData: boolean;
  /** Seconds of world time before each retry of a failed webhook delivery (docs/stripe-facts.md §19.2; the schedule is a twin choice). */
  webhookRetryDelays: number[];
  /**
   * Origin of the pages the twin serves itself (Checkout, Payment Links, the customer
   * portal): what objects' `url` fields point at. `serve` sets it from its address.
   */
  publicUrl: string;
  /** The account's business name (invoices' `account_name`; null until set). */
  accountName: string | null;
  /** Dunning (docs/billing.md §3.7): when failed automatic invoice payments are retried, and what then. */
  billing: BillingSettings;
}

export interface BillingSettings {
  /** Days after each failed automatic attempt until the next (its length is the number of retries). */
  retryDays: number[];
  /** The subscription once the last retry fails. */
  afterRetries: 'cancel' | 'unpaid' | 'past_due';
  /** Its invoice once the last retry fails. */
  invoiceAfterRetries: 'open' | 'uncollectible';
}

export interface IdempotencyEntry {
  state: 'in-flight' | 'done';
  path: string;
  /** The request body, to compare a retry's parameters with. */
  body: string;
  /** World time the key was first used. */
  createdAt: number;
  /** Monotonic wall time (ms) the key was first used, given by the face: keys also expire under a frozen world clock. */
  wallAt: number;
  requestId: string;
  /** The first answer: its status, the body as sent (a replay sends these bytes), its version and extra headers. */
  response?: IdempotentResponse;
}

export interface IdempotentResponse {
  status: number;
  body: string;
  version: string;
  headers: Record<string, string>;
}

/**
 * The stored snapshot an answer's body prints exactly (renderBody of it), when
 * it does: a durable store writes a reference to the snapshot instead of the bytes.
 */
export const printedFrom = new WeakMap<IdempotentResponse, StripeObject>();

/** How one index reads an object: the raw value (compared by identity first) and the keys it is listed under. */
interface IndexDeclaration {
  field: string;
  read: (obj: StripeObject) => unknown;
  keys: (value: unknown) => readonly string[];
}

/** A scalar field's key: its text, lower-cased (search matches case-insensitively; exact filters recheck). */
export const indexKey = (value: unknown): string => String(value).toLowerCase();
const scalarKeys = (value: unknown): readonly string[] => (value === null || value === undefined ? [] : [indexKey(value)]);

/** Declared indexes by object type (an array: walked on every insert). */
const INDEXES = new Map<string, IndexDeclaration[]>();

/**
 * Declares an index over `field` of every `object` (a resource's list filters and
 * search fields): positions in creation order listed under each key, so a filter
 * visits only the objects that can match. `keys` turns the field's value into
 * keys (default: the value's text, lower-cased; nothing for null). Indexes are
 * candidate lists: an object whose value changed may stay listed under its old
 * key, so readers always recheck the object itself.
 */
export function declareIndex(object: string, field: string, keys: (value: unknown) => readonly string[] = scalarKeys, read?: (obj: StripeObject) => unknown): void {
  let forObject = INDEXES.get(object);
  if (!forObject) INDEXES.set(object, (forObject = []));
  forObject.push({ field, read: read ?? ((obj) => obj[field]), keys });
}

export function isIndexed(object: string, field: string): boolean {
  return INDEXES.get(object)?.some((index) => index.field === field) ?? false;
}

const NO_POSITIONS: readonly number[] = [];
const NO_IDS: readonly string[] = [];

/**
 * The objects of one type made on one clock (./clock.ts): their positions
 * (ascending) and the latest `created` while it rose with them (NaN once it did
 * not: a range then scans). Each clock's time only moves forward, so the objects
 * made on it keep their order even when the type as a whole does not (a customer
 * made on a test clock frozen last year comes after today's).
 */
interface ClockScope {
  positions: number[];
  lastCreated: number;
}

/** The key of the account clock's scope (test clock ids are never empty). */
const ACCOUNT_SCOPE = '';

/**
 * One object type's part of a world: ids and `created` (as inserted: deletion
 * stubs have none) in creation order, the latest `created` while it rises with
 * that order (NaN once it did not), each declared index's key → positions
 * (ascending), in declaration order, and, once an object of the type is made on
 * a test clock, the positions made on each clock. Indexes are declared at module
 * load, before any world stores the type.
 */
interface TypeStore {
  ids: string[];
  created: number[];
  lastCreated: number;
  declared: readonly IndexDeclaration[];
  byKey: Map<string, number[]>[];
  scopes: Map<string, ClockScope> | null;
}

function newTypeStore(object: string): TypeStore {
  const declared = INDEXES.get(object) ?? [];
  return { ids: [], created: [], lastCreated: NaN, declared, byKey: declared.map(() => new Map()), scopes: null };
}

/** `last` followed by `created`: the latest time while times keep rising, NaN once one went back. */
const stillRising = (empty: boolean, last: number, created: unknown): number =>
  (empty ? typeof created === 'number' : (created as number) >= last) ? (created as number) : NaN;

/** A run of a type's positions: `positions[from..to)`, or with `positions` null the positions from..to-1 themselves. */
export interface Run {
  positions: readonly number[] | null;
  from: number;
  to: number;
}

/** Lists `position` under `key` (a rolled-back insert can leave its position at the tail; it is reused then). */
function listAt(byKey: Map<string, number[]>, key: string, position: number): void {
  const positions = positionsFor(byKey, key);
  if (positions[positions.length - 1] !== position) positions.push(position);
}

function positionsFor(byKey: Map<string, number[]>, key: string): number[] {
  let positions = byKey.get(key);
  if (!positions) byKey.set(key, (positions = []));
  return positions;
}

/** Lists a replaced object under the keys it gained (keys it lost are rechecked by readers). */
function reindex(store: TypeStore, before: StripeObject, after: StripeObject, position: number): void {
  for (let i = 0; i < store.declared.length; i++) {
    const index = store.declared[i];
    const was = index.read(before);
    const now = index.read(after);
    if (was === now) continue;
    const old = index.keys(was);
    for (const key of index.keys(now)) {
      if (old.includes(key)) continue;
      const positions = positionsFor(store.byKey[i], key);
      const at = lowerBound(positions, position);
      if (positions[at] !== position) positions.splice(at, 0, position);
    }
  }
}

/** What a transaction changed, to undo it: kept small, since every request opens one. */
class Journal {
  readonly inserted: string[] = [];
  /** The same ids, to ask in constant time (a test clock's year of renewals is one transaction). */
  readonly insertedIds = new Set<string>();
  /** Tasks scheduled, and tasks run (taken off their schedule), in this transaction. */
  readonly tasks: [Schedule, Task][] = [];
  ran: [Schedule, Task][] | null = null;
  /** Test clocks added, and the times of those moved, in this transaction. */
  clocks: Map<TestClock, number | null> | null = null;
  /** Test clocks removed in this transaction. */
  removedClocks: TestClock[] | null = null;
  /** Previous snapshots of objects replaced (not inserted) in this transaction. */
  replaced: Map<string, StripeObject> | null = null;
  facts: Map<string, { had: boolean; value: unknown }> | null = null;
}

/** A Map whose changes a transaction can undo. */
class Facts extends Map<string, unknown> {
  constructor(private readonly journal: () => Journal | null) {
    super();
  }

  override set(key: string, value: unknown): this {
    this.remember(key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    this.remember(key);
    return super.delete(key);
  }

  /** Set by a durable store: told of every key changed. */
  changes: Changes | null = null;

  private remember(key: string): void {
    this.changes?.fact(key);
    const journal = this.journal();
    if (!journal) return;
    journal.facts ??= new Map();
    if (!journal.facts.has(key)) journal.facts.set(key, { had: this.has(key), value: this.get(key) });
  }

  /** The frozen record kept under one fact by setInRecord (undefined while empty). */
  record<V>(fact: string): Readonly<Record<string, V>> | undefined {
    return this.get(fact) as Readonly<Record<string, V>> | undefined;
  }

  /**
   * Sets (or, given null, removes) one entry of the frozen record under `fact`,
   * replacing the record so a transaction can undo it; the fact is absent while the
   * record is empty, so a world with no entries pays one lookup where they are read.
   */
  setInRecord<V>(fact: string, key: string, value: V | null): void {
    const next: Record<string, V> = { ...this.record<V>(fact) };
    if (value === null) delete next[key];
    else next[key] = value;
    if (Object.keys(next).length) this.set(fact, Object.freeze(next));
    else this.delete(fact);
  }

  restore(key: string, had: boolean, value: unknown): void {
    this.changes?.fact(key);
    if (had) super.set(key, value);
    else super.delete(key);
  }
}

/** Idempotency keys, whose changes a durable store is told of (the pipeline finishes an entry in place, after setting it). */
class Idempotency extends Map<string, IdempotencyEntry> {
  changes: Changes | null = null;

  override set(key: string, entry: IdempotencyEntry): this {
    this.changes?.idempotencyKey(key);
    return super.set(key, entry);
  }

  override delete(key: string): boolean {
    this.changes?.idempotencyKey(key);
    return super.delete(key);
  }
}

/**
 * What changed in a world since a durable store last wrote it (src/engine/durable.ts):
 * kept only while a store watches the world, so an in-memory twin pays one null check.
 */
export class Changes {
  /** Ids of objects inserted (with the test clock they were made on; null: the account's) or replaced (undefined). */
  readonly objects = new Map<string, string | null | undefined>();
  /** Objects replaced: the snapshot each had before, i.e. as last written (a store may write what changed since). */
  readonly lastWritten = new Map<string, StripeObject>();
  readonly facts = new Set<string>();
  readonly idempotency = new Set<string>();
  /** Tasks scheduled, run or cancelled, with their clock (null: the account's). */
  readonly tasks = new Map<Task, string | null>();
  /** Anything changed at all (the world's streams and clocks are written whenever it did). */
  dirty = false;

  constructor(private readonly onDirty: () => void) {}

  touch(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.onDirty();
  }

  object(id: string, scope: string | null | undefined, before?: StripeObject): void {
    this.touch();
    if (scope !== undefined || !this.objects.has(id)) {
      this.objects.set(id, scope);
      if (before) this.lastWritten.set(id, before);
    }
  }

  fact(key: string): void {
    this.touch();
    this.facts.add(key);
  }

  idempotencyKey(key: string): void {
    this.touch();
    this.idempotency.add(key);
  }

  task(task: Task, clock: string | null): void {
    this.touch();
    this.tasks.set(task, clock);
  }

  clear(): void {
    this.objects.clear();
    this.lastWritten.clear();
    this.facts.clear();
    this.idempotency.clear();
    this.tasks.clear();
    this.dirty = false;
  }
}

/** A test clock as data: its id, frozen time and schedule. */
export interface TestClockState {
  id: string;
  time: number;
  schedule: ScheduleState;
}

/**
 * A world as plain data (JSON), connected accounts included: what snapshots,
 * exports and the durable store keep (docs/durability.md). Indexes are not kept:
 * loading rebuilds them.
 */
export interface WorldState {
  key: string;
  account: string;
  config: WorldConfig;
  offset: number;
  connectedEver: number;
  ids: IdsState;
  requests: number[];
  /** Objects in creation order, each with the test clock it was made on (null: the account's). */
  objects: [StripeObject, string | null][];
  /** Facts; an entry of one element holds undefined. */
  facts: [string, unknown?][];
  /** Finished idempotency keys (one in flight was never answered). */
  idempotency: [string, IdempotencyEntry][];
  schedule: ScheduleState;
  testClocks: TestClockState[];
  connected: WorldState[];
}

/**
 * The other accounts of the same twin, for what crosses accounts the way Stripe's
 * network does (a Shared Payment Token a buyer issues to a seller's profile):
 * by the 10-character block their ids carry, or all of them.
 */
export interface AccountDirectory {
  byBlock(block: string): World | undefined;
  all(): Iterable<World>;
}

export class World {
  readonly ids: Ids;
  readonly accountId: string;
  readonly idempotency = new Idempotency();
  private readonly requestRng: Random;
  /** Every object by id, with its position in its type's creation order (for list cursors). */
  private readonly objects = new Map<string, { obj: StripeObject; position: number }>();
  /** What the world keeps per object type: one lookup per insert finds all of it. */
  private readonly types = new Map<string, TypeStore>();
  private offset = 0;
  /** The account's clock (world.now() reads it); test clocks by id. */
  readonly clock: AccountClock;
  private readonly testClocks = new Map<string, TestClock>();
  /** Connected accounts by id (Stripe-Account); the twin's registry makes them (./accounts.ts). */
  readonly connected = new Map<string, World>();
  /** Connected accounts ever made (deleted ones included): a platform stays one, and ranks seed new accounts. */
  connectedEver = 0;
  /** Set by the twin: POST /v1/accounts makes connected accounts through it. */
  connections: Connections | null = null;
  private journal: Journal | null = null;
  /** Per-world values the engine keeps outside objects (e.g. PMs set up for off-session use). */
  readonly facts = new Facts(() => this.journal);
  /** The twin's accounts (set by the twin; null for a world made on its own). */
  directory: AccountDirectory | null = null;
  /** What changed since a durable store last wrote this world; null while none watches it (src/engine/durable.ts). */
  private changed: Changes | null = null;

  constructor(
    /** The name its streams are seeded from: the key that opened it (a connected account's is made by its platform). */
    readonly key: string,
    seed: string,
    private readonly timeSource: () => number,
    readonly config: WorldConfig,
    /** The platform a connected account belongs to; null for an account a key opened. */
    readonly platform: World | null = null,
    /** A chosen id (a connected account seeded under the id a recording shows). */
    accountId?: string,
  ) {
    this.accountId = accountId ?? accountIdOf(seed, key);
    this.ids = new Ids(new Random(`${seed}:${key}:ids`), this.accountId);
    this.requestRng = new Random(`${seed}:${key}:requests`);
    this.clock = new AccountClock(() => this.timeSource() + this.offset);
  }

  // --- clocks ---

  /** The account clock's time (test clocks keep their own: ./clock.ts). */
  now(): number {
    return this.timeSource() + this.offset;
  }

  /**
   * Moves the account clock forward; due work runs in order (see runDue), the
   * connected accounts' too (their clocks follow their platform's). Test clocks stay frozen.
   */
  advance(seconds: number, ctx: Ctx): void {
    checkAdvance(this.now(), seconds);
    this.changed?.touch();
    const target = this.now() + seconds;
    // Work due on the way runs at its own time, as on a test clock: what it
    // creates and schedules is dated by when it was due, not by the target.
    const schedule = this.clock.schedule;
    for (let task = schedule.takeDue(target); task; task = schedule.takeDue(target)) {
      this.offset += Math.max(0, task.at - this.now());
      this.runTask(schedule, task, { ...ctx, requestId: null, idempotencyKey: null, apiKey: undefined, clock: undefined });
    }
    this.offset += Math.max(0, target - this.now());
    for (const account of this.connected.values()) account.runDue({ ...ctx, world: account, apiVersion: account.config.defaultApiVersion, apiKey: undefined });
  }

  testClock(id: string): TestClock | undefined {
    return this.testClocks.get(id);
  }

  /** A new test clock frozen at `time` (its `clock_…` id made by the caller); a rollback removes it. */
  addTestClock(id: string, time: number): TestClock {
    if (this.testClocks.has(id)) throw new Error(`duplicate test clock ${id}`);
    checkAdvance(time, 0);
    this.changed?.touch();
    const clock = new TestClock(id, time);
    this.testClocks.set(id, clock);
    if (this.journal) (this.journal.clocks ??= new Map()).set(clock, null);
    return clock;
  }

  /**
   * Removes a test clock (its deletion): its scheduled work is dropped with it and
   * can never run, and nothing can be scheduled on it any more. A rollback puts it back.
   */
  removeTestClock(clock: TestClock): void {
    if (this.testClocks.get(clock.id) !== clock) throw new Error(`test clock ${clock.id} is not one of this account's`);
    this.changed?.touch();
    this.testClocks.delete(clock.id);
    if (this.journal) (this.journal.removedClocks ??= []).push(clock);
  }

  /**
   * Moves a test clock to `to`, running its due work in time order, each task at
   * its own time (docs/billing.md §6: an advance emits events with the
   * simulated timestamps), then settles at `to`. Nothing else moves: not the
   * account clock, not other test clocks.
   */
  advanceTestClock(clock: TestClock, to: number, ctx: Ctx): void {
    if (this.testClocks.get(clock.id) !== clock) throw new Error(`test clock ${clock.id} is not one of this account's`);
    checkAdvance(clock.time, to - clock.time);
    this.changed?.touch();
    const journal = this.journal;
    if (journal) {
      journal.clocks ??= new Map();
      if (!journal.clocks.has(clock)) journal.clocks.set(clock, clock.time);
    }
    for (let task = clock.schedule.takeDue(to); task; task = clock.schedule.takeDue(to)) {
      clock.time = Math.max(clock.time, task.at);
      this.runTask(clock.schedule, task, { ...ctx, clock, requestId: null, idempotencyKey: null, apiKey: undefined });
    }
    clock.time = to;
  }

  /**
   * Forgets finished idempotency keys older than `ttl` seconds of world time or
   * of wall time (`wallMs`, monotonic), oldest first (in insertion order), and the
   * oldest finished ones beyond `max` keys.
   */
  pruneIdempotencyKeys(ttl: number, wallMs: number, max: number): void {
    const cutoff = this.now() - ttl;
    const wallCutoff = wallMs - ttl * 1000;
    for (const [key, entry] of this.idempotency) {
      if (this.idempotency.size <= max && entry.createdAt > cutoff && entry.wallAt > wallCutoff) break;
      if (entry.state === 'done') this.idempotency.delete(key);
    }
  }

  requestId(): string {
    this.changed?.touch();
    return joined('req_', this.requestRng.chars(14));
  }

  generatedIdempotencyKey(): string {
    this.changed?.touch();
    return this.requestRng.uuid();
  }

  // --- objects ---

  get<T extends StripeObject = StripeObject>(id: string): T | undefined {
    return this.objects.get(id)?.obj as T | undefined;
  }

  /**
   * Stores a new object. `clock` is the test clock it was made on (the context's:
   * `scopeOf` in ./clock.ts), null for the account's clock.
   */
  insert<T extends StripeObject>(obj: T, clock: string | null = null): T {
    if (this.objects.has(obj.id)) throw new Error(`duplicate id ${obj.id}`);
    let store = this.types.get(obj.object);
    if (!store) this.types.set(obj.object, (store = newTypeStore(obj.object)));
    const position = store.ids.length;
    // The scopes first: the first object on a test clock starts the account's scope with the type's order so far.
    if (clock !== null || store.scopes) addToScope(store, clock ?? ACCOUNT_SCOPE, position, obj.created);
    store.lastCreated = stillRising(position === 0, store.lastCreated, obj.created);
    this.objects.set(obj.id, { obj, position });
    store.ids.push(obj.id);
    store.created.push(typeof obj.created === 'number' ? obj.created : NaN);
    if (this.journal) {
      this.journal.inserted.push(obj.id);
      this.journal.insertedIds.add(obj.id);
    }
    this.changed?.object(obj.id, clock);
    for (let i = 0; i < store.declared.length; i++) {
      const index = store.declared[i];
      const value = index.read(obj);
      // A scalar field is listed under one key: no array made on every insert.
      if (index.keys === scalarKeys) {
        if (value !== null && value !== undefined) listAt(store.byKey[i], indexKey(value), position);
      } else for (const key of index.keys(value)) listAt(store.byKey[i], key, position);
    }
    return obj;
  }

  /** Stores a new snapshot of an existing object. */
  replace<T extends StripeObject>(obj: T): T {
    const entry = this.objects.get(obj.id);
    if (!entry) throw new Error(`replace of unknown id ${obj.id}`);
    const journal = this.journal;
    if (journal) {
      journal.replaced ??= new Map();
      if (!journal.replaced.has(obj.id) && !journal.insertedIds.has(obj.id)) journal.replaced.set(obj.id, entry.obj);
    }
    const store = this.types.get(obj.object)!;
    if (store.declared.length) reindex(store, entry.obj, obj, entry.position);
    this.changed?.object(obj.id, undefined, entry.obj);
    entry.obj = obj;
    return obj;
  }

  /** Positions (ascending) listed under `key` in the index of `field`: candidates, to recheck. */
  indexed(object: string, field: string, key: string): readonly number[] {
    return this.indexOf(object, field)?.get(key) ?? NO_POSITIONS;
  }

  /** Keys of the index of `field` that have objects listed (e.g. the event types seen). */
  indexKeys(object: string, field: string): Iterable<string> {
    return this.indexOf(object, field)?.keys() ?? [];
  }

  private indexOf(object: string, field: string): Map<string, number[]> | undefined {
    const store = this.types.get(object);
    return store?.byKey[store.declared.findIndex((index) => index.field === field)];
  }

  /** The object at `position` in its type's creation order. */
  at<T extends StripeObject = StripeObject>(object: string, position: number): T {
    return this.objects.get(this.types.get(object)!.ids[position])!.obj as T;
  }

  /**
   * Where the type's objects lie, by the clock they were made on: `clock`
   * undefined gives every scope, null the account clock's, an id that test
   * clock's. Each run is narrowed to `created` in [gte, lte] by binary search
   * when its objects were made in time order (else it is whole, and readers
   * recheck). Before any object of the type is made on a test clock there is one
   * scope: every position.
   */
  runs(object: string, clock?: string | null, gte = -Infinity, lte = Infinity): Run[] {
    const store = this.types.get(object);
    if (!store) return [];
    const narrowed = (positions: readonly number[] | null, lastCreated: number): Run => {
      const n = positions ? positions.length : store.ids.length;
      if ((gte === -Infinity && lte === Infinity) || Number.isNaN(lastCreated)) return { positions, from: 0, to: n };
      return { positions, ...createdRange(store.created, positions, n, gte, lte) };
    };
    if (!store.scopes) return typeof clock === 'string' ? [] : [narrowed(null, store.lastCreated)];
    // Every clock's, and either no range or the type as a whole still in time order: one run.
    if (clock === undefined && ((gte === -Infinity && lte === Infinity) || !Number.isNaN(store.lastCreated))) return [narrowed(null, store.lastCreated)];
    const scopes = clock === undefined ? [...store.scopes.values()] : [store.scopes.get(clock ?? ACCOUNT_SCOPE)].filter((s): s is ClockScope => s !== undefined);
    return scopes.map((scope) => narrowed(scope.positions, scope.lastCreated));
  }

  /** A new snapshot of `obj` with `changes` applied; keys keep their places. */
  update<T extends StripeObject>(obj: T, changes: Partial<T>): T {
    return this.replace({ ...obj, ...changes });
  }

  /** Ids of objects of one type, in creation order. */
  idsOf(object: string): readonly string[] {
    return this.types.get(object)?.ids ?? NO_IDS;
  }

  /** Position of an id in its type's creation order. */
  positionOf(object: string, id: string): number | undefined {
    const entry = this.objects.get(id);
    return entry && entry.obj.object === object ? entry.position : undefined;
  }

  count(object: string): number {
    return this.types.get(object)?.ids.length ?? 0;
  }

  /** Objects, facts and idempotency keys held: what a durable store weighs its files against. */
  get entries(): number {
    return this.objects.size + this.facts.size + this.idempotency.size;
  }

  /** The object types the world holds (the inspector's index of a world). */
  objectTypes(): string[] {
    return [...this.types.keys()];
  }

  // --- scheduled work ---

  /**
   * Runs the declared `task` (declareTask in ./clock.ts) with `args` once `clock`
   * (default the account's; scheduleIn takes a context's) reaches `at`: the
   * account's work at the start of a later request or on advance, a test clock's
   * only when that clock advances.
   */
  schedule<A>(at: number, task: TaskType<A>, args: A, clock: Clock = this.clock): void {
    if (clock instanceof TestClock && this.testClocks.get(clock.id) !== clock) throw new Error(`test clock ${clock.id} is not one of this account's`);
    const schedule = clock instanceof TestClock ? clock.schedule : this.clock.schedule;
    const added = schedule.add(at, task.name, args);
    this.journal?.tasks.push([schedule, added]);
    this.changed?.task(added, schedule.clock);
  }

  /** Runs every task of the account clock that is due, in time order (ties in scheduling order); each in its own transaction. */
  runDue(ctx: Ctx): void {
    const schedule = this.clock.schedule;
    for (let task = schedule.takeDue(this.now()); task; task = schedule.takeDue(this.now())) {
      this.runTask(schedule, task, { ...ctx, requestId: null, idempotencyKey: null, apiKey: undefined, clock: undefined });
    }
  }

  /** Tasks waiting on the account clock (a test clock's: `testClock(id).schedule.live`). */
  pendingTasks(): number {
    return this.clock.schedule.live;
  }

  private runTask(schedule: Schedule, task: Task, ctx: Ctx): void {
    // Inside a transaction (a test clock advanced by a request), a rollback puts the task back.
    if (this.journal) (this.journal.ran ??= []).push([schedule, task]);
    this.changed?.task(task, schedule.clock);
    this.transaction(() => runTask(task, ctx));
  }

  // --- transactions ---

  /**
   * Runs `fn` so that a failure leaves the world as it was, except a Stripe
   * error raised while the endpoint ran: those keep their effects (a declined
   * confirm persists its failed charge), as on Stripe. `atomic` undoes those too.
   */
  transaction<T>(fn: () => T, atomic = false): T {
    if (this.journal) return fn();
    this.journal = new Journal();
    const journal = this.journal;
    try {
      return fn();
    } catch (e) {
      if (atomic || !(e instanceof StripeError && e.stage === 'execution')) this.rollback(journal);
      throw e;
    } finally {
      this.journal = null;
    }
  }

  private rollback(journal: Journal): void {
    for (const id of journal.inserted.reverse()) {
      const { obj, position } = this.objects.get(id)!;
      this.objects.delete(id);
      const store = this.types.get(obj.object)!;
      store.ids.pop();
      store.created.pop();
      if (store.scopes) for (const scope of store.scopes.values()) if (scope.positions[scope.positions.length - 1] === position) scope.positions.pop();
    }
    for (const [id, previous] of journal.replaced ?? []) this.objects.get(id)!.obj = previous;
    for (const [key, { had, value }] of journal.facts ?? []) this.facts.restore(key, had, value);
    for (const [schedule, task] of journal.ran ?? []) schedule.push(task);
    for (const [schedule, task] of journal.tasks) {
      schedule.cancel(task);
      this.changed?.task(task, schedule.clock);
    }
    this.changed?.touch();
    for (const [clock, time] of journal.clocks ?? []) {
      if (time === null) this.testClocks.delete(clock.id);
      else clock.time = time;
    }
    for (const clock of journal.removedClocks ?? []) this.testClocks.set(clock.id, clock);
  }

  // --- state as data (docs/durability.md) ---

  /** Starts (or, given null, stops) telling `changes` of everything that changes in this world. */
  watch(changes: Changes | null): void {
    this.changed = changes;
    this.facts.changes = changes;
    this.idempotency.changes = changes;
  }

  /** What changed since the last call, cleared; null when nothing did or no store watches. */
  takeChanges(): Changes | null {
    return this.changed?.dirty ? this.changed : null;
  }

  /** The test clocks' ids, times and next task sequence numbers (cheap: no tasks). */
  testClockTimes(): [id: string, time: number, seq: number][] {
    return [...this.testClocks.values()].map((c) => [c.id, c.time, c.schedule.nextSeq]);
  }

  /** The test clocks, as data (their ids, times and schedules). */
  testClockStates(): TestClockState[] {
    return [...this.testClocks.values()].map((c) => ({ id: c.id, time: c.time, schedule: c.schedule.state }));
  }

  /** The account clock's own advance (seconds past the twin's time source). */
  get advancedBy(): number {
    return this.offset;
  }

  get requestStream(): number[] {
    return this.requestRng.state;
  }

  /**
   * The world as plain data, connected accounts included. Objects (immutable
   * snapshots) and fact values are shared, not copied: a snapshot kept in memory
   * costs references, and restoring it shares them again.
   */
  exportState(): WorldState {
    const scopes = new Map<string, (string | null)[]>();
    for (const [type, store] of this.types) {
      if (!store.scopes) continue;
      const of: (string | null)[] = new Array(store.ids.length).fill(null);
      for (const [clock, scope] of store.scopes) if (clock !== ACCOUNT_SCOPE) for (const p of scope.positions) of[p] = clock;
      scopes.set(type, of);
    }
    const objects: [StripeObject, string | null][] = [];
    for (const { obj, position } of this.objects.values()) objects.push([obj, scopes.get(obj.object)?.[position] ?? null]);
    const facts: [string, unknown?][] = [];
    for (const [key, value] of this.facts) facts.push(value === undefined ? [key] : [key, value]);
    const idempotency: [string, IdempotencyEntry][] = [];
    for (const [key, entry] of this.idempotency) if (entry.state === 'done') idempotency.push([key, { ...entry }]);
    return {
      key: this.key,
      account: this.accountId,
      config: structuredClone(this.config),
      offset: this.offset,
      connectedEver: this.connectedEver,
      ids: this.ids.state,
      requests: this.requestRng.state,
      objects,
      facts,
      idempotency,
      schedule: this.clock.schedule.state,
      testClocks: this.testClockStates(),
      connected: [...this.connected.values()].map((account) => account.exportState()),
    };
  }

  /**
   * Fills this world, new and made for `state.key` with id `state.account`, with
   * the state (its connected accounts are the twin's to make: Twin.importWorld).
   * Indexes are rebuilt as the objects are inserted again, in creation order.
   * Idempotency keys count as used now by the face's monotonic clock (`wallMs`):
   * that clock restarts with the process.
   */
  loadState(state: WorldState, wallMs: number): void {
    if (this.objects.size || this.journal) throw new Error('a state loads into a new world');
    Object.assign(this.config, structuredClone(state.config));
    this.offset = state.offset;
    this.connectedEver = state.connectedEver;
    this.ids.state = state.ids;
    this.requestRng.state = state.requests;
    for (const [obj, clock] of state.objects) this.insert(obj, clock);
    for (const [key, ...value] of state.facts) this.facts.restore(key, true, value[0]);
    for (const [key, entry] of state.idempotency) this.idempotency.set(key, { ...entry, wallAt: Math.min(entry.wallAt, wallMs) });
    this.clock.schedule.state = state.schedule;
    for (const { id, time, schedule } of state.testClocks) {
      const clock = new TestClock(id, time);
      clock.schedule.state = schedule;
      this.testClocks.set(id, clock);
    }
  }
}

/** Lists `position` in its clock's scope; the first object made on a test clock starts the account's scope with every earlier position. */
function addToScope(store: TypeStore, key: string, position: number, created: unknown): void {
  if (!store.scopes) {
    store.scopes = new Map();
    store.scopes.set(ACCOUNT_SCOPE, { positions: Array.from({ length: position }, (_, i) => i), lastCreated: store.lastCreated });
  }
  let scope = store.scopes.get(key);
  if (!scope) store.scopes.set(key, (scope = { positions: [], lastCreated: NaN }));
  scope.lastCreated = stillRising(scope.positions.length === 0, scope.lastCreated, created);
  scope.positions.push(position);
}

/**
 * Indexes [from, to) of the first `n` of `positions` (null: the positions
 * themselves) whose `created` lies in [gte, lte], by binary search: the objects
 * there must have been created in time order.
 */
function createdRange(created: readonly number[], positions: readonly number[] | null, n: number, gte: number, lte: number): { from: number; to: number } {
  const at = positions ? (i: number) => created[positions[i]] : (i: number) => created[i];
  const first = (below: (t: number) => boolean, start: number) => {
    let a = start;
    let b = n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (below(at(mid))) a = mid + 1;
      else b = mid;
    }
    return a;
  };
  const from = first((t) => t < gte, 0);
  return { from, to: first((t) => t <= lte, from) };
}

/** Whole seconds forward, never past 9999-12-31T23:59:59Z: every timestamp stays a valid date. */
function checkAdvance(from: number, seconds: number): void {
  if (seconds < 0) throw new Error('the world clock only moves forward');
  if (!Number.isSafeInteger(seconds) || !Number.isSafeInteger(from) || from + seconds > 253402300799) throw new Error(`the world clock cannot advance by ${seconds} seconds`);
}

/** The first index whose value is ≥ `value` in an ascending array. */
export function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
