import { createHmac, timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';
import { Gate, honoMiddleware, HonoMiddleware, nodeMiddleware, NodeMiddleware, Paywall, PaywallResponse, routeMatcher } from '../paywall/core';

export type { Paywall, PaywallRequest, PaywallResponse, NodeMiddleware, HonoMiddleware } from '../paywall/core';
export { nodeMiddleware, honoMiddleware } from '../paywall/core';

// stripe-twin/mpp: an MPP paywall (the `Payment` HTTP auth scheme, docs/agents.md
// docs/agents.md §2) with method="stripe", intent="charge", redeeming Shared Payment Tokens
// through PaymentIntents on the twin, as mppx's Stripe seller does (docs/agents.md §2.7).
//
// - 402: `WWW-Authenticate: Payment id, realm, method, intent, request (unpadded
//   base64url of JCS JSON), expires (now + 5 min)[, description]`, Cache-Control
//   no-store and a problem+json body (docs/agents.md §2.1, §2.2, §2.6).
// - The challenge id is HMAC-SHA256 over realm|method|intent|request|expires|digest|opaque
//   (docs/agents.md §2.2): a credential proves its challenge was issued here, so no state is kept.
//   Replays are refused by Stripe's idempotency (Idempotency-Key mpp_<id>_<spt>).
// - A credential is checked in mppx's order: well-formed, issued here, the route's
//   method/intent/realm/amount/currency, not expired, a payload with an spt; then
//   the PaymentIntent (Stripe-Version 2026-07-29.preview, top-level
//   shared_payment_granted_token, confirm) — before the handler runs; a 2xx answer
//   gets `Payment-Receipt` (docs/agents.md §2.5).
// Time (expires) is wall time, as mppx's: clients and servers compare it with their own clocks.

export interface MppRoute {
  /** Decimal amount in the currency's major unit ("0.50"), converted with `decimals` (mppx's form). */
  amount: string | number;
  /** Default `usd`. */
  currency?: string;
  /** Decimals of the currency; default 2. */
  decimals?: number;
  description?: string;
  externalId?: string;
}

export interface MppOptions {
  /** The twin's base URL (the Stripe API the tokens are redeemed at). */
  twinUrl?: string;
  /** The seller's twin key: the PaymentIntents are made in its account. */
  secretKey: string;
  /** A stripe client to use instead of one made from twinUrl. */
  stripe?: Stripe;
  /** The seller's network id (Stripe profile, `profile_…`) the tokens must be granted to. */
  networkId: string;
  /** Default `['card']`. */
  paymentMethodTypes?: string[];
  /** Challenge realm; default the request's host name without port (mppx's default). */
  realm?: string;
  /** The HMAC secret of challenge ids; default base64(HMAC-SHA256(secretKey, "mpp-challenge-signing")) (Stripe's sample). */
  challengeSecret?: string;
  /** How long a challenge is valid, in seconds; default 300 (mppx's). */
  expiresIn?: number;
  /** Metadata added to the PaymentIntent's (mppx's analytics keys always). */
  metadata?: Record<string, string>;
}

/** Stripe-Version mppx's seller sends (docs/agents.md §2.7). */
export const STRIPE_PREVIEW_VERSION = '2026-07-29.preview';
/** mppx's release whose wire this paywall speaks, named as mppx names itself in PaymentIntent metadata. */
const SDK = 'mppx/0.11.0';
const PROBLEMS = 'https://paymentauth.org/problems/';
const HINT_PAY = 'Use a supported wallet to pay for this resource using one of the supported payment methods returned in the WWW-Authenticate header. See https://mpp.dev/tools/wallet.md';
const HINT_MALFORMED = 'Use a supported wallet to construct valid credentials for one of the supported payment methods returned in the WWW-Authenticate header. See https://mpp.dev/tools/wallet.md';

interface Challenge {
  id: string;
  realm: string;
  method: string;
  intent: string;
  /** The wire form: unpadded base64url of JCS JSON. */
  request: string;
  expires?: string;
  description?: string;
  digest?: string;
  opaque?: string;
}

/**
 * An RFC 9457 problem (docs/agents.md §2.6), as mppx's errors render: a detail is mppx's
 * template around a reason, so a reason that ends with a period ends with two, as in mppx.
 */
class Problem {
  constructor(
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly status = 402,
    readonly hint?: string,
  ) {}
}

const problems = {
  required: (description?: string) => new Problem('payment-required', 'Payment Required', `Payment is required${description ? ` (${description})` : ''}.`, 402, HINT_PAY),
  malformed: (reason: string) => new Problem('malformed-credential', 'Malformed Credential', `Credential is malformed: ${reason}.`, 402, HINT_MALFORMED),
  invalidChallenge: (id: string | undefined, reason: string) => new Problem('invalid-challenge', 'Invalid Challenge', `Challenge${id ? ` "${id}"` : ''} is invalid: ${reason}.`),
  expired: (expires: string) => new Problem('payment-expired', 'Payment Expired', `Payment expired at ${expires}.`),
  invalidPayload: () => new Problem('invalid-payload', 'Invalid Payload', 'Credential payload is invalid.'),
  verificationFailed: (reason: string) => new Problem('verification-failed', 'Verification Failed', `Payment verification failed: ${reason}.`),
  actionRequired: (reason: string) => new Problem('payment-action-required', 'Payment Action Required', `Payment requires action: ${reason}.`),
  internal: () => new Problem('internal-payment-error', 'Internal Payment Error', 'An internal payment error occurred.', 500),
};

/** A paywall speaking MPP for `routes` (see `paymentMiddleware` to mount it). */
export function mppPaywall(routes: Record<string, MppRoute>, options: MppOptions): Paywall {
  const match = routeMatcher(routes);
  const stripe = options.stripe ?? stripeFor(options.twinUrl, options.secretKey);
  const secret = options.challengeSecret ?? createHmac('sha256', options.secretKey).update('mpp-challenge-signing').digest('base64');
  const expiresIn = options.expiresIn ?? 300;
  const methodDetails = { networkId: options.networkId, paymentMethodTypes: options.paymentMethodTypes ?? ['card'] };

  return async (req): Promise<Gate> => {
    const url = new URL(req.url);
    const route = match(req.method, url.pathname);
    if (!route) return { finish: null };
    const request = chargeRequest(route, methodDetails);
    const realm = options.realm ?? url.hostname;
    const fresh = issue(secret, { realm, method: 'stripe', intent: 'charge', request: base64url(canonicalize(request)), expires: new Date(Date.now() + expiresIn * 1000).toISOString(), description: route.description });
    const refuse = (problem: Problem): Gate => ({ response: challengeResponse(fresh, problem) });

    const authorization = req.header('authorization');
    const payment = authorization?.split(',').map((s) => s.trim()).filter((s) => /^payment\s+/i.test(s)) ?? [];
    if (payment.length === 0) return refuse(problems.required(route.description));
    if (payment.length > 1) return { response: challengeResponse(fresh, new Problem('bad-request', 'Bad Request', 'Bad request: multiple Payment credentials.', 400)) };
    const credential = parseCredential(payment[0].replace(/^payment\s+/i, ''));
    if (!credential) return refuse(problems.malformed('Invalid base64url or JSON.'));
    const echoed = credential.challenge;

    if (!verifyId(secret, echoed)) return refuse(problems.invalidChallenge(echoed.id, 'challenge was not issued by this server'));
    const echoedRequest = decodeRequest(echoed.request);
    for (const [field, mine, theirs] of [
      ['method', 'stripe', echoed.method],
      ['intent', 'charge', echoed.intent],
      ['realm', realm, echoed.realm],
      ['amount', request.amount, echoedRequest?.amount],
      ['currency', request.currency, echoedRequest?.currency],
      ['recipient', undefined, echoedRequest?.recipient],
    ] as const) {
      if (mine !== theirs) return refuse(problems.invalidChallenge(echoed.id, `credential ${field} does not match this route's requirements`));
    }
    if (!echoed.expires) return refuse(problems.invalidChallenge(echoed.id, 'missing required expires field'));
    const expires = new Date(echoed.expires).getTime();
    if (Number.isNaN(expires)) return refuse(problems.invalidChallenge(echoed.id, 'malformed expires timestamp'));
    if (expires < Date.now()) return refuse(problems.expired(echoed.expires));
    const payload = credential.payload as { spt?: unknown; externalId?: unknown } | undefined;
    if (typeof payload?.spt !== 'string' || (payload.externalId !== undefined && typeof payload.externalId !== 'string')) return refuse(problems.invalidPayload());
    if (request.externalId !== undefined && payload.externalId !== request.externalId) {
      return refuse(problems.invalidChallenge(echoed.id, 'credential externalId does not match this route request'));
    }

    let pi: { id: string; status: string; replayed: boolean };
    try {
      pi = await redeem(stripe, echoed.id, payload.spt, request, options.metadata);
    } catch (e) {
      return refuse(problems.verificationFailed(`Stripe PaymentIntent failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (pi.replayed) return refuse(problems.verificationFailed('Payment has already been processed.'));
    if (pi.status === 'requires_action') return refuse(problems.actionRequired('Stripe PaymentIntent requires action'));
    if (pi.status !== 'succeeded') return refuse(problems.internal());

    const receipt = { method: 'stripe', status: 'success', timestamp: new Date().toISOString(), reference: pi.id, ...(request.externalId !== undefined ? { externalId: request.externalId } : {}) };
    return {
      finish: async (status) => {
        const headers: Record<string, string> = status >= 200 && status < 300 ? { 'Payment-Receipt': base64url(JSON.stringify(receipt)), 'Cache-Control': 'private' } : {};
        return { headers };
      },
    };
  };
}

/** Connect-style middleware for node:http and express. */
export function paymentMiddleware(routes: Record<string, MppRoute>, options: MppOptions): NodeMiddleware {
  return nodeMiddleware(mppPaywall(routes, options));
}

/** The same paywall as hono middleware. */
export function honoPaymentMiddleware(routes: Record<string, MppRoute>, options: MppOptions): HonoMiddleware {
  return honoMiddleware(mppPaywall(routes, options));
}

// --- the request, the challenge, the credential --------------------------------

interface ChargeRequest {
  amount: string;
  currency: string;
  description?: string;
  externalId?: string;
  recipient?: string;
  methodDetails: { networkId: string; paymentMethodTypes: string[] };
}

/** The decoded `request` of a stripe charge (docs/agents.md §2.7): the amount in minor units. */
function chargeRequest(route: MppRoute, methodDetails: ChargeRequest['methodDetails']): ChargeRequest {
  return {
    amount: minorUnits(route.amount, route.decimals ?? 2),
    currency: (route.currency ?? 'usd').toLowerCase(),
    ...(route.description !== undefined ? { description: route.description } : {}),
    ...(route.externalId !== undefined ? { externalId: route.externalId } : {}),
    methodDetails,
  };
}

function minorUnits(amount: string | number, decimals: number): string {
  const text = String(amount).trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m || (m[2] ?? '').length > decimals) throw new Error(`stripe-twin/mpp: amount ${JSON.stringify(amount)} is not a decimal with at most ${decimals} decimals`);
  return (BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt((m[2] ?? '').padEnd(decimals, '0') || '0')).toString();
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** JCS (RFC 8785) for the values a request holds: strings, safe integers, arrays, objects (docs/agents.md §2.3). */
function canonicalize(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); // UTF-16 code units
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalize(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function decodeRequest(request: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(request, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The id binding (docs/agents.md §2.2): the request recanonicalised, absent slots empty. */
function challengeId(secret: string, c: Omit<Challenge, 'id'>): string {
  const decoded = decodeRequest(c.request);
  const request = decoded ? base64url(canonicalize(decoded)) : c.request;
  const input = [c.realm, c.method, c.intent, request, c.expires ?? '', c.digest ?? '', c.opaque ?? ''].join('|');
  return createHmac('sha256', secret).update(input, 'utf8').digest('base64url');
}

function issue(secret: string, c: Omit<Challenge, 'id'>): Challenge {
  return { id: challengeId(secret, c), ...c };
}

function verifyId(secret: string, c: Challenge): boolean {
  if (typeof c.id !== 'string' || typeof c.request !== 'string') return false;
  const expected = Buffer.from(challengeId(secret, c));
  const given = Buffer.from(c.id);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[\u0100-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function wwwAuthenticate(c: Challenge): string {
  const params: [string, string | undefined][] = [
    ['id', c.id],
    ['realm', c.realm],
    ['method', c.method],
    ['intent', c.intent],
    ['request', c.request],
    ['description', c.description],
    ['digest', c.digest],
    ['expires', c.expires],
    ['opaque', c.opaque],
  ];
  return `Payment ${params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${quoted(v!)}`).join(', ')}`;
}

function challengeResponse(challenge: Challenge, problem: Problem): PaywallResponse {
  const body = {
    type: `${PROBLEMS}${problem.code}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(problem.hint ? { hint: problem.hint } : {}),
    challengeId: challenge.id,
  };
  return {
    status: problem.status,
    headers: { 'WWW-Authenticate': wwwAuthenticate(challenge), 'Cache-Control': 'no-store', 'Content-Type': 'application/problem+json' },
    body: JSON.stringify(body),
  };
}

/** `Payment <credential>`: unpadded base64url of JSON `{ challenge, payload, source? }` (docs/agents.md §2.4). */
function parseCredential(encoded: string): { challenge: Challenge; payload: unknown } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(encoded.trim(), 'base64url').toString('utf8'));
    const c = parsed?.challenge;
    if (!c || typeof c !== 'object') return undefined;
    for (const field of ['id', 'realm', 'method', 'intent', 'request'] as const) if (typeof c[field] !== 'string') return undefined;
    if (c.opaque !== undefined && typeof c.opaque !== 'string') return undefined;
    return { challenge: c as Challenge, payload: parsed.payload };
  } catch {
    return undefined;
  }
}

// --- the twin -------------------------------------------------------------------

function stripeFor(base: string | undefined, key: string): Stripe {
  if (!base) throw new Error('stripe-twin/mpp: give twinUrl or a stripe client');
  const url = new URL(base);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(key, { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol, maxNetworkRetries: 0 });
}

/** The PaymentIntent mppx's seller makes for a credential (docs/agents.md §2.7), and whether Stripe replayed it. */
async function redeem(stripe: Stripe, challengeId: string, spt: string, request: ChargeRequest, metadata: Record<string, string> = {}) {
  const params = {
    amount: Number(request.amount),
    automatic_payment_methods: { allow_redirects: 'never', enabled: true },
    confirm: true,
    currency: request.currency,
    metadata: { machine_payment: 'true', mpp_sdk: SDK, mpp_intent: 'charge', mpp_challenge_id: challengeId, ...metadata },
    shared_payment_granted_token: spt,
  };
  const pi = await stripe.paymentIntents.create(params as unknown as Stripe.PaymentIntentCreateParams, { apiVersion: STRIPE_PREVIEW_VERSION, idempotencyKey: `mpp_${challengeId}_${spt}` });
  return { id: pi.id, status: pi.status, replayed: pi.lastResponse?.headers?.['idempotent-replayed'] === 'true' };
}
