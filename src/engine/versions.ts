import { spec } from './spec';

// API versions (DESIGN §2.3). Objects live in one canonical shape: the newest
// version stripe-node pins. Older Stripe-Versions will be served by an ordered
// list of small version changes applied to responses on the way out, newest
// first, the way Stripe does it. No resource checks versions itself.

export const LATEST_VERSION = '2026-10-28.endive';

export interface VersionChange {
  /** The first version with the new behaviour; requests older than this get `transform`. */
  version: string;
  description: string;
  /** Turns a canonical (newer) object of type `object` into its older shape. */
  object: string;
  transform: (obj: Record<string, any>) => Record<string, any>;
}

/**
 * The oldest version whose responses the twin can shape today: nothing breaking
 * for the modeled resources separates 2025-03-31.basil (which removed `invoice`
 * from PaymentIntents and charges and banned expanding `total_count`) from the
 * canonical version, only additive fields. Older requests are served in the
 * canonical shape until version changes exist for them; the fidelity harness
 * reports captures recorded before this version as "cannot shape yet".
 */
export const SHAPES_SINCE = '2025-03-31.basil';

export function canShape(version: string): boolean {
  return dateOf(version) >= dateOf(SHAPES_SINCE);
}

/** Newest first. Empty until the twin serves an older version's shapes. */
export const VERSION_CHANGES: VersionChange[] = [];

/**
 * Private-preview versions Stripe has published for the agentic payments
 * (docs/agents.md §1.6, §2.7): crypto deposits (2026-03-04), deposit addresses and
 * transaction verification (2026-05-27), and what mppx 0.11 sends with Shared
 * Payment Tokens (2026-07-29). stripe-node's GA list has none of them.
 */
export const PREVIEW_VERSIONS: readonly string[] = ['2026-03-04.preview', '2026-05-27.preview', '2026-07-29.preview'];

const KNOWN = new Set([...spec.apiVersions, ...PREVIEW_VERSIONS]);
const FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

/** Versions Stripe has released (stripe-node 23.1's list, and the previews above); anything else is refused. */
export function isKnownVersion(version: string): boolean {
  return FORMAT.test(version) && KNOWN.has(version);
}

const dateOf = (version: string) => version.slice(0, 10);

/**
 * The changes that shape a response at `version`. A preview version is served
 * the canonical shape (twin choice): previews carry the newest GA shapes plus
 * their preview fields, which the canonical objects already have.
 */
export function changesFor(version: string, changes = VERSION_CHANGES): VersionChange[] {
  if (version.endsWith('.preview')) return [];
  return changes.filter((c) => dateOf(c.version) > dateOf(version));
}

/** Renders a response value (object, list, error body) at `version`. */
export function renderAt<T>(value: T, version: string, changes = VERSION_CHANGES): T {
  const applicable = changesFor(version, changes);
  return applicable.length ? (transformTree(value, applicable) as T) : value;
}

function transformTree(value: unknown, changes: VersionChange[]): unknown {
  if (Array.isArray(value)) return value.map((v) => transformTree(v, changes));
  if (!value || typeof value !== 'object') return value;
  let out: Record<string, any> = {};
  for (const [k, v] of Object.entries(value)) out[k] = transformTree(v, changes);
  for (const change of changes) if (out.object === change.object) out = change.transform(out);
  return out;
}
