import { ScenarioError } from './errors';

// The check language of `## Success Criteria` (docs/scenarios.md): a list of
// deterministic checks over the final world, each with a name and one subject —
//
//   objects: <type>        objects of a type (`refund`, `checkout.session`, `event`),
//                          narrowed by `where`; `count` (default: at least one) and
//                          `fields` every match must have
//   object: <id>           one object by id, with `fields`
//   events_in_order: [...] event types (or {type, where}) that happened in this order
//   requests: {filter}     the run's request log (method, path with * wildcards,
//                          status 402 / "4xx" / "dropped", replayed, faulted,
//                          idempotency_key); `count`, and `after: {filter}` to count
//                          only what came after the first request matching it
//   requests_in_order: [{filter}, ...]
//   paywall: {filter}      the paid resource's log (status, payment: whether the request
//                          carried one); `count`
//   output: <regex>        the agent's standard output matches
//
// Values in `where` and `fields` are matched by equality, or by one operator:
// {not}, {in: [...]}, {gt}, {gte}, {lt}, {lte}, {exists: bool}, {matches: regex},
// {contains: value}. Paths are dotted (`next_action.type`, `refunds.data.0.id`).
// Each check answers pass or fail with a reason.

export type Matcher = unknown;

export interface RequestFilter {
  method?: string;
  path?: string;
  status?: number | string;
  replayed?: boolean;
  faulted?: boolean;
  idempotency_key?: string;
}

export interface PaywallFilter {
  status?: number | string;
  payment?: boolean;
}

export type Count = { min?: number; max?: number };

export type Check =
  | { name: string; kind: 'objects'; type: string; where: Record<string, Matcher>; count: Count; fields: Record<string, Matcher> | null }
  | { name: string; kind: 'object'; id: string; fields: Record<string, Matcher> }
  | { name: string; kind: 'events_in_order'; steps: { type: string; where: Record<string, Matcher> }[] }
  | { name: string; kind: 'requests'; filter: RequestFilter; after: RequestFilter | null; count: Count }
  | { name: string; kind: 'requests_in_order'; steps: RequestFilter[] }
  | { name: string; kind: 'paywall'; filter: PaywallFilter; count: Count }
  | { name: string; kind: 'output'; pattern: RegExp };

export interface CheckResult {
  name: string;
  pass: boolean;
  reason: string;
}

/** One request of the run, as the twin's request log keeps it (src/server/stages.ts RequestLogEntry). */
export interface LoggedRequest {
  id: string;
  method: string;
  path: string;
  status: number | null;
  idempotency_key: string | null;
  replayed: boolean;
  fault: unknown;
}

/** One request to the paid resource. */
export interface PaywallRequest {
  method: string;
  path: string;
  status: number;
  /** It carried a payment (an X-PAYMENT or PAYMENT-SIGNATURE header). */
  payment: boolean;
}

/** What checks read: the final world of the agent's account and the run's logs. */
export interface Final {
  objects(type: string): Record<string, any>[];
  get(id: string): Record<string, any> | undefined;
  requests: LoggedRequest[];
  paywall: PaywallRequest[];
  output: string;
}

// --- parsing ---

const SUBJECTS = ['objects', 'object', 'events_in_order', 'requests', 'requests_in_order', 'paywall', 'output'] as const;
const MODIFIERS: Record<(typeof SUBJECTS)[number], string[]> = {
  objects: ['where', 'count', 'fields'],
  object: ['fields'],
  events_in_order: [],
  requests: ['count', 'after'],
  requests_in_order: [],
  paywall: ['count'],
  output: [],
};
const OPERATORS = ['not', 'in', 'gt', 'gte', 'lt', 'lte', 'exists', 'matches', 'contains'];
const REQUEST_KEYS = ['method', 'path', 'status', 'replayed', 'faulted', 'idempotency_key'];

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function count(value: unknown, at: string, fallback: Count): Count {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && (value as number) >= 0) return { min: value as number, max: value as number };
  if (isObject(value) && Object.keys(value).every((k) => k === 'min' || k === 'max') && Object.values(value).every((n) => Number.isInteger(n) && n >= 0)) return value;
  throw new ScenarioError(`${at}: count is a number or {min, max}`);
}

function matchers(value: unknown, at: string): Record<string, Matcher> {
  if (!isObject(value)) throw new ScenarioError(`${at} must be an object of field paths and values`);
  for (const [field, m] of Object.entries(value)) checkMatcher(m, `${at}.${field}`);
  return value;
}

function checkMatcher(m: unknown, at: string): void {
  if (!isOperator(m)) return;
  const [op, arg] = Object.entries(m)[0];
  if (op === 'in' && !Array.isArray(arg)) throw new ScenarioError(`${at}: {in} takes a list`);
  if (op === 'exists' && typeof arg !== 'boolean') throw new ScenarioError(`${at}: {exists} takes true or false`);
  if (op === 'matches') regex(arg, at);
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof arg !== 'number') throw new ScenarioError(`${at}: {${op}} takes a number`);
}

const isOperator = (m: unknown): m is Record<string, unknown> => isObject(m) && Object.keys(m).length === 1 && OPERATORS.includes(Object.keys(m)[0]);

function regex(value: unknown, at: string): RegExp {
  try {
    if (typeof value === 'string') return new RegExp(value);
  } catch {
    // reported below
  }
  throw new ScenarioError(`${at}: ${JSON.stringify(value)} is not a regular expression`);
}

function requestFilter(value: unknown, at: string): RequestFilter {
  if (!isObject(value)) throw new ScenarioError(`${at} must be a filter like {method: POST, path: /v1/refunds, status: 200}`);
  const unknown = Object.keys(value).find((k) => !REQUEST_KEYS.includes(k));
  if (unknown) throw new ScenarioError(`${at}: "${unknown}" is not a request filter (filters: ${REQUEST_KEYS.join(', ')})`);
  if (value.status !== undefined && !(Number.isInteger(value.status) || /^([1-5]\d\d|[1-5]xx|dropped)$/.test(String(value.status)))) {
    throw new ScenarioError(`${at}: status is a status (402), a class ("4xx") or "dropped"`);
  }
  return value as RequestFilter;
}

function eventStep(value: unknown, at: string): { type: string; where: Record<string, Matcher> } {
  if (typeof value === 'string') return { type: value, where: {} };
  if (isObject(value) && typeof value.type === 'string') return { type: value.type, where: value.where === undefined ? {} : matchers(value.where, `${at}.where`) };
  throw new ScenarioError(`${at} must be an event type or {type, where}`);
}

export function parseChecks(value: unknown): Check[] {
  if (!Array.isArray(value) || value.length === 0) throw new ScenarioError('## Success Criteria must be a non-empty list of checks');
  const names = new Set<string>();
  return value.map((raw, i) => {
    let at = `## Success Criteria[${i}]`;
    if (!isObject(raw)) throw new ScenarioError(`${at} must be an object with a name and one of ${SUBJECTS.join(', ')}`);
    const subjects = SUBJECTS.filter((s) => raw[s] !== undefined);
    if (subjects.length !== 1) throw new ScenarioError(`${at} needs exactly one of ${SUBJECTS.join(', ')}`);
    const kind = subjects[0];
    const named = typeof raw.name === 'string' && raw.name !== '';
    let name = named ? raw.name : `${kind} ${typeof raw[kind] === 'string' ? raw[kind] : JSON.stringify(raw[kind])}`;
    if (!named && names.has(name)) name = `${name} [${i + 1}]`; // an unnamed check is named after its subject and place
    if (names.has(name)) throw new ScenarioError(`${at}: two checks are named "${name}"`);
    names.add(name);
    at = `check "${name}"`;
    const unknown = Object.keys(raw).find((k) => k !== 'name' && k !== kind && !MODIFIERS[kind].includes(k));
    if (unknown) throw new ScenarioError(`${at}: "${unknown}" does not go with ${kind} (it takes ${['name', ...MODIFIERS[kind]].join(', ')})`);
    switch (kind) {
      case 'objects':
        if (typeof raw.objects !== 'string') throw new ScenarioError(`${at}: objects names a type, like refund or checkout.session`);
        return {
          name,
          kind,
          type: raw.objects,
          where: raw.where === undefined ? {} : matchers(raw.where, `${at}: where`),
          count: count(raw.count, at, { min: 1 }),
          fields: raw.fields === undefined ? null : matchers(raw.fields, `${at}: fields`),
        };
      case 'object':
        if (typeof raw.object !== 'string') throw new ScenarioError(`${at}: object is an id`);
        if (raw.fields === undefined) throw new ScenarioError(`${at}: object needs fields`);
        return { name, kind, id: raw.object, fields: matchers(raw.fields, `${at}: fields`) };
      case 'events_in_order':
        if (!Array.isArray(raw.events_in_order) || !raw.events_in_order.length) throw new ScenarioError(`${at}: events_in_order is a list of event types`);
        return { name, kind, steps: raw.events_in_order.map((s: unknown, j: number) => eventStep(s, `${at}[${j}]`)) };
      case 'requests':
        return {
          name,
          kind,
          filter: requestFilter(raw.requests, at),
          after: raw.after === undefined ? null : requestFilter(raw.after, `${at}: after`),
          count: count(raw.count, at, { min: 1 }),
        };
      case 'requests_in_order':
        if (!Array.isArray(raw.requests_in_order) || !raw.requests_in_order.length) throw new ScenarioError(`${at}: requests_in_order is a list of request filters`);
        return { name, kind, steps: raw.requests_in_order.map((s: unknown, j: number) => requestFilter(s, `${at}[${j}]`)) };
      case 'paywall': {
        const f = raw.paywall;
        if (!isObject(f) || Object.keys(f).some((k) => k !== 'status' && k !== 'payment')) throw new ScenarioError(`${at}: paywall is a filter {status, payment}`);
        return { name, kind, filter: f as PaywallFilter, count: count(raw.count, at, { min: 1 }) };
      }
      case 'output':
        return { name, kind, pattern: regex(raw.output, at) };
    }
  });
}

// --- evaluation ---

/** The value at a dotted path (`refunds.data.0.id`). */
export function valueAt(obj: unknown, path: string): unknown {
  let v: any = obj;
  for (const part of path.split('.')) {
    if (v === null || v === undefined) return undefined;
    v = v[part];
  }
  return v;
}

const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => equal((a as any)[k], (b as any)[k]));
}

/** Why `value` fails `m`, or null when it matches. */
export function mismatch(value: unknown, m: Matcher): string | null {
  if (isOperator(m)) {
    const [op, arg] = Object.entries(m)[0];
    const ok = (() => {
      switch (op) {
        case 'not': return !equal(value, arg);
        case 'in': return (arg as unknown[]).some((x) => equal(value, x));
        case 'gt': return typeof value === 'number' && value > (arg as number);
        case 'gte': return typeof value === 'number' && value >= (arg as number);
        case 'lt': return typeof value === 'number' && value < (arg as number);
        case 'lte': return typeof value === 'number' && value <= (arg as number);
        case 'exists': return (value !== undefined && value !== null) === arg;
        case 'matches': return typeof value === 'string' && new RegExp(arg as string).test(value);
        case 'contains': return Array.isArray(value) ? value.some((x) => equal(x, arg)) : typeof value === 'string' && value.includes(String(arg));
      }
      return false;
    })();
    return ok ? null : `is ${show(value)}, expected ${op} ${JSON.stringify(arg)}`;
  }
  if (isObject(m)) {
    // A plain object matches field by field (a partial match).
    for (const [k, sub] of Object.entries(m)) {
      const why = mismatch(valueAt(value, k), sub);
      if (why) return `.${k} ${why}`;
    }
    return null;
  }
  return equal(value, m) ? null : `is ${show(value)}, expected ${JSON.stringify(m)}`;
}

/** The first field of `obj` failing `fields`, as a reason, or null. */
function fieldsMismatch(obj: Record<string, any>, fields: Record<string, Matcher>): string | null {
  for (const [path, m] of Object.entries(fields)) {
    const why = mismatch(valueAt(obj, path), m);
    if (why) return `${obj.id ?? 'object'}.${path} ${why}`;
  }
  return null;
}

const matchesAll = (obj: unknown, where: Record<string, Matcher>) => Object.entries(where).every(([p, m]) => mismatch(valueAt(obj, p), m) === null);

function statusMatches(status: number | null, want: number | string): boolean {
  if (want === 'dropped') return status === null;
  if (typeof want === 'string' && /^[1-5]xx$/.test(want)) return status !== null && Math.floor(status / 100) === Number(want[0]);
  return status === Number(want);
}

function requestMatches(r: LoggedRequest, f: RequestFilter): boolean {
  if (f.method && r.method !== f.method.toUpperCase()) return false;
  if (f.path) {
    const glob = new RegExp(`^${f.path.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (!glob.test(r.path)) return false;
  }
  if (f.status !== undefined && !statusMatches(r.status, f.status)) return false;
  if (f.replayed !== undefined && r.replayed !== f.replayed) return false;
  if (f.faulted !== undefined && (r.fault !== null) !== f.faulted) return false;
  if (f.idempotency_key !== undefined && r.idempotency_key !== f.idempotency_key) return false;
  return true;
}

const describeRequest = (r: LoggedRequest) => `${r.method} ${r.path} → ${r.status ?? 'dropped'}${r.replayed ? ' (replayed)' : ''}${r.fault ? ' (fault)' : ''}`;
const describeFilter = (f: RequestFilter) => Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ') || 'any request';

function countReason(found: number, c: Count, what: string, examples: string[]): string | null {
  const ok = (c.min === undefined || found >= c.min) && (c.max === undefined || found <= c.max);
  const wanted = c.min === c.max ? `exactly ${c.min}` : c.max === undefined ? `at least ${c.min}` : c.min === undefined || c.min === 0 ? `at most ${c.max}` : `${c.min} to ${c.max}`;
  const listed = examples.length ? `: ${examples.slice(0, 5).join(', ')}${examples.length > 5 ? ', …' : ''}` : '';
  const text = `${found} ${what}${listed} (expected ${wanted})`;
  return ok ? null : text;
}

function evaluate(check: Check, final: Final): { pass: boolean; reason: string } {
  switch (check.kind) {
    case 'objects': {
      const found = final.objects(check.type).filter((o) => matchesAll(o, check.where));
      const what = `${check.type}${Object.keys(check.where).length ? ` where ${JSON.stringify(check.where)}` : ''}`;
      const bad = countReason(found.length, check.count, what, found.map((o) => o.id));
      if (bad) return { pass: false, reason: bad };
      if (check.fields) {
        for (const o of found) {
          const why = fieldsMismatch(o, check.fields);
          if (why) return { pass: false, reason: why };
        }
      }
      return { pass: true, reason: `${found.length} ${what}${found.length ? `: ${found.slice(0, 5).map((o) => o.id).join(', ')}` : ''}` };
    }
    case 'object': {
      const obj = final.get(check.id);
      if (!obj) return { pass: false, reason: `${check.id} does not exist` };
      const why = fieldsMismatch(obj, check.fields);
      return why ? { pass: false, reason: why } : { pass: true, reason: `${check.id} has ${Object.keys(check.fields).join(', ')} as expected` };
    }
    case 'events_in_order': {
      const events = final.objects('event');
      let at = 0;
      const seen: string[] = [];
      for (const step of check.steps) {
        const i = events.findIndex((e, j) => j >= at && e.type === step.type && matchesAll(e, step.where));
        if (i === -1) {
          const anywhere = events.some((e) => e.type === step.type && matchesAll(e, step.where));
          return { pass: false, reason: `${step.type} ${anywhere ? `happened, but not after ${seen.join(' → ')}` : 'never happened'}` };
        }
        seen.push(`${step.type} (${events[i].id})`);
        at = i + 1;
      }
      return { pass: true, reason: seen.join(' → ') };
    }
    case 'requests': {
      let log = final.requests;
      let since = '';
      if (check.after) {
        const first = log.findIndex((r) => requestMatches(r, check.after!));
        if (first === -1) return { pass: false, reason: `no request matched the "after" filter (${describeFilter(check.after)})` };
        log = log.slice(first + 1);
        since = ` after ${describeRequest(final.requests[first])}`;
      }
      const found = log.filter((r) => requestMatches(r, check.filter));
      const what = `request(s) ${describeFilter(check.filter)}${since}`;
      const bad = countReason(found.length, check.count, what, found.map(describeRequest));
      return bad ? { pass: false, reason: bad } : { pass: true, reason: `${found.length} ${what}` };
    }
    case 'requests_in_order': {
      let at = 0;
      const seen: string[] = [];
      for (const step of check.steps) {
        const i = final.requests.findIndex((r, j) => j >= at && requestMatches(r, step));
        if (i === -1) return { pass: false, reason: `no request ${describeFilter(step)}${seen.length ? ` after ${seen[seen.length - 1]}` : ''}` };
        seen.push(describeRequest(final.requests[i]));
        at = i + 1;
      }
      return { pass: true, reason: seen.join(' → ') };
    }
    case 'paywall': {
      const f = check.filter;
      const found = final.paywall.filter((r) => (f.status === undefined || statusMatches(r.status, f.status)) && (f.payment === undefined || r.payment === f.payment));
      const what = `paywall request(s) ${Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ') || ''}`.trim();
      const bad = countReason(found.length, check.count, what, found.map((r) => `${r.method} ${r.path}${r.payment ? ' with a payment' : ''} → ${r.status}`));
      return bad ? { pass: false, reason: bad } : { pass: true, reason: `${found.length} ${what}` };
    }
    case 'output': {
      const ok = check.pattern.test(final.output);
      return { pass: ok, reason: ok ? `the agent's output matches /${check.pattern.source}/` : `the agent's output does not match /${check.pattern.source}/` };
    }
  }
}

export function score(checks: Check[], final: Final): CheckResult[] {
  return checks.map((check) => ({ name: check.name, ...evaluate(check, final) }));
}
