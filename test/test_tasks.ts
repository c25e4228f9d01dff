import { declareTask, TaskType } from '../src/engine/clock';
import { Ctx } from '../src/engine/world';

// Scheduled work for unit tests: the engine schedules declared tasks with JSON
// arguments, never closures (docs/durability.md), so a test's closure is kept
// here and scheduled as the task `test.call` with its index.

const calls: ((ctx: Ctx) => unknown)[] = [];
const CALL = declareTask<number>('test.call', (ctx, i) => void calls[i](ctx));

/** `scheduleIn(ctx, at, ...call((later) => …))`: the declared task and its argument. */
export const call = (run: (ctx: Ctx) => unknown): [TaskType<number>, number] => [CALL, calls.push(run) - 1];
