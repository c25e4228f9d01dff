import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AccountState, KeyState, RegistryListener } from '../engine/accounts';
import type { ScheduleState } from '../engine/clock';
import type { Twin, TwinStore } from '../engine/twin';
import { renderBody } from '../engine/render';
import { Changes, IdempotencyEntry, IdempotentResponse, printedFrom, StripeObject, World, WorldState } from '../engine/world';

// Durable worlds (`serve --data DIR`, docs/durability.md): every world kept on
// disk so that whatever the twin acknowledged survives kill -9.
//
//   DIR/twin.json            the seed, the start of world time and the number of workers
//                            (fixed at the first start; with --workers N, each worker keeps
//                            its accounts' files in DIR/worker-<n>)
//   DIR/snapshot.jsonl       every account as plain data (World.exportState), in lines
//                            (a header naming the generation of the journal that follows
//                            it; per account, its world with its objects, facts and
//                            idempotency keys in lines of their own, SNAPSHOT_PART at a time)
//   DIR/journal.<gen>.log    one JSON line per change since that snapshot: a world's
//                            changed objects, facts, idempotency keys, tasks, clocks and
//                            streams (written when a request or a delivery commits, before
//                            the answer goes out), or an account opened, keyed, connected,
//                            forgotten
//
// Files are read and written through one reused buffer, never as one string or
// buffer the size of the file: fresh memory is what large reads and writes cost.
//
// Writing is what --data costs each request, so a line holds what changed and little
// more: a replaced object is written as the fields it changed (snapshots share what
// they did not change), an event's object and an idempotent answer's body as a
// reference to the stored snapshot they print when they do, and everything changed
// in one turn of the event loop goes out in one write (group commit: the answers
// wait for it).
//
// Restart = the snapshot, then the journal's lines applied in order to that plain
// data, then the worlds built from it (indexes rebuilt): nothing is executed
// again, so nothing can diverge. A line torn by a crash is the last one and was
// never acknowledged: it is ignored. Lines go out with fs.writeSync — in the
// operating system's hands once written, which is what survives the process
// being killed; surviving a power cut would take an fsync per commit (not done).
// The journal is folded into a new snapshot at start, and, while serving, once it is
// past FOLD_BYTES and more than half of the entries the files hold are superseded
// (objects replaced, keys and tasks gone, worlds forgotten): the files then hold at
// most twice the live worlds, and a journal that only adds (creates) is never
// rewritten, since it is as compact as a snapshot of the same worlds. While serving
// the fold runs on a worker thread, from the files: the store starts the next
// generation's journal and goes on; the worker reads the snapshot and the journals
// before it (readData), writes the snapshot naming the new generation, renames it
// into place; then the folded journals are removed. A crash at any step leaves a
// snapshot and the journals from the one it names on, which loading reads in order.

export const DATA_FORMAT = 'stripe-twin.data/1';
/** The journal's size from which it is folded into the snapshot, once more than half of what the files hold is superseded (twin choice). */
export const FOLD_BYTES = 64 * 1024 * 1024;
/** How much further the journal grows (at most) before the share superseded is looked at again. */
const FOLD_CHECK_BYTES = 1024 * 1024;

/** What DIR/twin.json keeps: how the twin was made, so a restart makes the same one. */
export interface TwinMeta {
  format: typeof DATA_FORMAT;
  seed: string;
  startTime: number;
  /** Wall time (ms) of world time `startTime`, when world time follows the wall clock; null when it only moves when advanced. */
  wallStart: number | null;
  /** `serve --workers`: each worker keeps the accounts routed to it in DIR/worker-<n> (absent: 1, the worlds are in DIR). */
  workers?: number;
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
  /** Objects inserted ([id, obj, clock]) or replaced ([id, obj]); replaced ones by the fields they changed; ids gone (rolled back). */
  objects: ([string, StripeObject] | [string, StripeObject, string | null])[];
  patched: [string, Record<string, unknown>][];
  gone: string[];
  facts: [string, unknown?][];
  unfacts: string[];
  /** Finished keys; an answer printing a stored snapshot has `{"$stored": id}` for its body. */
  idem: [string, IdempotencyEntry | WrittenEntry][];
  unidem: string[];
  /** Tasks added: [clock, seq, at, name, args]; tasks run or cancelled: [clock, seq]. */
  tasks: [string, number, number, string, unknown][];
  untasks: [string, number][];
}

type WrittenEntry = Omit<IdempotencyEntry, 'response'> & { response: Omit<IdempotentResponse, 'body'> & { body: Reference } };

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

export interface StoreOptions {
  /** The journal's size from which it is folded into the snapshot, once more than half of what the files hold is superseded. */
  foldBytes?: number;
  /** The face's monotonic clock, in ms (idempotency keys age from the restart). */
  wallMs?: () => number;
}

/** The worker that folds journals while the twin serves (built JavaScript; run from TypeScript sources, the fold runs in place). */
const FOLD_WORKER = path.join(__dirname, 'durable_fold.js');

export class DurableStore implements TwinStore, RegistryListener {
  /** The journal lines go to (null once closed). */
  private journal: LineWriter | null = null;
  private generation = 0;
  /** Entries the files hold: the snapshot's, then each line's (objects, facts, keys and tasks written or removed, and its scalars). */
  private entriesOnDisk = 0;
  /** The journal's length at which to weigh the files against the live worlds again. */
  private checkAt: number;
  /** A fold running on a worker thread. */
  private folding: Worker | null = null;
  private readonly dirty = new Set<World>();
  private readonly watched = new Set<World>();
  /** The next group commit, once something changed: resolves when it is written. */
  private pending: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly twin: Twin,
    private readonly foldBytes: number,
  ) {
    this.checkAt = foldBytes;
  }

  /**
   * Loads the twin's worlds from `dir` (the snapshot, then the journals), folds
   * them into a new snapshot, and keeps every later change there.
   */
  static open(dir: string, twin: Twin, { foldBytes = FOLD_BYTES, wallMs = () => performance.now() }: StoreOptions = {}): DurableStore {
    fs.mkdirSync(dir, { recursive: true });
    const store = new DurableStore(dir, twin, foldBytes);
    const { generation, accounts } = readData(dir);
    store.generation = generation;
    for (const account of accounts) twin.importAccount(account, wallMs());
    store.compact();
    twin.accountListener = store;
    for (const world of twin.allWorlds()) store.watchAccount(world);
    twin.store = store;
    return store;
  }

  /** Resolves once every change so far is written (by the commit at the end of this turn of the event loop). */
  written(): Promise<void> {
    return this.pending ?? Promise.resolve();
  }

  /** Writes every world changed since the last commit: one journal line each. */
  commit(): void {
    if (this.dirty.size === 0 || !this.journal) return;
    const lines: string[] = [];
    for (const world of this.dirty) {
      const changes = world.takeChanges();
      if (!changes) continue;
      const line = worldLine(world, changes);
      this.entriesOnDisk += 1 + line.objects.length + line.patched.length + line.gone.length + line.facts.length + line.unfacts.length;
      this.entriesOnDisk += line.idem.length + line.unidem.length + line.tasks.length + line.untasks.length;
      lines.push(JSON.stringify(line));
    }
    this.dirty.clear();
    this.append(lines);
    const { bytes } = this.journal;
    if (bytes >= this.checkAt && !this.folding) {
      if (this.entriesOnDisk > 2 * this.liveEntries()) this.fold();
      else this.checkAt = bytes + Math.min(FOLD_CHECK_BYTES, this.foldBytes);
    }
  }

  /** Entries the live worlds hold. */
  private liveEntries(): number {
    let entries = 0;
    for (const world of this.watched) entries += world.entries;
    return entries;
  }

  /** Folds everything into a new snapshot (every account as data, from the live worlds) and starts the next journal: at start. */
  compact(): void {
    this.commit();
    const next = this.nextJournal();
    writeSnapshot(this.dir, next, this.twin.exportAccounts());
    removeJournals(this.dir, next);
  }

  /** Starts the next journal and folds the ones before it into the snapshot on a worker thread. */
  private fold(): void {
    const through = this.generation;
    this.nextJournal();
    const folded = () => removeJournals(this.dir, through + 1);
    if (!fs.existsSync(FOLD_WORKER)) {
      foldData(this.dir, through);
      return folded();
    }
    const worker = new Worker(FOLD_WORKER, { workerData: { dir: this.dir, through } });
    this.folding = worker;
    worker.unref(); // an exit mid-fold leaves the old snapshot and every journal after it: nothing is lost
    worker.once('message', folded);
    worker.once('error', (e) => process.stderr.write(`stripe-twin: folding the journal into ${path.join(this.dir, SNAPSHOT)} failed (the journals are kept and read at start): ${e.message}\n`));
    worker.once('exit', () => (this.folding = null));
  }

  /** Opens the next generation's journal, where the following lines go, for a snapshot of the worlds as they are; returns its generation. */
  private nextJournal(): number {
    const next = this.generation + 1;
    const journal = new LineWriter(fs.openSync(journalFile(this.dir, next), 'w'));
    this.journal?.close();
    this.journal = journal;
    this.generation = next;
    this.checkAt = this.foldBytes;
    this.entriesOnDisk = this.liveEntries();
    return next;
  }

  /** Writes what is left and closes the journal. */
  close(): void {
    this.commit();
    for (const world of [...this.watched]) this.unwatch(world);
    this.journal?.close();
    this.journal = null;
    this.twin.store = null;
    this.twin.accountListener = null;
  }

  // --- the registry's changes, written as they happen ---

  opened(account: World): void {
    this.commit(); // what the account's key opened before is written first
    this.append([JSON.stringify({ t: 'open', account: this.twin.exportAccount(account.key)! } satisfies Line)]);
    this.entriesOnDisk += 1 + account.entries;
    for (const connected of account.connected.values()) this.entriesOnDisk += connected.entries;
    this.watchAccount(account);
  }

  minted(account: World): void {
    const { keys, keyStream } = this.twin.exportAccount(account.key)!;
    this.append([JSON.stringify({ t: 'keys', key: account.key, keys, keyStream } satisfies Line)]);
    this.entriesOnDisk += 1;
  }

  connected(platform: World, account: World): void {
    // No commit first: this may be inside the platform's transaction (its changes follow, as its own line).
    this.append([JSON.stringify({ t: 'connect', platform: platform.key, world: account.exportState() } satisfies Line)]);
    this.entriesOnDisk += 1 + account.entries;
    this.watch(account);
  }

  disconnected(platform: World, account: World): void {
    this.append([JSON.stringify({ t: 'disconnect', platform: platform.key, account: account.accountId } satisfies Line)]);
    this.entriesOnDisk += 1;
    this.unwatch(account);
  }

  forgotten(key: string | undefined): void {
    // The forgotten worlds' last changes first; then nothing more of theirs is written (a request still
    // holding one must not write to the account its key opens next).
    this.commit();
    this.append([JSON.stringify({ t: 'forget', key: key ?? null } satisfies Line)]);
    this.entriesOnDisk += 1; // the forgotten worlds' entries stay on disk, superseded
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
      // Requests answered in this turn wait for it; work done outside a request (a webhook delivery's outcome) is written by it too.
      this.pending ??= new Promise((resolve, reject) =>
        setImmediate(() => {
          this.pending = null;
          try {
            this.commit();
            resolve();
          } catch (e) {
            reject(e);
          }
        }),
      );
    });
    world.watch(changes);
  }

  /** Writes `lines` to the journal at once (one write, before any answer waiting for them goes out). */
  private append(lines: string[]): void {
    for (const line of lines) this.journal!.line(line);
    this.journal!.flush();
  }
}

const journalFile = (dir: string, generation: number) => path.join(dir, `journal.${generation}.log`);

/** Removes the journals of generations before `from` (folded into the snapshot), and any temporary file a fold left. */
function removeJournals(dir: string, from: number): void {
  for (const name of fs.readdirSync(dir)) {
    const generation = /^journal\.(\d+)\.log$/.exec(name)?.[1];
    if ((generation !== undefined && Number(generation) < from) || name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Writes the snapshot of what `dir` keeps through journal generation `through`, naming the journal after it. */
export function foldData(dir: string, through: number): void {
  writeSnapshot(dir, through + 1, readData(dir, through).accounts);
}

const SNAPSHOT = 'snapshot.jsonl';
/** Entries of a world's objects, facts or idempotency keys per snapshot line. */
const SNAPSHOT_PART = 64;

/** One line of the snapshot file after its header: an account (its worlds without their entries), or entries of one of its worlds. */
type SnapshotLine = { t: 'account'; account: AccountState } | { t: 'objects' | 'facts' | 'idempotency'; k: string; v: unknown[] };

/** Writes the snapshot of `accounts` (references for what prints a stored snapshot) naming journal `generation`, into place. */
function writeSnapshot(dir: string, generation: number, accounts: AccountState[]): void {
  const file = path.join(dir, SNAPSHOT);
  const temp = `${file}.${process.pid}.tmp`;
  const out = new LineWriter(fs.openSync(temp, 'w'));
  try {
    out.line(JSON.stringify({ format: DATA_FORMAT, generation }));
    for (const account of accounts.map(referencing)) {
      const worlds = [account.world, ...account.world.connected];
      const head = (w: WorldState): WorldState => ({ ...w, objects: [], facts: [], idempotency: [], connected: w.connected.map(head) });
      out.line(JSON.stringify({ t: 'account', account: { ...account, world: head(account.world) } } satisfies SnapshotLine));
      for (const world of worlds) {
        for (const t of ['objects', 'facts', 'idempotency'] as const) {
          const entries: unknown[] = world[t];
          for (let i = 0; i < entries.length; i += SNAPSHOT_PART) out.line(JSON.stringify({ t, k: world.key, v: entries.slice(i, i + SNAPSHOT_PART) } satisfies SnapshotLine));
        }
      }
    }
  } finally {
    out.close();
  }
  fs.renameSync(temp, file);
}

/** Writes lines to a file through one reused buffer (a line longer than it goes out on its own), counting the bytes written. */
class LineWriter {
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  bytes = 0;

  constructor(private readonly fd: number) {}

  line(text: string): void {
    // A character is at most 3 bytes in UTF-8 (a surrogate pair: 4 for 2).
    if (this.used + 3 * text.length + 1 > this.buffer.length) this.flush();
    if (3 * text.length + 1 > this.buffer.length) {
      this.bytes += fs.writeSync(this.fd, `${text}\n`);
      return;
    }
    this.used += this.buffer.write(text, this.used);
    this.buffer[this.used++] = 10;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }

  /** Writes what the buffer holds. */
  flush(): void {
    if (this.used) this.bytes += fs.writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }
}

/** Calls `each` with every whole line of `file`, read through one reused buffer; a last line without its newline (torn by a crash, never acknowledged) is left out. */
function forEachLine(file: string, each: (line: string) => void): void {
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let carried: Buffer[] = [];
  try {
    for (let read = fs.readSync(fd, buffer); read > 0; read = fs.readSync(fd, buffer)) {
      const chunk = buffer.subarray(0, read);
      let start = 0;
      for (let end = chunk.indexOf(10); end !== -1; start = end + 1, end = chunk.indexOf(10, start)) {
        each(carried.length ? Buffer.concat([...carried, chunk.subarray(start, end)]).toString('utf8') : chunk.toString('utf8', start, end));
        carried = [];
      }
      if (start < read) carried.push(Buffer.from(chunk.subarray(start))); // a copy: the buffer is read into again
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The accounts of the snapshot file in `dir` (none without one), and the generation of the journal that follows it. */
function readSnapshot(dir: string): { generation: number; accounts: AccountState[] } {
  const file = path.join(dir, SNAPSHOT);
  if (!fs.existsSync(file)) return { generation: 0, accounts: [] };
  let generation: number | null = null;
  const accounts: AccountState[] = [];
  const worlds = new Map<string, WorldState>();
  forEachLine(file, (raw) => {
    if (generation === null) {
      const header = JSON.parse(raw) as { format: string; generation: number };
      if (header.format !== DATA_FORMAT) throw new Error(`${file}: not a stripe-twin snapshot`);
      generation = header.generation;
      return;
    }
    const line = JSON.parse(raw) as SnapshotLine;
    if (line.t === 'account') {
      accounts.push(line.account);
      for (const world of [line.account.world, ...line.account.world.connected]) worlds.set(world.key, world);
    } else (worlds.get(line.k)![line.t] as unknown[]).push(...line.v);
  });
  return { generation: generation ?? 0, accounts };
}

/** One world's changes as a journal line; the changes are cleared, but keys still in flight stay to be written once answered. */
function worldLine(world: World, changes: Changes): WorldLine {
  const objects: WorldLine['objects'] = [];
  const patched: WorldLine['patched'] = [];
  const gone: string[] = [];
  for (const [id, clock] of changes.objects) {
    const obj = world.get(id);
    if (!obj) {
      gone.push(id);
      continue;
    }
    const before = clock === undefined ? changes.lastWritten.get(id) : undefined;
    const patch = before && changedFields(before, obj);
    if (!patch) objects.push(clock === undefined ? [id, withReference(world, obj)] : [id, withReference(world, obj), clock]);
    else if (patch !== SAME) patched.push([id, patch]);
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
  const idem: WorldLine['idem'] = [];
  const unidem: string[] = [];
  const inFlight: string[] = [];
  for (const key of changes.idempotency) {
    const entry = world.idempotency.get(key);
    if (!entry) unidem.push(key);
    else if (entry.state === 'done') idem.push([key, withBodyReference(world, entry)]);
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
  for (const key of inFlight) changes.idempotency.add(key); // they wait for their own commit
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
    patched,
    gone,
    facts,
    unfacts,
    idem,
    unidem,
    tasks,
    untasks,
  };
}

/** `after`'s fields that differ from `before`'s (compared by identity), SAME if none; null when its keys are not the same, in the same order, or one became undefined (JSON drops it): then it is written whole. */
const SAME = Object.freeze({});

function changedFields(before: StripeObject, after: StripeObject): Record<string, unknown> | null {
  const keys = Object.keys(after);
  const beforeKeys = Object.keys(before);
  if (keys.length !== beforeKeys.length) return null;
  let changed: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key !== beforeKeys[i]) return null;
    const value = after[key];
    if (value === before[key]) continue;
    if (value === undefined) return null;
    (changed ??= {})[key] = value;
  }
  return changed ?? SAME;
}

/**
 * A reference to the snapshot of object `$stored` stored when the line was
 * written (so written in that line or an earlier one), with the fields that
 * differ from it. Events carry snapshots of their objects, mostly the stored one
 * or one a few fields away: written as references, a line is about half as long.
 */
const STORED = '$stored';
type Reference = { [STORED]: string } & Record<string, unknown>;

function reference(storedAs: (id: string) => StripeObject | undefined, snapshot: StripeObject): Reference | null {
  const stored = snapshot.id ? storedAs(snapshot.id) : undefined;
  if (!stored) return null;
  const changed = stored === snapshot ? SAME : changedFields(stored, snapshot);
  return changed && { [STORED]: snapshot.id, ...changed };
}

/** The snapshot a reference names (shared, as it was when written, when no field changed). */
function resolve(objects: Map<string, [StripeObject, string | null]>, ref: Reference): StripeObject | null {
  const { [STORED]: id, ...changed } = ref;
  const stored = objects.get(id)?.[0];
  if (!stored) return null;
  for (const _ in changed) return { ...stored, ...changed };
  return stored;
}

const isReference = (value: unknown): value is Reference => typeof (value as Reference | null)?.[STORED] === 'string';

function withReference(world: World, obj: StripeObject): StripeObject {
  if (obj.object !== 'event' || !obj.data?.object) return obj;
  const ref = reference((id) => world.get(id), obj.data.object as StripeObject);
  return ref ? { ...obj, data: { ...obj.data, object: ref } } : obj;
}

function resolveEvent(objects: Map<string, [StripeObject, string | null]>, obj: StripeObject): StripeObject {
  const inner: unknown = obj.object === 'event' ? obj.data?.object : undefined;
  return isReference(inner) ? { ...obj, data: { ...obj.data, object: resolve(objects, inner) } } : obj;
}

/** An answer whose body prints a snapshot stored now is written as a reference to it (an idempotent create's answer repeats its object). */
function withBodyReference(world: World, entry: IdempotencyEntry): IdempotencyEntry | WrittenEntry {
  const printed = printedFrom.get(entry.response!);
  if (!printed || world.get(printed.id) !== printed) return entry;
  return { ...entry, response: { ...entry.response!, body: { [STORED]: printed.id } } };
}

function resolveEntry(objects: Map<string, [StripeObject, string | null]>, entry: IdempotencyEntry | WrittenEntry): IdempotencyEntry {
  const body = entry.response?.body;
  if (!isReference(body)) return entry as IdempotencyEntry;
  const printed = resolve(objects, body)!;
  const response = { ...entry.response!, body: renderBody(printed) };
  printedFrom.set(response, printed); // still a reference when written again, while the snapshot stays stored
  return { ...entry, response };
}

/**
 * An account as the snapshot file keeps it: events' objects refer to the stored
 * snapshots (with the fields they differ by), and an idempotent answer whose body
 * prints a stored snapshot refers to it, as in the journal; loading resolves them.
 * Written whole, a snapshot would be about twice the journal it folds, and folding
 * would cost twice as much.
 */
function referencing(account: AccountState): AccountState {
  const world = (state: WorldState): WorldState => {
    const stored = new Map<string, StripeObject>();
    for (const [obj] of state.objects) stored.set(obj.id, obj);
    const isStored = (obj: unknown): obj is StripeObject => !!obj && stored.get((obj as StripeObject).id) === obj;
    const object = ([obj, clock]: [StripeObject, string | null]): [StripeObject, string | null] => {
      const ref = obj.object === 'event' && obj.data?.object ? reference((id) => stored.get(id), obj.data.object as StripeObject) : null;
      return ref ? [{ ...obj, data: { ...obj.data, object: ref } }, clock] : [obj, clock];
    };
    const entry = ([key, entry]: [string, IdempotencyEntry]): [string, IdempotencyEntry | WrittenEntry] => {
      const printed = entry.response && printedFrom.get(entry.response);
      return isStored(printed) ? [key, { ...entry, response: { ...entry.response!, body: { [STORED]: printed.id } } }] : [key, entry];
    };
    return { ...state, objects: state.objects.map(object), idempotency: state.idempotency.map(entry) as WorldState['idempotency'], connected: state.connected.map(world) };
  };
  return { ...account, world: world(account.world) };
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
  const objects = new Map(state.objects.map(([obj, clock]): [string, [StripeObject, string | null]] => [obj.id, [obj, clock]]));
  // A snapshot file's references (see referencing), to the snapshots they name.
  for (const [id, [obj, clock]] of objects) if (obj.object === 'event') objects.set(id, [resolveEvent(objects, obj), clock]);
  return {
    state,
    objects,
    facts: new Map(state.facts.map((entry) => [entry[0], entry])),
    idempotency: new Map(state.idempotency.map(([key, entry]) => [key, resolveEntry(objects, entry)])),
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
  for (const [id, changed] of line.patched) {
    const [obj, clock] = world.objects.get(id)!;
    world.objects.set(id, [{ ...obj, ...changed }, clock]);
  }
  // References resolve to the objects as this line leaves them: as they were when it was written.
  for (const [id, obj] of line.objects) if (obj.object === 'event') world.objects.set(id, [resolveEvent(world.objects, obj), world.objects.get(id)![1]]);
  for (const id of line.gone) world.objects.delete(id);
  for (const entry of line.facts) world.facts.set(entry[0], entry);
  for (const key of line.unfacts) world.facts.delete(key);
  for (const [key, entry] of line.idem) world.idempotency.set(key, resolveEntry(world.objects, entry));
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

/** The accounts kept in `dir`, as the snapshot and the journals from the one it names (through `through`) leave them; `generation`: the last journal read. */
export function readData(dir: string, through = Infinity): { generation: number; accounts: AccountState[] } {
  const snapshot = readSnapshot(dir);
  const { generation } = snapshot;
  const accounts = new Map<string, LoadingAccount>();
  for (const a of snapshot.accounts) accounts.set(a.world.key, { keys: a.keys, keyStream: a.keyStream, world: loading(a.world) });
  const worlds = new Map<string, Loading>();
  const index = () => {
    worlds.clear();
    for (const a of accounts.values()) for (const w of [a.world, ...a.world.connected]) worlds.set(w.state.key, w);
  };
  index();
  let last = generation;
  for (let journal = generation; journal <= through && fs.existsSync(journalFile(dir, journal)); journal++) {
    last = journal;
    forEachLine(journalFile(dir, journal), applyLine);
  }
  return { generation: last, accounts: [...accounts.values()].map((a) => ({ keys: a.keys, keyStream: a.keyStream, world: loaded(a.world) })) };

  function applyLine(raw: string): void {
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
}
