import fs from 'node:fs';
import path from 'node:path';
import type { AccountState, KeyState, RegistryListener } from '../engine/accounts';
import type { ScheduleState } from '../engine/clock';
import type { Twin, TwinStore } from '../engine/twin';
import { Changes, IdempotencyEntry, StripeObject, World, WorldState } from '../engine/world';

// Durable worlds (`serve --data DIR`, docs/durability.md): every world kept on
// disk so that whatever the twin acknowledged survives kill -9.
//
//   DIR/twin.json            the seed and start of world time (fixed at the first start)
//   DIR/snapshot.json        every account as plain data (World.exportState), and the
//                            generation of the journal that follows it
//   DIR/journal.<gen>.log    one JSON line per change since that snapshot: a world's
//                            changed objects, facts, idempotency keys, tasks, clocks and
//                            streams (written when a request or a delivery commits, before
//                            the answer goes out), or an account opened, keyed, connected,
//                            forgotten
//
// Restart = the snapshot, then the journal's lines applied in order to that plain
// data, then the worlds built from it (indexes rebuilt): nothing is executed
// again, so nothing can diverge. A line torn by a crash is the last one and was
// never acknowledged: it is ignored. Lines go out with fs.writeSync — in the
// operating system's hands once written, which is what survives the process
// being killed; surviving a power cut would take an fsync per commit (not done).
// The journal is folded into a new snapshot at start and once it outgrows both
// COMPACT_BYTES and the last snapshot (so folding costs a bounded share of each
// commit however large the worlds grow): a new generation's journal, then the snapshot naming it renamed
// into place, then the old journal removed — a crash between steps leaves a
// snapshot and the one journal that goes with it.

export const DATA_FORMAT = 'stripe-twin.data/1';
/** The journal is folded into the snapshot past this size, or the snapshot's if larger (twin choice). */
export const COMPACT_BYTES = 64 * 1024 * 1024;

/** What DIR/twin.json keeps: how the twin was made, so a restart makes the same one. */
export interface TwinMeta {
  format: typeof DATA_FORMAT;
  seed: string;
  startTime: number;
  /** Wall time (ms) of world time `startTime`, when world time follows the wall clock; null when it only moves when advanced. */
  wallStart: number | null;
}

/** One journal line. */
type Line =
  | { t: 'open'; account: AccountState }
  | { t: 'keys'; key: string; keys: KeyState[]; keyStream: number[] | null }
  | { t: 'connect'; platform: string; world: WorldState }
  | { t: 'disconnect'; platform: string; account: string }
  | { t: 'forget'; key: string | null }
  | WorldLine;

/** What changed in one world (by its key): its scalars whole, the rest by entry. */
interface WorldLine {
  t: 'world';
  k: string;
  offset: number;
  connectedEver: number;
  ids: WorldState['ids'];
  requests: number[];
  config: WorldState['config'];
  /** Each schedule's next sequence number, by clock ('' for the account's). */
  seqs: Record<string, number>;
  /** The test clocks and their times (all of them: a clock missing was removed). */
  clocks: [string, number][];
  /** Objects inserted ([id, obj, clock]) or replaced ([id, obj]); ids gone (rolled back). */
  objects: ([string, StripeObject] | [string, StripeObject, string | null])[];
  gone: string[];
  facts: [string, unknown?][];
  unfacts: string[];
  idem: [string, IdempotencyEntry][];
  unidem: string[];
  /** Tasks added: [clock, seq, at, name, args]; tasks run or cancelled: [clock, seq]. */
  tasks: [string, number, number, string, unknown][];
  untasks: [string, number][];
}

/** Reads DIR/twin.json, or writes it from `make` at the first start. */
export function twinMeta(dir: string, make: () => Omit<TwinMeta, 'format'>): TwinMeta {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'twin.json');
  if (fs.existsSync(file)) {
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as TwinMeta;
    if (meta.format !== DATA_FORMAT) throw new Error(`${file}: not a stripe-twin data directory (format ${JSON.stringify(meta.format)})`);
    return meta;
  }
  const meta: TwinMeta = { format: DATA_FORMAT, ...make() };
  writeAtomically(file, JSON.stringify(meta, null, 2));
  return meta;
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
}

export class DurableStore implements TwinStore, RegistryListener {
  private fd = -1;
  private generation = 0;
  private bytes = 0;
  /** The last snapshot's length: the journal may grow as large before it is folded in. */
  private snapshotBytes = 0;
  private readonly dirty = new Set<World>();
  private readonly watched = new Set<World>();
  private pending: NodeJS.Immediate | null = null;

  private constructor(
    readonly dir: string,
    private readonly twin: Twin,
  ) {}

  /**
   * Loads the twin's worlds from `dir` (the snapshot, then the journal), folds
   * them into a new snapshot, and keeps every later change there. `wallMs`: the
   * face's monotonic clock (idempotency keys age from the restart).
   */
  static open(dir: string, twin: Twin, wallMs: () => number = () => performance.now()): DurableStore {
    const store = new DurableStore(dir, twin);
    const { generation, accounts } = readData(dir);
    store.generation = generation;
    for (const account of accounts) twin.importAccount(account, wallMs());
    store.compact();
    twin.accountListener = store;
    for (const world of twin.allWorlds()) store.watchAccount(world);
    twin.store = store;
    return store;
  }

  /** Writes every world changed since the last commit: one journal line each. */
  commit(): void {
    if (this.dirty.size === 0 || this.fd === -1) return;
    const lines: string[] = [];
    for (const world of this.dirty) {
      const changes = world.takeChanges();
      if (changes) lines.push(JSON.stringify(worldLine(world, changes)));
    }
    this.dirty.clear();
    this.append(lines);
    if (this.bytes > Math.max(COMPACT_BYTES, this.snapshotBytes)) this.compact();
  }

  /** Folds the journal into a new snapshot (every account as data) and starts the next journal. */
  compact(): void {
    this.commit();
    const next = this.generation + 1;
    const journal = journalFile(this.dir, next);
    const fd = fs.openSync(journal, 'w');
    const snapshot = JSON.stringify({ format: DATA_FORMAT, generation: next, accounts: this.twin.exportAccounts() });
    writeAtomically(path.join(this.dir, 'snapshot.json'), snapshot);
    this.snapshotBytes = snapshot.length;
    if (this.fd !== -1) fs.closeSync(this.fd);
    fs.rmSync(journalFile(this.dir, this.generation), { force: true });
    this.fd = fd;
    this.generation = next;
    this.bytes = 0;
  }

  /** Writes what is left and closes the journal. */
  close(): void {
    this.commit();
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
    for (const world of [...this.watched]) this.unwatch(world);
    if (this.fd !== -1) fs.closeSync(this.fd);
    this.fd = -1;
    this.twin.store = null;
    this.twin.accountListener = null;
  }

  // --- the registry's changes, written as they happen ---

  opened(account: World): void {
    this.commit(); // what the account's key opened before is written first
    this.append([JSON.stringify({ t: 'open', account: this.twin.exportAccount(account.key)! } satisfies Line)]);
    this.watchAccount(account);
  }

  minted(account: World): void {
    const { keys, keyStream } = this.twin.exportAccount(account.key)!;
    this.append([JSON.stringify({ t: 'keys', key: account.key, keys, keyStream } satisfies Line)]);
  }

  connected(platform: World, account: World): void {
    // No commit first: this may be inside the platform's transaction (its changes follow, as its own line).
    this.append([JSON.stringify({ t: 'connect', platform: platform.key, world: account.exportState() } satisfies Line)]);
    this.watch(account);
  }

  disconnected(platform: World, account: World): void {
    this.append([JSON.stringify({ t: 'disconnect', platform: platform.key, account: account.accountId } satisfies Line)]);
    this.unwatch(account);
  }

  forgotten(key: string | undefined): void {
    // The forgotten worlds' last changes first; then nothing more of theirs is written (a request still
    // holding one must not write to the account its key opens next).
    this.commit();
    this.append([JSON.stringify({ t: 'forget', key: key ?? null } satisfies Line)]);
    for (const world of [...this.watched]) if (key === undefined || world.key === key || world.platform?.key === key) this.unwatch(world);
  }

  // ---

  private watchAccount(account: World): void {
    this.watch(account);
    for (const connected of account.connected.values()) this.watch(connected);
  }

  private unwatch(world: World): void {
    world.watch(null);
    this.watched.delete(world);
    this.dirty.delete(world);
  }

  private watch(world: World): void {
    this.watched.add(world);
    const changes = new Changes(() => {
      this.dirty.add(world);
      // Work done outside a request (a webhook delivery's outcome) is written just after.
      this.pending ??= setImmediate(() => {
        this.pending = null;
        this.commit();
      });
    });
    world.watch(changes);
  }

  private append(lines: string[]): void {
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    fs.writeSync(this.fd, text);
    this.bytes += Buffer.byteLength(text);
  }
}

const journalFile = (dir: string, generation: number) => path.join(dir, `journal.${generation}.log`);

/** One world's changes as a journal line; the changes are cleared, but keys still in flight stay to be written once answered. */
function worldLine(world: World, changes: Changes): WorldLine {
  const objects: WorldLine['objects'] = [];
  const gone: string[] = [];
  for (const [id, clock] of changes.objects) {
    const obj = world.get(id);
    if (!obj) gone.push(id);
    else {
      const written = withReference(world, obj);
      objects.push(clock === undefined ? [id, written] : [id, written, clock]);
    }
  }
  const facts: [string, unknown?][] = [];
  const unfacts: string[] = [];
  for (const key of changes.facts) {
    if (!world.facts.has(key)) unfacts.push(key);
    else {
      const value = world.facts.get(key);
      facts.push(value === undefined ? [key] : [key, value]);
    }
  }
  const idem: [string, IdempotencyEntry][] = [];
  const unidem: string[] = [];
  const inFlight: string[] = [];
  for (const key of changes.idempotency) {
    const entry = world.idempotency.get(key);
    if (!entry) unidem.push(key);
    else if (entry.state === 'done') idem.push([key, entry]);
    else inFlight.push(key);
  }
  const tasks: WorldLine['tasks'] = [];
  const untasks: WorldLine['untasks'] = [];
  for (const [task, clock] of changes.tasks) {
    if (task.cancelled || task.taken) untasks.push([clock ?? '', task.seq]);
    else tasks.push([clock ?? '', task.seq, task.at, task.name, task.args]);
  }
  const clocks = world.testClockTimes();
  const seqs: Record<string, number> = { '': world.clock.schedule.nextSeq };
  for (const [id, , seq] of clocks) seqs[id] = seq;
  changes.clear();
  for (const key of inFlight) changes.idempotencyKey(key);
  changes.dirty = false; // in-flight keys wait for their own commit
  return {
    t: 'world',
    k: world.key,
    offset: world.advancedBy,
    connectedEver: world.connectedEver,
    ids: world.ids.state,
    requests: world.requestStream,
    config: world.config,
    seqs,
    clocks: clocks.map(([id, time]) => [id, time]),
    objects,
    gone,
    facts,
    unfacts,
    idem,
    unidem,
    tasks,
    untasks,
  };
}

/**
 * An event whose data.object is the object's snapshot stored now is written with
 * a reference to it instead ({"$stored": id}): the stored object is written in
 * the same line or an earlier one, and loading puts it back. Events repeat their
 * objects, so this about halves a journal line.
 */
const STORED = '$stored';

function withReference(world: World, obj: StripeObject): StripeObject {
  if (obj.object !== 'event') return obj;
  const inner = obj.data?.object as StripeObject | undefined;
  if (!inner?.id || world.get(inner.id) !== inner) return obj;
  return { ...obj, data: { ...obj.data, object: { [STORED]: inner.id } } };
}

function resolveReference(objects: Map<string, [StripeObject, string | null]>, obj: StripeObject): StripeObject {
  const ref = obj.object === 'event' ? (obj.data?.object as Record<string, unknown> | undefined)?.[STORED] : undefined;
  if (typeof ref !== 'string') return obj;
  return { ...obj, data: { ...obj.data, object: objects.get(ref)?.[0] ?? null } };
}

// --- loading: the snapshot and the journal, as plain data ---

/** A world being loaded: its state, with what the journal changes by entry held in maps (insertion order kept). */
interface Loading {
  state: WorldState;
  objects: Map<string, [StripeObject, string | null]>;
  facts: Map<string, [string, unknown?]>;
  idempotency: Map<string, IdempotencyEntry>;
  /** Tasks by clock ('' the account's), then by sequence number. */
  tasks: Map<string, Map<number, ScheduleState['tasks'][number]>>;
  seqs: Record<string, number>;
  clocks: [string, number][];
  connected: Loading[];
}

interface LoadingAccount {
  keys: KeyState[];
  keyStream: number[] | null;
  world: Loading;
}

function loading(state: WorldState): Loading {
  const tasks = new Map<string, Map<number, ScheduleState['tasks'][number]>>();
  const seqs: Record<string, number> = { '': state.schedule.seq };
  tasks.set('', new Map(state.schedule.tasks.map((t) => [t.seq, t])));
  for (const clock of state.testClocks) {
    tasks.set(clock.id, new Map(clock.schedule.tasks.map((t) => [t.seq, t])));
    seqs[clock.id] = clock.schedule.seq;
  }
  return {
    state,
    objects: new Map(state.objects.map(([obj, clock]) => [obj.id, [obj, clock]])),
    facts: new Map(state.facts.map((entry) => [entry[0], entry])),
    idempotency: new Map(state.idempotency),
    tasks,
    seqs,
    clocks: state.testClocks.map((c) => [c.id, c.time]),
    connected: state.connected.map(loading),
  };
}

function loaded(world: Loading): WorldState {
  const schedule = (clock: string): ScheduleState => ({ seq: world.seqs[clock] ?? 0, tasks: [...(world.tasks.get(clock)?.values() ?? [])] });
  return {
    ...world.state,
    objects: [...world.objects.values()],
    facts: [...world.facts.values()],
    idempotency: [...world.idempotency],
    schedule: schedule(''),
    testClocks: world.clocks.map(([id, time]) => ({ id, time, schedule: schedule(id) })),
    connected: world.connected.map(loaded),
  };
}

function apply(world: Loading, line: WorldLine): void {
  const { offset, connectedEver, ids, requests, config } = line;
  world.state = { ...world.state, offset, connectedEver, ids, requests, config };
  for (const [id, obj, clock] of line.objects) world.objects.set(id, [obj, world.objects.get(id)?.[1] ?? clock ?? null]);
  // References resolve to the objects as this line leaves them: as they were when it was written.
  for (const [id, obj] of line.objects) if (obj.object === 'event') world.objects.set(id, [resolveReference(world.objects, obj), world.objects.get(id)![1]]);
  for (const id of line.gone) world.objects.delete(id);
  for (const entry of line.facts) world.facts.set(entry[0], entry);
  for (const key of line.unfacts) world.facts.delete(key);
  for (const [key, entry] of line.idem) world.idempotency.set(key, entry);
  for (const key of line.unidem) world.idempotency.delete(key);
  world.seqs = line.seqs;
  world.clocks = line.clocks;
  for (const [clock, seq, at, name, args] of line.tasks) {
    let tasks = world.tasks.get(clock);
    if (!tasks) world.tasks.set(clock, (tasks = new Map()));
    tasks.set(seq, { at, seq, name, args });
  }
  for (const [clock, seq] of line.untasks) world.tasks.get(clock)?.delete(seq);
  // A removed test clock's work goes with it.
  const kept = new Set(['', ...line.clocks.map(([id]) => id)]);
  for (const clock of world.tasks.keys()) if (!kept.has(clock)) world.tasks.delete(clock);
}

/** The accounts kept in `dir`, as the snapshot and its journal leave them. */
export function readData(dir: string): { generation: number; accounts: AccountState[] } {
  const file = path.join(dir, 'snapshot.json');
  let generation = 0;
  const accounts = new Map<string, LoadingAccount>();
  if (fs.existsSync(file)) {
    const snapshot = JSON.parse(fs.readFileSync(file, 'utf8')) as { format: string; generation: number; accounts: AccountState[] };
    if (snapshot.format !== DATA_FORMAT) throw new Error(`${file}: not a stripe-twin snapshot`);
    generation = snapshot.generation;
    for (const a of snapshot.accounts) accounts.set(a.world.key, { keys: a.keys, keyStream: a.keyStream, world: loading(a.world) });
  }
  const worlds = new Map<string, Loading>();
  const index = () => {
    worlds.clear();
    for (const a of accounts.values()) for (const w of [a.world, ...a.world.connected]) worlds.set(w.state.key, w);
  };
  index();
  const journal = journalFile(dir, generation);
  const text = fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8') : '';
  const lines = text.split('\n');
  // The last piece is empty when the journal ends with a whole line; otherwise it is torn (never acknowledged).
  lines.pop();
  for (const raw of lines) {
    const line = JSON.parse(raw) as Line;
    switch (line.t) {
      case 'world': {
        const world = worlds.get(line.k);
        if (world) apply(world, line);
        break;
      }
      case 'open':
        accounts.delete(line.account.world.key);
        accounts.set(line.account.world.key, { keys: line.account.keys, keyStream: line.account.keyStream, world: loading(line.account.world) });
        index();
        break;
      case 'keys': {
        const account = accounts.get(line.key);
        if (account) Object.assign(account, { keys: line.keys, keyStream: line.keyStream });
        break;
      }
      case 'connect': {
        const platform = worlds.get(line.platform);
        if (platform) platform.connected.push(loading(line.world));
        index();
        break;
      }
      case 'disconnect': {
        const platform = worlds.get(line.platform);
        if (platform) platform.connected = platform.connected.filter((w) => w.state.account !== line.account);
        index();
        break;
      }
      case 'forget':
        if (line.key === null) accounts.clear();
        else accounts.delete(line.key);
        index();
        break;
    }
  }
  return { generation, accounts: [...accounts.values()].map((a) => ({ keys: a.keys, keyStream: a.keyStream, world: loaded(a.world) })) };
}
