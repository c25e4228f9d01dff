import { testCards } from '../engine/testValues';
import { Capture, CAPTURE_FORMAT, CaptureSource, HEADERS_THAT_MATTER, Interaction, Provenance } from './capture';

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

/** Id prefixes Stripe uses (§1.7 and recorded traffic); longer prefixes first. */
const ID_PREFIXES = [
  'cs_test', 'cs_live', 'sub_sched', 'il_tmp', 'acct', 'ba', 'bpc', 'bps', 'btok', 'card', 'ch', 'clock', 'cn', 'cnli', 'cus',
  'dp', 'du', 'evt', 'fr', 'ii', 'il', 'in', 'inpay', 'issfr', 'mandate', 'payatt', 'pi', 'plink', 'pm', 'pmc', 'po', 'price',
  'prod', 'promo', 'pyr', 'py', 're', 'req', 'seti', 'setatt', 'si', 'sub', 'src', 'tok', 'tr', 'trr', 'txn', 'txi', 'txr', 'we',
  'bsp', 'cbtxn', 'cuspm', 'ich', 'ic', 'ipi', 'iauth', 'ipm', 'qt', 'rcpt', 'sku', 'or', 'pyr', 'ds', 'ccsr', 'gcfr',
].sort((a, b) => b.length - a.length);

/**
 * An id: a known prefix, `_`, and a body of letters and digits with at least one
 * digit or capital (so `in_progress` stays a word), standing alone.
 */
const ID = new RegExp(`(?<![A-Za-z0-9_{])(${ID_PREFIXES.join('|')})_([A-Za-z0-9]*[0-9A-Z][A-Za-z0-9]*)(?![A-Za-z0-9_])`, 'g');
const CLIENT_SECRET = /((?:pi|seti|cs_test|cs_live|pst|src)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+/g;
const API_KEY = /\b(sk|pk|rk)_(test|live)_(?!\{\{)[A-Za-z0-9*]+/g;
const WEBHOOK_SECRET = /\bwhsec_(?!\{\{)[A-Za-z0-9]+/g;
const EMAIL = /(?<![{\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const URL_TIME = /([?&]t=)(\d{10})\b/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^\{\{[a-z0-9_+-]+\}\}$/;

/** Keys whose integer values are Unix timestamps. */
const TIME_KEY = /(^|_)(created|date|at|on|by|start|end|anchor|before|attempt|due|until|expires)$/;
const MIN_TIME = 946684800; // 2000-01-01
const MAX_TIME = 4102444800; // 2100-01-01

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
    for (const [token, original] of Object.entries(existing)) {
      this.byOriginal.set(original, token);
      const m = token.match(/^\{\{(.+)_(\d+)\}\}$/);
      if (m) this.counters.set(m[1], Math.max(this.counters.get(m[1]) ?? 0, Number(m[2])));
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

  string(text: string): string {
    if (TOKEN.test(text)) return text;
    let out = text
      .replace(CLIENT_SECRET, (_m, intent: string) => `${intent}_secret_{{secret}}`)
      .replace(API_KEY, (_m, kind: string, mode: string) => `${kind}_${mode}_{{secret}}`)
      .replace(WEBHOOK_SECRET, 'whsec_{{secret}}')
      .replace(ID, (whole: string, prefix: string) => (isMagic(whole) ? whole : this.token(prefix, whole)))
      .replace(URL_TIME, (_m, lead: string, t: string) => `${lead}${this.time(Number(t))}`);
    if (this.options.scrubEmails) out = out.replace(EMAIL, (email) => this.token('email', email, false));
    return out;
  }

  value(value: unknown, key = ''): unknown {
    if (typeof value === 'string') return this.string(value);
    if (typeof value === 'number') {
      return Number.isInteger(value) && value >= MIN_TIME && value < MAX_TIME && TIME_KEY.test(key) ? this.time(value) : value;
    }
    if (Array.isArray(value)) return value.map((v) => this.value(v, key));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.value(v, k);
      return out;
    }
    return value;
  }

  idempotencyKey(key: string | undefined | null): string | null {
    if (!key) return null;
    if (TOKEN.test(key)) return key;
    return this.token('idem', key, false);
  }
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

/** The smallest timestamp a capture mentions: what its {{t+N}} tokens count from. */
function baseTime(raw: RawCapture): number {
  let min = Infinity;
  const visit = (v: unknown, key: string) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= MIN_TIME && v < MAX_TIME && TIME_KEY.test(key)) min = Math.min(min, v);
    else if (Array.isArray(v)) v.forEach((x) => visit(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  for (const i of raw.interactions) {
    if (i.recordedAt !== undefined) min = Math.min(min, i.recordedAt);
    visit(i.response.body, '');
  }
  (raw.objects ?? []).forEach((o) => visit(o, ''));
  return Number.isFinite(min) ? min : 0;
}

export function normalize(raw: RawCapture, options: NormalizeOptions = {}, existingIds: Record<string, string> = {}): Capture {
  const base = baseTime(raw);
  const n = new Normalizer(existingIds, base, options);
  const versions: string[] = [...(raw.provenance.api_versions ?? [])];
  const interactions: Interaction[] = raw.interactions.map((i) => {
    const version = header(i.request.headers, 'Stripe-Version') ?? header(i.response.headers, 'Stripe-Version') ?? null;
    if (version && !versions.includes(version)) versions.push(version);
    const requestKey = n.idempotencyKey(header(i.request.headers, 'Idempotency-Key'));
    const headers: Record<string, string> = {};
    for (const name of HEADERS_THAT_MATTER) {
      const v = header(i.response.headers, name);
      if (v === undefined) continue;
      if (name === 'Idempotency-Key') headers[name] = n.idempotencyKey(v)!;
      else if (name === 'Request-Id' || name === 'Original-Request') headers[name] = TOKEN.test(v) ? v : n.token('req', v, false);
      else headers[name] = n.string(v);
    }
    const interaction: Interaction = {
      request: {
        method: i.request.method.toUpperCase(),
        path: n.string(i.request.path),
        params: n.value(i.request.params) as Record<string, unknown>,
        stripe_version: version,
        idempotency_key: requestKey,
        stripe_account: (n.string(header(i.request.headers, 'Stripe-Account') ?? '') || null) as string | null,
      },
      response: { status: i.response.status, headers, body: n.value(i.response.body) },
    };
    if (i.recordedAt !== undefined) interaction.at = i.recordedAt - base;
    return interaction;
  });
  const capture: Capture = {
    format: CAPTURE_FORMAT,
    name: raw.name,
    provenance: { ...raw.provenance, api_versions: versions } as Provenance,
    interactions,
    ids: {},
  };
  if (raw.objects?.length) capture.objects = raw.objects.map((o) => n.value(o));
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

export const isToken = (v: unknown): v is string => typeof v === 'string' && TOKEN.test(v);
export const isUuid = (v: string) => UUID.test(v);
export type { CaptureSource };
