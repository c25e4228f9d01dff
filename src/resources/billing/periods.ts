// Billing periods on calendar time (docs/billing.md §3.2): a monthly period runs
// to the same day and time of the next month (2026-03-30 → 2026-04-30), and a
// day the month lacks clamps to its last day. Every boundary is counted from the
// billing cycle anchor, never from the previous boundary, so an anchor on the
// 31st comes back to the 31st after a short month (clamping rule unverified).

export type Interval = 'day' | 'week' | 'month' | 'year';

const DAY = 86400;

/** The time `n` intervals of `count` after `anchor` (Unix seconds, UTC). */
export function addIntervals(anchor: number, interval: Interval, count: number, n = 1): number {
  if (interval === 'day') return anchor + n * count * DAY;
  if (interval === 'week') return anchor + n * count * 7 * DAY;
  const d = new Date(anchor * 1000);
  const months = (interval === 'year' ? 12 : 1) * count * n;
  const year = d.getUTCFullYear() + Math.floor((d.getUTCMonth() + months) / 12);
  const month = (((d.getUTCMonth() + months) % 12) + 12) % 12; // n may be negative (the period before the anchor)
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

/** The period boundary after `time`: the first anchor + n intervals later than `time`. */
export function nextBoundary(anchor: number, interval: Interval, count: number, time: number): number {
  if (time < anchor) return anchor;
  // Estimate n, then step: at most a couple of iterations whatever the distance.
  const approx = interval === 'day' ? count * DAY : interval === 'week' ? 7 * count * DAY : interval === 'month' ? 28 * count * DAY : 365 * count * DAY;
  let n = Math.max(1, Math.floor((time - anchor) / approx) - 1);
  while (addIntervals(anchor, interval, count, n) <= time) n++;
  while (n > 1 && addIntervals(anchor, interval, count, n - 1) > time) n--;
  return addIntervals(anchor, interval, count, n);
}

/** The `{start, end}` a date of a one-off line covers (start = end, as recorded). */
export const instant = (time: number) => ({ end: time, start: time });
