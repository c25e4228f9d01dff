import { createTwin } from '../../src';
import { clockOf, inClock, nowIn, scheduleIn } from '../../src/engine/clock';
import { emit } from '../../src/engine/events';
import { Twin } from '../../src/engine/twin';
import { Ctx } from '../../src/engine/world';
import { Customer, customers, onCustomerClock, saveCustomer } from '../../src/resources/core/customers';
import { call } from '../test_tasks';

// Clock scopes (src/engine/clock.ts): the account's clock and its test clocks.

const START = 1767225600;
const ctxOf = (twin = new Twin(), key = 'sk_test_clocks'): Ctx => {
  const world = twin.world(key);
  return { world, requestId: 'req_unit', idempotencyKey: null, apiVersion: world.config.defaultApiVersion };
};

describe('clock scopes', () => {
  it('runs a task scheduled on a test clock when that clock advances, never when the account clock does', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    const clock = world.addTestClock('clock_a', START - 86400);
    const ran: string[] = [];
    scheduleIn(inClock(ctx, clock), START - 86400 + 60, ...call((later) => ran.push(`clock at ${nowIn(later)}`)));
    world.schedule(world.now() + 60, ...call((later) => ran.push(`account at ${nowIn(later)}`)));
    expect(clock.schedule.live).toBe(1);
    expect(world.pendingTasks()).toBe(1);

    world.advance(3600, ctx);
    expect(ran).toEqual([`account at ${START + 60}`]); // run at its own time on the way, as on a test clock
    expect(world.now()).toBe(START + 3600);
    expect(clock.now()).toBe(START - 86400); // frozen, as Stripe's test clocks are
    expect(clock.schedule.live).toBe(1);

    world.advanceTestClock(clock, START - 86400 + 120, ctx);
    expect(ran).toEqual([`account at ${START + 60}`, `clock at ${START - 86400 + 60}`]);
    expect(clock.now()).toBe(START - 86400 + 120);
    expect(world.now()).toBe(START + 3600); // the account clock did not move
  });

  it('runs a test clock\'s due work in time order, each task at its own time, and work it schedules stays on that clock', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    const other = world.addTestClock('clock_other', START);
    const clock = world.addTestClock('clock_b', START);
    const scoped = inClock(ctx, clock);
    const ran: [string, number][] = [];
    scheduleIn(scoped, START + 300, ...call((later) => {
      ran.push(['renewal', nowIn(later)]);
      expect(clockOf(later)).toBe(clock);
      expect(later.requestId).toBeNull();
      scheduleIn(later, nowIn(later) + 3600, ...call((again) => ran.push(['an hour later', nowIn(again)])));
    }));
    scheduleIn(scoped, START + 100, ...call((later) => ran.push(['first', nowIn(later)])));
    scheduleIn(inClock(ctx, other), START + 50, ...call(() => ran.push(['other clock', 0])));

    world.advanceTestClock(clock, START + 86400, ctx);
    expect(ran).toEqual([
      ['first', START + 100],
      ['renewal', START + 300],
      ['an hour later', START + 3900],
    ]);
    expect(clock.now()).toBe(START + 86400);
    expect(other.now()).toBe(START);
    expect(other.schedule.live).toBe(1);
    expect(world.now()).toBe(START);
  });

  it('dates objects and events created in a test clock scope by that clock', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    world.advance(500, ctx);
    const clock = world.addTestClock('clock_c', START - 7 * 86400);
    const scoped = inClock(ctx, clock);
    const onClock = world.transaction(() => customers.insert(scoped, {}));
    const onAccount = world.transaction(() => customers.insert(ctx, {}));
    expect(onClock.created).toBe(START - 7 * 86400);
    expect(onAccount.created).toBe(START + 500);
    const created = (id: string) => world.idsOf('event').map((e) => world.get(e)!).find((e) => e.data.object.id === id)!;
    expect(created(onClock.id).created).toBe(START - 7 * 86400);
    expect(created(onAccount.id).created).toBe(START + 500);

    scheduleIn(scoped, START - 7 * 86400 + 30, ...call((later) => void emit(later, 'customer.updated', world.get(onClock.id)!)));
    world.advanceTestClock(clock, START - 6 * 86400, ctx);
    const events = world.idsOf('event').map((e) => world.get(e)!);
    expect(events[events.length - 1]).toMatchObject({ type: 'customer.updated', created: START - 7 * 86400 + 30, request: { id: null, idempotency_key: null } });
    expect(world.now()).toBe(START + 500);
  });

  it('undoes test-clock work scheduled in a transaction that rolls back, and a test clock added in it', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    const clock = world.addTestClock('clock_d', START);
    const ran: string[] = [];
    expect(() =>
      world.transaction(() => {
        scheduleIn(inClock(ctx, clock), START + 10, ...call(() => ran.push('rolled back')));
        world.addTestClock('clock_e', START);
        throw new Error('bug');
      }),
    ).toThrow('bug');
    expect(clock.schedule.live).toBe(0);
    expect(world.testClock('clock_e')).toBeUndefined();
    scheduleIn(inClock(ctx, clock), START + 20, ...call(() => ran.push('kept')));
    world.advanceTestClock(clock, START + 60, ctx);
    expect(ran).toEqual(['kept']);
  });

  it('puts back the time and the work of a test-clock advance made in a transaction that rolls back', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    const clock = world.addTestClock('clock_f', START);
    scheduleIn(inClock(ctx, clock), START + 10, ...call((later) => void customers.insert(later, {})));
    expect(() =>
      world.transaction(() => {
        world.advanceTestClock(clock, START + 60, ctx);
        expect(world.count('customer')).toBe(1);
        throw new Error('bug');
      }),
    ).toThrow('bug');
    expect(clock.now()).toBe(START);
    expect(world.count('customer')).toBe(0);
    expect(clock.schedule.live).toBe(1);
    world.advanceTestClock(clock, START + 60, ctx);
    expect(world.count('customer')).toBe(1);
    expect(clock.schedule.live).toBe(0);
  });

  it('refuses a clock moved backwards, past year 9999, or belonging to another account', () => {
    const twin = new Twin();
    const ctx = ctxOf(twin);
    const { world } = ctx;
    const clock = world.addTestClock('clock_g', START);
    expect(() => world.advanceTestClock(clock, START - 1, ctx)).toThrow('only moves forward');
    expect(() => world.advanceTestClock(clock, 253402300800, ctx)).toThrow('cannot advance');
    expect(() => world.addTestClock('clock_g', START)).toThrow('duplicate');
    expect(() => world.addTestClock('clock_h', 1.5)).toThrow();
    const elsewhere = twin.world('sk_test_elsewhere');
    expect(() => elsewhere.advanceTestClock(clock, START + 1, ctx)).toThrow('not one of this account');
    expect(() => elsewhere.schedule(START + 1, ...call(() => undefined), clock)).toThrow('not one of this account');
    expect(clock.now()).toBe(START);
  });
});

describe('resources on a test clock', () => {
  it('an authorization made on a test clock expires when that clock passes seven days, not when the account clock does', async () => {
    const { createPaymentIntent } = await import('../../src/resources/payments/payment_intents');
    const ctx = ctxOf(new Twin(), 'sk_test_clock_resources');
    const { world } = ctx;
    const clock = world.addTestClock('clock_pi', START);
    const scoped = inClock(ctx, clock);
    const pi = world.transaction(() =>
      createPaymentIntent(scoped, { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, capture_method: 'manual', payment_method_types: ['card'] }),
    );
    expect(pi.status).toBe('requires_capture');
    world.advance(8 * 86400, ctx);
    expect(world.get(pi.id)!.status).toBe('requires_capture');
    world.advanceTestClock(clock, START + 8 * 86400, ctx);
    const expired = world.get(pi.id)!;
    expect(expired).toMatchObject({ status: 'canceled', cancellation_reason: 'automatic', canceled_at: START + 7 * 86400 });
    const canceled = world.idsOf('event').map((id) => world.get(id)!).find((e) => e.type === 'payment_intent.canceled')!;
    expect(canceled.created).toBe(START + 7 * 86400);
  });
});

describe('work for a customer on a test clock (clocks and customers through the API, the work through the engine)', () => {
  const DAY = 86400;
  const setUp = async (key: string) => {
    const twin = createTwin();
    const stripe = twin.stripe(key);
    const world = twin.engine.world(key);
    const ctx = ctxOf(twin.engine, key);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    // A small observable effect: the customer's metadata records when each step ran.
    const step = (label: string, at: number) =>
      world.transaction(() =>
        scheduleIn(onCustomerClock(ctx, customer.id), at, ...call((later) => {
          const current = world.get<Customer>(customer.id)!;
          saveCustomer(later, current, { ...current, metadata: { ...current.metadata, [label]: String(nowIn(later)) } });
        })),
      );
    return { stripe, world, ctx, clock, customer, step };
  };

  it('runs only when the clock advances, in time order, each step dated by the clock', async () => {
    const { stripe, world, ctx, clock, customer, step } = await setUp('sk_test_clock_work');
    step('second', START + 2 * DAY);
    step('first', START + DAY);
    step('third', START + 3 * DAY);
    expect(world.testClock(clock.id)!.schedule.live).toBe(3);
    expect(onCustomerClock(ctx, customer.id).clock).toBe(world.testClock(clock.id));
    expect(onCustomerClock(ctx, { test_clock: null })).toBe(ctx);

    world.advance(10 * DAY, ctx); // the account's clock: nothing of the test clock's runs
    expect((await stripe.customers.retrieve(customer.id) as Customer).metadata).toEqual({});

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 2 * DAY + 1 });
    expect((await stripe.customers.retrieve(customer.id) as Customer).metadata).toEqual({ first: String(START + DAY), second: String(START + 2 * DAY) });
    const log = (await stripe.events.list({ limit: 100 })).data.reverse().slice(-4);
    expect(log.map((e) => [e.type, e.created, e.request?.id ?? null])).toEqual([
      ['test_helpers.test_clock.advancing', START + 10 * DAY, expect.stringMatching(/^req_/)],
      ['customer.updated', START + DAY, null],
      ['customer.updated', START + 2 * DAY, null],
      ['test_helpers.test_clock.ready', START + 10 * DAY, null],
    ]);

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 4 * DAY });
    expect((await stripe.customers.retrieve(customer.id) as Customer).metadata).toMatchObject({ third: String(START + 3 * DAY) });
    expect(world.testClock(clock.id)!.schedule.live).toBe(0);
  });

  it("drops a deleted clock's work: it never runs, and nothing more can be scheduled on the clock", async () => {
    const { stripe, world, ctx, clock, customer, step } = await setUp('sk_test_clock_dropped');
    step('never', START + DAY);
    const engineClock = world.testClock(clock.id)!;
    await stripe.testHelpers.testClocks.del(clock.id);
    expect(world.testClock(clock.id)).toBeUndefined();
    expect(() => world.advanceTestClock(engineClock, START + 2 * DAY, ctx)).toThrow('not one of this account');
    // With its clock gone, work for the (deleted) customer falls back to the account's clock.
    expect(onCustomerClock(ctx, { test_clock: clock.id })).toBe(ctx);
    expect(() => world.schedule(START + DAY, ...call(() => undefined), engineClock)).toThrow('not one of this account');
    expect(await stripe.customers.retrieve(customer.id)).toEqual({ id: customer.id, object: 'customer', deleted: true });
  });

  it('puts back a test clock removed in a transaction that rolls back', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    const clock = world.addTestClock('clock_kept', START);
    expect(() =>
      world.transaction(() => {
        world.removeTestClock(clock);
        expect(world.testClock('clock_kept')).toBeUndefined();
        throw new Error('bug');
      }),
    ).toThrow('bug');
    expect(world.testClock('clock_kept')).toBe(clock);
  });
});
