import { wildcard } from '../../src/engine/list';
import { Twin } from '../../src/engine/twin';
import { Ctx, declareIndex, World } from '../../src/engine/world';

// The structures that keep costs flat as a world grows: the linear wildcard,
// declared indexes (candidate lists that readers recheck), the created span and
// the scheduled-work heap.

const ctxOf = (twin: Twin, key = 'sk_test_unit'): Ctx => {
  const world = twin.world(key);
  return { world, requestId: 'req_unit', idempotencyKey: null, apiVersion: world.config.defaultApiVersion };
};

declareIndex('widget', 'colour');

describe('wildcard', () => {
  it('matches * as any run of characters and everything else literally', () => {
    const cases: [string, string, boolean][] = [
      ['charge.*', 'charge.succeeded', true],
      ['charge.*', 'charge.dispute.created', true],
      ['charge.*', 'payment_intent.succeeded', false],
      ['*.created', 'customer.created', true],
      ['*.created', 'customer.created.x', false],
      ['*', '', true],
      ['a*a', 'a', false],
      ['a*a', 'aa', true],
      ['a*b*c', 'axxbyyc', true],
      ['a*b*c', 'acb', false],
      ['*ab*ab*', 'xabab', true],
      ['*ab*ab*', 'xab', false],
      ['charge.succeeded', 'charge.succeeded', true],
      ['charge.succeeded', 'charge.succeededx', false],
      ['a.c', 'abc', false],
      ['(x)+', '(x)+', true],
    ];
    for (const [pattern, name, expected] of cases) expect([pattern, name, wildcard(pattern).test(name)]).toEqual([pattern, name, expected]);
  });

  it('answers a pattern of many stars against a long name at once (a backtracking regex took seconds per event)', () => {
    // 16 stars and a 5-event world took 16 s with the regex; 60 stars would never end.
    const pattern = `${'*'.repeat(60)}Z`;
    const name = 'payment_intent.amount_capturable_updated'.repeat(50);
    expect(wildcard(pattern).test(name)).toBe(false);
    expect(wildcard(pattern).test(`${name}Z`)).toBe(true);
  });
});

describe('indexes', () => {
  const widget = (world: World, id: string, colour: string | null, created = world.now()) =>
    world.insert({ id, object: 'widget', created, colour });

  it('lists each object under its key, lists it again when its value changes, and keeps positions in creation order', () => {
    const { world } = ctxOf(new Twin());
    widget(world, 'w_1', 'Red');
    widget(world, 'w_2', 'blue');
    widget(world, 'w_3', 'red');
    widget(world, 'w_4', null);
    expect(world.indexed('widget', 'colour', 'red')).toEqual([0, 2]);
    expect(world.indexed('widget', 'colour', 'blue')).toEqual([1]);
    world.update(world.get('w_2')!, { colour: 'red' });
    // A candidate list: w_2 joins red in order; blue keeps it until read (readers recheck).
    expect(world.indexed('widget', 'colour', 'red')).toEqual([0, 1, 2]);
    expect(world.indexed('widget', 'colour', 'blue')).toEqual([1]);
    world.update(world.get('w_2')!, { colour: 'blue' });
    world.update(world.get('w_2')!, { colour: 'red' });
    expect(world.indexed('widget', 'colour', 'red')).toEqual([0, 1, 2]); // never twice
    expect([...world.indexKeys('widget', 'colour')].sort()).toEqual(['blue', 'red']);
  });

  it('does not list a rolled-back insert twice when its position is reused', () => {
    const { world } = ctxOf(new Twin());
    widget(world, 'w_1', 'red');
    expect(() =>
      world.transaction(() => {
        widget(world, 'w_2', 'red');
        throw new Error('bug');
      }),
    ).toThrow('bug');
    widget(world, 'w_3', 'red');
    expect(world.indexed('widget', 'colour', 'red')).toEqual([0, 1]);
    expect(world.at('widget', 1).id).toBe('w_3');
  });

  it('finds a created range by binary search, and gives up (scan) once created stops rising', () => {
    const { world } = ctxOf(new Twin());
    for (let i = 0; i < 10; i++) widget(world, `w_${i}`, 'red', 100 + 10 * i);
    expect(world.createdSpan('widget', 120, 150)).toEqual({ from: 2, to: 5 });
    expect(world.createdSpan('widget', 121, 149)).toEqual({ from: 3, to: 4 });
    expect(world.createdSpan('widget', 500, 600)).toEqual({ from: 10, to: 9 });
    widget(world, 'w_late', 'red', 50);
    expect(world.createdSpan('widget', 120, 150)).toBeNull();
  });
});

describe('scheduled work', () => {
  it('runs tasks in time order, ties in scheduling order, and drops those of a rolled-back transaction', () => {
    const ctx = ctxOf(new Twin());
    const { world } = ctx;
    const ran: string[] = [];
    const at = (dt: number, name: string) => world.schedule(world.now() + dt, () => void ran.push(name));
    at(30, 'c');
    at(10, 'a1');
    at(20, 'b');
    at(10, 'a2');
    expect(() =>
      world.transaction(() => {
        at(15, 'rolled back');
        throw new Error('bug');
      }),
    ).toThrow('bug');
    at(5, 'first');
    expect(world.pendingTasks()).toBe(5);
    world.advance(20, ctx);
    expect(ran).toEqual(['first', 'a1', 'a2', 'b']);
    expect(world.pendingTasks()).toBe(1);
    world.advance(100, ctx);
    expect(ran).toEqual(['first', 'a1', 'a2', 'b', 'c']);
    expect(world.pendingTasks()).toBe(0);
  });

  it('keeps thousands of pending tasks in order', () => {
    const ctx = ctxOf(new Twin());
    const { world } = ctx;
    const ran: number[] = [];
    // A fixed shuffle of 5,000 times.
    const times = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    for (const t of times) world.schedule(world.now() + 1 + t, () => void ran.push(t));
    world.advance(10_000, ctx);
    expect(ran).toEqual([...times].sort((a, b) => a - b));
  });
});
