import { errors } from './errors';
import { checkLimit } from './list';
import { Params } from './params';
import { StripeObject, World } from './world';

// The Search API (stripe-behaviour.md §1.12): `field:value` clauses joined by
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
    if (!(field in fields)) {
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
  if (clause.key !== undefined) actual = (actual as Record<string, unknown> | null)?.[clause.key];
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

export function search<T extends StripeObject>(world: World, object: string, url: string, params: Params, fields: SearchFields): SearchResult<T> {
  const { clauses, any } = parseQuery(params.query ?? '', fields);
  const limit = checkLimit(params.limit);
  let start = 0;
  if (params.page) {
    start = Number(Buffer.from(String(params.page), 'base64url').toString('utf8').replace(/^offset:/, ''));
    // Text (unverified): no recorded answer to a forged cursor.
    if (!Number.isInteger(start) || start < 0) throw errors.paramState('Invalid page: the cursor is not one this search returned.', 'page');
  }
  const hits: T[] = [];
  const ids = world.idsOf(object);
  for (let i = ids.length - 1; i >= 0; i--) {
    const obj = world.get<T>(ids[i])!;
    if (obj.deleted) continue;
    const test = (c: Clause) => matches(obj, c, fields);
    if (any ? clauses.some(test) : clauses.every(test)) hits.push(obj);
  }
  const data = hits.slice(start, start + limit);
  const more = start + limit < hits.length;
  return {
    object: 'search_result',
    data,
    has_more: more,
    next_page: more ? Buffer.from(`offset:${start + limit}`).toString('base64url') : null,
    url,
  };
}
