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

/** Work waiting for a clock to reach `at`. */
export interface Task {
  at: number;
  seq: number;
  run: (ctx: Ctx) => void;
  /** Set when the transaction that scheduled it rolled back (the heap drops it lazily). */
  cancelled?: boolean;
}

/** One clock's scheduled work: a binary heap on (at, seq); ties run in scheduling order. */
export class Schedule {
  private readonly heap: Task[] = [];
  private seq = 0;
  /** Tasks neither run nor cancelled. */
  live = 0;

  add(at: number, run: (ctx: Ctx) => void): Task {
    const task: Task = { at, seq: this.seq++, run };
    this.push(task);
    return task;
  }

  /** Puts back a task taken in a transaction that rolled back. */
  push(task: Task): void {
    heapPush(this.heap, task);
    this.live++;
  }

  /** The earliest live task due at or before `time`, taken off the schedule. */
  takeDue(time: number): Task | undefined {
    while (this.heap.length && this.heap[0].at <= time) {
      const task = heapPop(this.heap)!;
      if (task.cancelled) continue;
      this.live--;
      return task;
    }
    return undefined;
  }

  cancel(task: Task): void {
    task.cancelled = true;
    this.live--;
  }
}

/** The account's clock: the twin's time source plus the account's own advances. */
export class AccountClock implements Clock {
  readonly id = null;
  readonly schedule = new Schedule();

  constructor(readonly now: () => number) {}
}

/** A test clock (`clock_…`): frozen at `time` until advanced; its schedule runs only when it is. */
export class TestClock implements Clock {
  readonly schedule = new Schedule();

  constructor(
    readonly id: string,
    /** Its frozen time, Unix seconds; only World.advanceTestClock moves it. */
    public time: number,
  ) {}

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

/** Runs `run` once the context's clock reaches `at`. */
export function scheduleIn(ctx: Ctx, at: number, run: (ctx: Ctx) => void): void {
  ctx.world.schedule(at, run, clockOf(ctx));
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
