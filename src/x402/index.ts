import Stripe from 'stripe';
import { getAddress, isAddress } from 'viem';
import { Finish, Gate, honoMiddleware, HonoMiddleware, nodeMiddleware, NodeMiddleware, Paywall, PaywallResponse, routeMatcher } from '../paywall/core';
import { decodeHeader, encodeHeader, EvmNetwork, networkNamed, PaymentPayload, PaymentRequirements, SettleResponse, VerifyResponse } from './wire';

export type { Paywall, PaywallRequest, PaywallResponse, NodeMiddleware, HonoMiddleware } from '../paywall/core';
export { nodeMiddleware, honoMiddleware } from '../paywall/core';
export { NETWORKS } from './wire';

// stripe-twin/x402: an x402 paywall on the twin (docs/agents.md §0 items 1–5, §1).
// Every unpaid request gets a fresh crypto-deposit PaymentIntent on the twin whose
// Base deposit address is the payTo, as Stripe's x402 integration does (docs/agents.md §1.6),
// and one 402 that speaks both versions: x402 v1's JSON body and v2's
// PAYMENT-REQUIRED header. A retry carries X-PAYMENT (v1) or PAYMENT-SIGNATURE
// (v2); the payTo comes back in the signed authorization (v1) or the echoed
// `accepted` (v2), so the requirement is regenerated without state (docs/agents.md §1.4). The
// twin's facilitator (/x402 on the twin) verifies before the handler and settles
// after it into that PaymentIntent; a handler status ≥ 400 settles nothing.

export interface X402Route {
  /** USD price: "$0.01", "0.01" or 0.01 — whole cents. */
  price: string | number;
  /** `base-sepolia` (default) or `base`, in v1's form; v2 clients see its CAIP-2 id. */
  network?: 'base-sepolia' | 'base';
  description?: string;
  mimeType?: string;
  /** How long a signed authorization is valid (validBefore = now + this); default 60 (x402-express's). */
  maxTimeoutSeconds?: number;
}

export interface X402Options {
  /** The twin's base URL, e.g. http://127.0.0.1:12111: the Stripe API and the facilitator (`<url>/x402`) are there. */
  twinUrl?: string;
  /** The merchant's twin key (sk_test_… or a restricted key with PaymentIntents write): its account receives the payments. */
  secretKey: string;
  /** A stripe client to create the PaymentIntents with, instead of one made from twinUrl (e.g. an in-process twin's). */
  stripe?: Stripe;
  /** The facilitator's URL; default `<twinUrl>/x402`. */
  facilitatorUrl?: string;
}

/** A paywall speaking x402 v1 and v2 for `routes` (see `paymentMiddleware` to mount it). */
export function x402Paywall(routes: Record<string, X402Route>, options: X402Options): Paywall {
  const match = routeMatcher(routes);
  const base = options.twinUrl?.replace(/\/+$/, '');
  const facilitatorUrl = options.facilitatorUrl ?? (base && `${base}/x402`);
  if (!facilitatorUrl) throw new Error('stripe-twin/x402: give twinUrl (or facilitatorUrl)');
  const stripe = options.stripe ?? stripeFor(base, options.secretKey);
  const facilitator = (action: 'verify' | 'settle', payload: PaymentPayload, requirements: PaymentRequirements) =>
    postJson(`${facilitatorUrl}/${action}`, options.secretKey, { x402Version: payload.x402Version, paymentPayload: payload, paymentRequirements: requirements });

  return async (req): Promise<Gate> => {
    const url = new URL(req.url);
    const route = match(req.method, url.pathname);
    if (!route) return { finish: null };
    const offer = new Offer(route, req.url);
    const fresh = async () => getAddress(await depositAddress(stripe, offer)); // EIP-55, as clients sign it

    const v2Header = req.header('payment-signature');
    const v1Header = v2Header ? undefined : req.header('x-payment');
    if (!v2Header && !v1Header) return { response: offer.required(await fresh(), 'X-PAYMENT header is required', 'Payment required') };
    const version = v2Header ? 2 : 1;
    const payload = decodeHeader<PaymentPayload>((v2Header ?? v1Header)!);
    const refuse = async (reason: string, headers: Record<string, string> = {}, payer?: string) => ({ response: offer.required(await fresh(), reason, reason, version, headers, payer) });
    if (!payload || payload.x402Version !== version) return refuse('invalid_payload');

    // The payTo this payment was made to: the signed `to` (v1), the echoed requirement (v2).
    const payTo = version === 1 ? payload.payload?.authorization?.to : payload.accepted?.payTo;
    if (typeof payTo !== 'string' || !isAddress(payTo, { strict: false })) return refuse('invalid_payload');
    const requirements = version === 1 ? offer.v1(payTo) : offer.v2(payTo);
    const matches = version === 1 ? payload.scheme === requirements.scheme && payload.network === requirements.network : sameRequirement(payload.accepted!, requirements);
    if (!matches) return refuse(version === 1 ? 'Unable to find matching payment requirements' : 'No matching payment requirements');

    const verified = (await facilitator('verify', payload, requirements)) as VerifyResponse;
    if (!verified.isValid) return refuse(verified.invalidReason ?? 'invalid_payment', {}, verified.payer || undefined);

    const finish: Finish = async (status) => {
      if (status >= 400) return { headers: {} };
      const settled = (await facilitator('settle', payload, requirements)) as SettleResponse;
      const header = encodeHeader(settled);
      if (!settled.success) return refuse(settled.errorReason ?? 'unexpected_settle_error', version === 2 ? { 'PAYMENT-RESPONSE': header } : {});
      const headers: Record<string, string> = version === 2 ? { 'PAYMENT-RESPONSE': header, 'Cache-Control': 'private' } : { 'X-PAYMENT-RESPONSE': header };
      return { headers };
    };
    return { finish };
  };
}

/** Connect-style middleware for node:http and express: `app.use(paymentMiddleware(routes, options))`. */
export function paymentMiddleware(routes: Record<string, X402Route>, options: X402Options): NodeMiddleware {
  return nodeMiddleware(x402Paywall(routes, options));
}

/** The same paywall as hono middleware: `app.use(honoPaymentMiddleware(routes, options))`. */
export function honoPaymentMiddleware(routes: Record<string, X402Route>, options: X402Options): HonoMiddleware {
  return honoMiddleware(x402Paywall(routes, options));
}

// --- the offer ----------------------------------------------------------------

/** What a route asks for at `resource`, in both versions' forms. */
class Offer {
  readonly network: EvmNetwork;
  readonly cents: number;
  readonly atomic: string;
  readonly maxTimeoutSeconds: number;

  constructor(readonly route: X402Route, readonly resource: string) {
    this.network = networkNamed(route.network ?? 'base-sepolia')!;
    if (!this.network) throw new Error(`stripe-twin/x402: unknown network ${route.network}`);
    this.cents = cents(route.price);
    this.atomic = (BigInt(this.cents) * 10_000n).toString(); // USDC: 6 decimals (docs/agents.md §1.6)
    this.maxTimeoutSeconds = route.maxTimeoutSeconds ?? 60;
  }

  private common(payTo: string) {
    return {
      scheme: 'exact',
      payTo,
      maxTimeoutSeconds: this.maxTimeoutSeconds,
      asset: this.network.usdc,
      extra: { name: this.network.domain.name, version: this.network.domain.version },
    };
  }

  v1(payTo: string): PaymentRequirements {
    const { scheme, ...rest } = this.common(payTo);
    return {
      scheme,
      network: this.network.v1,
      maxAmountRequired: this.atomic,
      resource: this.resource,
      description: this.route.description ?? '',
      mimeType: this.route.mimeType ?? '',
      ...rest,
    };
  }

  v2(payTo: string): PaymentRequirements {
    const { scheme, ...rest } = this.common(payTo);
    return { scheme, network: this.network.v2, amount: this.atomic, ...rest };
  }

  /**
   * The 402: v1's JSON body and v2's PAYMENT-REQUIRED header, each with its own
   * error text. After a failed v2 payment only v2 is spoken (and v1 likewise).
   */
  required(payTo: string, v1Error: string, v2Error: string, only?: 1 | 2, extra: Record<string, string> = {}, payer?: string): PaywallResponse {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra };
    if (only !== 1) {
      headers['PAYMENT-REQUIRED'] = encodeHeader({
        x402Version: 2,
        error: v2Error,
        resource: { url: this.resource, description: this.route.description ?? '', mimeType: this.route.mimeType ?? '' },
        accepts: [this.v2(payTo)],
      });
    }
    // A refused v1 payment also names the payer, as x402-express does.
    const body = only === 2 ? {} : { x402Version: 1, error: v1Error, accepts: [this.v1(payTo)], ...(payer ? { payer } : {}) };
    return { status: 402, headers, body: JSON.stringify(body) };
  }
}

function cents(price: string | number): number {
  const dollars = typeof price === 'number' ? price : Number(price.trim().replace(/^\$/, ''));
  const value = Math.round(dollars * 100);
  if (!Number.isFinite(dollars) || value < 1 || Math.abs(dollars * 100 - value) > 1e-6) {
    throw new Error(`stripe-twin/x402: price ${JSON.stringify(price)} is not a whole number of cents of at least $0.01`);
  }
  return value;
}

/** v2 servers match a payment by deep-comparing `accepted` with the regenerated requirement (docs/agents.md §1.4). */
function sameRequirement(accepted: PaymentRequirements, expected: PaymentRequirements): boolean {
  const fields = ['scheme', 'network', 'amount', 'asset', 'payTo', 'maxTimeoutSeconds'] as const;
  return (
    !!accepted &&
    fields.every((f) => String(accepted[f]).toLowerCase() === String(expected[f]).toLowerCase()) &&
    JSON.stringify(sortKeys(accepted.extra ?? {})) === JSON.stringify(sortKeys(expected.extra ?? {}))
  );
}

const sortKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

// --- the twin -------------------------------------------------------------------

function stripeFor(base: string | undefined, key: string): Stripe {
  if (!base) throw new Error('stripe-twin/x402: give twinUrl or a stripe client');
  const url = new URL(base);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(key, { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol, maxNetworkRetries: 0 });
}

/**
 * The API version Stripe documents deposit-mode PaymentIntents at (docs/agents.md §1.6). Its request,
 * `payment_method_types: ['crypto']`, is refused from 2026-09-30.endive on, so it is pinned on the request
 * whatever the client's own version.
 */
const DEPOSIT_API_VERSION = '2026-03-04.preview';

/** A deposit-mode PaymentIntent for the offer, confirmed at once; its Base deposit address (docs/agents.md §1.6). */
async function depositAddress(stripe: Stripe, offer: Offer): Promise<string> {
  const pi = await stripe.paymentIntents.create({
    amount: offer.cents,
    currency: 'usd',
    payment_method_types: ['crypto'],
    payment_method_data: { type: 'crypto' },
    payment_method_options: { crypto: { mode: 'deposit', deposit_options: { networks: [offer.network.depositNetwork] } } },
    confirm: true,
    ...(offer.route.description ? { description: offer.route.description } : {}),
    metadata: { x402_resource: offer.resource },
  } as unknown as Stripe.PaymentIntentCreateParams, { apiVersion: DEPOSIT_API_VERSION });
  const address = (pi.next_action as any)?.crypto_display_details?.deposit_addresses?.[offer.network.depositNetwork]?.address;
  if (typeof address !== 'string') throw new Error(`stripe-twin/x402: PaymentIntent ${pi.id} has no ${offer.network.depositNetwork} deposit address`);
  return address;
}

async function postJson(url: string, key: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`stripe-twin/x402: facilitator ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}
