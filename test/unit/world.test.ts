import { errors } from '../../src/engine/errors';
import { emit, previousAttributes } from '../../src/engine/events';
import { paginate } from '../../src/engine/list';
import { Twin } from '../../src/engine/twin';
import { Ctx } from '../../src/engine/world';
import { call } from '../test_tasks';

const ctxOf = (twin: Twin, key = 'sk_test_unit'): Ctx => {
  const world = twin.world(key);
  return { world, requestId: 'req_unit', idempotencyKey: null, apiVersion: world.config.defaultApiVersion };
};
const obj = (id: string, extra: Record<string, unknown> = {}) => ({ id, object: 'thing', created: 0, ...extra });

describe('world', () => {
  it('rolls back inserts, replacements, facts and tasks when a request fails unexpectedly', () => {
    const ctx = ctxOf(new Twin());
    const { world } = ctx;
    world.insert(obj('th_1', { n: 1 }));
    expect(() =>
      world.transaction(() => {
        world.insert(obj('th_2'));
        world.update(world.get('th_1')!, { n: 2 });
        world.facts.set('f', 1);
        world.schedule(world.now(), ...call(() => undefined));
        throw new Error('bug');
      }),
    ).toThrow('bug');
    expect(world.get('th_2')).toBeUndefined();
    expect(world.get('th_1')!.n).toBe(1);
    expect(world.idsOf('thing')).toEqual(['th_1']);
    expect(world.facts.has('f')).toBe(false);
    expect(world.pendingTasks()).toBe(0);
  });

  it('keeps a frozen record under one fact, absent while empty, and undoes entries set in a failed transaction', () => {
    const { world } = ctxOf(new Twin());
    expect(world.facts.record('r')).toBeUndefined();
    world.facts.setInRecord('r', 'a', 1);
    const first = world.facts.record<number>('r')!;
    expect(first).toEqual({ a: 1 });
    expect(Object.isFrozen(first)).toBe(true);
    expect(() =>
      world.transaction(() => {
        world.facts.setInRecord('r', 'b', 2);
        world.facts.setInRecord('r', 'a', null);
        expect(world.facts.record('r')).toEqual({ b: 2 });
        throw new Error('bug');
      }),
    ).toThrow('bug');
    expect(world.facts.record('r')).toBe(first);
    world.facts.setInRecord('r', 'a', null);
    expect(world.facts.has('r')).toBe(false);
    expect(first).toEqual({ a: 1 });
  });

  it('keeps effects of Stripe errors raised while the endpoint ran, and drops those of validation errors', () => {
    const { world } = ctxOf(new Twin());
    expect(() => world.transaction(() => (world.insert(obj('th_a')), (() => { throw errors.state('declined'); })()))).toThrow();
    expect(world.get('th_a')).toBeDefined();
    expect(() => world.transaction(() => (world.insert(obj('th_b')), (() => { throw errors.parameterMissing('x'); })()))).toThrow();
    expect(world.get('th_b')).toBeUndefined();
  });

  it('runs scheduled work in time order when the clock reaches it', () => {
    const ctx = ctxOf(new Twin({ startTime: 1000 }));
    const { world } = ctx;
    const ran: string[] = [];
    world.schedule(1100, ...call(() => ran.push('b')));
    world.schedule(1050, ...call(() => ran.push('a')));
    world.schedule(5000, ...call(() => ran.push('c')));
    world.runDue(ctx);
    expect(ran).toEqual([]);
    world.advance(200, ctx);
    expect(ran).toEqual(['a', 'b']);
    expect(world.now()).toBe(1200);
    expect(() => world.advance(-1, ctx)).toThrow();
  });

  it('isolates worlds per key and derives the same ids from the same seed', () => {
    const a = new Twin({ seed: 7 });
    const b = new Twin({ seed: 7 });
    expect(a.world('sk_test_x').accountId).toBe(b.world('sk_test_x').accountId);
    expect(a.world('sk_test_x').accountId).not.toBe(a.world('sk_test_y').accountId);
    expect(a.world('sk_test_x').ids.next('pi')).toBe(b.world('sk_test_x').ids.next('pi'));
  });
});

describe('events', () => {
  it('records the request, idempotency key and the account\'s version (not the request\'s), with a data.object snapshot', () => {
    const ctx = { ...ctxOf(new Twin({ config: { defaultApiVersion: '2024-12-18.acacia' } })), idempotencyKey: 'key-1', apiVersion: '2020-08-27' };
    const thing = ctx.world.insert(obj('th_1', { n: 1 }));
    const event = emit(ctx, 'thing.updated', thing, { n: 0 });
    expect(Object.keys(event)).toEqual(['id', 'object', 'api_version', 'created', 'data', 'livemode', 'pending_webhooks', 'request', 'type']);
    expect(event).toMatchObject({ api_version: '2024-12-18.acacia', request: { id: 'req_unit', idempotency_key: 'key-1' }, data: { object: thing, previous_attributes: { n: 0 } } });
  });

  it('lists only changed top-level keys, nested objects whole, and new metadata keys as null', () => {
    const before = obj('x', { name: 'a', address: { city: 'A', line1: 'l' }, metadata: { keep: '1', old: '2' } });
    const after = obj('x', { name: 'b', address: { city: 'B', line1: 'l' }, metadata: { keep: '1', old: '3', order_id: '6735' } });
    expect(previousAttributes(before, after)).toEqual({ name: 'a', address: { city: 'A', line1: 'l' }, metadata: { old: '2', order_id: null } });
    expect(previousAttributes(before, before)).toBeNull();
  });
});

describe('pagination', () => {
  const setup = () => {
    const ctx = ctxOf(new Twin());
    for (let i = 1; i <= 25; i++) ctx.world.insert(obj(`th_${String(i).padStart(2, '0')}`, { created: i, even: i % 2 === 0 }));
    return ctx.world;
  };
  const ids = (r: { data: { id: string }[] }) => r.data.map((o) => o.id);

  it('lists newest first with limit, has_more and both cursors', () => {
    const world = setup();
    const first = paginate(world, 'thing', '/v1/things', { limit: 10 });
    expect(ids(first)[0]).toBe('th_25');
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/things' });
    const next = paginate(world, 'thing', '/v1/things', { limit: 10, starting_after: 'th_16' });
    expect(ids(next)).toEqual(['th_15', 'th_14', 'th_13', 'th_12', 'th_11', 'th_10', 'th_09', 'th_08', 'th_07', 'th_06']);
    const last = paginate(world, 'thing', '/v1/things', { limit: 10, starting_after: 'th_06' });
    expect(ids(last)).toEqual(['th_05', 'th_04', 'th_03', 'th_02', 'th_01']);
    expect(last.has_more).toBe(false);
    const before = paginate(world, 'thing', '/v1/things', { limit: 3, ending_before: 'th_10' });
    expect(ids(before)).toEqual(['th_13', 'th_12', 'th_11']);
    expect(before.has_more).toBe(true);
    expect(paginate(world, 'thing', '/v1/things', {}).data).toHaveLength(10);
  });

  it('filters by created ranges and custom predicates, and rejects bad limits and cursors', () => {
    const world = setup();
    expect(ids(paginate(world, 'thing', '/v1/things', { created: { gte: 20, lt: 23 } }))).toEqual(['th_22', 'th_21', 'th_20']);
    expect(ids(paginate(world, 'thing', '/v1/things', { created: 7 }))).toEqual(['th_07']);
    expect(paginate<any>(world, 'thing', '/v1/things', { limit: 100 }, (o) => o.even).data).toHaveLength(12);
    expect(() => paginate(world, 'thing', '/v1/things', { limit: 0 })).toThrow('greater than or equal to 1');
    expect(() => paginate(world, 'thing', '/v1/things', { limit: 101 })).toThrow('less than or equal to 100');
    expect(() => paginate(world, 'thing', '/v1/things', { starting_after: 'th_x' })).toThrow("No such thing: 'th_x'");
    expect(() => paginate(world, 'thing', '/v1/things', { starting_after: 'th_01', ending_before: 'th_02' })).toThrow(/only specify one/);
  });
  it('forgets finished idempotency keys 24 hours old in world or in wall time, and the oldest beyond the cap', () => {
    const ctx = ctxOf(new Twin());
    const { world } = ctx;
    const entry = (wallAt: number, state: 'done' | 'in-flight' = 'done') =>
      ({ state, path: '/v1/customers', body: '', createdAt: world.now(), wallAt, requestId: 'req_x' }) as const;
    const day = 24 * 3600;
    world.idempotency.set('a', entry(0));
    world.idempotency.set('b', entry(0, 'in-flight'));
    world.idempotency.set('c', entry(10 * 3600_000));
    // The world clock stands still (a seeded twin); the wall clock has moved a day and a second.
    world.pruneIdempotencyKeys(day, day * 1000 + 1000, 100);
    expect([...world.idempotency.keys()]).toEqual(['b', 'c']); // in flight stays until it ends
    world.idempotency.set('d', entry(day * 1000));
    world.idempotency.set('e', entry(day * 1000));
    world.pruneIdempotencyKeys(day, day * 1000 + 1000, 2);
    expect([...world.idempotency.keys()]).toEqual(['b', 'e']);
    world.idempotency.set('f', entry(day * 1000 + 2000));
    world.advance(day, ctx); // now the world clock moves a day
    world.pruneIdempotencyKeys(day, day * 1000 + 3000, 100);
    expect([...world.idempotency.keys()]).toEqual(['b']);
  });
  it('keeps at most maxWorlds worlds, forgetting the one used least recently', () => {
    const twin = new Twin({ maxWorlds: 3 });
    const a = twin.world('sk_test_a');
    twin.world('sk_test_b');
    twin.world('sk_test_c');
    expect(twin.world('sk_test_a')).toBe(a); // a is now the most recent
    twin.world('sk_test_d');
    expect(twin.keys()).toEqual(['sk_test_c', 'sk_test_a', 'sk_test_d']);
    expect(twin.evicted).toBe(1);
    expect(twin.hasWorld('sk_test_b')).toBe(false);
    expect(twin.world('sk_test_a')).toBe(a);
    expect(() => new Twin({ maxWorlds: 0 })).toThrow('maxWorlds must be a positive integer');
  });
});
