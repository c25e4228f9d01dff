import { clockOf, inClock, nowIn, scheduleIn } from '../../src/engine/clock';
import { emit } from '../../src/engine/events';
import { Twin } from '../../src/engine/twin';
import { Ctx } from '../../src/engine/world';
import { customers } from '../../src/resources/core/customers';

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
    scheduleIn(inClock(ctx, clock), START - 86400 + 60, (later) => ran.push(`clock at ${nowIn(later)}`));
    world.schedule(world.now() + 60, (later) => ran.push(`account at ${nowIn(later)}`));
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
    scheduleIn(scoped, START + 300, (later) => {
      ran.push(['renewal', nowIn(later)]);
      expect(clockOf(later)).toBe(clock);
      expect(later.requestId).toBeNull();
      scheduleIn(later, nowIn(later) + 3600, (again) => ran.push(['an hour later', nowIn(again)]));
    });
    scheduleIn(scoped, START + 100, (later) => ran.push(['first', nowIn(later)]));
    scheduleIn(inClock(ctx, other), START + 50, () => ran.push(['other clock', 0]));

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

    scheduleIn(scoped, START - 7 * 86400 + 30, (later) => void emit(later, 'customer.updated', world.get(onClock.id)!));
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
        scheduleIn(inClock(ctx, clock), START + 10, () => ran.push('rolled back'));
        world.addTestClock('clock_e', START);
        throw new Error('bug');
      }),
    ).toThrow('bug');
    expect(clock.schedule.live).toBe(0);
    expect(world.testClock('clock_e')).toBeUndefined();
    scheduleIn(inClock(ctx, clock), START + 20, () => ran.push('kept'));
    world.advanceTestClock(clock, START + 60, ctx);
    expect(ran).toEqual(['kept']);
  });

  it('puts back the time and the work of a test-clock advance made in a transaction that rolls back', () => {
    const ctx = ctxOf();
    const { world } = ctx;
    const clock = world.addTestClock('clock_f', START);
    scheduleIn(inClock(ctx, clock), START + 10, (later) => void customers.insert(later, {}));
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
    expect(() => elsewhere.schedule(START + 1, () => undefined, clock)).toThrow('not one of this account');
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
