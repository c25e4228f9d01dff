import { Params } from '../engine/params';
import { shared } from '../engine/resource';

// Helpers several resources share: Stripe's address, shipping and billing
// details hashes, key sorting, payout dates and calendar months.

/** A copy of `o` with its keys in alphabetical order (how Stripe prints some hashes). */
export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** `value` when the parameter was sent (null = cleared), else `fallback`. */
export function given<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

export const ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

export function address(input: Params | null | undefined): Record<string, string | null> | null {
  if (!input) return null;
  return Object.fromEntries(ADDRESS_KEYS.map((k) => [k, input[k] ?? null]));
}

/** Shipping details as stored on customers, PaymentIntents and charges. */
export function shipping(input: Params | null | undefined): Record<string, unknown> | null {
  if (!input) return null;
  return {
    address: address(input.address ?? {}),
    carrier: input.carrier ?? null,
    name: input.name ?? null,
    phone: input.phone ?? null,
    tracking_number: input.tracking_number ?? null,
  };
}

const NO_BILLING_DETAILS = shared({
  address: address({}),
  email: null,
  name: null,
  phone: null,
  tax_id: null,
});

export function billingDetails(input: Params | null | undefined): Record<string, unknown> {
  if (!input) return NO_BILLING_DETAILS;
  return {
    address: address(input?.address ?? {}),
    email: input?.email ?? null,
    name: input?.name ?? null,
    phone: input?.phone ?? null,
    tax_id: input?.tax_id ?? null,
  };
}

/** Midnight UTC `days` calendar days after `time` (balance availability, docs/stripe-facts.md §7.3). */
export function midnightAfter(time: number, days: number): number {
  return (Math.floor(time / 86400) + days) * 86400;
}

/** `time` plus `months` calendar months (UTC, time of day kept); a day past the target month's end becomes its last day (twin choice). */
export function addMonths(time: number, months: number): number {
  const d = new Date(time * 1000);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return Math.floor(target.getTime() / 1000);
}
