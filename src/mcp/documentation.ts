import { spec } from '../engine/spec';

// search_stripe_documentation (the "stripe" tool set) without Stripe's search
// service. The toolkit posts the question to https://ai.stripe.com/search and
// returns the answer's `sources`; the twin has no network and ships none of
// docs.stripe.com. The one piece of Stripe's own documentation it does ship is
// the one-line summary of every API operation (spec/stripe-api.json, from
// Stripe's OpenAPI spec; see spec/README.md), so that is what it searches: the
// question's words against each operation's summary and path. Nothing is
// written here beyond what the spec says.
//
// Twin choices (uncertain: the shape of ai.stripe.com's `sources` is not
// published): each source is `{title, content, source}` — title the operation
// (`POST /v1/refunds`), content its summary, source where the text comes from.
// The `language` argument is accepted and ignored (the summaries are the same in
// every language). When nothing matches, the answer says plainly that the twin
// cannot search Stripe's documentation.

export interface DocumentationSource {
  title: string;
  content: string;
  source: string;
}

const SOURCE = `Stripe API reference: operation summary (OpenAPI spec ${String((spec.provenance.openapi as { info_version?: string } | undefined)?.info_version ?? '')}, shipped with stripe-twin)`;
const MAX_SOURCES = 5;

export const NOTHING_FOUND =
  "stripe-twin cannot search Stripe's documentation (it has no access to docs.stripe.com); " +
  'none of the Stripe API operation summaries it ships matches this question.';

const STOP = new Set('an and are can do does for from how in is it me my of on or the this to what when where which with you your use using want need'.split(' '));

/** Lower-case words, without the question's filler, crudely singular (`refunds` → `refund`, `creates` → `create`). */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !STOP.has(w))
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

interface Entry {
  title: string;
  summary: string;
  pathWords: Set<string>;
  summaryWords: Set<string>;
}

let entries: Entry[] | null = null;
function index(): Entry[] {
  return (entries ??= Object.entries(spec.operations).map(([title, op]) => ({
    title,
    summary: op.summary,
    pathWords: new Set(words(title.replace(/\{[^}]*\}/g, ' ').replace('/v1/', '/'))),
    summaryWords: new Set(words(op.summary)),
  })));
}

/** The operation summaries that best match `question` (most matching words first; the spec's order breaks ties), or NOTHING_FOUND. */
export function searchDocumentation(question: string): DocumentationSource[] | string {
  const asked = [...new Set(words(question))];
  if (asked.length === 0) return NOTHING_FOUND;
  const scored = index()
    .map((entry, order) => {
      let hits = 0;
      let inPath = 0;
      for (const w of asked) {
        if (entry.pathWords.has(w)) inPath++;
        hits += entry.pathWords.has(w) ? 2 : entry.summaryWords.has(w) ? 1 : 0;
      }
      // A path with words the question does not have is a less likely answer (`/v1/test_helpers/…/create_unlinked_refund` for "refund").
      const score = hits > 0 ? hits - 0.25 * (entry.pathWords.size - inPath) : 0;
      return { entry, order, score };
    })
    .filter((s) => s.score > 0);
  if (scored.length === 0) return NOTHING_FOUND;
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored.slice(0, MAX_SOURCES).map(({ entry }) => ({ title: entry.title, content: entry.summary, source: SOURCE }));
}
