import type { Ctx } from './world';

// Clock scopes within an account (docs/billing.md §6): the account's own
// clock, and test clocks, each frozen at its own time until advanced. An object
// attached to a test clock (a customer and everything hanging off it) lives on
// that clock's time: work done for it runs with `ctx.clock` set to the test
// clock, so the objects and events it creates are dated by it, and the work it
// schedules waits in that clock's schedule. Advancing a test clock runs only its
// own due work and moves nothing else; advancing the account clock leaves test
// clocks where they are.

/** A clock scope: the account's clock (`id` null) or one of its test clocks. */
export interface Clock {
  readonly id: string | null;
  now(): number;
}

/**
 * Work waiting for a clock to reach `at`: a declared task's name and its
 * arguments, plain data (JSON), so a world's schedules can be saved and restored
 * (docs/durability.md).
 */
export interface Task {
  at: number;
  seq: number;
  name: string;
  args: unknown;
  /** Set when the transaction that scheduled it rolled back (the heap drops it lazily). */
  cancelled?: boolean;
  /** Set once taken off the schedule to run (cleared when a rollback puts it back). */
  taken?: boolean;
}

/** What a declared task does once due, given its context and its arguments. */
export type TaskRun<A> = (ctx: Ctx, args: A) => void;

/** A declared task (declareTask): scheduled by it, with arguments of type `A`. */
export interface TaskType<A> {
  readonly name: string;
  /** Never set: carries `A` for scheduleIn's type check. */
  readonly args?: A;
}

const TASKS = new Map<string, TaskRun<any>>();

/**
 * Declares scheduled work by name, at module load (like resources and indexes):
 * what is scheduled is the name and JSON arguments, never a closure, so the
 * world's state stays plain data.
 */
export function declareTask<A>(name: string, run: TaskRun<A>): TaskType<A> {
  if (TASKS.has(name)) throw new Error(`task ${name} is declared twice`);
  TASKS.set(name, run);
  return { name };
}

/** Runs a due task with its declared work. */
export function runTask(task: Task, ctx: Ctx): void {
  const run = TASKS.get(task.name);
  if (!run) throw new Error(`no task declared as ${task.name}`);
  run(ctx, task.args);
}

/** One clock's scheduled work: a binary heap on (at, seq); ties run in scheduling order. */
export class Schedule {
  private readonly heap: Task[] = [];
  private seq = 0;
  /** Tasks neither run nor cancelled. */
  live = 0;

  constructor(
    /** The test clock it belongs to; null for the account's clock. */
    readonly clock: string | null,
  ) {}

  add(at: number, name: string, args: unknown): Task {
    const task: Task = { at, seq: this.seq++, name, args };
    this.push(task);
    return task;
  }

  /** Puts back a task taken in a transaction that rolled back. */
  push(task: Task): void {
    task.taken = false;
    heapPush(this.heap, task);
    this.live++;
  }

  /** The earliest live task due at or before `time`, taken off the schedule. */
  takeDue(time: number): Task | undefined {
    while (this.heap.length && this.heap[0].at <= time) {
      const task = heapPop(this.heap)!;
      if (task.cancelled) continue;
      task.taken = true;
      this.live--;
      return task;
    }
    return undefined;
  }

  cancel(task: Task): void {
    task.cancelled = true;
    this.live--;
  }

  /** The sequence number the next task gets. */
  get nextSeq(): number {
    return this.seq;
  }

  /** The work waiting, as plain data (in no particular order), and the next sequence number. */
  get state(): ScheduleState {
    return { seq: this.seq, tasks: this.heap.filter((t) => !t.cancelled).map(({ at, seq, name, args }) => ({ at, seq, name, args })) };
  }

  set state(state: ScheduleState) {
    this.heap.length = 0;
    this.live = 0;
    this.seq = state.seq;
    for (const { at, seq, name, args } of state.tasks) this.push({ at, seq, name, args });
  }
}

export interface ScheduleState {
  seq: number;
  tasks: { at: number; seq: number; name: string; args: unknown }[];
}

/** The account's clock: the twin's time source plus the account's own advances. */
export class AccountClock implements Clock {
  readonly id = null;
  readonly schedule = new Schedule(null);

  constructor(readonly now: () => number) {}
}

/** A test clock (`clock_…`): frozen at `time` until advanced; its schedule runs only when it is. */
export class TestClock implements Clock {
  readonly schedule: Schedule;

  constructor(
    readonly id: string,
    /** Its frozen time, Unix seconds; only World.advanceTestClock moves it. */
    public time: number,
  ) {
    this.schedule = new Schedule(id);
  }

  now(): number {
    return this.time;
  }
}

/** The clock a context's work runs on: its test clock, else the account's. */
export function clockOf(ctx: Ctx): Clock {
  return ctx.clock ?? ctx.world.clock;
}

/** The time of a context's clock: what objects and events it creates are dated. */
export function nowIn(ctx: Ctx): number {
  return (ctx.clock ?? ctx.world.clock).now();
}

/** The test clock a context's objects are made on (World.insert keeps them by it); null for the account's. */
export function scopeOf(ctx: Ctx): string | null {
  return ctx.clock?.id ?? null;
}

/** Runs the declared `task` with `args` once the context's clock reaches `at`. */
export function scheduleIn<A>(ctx: Ctx, at: number, task: TaskType<A>, args: A): void {
  ctx.world.schedule(at, task, args, clockOf(ctx));
}

/** The same work on a test clock's time (an object attached to it). */
export function inClock(ctx: Ctx, clock: TestClock): Ctx {
  return { ...ctx, clock };
}

/** The same work on test clock `id` (an object attached to it carries its id), or `ctx` when there is no such clock. */
export function onTestClock(ctx: Ctx, id: string | null | undefined): Ctx {
  if (!id || ctx.clock?.id === id) return ctx;
  const clock = ctx.world.testClock(id);
  return clock ? inClock(ctx, clock) : ctx;
}

const before = (a: Task, b: Task) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

function heapPush(heap: Task[], task: Task): void {
  let i = heap.push(task) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i], heap[parent])) break;
    [heap[i], heap[parent]] = [heap[parent], heap[i]];
    i = parent;
  }
}

function heapPop(heap: Task[]): Task | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length && last) {
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && before(heap[l], heap[min])) min = l;
      if (r < heap.length && before(heap[r], heap[min])) min = r;
      if (min === i) break;
      [heap[i], heap[min]] = [heap[min], heap[i]];
      i = min;
    }
  }
  return top;
}
