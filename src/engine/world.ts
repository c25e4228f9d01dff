import { StripeError } from './errors';
import { Ids } from './ids';
import { Random } from './random';

// A world is one Stripe account in test mode: its objects, clock, id streams,
// events, scheduled work and idempotency keys. Nothing here knows about HTTP.
//
// Stored objects are immutable snapshots: an update stores a new object. An
// event's data.object, an idempotent replay and a cached rendering can all hold
// a snapshot without copying it.

export interface StripeObject {
  id: string;
  object: string;
  [key: string]: any;
}

/** What one request (or one scheduled task) is doing in a world. */
export interface Ctx {
  world: World;
  requestId: string | null;
  idempotencyKey: string | null;
  /** The version the request runs under; events record it. */
  apiVersion: string;
}

export interface WorldConfig {
  /** Payment method types an account enables when automatic payment methods decide (default card only). */
  paymentMethodTypes: string[];
  /** Days between a charge and its funds becoming available (§7.3: 7 in every recording). */
  payoutDelayDays: number;
  /** The account's statement descriptor, shown in capitals on charges. */
  statementDescriptor: string;
  /** API version used when a request sends no Stripe-Version. */
  defaultApiVersion: string;
  /** Accept raw card numbers in `card[number]` (some test accounts can; §4.1). */
  rawCardData: boolean;
  /** Seconds of world time before each retry of a failed webhook delivery (§19.2; the schedule is a twin choice). */
  webhookRetryDelays: number[];
}

export interface IdempotencyEntry {
  state: 'in-flight' | 'done';
  path: string;
  /** The request body, to compare a retry's parameters with. */
  body: string;
  createdAt: number;
  requestId: string;
  response?: { status: number; body: unknown; version: string; headers: Record<string, string> };
}

interface Task {
  at: number;
  seq: number;
  run: (ctx: Ctx) => void;
}

/** What a transaction changed, to undo it: kept small, since every request opens one. */
class Journal {
  readonly inserted: string[] = [];
  readonly tasks: Task[] = [];
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

  private remember(key: string): void {
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
    if (had) super.set(key, value);
    else super.delete(key);
  }
}

export class World {
  readonly ids: Ids;
  readonly accountId: string;
  readonly idempotency = new Map<string, IdempotencyEntry>();
  private readonly requestRng: Random;
  /** Every object by id, with its position in its type's creation order (for list cursors). */
  private readonly objects = new Map<string, { obj: StripeObject; position: number }>();
  private readonly lists = new Map<string, string[]>();
  private tasks: Task[] = [];
  private taskSeq = 0;
  private offset = 0;
  private journal: Journal | null = null;
  /** Per-world values the engine keeps outside objects (e.g. PMs set up for off-session use). */
  readonly facts = new Facts(() => this.journal);

  constructor(
    readonly key: string,
    seed: string,
    private readonly timeSource: () => number,
    readonly config: WorldConfig,
  ) {
    const accountRng = new Random(`${seed}:${key}:account`);
    this.accountId = `acct_1${accountRng.chars(15)}`;
    this.ids = new Ids(new Random(`${seed}:${key}:ids`), this.accountId);
    this.requestRng = new Random(`${seed}:${key}:requests`);
  }

  // --- clock ---

  now(): number {
    return this.timeSource() + this.offset;
  }

  /** Moves world time forward; due work runs in order (see runDue). */
  advance(seconds: number, ctx: Ctx): void {
    if (seconds < 0) throw new Error('the world clock only moves forward');
    this.offset += seconds;
    this.runDue(ctx);
  }

  /** Forgets finished idempotency keys older than `ttl` seconds (oldest first, in insertion order). */
  pruneIdempotencyKeys(ttl: number): void {
    const cutoff = this.now() - ttl;
    for (const [key, entry] of this.idempotency) {
      if (entry.createdAt > cutoff) break;
      if (entry.state === 'done') this.idempotency.delete(key);
    }
  }

  requestId(): string {
    return `req_${this.requestRng.chars(14)}`;
  }

  generatedIdempotencyKey(): string {
    return this.requestRng.uuid();
  }

  // --- objects ---

  get<T extends StripeObject = StripeObject>(id: string): T | undefined {
    return this.objects.get(id)?.obj as T | undefined;
  }

  insert<T extends StripeObject>(obj: T): T {
    if (this.objects.has(obj.id)) throw new Error(`duplicate id ${obj.id}`);
    let list = this.lists.get(obj.object);
    if (!list) this.lists.set(obj.object, (list = []));
    this.objects.set(obj.id, { obj, position: list.length });
    list.push(obj.id);
    this.journal?.inserted.push(obj.id);
    return obj;
  }

  /** Stores a new snapshot of an existing object. */
  replace<T extends StripeObject>(obj: T): T {
    const entry = this.objects.get(obj.id);
    if (!entry) throw new Error(`replace of unknown id ${obj.id}`);
    const journal = this.journal;
    if (journal) {
      journal.replaced ??= new Map();
      if (!journal.replaced.has(obj.id) && !journal.inserted.includes(obj.id)) journal.replaced.set(obj.id, entry.obj);
    }
    entry.obj = obj;
    return obj;
  }

  /** A new snapshot of `obj` with `changes` applied; keys keep their places. */
  update<T extends StripeObject>(obj: T, changes: Partial<T>): T {
    return this.replace({ ...obj, ...changes });
  }

  /** Ids of objects of one type, in creation order. */
  idsOf(object: string): readonly string[] {
    return this.lists.get(object) ?? [];
  }

  /** Position of an id in its type's creation order. */
  positionOf(object: string, id: string): number | undefined {
    const entry = this.objects.get(id);
    return entry && entry.obj.object === object ? entry.position : undefined;
  }

  count(object: string): number {
    return this.lists.get(object)?.length ?? 0;
  }

  // --- scheduled work ---

  /** Runs `run` once world time reaches `at` (at the start of a later request or on advance). */
  schedule(at: number, run: (ctx: Ctx) => void): void {
    const task = { at, seq: this.taskSeq++, run };
    this.tasks.push(task);
    this.tasks.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.journal?.tasks.push(task);
  }

  /** Runs every task that is due, in time order; each in its own transaction. */
  runDue(ctx: Ctx): void {
    while (this.tasks.length && this.tasks[0].at <= this.now()) {
      const task = this.tasks.shift()!;
      this.transaction(() => task.run({ ...ctx, requestId: null, idempotencyKey: null }));
    }
  }

  pendingTasks(): number {
    return this.tasks.length;
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
      const { obj } = this.objects.get(id)!;
      this.objects.delete(id);
      this.lists.get(obj.object)!.pop();
    }
    for (const [id, previous] of journal.replaced ?? []) this.objects.get(id)!.obj = previous;
    for (const [key, { had, value }] of journal.facts ?? []) this.facts.restore(key, had, value);
    const dropped = new Set(journal.tasks);
    this.tasks = this.tasks.filter((t) => !dropped.has(t));
  }
}
