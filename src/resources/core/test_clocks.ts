import { nowIn } from '../../engine/clock';
import { emit } from '../../engine/events';
import { errors } from '../../engine/errors';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, route, Shaped } from '../../engine/resource';
import { Ctx } from '../../engine/world';

// Test clocks (docs/billing.md §6; Stripe's types for the shape): a
// `test_helpers.test_clock` object over the engine's TestClock (src/engine/clock.ts),
// which keeps the frozen time and the clock's scheduled work. Customers are
// attached at creation (`test_clock` on POST /v1/customers: ./customers.ts) and
// everything done for them runs on the clock. Advancing is synchronous: the
// response looks like Stripe's (`advancing`), while the stored clock is already
// `ready`. Stripe's caps are lifted: no limit on how far one advance goes (Stripe:
// two intervals of the shortest subscription, or two years) nor on customers per clock.

export type TestClockObject = Shaped<'test_helpers.test_clock'>;

/** Seconds from creation to `deletes_after`: 7 days, as in the example of Stripe's API reference (the lifetime is the twin's choice). */
const LIFETIME = 7 * 86400;

/** The last second any timestamp may reach (9999-12-31T23:59:59Z). */
const MAX_TIME = 253402300799;

/** Twin's text (unverified): Stripe's answer to a time out of range is not recorded. */
const timeOutOfRange = (value: number) =>
  errors.paramState(`Invalid frozen_time: ${value} must be a Unix timestamp between 0 and ${MAX_TIME}.`, 'frozen_time');

function createTestClock(ctx: Ctx, params: Params): TestClockObject {
  const frozen = params.frozen_time as number;
  if (frozen < 0 || frozen > MAX_TIME) throw timeOutOfRange(frozen);
  const id = testClocks.newId(ctx);
  const created = nowIn(ctx);
  ctx.world.addTestClock(id, frozen);
  return testClocks.insert(ctx, params, { id, created, deletes_after: created + LIFETIME, frozen_time: frozen, name: params.name ?? null });
}

/**
 * Moves a test clock to `frozen_time`: `test_helpers.test_clock.advancing`, then
 * everything due on the clock in time order (each task at its own time, so what
 * it makes is dated by the clock; request.id null), then the clock is `ready` at
 * the new time and `test_helpers.test_clock.ready` is emitted. Returns what
 * Stripe's advance answers: the clock still at its old frozen time, `advancing`
 * towards the new one.
 */
export function advanceTestClock(ctx: Ctx, current: TestClockObject, frozen: number): TestClockObject {
  const clock = ctx.world.testClock(current.id)!;
  if (frozen <= clock.now()) {
    // Twin's text (unverified); Stripe's types say the time "must be after the test clock's current frozen time".
    throw errors.paramState(`The frozen_time ${frozen} must be after the test clock's current frozen_time (${clock.now()}).`, 'frozen_time');
  }
  if (frozen > MAX_TIME) throw timeOutOfRange(frozen);
  const advancing = ctx.world.replace<TestClockObject>({ ...current, status: 'advancing', status_details: { advancing: { target_frozen_time: frozen } } });
  emit(ctx, 'test_helpers.test_clock.advancing', advancing);
  ctx.world.advanceTestClock(clock, frozen, ctx);
  const ready = ctx.world.replace<TestClockObject>({ ...ctx.world.get<TestClockObject>(current.id)!, frozen_time: frozen, status: 'ready', status_details: EMPTY });
  // Stripe finishes an advance on its own, after the call: the event names no request (twin's reading of "request.id is null for clock advances").
  emit({ ...ctx, requestId: null, idempotencyKey: null }, 'test_helpers.test_clock.ready', ready);
  return advancing;
}

export const testClocks = defineResource<'test_helpers.test_clock', TestClockObject>({
  object: 'test_helpers.test_clock',
  prefix: 'clock',
  path: '/v1/test_helpers/test_clocks',
  // Stripe's resource_missing names the clock by its internal name (see errors.testClockMissing).
  name: 'billingclock',
  create: createTestClock,
  defaults: { status: 'ready', status_details: EMPTY },
  // The clock's own events are dated by the account's clock (the clock object is not on itself).
  events: { created: 'test_helpers.test_clock.created', deleted: 'test_helpers.test_clock.deleted' },
  // Deleting a clock deletes what lives on it: its customers react to the deleted
  // event (./customers.ts), and what hangs off them to customer.deleted. The clock
  // leaves the world last, with its scheduled work, which can then never run.
  delete: {
    retrievable: false,
    response: 'deleted_test_helpers.test_clock',
    after: (ctx, deleted) => ctx.world.removeTestClock(ctx.world.testClock(deleted.id)!),
  },
}).with(
  route('POST', '/v1/test_helpers/test_clocks/{test_clock}/advance', 'test_helpers.test_clock', (ctx, params, path) =>
    advanceTestClock(ctx, testClocks.find(ctx, path.test_clock), params.frozen_time),
  ),
);
