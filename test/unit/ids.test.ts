import { Ids } from '../../src/engine/ids';
import { Random } from '../../src/engine/random';

describe('ids', () => {
  const account = 'acct_1AbCdE7Qx2Lm9PzR';
  it('shape ids as Stripe does: 24-character bodies with the account block, 14 for customers', () => {
    const ids = new Ids(new Random('s'), account);
    const pi = ids.next('pi');
    expect(pi).toMatch(/^pi_3[0-9A-Za-z]{5}7Qx2Lm9PzR[0-9A-Za-z]{8}$/);
    expect(ids.next('pm')).toMatch(/^pm_1[0-9A-Za-z]{5}7Qx2Lm9PzR[0-9A-Za-z]{8}$/);
    expect(ids.next('cus')).toMatch(/^cus_[0-9A-Za-z]{14}$/);
    // Objects born from a PaymentIntent share its version digit and time block.
    const ch = ids.next('ch', pi);
    expect(ch.slice(3, 9)).toBe(pi.slice(3, 9));
    expect(ids.next('evt', pi)).toMatch(/^evt_3/);
    expect(ids.clientSecret(pi)).toMatch(new RegExp(`^${pi}_secret_[0-9A-Za-z]{25}$`));
    expect(ids.clientSecret('seti_1x')).toMatch(/^seti_1x_secret_[0-9A-Za-z]{31}$/);
  });

  it('are deterministic for a seed, sortable by creation, and different across seeds', () => {
    const a = new Ids(new Random('seed'), account);
    const b = new Ids(new Random('seed'), account);
    const c = new Ids(new Random('other'), account);
    const seqA = Array.from({ length: 50 }, () => a.next('cus'));
    expect(Array.from({ length: 50 }, () => b.next('cus'))).toEqual(seqA);
    expect(c.next('cus')).not.toEqual(seqA[0]);
    expect([...seqA].sort()).toEqual(seqA);
    expect(new Set(seqA).size).toBe(50);
  });

  it('hands out a chosen id once', () => {
    const ids = new Ids(new Random('s'), account);
    ids.choose('cus_jane');
    expect(ids.next('cus')).toBe('cus_jane');
    expect(ids.next('cus')).not.toBe('cus_jane');
  });

  it('makes RFC 4122 v4 uuids', () => {
    expect(new Random('x').uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
