import { encodeForm } from '../engine/form';
import { seedSections } from '../control/seed';
import { Twin } from '../engine/twin';
import { canShape } from '../engine/versions';
import { handleRequest } from '../server/pipeline';
import { Capture, Interaction } from './capture';
import { stateFromRecording } from './recorded_state';
import { fillText, fillTokens, isObjectToken, parseToken, recordedBase, scrubbedValue, Token, tokensInText, TokenFill } from './normalize';
import { ShapeFinding, validateShape } from './shapes';

// The diff engine: re-runs a capture's requests against an in-process twin under
// the recorded Stripe-Version, maps recorded ids to the twin's ids as responses
// come back, and compares status, shapes, error envelopes, headers and events.
// Values that vary by nature (ids, timestamps, secrets, URLs, fingerprints…)
// are compared by kind, never by value.

export type FindingKind =
  | 'status'
  | 'missing-key'
  | 'extra-key'
  | 'type'
  | 'null-vs-value'
  | 'reference'
  | 'length'
  | 'error-field'
  /** The twin sent a value outside the schema's enum (spec values plus those the captures show). */
  | 'enum'
  /** The twin sent an `object` type neither the spec nor the captures know. */
  | 'unknown-object'
  /** A state field (STATE_FIELDS) holds another value than Stripe's: same shape, different outcome. */
  | 'state'
  | 'header'
  | 'events'
  | 'unsupported';

export interface Finding {
  kind: FindingKind;
  /** `POST /v1/payment_intents` (ids as tokens). */
  request: string;
  interaction: number;
  /** Type of the object the finding is in (`payment_intent`), if any. */
  object?: string;
  /** Dotted path inside the response body (`latest_charge.outcome.type`), or the header name. */
  field?: string;
  expected?: unknown;
  actual?: unknown;
}

/**
 * `unsupported`: the twin answered 501, or the request uses an object only an
 * unsupported call made. `needs-state`: it succeeded on Stripe against objects
 * that existed before the capture began, which a fresh twin world cannot have.
 * `cannot-shape`: recorded at an API version the twin cannot shape yet (not run).
 */
export type Verdict = 'exact' | 'shape-equal' | 'drifted' | 'unsupported' | 'needs-state' | 'cannot-shape';

export interface InteractionResult {
  index: number;
  request: string;
  recordedStatus: number;
  twinStatus: number;
  verdict: Verdict;
  findings: Finding[];
  /** Value differences that do not change the shape (kept for the report). */
  valueDiffs: { field: string; expected: unknown; actual: unknown }[];
  recorded: unknown;
  twin: unknown;
}

export interface FieldTally {
  compared: number;
  agreed: number;
}

export interface SequenceResult {
  name: string;
  versions: string[];
  outcome: 'ran' | 'cannot-shape' | 'no-requests';
  interactions: InteractionResult[];
  events?: { recorded: string[]; twin: string[] };
  findings: Finding[];
  /** Compared and agreeing fields per object type. */
  fields: Record<string, FieldTally>;
}

/** Fields whose values differ by nature between any two runs: compared by type only. */
const VARYING_FIELDS = new Set([
  'authorization_code', 'client_secret', 'fingerprint', 'invoice_prefix', 'network_transaction_id', 'risk_score',
  'receipt_url', 'hosted_invoice_url', 'invoice_pdf', 'url', 'request_log_url', 'exp_month', 'exp_year', 'server_transaction_id',
  'transaction_id', 'ip_address', 'number', 'statement_descriptor', 'calculated_statement_descriptor', 'capture_before', 'due_by',
]);

/**
 * Fields that carry behaviour (where an object stands in its state machine, and
 * how much money moved): compared by value, since a twin answering `processing`
 * where Stripe answered `succeeded` has the shape right and the behaviour wrong.
 */
const STATE_FIELDS = new Set([
  'status', 'paid', 'captured', 'refunded', 'deleted', 'livemode', 'currency',
  'amount', 'amount_captured', 'amount_refunded', 'amount_received', 'amount_capturable', 'amount_due', 'amount_paid', 'amount_remaining',
]);

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Error messages compared modulo ids (recorded id tokens, the twin's ids) and keys; scrubbed values as sent. */
const masked = (message: unknown) =>
  typeof message === 'string'
    ? fillText(message.replace(/Invalid API Key provided: \S+/, 'Invalid API Key provided: <key>'), (t) =>
        t.kind === 'id' ? '<id>' : t.kind === 'scrubbed' ? scrubbedValue(t) : t.text,
      )
        .replace(/\b(?:[a-z]+_)+[A-Za-z0-9]*\d[A-Za-z0-9]*\b/g, '<id>')
        .replace(/<id>_secret_\{\{secret\}\}/g, '<id>')
    : message;

interface Options {
  /** Seed for the twin worlds (default: the capture's name, so each run is reproducible). */
  seed?: string;
  /** Schema check of the twin's bodies (default: validateShape over schemas/). */
  shapes?: (body: unknown) => ShapeFinding[];
  /** Objects the recording account had before the capture began, seeded first (a contract's `state`). */
  state?: Record<string, any[]>;
}

/** Replays one capture against a fresh twin and compares. */
export async function diffCapture(capture: Capture, options: Options = {}): Promise<SequenceResult> {
  const versions = capture.provenance.api_versions ?? [];
  const result: SequenceResult = { name: capture.name, versions, outcome: 'ran', interactions: [], findings: [], fields: {} };
  if (!capture.interactions.length) return { ...result, outcome: 'no-requests' };
  const shapeable = (i: Interaction) => Boolean(i.request.stripe_version && canShape(i.request.stripe_version));
  if (!capture.interactions.some(shapeable)) result.outcome = 'cannot-shape';

  const twin = new Twin({ seed: options.seed ?? capture.name, startTime: recordedBase(capture) });
  const key = `sk_test_verify_${capture.name.replace(/[^A-Za-z0-9]+/g, '_')}`;
  const ids = new Map<string, string>();
  const twinIds = new Map<string, string>();
  const tally = result.fields;
  /** Tokens an earlier response introduced (or the world was seeded with), and those that only an unsupported call did. */
  const seen = new Set<string>();
  const tainted = new Set<string>();
  const recorded = stateFromRecording(capture);
  seedSections(twin, key, withState(options.state ?? {}, recorded.seed));
  for (const [token, id] of recorded.ids) {
    ids.set(token, id);
    twinIds.set(id, token);
    seen.add(token);
  }

  for (const [index, interaction] of capture.interactions.entries()) {
    const { request, response } = interaction;
    const label = `${request.method} ${request.path}`;
    const uses = objectTokensIn([request.path, request.params], capture.ids);
    const minted = objectTokensIn(response.body, capture.ids).filter((t) => !seen.has(t));
    const skip: Verdict | null = !shapeable(interaction)
      ? 'cannot-shape'
      : uses.some((t) => tainted.has(t))
        ? 'unsupported'
        : response.status < 400 && uses.some((t) => !seen.has(t))
          ? 'needs-state'
          : null;
    if (skip) {
      for (const t of minted) {
        tainted.add(t);
        seen.add(t);
      }
      result.interactions.push({
        index,
        request: label,
        recordedStatus: response.status,
        twinStatus: 0,
        verdict: skip,
        findings: [],
        valueDiffs: [],
        recorded: response.body,
        twin: null,
      });
      continue;
    }
    const twinResponse = await send(twin, key, interaction, ids, capture);
    let body: unknown;
    try {
      body = JSON.parse(twinResponse.body);
    } catch {
      body = twinResponse.body;
    }
    const headers = headerMap(twinResponse.headers);
    const compare = new Comparison(label, index, ids, twinIds, tally, options.shapes ?? validateShape);
    const unsupported = twinResponse.status === 501 && (body as any)?.error?.fidelity === 'unsupported';
    if (unsupported) {
      compare.add({ kind: 'unsupported', expected: response.status, actual: 501 });
    } else {
      if (response.status !== twinResponse.status) compare.add({ kind: 'status', expected: response.status, actual: twinResponse.status });
      compare.headers(response.headers, headers);
      if (response.status >= 400 && (response.body as any)?.error) compare.error((response.body as any).error, (body as any)?.error);
      else if (response.status === twinResponse.status) {
        compare.value(response.body, body, '', null);
        compare.schema(body);
      }
    }
    for (const t of minted) {
      seen.add(t);
      if (unsupported) tainted.add(t);
    }
    const drift = compare.findings.length > 0;
    result.interactions.push({
      index,
      request: label,
      recordedStatus: response.status,
      twinStatus: twinResponse.status,
      verdict: unsupported ? 'unsupported' : drift ? 'drifted' : compare.valueDiffs.length ? 'shape-equal' : 'exact',
      findings: compare.findings,
      valueDiffs: compare.valueDiffs,
      recorded: response.body,
      twin: body,
    });
    result.findings.push(...compare.findings);
  }

  // Events are compared only when every request ran: a sequence cut short cannot have made them all.
  if (capture.events && result.interactions.every((i) => i.twinStatus !== 0)) {
    const world = twin.world(key);
    const twinEvents = [...new Set(world.idsOf('event').map((id) => world.get(id)!.type as string))].sort();
    result.events = { recorded: capture.events, twin: twinEvents };
    const missing = capture.events.filter((t) => !twinEvents.includes(t));
    const extra = twinEvents.filter((t) => !capture.events!.includes(t));
    if (missing.length || extra.length) {
      result.findings.push({ kind: 'events', request: '(sequence)', interaction: -1, expected: missing, actual: extra });
    }
  }
  return result;
}

/** A contract's declared state, then what the recording shows of the objects it names but did not make (the declared wins). */
function withState(declared: Record<string, any[]>, recorded: Record<string, any[]>): Record<string, any[]> {
  const declaredIds = new Set(Object.values(declared).flat().map((entry) => entry?.id));
  const out: Record<string, any[]> = { ...declared };
  for (const [section, entries] of Object.entries(recorded)) {
    const fresh = entries.filter((entry) => !declaredIds.has(entry.id));
    if (fresh.length) out[section] = [...(out[section] ?? []), ...fresh];
  }
  return out;
}

/** Tokens of object ids in a value, in order of appearance (not times, secrets or scrubbed values). */
function objectTokensIn(value: unknown, captureIds: Record<string, string>): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      for (const t of tokensInText(v)) if (isObjectToken(t, captureIds)) out.push(t.text);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return [...new Set(out)];
}

/** Sends a recorded request to the twin, its tokens replaced by the twin's ids (or the recorded originals). */
async function send(twin: Twin, key: string, interaction: Interaction, ids: Map<string, string>, capture: Capture) {
  const { request, response } = interaction;
  // Ids the sequence made are the twin's; others, as recorded. {{t±N}} in a
  // request (a `resumes_at`, a `created[gte]`) counts from the twin's world time;
  // a scrubbed email is given a real address.
  const now = twin.world(key).now();
  const fill: TokenFill = (t) =>
    t.kind === 'id'
      ? (ids.get(t.text) ?? capture.ids[t.text] ?? t.text)
      : t.kind === 'time'
        ? now + t.delta
        : t.kind === 'scrubbed'
          ? scrubbedValue(t)
          : 'redacted';
  const params = fillTokens(request.params, fill) as Record<string, unknown>;
  const query = request.method === 'POST' ? '' : encodeForm(params);
  const body = request.method === 'POST' ? encodeForm(params) : '';
  const headers: Record<string, string> = {
    // A recorded 401 was made with a key Stripe refused; send one the twin refuses too.
    authorization: `Bearer ${response.status === 401 ? 'sk_invalid_recorded_key' : key}`,
  };
  if (request.stripe_version) headers['stripe-version'] = request.stripe_version;
  // Each capture runs in a world of its own, so its keys are sent as recorded (a name-prefixed key could pass Stripe's 255-character limit).
  if (request.idempotency_key) headers['idempotency-key'] = request.idempotency_key;
  if (request.stripe_account) headers['stripe-account'] = fillText(request.stripe_account, fill);
  return handleRequest(twin, {
    method: request.method,
    url: `${fillText(request.path, fill)}${query ? `?${query}` : ''}`,
    headers,
    readBody: async () => Buffer.from(body),
  });
}

function headerMap(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i].toLowerCase()] = flat[i + 1];
  return out;
}

/** Headers whose presence is compared (values vary or are compared elsewhere). */
const COMPARED_HEADERS = ['Idempotency-Key', 'Original-Request', 'Request-Id', 'Stripe-Should-Retry', 'Stripe-Version', 'Www-Authenticate', 'Idempotent-Replayed'];

class Comparison {
  readonly findings: Finding[] = [];
  readonly valueDiffs: InteractionResult['valueDiffs'] = [];

  constructor(
    private readonly request: string,
    private readonly index: number,
    private readonly ids: Map<string, string>,
    private readonly twinIds: Map<string, string>,
    private readonly tally: Record<string, FieldTally>,
    private readonly shapes: (body: unknown) => ShapeFinding[],
  ) {}

  add(f: Omit<Finding, 'request' | 'interaction'>): void {
    this.findings.push({ request: this.request, interaction: this.index, ...f });
  }

  headers(recorded: Record<string, string>, twin: Record<string, string>): void {
    for (const name of COMPARED_HEADERS) {
      const has = name in recorded;
      const twinHas = name.toLowerCase() in twin;
      if (has !== twinHas) this.add({ kind: 'header', field: name, expected: has ? recorded[name] : '(absent)', actual: twinHas ? twin[name.toLowerCase()] : '(absent)' });
      else if (name === 'Stripe-Should-Retry' || name === 'Idempotent-Replayed' || name === 'Stripe-Version') {
        if (has && recorded[name] !== twin[name.toLowerCase()]) this.add({ kind: 'header', field: name, expected: recorded[name], actual: twin[name.toLowerCase()] });
      }
    }
  }

  /** Error envelopes: type, code, decline_code, param, message (modulo ids), and which keys are present. */
  error(recorded: Record<string, unknown>, twin: Record<string, unknown> | undefined): void {
    if (!twin) {
      this.add({ kind: 'error-field', field: 'error', expected: 'an error envelope', actual: 'none' });
      return;
    }
    const t = this.count('error');
    for (const field of ['type', 'code', 'decline_code', 'param', 'message', 'advice_code', 'network_decline_code', 'network_advice_code']) {
      if (!(field in recorded) && !(field in twin)) continue;
      t.compared++;
      const a = field === 'message' ? masked(recorded[field]) : recorded[field];
      const b = field === 'message' ? masked(twin[field]) : twin[field];
      if (a === b) t.agreed++;
      else this.add({ kind: 'error-field', object: 'error', field: `error.${field}`, expected: recorded[field], actual: twin[field] });
    }
    for (const field of ['charge', 'payment_intent', 'payment_method', 'setup_intent', 'request_log_url', 'doc_url']) {
      if ((field in recorded) !== (field in twin)) {
        this.add({ kind: field in recorded ? 'missing-key' : 'extra-key', object: 'error', field: `error.${field}` });
      } else if (field in recorded && recorded[field] && typeof recorded[field] === 'object') {
        this.value(recorded[field], twin[field], `error.${field}`, 'error');
      }
    }
  }

  /**
   * What comparing with one recording cannot see: enum values and object types
   * the schemas (spec + every capture) do not know. Key presence and types are
   * left to the recorded comparison, which knows the version.
   */
  schema(twin: unknown): void {
    for (const f of this.shapes(twin)) {
      if (f.kind === 'enum' || f.kind === 'unknown-object') this.add({ kind: f.kind, object: f.object, field: f.path, expected: f.expected, actual: f.actual });
    }
  }

  private count(object: string): FieldTally {
    return (this.tally[object] ??= { compared: 0, agreed: 0 });
  }

  /** Structural comparison; `object` is the type of the enclosing Stripe object. */
  value(recorded: unknown, twin: unknown, path: string, object: string | null): void {
    const at = (key: string) => (path ? `${path}.${key}` : key);
    if (recorded && typeof recorded === 'object' && !Array.isArray(recorded)) {
      if (!twin || typeof twin !== 'object' || Array.isArray(twin)) {
        this.mismatch(recorded, twin, path, object);
        return;
      }
      const rec = recorded as Record<string, unknown>;
      const tw = twin as Record<string, unknown>;
      const type = typeof rec.object === 'string' && rec.object !== 'list' && rec.object !== 'search_result' ? rec.object : object;
      if (typeof rec.id === 'string' && typeof tw.id === 'string') this.reference(rec.id, tw.id, at('id'), type);
      for (const k of Object.keys(rec)) {
        if (!(k in tw)) {
          this.count(type ?? '(response)').compared++;
          this.add({ kind: 'missing-key', object: type ?? undefined, field: at(k), expected: rec[k] });
          continue;
        }
        if (k === 'id') continue;
        this.value(rec[k], tw[k], at(k), type);
      }
      for (const k of Object.keys(tw)) if (!(k in rec)) this.add({ kind: 'extra-key', object: type ?? undefined, field: at(k), actual: tw[k] });
      return;
    }
    if (Array.isArray(recorded)) {
      if (!Array.isArray(twin)) {
        this.mismatch(recorded, twin, path, object);
        return;
      }
      if (recorded.length !== twin.length) {
        // A list's items are whatever the account held: compare their shapes, report the count.
        if (path.endsWith('data') || !recorded.every((x) => typeof x !== 'object')) {
          this.add({ kind: 'length', object: object ?? undefined, field: path, expected: recorded.length, actual: twin.length });
        } else this.valueDiffs.push({ field: path, expected: recorded, actual: twin });
      }
      for (let i = 0; i < Math.min(recorded.length, twin.length); i++) this.value(recorded[i], twin[i], `${path}[${i}]`, object);
      return;
    }
    const tally = this.count(object ?? '(response)');
    tally.compared++;
    const token = typeof recorded === 'string' ? parseToken(recorded) : null;
    if (token) {
      const kind = token.kind;
      if (kind === 'time' ? typeof twin === 'number' : kind === 'id' ? typeof twin === 'string' || (twin !== null && typeof twin === 'object') : typeof twin === 'string') {
        tally.agreed++;
        if (kind === 'id' && typeof twin === 'string') this.reference(token, twin, path, object);
        if (kind === 'id' && twin && typeof twin === 'object') this.reference(token, (twin as any).id, path, object);
        // What the twin was sent for a scrubbed value is what it must give back.
        if (kind === 'scrubbed' && twin !== scrubbedValue(token)) this.valueDiffs.push({ field: path, expected: recorded, actual: twin });
      } else this.mismatch(recorded, twin, path, object, false);
      return;
    }
    if (kindOf(recorded) !== kindOf(twin)) {
      this.mismatch(recorded, twin, path, object, false);
      return;
    }
    const leaf = path.slice(path.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
    if (STATE_FIELDS.has(leaf) && recorded !== twin) {
      this.add({ kind: 'state', object: object ?? undefined, field: path, expected: recorded, actual: twin });
      return;
    }
    tally.agreed++;
    if (recorded !== twin && !VARYING_FIELDS.has(leaf) && !(typeof recorded === 'string' && /^https?:\/\//.test(recorded))) {
      this.valueDiffs.push({ field: path, expected: recorded, actual: twin });
    }
  }

  /** Recorded ids and twin ids must correspond one to one: a token always stands for the same twin object. */
  private reference(recorded: string | Token, twinId: string, path: string, object: string | null): void {
    const parsed = typeof recorded === 'string' ? parseToken(recorded) : recorded;
    if (parsed?.kind !== 'id') return;
    const token = parsed.text;
    const known = this.ids.get(token);
    const owner = this.twinIds.get(twinId);
    if (known === undefined && owner === undefined) {
      this.ids.set(token, twinId);
      this.twinIds.set(twinId, token);
    } else if (known !== twinId || owner !== token) {
      this.add({ kind: 'reference', object: object ?? undefined, field: path, expected: known ?? `(${token}, not seen before)`, actual: owner ? `${twinId} (already ${owner})` : twinId });
    }
  }

  private mismatch(recorded: unknown, twin: unknown, path: string, object: string | null, tallied = true): void {
    if (tallied) this.count(object ?? '(response)').compared++;
    const nullish = recorded === null || twin === null;
    this.add({ kind: nullish ? 'null-vs-value' : 'type', object: object ?? undefined, field: path, expected: recorded, actual: twin });
  }
}
