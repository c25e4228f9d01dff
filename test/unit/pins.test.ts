import { clearPins, listPins, pinned, pinnedUnder, setPins } from '../../src/engine/exogenous';
import { Twin } from '../../src/engine/twin';

// The engine side of pinned exogenous values: per-scope storage in world.facts,
// lookup with the most specific scope winning, clearing, and undo on rollback.

describe('pins', () => {
  const world = () => new Twin().world('sk_test_pins');

  it('looks a value up in the given scopes, most specific first, then the world', () => {
    const w = world();
    setPins(w, 'world', { 'charge.outcome.risk_score': 1, 'charge.outcome.type': 'authorized' });
    setPins(w, 'cus_a', { 'charge.outcome.risk_score': 2 });
    setPins(w, 'pi_a', { 'charge.outcome.risk_score': 3 });
    expect(pinned(w, 'charge.outcome.risk_score', ['pi_a', 'pm_a', 'cus_a'])).toEqual({ value: 3 });
    expect(pinned(w, 'charge.outcome.risk_score', ['pi_b', 'pm_a', 'cus_a'])).toEqual({ value: 2 });
    expect(pinned(w, 'charge.outcome.risk_score', ['pi_b', null, undefined])).toEqual({ value: 1 });
    expect(pinned(w, 'charge.outcome.reason', ['pi_a'])).toBeUndefined();
    expect(pinnedUnder(w, 'charge.outcome.', ['pi_a', 'pm_a', 'cus_a'])).toEqual({ risk_score: 3, type: 'authorized' });
    expect(pinnedUnder(w, 'charge.outcome.', [])).toEqual({ risk_score: 1, type: 'authorized' });
  });

  it('keeps null as a pinned value', () => {
    const w = world();
    setPins(w, 'world', { 'charge.outcome.reason': null });
    expect(pinned(w, 'charge.outcome.reason')).toEqual({ value: null });
    expect(pinnedUnder(w, 'charge.outcome.')).toEqual({ reason: null });
  });

  it('replaces a pinned path in place, lists the world first and scopes by id', () => {
    const w = world();
    setPins(w, 'pi_b', { 'charge.outcome.risk_score': 5 });
    setPins(w, 'world', { 'balance.available.usd': 10, 'charge.outcome.risk_score': 1 });
    setPins(w, 'cus_a', { 'charge.outcome.risk_score': 2 });
    setPins(w, 'world', { 'balance.available.usd': 20 });
    expect(listPins(w)).toEqual([
      { scope: 'world', path: 'balance.available.usd', value: 20 },
      { scope: 'world', path: 'charge.outcome.risk_score', value: 1 },
      { scope: 'cus_a', path: 'charge.outcome.risk_score', value: 2 },
      { scope: 'pi_b', path: 'charge.outcome.risk_score', value: 5 },
    ]);
  });

  it('clears a path and the paths under it, in one scope or all', () => {
    const w = world();
    setPins(w, 'world', { 'balance.available.usd': 1, 'balance.available.eur': 2, 'balance.pending.usd': 3, 'balance.availableish': 4 });
    setPins(w, 'cus_a', { 'charge.outcome.risk_score': 2 });
    expect(clearPins(w, undefined, 'balance.available')).toBe(2);
    expect(listPins(w).map((p) => p.path)).toEqual(['balance.pending.usd', 'balance.availableish', 'charge.outcome.risk_score']);
    expect(clearPins(w, 'cus_a')).toBe(1);
    expect(listPins(w).some((p) => p.scope === 'cus_a')).toBe(false);
    expect(clearPins(w)).toBe(2);
    expect(listPins(w)).toEqual([]);
    expect(w.facts.size).toBe(0); // nothing left behind
  });

  it('is undone with the transaction that pinned it', () => {
    const w = world();
    setPins(w, 'world', { 'charge.outcome.risk_score': 1 });
    expect(() =>
      w.transaction(() => {
        setPins(w, 'world', { 'charge.outcome.risk_score': 9 });
        setPins(w, 'pi_a', { 'charge.outcome.type': 'blocked' });
        clearPins(w, 'world');
        throw new Error('bad pin');
      }),
    ).toThrow('bad pin');
    expect(listPins(w)).toEqual([{ scope: 'world', path: 'charge.outcome.risk_score', value: 1 }]);
  });
});
