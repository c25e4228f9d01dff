import { nowIn, scopeOf } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { emit } from '../../engine/events';
import { paginate } from '../../engine/list';
import { Params } from '../../engine/params';
import { withKey } from '../../engine/render';
import { TestCard, testCards } from '../../engine/test_values';
import { Ctx, indexKey, StripeObject } from '../../engine/world';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, unsupportedParams } from '../../engine/resource';
import { cardError, cardOf, fingerprint, rawCard, rememberTestCard } from './payment_methods';

// The legacy payment-source API (docs/legacy.md, Tokens and Customer sources):
// Card objects (`card_…`), Tokens (`tok_…`, `btok_…`) and a customer's sources
// (/v1/customers/:id/sources and its older /cards form). A Card carries the
// behaviour of the test card behind it, as a PaymentMethod does, so charging
// one (legacy_charges.ts, or an intent naming `card_…`) declines the same way.
// The customer's `default_source` is kept by customers.ts, reacting to the
// customer.source.* events emitted here.

export type Card = Shaped<'card'>;
export type Token = Shaped<'token'>;

/** Card brands as the Card object names them (display names), by PaymentMethod brand [sdk Card.brand]. */
const DISPLAY_BRAND: Record<string, string> = {
  visa: 'Visa', mastercard: 'MasterCard', amex: 'American Express', discover: 'Discover', diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay',
};

export const cards = defineResource<'card', Card>({
  object: 'card',
  prefix: 'card',
  // Reached through a customer's sources (routes below), not a collection of its own.
  path: null,
  optional: ['customer', 'fingerprint', 'networks'],
  defaults: { metadata: EMPTY },
  writable: {
    address_city: true,
    address_country: true,
    address_line1: true,
    address_line2: true,
    address_state: true,
    address_zip: true,
    // Sent as strings on this operation (the spec types them so); stored as numbers.
    exp_month: (value, current) => (value == null ? current : Number(value)),
    exp_year: (value, current) => (value == null ? current : Number(value)),
    metadata: (value, current) => mergeMetadata(current, value),
    name: true,
  },
  events: { updated: 'customer.source.updated', deleted: 'customer.source.deleted' },
  indexes: ['customer'],
});

interface CardDetails {
  exp_month?: number;
  exp_year?: number;
  cvc?: string | null;
  name?: string | null;
  address?: Params;
}

/**
 * Stores a new Card for a test card. As for magic PaymentMethods, a token's card
 * expires a year after the current month; `cvc_check` is null unless a CVC was
 * sent (SSM parity 2020 for tokens; the CVC rule follows docs/stripe-facts.md §4 — twin choice).
 */
function createCard(ctx: Ctx, test: TestCard, details: CardDetails = {}): Card {
  const now = new Date(nowIn(ctx) * 1000);
  const a = details.address ?? {};
  const checked = (name: 'cvc_check' | 'address_line1_check' | 'address_postal_code_check', sent: unknown) =>
    sent == null || sent === '' ? null : test.failingChecks?.includes(name) ? 'fail' : test.uncheckedAddress && name !== 'cvc_check' ? 'unavailable' : 'pass';
  const card = cards.insert(ctx, {}, {
    address_city: a.address_city ?? null,
    address_country: a.address_country ?? null,
    address_line1: a.address_line1 ?? null,
    address_line1_check: checked('address_line1_check', a.address_line1),
    address_line2: a.address_line2 ?? null,
    address_state: a.address_state ?? null,
    address_zip: a.address_zip ?? null,
    address_zip_check: checked('address_postal_code_check', a.address_zip),
    brand: DISPLAY_BRAND[test.brand] ?? 'Unknown',
    country: test.country,
    customer: null,
    cvc_check: checked('cvc_check', details.cvc),
    dynamic_last4: null,
    exp_month: details.exp_month ?? now.getUTCMonth() + 1,
    exp_year: details.exp_year ?? now.getUTCFullYear() + 1,
    fingerprint: fingerprint(ctx.world, test.number),
    funding: test.funding,
    last4: test.number.slice(-4),
    name: details.name ?? null,
    networks: { preferred: null },
    regulated_status: null,
    tokenization_method: null,
  });
  rememberTestCard(ctx.world, card.id, test);
  return card;
}

/** A card as a token shows it: without the `customer` key (Stripe changelog 2014-12-22). */
function tokenCard(card: Card): Record<string, unknown> {
  const { customer: _customer, ...rest } = card;
  return rest;
}

// --- tokens ---------------------------------------------------------------

/** Token kinds the twin does not make (501 rather than a token that is not Stripe's). */
const UNMODELED_TOKENS = ['account', 'person', 'pii', 'cvc_update', 'customer'];

function createToken(ctx: Ctx, params: Params): Token {
  unsupportedParams('POST /v1/tokens', params, UNMODELED_TOKENS);
  if (typeof params.card === 'string') throw errors.unsupportedParam('POST /v1/tokens', 'card (an existing card id)');
  if (params.card) {
    const { card: test, exp_month, exp_year } = rawCard(ctx, params.card, 'card');
    const card = createCard(ctx, test, { exp_month, exp_year, cvc: params.card.cvc, name: params.card.name, address: params.card });
    return insertToken(ctx, tokens.newId(ctx), 'card', 'card', tokenCard(card));
  }
  if (params.bank_account) return insertToken(ctx, ctx.world.ids.next('btok'), 'bank_account', 'bank_account', bankAccount(ctx, params.bank_account));
  // The text Stripe answers a token request with nothing to tokenize (unverified).
  throw errors.state('You must supply either a card, customer, PII data, bank account, or account legal entity to create a token.');
}

function insertToken(ctx: Ctx, id: string, type: string, key: 'card' | 'bank_account', value: Record<string, unknown>): Token {
  const built = tokens.build(ctx, {}, { id, client_ip: null, type, used: false });
  return ctx.world.insert(withKey(built, key, value), scopeOf(ctx)) as Token;
}

/** The bank account inside a `btok_` token, as Stripe's documented example shows it (B2). */
function bankAccount(ctx: Ctx, input: Params): Record<string, unknown> {
  for (const field of ['country', 'account_number']) if (!input[field]) throw errors.parameterMissing(`bank_account[${field}]`);
  const number = String(input.account_number);
  return {
    id: ctx.world.ids.next('ba'),
    object: 'bank_account',
    account_holder_name: input.account_holder_name ?? null,
    account_holder_type: input.account_holder_type ?? null,
    account_type: null,
    bank_name: 'STRIPE TEST BANK',
    country: input.country,
    currency: (input.currency ?? 'usd').toLowerCase(),
    fingerprint: fingerprint(ctx.world, `${input.routing_number ?? ''}:${number}`),
    last4: number.slice(-4),
    routing_number: input.routing_number ?? null,
    status: 'new',
  };
}

export const tokens = defineResource<'token', Token>({
  object: 'token',
  prefix: 'tok',
  path: '/v1/tokens',
  create: createToken,
  omit: ['bank_account', 'card'],
  routes: { list: false },
});

// --- a source named in a request --------------------------------------------

/**
 * The Card a `source` (or `card`) parameter names: a magic test token makes a new
 * card each time; a created token gives its card once (then `token_already_used`);
 * a hash of card details is raw card data (E33 without raw-card access).
 * With `customer`, the card is being saved to that customer: a declining test card
 * fails as attaching it does (B3.1: `param` "" unless the decline names one);
 * …0341 (`chargeCustomerFail`) attaches and declines later. The card is stored
 * with its customer; customer.source.created is the caller's (announceSource).
 */
export function sourceCard(ctx: Ctx, ref: unknown, param: string, customer: string | null): Card {
  if (ref && typeof ref === 'object') {
    // Card details sent as a hash (`card[number]`…): raw card data, as for a token.
    const input = ref as Params;
    const { card: test, exp_month, exp_year } = rawCard(ctx, input, param);
    refuseDeclining(test, customer);
    const card = createCard(ctx, test, { exp_month, exp_year, cvc: input.cvc, name: input.name, address: input });
    const withMetadata = input.metadata ? { ...card, metadata: mergeMetadata(card.metadata, input.metadata) } : card;
    return ctx.world.replace({ ...withMetadata, customer });
  }
  if (typeof ref !== 'string') throw errors.parameterMissing(param);
  let card: Card;
  const magic = testCards.byToken(ref);
  if (magic) {
    refuseDeclining(magic, customer);
    card = createCard(ctx, magic);
  } else if (ref.startsWith('btok_') || ref.startsWith('src_')) {
    throw errors.unsupportedParam(`${param}=${ref.slice(0, ref.indexOf('_') + 1)}…`, param);
  } else {
    const token = ctx.world.get<Token>(ref);
    if (!token || token.object !== 'token' || !token.card) throw errors.resourceMissing('token', ref, param);
    if (token.used) {
      throw errors.state(`You cannot use a Stripe token more than once: ${ref}.`, 'token_already_used');
    }
    card = ctx.world.get<Card>(token.card.id)!;
    refuseDeclining(cardOf(ctx.world, card.id), customer);
    ctx.world.replace({ ...token, used: true });
  }
  return customer ? ctx.world.replace({ ...card, customer }) : card;
}

function refuseDeclining(test: TestCard | undefined, customer: string | null): void {
  if (customer && test?.decline && !test.attachable) throw cardError(test.decline, { param: test.decline.param ?? '' });
}

/** Announces a card saved to a customer (customers.ts makes it the default when there is none). */
export function announceSource(ctx: Ctx, card: Card): Card {
  emit(ctx, 'customer.source.created', card);
  return card;
}

/** Deletes a customer's card: `{id, object: "card", deleted: true}` and customer.source.deleted. */
export function removeSource(ctx: Ctx, card: Card): StripeObject {
  return cards.remove(ctx, card);
}

/** A customer's card, or Stripe's 404 (message from SSM's source (uncertain)). */
export function customerCard(ctx: Ctx, customerId: string, id: string, param = 'id'): Card {
  const card = ctx.world.get<Card>(id);
  if (!card || card.object !== 'card' || card.deleted || card.customer !== customerId) {
    throw new StripeError(param === 'id' ? 404 : 400, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `Customer ${customerId} does not have card with ID ${id}`,
      param,
    });
  }
  return card;
}

/** A customer's cards, newest first. */
export function cardsOf(ctx: Ctx, customerId: string): Card[] {
  return ctx.world
    .indexed('card', 'customer', indexKey(customerId))
    .map((p) => ctx.world.at<Card>('card', p))
    .filter((c) => !c.deleted && c.customer === customerId)
    .reverse();
}

// --- /v1/customers/:id/sources (and the older /cards) -----------------------
// A customer missing from the path answers 404, as its other nested routes do.

function addSource(ctx: Ctx, params: Params, customerId: string): Card {
  unsupportedParams(`POST /v1/customers/{customer}/sources`, params, ['bank_account', 'alipay_account', 'validate']);
  const customer = find(ctx, 'customer', customerId);
  const card = sourceCard(ctx, params.source ?? params.card, params.source === undefined && params.card !== undefined ? 'card' : 'source', customer.id);
  const saved = params.metadata ? ctx.world.replace({ ...card, metadata: mergeMetadata(card.metadata, params.metadata) }) : card;
  return announceSource(ctx, saved);
}

function listSources(ctx: Ctx, params: Params, customerId: string, collection: 'sources' | 'cards') {
  const customer = find(ctx, 'customer', customerId);
  // Only cards are modeled: a filter for another kind of source lists nothing.
  const kind = collection === 'cards' ? 'card' : (params.object ?? 'card');
  return paginate<Card>(ctx.world, 'card', `/v1/customers/${customer.id}/${collection}`, params, (c) => kind === 'card' && !c.deleted && c.customer === customer.id, {
    customer: customer.id,
  });
}

function sourceRoutes(collection: 'sources' | 'cards') {
  const base = `/v1/customers/{customer}/${collection}`;
  const item = `${base}/{id}`;
  return [
    route('POST', base, collection === 'cards' ? 'card' : 'payment_source', (ctx, params, path) => addSource(ctx, params, path.customer)),
    route('GET', base, { list: collection === 'cards' ? 'card' : 'payment_source' }, (ctx, params, path) => listSources(ctx, params, path.customer, collection)),
    route('GET', item, collection === 'cards' ? 'card' : 'payment_source', (ctx, _p, path) => {
      find(ctx, 'customer', path.customer);
      return customerCard(ctx, path.customer, path.id);
    }),
    route('POST', item, 'card', (ctx, params, path) => {
      unsupportedParams(`POST ${item}`, params, ['account_holder_name', 'account_holder_type', 'owner']);
      find(ctx, 'customer', path.customer);
      const card = customerCard(ctx, path.customer, path.id);
      return cards.save(ctx, card, cards.apply(ctx, card, params));
    }),
    route('DELETE', item, collection === 'cards' ? 'deleted_card' : 'payment_source', (ctx, _p, path) => {
      find(ctx, 'customer', path.customer);
      return removeSource(ctx, customerCard(ctx, path.customer, path.id));
    }),
  ];
}

export const legacySourceRoutes = [...tokens.routes, ...sourceRoutes('sources'), ...sourceRoutes('cards')];
