import Stripe from 'stripe';
import { World } from '../../src/engine/world';
import { MODES, stripeError, useHarness } from '../helpers';

// Test clocks and the customers living on them (src/resources/core/test_clocks.ts,
// customers.ts), through the SDK in both faces.

const NOW = 1767225600; // the harness's world time: 2026-01-01T00:00:00Z, frozen
const PAST = 1735689600; // 2025-01-01T00:00:00Z
const DAY = 86400;

describe.each(MODES)('test clocks (%s)', (mode) => {
  const t = useHarness(mode);
  const events = async (type?: string) => (await t.stripe.events.list({ limit: 100, ...(type ? { type } : {}) })).data.reverse();
  const ids = (list: { data: { id: string }[] }) => list.data.map((o) => o.id);
  const idOf = (e: Stripe.Event) => (e.data.object as { id: string }).id;

  it('creates a clock with the package shape and announces it; retrieve, list, and a missing clock as Stripe names it', async () => {
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: PAST, name: 'Renewals' });
    expect(Object.keys(clock)).toEqual(['id', 'object', 'created', 'deletes_after', 'frozen_time', 'livemode', 'name', 'status', 'status_details']);
    expect(clock).toEqual({
      id: clock.id, object: 'test_helpers.test_clock', created: NOW, deletes_after: NOW + 7 * DAY, frozen_time: PAST,
      livemode: false, name: 'Renewals', status: 'ready', status_details: {},
    });
    expect(clock.id).toMatch(/^clock_1[A-Za-z0-9]{23}$/);
    const [created] = await events('test_helpers.test_clock.created');
    expect(created).toMatchObject({ created: NOW, data: { object: clock } });
    expect(await t.stripe.testHelpers.testClocks.retrieve(clock.id)).toEqual(clock);

    const unnamed = await t.stripe.testHelpers.testClocks.create({ frozen_time: NOW + 30 * DAY });
    expect(unnamed).toMatchObject({ name: null, frozen_time: NOW + 30 * DAY });
    expect(ids(await t.stripe.testHelpers.testClocks.list())).toEqual([unnamed.id, clock.id]);
    expect(ids(await t.stripe.testHelpers.testClocks.list({ limit: 1, starting_after: unnamed.id }))).toEqual([clock.id]);

    expect(await stripeError(t.stripe.testHelpers.testClocks.retrieve('clock_missing'))).toMatchObject({
      statusCode: 404, code: 'resource_missing', param: 'id', message: "No such billingclock: 'clock_missing'",
    });
    expect(await stripeError(t.stripe.testHelpers.testClocks.create({} as never))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'frozen_time' });
    expect(await stripeError(t.stripe.testHelpers.testClocks.create({ frozen_time: -1 }))).toMatchObject({ statusCode: 400, param: 'frozen_time' });
  });

  it('advances: answers `advancing` toward the new time, stores `ready` at it; created → advancing → ready; refuses a time not after the frozen one', async () => {
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: PAST });
    for (const frozen_time of [PAST, PAST - 1]) {
      expect(await stripeError(t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time }))).toMatchObject({
        statusCode: 400, type: 'StripeInvalidRequestError', param: 'frozen_time',
      });
    }
    const advanced = await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: PAST + DAY });
    expect(advanced).toEqual({ ...clock, status: 'advancing', status_details: { advancing: { target_frozen_time: PAST + DAY } } });
    const requestId = advanced.lastResponse.requestId;
    const ready = await t.stripe.testHelpers.testClocks.retrieve(clock.id);
    expect(ready).toEqual({ ...clock, frozen_time: PAST + DAY, status: 'ready', status_details: {} });

    const announced = await events('test_helpers.test_clock.*');
    expect(announced.map((e) => [e.type, e.created, e.request?.id ?? null])).toEqual([
      ['test_helpers.test_clock.created', NOW, expect.stringMatching(/^req_/)],
      ['test_helpers.test_clock.advancing', NOW, requestId],
      // Stripe finishes an advance on its own: the ready event names no request.
      ['test_helpers.test_clock.ready', NOW, null],
    ]);
    expect(announced[1].data.object).toEqual(advanced);
    expect(announced[2].data.object).toEqual(ready);

    // Stripe's caps (two years, or two intervals of the shortest subscription) are lifted.
    const far = PAST + 5 * 365 * DAY;
    await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: far });
    expect(await t.stripe.testHelpers.testClocks.retrieve(clock.id)).toMatchObject({ frozen_time: far, status: 'ready' });
    expect(await stripeError(t.stripe.testHelpers.testClocks.advance('clock_missing', { frozen_time: far + 1 }))).toMatchObject({
      statusCode: 404, message: "No such billingclock: 'clock_missing'",
    });
  });

  it('a customer on a clock is dated by it, carries test_clock for good, and is listed only with test_clock=', async () => {
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: PAST });
    const plain = await t.stripe.customers.create({ email: 'plain@example.com' });
    const onClock = await t.stripe.customers.create({ email: 'clock@example.com', test_clock: clock.id });
    expect(onClock).toMatchObject({ created: PAST, test_clock: clock.id });
    expect(plain.test_clock).toBeNull();
    expect((await events('customer.created')).map((e) => [idOf(e), e.created])).toEqual([[plain.id, NOW], [onClock.id, PAST]]);
    expect((await t.stripe.customers.retrieve(onClock.id, { expand: ['test_clock'] })) as Stripe.Customer).toMatchObject({ test_clock: clock });

    expect(ids(await t.stripe.customers.list())).toEqual([plain.id]);
    expect(ids(await t.stripe.customers.list({ email: 'clock@example.com' }))).toEqual([]);
    expect(ids(await t.stripe.customers.list({ created: { lte: NOW } }))).toEqual([plain.id]);
    expect(ids(await t.stripe.customers.list({ test_clock: clock.id }))).toEqual([onClock.id]);
    expect(ids(await t.stripe.customers.list({ test_clock: clock.id, created: { lte: PAST } }))).toEqual([onClock.id]);
    expect(ids(await t.stripe.customers.list({ test_clock: clock.id, email: 'plain@example.com' }))).toEqual([]);
    const other = await t.stripe.testHelpers.testClocks.create({ frozen_time: NOW });
    expect(ids(await t.stripe.customers.list({ test_clock: other.id }))).toEqual([]);

    // Changes to it are dated by its clock, wherever it stands.
    await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: PAST + 3 * DAY });
    await t.stripe.customers.update(onClock.id, { name: 'Moved on' });
    expect((await events('customer.updated')).map((e) => e.created)).toEqual([PAST + 3 * DAY]);
    expect(await stripeError(t.stripe.customers.update(onClock.id, { test_clock: other.id } as never))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'test_clock',
    });

    for (const attempt of [t.stripe.customers.create({ test_clock: 'clock_nope' }), t.stripe.customers.list({ test_clock: 'clock_nope' })]) {
      expect(await stripeError(attempt)).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'test_clock', message: "No such billingclock: 'clock_nope'" });
    }
  });

  it('deleting a clock deletes its customers (customer.deleted on the clock) and the clock; nothing else', async () => {
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: PAST });
    const first = await t.stripe.customers.create({ test_clock: clock.id });
    const second = await t.stripe.customers.create({ test_clock: clock.id });
    const plain = await t.stripe.customers.create({});
    await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: PAST + DAY });

    expect(await t.stripe.testHelpers.testClocks.del(clock.id)).toEqual({ id: clock.id, object: 'test_helpers.test_clock', deleted: true });
    const after = (await events()).slice(-3);
    expect(after.map((e) => [e.type, idOf(e), e.created])).toEqual([
      ['test_helpers.test_clock.deleted', clock.id, NOW],
      ['customer.deleted', first.id, PAST + DAY],
      ['customer.deleted', second.id, PAST + DAY],
    ]);
    expect(after[0].data.object).toMatchObject({ id: clock.id, object: 'test_helpers.test_clock', frozen_time: PAST + DAY });
    expect(await t.stripe.customers.retrieve(first.id)).toEqual({ id: first.id, object: 'customer', deleted: true });
    expect(await t.stripe.customers.retrieve(plain.id)).not.toHaveProperty('deleted');
    expect(ids(await t.stripe.customers.list())).toEqual([plain.id]);

    const gone = { statusCode: 404, code: 'resource_missing', message: `No such billingclock: '${clock.id}'` };
    expect(await stripeError(t.stripe.testHelpers.testClocks.retrieve(clock.id))).toMatchObject(gone);
    expect(await stripeError(t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: PAST + 2 * DAY }))).toMatchObject(gone);
    expect(await stripeError(t.stripe.testHelpers.testClocks.del(clock.id))).toMatchObject(gone);
    expect(await stripeError(t.stripe.customers.create({ test_clock: clock.id }))).toMatchObject({ statusCode: 400, param: 'test_clock' });
    expect(await stripeError(t.stripe.customers.list({ test_clock: clock.id }))).toMatchObject({ statusCode: 400, param: 'test_clock' });
    expect(ids(await t.stripe.testHelpers.testClocks.list())).toEqual([]);
  });

  it("reads one clock's customers, or the account's, without visiting the others", async () => {
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: PAST });
    const onClock: string[] = [];
    const plain: string[] = [];
    for (let i = 0; i < 40; i++) {
      plain.push((await t.stripe.customers.create({})).id);
      onClock.push((await t.stripe.customers.create({ test_clock: clock.id })).id);
    }
    const visits = async (fn: () => Promise<{ data: { id: string }[] }>) => {
      const spies = [jest.spyOn(World.prototype, 'at'), jest.spyOn(World.prototype, 'get')];
      try {
        const result = await fn();
        return { ids: ids(result), visited: spies.reduce((n, spy) => n + spy.mock.calls.length, 0) };
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    };
    expect(await visits(() => t.stripe.customers.list({ limit: 3 }))).toEqual({ ids: plain.slice(-3).reverse(), visited: 4 });
    // Customers on a clock frozen a year back break the time order of customers as a
    // whole, not that of each clock's: a range is still a binary search in each.
    expect(await visits(() => t.stripe.customers.list({ limit: 3, created: { lte: NOW } }))).toEqual({ ids: plain.slice(-3).reverse(), visited: 4 });
    expect(await visits(() => t.stripe.customers.list({ created: { lt: NOW } }))).toEqual({ ids: [], visited: 0 });
    expect(await visits(() => t.stripe.customers.list({ test_clock: clock.id, created: { gt: PAST } }))).toEqual({ ids: [], visited: 0 });
    const scoped = await visits(() => t.stripe.customers.list({ limit: 3, test_clock: clock.id }));
    expect(scoped.ids).toEqual(onClock.slice(-3).reverse());
    expect(scoped.visited).toBeLessThanOrEqual(4);
  });
});
