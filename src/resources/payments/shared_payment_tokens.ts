import { declareTask, nowIn, scheduleIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { checkCurrency, formatAmount } from '../../engine/money';
import { Params } from '../../engine/params';
import { Random } from '../../engine/random';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared } from '../../engine/resource';
import { TestCard } from '../../engine/test_values';
import { Ctx, World } from '../../engine/world';
import { sortKeys } from '../common';
import { cardOf, createCardPaymentMethod, PaymentMethod, resolvePaymentMethod } from './payment_methods';

// Shared Payment Tokens (docs/agents.md §2.9, private preview). A buyer (an
// agent's account) issues a token for one of its PaymentMethods to a seller's
// network business profile, with usage limits; the seller sees the same `spt_`
// id as a granted token and redeems it with a PaymentIntent, which is paid by a
// clone of the PaymentMethod. Test helpers let a seller grant itself tokens.
//
// Accounts of one twin are Stripe's network: every account has a network
// business profile (`profile_test_…`, derived from its id, or chosen through the
// control surface), and a token issued to the profile of another account of the
// twin is granted to that account. Each side keeps its own object (issued in the
// buyer's account, granted in the seller's); redemption, revocation and expiry
// update both, each with its own events.

export type IssuedToken = Shaped<'shared_payment.issued_token'>;
export type GrantedToken = Shaped<'shared_payment.granted_token'>;

// --- network business profiles ------------------------------------------------

const PROFILE_FACT = 'network_business_profile';
const PROFILE_PREFIX = 'profile_test_';

/**
 * An account's network business profile id (twin choice): `profile_test_61` +
 * the account id's 16 characters + 26 characters drawn from a stream seeded by
 * the account id — 44 characters after the prefix, as the test profile in
 * Stripe's docs has — unless one was chosen for it.
 */
export function networkProfileOf(world: World): string {
  const chosen = world.facts.get(PROFILE_FACT) as string | undefined;
  if (chosen) return chosen;
  return `${PROFILE_PREFIX}61${world.accountId.slice(5)}${new Random(`${world.accountId}:profile`).chars(26)}`;
}

/** Chooses an account's profile id (control surface, seeds); null returns to the derived one. */
export function chooseNetworkProfile(world: World, profile: string | null): void {
  if (profile === null) world.facts.delete(PROFILE_FACT);
  else world.facts.set(PROFILE_FACT, profile);
}

/** The account of the twin whose profile is `profile`: a derived id names its account; a chosen one is looked up. */
export function accountOfProfile(world: World, profile: string): World | undefined {
  const directory = world.directory;
  const candidates: Iterable<World> = directory ? directory.all() : [world];
  if (profile.startsWith(`${PROFILE_PREFIX}61`) && directory) {
    const block = profile.slice(PROFILE_PREFIX.length + 2, PROFILE_PREFIX.length + 18).slice(-10);
    const owner = directory.byBlock(block);
    if (owner && networkProfileOf(owner) === profile) return owner;
  }
  for (const account of candidates) if (networkProfileOf(account) === profile) return account;
  return undefined;
}

/** The account whose id ends with `accountId`'s block (a peer, or this one). */
function accountById(world: World, accountId: string): World | undefined {
  if (world.accountId === accountId) return world;
  const found = world.directory?.byBlock(accountId.slice(-10));
  return found?.accountId === accountId ? found : undefined;
}

/** A context for work done in another account on behalf of this request (no request of its own there). */
function contextIn(world: World): Ctx {
  return { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
}

// --- what each side remembers -------------------------------------------------

/** What the seller's account keeps to clone the shared PaymentMethod, and who issued the token. */
interface Grant {
  card: TestCard;
  exp_month: number;
  exp_year: number;
  billing_details: Record<string, unknown>;
  /** The issuing account (an issued token), or null for a test-helper token. */
  issuer: string | null;
}
const grantFact = (id: string) => `spt_grant:${id}`;
/** In the buyer's account: the account the issued token was granted to (null when the profile is not one of the twin's). */
const sellerFact = (id: string) => `spt_seller:${id}`;

const NO_USAGE = shared({ amount_captured: null });

function usageLimits(limits: Params, ctx: Ctx, prefix: string): Record<string, unknown> {
  const currency = checkCurrency(limits.currency, `${prefix}[currency]`);
  if (!(limits.max_amount > 0)) {
    // Twin text (unverified): Stripe's answer to a zero or negative limit is not recorded.
    throw errors.paramState(`Invalid ${prefix}[max_amount]: must be a positive integer.`, `${prefix}[max_amount]`);
  }
  const expiresAt = limits.expires_at ?? null;
  if (expiresAt !== null && expiresAt <= nowIn(ctx)) {
    throw errors.paramState(`Invalid ${prefix}[expires_at]: must be in the future.`, `${prefix}[expires_at]`);
  }
  return { currency, expires_at: expiresAt, max_amount: limits.max_amount, recurring_interval: limits.recurring_interval ?? null };
}

/** The shared card PaymentMethod, and what the seller sees of it (payment_method_details). */
function sharedCard(ctx: Ctx, ref: string): { pm: PaymentMethod; card: TestCard; details: Record<string, unknown> } {
  const pm = resolvePaymentMethod(ctx, ref, 'payment_method');
  const card = pm.type === 'card' ? cardOf(ctx.world, pm.id) : undefined;
  if (!card) throw errors.unsupportedBehaviour(`sharing a ${pm.type} PaymentMethod with a Shared Payment Token (cards only)`);
  const c = pm.card;
  // Twin choice: the card fields stripe-python's granted token declares, less those it marks internal.
  const details = {
    billing_details: pm.billing_details,
    card: sortKeys({
      brand: c.brand, checks: c.checks, country: c.country, display_brand: c.display_brand, exp_month: c.exp_month, exp_year: c.exp_year,
      fingerprint: c.fingerprint, funding: c.funding, last4: c.last4, networks: c.networks, wallet: c.wallet,
    }),
    type: 'card',
  };
  return { pm, card, details };
}

function rememberGrant(seller: World, id: string, pm: PaymentMethod, card: TestCard, issuer: string | null): void {
  const grant: Grant = { card, exp_month: pm.card.exp_month, exp_year: pm.card.exp_year, billing_details: pm.billing_details, issuer };
  seller.facts.set(grantFact(id), Object.freeze(grant));
}

// --- granted tokens (seller) ----------------------------------------------------

export const grantedTokens = defineResource<'shared_payment.granted_token', GrantedToken>({
  object: 'shared_payment.granted_token',
  prefix: 'spt',
  path: null,
  name: 'shared_payment.granted_token',
  defaults: { shared_metadata: EMPTY, usage_details: NO_USAGE },
});

/** Stores a granted token in the seller's account (its id chosen by the issuer), expiring at its limit. */
function grant(ctx: Ctx, id: string, fields: Partial<GrantedToken>): GrantedToken {
  ctx.world.ids.choose(id, 'spt');
  const token = grantedTokens.insert(ctx, {}, fields);
  const expiresAt = token.usage_limits.expires_at;
  if (expiresAt !== null) scheduleIn(ctx, expiresAt, EXPIRE_GRANTED, { id });
  return token;
}

/**
 * The test helper (seller side, test mode): grants a token for a PaymentMethod of
 * the caller's account. mppx's CLI sends `seller_details[network_id]`; naming the
 * profile of another account of the twin grants the token to that account (twin
 * choice: so a buyer's key can mint for a seller, as the CLI does); otherwise the
 * caller is the seller. `metadata` (also mppx's) is accepted and not kept.
 */
function createTestGrantedToken(ctx: Ctx, params: Params): GrantedToken {
  const limits = usageLimits(params.usage_limits, ctx, 'usage_limits');
  if (params.customer) find(ctx, 'customer', params.customer, 'customer');
  const { pm, card, details } = sharedCard(ctx, params.payment_method);
  const named = params.seller_details?.network_id;
  const seller = (named && accountOfProfile(ctx.world, named)) || ctx.world;
  const id = ctx.world.ids.next('spt');
  const on = seller === ctx.world ? ctx : contextIn(seller);
  rememberGrant(seller, id, pm, card, null);
  return grant(on, id, {
    agent_details: null,
    payment_method_details: details,
    shared_metadata: mergeMetadata(EMPTY, params.shared_metadata || undefined),
    usage_limits: limits,
  });
}

// --- issued tokens (buyer) ------------------------------------------------------

export const issuedTokens = defineResource<'shared_payment.issued_token', IssuedToken>({
  object: 'shared_payment.issued_token',
  prefix: 'spt',
  path: '/v1/shared_payment/issued_tokens',
  name: 'shared_payment.issued_token',
  defaults: { shared_metadata: EMPTY, status: 'active', usage_details: NO_USAGE },
  create: (ctx, params) => issueToken(ctx, params),
  routes: { list: false },
});

/**
 * Issues a token to a seller: checks the PaymentMethod (cards), the seller
 * (a profile or an external id) and the limits; when the profile is another
 * account of the twin, grants it the token. A profile that is no account of the
 * twin (Stripe's docs test profile) is accepted and its token granted to no one
 * (twin choice); issuing to one's own profile is refused (twin choice: one
 * account cannot hold both sides under one id; the test helper grants oneself).
 */
function issueToken(ctx: Ctx, params: Params): IssuedToken {
  const { world } = ctx;
  const seller = params.seller_details ?? {};
  if (!seller.network_business_profile && !seller.external_id) throw errors.parameterMissing('seller_details[network_business_profile]');
  const limits = usageLimits(params.usage_limits, ctx, 'usage_limits');
  const { pm, card, details } = sharedCard(ctx, params.payment_method);
  const sellerAccount = seller.network_business_profile ? accountOfProfile(world, seller.network_business_profile) : undefined;
  if (sellerAccount === world) {
    throw errors.paramState(
      'A SharedPaymentIssuedToken cannot be issued to your own network business profile. To test redeeming a token, create one with POST /v1/test_helpers/shared_payment/granted_tokens.',
      'seller_details[network_business_profile]',
    );
  }
  const shared_metadata = mergeMetadata(EMPTY, params.shared_metadata);
  const token = issuedTokens.insert(ctx, params, {
    payment_method: pm.id,
    return_url: params.return_url ?? null,
    seller_details: { external_id: seller.external_id ?? null, network_business_profile: seller.network_business_profile ?? null },
    setup_future_usage: params.setup_future_usage ?? null,
    shared_metadata,
    usage_limits: limits,
  });
  if (limits.expires_at !== null) scheduleIn(ctx, limits.expires_at as number, EXPIRE_ISSUED, { id: token.id });
  world.facts.set(sellerFact(token.id), sellerAccount?.accountId ?? null);
  if (sellerAccount) {
    rememberGrant(sellerAccount, token.id, pm, card, world.accountId);
    grant(contextIn(sellerAccount), token.id, {
      agent_details: { network_business_profile: networkProfileOf(world) },
      created: token.created,
      payment_method_details: details,
      shared_metadata,
      usage_limits: limits,
    });
  }
  return token;
}

// --- deactivation: use, revocation, expiry ----------------------------------------

type Reason = 'consumed' | 'expired' | 'revoked';

/** Deactivates the seller's granted token with `reason`, announcing it (`used` for a consumption, else `deactivated`). */
function deactivateGranted(ctx: Ctx, token: GrantedToken, reason: Reason, usage?: Record<string, unknown>): GrantedToken {
  if (token.deactivated_reason) return token;
  const after = { ...token, deactivated_at: nowIn(ctx), deactivated_reason: reason, ...(usage ? { usage_details: usage } : {}) };
  return grantedTokens.save(ctx, token, after, reason === 'consumed' ? 'shared_payment.granted_token.used' : 'shared_payment.granted_token.deactivated');
}

function deactivateIssued(ctx: Ctx, token: IssuedToken, reason: Reason, usage?: Record<string, unknown>): IssuedToken {
  if (token.status === 'deactivated') return token;
  const after = { ...token, deactivated_at: nowIn(ctx), deactivated_reason: reason, status: 'deactivated', ...(usage ? { usage_details: usage } : {}) };
  return issuedTokens.save(ctx, token, after, reason === 'consumed' ? 'shared_payment.issued_token.used' : 'shared_payment.issued_token.deactivated');
}

/** The issued token behind a granted one, in the buyer's account (if it is still there). */
function issuedSide(seller: World, id: string): { ctx: Ctx; token: IssuedToken } | null {
  const issuer = (seller.facts.get(grantFact(id)) as Grant | undefined)?.issuer;
  const buyer = issuer ? accountById(seller, issuer) : undefined;
  const token = buyer?.get<IssuedToken>(id);
  return buyer && token?.object === 'shared_payment.issued_token' ? { ctx: contextIn(buyer), token } : null;
}

/** The granted token of an issued one, in the seller's account (if the profile was one of the twin's). */
function grantedSide(buyer: World, id: string): { ctx: Ctx; token: GrantedToken } | null {
  const sellerId = buyer.facts.get(sellerFact(id)) as string | null | undefined;
  const seller = sellerId ? accountById(buyer, sellerId) : undefined;
  const token = seller?.get<GrantedToken>(id);
  return seller && token?.object === 'shared_payment.granted_token' ? { ctx: contextIn(seller), token } : null;
}

const EXPIRE_GRANTED = declareTask<{ id: string }>('shared_payment.granted_token.expire', (later, { id }) => expireGranted(later, id));
const EXPIRE_ISSUED = declareTask<{ id: string }>('shared_payment.issued_token.expire', (later, { id }) => expireIssued(later, id));

function expireGranted(ctx: Ctx, id: string): void {
  const token = ctx.world.get<GrantedToken>(id);
  if (token?.object === 'shared_payment.granted_token') deactivateGranted(ctx, token, 'expired');
}

function expireIssued(ctx: Ctx, id: string): void {
  const token = ctx.world.get<IssuedToken>(id);
  if (token?.object === 'shared_payment.issued_token') deactivateIssued(ctx, token, 'expired');
}

/** The buyer revokes: the issued token, then the seller's granted token, each announced. Revoking a deactivated token changes nothing (twin choice). */
function revokeIssued(ctx: Ctx, token: IssuedToken): IssuedToken {
  const revoked = deactivateIssued(ctx, token, 'revoked');
  const other = grantedSide(ctx.world, token.id);
  if (other && revoked !== token) deactivateGranted(other.ctx, other.token, 'revoked');
  return revoked;
}

/** The test helper's revocation (as if the agent revoked): the granted token, and the issued token behind it. */
function revokeGranted(ctx: Ctx, token: GrantedToken): GrantedToken {
  const revoked = deactivateGranted(ctx, token, 'revoked');
  const other = issuedSide(ctx.world, token.id);
  if (other && revoked !== token) deactivateIssued(other.ctx, other.token, 'revoked');
  return revoked;
}

// --- redemption ---------------------------------------------------------------------

/** The token a PaymentIntent request redeems, and the parameter that named it. */
export function grantedTokenParam(params: Params): { id: string; param: string } | null {
  if (params.shared_payment_granted_token) return { id: params.shared_payment_granted_token, param: 'shared_payment_granted_token' };
  const nested = params.payment_method_data?.shared_payment_granted_token;
  return nested ? { id: nested, param: 'payment_method_data[shared_payment_granted_token]' } : null;
}

/**
 * Checks that this account may charge `amount` `currency` with the token:
 * granted to it (another seller's token is "No such", as any object of another
 * account), active, not expired by the world clock, in the limit's currency and
 * within what is left of max_amount. Codes and texts are the twin's (Stripe's
 * answers are not recorded), except token_already_used and amount_too_large,
 * which are Stripe's codes for those conditions elsewhere.
 */
export function checkGrantedToken(ctx: Ctx, ref: { id: string; param: string }, amount: number, currency: string): GrantedToken {
  const token = ctx.world.get<GrantedToken>(ref.id);
  if (!token || token.object !== 'shared_payment.granted_token') throw errors.resourceMissing('shared_payment.granted_token', ref.id, ref.param);
  const limits = token.usage_limits;
  const expired = token.deactivated_reason === 'expired' || (limits.expires_at !== null && nowIn(ctx) >= limits.expires_at);
  if (token.deactivated_reason === 'consumed') {
    throw errors.paramState(`The SharedPaymentGrantedToken ${token.id} has already been used. A token can be used for one payment only.`, ref.param, 'token_already_used');
  }
  if (token.deactivated_reason === 'revoked') {
    throw errors.paramState(`The SharedPaymentGrantedToken ${token.id} has been revoked and can no longer be used.`, ref.param, 'shared_payment_granted_token_inactive');
  }
  if (expired) {
    throw errors.paramState(`The SharedPaymentGrantedToken ${token.id} expired at ${limits.expires_at} and can no longer be used.`, ref.param, 'shared_payment_granted_token_inactive');
  }
  if (currency !== limits.currency) {
    throw errors.paramState(
      `The currency ${currency} does not match the currency ${limits.currency} of the SharedPaymentGrantedToken ${token.id}.`,
      'currency',
      'shared_payment_granted_token_currency_mismatch',
    );
  }
  const used = token.usage_details?.amount_captured?.value ?? 0;
  if (amount > limits.max_amount - used) {
    throw errors.paramState(
      `The amount ${formatAmount(amount, currency)} exceeds what is left of the SharedPaymentGrantedToken ${token.id}'s limit (${formatAmount(limits.max_amount - used, currency)}).`,
      'amount',
      'amount_too_large',
    );
  }
  return token;
}

/** The PaymentMethod that pays with a token: a clone of the shared one, in this account, naming the token. */
export function paymentMethodFromToken(ctx: Ctx, token: GrantedToken): PaymentMethod {
  const grant = ctx.world.facts.get(grantFact(token.id)) as Grant;
  const pm = createCardPaymentMethod(ctx, grant.card, { exp_month: grant.exp_month, exp_year: grant.exp_year, billing_details: grant.billing_details });
  return ctx.world.replace({ ...pm, shared_payment_granted_token: token.id });
}

/**
 * A payment with the token went through: the granted token is consumed
 * (single use, twin choice from "one-time" tokens in Stripe's docs) with the
 * amount in usage_details (`shared_payment.granted_token.used`), and so is the
 * buyer's issued token (`shared_payment.issued_token.used`).
 */
export function recordTokenUse(ctx: Ctx, tokenId: string, amount: number, currency: string): void {
  const token = ctx.world.get<GrantedToken>(tokenId);
  if (!token || token.object !== 'shared_payment.granted_token') return;
  const used = (token.usage_details?.amount_captured?.value ?? 0) + amount;
  const usage = { amount_captured: { currency, value: used } };
  deactivateGranted(ctx, token, 'consumed', usage);
  const other = issuedSide(ctx.world, tokenId);
  if (other) deactivateIssued(other.ctx, other.token, 'consumed', usage);
}

// --- routes -------------------------------------------------------------------------

const grantedTokenRoutes = [
  route('GET', '/v1/shared_payment/granted_tokens/{shared_payment_granted_token}', 'shared_payment.granted_token', (ctx, _p, path) =>
    grantedTokens.find(ctx, path.shared_payment_granted_token),
  ),
  route('POST', '/v1/test_helpers/shared_payment/granted_tokens', 'shared_payment.granted_token', (ctx, params) => createTestGrantedToken(ctx, params)),
  route('POST', '/v1/test_helpers/shared_payment/granted_tokens/{shared_payment_granted_token}/revoke', 'shared_payment.granted_token', (ctx, _p, path) =>
    revokeGranted(ctx, grantedTokens.find(ctx, path.shared_payment_granted_token)),
  ),
];

issuedTokens.with(
  route('POST', '/v1/shared_payment/issued_tokens/{shared_payment_issued_token}/revoke', 'shared_payment.issued_token', (ctx, _p, path) =>
    revokeIssued(ctx, issuedTokens.find(ctx, path.shared_payment_issued_token)),
  ),
);

export const sharedPaymentTokenRoutes = [...issuedTokens.routes, ...grantedTokenRoutes];
