import { testCards } from '../engine/test_values';
import { Capture, CAPTURE_FORMAT, headerValue, HEADERS_THAT_MATTER, Interaction, Provenance } from './capture';

// Normalization: what varies by nature becomes a token, so captures diff and
// replay cleanly. Secrets are scrubbed ({{secret}}), ids become per-capture
// tokens ({{pi_1}}, with the original kept in `ids`), timestamps become
// relative ({{t+N}}), request ids and idempotency keys become tokens, and
// request telemetry is dropped. Normalizing a capture again changes nothing.

/** One interaction as an importer reads it, before normalization. */
export interface RawInteraction {
  request: {
    method: string;
    path: string;
    params: Record<string, unknown>;
    /** Request headers, any case; only Stripe-Version, Idempotency-Key and Stripe-Account are kept. */
    headers: Record<string, string | undefined>;
  };
  response: { status: number; headers: Record<string, string | undefined>; body: unknown };
  /** Unix seconds when it was recorded, if known. */
  recordedAt?: number;
}

export interface RawCapture {
  name: string;
  provenance: Omit<Provenance, 'api_versions'> & { api_versions?: string[] };
  interactions: RawInteraction[];
  objects?: unknown[];
  events?: string[];
}

export interface NormalizeOptions {
  /** Replace email addresses with {{email_N}} tokens. */
  scrubEmails?: boolean;
}

/** Id prefixes Stripe uses (docs/stripe-facts.md §1.7 and recorded traffic); longer prefixes first. */
const ID_PREFIXES = [
  'cs_test', 'cs_live', 'sub_sched', 'il_tmp', 'ent_test', 'feat_test', 'acct', 'ba', 'bpc', 'bps', 'btok', 'ca', 'card', 'ch', 'clock',
  'cn', 'cnli', 'cus', 'cuss', 'di', 'dp', 'du', 'ent', 'evt', 'fee', 'feat', 'file', 'fr', 'ii', 'il', 'in', 'inpay', 'issfr', 'li',
  'link', 'mandate', 'order', 'payatt', 'person', 'pi', 'plink', 'pm', 'pmc', 'pmd', 'po', 'price', 'prod', 'promo', 'prv', 'pst',
  'pyr', 'py', 're', 'req', 'seti', 'setatt', 'shr', 'si', 'sis', 'sub', 'src', 'tml', 'tmr', 'tok', 'tr', 'trr', 'txn', 'txi', 'txr',
  'vr', 'vs', 'we', 'bsp', 'cbtxn', 'cuspm', 'ich', 'ic', 'ipi', 'iauth', 'ipm', 'qt', 'rcpt', 'sku', 'or', 'ds', 'ccsr', 'gcfr',
]
  .filter((p, i, all) => all.indexOf(p) === i)
  .sort((a, b) => b.length - a.length);

/**
 * An id: a known prefix, `_`, and a body of letters and digits with at least one
 * digit or capital (so `in_progress` stays a word), standing alone or after
 * `group_` (transfer groups name their payment: `group_pi_…`). Tax codes
 * (`txcd_…`) are Stripe's catalogue, the same in every account: not ids here.
 */
const ID = new RegExp(
  `(?:(?<![A-Za-z0-9_{])|(?<=\\bgroup_))(${ID_PREFIXES.join('|')})_([A-Za-z0-9]*[0-9A-Z][A-Za-z0-9]*)(?![A-Za-z0-9_])`,
  'g',
);
/**
 * `<object id>_secret_<secret>`: PaymentIntent, SetupIntent, Checkout Session,
 * Source (`src_client_secret_…`), Order… The secret may be scrubbed already
 * (an exported capture, another tool's redaction): the id before it is still one.
 */
const CLIENT_SECRET = /\b([a-z]+(?:_[a-z]+)*_[A-Za-z0-9]+)_secret_(?:[A-Za-z0-9]+|\{\{secret\}\})/g;
const API_KEY = /\b(sk|pk|rk|ek)_(test|live)_(?!\{\{)[A-Za-z0-9*]+/g;
const WEBHOOK_SECRET = /\bwhsec_(?!\{\{)[A-Za-z0-9]+/g;
const EMAIL = /(?<![{\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const URL_TIME = /([?&]t=)(\d{10})\b/g;
/** Links on Stripe's hosts (hosted invoices, receipts, portal and Checkout sessions). */
const STRIPE_URL = /https:\/\/[a-z0-9.-]*\bstripe\.com\/[^\s"'<>]*/g;
/**
 * In such a link, a long opaque path segment or query value is a capability:
 * whoever holds the link sees the invoice, receipt or portal. Its mode prefix stays.
 */
const URL_CAPABILITY = /(?<=[/=])(test_|live_)?[A-Za-z0-9_-]{24,}(?=[/?&#]|$)/g;
const URL_FRAGMENT = /#[A-Za-z0-9%_-]{32,}$/;

/** Keys whose integer values are Unix timestamps. */
const TIME_KEY = /(^|_)(created|updated|date|at|on|by|start|end|anchor|before|attempt|due|until|expires)$/;
/** Range filters (`created[gte]=…`) take their meaning from the parameter they filter. */
const RANGE_KEY = /^(gt|gte|lt|lte)$/;
/** Keys whose string values are secrets whatever they look like. */
const SECRET_KEY = /(^|_)secret$/;
const MIN_TIME = 946684800; // 2000-01-01
const MAX_TIME = 4102444800; // 2100-01-01
const isTime = (v: number, key: string) => Number.isInteger(v) && v >= MIN_TIME && v < MAX_TIME && TIME_KEY.test(key);

const isMagic = (id: string) => Boolean(testCards.byPaymentMethod(id) || testCards.byToken(id));

class Normalizer {
  readonly ids: Record<string, string>;
  private readonly byOriginal = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  constructor(
    existing: Record<string, string>,
    private readonly base: number,
    private readonly options: NormalizeOptions,
  ) {
    this.ids = { ...existing };
    for (const [text, original] of Object.entries(existing)) {
      this.byOriginal.set(original, text);
      const t = parseToken(text);
      if (t && (t.kind === 'id' || t.kind === 'scrubbed')) this.counters.set(t.prefix, Math.max(this.counters.get(t.prefix) ?? 0, t.n));
    }
  }

  /** The token for an original value, minted in order of first appearance. */
  token(kind: string, original: string, keep = true): string {
    const known = this.byOriginal.get(original);
    if (known) return known;
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const token = `{{${kind}_${n}}}`;
    this.byOriginal.set(original, token);
    if (keep) this.ids[token] = original;
    return token;
  }

  time(seconds: number): string {
    const delta = seconds - this.base;
    return `{{t${delta < 0 ? '-' : '+'}${Math.abs(delta)}}}`;
  }

  /** Ids in a text become tokens (test-mode magic values such as `pm_card_visa` stay). */
  private ids_(text: string): string {
    return text.replace(ID, (whole: string, prefix: string) => (isMagic(whole) ? whole : this.token(prefix, whole)));
  }

  string(text: string): string {
    if (parseToken(text)) return text;
    let out = text
      .replace(CLIENT_SECRET, (_m, owner: string) => `${this.ids_(owner)}_secret_{{secret}}`)
      .replace(API_KEY, (_m, kind: string, mode: string) => `${kind}_${mode}_{{secret}}`)
      .replace(WEBHOOK_SECRET, 'whsec_{{secret}}');
    out = this.ids_(out)
      .replace(URL_TIME, (_m, lead: string, t: string) => `${lead}${this.time(Number(t))}`)
      .replace(STRIPE_URL, (url) =>
        url.replace(URL_CAPABILITY, (_m, mode: string | undefined) => `${mode ?? ''}{{secret}}`).replace(URL_FRAGMENT, '#{{secret}}'),
      );
    if (this.options.scrubEmails) out = out.replace(EMAIL, (email) => this.token(EMAIL_PREFIX, email, false));
    return out;
  }

  /**
   * A value of a response body, an object or a request parameter, under `key`.
   * Integers under time keys are timestamps; in request parameters (all
   * strings, being form-encoded) so are strings of digits under time keys.
   */
  value(value: unknown, key = '', param = false): unknown {
    if (typeof value === 'string') {
      if (param && /^\d{9,10}$/.test(value) && isTime(Number(value), key)) return this.time(Number(value));
      const out = this.string(value);
      return SECRET_KEY.test(key) && out && !out.includes('{{secret}}') ? '{{secret}}' : out;
    }
    if (typeof value === 'number') return isTime(value, key) ? this.time(value) : value;
    if (Array.isArray(value)) return value.map((v) => this.value(v, key, param));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.value(v, RANGE_KEY.test(k) ? key : k, param);
      return out;
    }
    return value;
  }

  idempotencyKey(key: string | undefined | null): string | null {
    if (!key) return null;
    if (parseToken(key)) return key;
    return this.token(IDEMPOTENCY_PREFIX, key, false);
  }
}

/**
 * What a capture's {{t+N}} tokens count from: when its first request was
 * recorded, if known (so `created` of what the sequence made reads {{t+0}} or
 * so, and older objects read {{t-N}}); otherwise the smallest timestamp its
 * bodies and objects mention.
 */
function baseTime(raw: RawCapture): number {
  const recorded = raw.interactions.map((i) => i.recordedAt).filter((t): t is number => t !== undefined);
  if (recorded.length) return Math.min(...recorded);
  let min = Infinity;
  const visit = (v: unknown, key: string) => {
    if (typeof v === 'number' && isTime(v, key)) min = Math.min(min, v);
    else if (Array.isArray(v)) v.forEach((x) => visit(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, RANGE_KEY.test(k) ? key : k);
  };
  for (const i of raw.interactions) visit(i.response.body, '');
  (raw.objects ?? []).forEach((o) => visit(o, ''));
  return Number.isFinite(min) ? min : 0;
}

export function normalize(raw: RawCapture, options: NormalizeOptions = {}, existingIds: Record<string, string> = {}): Capture {
  const base = baseTime(raw);
  const n = new Normalizer(existingIds, base, options);
  const versions: string[] = [...(raw.provenance.api_versions ?? [])];
  const interactions: Interaction[] = raw.interactions.map((i) => {
    const version = headerValue(i.request.headers, 'Stripe-Version') ?? headerValue(i.response.headers, 'Stripe-Version') ?? null;
    if (version && !versions.includes(version)) versions.push(version);
    const requestKey = n.idempotencyKey(headerValue(i.request.headers, 'Idempotency-Key'));
    const headers: Record<string, string> = {};
    for (const name of HEADERS_THAT_MATTER) {
      const v = headerValue(i.response.headers, name);
      if (v === undefined) continue;
      if (name === 'Idempotency-Key') headers[name] = n.idempotencyKey(v)!;
      else if (name === 'Request-Id' || name === 'Original-Request') headers[name] = parseToken(v) ? v : n.token(REQUEST_PREFIX, v, false);
      else headers[name] = n.string(v);
    }
    const interaction: Interaction = {
      request: {
        method: i.request.method.toUpperCase(),
        path: n.string(i.request.path),
        params: n.value(i.request.params, '', true) as Record<string, unknown>,
        stripe_version: version,
        idempotency_key: requestKey,
        stripe_account: (n.string(headerValue(i.request.headers, 'Stripe-Account') ?? '') || null) as string | null,
      },
      response: { status: i.response.status, headers, body: n.value(i.response.body) },
    };
    if (i.recordedAt !== undefined) interaction.at = i.recordedAt - base;
    return interaction;
  });
  const objects = raw.objects?.length ? raw.objects.map((o) => n.value(o)) : undefined;
  // Key order is the file's order: what happened first, the id map last.
  const capture = {
    format: CAPTURE_FORMAT,
    name: raw.name,
    provenance: { ...raw.provenance, api_versions: versions } as Provenance,
    interactions,
  } as Capture;
  if (objects) capture.objects = objects;
  if (raw.events?.length) capture.events = [...new Set(raw.events)].sort();
  capture.ids = n.ids;
  return capture;
}

/** A capture back in raw form, to normalize again (what `normalize` must leave unchanged). */
export function toRaw(capture: Capture): RawCapture {
  return {
    name: capture.name,
    provenance: capture.provenance,
    interactions: capture.interactions.map((i) => ({
      request: {
        method: i.request.method,
        path: i.request.path,
        params: i.request.params,
        headers: {
          'Stripe-Version': i.request.stripe_version ?? undefined,
          'Idempotency-Key': i.request.idempotency_key ?? undefined,
          'Stripe-Account': i.request.stripe_account ?? undefined,
        },
      },
      response: i.response,
    })),
    objects: capture.objects,
    events: capture.events,
  };
}

/** Normalizes an already normalized capture: the result must equal the input. */
export function renormalize(capture: Capture, options: NormalizeOptions = {}): Capture {
  const again = normalize(toRaw(capture), options, capture.ids);
  capture.interactions.forEach((i, k) => {
    if (i.at !== undefined) again.interactions[k].at = i.at;
  });
  return again;
}

// ---------------------------------------------------------------------------
// Tokens back to values: the diff engine (the twin's ids and clock), replay and
// export (the recorded ids, a base time) each choose the values; the walk is this one.

// The token grammar: these patterns and parseToken are its only statement.
const TOKEN = /^\{\{([a-z0-9_+-]+)\}\}$/;
const TOKENS_IN = /\{\{([a-z0-9_+-]+)\}\}/g;
const TIME_TOKEN = /^\{\{t([+-]\d+)\}\}$/;
const NUMBERED = /^(.+)_(\d+)$/;

/** `{{email_N}}`: an address scrubbed with `scrubEmails`; never kept in `ids`. */
const EMAIL_PREFIX = 'email';
/** `{{idem_N}}`: an idempotency key; never kept in `ids`. */
const IDEMPOTENCY_PREFIX = 'idem';
/**
 * `{{req_N}}`: a request id. Met first in a body (an event's `request.id`) it is
 * an id like any other and kept in `ids`; from `Request-Id`/`Original-Request`
 * headers it is not kept, and stands for no object (see isObjectToken).
 */
const REQUEST_PREFIX = 'req';
const SCRUBBED_PREFIXES: ReadonlySet<string> = new Set([EMAIL_PREFIX, IDEMPOTENCY_PREFIX]);

/**
 * What a token stands for. `text` is the token itself (`{{cus_1}}`). `scrubbed`
 * tokens are numbered like ids but stand for values that were replaced and not
 * kept (emails, idempotency keys): no object, and no one value.
 */
export type Token =
  | { kind: 'id'; text: string; prefix: string; n: number }
  | { kind: 'scrubbed'; text: string; prefix: 'email' | 'idem'; n: number }
  | { kind: 'time'; text: string; delta: number }
  | { kind: 'secret'; text: string };

/** `{{t+60}}`, `{{secret}}`, `{{cus_1}}`, `{{email_1}}`/`{{idem_1}}` (scrubbed); null for anything else. */
export function parseToken(text: string): Token | null {
  const inner = TOKEN.exec(text)?.[1];
  if (!inner) return null;
  if (inner === 'secret') return { kind: 'secret', text };
  const time = TIME_TOKEN.exec(text);
  if (time) return { kind: 'time', text, delta: Number(time[1]) };
  const numbered = NUMBERED.exec(inner);
  if (!numbered) return null;
  const [, prefix, n] = numbered;
  if (SCRUBBED_PREFIXES.has(prefix)) return { kind: 'scrubbed', text, prefix: prefix as 'email' | 'idem', n: Number(n) };
  return { kind: 'id', text, prefix, n: Number(n) };
}

/**
 * The concrete value given back for a scrubbed token (`{{email_2}}` →
 * `replay2@example.com`), the same wherever a capture is replayed or verified.
 */
export function scrubbedValue(t: Extract<Token, { kind: 'scrubbed' }>): string {
  return t.prefix === 'email' ? `replay${t.n}@example.com` : `replay-idempotency-key-${t.n}`;
}

/**
 * Whether a token stands for one object's id in a capture with these `ids`:
 * every id token but a request id that only headers had (`{{req_N}}` not kept
 * in `ids`). Replay matches such tokens as that one id; the others (times,
 * secrets, scrubbed values, header request ids) stand for any value.
 */
export function isObjectToken(token: Token, ids: Record<string, string>): boolean {
  return token.kind === 'id' && (token.prefix !== REQUEST_PREFIX || ids[token.text] !== undefined);
}

/** The tokens in a text, parsed, in order (repeats included). */
export function tokensInText(text: string): Token[] {
  if (!text.includes('{{')) return [];
  const out: Token[] = [];
  for (const m of text.matchAll(TOKENS_IN)) {
    const t = parseToken(m[0]);
    if (t) out.push(t);
  }
  return out;
}

export type TokenFill = (token: Token) => string | number;

/**
 * The twin's default start, 2026-01-01T00:00:00Z: engine/twin.ts DEFAULT_START_TIME
 * (tokens.test.ts holds them equal). Not imported: that loads the engine and the
 * spec, which replay, a reader of this module, does without.
 */
const TWIN_DEFAULT_START = 1767225600;

/**
 * What {{t+0}} stands for when a capture's values are given back (replay,
 * export, the diff engine's twin): midnight UTC of the day it was recorded, else
 * the twin's default start. Captures keep the day, not the instant.
 */
export function recordedBase(capture: Pick<Capture, 'provenance'>): number {
  const day = capture.provenance?.recorded ? Date.parse(`${capture.provenance.recorded.slice(0, 10)}T00:00:00Z`) : NaN;
  return Number.isFinite(day) ? day / 1000 : TWIN_DEFAULT_START;
}

/** A string with each token replaced by what `fill` gives it. */
export function fillText(text: string, fill: TokenFill): string {
  if (!text.includes('{{')) return text;
  return text.replace(TOKENS_IN, (whole) => {
    const token = parseToken(whole);
    return token ? String(fill(token)) : whole;
  });
}

/**
 * A value with its tokens filled, deeply. With `integers` (response bodies), a
 * string that is one whole time token becomes the integer it was recorded as;
 * without (request parameters, sent as form text), it stays a string.
 */
export function fillTokens(value: unknown, fill: TokenFill, integers = false): unknown {
  if (typeof value === 'string') {
    if (integers && TIME_TOKEN.test(value)) return fill(parseToken(value)!);
    return fillText(value, fill);
  }
  if (Array.isArray(value)) return value.map((v) => fillTokens(v, fill, integers));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fillTokens(v, fill, integers);
    return out;
  }
  return value;
}

/** A string that is one whole token of the grammar (parseToken gives it a meaning). */
export const isToken = (v: unknown): v is string => typeof v === 'string' && TOKEN.test(v) && parseToken(v) !== null;
/** A string that is one whole time token (`{{t+60}}`): it stands for an integer. */
export const isTimeToken = (v: unknown): v is string => typeof v === 'string' && TIME_TOKEN.test(v);
