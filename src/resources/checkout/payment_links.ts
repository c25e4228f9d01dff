import { errors } from '../../engine/errors';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, mergeMetadata, route, Shaped, shared } from '../../engine/resource';
import { Ctx, World } from '../../engine/world';
import { sortKeys } from '../common';
import { includeLineItems, lineItemsOf, listLineItems, priceLineItems, storeLineItems } from './line_items';
import { CheckoutSession } from './session_state';
import { createSession } from './sessions';

// Payment Links (docs/billing.md §7.2; Stripe's types for
// the shape, Stripe's generated example for defaults): `plink_…` objects with
// line items, a URL on the twin (`/b/test_…`, the form Stripe's buy.stripe.com
// links take) that, opened, makes a Checkout Session with `payment_link` set and
// sends the customer to it; an inactive link's page says so. Events
// payment_link.created, payment_link.updated.

export type PaymentLink = Shaped<'payment_link'>;

const AFTER_COMPLETION = shared({ hosted_confirmation: { custom_message: null }, type: 'hosted_confirmation' });
const AUTOMATIC_TAX = shared({ enabled: false, liability: null });
const CUSTOM_TEXT = shared({ after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null });
const INVOICE_CREATION = shared({
  enabled: false,
  invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null },
});
const PHONE = shared({ enabled: false });
const TAX_ID = shared({ enabled: false, required: 'never' });

const UNSUPPORTED = [
  'application_fee_amount', 'application_fee_percent', 'consent_collection', 'custom_fields', 'custom_text', 'managed_payments', 'name_collection',
  'on_behalf_of', 'optional_items', 'payment_method_options', 'restrictions', 'shipping_address_collection', 'shipping_options', 'transfer_data',
];
/** Hashes accepted only in their default, disabled form. */
const OFF_ONLY = ['automatic_tax', 'invoice_creation', 'phone_number_collection', 'tax_id_collection'];
const INTENT_DATA = ['capture_method', 'description', 'metadata', 'setup_future_usage'];
const SUBSCRIPTION_DATA = ['description', 'metadata', 'trial_period_days'];

function checkModeled(operation: string, params: Params): void {
  for (const name of OFF_ONLY) {
    const value = params[name];
    if (value != null && (value.enabled !== false || Object.keys(value).length > 1)) throw errors.unsupportedParam(operation, name);
  }
  for (const [hash, modeled] of [['payment_intent_data', INTENT_DATA], ['subscription_data', SUBSCRIPTION_DATA]] as const) {
    for (const key of Object.keys(params[hash] ?? {})) if (!modeled.includes(key)) throw errors.unsupportedParam(operation, `${hash}[${key}]`);
  }
}

/** `after_completion` as stored: the hash of its type, and the type. */
function afterCompletion(value: Params | null | undefined, current: unknown): unknown {
  if (!value) return current ?? AFTER_COMPLETION;
  const out: Params = { type: value.type };
  if (value.type === 'redirect' && !value.redirect?.url) throw errors.parameterMissing('after_completion[redirect][url]');
  if (value.type === 'redirect') out.redirect = { url: value.redirect.url };
  else out.hosted_confirmation = { custom_message: value.hosted_confirmation?.custom_message ?? null };
  return sortKeys(out);
}

/** The link's page token: `test_` and 14 characters, the account's id block first (so the page finds the account). */
const tokenFact = (token: string) => `payment_link_token:${token}`;
export const accountBlockOfLinkToken = (token: string): string | null => (/^test_[A-Za-z0-9]{14}$/.test(token) ? token.slice(5, 15) : null);

function newToken(ctx: Ctx): string {
  let token: string;
  do token = `test_${ctx.world.ids.accountBlock}${ctx.world.ids.chars(4)}`;
  while (ctx.world.facts.has(tokenFact(token)));
  return token;
}

/** The link a page token names. */
export function paymentLinkByToken(world: World, token: string): PaymentLink | undefined {
  const id = world.facts.get(tokenFact(token)) as string | undefined;
  return id ? world.get<PaymentLink>(id) : undefined;
}

function createPaymentLink(ctx: Ctx, params: Params): PaymentLink {
  paymentLinks.unsupported('create', params);
  checkModeled('POST /v1/payment_links', params);
  const priced = priceLineItems(ctx, params.line_items);
  if (!priced.items.length) throw errors.parameterMissing('line_items');
  if (params.currency && params.currency.toLowerCase() !== priced.currency) throw errors.unsupportedParam('POST /v1/payment_links', 'currency');
  const recurring = priced.recurring;
  const id = paymentLinks.newId(ctx);
  const token = newToken(ctx);
  const pid = params.payment_intent_data;
  const sd = params.subscription_data;
  const link = paymentLinks.insert(ctx, params, {
    id,
    currency: priced.currency,
    invoice_creation: recurring ? null : INVOICE_CREATION,
    payment_intent_data: pid
      ? {
          capture_method: pid.capture_method ?? null,
          description: pid.description ?? null,
          metadata: mergeMetadata(EMPTY, pid.metadata),
          setup_future_usage: pid.setup_future_usage ?? null,
          statement_descriptor: null,
          statement_descriptor_suffix: null,
          transfer_group: null,
        }
      : null,
    payment_method_types: params.payment_method_types ?? null,
    subscription_data: recurring
      ? {
          description: sd?.description ?? null,
          invoice_settings: { issuer: { type: 'self' } },
          metadata: mergeMetadata(EMPTY, sd?.metadata),
          trial_period_days: sd?.trial_period_days ?? null,
          trial_settings: null,
        }
      : null,
    url: `${ctx.world.config.publicUrl}/b/${token}`,
  });
  storeLineItems(ctx.world, id, priced.items);
  ctx.world.facts.set(tokenFact(token), id);
  return link;
}

/** Someone opens an active link: a new Checkout Session for its line items, `payment_link` set. */
export function sessionFromLink(ctx: Ctx, link: PaymentLink): CheckoutSession {
  const items = lineItemsOf(ctx.world, link.id);
  const recurring = items.some((item) => item.price.type === 'recurring');
  const pid = link.payment_intent_data;
  const sd = link.subscription_data;
  const params: Params = {
    mode: recurring ? 'subscription' : 'payment',
    allow_promotion_codes: link.allow_promotion_codes || undefined,
    billing_address_collection: link.billing_address_collection,
    submit_type: link.submit_type,
    success_url: link.after_completion.type === 'redirect' ? link.after_completion.redirect.url : undefined,
  };
  if (!recurring) params.customer_creation = link.customer_creation;
  if (link.payment_method_types) params.allowed_payment_method_types = link.payment_method_types;
  if (pid) {
    params.payment_intent_data = Object.fromEntries(
      Object.entries({ capture_method: pid.capture_method, description: pid.description, setup_future_usage: pid.setup_future_usage }).filter(([, v]) => v !== null),
    );
    if (Object.keys(pid.metadata).length) params.payment_intent_data.metadata = pid.metadata;
  }
  if (sd && (sd.trial_period_days !== null || Object.keys(sd.metadata).length)) {
    params.subscription_data = { ...(sd.trial_period_days !== null ? { trial_period_days: sd.trial_period_days } : {}), ...(Object.keys(sd.metadata).length ? { metadata: sd.metadata } : {}) };
  }
  return createSession(ctx, params, { payment_link: link.id, items });
}

includeLineItems('payment_link', (link) => `/v1/payment_links/${link.id}/line_items`);

export const paymentLinks = defineResource<'payment_link', PaymentLink>({
  object: 'payment_link',
  prefix: 'plink',
  path: '/v1/payment_links',
  create: createPaymentLink,
  // Sent only when set: none of these is modeled.
  omit: ['line_items', 'name_collection', 'optional_items'],
  defaults: {
    active: true,
    after_completion: AFTER_COMPLETION,
    allow_promotion_codes: false,
    automatic_tax: AUTOMATIC_TAX,
    billing_address_collection: 'auto',
    custom_fields: [],
    custom_text: CUSTOM_TEXT,
    customer_creation: 'if_required',
    metadata: EMPTY,
    payment_method_collection: 'always',
    phone_number_collection: PHONE,
    shipping_options: [],
    submit_type: 'auto',
    tax_id_collection: TAX_ID,
  },
  writable: {
    active: true,
    after_completion: afterCompletion,
    allow_promotion_codes: true,
    billing_address_collection: true,
    customer_creation: true,
    inactive_message: true,
    metadata: (value, current) => mergeMetadata(current, value),
    payment_method_collection: true,
    submit_type: true,
  },
  unsupported: {
    create: UNSUPPORTED,
    update: [...UNSUPPORTED, 'line_items', 'payment_intent_data', 'payment_method_types', 'subscription_data', 'automatic_tax', 'invoice_creation', 'phone_number_collection', 'tax_id_collection'],
  },
  events: { created: 'payment_link.created', updated: 'payment_link.updated' },
  filters: ['active'],
  indexes: ['active'],
}).with(
  route('GET', '/v1/payment_links/{payment_link}/line_items', { list: 'item' }, (ctx, params, path) => {
    const link = paymentLinks.find(ctx, path.payment_link);
    return listLineItems(ctx.world, link.id, `/v1/payment_links/${link.id}/line_items`, params);
  }),
);
