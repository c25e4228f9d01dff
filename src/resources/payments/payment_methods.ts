import { createHash } from 'node:crypto';
import { nowIn, scopeOf } from '../../engine/clock';
import { docUrl, errors, StripeError } from '../../engine/errors';
import { emit } from '../../engine/events';
import { Params } from '../../engine/params';
import { BASE62 } from '../../engine/random';
import { withKey } from '../../engine/render';
import { pinnedUnder } from '../../engine/exogenous';
import { brandOf, CardBehaviour, Decline, ForcedBehaviour, LIVE_CARD_IN_TEST_MODE, looksLikeMagicPaymentMethod, luhnValid, TEST_ROUTING_NUMBER, TestBankAccount, testBankAccounts, TestCard, testCards } from '../../engine/test_values';
import { Ctx, StripeObject, World } from '../../engine/world';
import { billingDetails, sortKeys } from '../common';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared } from '../../engine/resource';

// PaymentMethods (docs/stripe-facts.md §4.1, §10): cards from magic ids, tokens
// and raw test numbers; attach, detach, update, list; the rules that stop a
// consumed or detached PaymentMethod from being used again.

export type PaymentMethod = Shaped<'payment_method', 'shared_payment_granted_token'>;

const CARD_FACT = (id: string) => `card:${id}`;
const UNUSABLE_FACT = (id: string) => `unusable:${id}`;

/** The test card (and its behaviour) behind a card PaymentMethod. */
export function cardOf(world: World, pmId: string): TestCard | undefined {
  return world.facts.get(CARD_FACT(pmId)) as TestCard | undefined;
}

/** Forced branches by intent, in one fact (a world with none pays one lookup per confirmation). */
const FORCED_FACT = 'forced';
const allForced = (world: World) => world.facts.record<ForcedBehaviour>(FORCED_FACT);

function setForced(world: World, intentId: string, forced: ForcedBehaviour): void {
  world.facts.setInRecord(FORCED_FACT, intentId, Object.keys(forced).length ? Object.freeze(forced) : null);
}

/** What a control trigger forced on an intent and its next confirmation has not used yet. */
export function forcedBehaviour(world: World, intentId: string): ForcedBehaviour | undefined {
  return allForced(world)?.[intentId];
}

/** Forces behaviour on an intent's next confirmation (kept until that confirmation uses it). */
export function forceBehaviour(world: World, intentId: string, forced: ForcedBehaviour): void {
  setForced(world, intentId, { ...forcedBehaviour(world, intentId), ...forced });
}

/** A forced branch is for one step: the confirmation that takes it spends it. */
export function spendForced(world: World, intentId: string, fields: (keyof ForcedBehaviour)[]): void {
  const forced = forcedBehaviour(world, intentId);
  if (!forced || !fields.some((f) => f in forced)) return;
  const rest: ForcedBehaviour = { ...forced };
  for (const f of fields) delete rest[f];
  setForced(world, intentId, rest);
}

/** Intents with a forced branch not yet taken, in the order they were armed. */
export function armedIntents(world: World): { intent: string; forced: ForcedBehaviour }[] {
  return Object.entries(allForced(world) ?? {}).map(([intent, forced]) => ({ intent, forced }));
}

/**
 * How a payment with `pmId` on `intentId` behaves: its test card's behaviour with
 * what a trigger forced on the intent on top, so test values and triggers take one
 * code path (README "Force a branch").
 */
export function behaviourOf(world: World, pmId: string, intentId: string): CardBehaviour | undefined {
  const card = cardOf(world, pmId);
  const forced = forcedBehaviour(world, intentId);
  return forced ? { ...card, ...forced } : card;
}

/** Records the test card (and its behaviour) behind a payment instrument: a PaymentMethod or a legacy Card. */
export function rememberTestCard(world: World, id: string, card: TestCard): void {
  world.facts.set(CARD_FACT(id), card);
}

/** Stable per card number within an account (docs/stripe-facts.md §4.1): a hash of both, kept once computed. */
export function fingerprint(world: World, number: string): string {
  const fact = `fingerprint:${number}`;
  let out = world.facts.get(fact) as string | undefined;
  if (out === undefined) {
    const digest = createHash('sha256').update(`${world.accountId}:${number}`).digest();
    out = '';
    for (let i = 0; i < 16; i++) out += BASE62[digest[i] % 62];
    world.facts.set(fact, out);
  }
  return out;
}

/** The fields a decline puts on a card error (those it has). */
export function declineFields(decline: Decline): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(decline)) if (v !== undefined) fields[k] = v;
  return fields;
}

export function cardError(decline: Decline, extra: Record<string, unknown> = {}): StripeError {
  return new StripeError(402, { type: 'card_error', ...declineFields(decline), ...extra } as StripeError['fields']);
}

/**
 * An intent's last_payment_error / last_setup_error: the error's fields without
 * the intent and request_log_url, with the PaymentMethod, in alphabetical order.
 */
export function lastError(fields: Record<string, string>, pm: PaymentMethod, type = 'card_error'): Record<string, unknown> {
  const all: Record<string, unknown> = { ...fields, doc_url: docUrl(fields.code), payment_method: pm, type };
  return sortKeys(all);
}

const UNCHECKED = shared({ address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' });
const THREE_D_SECURE_USAGE = { true: shared({ supported: true }), false: shared({ supported: false }) };
const NETWORKS = new Map<string, object>();
function networks(card: { brand: string; coBrand?: string }): object {
  const available = card.coBrand ? [card.coBrand, card.brand] : [card.brand];
  const key = available.join(',');
  let value = NETWORKS.get(key);
  if (!value) NETWORKS.set(key, (value = shared({ available, preferred: null })));
  return value;
}

interface CardInput {
  exp_month?: number;
  exp_year?: number;
  billing_details?: Params | null;
  metadata?: Record<string, string> | null;
  allow_redisplay?: string;
}

/**
 * Stores a new card PaymentMethod for `card`. Magic ids expire a year after the
 * current month (docs/stripe-facts.md §4.1). Pinned `payment_method.card.*` values (what card the
 * customer holds) replace the test card's; its behaviour stays the test card's.
 */
export function createCardPaymentMethod(ctx: Ctx, card: TestCard, input: CardInput = {}): PaymentMethod {
  const { world } = ctx;
  const now = new Date(nowIn(ctx) * 1000);
  const pin = pinnedUnder(world, 'payment_method.card.') as Partial<Record<'brand' | 'country' | 'exp_month' | 'exp_year' | 'fingerprint' | 'funding' | 'last4', any>>;
  const brand = pin.brand ?? card.brand;
  const id = paymentMethods.newId(ctx);
  const print = fingerprint(world, card.number);
  const pm = paymentMethods.insert(ctx, input, {
    id,
    card: {
      brand,
      checks: UNCHECKED,
      country: pin.country ?? card.country,
      display_brand: card.coBrand ?? brand,
      exp_month: pin.exp_month ?? input.exp_month ?? now.getUTCMonth() + 1,
      exp_year: pin.exp_year ?? input.exp_year ?? now.getUTCFullYear() + 1,
      fingerprint: pin.fingerprint ?? print,
      funding: pin.funding ?? card.funding,
      generated_from: null,
      last4: pin.last4 ?? card.number.slice(-4),
      networks: networks({ ...card, brand }),
      regulated_status: 'unregulated',
      three_d_secure_usage: THREE_D_SECURE_USAGE[String(card.threeDSecureSupported ?? true) as 'true' | 'false'],
      wallet: null,
    },
    type: 'card',
  });
  rememberTestCard(world, pm.id, card);
  return pm;
}

/** A `tok_…` test token's card, or Stripe's "No such token". */
function tokenCard(token: string, param: string): TestCard {
  const card = testCards.byToken(token);
  if (!card) throw errors.resourceMissing('token', token, param);
  return card;
}

/** Raw card data (`card[number]`, …): validated as Stripe does at creation (docs/stripe-facts.md §4.3 invalid-data errors). */
export function rawCard(ctx: Ctx, input: Params, param: string): { card: TestCard; exp_month: number; exp_year: number } {
  if (!ctx.world.config.rawCardData) {
    // E33 in its 2024 wording (docs/legacy.md, Tokens); 402 card_error as the Charges/Tokens path raised it.
    throw new StripeError(402, {
      type: 'card_error',
      message:
        'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable raw card data APIs in test mode, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.',
    });
  }
  for (const field of ['exp_month', 'exp_year']) if (input[field] == null) throw errors.parameterMissing(`${param}[${field}]`);
  const number = String(input.number).replace(/[\s-]/g, '');
  const invalid = (code: string, message: string, p: string) =>
    new StripeError(402, { type: 'card_error', code, message, param: p });
  if (!luhnValid(number)) throw invalid('incorrect_number', 'Your card number is incorrect.', 'number');
  // Numbers (a card hash inside an anyOf, as on /v1/tokens, reaches here as sent).
  const month = Number(input.exp_month);
  let year = Number(input.exp_year);
  if (year < 100) year += 2000;
  if (!Number.isInteger(month) || month < 1 || month > 12) throw invalid('invalid_expiry_month', "Your card's expiration month is invalid.", 'exp_month');
  const now = new Date(nowIn(ctx) * 1000);
  const nowYear = now.getUTCFullYear();
  if (!Number.isInteger(year) || year < nowYear || (year === nowYear && month < now.getUTCMonth() + 1)) {
    throw invalid('invalid_expiry_year', "Your card's expiration year is invalid.", 'exp_year');
  }
  const card = testCards.byNumber(number);
  if (input.cvc != null && !/^\d{3,4}$/.test(String(input.cvc))) throw invalid('invalid_cvc', "Your card's security code is invalid.", 'cvc');
  if (!card) {
    // A real card number in test mode fails loudly, like Stripe.
    if (brandOf(number) === 'unknown') throw invalid('incorrect_number', 'Your card number is incorrect.', 'number');
    throw cardError(LIVE_CARD_IN_TEST_MODE, { param: 'number' });
  }
  return { card, exp_month: month, exp_year: year };
}

/** `card` parameter of PaymentMethod create or `payment_method_data[card]`. */
function cardFromInput(ctx: Ctx, input: Params, param: string): { card: TestCard; exp_month?: number; exp_year?: number } {
  if (input.token) return { card: tokenCard(input.token, `${param}[token]`) };
  if (input.number) return rawCard(ctx, input, param);
  throw errors.parameterMissing(`${param}[number]`);
}

/**
 * A crypto PaymentMethod (`payment_method_data[type]=crypto`): no details of its
 * own (`crypto: {}` in the package's types); who paid, from which wallet, shows on
 * the charge once a deposit arrives (crypto_deposits.ts).
 */
export function createCryptoPaymentMethod(ctx: Ctx, input: Params = {}): PaymentMethod {
  return createTypedPaymentMethod(ctx, 'crypto', EMPTY, input);
}

/** A PaymentMethod of a type with details of its own (`details`, under the type's key) and no card. */
function createTypedPaymentMethod(ctx: Ctx, type: string, details: Record<string, unknown>, input: Params = {}): PaymentMethod {
  const built: Record<string, unknown> = { ...paymentMethods.build(ctx, input, { type }) };
  delete built.card;
  return ctx.world.insert(withKey(built, type, details), scopeOf(ctx)) as PaymentMethod;
}

const BANK_FACT = (id: string) => `bank:${id}`;

/** The test bank account (and its behaviour) behind a us_bank_account or sepa_debit PaymentMethod. */
export function bankAccountOf(world: World, pmId: string): TestBankAccount | undefined {
  return world.facts.get(BANK_FACT(pmId)) as TestBankAccount | undefined;
}

/** Whether an ACH account entered by hand still waits for its microdeposits (`pending`), or has them `verified`. */
const MICRODEPOSIT_FACT = (id: string) => `microdeposits:${id}`;
export const microdepositState = (world: World, pmId: string) => world.facts.get(MICRODEPOSIT_FACT(pmId)) as 'pending' | 'verified' | undefined;
export function setMicrodepositState(world: World, pmId: string, state: 'pending' | 'verified'): void {
  world.facts.set(MICRODEPOSIT_FACT(pmId), state);
}

const ACH_NETWORKS = shared({ preferred: 'ach', supported: ['ach'] });
const invalidBank = (message: string, param: string) => new StripeError(400, { type: 'invalid_request_error', message, param }, 'validation');

/**
 * A us_bank_account PaymentMethod from a routing and account number typed in
 * (manual entry: verified by microdeposits before it is debited), or from a
 * `pm_usBankAccount_…` test value (verified, as through Financial Connections).
 */
function createUsBankAccount(ctx: Ctx, input: Params, param: string, magic?: TestBankAccount): PaymentMethod {
  const details: Params = input.us_bank_account ?? {};
  let number: string;
  let routing: string;
  if (magic) {
    number = magic.number;
    routing = TEST_ROUTING_NUMBER;
  } else {
    if (details.financial_connections_account) throw errors.unsupportedParam(param, `${param}[financial_connections_account]`);
    if (!details.account_number) throw errors.parameterMissing(`${param}[account_number]`);
    if (!details.routing_number) throw errors.parameterMissing(`${param}[routing_number]`);
    number = String(details.account_number);
    routing = String(details.routing_number);
    if (!/^\d{9}$/.test(routing)) throw invalidBank('Invalid routing number', `${param}[routing_number]`);
    if (!/^\d{4,17}$/.test(number)) throw invalidBank('Invalid account number', `${param}[account_number]`);
  }
  const account = testBankAccounts.byNumber('us_bank_account', number) ?? { type: 'us_bank_account' as const, number, outcome: 'succeeded' as const };
  // Twin choice: ACH needs the holder's name (Stripe requires billing_details[name] for us_bank_account).
  if (!magic && !input.billing_details?.name) throw errors.parameterMissing('billing_details[name]');
  const pm = createTypedPaymentMethod(ctx, 'us_bank_account', {
    account_holder_type: details.account_holder_type ?? 'individual',
    account_type: details.account_type ?? 'checking',
    bank_name: 'STRIPE TEST BANK',
    financial_connections_account: null,
    fingerprint: fingerprint(ctx.world, `${routing}:${number}`),
    last4: number.slice(-4),
    networks: ACH_NETWORKS,
    routing_number: routing,
    status_details: null,
  }, input);
  ctx.world.facts.set(BANK_FACT(pm.id), account);
  if (!magic) setMicrodepositState(ctx.world, pm.id, 'pending');
  return pm;
}

/** A sepa_debit PaymentMethod from an IBAN (or a `pm_sepaDebit_…` test value). */
function createSepaDebit(ctx: Ctx, input: Params, param: string, magic?: TestBankAccount): PaymentMethod {
  const iban = magic ? magic.number : String(input.sepa_debit?.iban ?? '').replace(/\s/g, '').toUpperCase();
  if (!iban) throw errors.parameterMissing(`${param}[iban]`);
  if (!ibanValid(iban)) throw invalidBank(`The provided IBAN (${iban}) is invalid.`, `${param}[iban]`);
  const account = testBankAccounts.byNumber('sepa_debit', iban) ?? { type: 'sepa_debit' as const, number: iban, outcome: 'succeeded' as const };
  const pm = createTypedPaymentMethod(ctx, 'sepa_debit', {
    bank_code: iban.slice(4, 9),
    branch_code: '',
    country: iban.slice(0, 2),
    fingerprint: fingerprint(ctx.world, iban),
    generated_from: { charge: null, setup_attempt: null },
    last4: iban.slice(-4),
  }, input);
  ctx.world.facts.set(BANK_FACT(pm.id), account);
  return pm;
}

/** ISO 13616 check digits (mod 97). */
function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const digits = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

/** A PaymentMethod of a non-card type, from PaymentMethod create or `payment_method_data`. */
function createOtherPaymentMethod(ctx: Ctx, data: Params, param: string): PaymentMethod {
  const input = { billing_details: data.billing_details, metadata: data.metadata, allow_redisplay: data.allow_redisplay };
  switch (data.type) {
    case 'crypto':
      return createCryptoPaymentMethod(ctx, input);
    case 'us_bank_account':
      return createUsBankAccount(ctx, { ...input, us_bank_account: data.us_bank_account }, param === 'payment_method_data' ? 'payment_method_data[us_bank_account]' : 'us_bank_account');
    case 'sepa_debit':
      return createSepaDebit(ctx, { ...input, sepa_debit: data.sepa_debit }, param === 'payment_method_data' ? 'payment_method_data[sepa_debit]' : 'sepa_debit');
    case 'customer_balance':
      return createTypedPaymentMethod(ctx, 'customer_balance', EMPTY, input);
    default:
      throw errors.unsupportedParam(param === 'payment_method_data' ? 'payment_method_data' : 'POST /v1/payment_methods', `${param === 'payment_method_data' ? 'payment_method_data[type]' : 'type'}=${data.type}`);
  }
}

/** `payment_method_data` on PaymentIntent/SetupIntent create and confirm. */
export function paymentMethodFromData(ctx: Ctx, data: Params): PaymentMethod {
  if (!data.type) throw errors.parameterMissing('payment_method_data[type]');
  if (data.type !== 'card') return createOtherPaymentMethod(ctx, data, 'payment_method_data');
  if (!data.card) throw errors.parameterMissing('payment_method_data[card]');
  const { card, exp_month, exp_year } = cardFromInput(ctx, data.card, 'payment_method_data[card]');
  return createCardPaymentMethod(ctx, card, { exp_month, exp_year, billing_details: data.billing_details, metadata: data.metadata, allow_redisplay: data.allow_redisplay });
}

/**
 * A `payment_method` parameter: a magic `pm_card_…` value makes a new
 * PaymentMethod each time (docs/stripe-facts.md §4.1); an unknown magic value fails like Stripe
 * ("No such PaymentMethod"), never silently.
 */
export function resolvePaymentMethod(ctx: Ctx, ref: string, param: string): PaymentMethod {
  const magic = testCards.byPaymentMethod(ref);
  if (magic) return createCardPaymentMethod(ctx, magic);
  const bank = testBankAccounts.byPaymentMethod(ref);
  if (bank) return bank.type === 'us_bank_account' ? createUsBankAccount(ctx, {}, param, bank) : createSepaDebit(ctx, {}, param, bank);
  if (looksLikeMagicPaymentMethod(ref)) throw errors.resourceMissing('PaymentMethod', ref, param);
  if (isLegacyCard(ref)) return cardAsPaymentMethod(ctx, find(ctx, 'card', ref, param, 'PaymentMethod'));
  return paymentMethods.find(ctx, ref, param);
}

/** A legacy Card id (`card_…`), which Stripe accepts wherever a PaymentMethod id is (docs/legacy.md, "Cards where PaymentMethods are used"). */
export const isLegacyCard = (id: string | null | undefined): boolean => Boolean(id?.startsWith('card_'));

const DISPLAY_TO_BRAND: Record<string, string> = {
  Visa: 'visa', MasterCard: 'mastercard', 'American Express': 'amex', Discover: 'discover', 'Diners Club': 'diners', JCB: 'jcb', UnionPay: 'unionpay',
};

/**
 * A legacy Card seen as a card PaymentMethod (same id), so that charges, declines
 * and intents take one code path for both. Not stored: the Card stays the record.
 */
export function cardAsPaymentMethod(ctx: Ctx, card: StripeObject): PaymentMethod {
  const brand = DISPLAY_TO_BRAND[card.brand] ?? 'unknown';
  const test = cardOf(ctx.world, card.id);
  return paymentMethods.build(ctx, {}, {
    id: card.id,
    allow_redisplay: 'unspecified',
    billing_details: billingDetails({
      address: { city: card.address_city, country: card.address_country, line1: card.address_line1, line2: card.address_line2, postal_code: card.address_zip, state: card.address_state },
      name: card.name,
    }),
    card: {
      brand,
      checks: { address_line1_check: card.address_line1_check, address_postal_code_check: card.address_zip_check, cvc_check: card.cvc_check },
      country: card.country,
      display_brand: test?.coBrand ?? brand,
      exp_month: card.exp_month,
      exp_year: card.exp_year,
      fingerprint: card.fingerprint,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: networks({ brand, coBrand: test?.coBrand }),
      regulated_status: 'unregulated',
      three_d_secure_usage: THREE_D_SECURE_USAGE[String(test?.threeDSecureSupported ?? true) as 'true' | 'false'],
      wallet: null,
    },
    created: card.created ?? nowIn(ctx),
    customer: card.customer ?? null,
    metadata: card.metadata ?? EMPTY,
    type: 'card',
  });
}

/** The payment method an intent names: a stored PaymentMethod, or a legacy Card seen as one. */
export function paymentMethodById(ctx: Ctx, id: string): PaymentMethod {
  const found = ctx.world.get(id)!;
  return found.object === 'card' ? cardAsPaymentMethod(ctx, found) : (found as PaymentMethod);
}

/** The PaymentMethod an intent is created with: `payment_method` (a test value makes a new one) or `payment_method_data`. */
export function intentPaymentMethod(ctx: Ctx, params: Params, customer: string | null = params.customer ?? null): PaymentMethod | null {
  if (params.payment_method) {
    const pm = resolvePaymentMethod(ctx, params.payment_method, 'payment_method');
    if (isLegacyCard(pm.id) && pm.customer !== customer) throw cardNotLinked(customer, pm.id);
    return pm;
  }
  return params.payment_method_data ? paymentMethodFromData(ctx, params.payment_method_data) : null;
}

/**
 * A legacy Card named for a customer it does not belong to: the card must be the
 * intent's customer's (B4). Charges answer this [parity SSM, text gh]; the intent's
 * answer is taken to be the same, naming `payment_method` (twin choice).
 */
function cardNotLinked(customer: string | null, card: string): StripeError {
  if (!customer) return errors.resourceMissing('PaymentMethod', card, 'payment_method');
  return new StripeError(404, {
    type: 'invalid_request_error',
    code: 'missing',
    message: `Customer ${customer} does not have a linked source with ID ${card}.`,
    param: 'payment_method',
  });
}

/** E21: a PaymentMethod consumed without a customer, or detached, cannot be used again. */
export function checkUsable(ctx: Ctx, pm: PaymentMethod): void {
  if (ctx.world.facts.get(UNUSABLE_FACT(pm.id))) {
    throw errors.state(
      'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
    );
  }
}

export function markConsumed(ctx: Ctx, pm: PaymentMethod): void {
  if (!pm.customer) ctx.world.facts.set(UNUSABLE_FACT(pm.id), true);
}

/** After a charge attempt or attachment Stripe has run its checks: cvc `pass` (or the card's failing checks). */
export function markChecked(ctx: Ctx, pm: PaymentMethod): PaymentMethod {
  if (!pm.card || isLegacyCard(pm.id)) return pm; // checks are a card's; a legacy Card keeps those made when it was created
  const card = cardOf(ctx.world, pm.id);
  const address = pm.billing_details.address ?? {};
  const check = (name: 'cvc_check' | 'address_line1_check' | 'address_postal_code_check', supplied: boolean) =>
    !supplied ? null : card?.failingChecks?.includes(name) ? 'fail' : card?.uncheckedAddress && name !== 'cvc_check' ? 'unavailable' : 'pass';
  const checks = {
    address_line1_check: check('address_line1_check', Boolean(address.line1)),
    address_postal_code_check: check('address_postal_code_check', Boolean(address.postal_code)),
    cvc_check: check('cvc_check', true),
  };
  const current = pm.card.checks;
  if (checks.cvc_check === current.cvc_check && checks.address_line1_check === current.address_line1_check && checks.address_postal_code_check === current.address_postal_code_check) {
    return pm;
  }
  return ctx.world.replace({ ...pm, card: { ...pm.card, checks } });
}

/** Attach (docs/stripe-facts.md §10): declining cards fail with their decline (param ""), E40 when attached elsewhere. */
export function attachPaymentMethod(ctx: Ctx, pm: PaymentMethod, customerId: string, customerParam = 'customer'): PaymentMethod {
  const customer = find(ctx, 'customer', customerId, customerParam);
  if (pm.customer === customer.id) return pm;
  if (pm.customer) throw errors.state('The payment method you provided has already been attached to a customer.');
  checkUsable(ctx, pm);
  const card = cardOf(ctx.world, pm.id);
  if (card?.decline && !card.attachable) throw cardError(card.decline, { param: '' });
  const attached = markChecked(ctx, ctx.world.replace({ ...pm, customer: customer.id }));
  emit(ctx, 'payment_method.attached', attached);
  return attached;
}

/** Detach (docs/stripe-facts.md §10): the PaymentMethod cannot be used again; a customer whose default it was loses it (customers.ts reacts). */
function detachPaymentMethod(ctx: Ctx, pm: PaymentMethod): PaymentMethod {
  if (!pm.customer) {
    throw errors.state('The payment method you provided is not attached to a customer so detachment is impossible.');
  }
  ctx.world.facts.set(UNUSABLE_FACT(pm.id), true);
  return paymentMethods.save(ctx, pm, { ...pm, customer: null }, 'payment_method.detached');
}

function createPaymentMethod(ctx: Ctx, params: Params): PaymentMethod {
  paymentMethods.unsupported('create', params);
  if (!params.type) throw errors.parameterMissing('type');
  if (params.type !== 'card') return createOtherPaymentMethod(ctx, params, 'type');
  if (!params.card) throw errors.parameterMissing('card');
  const { card, exp_month, exp_year } = cardFromInput(ctx, params.card, 'card');
  return createCardPaymentMethod(ctx, card, {
    exp_month,
    exp_year,
    billing_details: params.billing_details,
    metadata: params.metadata,
    allow_redisplay: params.allow_redisplay,
  });
}

const isTestValue = (id: string) => Boolean(testCards.byPaymentMethod(id) || testBankAccounts.byPaymentMethod(id));

/** PaymentMethod in the path of an action: E12's PaymentMethod variant (404, `param: "payment_method"`). */
function pathPaymentMethod(ctx: Ctx, id: string): PaymentMethod {
  const pm = ctx.world.get<PaymentMethod>(id);
  if (!pm || pm.object !== 'payment_method') throw errors.paymentMethodMissingInPath(id);
  return pm;
}

export const paymentMethods = defineResource<'payment_method', PaymentMethod, 'shared_payment_granted_token'>({
  object: 'payment_method',
  prefix: 'pm',
  path: '/v1/payment_methods',
  name: 'PaymentMethod',
  create: createPaymentMethod,
  // Cards only: of the per-type hashes, `card`.
  optional: ['allow_redisplay', 'card'],
  extra: ['shared_payment_granted_token'],
  defaults: { allow_redisplay: 'unspecified', billing_details: billingDetails(null), metadata: EMPTY },
  writable: {
    allow_redisplay: (value, current) => value ?? current,
    billing_details: (value, current) =>
      value ? billingDetails({ ...current, ...value, address: { ...current.address, ...value.address } }) : current,
    // On update; a new card's details come from its test card.
    card: (value, current) => ({ ...current, exp_month: value?.exp_month ?? current.exp_month, exp_year: value?.exp_year ?? current.exp_year }),
    metadata: (value, current) => mergeMetadata(current, value),
  },
  unsupported: { create: ['customer', 'payment_method'] },
  events: { updated: 'payment_method.updated' },
  filters: ['customer', 'type'],
  indexes: ['customer'],
  routes: { retrieve: false, update: false },
}).with(
  // Retrieving a magic id returns a brand-new PaymentMethod each time [wire].
  route('GET', '/v1/payment_methods/{payment_method}', 'payment_method', (ctx, _p, path) =>
    isTestValue(path.payment_method)
      ? resolvePaymentMethod(ctx, path.payment_method, 'payment_method')
      : paymentMethods.find(ctx, path.payment_method),
  ),
  route('POST', '/v1/payment_methods/{payment_method}', 'payment_method', (ctx, params, path) => {
    const pm = pathPaymentMethod(ctx, path.payment_method);
    return paymentMethods.save(ctx, pm, paymentMethods.apply(ctx, pm, params));
  }),
  route('POST', '/v1/payment_methods/{payment_method}/attach', 'payment_method', (ctx, params, path) => {
    const pm = isTestValue(path.payment_method) ? null : pathPaymentMethod(ctx, path.payment_method);
    find(ctx, 'customer', params.customer, 'customer');
    return attachPaymentMethod(ctx, pm ?? resolvePaymentMethod(ctx, path.payment_method, 'payment_method'), params.customer);
  }),
  route('POST', '/v1/payment_methods/{payment_method}/detach', 'payment_method', (ctx, _p, path) =>
    detachPaymentMethod(ctx, pathPaymentMethod(ctx, path.payment_method)),
  ),
);
