import { errors } from './errors';
import { candidates, checkLimit, Lookup, positions } from './list';
import { Params } from './params';
import { indexKey, isIndexed, StripeObject, World } from './world';

// The Search API (docs/stripe-facts.md §1.12): `field:value` clauses joined by
// spaces/AND or by OR (not mixed), `-` negation, `~` substring (3+ characters),
// `>`, `<`, `>=`, `<=` on numbers, `metadata["key"]:"value"`, `field:null`.
// Values and metadata keys are quoted with double or single quotes, `\` escaping
// a quote inside: Stripe's search page writes both (`email:"amy@rocketrides.io"`,
// `email:'sally@rocketrides.io'`, `metadata['key']:'value'`) [doc, docs.stripe.com/search].
// Results are newest first with an opaque `next_page` cursor. The twin indexes
// synchronously: there is no search lag.

export interface SearchResult<T extends StripeObject = StripeObject> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
}

/** How a searchable field is read from an object; `number` fields accept comparisons. */
type SearchFields = Record<string, { read: (obj: StripeObject) => unknown; number?: boolean }>;

interface Clause {
  field: string;
  key?: string;
  op: ':' | '~' | '>' | '<' | '>=' | '<=';
  value: string | null;
  negate: boolean;
}

const CLAUSE =
  /^(-?)([a-z0-9_.]+)(?:\[(?:"([^"]*)"|'([^']*)')\])?(:|~|>=|<=|>|<)(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s"']+))/;

const invalidQuery = () =>
  errors.paramState('Provide a query parameter with a valid search query string.', 'query', 'parameter_invalid_string');

function parseQuery(query: string, fields: SearchFields): { clauses: Clause[]; any: boolean } {
  const clauses: Clause[] = [];
  let rest = query.trim();
  const joins = new Set<string>();
  if (!rest) throw invalidQuery();
  while (rest) {
    const m = CLAUSE.exec(rest);
    if (!m) throw invalidQuery();
    const [whole, neg, field, doubleKey, singleKey, op, double, single, bare] = m;
    const key = doubleKey ?? singleKey;
    const quoted = double ?? single;
    if (!Object.hasOwn(fields, field)) {
      throw errors.paramState(`Field \`${field}\` is an unsupported search field. See https://stripe.com/docs/search#query-fields for the list of supported fields.`, 'query');
    }
    if ((op === '>' || op === '<' || op === '>=' || op === '<=') && !fields[field].number) throw invalidQuery();
    // `null`/`NULL`: the presence token, case-insensitive like AND and OR [doc, search syntax table].
    const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare.toLowerCase() === 'null' ? null : bare;
    if (op === '~' && (value === null || value.length < 3)) throw invalidQuery();
    clauses.push({ field, key, op: op as Clause['op'], value, negate: neg === '-' });
    rest = rest.slice(whole.length).trim();
    const join = /^(AND|OR)\s+/i.exec(rest);
    if (join) {
      joins.add(join[1].toUpperCase());
      rest = rest.slice(join[0].length);
    } else if (rest) joins.add('AND');
  }
  if (joins.size > 1) throw invalidQuery();
  return { clauses, any: joins.has('OR') };
}

function matches(obj: StripeObject, clause: Clause, fields: SearchFields): boolean {
  let actual = fields[clause.field].read(obj);
  if (clause.key !== undefined) {
    const hash = actual as Record<string, unknown> | null;
    actual = hash && Object.hasOwn(hash, clause.key) ? hash[clause.key] : undefined; // a key the client names is data
  }
  let result: boolean;
  if (clause.value === null) result = actual === null || actual === undefined;
  // `:` compares case-insensitively on every field type [doc: the search syntax table's
  // "Exact match operator (case insensitive)", `currency:"eur"` finding "EUR"]. On
  // string-typed fields (email, name, phone) Stripe's exact match is on words in order
  // (`name:"one two three"` also finds "one two three four"); the twin compares the
  // whole value, as Stripe's word splitting is not documented.
  else if (clause.op === ':') result = actual !== null && actual !== undefined && String(actual).toLowerCase() === clause.value.toLowerCase();
  else if (clause.op === '~') result = typeof actual === 'string' && actual.toLowerCase().includes(clause.value.toLowerCase());
  else {
    const a = Number(actual);
    const b = Number(clause.value);
    result = clause.op === '>' ? a > b : clause.op === '<' ? a < b : clause.op === '>=' ? a >= b : a <= b;
  }
  return clause.negate ? !result : result;
}

/**
 * The index lookup a query can start from: for AND, each positive exact clause
 * on an indexed field (the narrowest is used); for OR, only when every clause is
 * one on the same field. Otherwise the search visits every object.
 */
function lookupOf(object: string, clauses: Clause[], any: boolean): Lookup {
  const exact = (c: Clause) => !c.negate && c.op === ':' && c.value !== null && isIndexed(object, c.field);
  const key = (c: Clause) => (c.key === undefined ? c.value! : metadataKey(c.key, c.value!));
  if (!any) return Object.fromEntries(clauses.filter(exact).map((c) => [c.field, key(c)]));
  if (clauses.every((c) => exact(c) && c.field === clauses[0].field)) return { [clauses[0].field]: clauses.map(key) };
  return {};
}

/** The key a metadata pair is indexed under (see metadataKeys). */
const metadataKey = (key: string, value: string) => `${key}\u0000${value}`;

/** Index keys of a metadata hash: each key and value pair, lower-cased like every index key (readers recheck the exact key). */
export function metadataKeys(metadata: unknown): readonly string[] {
  if (!metadata || typeof metadata !== 'object') return [];
  return Object.entries(metadata as Record<string, string>).map(([k, v]) => indexKey(metadataKey(k, v)));
}

export function search<T extends StripeObject>(world: World, object: string, url: string, params: Params, fields: SearchFields): SearchResult<T> {
  const { clauses, any } = parseQuery(params.query ?? '', fields);
  const limit = checkLimit(params.limit);
  const source = candidates(world, object, lookupOf(object, clauses, any));
  let start = source.to;
  if (params.page) {
    // The cursor is the position, in creation order, after which the next page starts (newest first).
    start = Number(Buffer.from(String(params.page), 'base64url').toString('utf8').replace(/^before:/, ''));
    // Text (unverified): no recorded answer to a forged cursor.
    if (!Number.isInteger(start) || start < 0) throw errors.paramState('Invalid page: the cursor is not one this search returned.', 'page');
  }
  const data: T[] = [];
  let more = false;
  for (const p of positions(source, start, true)) {
    const obj = world.at<T>(object, p);
    if (obj.deleted) continue;
    const test = (c: Clause) => matches(obj, c, fields);
    if (!(any ? clauses.some(test) : clauses.every(test))) continue;
    if (data.length === limit) {
      more = true;
      break;
    }
    data.push(obj);
  }
  const next = more ? world.positionOf(object, data[data.length - 1].id)! - 1 : null;
  return {
    object: 'search_result',
    data,
    has_more: more,
    next_page: next === null ? null : Buffer.from(`before:${next}`).toString('base64url'),
    url,
  };
}
