import { BASE62, Random } from './random';

// An account's route (docs/scaling.md): the last two characters of its id, which
// its id block — and so every object id, hosted page id and token made in it —
// ends with too. Whatever names an account names its route without a lookup:
//
//   a key that opened an account    the id the seed and the key derive (below)
//   a key the twin minted for one   the account id's body it embeds, once its tag checks out
//   a connected account             its platform's route (./accounts.ts gives it its platform's last two characters)
//   a hosted page's id or token     the account block it carries
//
// so a router that shares only the seed sends every request about an account to
// the one place (a worker, a machine) that holds it. The route is the same
// whatever the number of places: ids never depend on where they are served.

/** Characters of an account id that make its route: 62² = 3,844 routes. */
export const ROUTE_LENGTH = 2;

/** The id of the account a key (or a connected account's seed name) opens, derived from the seed and the name. */
export function accountIdOf(seed: string, name: string): string {
  return `acct_1${new Random(`${seed}:${name}:account`).chars(15)}`;
}

/** The route of an account id, or of an id block (the last ten characters of one). */
export const routeOf = (idOrBlock: string): string => idOrBlock.slice(-ROUTE_LENGTH);

/** `id` (a new connected account's) carrying `platformId`'s route, so the platform and its connected accounts live together. */
export const withRouteOf = (id: string, platformId: string): string => id.slice(0, -ROUTE_LENGTH) + routeOf(platformId);

/** Of the place `route` belongs to among `places` (0-based): its base-62 value modulo their number. */
export function placeOf(route: string, places: number): number {
  let n = 0;
  for (const c of route) n = n * 62 + Math.max(0, BASE62.indexOf(c));
  return n % places;
}

// A minted key: `sk_test_51` / `rk_test_51`, the account id's 15-character body,
// 78 random characters and a 4-character tag derived from all that precedes it,
// 107 in all. The tag tells a key the twin minted from a Dashboard key of the same
// shape (whose embedded body names a real Stripe account, not a world here):
// only a tagged key is routed by the body it embeds.
const MINTED = /^(?:sk|rk)_test_51([A-Za-z0-9]{15})[A-Za-z0-9]{78}([A-Za-z0-9]{4})$/;
const TAG_LENGTH = 4;

/** The tag that ends a minted key whose first 103 characters are `head`. */
export const mintedKeyTag = (head: string): string => new Random(`stripe-twin:minted-key:${head}`).chars(TAG_LENGTH);

/** A minted key: `head` (prefix, `51`, account body, random characters) and its tag. */
export const tagMintedKey = (head: string): string => head + mintedKeyTag(head);

/** The account body a key the twin minted embeds (its tag checks out); null for any other key. */
function mintedBody(key: string): string | null {
  const minted = MINTED.exec(key);
  return minted && mintedKeyTag(key.slice(0, -TAG_LENGTH)) === minted[2] ? minted[1] : null;
}

/** Whether a key names its account's route itself: one the twin minted (a key its caller chose does not). */
export const carriesRoute = (key: string): boolean => mintedBody(key) !== null;

/** The route of the account a key names: the account a minted key embeds, else the one the key opens. */
export function routeOfKey(seed: string, key: string): string {
  return routeOf(mintedBody(key) ?? accountIdOf(seed, key));
}
