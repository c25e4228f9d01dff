import { World } from './world';

// Pinned exogenous values (brief 004's "Pinnable values", docs/agents.md §9): what originates outside
// Stripe's logic — the network's and Radar's verdict on a charge, the card the
// customer holds, the issuer's decline reason, opening balances. A pin fixes such
// a value for a whole world or for one object; the engine binds it where it
// reaches that value (charges.ts, payment_methods.ts, payment_intents.ts,
// balance.ts). Ids, statuses, totals and timestamps stay engine-derived.
//
// Pins live in world.facts under one key (scope → pins, immutable: setInRecord), so a failed
// transaction undoes them like any other change, and a world without pins pays
// one map lookup per bound value. Which paths exist and what values they take is
// the control surface's business (src/control/exogenous.ts).

export const WORLD_SCOPE = 'world';

type Pins = Readonly<Record<string, unknown>>;
type AllPins = Readonly<Record<string, Pins>>;

const FACT = 'pins';
const allPins = (world: World): AllPins | undefined => world.facts.record<Pins>(FACT);

function pinsOf(world: World, scope: string): Pins | undefined {
  return allPins(world)?.[scope];
}

/**
 * Values pinned under `prefix` (`charge.outcome.`) that apply to an object, keyed
 * by the rest of the path: world pins, overridden by those of each scope in
 * `scopes`, most specific first (e.g. [payment intent, payment method, customer]).
 */
export function pinnedUnder(world: World, prefix: string, scopes: (string | null | undefined)[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!allPins(world)) return out;
  for (const scope of [WORLD_SCOPE, ...scopes.filter((s): s is string => Boolean(s)).reverse()]) {
    const pins = pinsOf(world, scope);
    if (!pins) continue;
    for (const path in pins) if (path.startsWith(prefix)) out[path.slice(prefix.length)] = pins[path];
  }
  return out;
}

/** One pinned value for an object (most specific scope first), or undefined. */
export function pinned(world: World, path: string, scopes: (string | null | undefined)[] = []): { value: unknown } | undefined {
  if (!allPins(world)) return undefined;
  for (const scope of [...scopes, WORLD_SCOPE]) {
    if (!scope) continue;
    const pins = pinsOf(world, scope);
    if (pins && path in pins) return { value: pins[path] };
  }
  return undefined;
}

/** Pins `values` (path → value, already validated) in `scope`, replacing earlier pins of those paths. */
export function setPins(world: World, scope: string, values: Record<string, unknown>): void {
  world.facts.setInRecord<Pins>(FACT, scope, Object.freeze({ ...pinsOf(world, scope), ...values }));
}

/**
 * Clears pins in `scope` (every scope when absent) whose path is `path` or lies
 * under it (`charge.outcome` clears every outcome pin); everything when no path.
 * Returns how many were cleared.
 */
export function clearPins(world: World, scope?: string, path?: string): number {
  let cleared = 0;
  for (const { scope: s } of scopesWithPins(world)) {
    if (scope !== undefined && s !== scope) continue;
    const pins = pinsOf(world, s)!;
    const kept: Record<string, unknown> = {};
    for (const p in pins) {
      if (path === undefined || p === path || p.startsWith(`${path}.`)) cleared++;
      else kept[p] = pins[p];
    }
    world.facts.setInRecord<Pins>(FACT, s, Object.keys(kept).length ? Object.freeze(kept) : null);
  }
  return cleared;
}

/** Every pin of a world: the world scope first, then object scopes by id; paths in the order pinned. */
export function listPins(world: World): { scope: string; path: string; value: unknown }[] {
  const out: { scope: string; path: string; value: unknown }[] = [];
  for (const { scope, pins } of scopesWithPins(world)) for (const path in pins) out.push({ scope, path, value: pins[path] });
  return out;
}

function scopesWithPins(world: World): { scope: string; pins: Pins }[] {
  const all = allPins(world) ?? {};
  const scopes = Object.keys(all).sort((a, b) => (a === WORLD_SCOPE ? -1 : b === WORLD_SCOPE ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return scopes.map((scope) => ({ scope, pins: all[scope] }));
}
