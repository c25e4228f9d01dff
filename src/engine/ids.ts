import { Random, base62, joined } from './random';

// Object ids as Stripe shapes them (docs/stripe-facts.md §1.7):
//   24-character bodies: 1 version character ('1', or '3' for PaymentIntent-family
//   objects), 5 time-ordered characters, the account's 10-character block (the
//   last 10 characters of the account id), 8 random characters.
//   14-character bodies (cus_, prod_, si_, req_): 5 time-ordered + 9 random.
// The time-ordered part is a per-world creation counter, so ids sort by creation.

const SHORT_BODY = new Set(['cus', 'prod', 'si']);

/** Prefixes whose objects belong to a PaymentIntent's family ('3' version digit). */
const PI_FAMILY_ROOT = 'pi';

export interface IdsState {
  rng: number[];
  seq: number;
  chosen: [string, string][];
}

export class Ids {
  private seq = 0;
  private readonly chosen = new Map<string, string>();
  readonly accountBlock: string;

  constructor(
    private readonly rng: Random,
    readonly accountId: string,
  ) {
    this.accountBlock = accountId.slice(-10);
  }

  /**
   * A new id with `prefix`. Objects born from a PaymentIntent (its charges,
   * refunds, balance transactions, events) pass the PI's id as `family` and
   * share its version digit and time block.
   */
  next(prefix: string, family?: string | null): string {
    const chosen = this.chosen.get(prefix);
    if (chosen) {
      this.chosen.delete(prefix);
      return chosen;
    }
    if (SHORT_BODY.has(prefix)) return joined(prefix, '_', this.timeBlock(), this.rng.chars(9));
    const familyBody = family ? family.slice(family.indexOf('_') + 1) : null;
    if (familyBody && familyBody[0] === '3') {
      return joined(prefix, '_3', familyBody.slice(1, 6), this.accountBlock, this.rng.chars(8));
    }
    const version = prefix === PI_FAMILY_ROOT ? '3' : '1';
    return joined(prefix, '_', version, this.timeBlock(), this.accountBlock, this.rng.chars(8));
  }

  /** Makes the next id with `prefix` (default: `id`'s own) be `id` (seeding objects under chosen ids, e.g. `cus_jane`, or a legacy plan's `small-monthly`). */
  choose(id: string, prefix = id.slice(0, id.indexOf('_'))): void {
    this.chosen.set(prefix, id);
  }

  /** The id chosen for the next object with `prefix`, taken (undefined when none was chosen). */
  takeChosen(prefix: string): string | undefined {
    const chosen = this.chosen.get(prefix);
    this.chosen.delete(prefix);
    return chosen;
  }

  /** Where the stream stands (its generator, the creation counter, ids chosen and not yet used): saved with the world. */
  get state(): IdsState {
    return { rng: this.rng.state, seq: this.seq, chosen: [...this.chosen] };
  }

  set state(state: IdsState) {
    this.rng.state = state.rng;
    this.seq = state.seq;
    this.chosen.clear();
    for (const [prefix, id] of state.chosen) this.chosen.set(prefix, id);
  }

  /** Forgets chosen ids nothing used. */
  clearChosen(): void {
    this.chosen.clear();
  }

  /** `<intent id>_secret_<n chars>`: 25 for PaymentIntents, 31 for SetupIntents. */
  clientSecret(intentId: string): string {
    return joined(intentId, '_secret_', this.rng.chars(intentId.startsWith('seti_') ? 31 : 25));
  }

  /** Random characters from this world's id stream (invoice prefixes, codes...). */
  chars(length: number, alphabet?: string): string {
    return this.rng.chars(length, alphabet);
  }

  digits(length: number): string {
    return this.rng.digits(length);
  }

  uuid(): string {
    return this.rng.uuid();
  }

  private timeBlock(): string {
    // Offset so the block starts with a letter, like Stripe's recent ids.
    return base62(62 ** 4 * 28 + this.seq++, 5);
  }
}

/** Does `id` look like an id Stripe could have issued with `prefix`? */
export function hasPrefix(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}_`) && id.length > prefix.length + 1;
}
