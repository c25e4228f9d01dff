import { nowIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { paginate } from '../../engine/list';
import { Params } from '../../engine/params';
import { applicationId } from '../../engine/accounts';
import { Ctx, StripeObject, World } from '../../engine/world';
import { defineResource, EMPTY, mergeMetadata, route, Shaped, unsupportedParams } from '../../engine/resource';

// Connected accounts (docs/connect.md §1): POST /v1/accounts makes a connected
// account of the caller's platform (a world of its own, reached with
// Stripe-Account), whose Account object the platform keeps (list, retrieve,
// update, delete, reject). Capabilities, external accounts and persons live in
// the connected account. Onboarding is deterministic: requirements shrink as the
// test values arrive; charges and payouts are enabled when they are met.

export type Account = Shaped<'account', 'login_links'>;

/** `controller` and `type` for each `type` (docs/connect.md §1.1, Stripe's controller-properties guide). */
const CONTROLLERS: Record<string, Record<string, unknown>> = {
  standard: { fees: { payer: 'account' }, is_controller: true, losses: { payments: 'stripe' }, requirement_collection: 'stripe', stripe_dashboard: { type: 'full' }, type: 'application' },
  express: { fees: { payer: 'application_express' }, is_controller: true, losses: { payments: 'application' }, requirement_collection: 'stripe', stripe_dashboard: { type: 'express' }, type: 'application' },
  custom: { fees: { payer: 'application_custom' }, is_controller: true, losses: { payments: 'application' }, requirement_collection: 'application', stripe_dashboard: { type: 'none' }, type: 'application' },
};

/** The controller properties sent (defaults filled) and the `type` they read as. */
function controllerOf(params: Params): { controller: Record<string, unknown>; type: string } {
  if (params.type) {
    if (params.controller) throw errors.paramState('You cannot specify both `type` and `controller`.', 'controller'); // twin's wording (unverified)
    return { controller: CONTROLLERS[params.type], type: params.type };
  }
  const c = params.controller ?? {};
  const payer = c.fees?.payer ?? 'account';
  const losses = c.losses?.payments ?? 'stripe';
  const collection = c.requirement_collection ?? 'stripe';
  const dashboard = c.stripe_dashboard?.type ?? 'full';
  const standard = payer === 'account' && losses === 'stripe' && collection === 'stripe' && dashboard === 'full';
  return {
    controller: { fees: { payer }, is_controller: true, losses: { payments: losses }, requirement_collection: collection, stripe_dashboard: { type: dashboard }, type: 'application' },
    type: standard ? 'standard' : 'none',
  };
}

const NO_REQUIREMENTS = { alternatives: [], current_deadline: null, currently_due: [], disabled_reason: null, errors: [], eventually_due: [], past_due: [], pending_verification: [] };

/** A Standard account's requirements before its owner onboards (Stripe's fixture). */
const STANDARD_DUE = ['business_profile.product_description', 'business_profile.support_phone', 'business_profile.url', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'];

/**
 * What an Express or Custom account still needs (twin choice: the fields a US
 * individual gives in onboarding, named as Stripe names requirements), read off
 * the account and its external accounts. Failing test values (docs/connect.md
 * docs/connect.md §1.2: `address_no_match`, dob 1900-01-01) keep their field due.
 */
function dueFields(account: Account, hasExternal: boolean): string[] {
  const due: string[] = [];
  const bp = account.business_profile ?? {};
  if (!bp.url && !bp.product_description) due.push('business_profile.url');
  if (!account.business_type) due.push('business_type');
  if (!hasExternal) due.push('external_account');
  if (account.business_type !== 'company') {
    const ind = account.individual ?? {};
    const line1 = ind.address?.line1;
    if (!line1 || /no_match/.test(line1)) due.push('individual.address.line1');
    if (!ind.dob?.year || ind.dob.year === 1900) due.push('individual.dob.day');
    if (!ind.first_name) due.push('individual.first_name');
    if (!ind.last_name) due.push('individual.last_name');
  } else if (!account.company?.name) due.push('company.name');
  if (!account.tos_acceptance?.date) due.push('tos_acceptance.date');
  if (!account.tos_acceptance?.ip) due.push('tos_acceptance.ip');
  return due;
}

/** Requested capabilities (name → status), the requirements, and what is enabled, from the account as it stands. */
function onboardingState(world: World, account: Account): Partial<Account> {
  const connected = world.connected.get(account.id);
  const hasExternal = connected ? externalAccountsOf(connected).length > 0 : false;
  const standard = account.controller?.requirement_collection === 'stripe' && account.controller?.stripe_dashboard?.type === 'full';
  const onboarded = connected?.facts.has(ONBOARDED) ?? false;
  const due = onboarded ? (hasExternal ? [] : ['external_account']) : standard ? STANDARD_DUE.filter((f) => f !== 'external_account' || !hasExternal) : dueFields(account, hasExternal);
  const verified = due.every((f) => f === 'external_account');
  // Standard accounts: their capabilities are active before onboarding, charges are not (Stripe's fixture).
  const status = standard || verified ? 'active' : 'inactive';
  const capabilities: Record<string, string> = {};
  for (const name of Object.keys(account.capabilities ?? {}).sort()) capabilities[name] = account.capabilities[name] === 'unrequested' ? 'unrequested' : status;
  const requirements = due.length ? { ...NO_REQUIREMENTS, currently_due: due, disabled_reason: 'requirements.past_due', eventually_due: due, past_due: due } : NO_REQUIREMENTS;
  const rejected = typeof account.requirements?.disabled_reason === 'string' && account.requirements.disabled_reason.startsWith('rejected.');
  if (rejected) return { capabilities, charges_enabled: false, payouts_enabled: false, requirements: account.requirements };
  return {
    capabilities,
    charges_enabled: verified && !standard ? true : onboarded,
    details_submitted: onboarded || (!standard && verified),
    payouts_enabled: due.length === 0,
    requirements,
  };
}

/** A fact on a connected account: its owner completed Stripe-hosted onboarding (the control surface's onboard). */
export const ONBOARDED = 'connect:onboarded';

function settings(type: string): Record<string, unknown> {
  return {
    bacs_debit_payments: { display_name: null, service_user_number: null },
    branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
    card_issuing: { tos_acceptance: { date: null, ip: null } },
    card_payments: { decline_on: { avs_failure: true, cvc_failure: true }, statement_descriptor_prefix: null, statement_descriptor_prefix_kana: null, statement_descriptor_prefix_kanji: null },
    dashboard: { display_name: null, timezone: 'Etc/UTC' },
    invoices: { default_account_tax_ids: null, hosted_payment_method_save: 'always' },
    payments: { statement_descriptor: null, statement_descriptor_kana: null, statement_descriptor_kanji: null },
    // Custom accounts do not debit negative balances by default; Express and Standard do (recorded).
    payouts: { debit_negative_balances: type !== 'custom', schedule: { delay_days: 2, interval: 'daily' }, statement_descriptor: null },
    sepa_debit_payments: {},
  };
}

/** `business_profile` as recorded at 2026-03-25.dahlia; other keys (product_description…) appear once set. */
const BUSINESS_PROFILE_KEYS = ['annual_revenue', 'estimated_worker_count', 'mcc', 'minority_owned_business_designation', 'name', 'specified_commercial_transactions_act_url', 'support_address', 'support_email', 'support_phone', 'support_url', 'url'];

function businessProfile(value: Params | null | undefined, current: Record<string, unknown> | null): Record<string, unknown> {
  const base = current ?? Object.fromEntries(BUSINESS_PROFILE_KEYS.map((k) => [k, null]));
  const next: Record<string, unknown> = { ...base, ...(value ?? {}) };
  return Object.fromEntries(Object.keys(next).sort().map((k) => [k, next[k]]));
}

/** The reduced person Stripe shows as `individual` of an account whose requirements Stripe collects (recorded). */
const REDUCED_PERSON = ['id', 'object', 'account', 'created', 'first_name', 'last_name', 'relationship'];

const TOS_EMPTY = { date: null, ip: null, user_agent: null };

/** The account's representative as Stripe shows it on `individual` (twin choice: the fields sent, over a person skeleton). */
function individual(ctx: Ctx, accountId: string, value: Params | null | undefined, current: Record<string, any> | null): Record<string, any> | null {
  if (value == null) return current;
  const base = current ?? {
    id: ctx.world.ids.next('person'),
    object: 'person',
    account: accountId,
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    created: nowIn(ctx),
    dob: { day: null, month: null, year: null },
    email: null,
    first_name: null,
    last_name: null,
    metadata: {},
    phone: null,
    relationship: { authorizer: false, director: false, executive: false, legal_guardian: false, owner: false, percent_ownership: null, representative: true, title: null },
    verification: { status: 'unverified' },
  };
  const next: Record<string, any> = { ...base };
  for (const [k, v] of Object.entries(value)) {
    if (k === 'address' || k === 'dob') next[k] = { ...base[k], ...(v as object) };
    else if (k === 'id_number' || k === 'ssn_last_4') next[`${k}_provided`] = true; // never shown back, as on Stripe
    else if (k in base) next[k] = v;
  }
  next.verification = { status: next.address.line1 === 'address_full_match' && next.dob.year && next.dob.year !== 1900 ? 'verified' : 'unverified' };
  return next;
}

/** The account as its platform sees it: a Stripe-collected account shows a reduced `individual` (recorded Express view). */
function shown(account: Account): Account {
  if (account.controller?.requirement_collection !== 'stripe') return account;
  const ind = account.individual as Record<string, unknown> | null;
  return {
    ...account,
    individual: ind && Object.fromEntries(REDUCED_PERSON.map((k) => [k, ind[k]])),
    // An Express account's platform sees only when its terms were accepted (recorded).
    tos_acceptance: account.controller?.stripe_dashboard?.type === 'express' ? { date: account.tos_acceptance?.date ?? null } : account.tos_acceptance,
  };
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

/** Account parameters Stripe accepts that the twin does not model (501, never ignored). */
const UNMODELED_ACCOUNT_PARAMS = ['account_token', 'documents', 'groups', 'settings'];

/** The fields create and update set from parameters. */
function applyParams(ctx: Ctx, account: Account, params: Params): Account {
  unsupportedParams('POST /v1/accounts', params, UNMODELED_ACCOUNT_PARAMS);
  const next: Account = { ...account };
  if (params.business_profile !== undefined) {
    next.business_profile = businessProfile(params.business_profile, account.business_profile);
    // Stripe names the account after its website until told otherwise (recorded twice: `EXAMPLEBUSINESS.COM` / `Examplebusiness`, `ACCESSIBLE.STRIPE.COM`).
    const host = typeof params.business_profile?.url === 'string' ? hostOf(params.business_profile.url) : null;
    if (host && next.settings) {
      const settings = next.settings as Record<string, any>;
      const first = host.split('.')[0];
      next.settings = {
        ...settings,
        dashboard: { ...settings.dashboard, display_name: settings.dashboard.display_name ?? first.charAt(0).toUpperCase() + first.slice(1) },
        payments: { ...settings.payments, statement_descriptor: settings.payments.statement_descriptor ?? host.toUpperCase().slice(0, 22) },
      };
    }
  }
  if (params.business_type !== undefined) next.business_type = params.business_type;
  if (params.company !== undefined) next.company = { ...(account.company ?? {}), ...(params.company ?? {}) };
  if (params.country !== undefined && params.country !== null) next.country = params.country;
  if (params.default_currency !== undefined && params.default_currency !== null) next.default_currency = params.default_currency.toLowerCase();
  if (params.email !== undefined) next.email = params.email;
  if (params.individual !== undefined) next.individual = individual(ctx, account.id, params.individual, account.individual);
  if (params.metadata !== undefined) next.metadata = mergeMetadata(account.metadata, params.metadata);
  if (params.tos_acceptance !== undefined) next.tos_acceptance = { ...(account.tos_acceptance ?? TOS_EMPTY), ...(params.tos_acceptance ?? {}) };
  if (params.capabilities) {
    const caps: Record<string, string> = { ...(account.capabilities ?? {}) };
    for (const [name, ask] of Object.entries<any>(params.capabilities)) caps[name] = ask?.requested ? 'inactive' : 'unrequested';
    if (caps.card_payments && caps.card_payments !== 'unrequested' && (!caps.transfers || caps.transfers === 'unrequested')) {
      throw errors.paramState(
        'Accounts do not currently support `card_payments` without `transfers`. Please visit https://stripe.com/docs/connect/account-capabilities#card-payments for more details.',
        'capabilities',
      );
    }
    next.capabilities = caps;
  }
  return next;
}

/** The account as it stands after `params`, with its onboarding state recomputed. */
function withState(world: World, account: Account): Account {
  const state = onboardingState(world, account);
  return shown({ ...account, ...state, external_accounts: externalAccountList(world, account.id) });
}

function createAccount(ctx: Ctx, params: Params): Account {
  const platform = ctx.world;
  if (platform.platform || !platform.connections) throw errors.connectRequired();
  const { controller, type } = controllerOf(params);
  // A seeded account keeps the id it was chosen under (a recording's).
  const connected = platform.connections.connect(platform, platform.ids.takeChosen('acct'));
  const now = nowIn(ctx);
  const skeleton = accounts.build(ctx, {}, {
    id: connected.accountId,
    business_profile: businessProfile(null, null),
    business_type: null,
    capabilities: {},
    charges_enabled: false,
    // An Express account shows an empty company (recorded); the others none until given (twin choice).
    company: type === 'express' ? { name: null } : null,
    controller,
    country: 'US',
    created: now,
    default_currency: 'usd',
    details_submitted: false,
    email: null,
    external_accounts: null,
    future_requirements: NO_REQUIREMENTS,
    individual: null,
    login_links: type === 'express' ? { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/accounts/${connected.accountId}/login_links` } : undefined,
    metadata: EMPTY,
    payouts_enabled: false,
    requirements: NO_REQUIREMENTS,
    settings: settings(type),
    tos_acceptance: TOS_EMPTY,
    type,
  });
  if (type !== 'express') delete (skeleton as Record<string, unknown>).login_links;
  // Standard accounts start with card_payments and transfers (Stripe's fixture; the CLI's transfer triggers rely on it).
  const start: Account = type === 'standard' && !params.capabilities ? { ...skeleton, capabilities: { card_payments: 'active', transfers: 'active' } } : skeleton;
  const account = platform.insert(withState(platform, applyParams(ctx, start, params)));
  syncCapabilities({ ...ctx, world: connected }, account, null);
  if (params.external_account) addExternalAccount({ ...ctx, world: connected }, params.external_account, {});
  return platform.get<Account>(account.id)!;
}

/** Stores an account's new state; `account.updated` (on the connected account) and `capability.updated` announce changes. */
export function saveAccount(ctx: Ctx, platform: World, before: Account, after: Account): Account {
  const next = withState(platform, after);
  const previous = previousAttributes(before, next);
  if (!previous) return before;
  const saved = platform.replace(next);
  const connected = platform.connected.get(saved.id);
  if (connected) {
    const on = { ...ctx, world: connected };
    syncCapabilities(on, saved, before);
    emit(on, 'account.updated', saved, previous);
  }
  return saved;
}

/** Re-reads a connected account's onboarding state (after an external account or onboarding changes it). */
export function refreshAccount(ctx: Ctx, connected: World): void {
  const platform = connected.platform;
  const account = platform?.get<Account>(connected.accountId);
  if (platform && account && !account.deleted) saveAccount(ctx, platform, account, account);
}

// --- finding accounts -------------------------------------------------------

/**
 * The platform and connected account a `/v1/accounts/{account}` path names:
 * the caller's own connected account (403 account_invalid otherwise), or, with
 * Stripe-Account, that account itself (400 when the path names another).
 */
export function accountInPath(ctx: Ctx, id: string): { platform: World; connected: World; account: Account } {
  const here = ctx.world;
  let platform: World;
  let connected: World | undefined;
  if (here.platform) {
    if (id !== here.accountId) throw errors.accountPathMismatch();
    platform = here.platform;
    connected = here;
  } else {
    platform = here;
    connected = here.connected.get(id);
  }
  const account = connected && platform.get<Account>(id);
  if (!connected || !account || account.deleted) throw errors.accountInvalid(ctx.apiKey?.key ?? 'sk_test_', id);
  return { platform, connected, account };
}

/** GET /v1/account: the connected account (Stripe-Account), or the caller's own account as it sees itself (Stripe's fixture: controller type `account`). */
function currentAccount(ctx: Ctx): StripeObject {
  const { world } = ctx;
  if (world.platform) return world.platform.get<Account>(world.accountId) ?? ownAccount(world);
  return ownAccount(world);
}

function ownAccount(world: World): StripeObject {
  return {
    id: world.accountId,
    object: 'account',
    business_profile: { ...businessProfile(null, null), name: world.config.accountName },
    business_type: null,
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    controller: { type: 'account' },
    country: 'US',
    default_currency: 'usd',
    details_submitted: true,
    email: null,
    metadata: {},
    payouts_enabled: true,
    settings: { ...settings('standard'), dashboard: { display_name: world.config.accountName, timezone: 'Etc/UTC' } },
    type: 'standard',
  };
}

// --- capabilities -------------------------------------------------------------

export type Capability = Shaped<'capability'>;

/** Capability objects (in the connected account) follow the account's map; status changes emit capability.updated. */
function syncCapabilities(ctx: Ctx, account: Account, before: Account | null): void {
  const { world } = ctx;
  for (const [name, status] of Object.entries<string>(account.capabilities ?? {})) {
    const id = capabilityId(name);
    const current = world.get<Capability>(id);
    const requirements = status === 'active' ? NO_REQUIREMENTS : account.requirements;
    const fresh = {
      id,
      object: 'capability' as const,
      account: account.id,
      future_requirements: NO_REQUIREMENTS,
      requested: status !== 'unrequested',
      requested_at: status !== 'unrequested' ? (current?.requested_at ?? nowIn(ctx)) : null,
      requirements: { ...requirements, disabled_reason: status === 'active' ? null : status === 'unrequested' ? null : 'requirements.fields_needed' },
      status,
    };
    if (!current) world.insert(fresh);
    else {
      const previous = previousAttributes(current, fresh);
      if (!previous) continue;
      world.replace(fresh);
      if (before && before.capabilities?.[name] !== status) emit(ctx, 'capability.updated', shownCapability(fresh), previous.status !== undefined ? { status: previous.status } : previous);
    }
  }
}

/** Capabilities are stored under a prefixed id (their own id is the capability's name). */
const capabilityId = (name: string) => `capability:${name}`;
const shownCapability = (c: Capability): Capability => ({ ...c, id: c.id.slice('capability:'.length) });

function capabilitiesOf(world: World): Capability[] {
  return world.idsOf('capability').map((id) => shownCapability(world.get<Capability>(id)!));
}

function findCapability(world: World, name: string): Capability {
  const found = world.get<Capability>(capabilityId(name));
  if (!found) throw errors.resourceMissing('capability', name);
  return shownCapability(found);
}

// --- external accounts --------------------------------------------------------

/** Test bank accounts (docs/connect.md §3.5): account number → the payout failure it causes. */
export const PAYOUT_FAILURES: Record<string, string> = {
  '000111111116': 'no_account',
  '000111111113': 'account_closed',
  '000222222227': 'insufficient_funds',
  '000333333335': 'debit_not_authorized',
  '000444444440': 'invalid_currency',
};

/** Test bank tokens named after the account numbers above (Stripe's `btok_us_verified…`). */
const BANK_TOKENS: Record<string, string> = {
  btok_us_verified: '000123456789',
  btok_us: '000123456789',
  btok_us_verified_noAccount: '000111111116',
  btok_us_verified_accountClosed: '000111111113',
  btok_us_verified_insufficientFunds: '000222222227',
  btok_us_verified_debitNotAuthorized: '000333333335',
  btok_us_verified_invalidCurrency: '000444444440',
};

/** Payout debit card tokens (docs/connect.md §1.4): number, brand, and whether a payout to it fails. */
const CARD_TOKENS: Record<string, { number: string; brand: string; fails?: boolean }> = {
  tok_visa_debit: { number: '4000056655665556', brand: 'Visa' },
  tok_visa_debit_us_transferSuccess: { number: '4000056655665556', brand: 'Visa' },
  tok_visa_debit_us_transferFail: { number: '4000056655665572', brand: 'Visa', fails: true },
  tok_visa_debit_us_instantPayoutUnsupported: { number: '4000056755665555', brand: 'Visa' },
  tok_mastercard_debit: { number: '5200828282828210', brand: 'MasterCard' },
  tok_mastercard_debit_us_transferSuccess: { number: '5200828282828210', brand: 'MasterCard' },
  tok_discover_debit_us_transferSuccess: { number: '6011981111111113', brand: 'Discover' },
};

const EXTERNAL_REQUIREMENTS = { currently_due: [], errors: [], past_due: [], pending_verification: [] };

/** The failure a payout to this external account meets (its test number or token), or null. */
export function payoutFailureOf(world: World, externalId: string): string | null {
  return (world.facts.get(`payout_failure:${externalId}`) as string | undefined) ?? null;
}

export function externalAccountsOf(world: World): StripeObject[] {
  return [...world.idsOf('bank_account'), ...world.idsOf('card')]
    .map((id) => world.get(id)!)
    .filter((e) => !e.deleted && e.account === world.accountId)
    .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
}

/** The account's default external account for `currency`, if any. */
export function defaultExternalAccount(world: World, currency: string): StripeObject | undefined {
  return externalAccountsOf(world).find((e) => e.currency === currency && e.default_for_currency);
}

function externalAccountList(world: World, accountId: string): Record<string, unknown> {
  const connected = world.connected.get(accountId);
  const data = connected ? externalAccountsOf(connected).map(shownExternal) : [];
  return { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/accounts/${accountId}/external_accounts` };
}

/** Adds a bank account or debit card (a token or a hash) to the connected account of `ctx`. */
function addExternalAccount(ctx: Ctx, input: string | Params, params: Params): StripeObject {
  const { world } = ctx;
  const currencyOf = (c?: string) => (c ?? 'usd').toLowerCase();
  let made: StripeObject;
  let failure: string | null = null;
  const isDefault = (currency: string) => params.default_for_currency === true || !defaultExternalAccount(world, currency);
  const number = typeof input === 'string' ? BANK_TOKENS[input] : input.object === 'bank_account' ? String(input.account_number ?? '') : undefined;
  const card = typeof input === 'string' ? CARD_TOKENS[input] : input.object === 'card' ? { number: String(input.number ?? ''), brand: 'Visa' } : undefined;
  if (number !== undefined && number !== '') {
    const hash = typeof input === 'string' ? {} : input;
    const currency = currencyOf(hash.currency);
    failure = PAYOUT_FAILURES[number] ?? null;
    made = {
      id: world.ids.next('ba'),
      object: 'bank_account',
      account: world.accountId,
      account_holder_name: hash.account_holder_name ?? null,
      account_holder_type: hash.account_holder_type ?? null,
      account_type: null,
      available_payout_methods: ['standard', 'instant'],
      bank_name: 'STRIPE TEST BANK',
      country: hash.country ?? 'US',
      currency,
      default_for_currency: isDefault(currency),
      fingerprint: world.ids.chars(16),
      future_requirements: EXTERNAL_REQUIREMENTS,
      last4: number.slice(-4),
      metadata: params.metadata ?? {},
      requirements: EXTERNAL_REQUIREMENTS,
      routing_number: hash.routing_number ?? '110000000',
      status: 'new',
      created: nowIn(ctx),
    };
  } else if (card && card.number) {
    const currency = 'usd';
    failure = (card as { fails?: boolean }).fails ? 'could_not_process' : null;
    made = {
      id: world.ids.next('card'),
      object: 'card',
      account: world.accountId,
      address_city: null, address_country: null, address_line1: null, address_line1_check: null, address_line2: null, address_state: null, address_zip: null, address_zip_check: null,
      available_payout_methods: ['standard', 'instant'],
      brand: card.brand,
      country: 'US',
      currency,
      cvc_check: null,
      default_for_currency: isDefault(currency),
      dynamic_last4: null,
      exp_month: 12,
      exp_year: new Date((nowIn(ctx) + 3 * 365 * 86400) * 1000).getUTCFullYear(),
      fingerprint: world.ids.chars(16),
      funding: 'debit',
      last4: card.number.slice(-4),
      metadata: params.metadata ?? {},
      name: null,
      tokenization_method: null,
      created: nowIn(ctx),
    };
  } else {
    throw errors.resourceMissing('token', typeof input === 'string' ? input : 'external_account', 'external_account');
  }
  if (made.default_for_currency) {
    for (const other of externalAccountsOf(world)) if (other.currency === made.currency && other.default_for_currency) world.replace({ ...other, default_for_currency: false });
  }
  const stored = world.insert(made);
  if (failure) world.facts.set(`payout_failure:${stored.id}`, failure);
  emit(ctx, 'account.external_account.created', shownExternal(stored));
  refreshAccount(ctx, world);
  return shownExternal(stored);
}

/** External accounts keep `created` for ordering; Stripe shows none. */
function shownExternal(e: StripeObject): StripeObject {
  const { created: _created, ...shown } = e;
  return shown as StripeObject;
}

function findExternal(world: World, id: string): StripeObject {
  const found = world.get(id);
  if (!found || found.deleted || (found.object !== 'bank_account' && found.object !== 'card') || found.account !== world.accountId) {
    throw errors.resourceMissing('external account', id);
  }
  return found;
}

// --- persons --------------------------------------------------------------------

export const persons = defineResource<'person'>({
  object: 'person',
  prefix: 'person',
  path: null,
  // The fixture's keys (the kana/kanji, alias and regulatory fields are left out until set: twin choice).
  optional: ['additional_tos_acceptances', 'address', 'dob', 'email', 'first_name', 'future_requirements', 'id_number_provided', 'last_name', 'metadata', 'phone', 'relationship', 'requirements', 'ssn_last_4_provided', 'verification'],
  defaults: {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    additional_tos_acceptances: { account: { date: null, ip: null, user_agent: null } },
    dob: { day: null, month: null, year: null },
    future_requirements: { alternatives: [], currently_due: [], errors: [], eventually_due: [], past_due: [], pending_verification: [] },
    id_number_provided: false,
    metadata: EMPTY,
    relationship: { authorizer: false, director: false, executive: false, legal_guardian: false, owner: false, percent_ownership: null, representative: false, title: null },
    requirements: { alternatives: [], currently_due: [], errors: [], eventually_due: [], past_due: [], pending_verification: [] },
    ssn_last_4_provided: false,
    verification: { additional_document: { back: null, details: null, details_code: null, front: null }, details: null, details_code: null, document: { back: null, details: null, details_code: null, front: null }, status: 'unverified' },
  },
  writable: {
    // Given numbers are never shown back: the object says they were provided.
    id_number_provided: true,
    ssn_last_4_provided: true,
    address: (value) => ({ city: null, country: null, line1: null, line2: null, postal_code: null, state: null, ...(value ?? {}) }),
    dob: (value) => ({ day: null, month: null, year: null, ...(value ?? {}) }),
    email: true,
    first_name: true,
    last_name: true,
    metadata: (value, current) => mergeMetadata(current, value),
    phone: true,
    relationship: (value, current) => ({ ...current, ...(value ?? {}) }),
  },
  events: { created: 'person.created', updated: 'person.updated', deleted: 'person.deleted' },
});

/** A person's parameters as its fields: numbers given become `…_provided` (see `persons`). */
const personParams = (params: Params): Params => ({
  ...params,
  ...(params.id_number ? { id_number_provided: true } : {}),
  ...(params.ssn_last_4 ? { ssn_last_4_provided: true } : {}),
});

function personRoutes(base: string): ReturnType<typeof route>[] {
  const findPerson = (world: World, id: string) => {
    const found = world.get(id);
    if (!found || found.object !== 'person' || found.deleted) throw errors.resourceMissing('person', id);
    return found as Shaped<'person'>;
  };
  return [
    route('POST', `/v1/accounts/{account}/${base}`, 'person', (ctx, params, path) => {
      const { connected } = accountInPath(ctx, path.account);
      const on = { ...ctx, world: connected };
      const person = persons.build(on, personParams(params), { account: connected.accountId });
      connected.insert(person);
      emit(on, 'person.created', person);
      return person;
    }),
    route('GET', `/v1/accounts/{account}/${base}`, { list: 'person' }, (ctx, params, path) => {
      const { connected } = accountInPath(ctx, path.account);
      return paginate(connected, 'person', `/v1/accounts/${connected.accountId}/${base}`, params, (p) => !p.deleted);
    }),
    route('GET', `/v1/accounts/{account}/${base}/{person}`, 'person', (ctx, _params, path) => findPerson(accountInPath(ctx, path.account).connected, path.person)),
    route('POST', `/v1/accounts/{account}/${base}/{person}`, 'person', (ctx, params, path) => {
      const { connected } = accountInPath(ctx, path.account);
      const current = findPerson(connected, path.person);
      return persons.save({ ...ctx, world: connected }, current, persons.apply(ctx, current, personParams(params)));
    }),
    route('DELETE', `/v1/accounts/{account}/${base}/{person}`, 'deleted_person', (ctx, _params, path) => {
      const { connected } = accountInPath(ctx, path.account);
      return persons.remove({ ...ctx, world: connected }, findPerson(connected, path.person));
    }),
  ];
}

// --- the resource -------------------------------------------------------------

export const accounts = defineResource<'account', Account, 'login_links'>({
  object: 'account',
  prefix: 'acct',
  path: '/v1/accounts',
  extra: ['login_links'],
  omit: ['groups'],
  routes: { retrieve: false },
}).with(
  route('POST', '/v1/accounts', 'account', createAccount),
  route('GET', '/v1/account', 'account', currentAccount),
  route('GET', '/v1/accounts/{account}', 'account', (ctx, _params, path) => accountInPath(ctx, path.account).account),
  route('POST', '/v1/accounts/{account}', 'account', (ctx, params, path) => {
    const { platform, account } = accountInPath(ctx, path.account);
    if (params.type !== undefined || params.controller !== undefined) throw errors.paramState('You cannot change `type` or `controller` of an account.', params.type !== undefined ? 'type' : 'controller'); // twin's wording (unverified)
    const updated = saveAccount(ctx, platform, account, applyParams(ctx, account, params));
    if (params.external_account) {
      const { connected } = accountInPath(ctx, path.account);
      addExternalAccount({ ...ctx, world: connected }, params.external_account, {});
      return platform.get<Account>(updated.id)!;
    }
    return updated;
  }),
  route('DELETE', '/v1/accounts/{account}', 'deleted_account', (ctx, _params, path) => {
    const { platform, connected, account } = accountInPath(ctx, path.account);
    const stub = { id: account.id, object: 'account', deleted: true as const };
    platform.replace(stub);
    // Deleting a platform-made Standard account deauthorizes the platform's application (the CLI's account.application.deauthorized trigger).
    if (account.type === 'standard') emit({ ...ctx, world: connected }, 'account.application.deauthorized', applicationOf(platform));
    platform.connections!.disconnect(connected);
    return stub;
  }),
  route('POST', '/v1/accounts/{account}/reject', 'account', (ctx, params, path) => {
    const { platform, account } = accountInPath(ctx, path.account);
    if (account.controller?.losses?.payments !== 'application') {
      throw errors.state('Only accounts where your platform is liable for negative balances can be rejected.'); // twin's wording (unverified)
    }
    const reason = params.reason === 'terms_of_service' ? 'terms_of_service' : params.reason === 'other' ? 'other' : 'fraud';
    const capabilities = Object.fromEntries(Object.keys(account.capabilities ?? {}).map((name) => [name, 'inactive']));
    return saveAccount(ctx, platform, account, { ...account, capabilities, charges_enabled: false, payouts_enabled: false, requirements: { ...account.requirements, disabled_reason: `rejected.${reason}` } });
  }),
  route('GET', '/v1/accounts/{account}/capabilities', { list: 'capability' }, (ctx, _params, path) => {
    const { connected, account } = accountInPath(ctx, path.account);
    return { object: 'list', data: capabilitiesOf(connected), has_more: false, url: `/v1/accounts/${account.id}/capabilities` } as any;
  }),
  route('GET', '/v1/accounts/{account}/capabilities/{capability}', 'capability', (ctx, _params, path) => findCapability(accountInPath(ctx, path.account).connected, path.capability)),
  route('POST', '/v1/accounts/{account}/capabilities/{capability}', 'capability', (ctx, params, path) => {
    const { platform, connected, account } = accountInPath(ctx, path.account);
    if (params.requested !== undefined) saveAccount(ctx, platform, account, applyParams(ctx, account, { capabilities: { [path.capability]: { requested: params.requested } } }));
    return findCapability(connected, path.capability);
  }),
  route('POST', '/v1/accounts/{account}/external_accounts', 'external_account', (ctx, params, path) => {
    const { connected } = accountInPath(ctx, path.account);
    if (params.external_account == null) throw errors.paramState('Missing required param: external_account.', 'external_account', 'parameter_missing');
    return addExternalAccount({ ...ctx, world: connected }, params.external_account, params);
  }),
  route('GET', '/v1/accounts/{account}/external_accounts', { list: 'external_account' }, (ctx, params, path) => {
    const { connected, account } = accountInPath(ctx, path.account);
    const data = externalAccountsOf(connected).filter((e) => !params.object || e.object === params.object).map(shownExternal);
    return { object: 'list', data, has_more: false, url: `/v1/accounts/${account.id}/external_accounts` } as any;
  }),
  route('GET', '/v1/accounts/{account}/external_accounts/{id}', 'external_account', (ctx, _params, path) => shownExternal(findExternal(accountInPath(ctx, path.account).connected, path.id))),
  route('POST', '/v1/accounts/{account}/external_accounts/{id}', 'external_account', (ctx, params, path) => {
    const { connected } = accountInPath(ctx, path.account);
    const current = findExternal(connected, path.id);
    const next: StripeObject = { ...current };
    for (const f of ['account_holder_name', 'account_holder_type', 'exp_month', 'exp_year', 'name']) if (params[f] !== undefined && f in current) next[f] = params[f];
    if (params.metadata !== undefined) next.metadata = mergeMetadata(current.metadata, params.metadata);
    if (params.default_for_currency === true && !current.default_for_currency) {
      for (const other of externalAccountsOf(connected)) if (other.currency === current.currency && other.default_for_currency) connected.replace({ ...other, default_for_currency: false });
      next.default_for_currency = true;
    }
    const previous = previousAttributes(current, next);
    if (!previous) return shownExternal(current);
    const saved = connected.replace(next);
    emit({ ...ctx, world: connected }, 'account.external_account.updated', shownExternal(saved), previous);
    return shownExternal(saved);
  }),
  route('DELETE', '/v1/accounts/{account}/external_accounts/{id}', 'deleted_external_account', (ctx, _params, path) => {
    const { connected } = accountInPath(ctx, path.account);
    const current = findExternal(connected, path.id);
    const others = externalAccountsOf(connected).filter((e) => e.id !== current.id && e.currency === current.currency);
    if (current.default_for_currency && others.length) {
      throw errors.state(
        'You cannot delete the default external account for your default currency. Please make another external account the default using the `default_for_currency` param, and then delete this one.',
      );
    }
    const stub = { id: current.id, object: current.object, deleted: true as const };
    connected.replace(stub);
    const on = { ...ctx, world: connected };
    emit(on, 'account.external_account.deleted', shownExternal(current));
    refreshAccount(on, connected);
    return stub;
  }),
  route('POST', '/v1/accounts/{account}/login_links', 'login_link', (ctx, _params, path) => {
    const { account } = accountInPath(ctx, path.account);
    if (account.controller?.stripe_dashboard?.type !== 'express') throw errors.state('Login links can only be created for Express accounts.'); // twin's wording (unverified)
    if (!account.details_submitted) throw errors.state('Cannot create a login link for an account that has not completed onboarding.');
    return { object: 'login_link', created: nowIn(ctx), url: `https://connect.stripe.com/express/${account.id}/${ctx.world.ids.chars(12)}` } as any;
  }),
  route('POST', '/v1/account_links', 'account_link', (ctx, params) => {
    const platform = ctx.world.platform ?? ctx.world;
    const account = platform.connected.has(params.account) ? platform.get<Account>(params.account) : undefined;
    if (!account || account.deleted || (ctx.world.platform && ctx.world.accountId !== params.account)) {
      throw errors.paramState('You requested an account link for an account that is not connected to your platform or does not exist.', 'account');
    }
    if (params.type === 'account_update' && account.controller?.requirement_collection === 'stripe' && account.controller?.stripe_dashboard?.type !== 'none') {
      throw errors.paramState('You cannot create `account_update` type Account Links for accounts where Stripe collects requirements.', 'type'); // twin's wording (unverified)
    }
    const created = nowIn(ctx);
    // Links expire five minutes after they are made (Stripe's example).
    return { object: 'account_link', created, expires_at: created + 300, url: `https://connect.stripe.com/setup/c/${account.id}/${ctx.world.ids.chars(12)}` } as any;
  }),
  ...personRoutes('persons'),
  ...personRoutes('people'),
);

/** The platform's Connect application as events show it (`ca_…`, a 32-character body, derived from the platform's id). */
export function applicationOf(platform: World): StripeObject {
  return { id: applicationId(platform), object: 'application', name: platform.config.accountName };
}

/** Completes Stripe-hosted onboarding of a connected account (the control surface's onboard): details submitted, requirements met. */
export function completeOnboarding(ctx: Ctx, connected: World): Account {
  const platform = connected.platform!;
  const account = platform.get<Account>(connected.accountId)!;
  connected.facts.set(ONBOARDED, true);
  if (!externalAccountsOf(connected).length) addExternalAccount({ ...ctx, world: connected }, 'btok_us_verified', {});
  const now = platform.get<Account>(connected.accountId)!;
  return saveAccount(ctx, platform, account, { ...now, details_submitted: true, tos_acceptance: { ...(now.tos_acceptance ?? TOS_EMPTY), date: now.tos_acceptance?.date ?? nowIn(ctx), ip: now.tos_acceptance?.ip ?? '127.0.0.1' } });
}
