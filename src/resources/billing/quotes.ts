import { declareTask, nowIn, onTestClock, scheduleIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { defineMachine } from '../../engine/machine';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, unsupportedParams } from '../../engine/resource';
import { Ctx, StripeObject } from '../../engine/world';
import { includeLineItems, LineItem, lineItemsOf, listLineItems, priceLineItems, storeLineItems } from '../checkout/line_items';
import { Customer } from '../core/customers';
import { createDraft } from './invoices';
import { invoiceItems } from './invoice_items';
import { createSubscription } from './subscriptions';

// Quotes (docs/billing.md §5, and its "What the twin chose"): line items priced for a customer, `draft` (editable)
// → `open` (finalize: numbered, only `expires_at` may change) → `accepted` (makes a
// subscription when any item recurs, else an invoice) or `canceled` (by hand, or
// by the world clock at `expires_at`, 30 days after creation unless given).
// Line items are Checkout's (`item` objects, per-unit prices); discounts, tax rates,
// automatic tax, Connect fields, revisions (`from_quote`) and a future
// `subscription_data[effective_date]` (a subscription schedule) answer 501.

export type Quote = Shaped<'quote'>;

const DAY = 86_400;
/** `expires_at` when none is given: Stripe's documented example is 30 days after `created`. */
const DEFAULT_LIFETIME = 30 * DAY;
const NO_TOTALS = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
const UNSUPPORTED = ['application_fee_amount', 'application_fee_percent', 'discounts', 'default_tax_rates', 'from_quote', 'on_behalf_of', 'transfer_data', 'test_clock', 'customer_account'];

/** Refusals in a state that does not allow the action: the twin's texts (no recording or report quotes Stripe's). */
const wrongState = (verb: string) => (q: StripeObject, allowed: readonly string[]) =>
  errors.state(`You cannot ${verb} this quote because it has a status of \`${q.status}\`; it must be \`${allowed.join('` or `')}\`.`);

export const quoteMachine = defineMachine({
  states: ['draft', 'open', 'accepted', 'canceled'],
  actions: {
    update: { from: ['draft', 'open'], to: { draft: ['quote.updated'], open: ['quote.updated'] }, error: wrongState('update') },
    finalize: { from: ['draft'], to: { open: ['quote.finalized'] }, error: wrongState('finalize') },
    accept: { from: ['open'], to: { accepted: ['quote.accepted'] }, error: wrongState('accept') },
    cancel: { from: ['draft', 'open'], to: { canceled: ['quote.canceled'] }, error: wrongState('cancel') },
  },
});

// --- amounts ----------------------------------------------------------------------

/**
 * What is paid on acceptance (`computed.upfront`: one-time items, and the first
 * period of recurring ones unless a trial defers them) and every period after
 * (`computed.recurring`); the quote's own totals are the upfront ones (twin choice:
 * Stripe's one example quote has one-time items only, where the two agree).
 */
function amounts(items: readonly LineItem[], trial: boolean, at: string): Pick<Quote, 'amount_subtotal' | 'amount_total' | 'computed' | 'currency' | 'total_details'> {
  const recurring = items.filter((i) => i.price.type === 'recurring');
  const upfront = items.filter((i) => i.price.type !== 'recurring' || !trial);
  const sum = (list: readonly LineItem[]) => list.reduce((n, i) => n + i.amount_total, 0);
  const intervals = new Set(recurring.map((i) => `${i.price.recurring!.interval}/${i.price.recurring!.interval_count}`));
  if (intervals.size > 1) {
    // Twin's text: a subscription's items share one billing interval (as subscriptions refuse).
    throw errors.paramState('All recurring line items of a quote must have the same billing interval.', at);
  }
  const first = recurring[0]?.price.recurring;
  const total = sum(upfront);
  return {
    amount_subtotal: total,
    amount_total: total,
    computed: {
      recurring: first ? { amount_subtotal: sum(recurring), amount_total: sum(recurring), interval: first.interval, interval_count: first.interval_count, total_details: NO_TOTALS } : null,
      upfront: { amount_subtotal: total, amount_total: total, total_details: NO_TOTALS },
    },
    currency: items[0]?.currency ?? null,
    total_details: NO_TOTALS,
  };
}

function readSubscriptionData(input: Params | undefined, current: Quote['subscription_data'] | null): Quote['subscription_data'] {
  if (input?.effective_date != null) throw errors.unsupportedParam('POST /v1/quotes', 'subscription_data[effective_date]');
  const base = current ?? { billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible' }, description: null, effective_date: null, metadata: null, trial_period_days: null };
  if (!input) return base;
  return {
    ...base,
    description: input.description !== undefined ? input.description || null : base.description,
    metadata: input.metadata !== undefined ? mergeMetadata(base.metadata ?? EMPTY, input.metadata) : base.metadata,
    trial_period_days: input.trial_period_days !== undefined ? input.trial_period_days || null : base.trial_period_days,
  };
}

function readInvoiceSettings(collection: string, input: Params | undefined, current: Quote['invoice_settings'] | null): Quote['invoice_settings'] {
  const base = current ?? { custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } };
  const days = input?.days_until_due !== undefined ? input.days_until_due : base.days_until_due;
  // Only send_invoice quotes have a due date (Stripe's field description: null when charge_automatically).
  return { ...base, days_until_due: collection === 'send_invoice' ? days ?? null : null };
}

function customerOf(ctx: Ctx, id: string | null | undefined): Customer | null {
  return id ? find<Customer>(ctx, 'customer', id, 'customer') : null;
}

/** The quote's fields a create or draft update computes from its parameters. */
function draftValues(ctx: Ctx, params: Params, current: Quote | null): Partial<Quote> {
  unsupportedParams(current ? `POST /v1/quotes/${current.id}` : 'POST /v1/quotes', params, UNSUPPORTED);
  if (params.automatic_tax?.enabled) throw errors.unsupportedParam('POST /v1/quotes', 'automatic_tax[enabled]');
  const customer = params.customer !== undefined ? customerOf(ctx, params.customer) : customerOf(ctx, current?.customer as string | null);
  const collection = params.collection_method ?? current?.collection_method ?? 'charge_automatically';
  const subscriptionData = readSubscriptionData(params.subscription_data, current?.subscription_data ?? null);
  const values: Partial<Quote> = {
    collection_method: collection,
    customer: customer?.id ?? null,
    invoice_settings: readInvoiceSettings(collection, params.invoice_settings, current?.invoice_settings ?? null),
    subscription_data: subscriptionData,
    test_clock: customer?.test_clock ?? null,
  };
  if (params.line_items !== undefined || !current) {
    const priced = priceLineItems(ctx, params.line_items ?? [], 'line_items');
    storeLineItems(ctx.world, (current?.id ?? (values.id = quotes.newId(ctx))) as string, priced.items);
  }
  const id = (current?.id ?? values.id) as string;
  Object.assign(values, amounts(lineItemsOf(ctx.world, id), !!subscriptionData.trial_period_days, 'line_items'));
  return values;
}

function checkExpiry(ctx: Ctx, expiresAt: unknown): number {
  if (typeof expiresAt !== 'number' || expiresAt <= nowIn(ctx)) {
    throw errors.paramState('Invalid timestamp: must be an integer Unix timestamp in the future.', 'expires_at'); // as subscriptions' trial_end (unverified here)
  }
  return expiresAt;
}

/** At `expires_at`, a quote still in draft or open is canceled (quote.canceled); a later `expires_at` schedules again. */
function planExpiry(ctx: Ctx, quote: Quote): void {
  scheduleIn(ctx, quote.expires_at, EXPIRE, { id: quote.id, at: quote.expires_at });
}

const EXPIRE = declareTask<{ id: string; at: number }>('quote.expire', (later, { id, at }) => {
  const q = later.world.get<Quote>(id);
  if (!q || q.expires_at !== at || (q.status !== 'draft' && q.status !== 'open')) return;
  cancelQuote(later, q);
});

// --- operations -------------------------------------------------------------------

function createQuote(ctx: Ctx, params: Params): Quote {
  const customer = customerOf(ctx, params.customer);
  const onClock = onTestClock(ctx, customer?.test_clock);
  const values = draftValues(onClock, params, null);
  const now = nowIn(onClock);
  const quote = quotes.insert(onClock, params, {
    ...values,
    expires_at: params.expires_at != null ? checkExpiry(onClock, params.expires_at) : now + DEFAULT_LIFETIME,
    status: 'draft',
    status_transitions: { accepted_at: null, canceled_at: null, finalized_at: null },
  });
  planExpiry(onClock, quote);
  return quote;
}

function updateQuote(ctx: Ctx, quote: Quote, params: Params): Quote {
  quoteMachine.check(quote, 'update');
  ctx = onTestClock(ctx, quote.test_clock);
  const { expires_at: expiresAt, metadata, expand: _expand, ...rest } = params;
  if (quote.status === 'open' && Object.keys(rest).length) {
    // Stripe's docs: an open quote's expiration date is all that can change (the text is the twin's).
    throw errors.paramState(`An open quote can only have its \`expires_at\` updated, not \`${Object.keys(rest)[0]}\`.`, Object.keys(rest)[0]);
  }
  const next: Quote = { ...quotes.apply(ctx, quote, params), ...(quote.status === 'draft' ? draftValues(ctx, rest, quote) : {}) };
  if (expiresAt != null) next.expires_at = checkExpiry(ctx, expiresAt);
  if (metadata !== undefined) next.metadata = mergeMetadata(quote.metadata, metadata);
  const saved = quotes.save(ctx, quote, next);
  if (saved.expires_at !== quote.expires_at) planExpiry(ctx, saved);
  return saved;
}

/** Numbered `QT-<customer's invoice prefix>-<the customer's quote sequence>-<revision>` (Stripe's quotes overview). */
function finalizeQuote(ctx: Ctx, quote: Quote, params: Params): Quote {
  quoteMachine.check(quote, 'finalize');
  ctx = onTestClock(ctx, quote.test_clock);
  // The twin's texts for a quote that cannot be sent yet.
  if (!quote.customer) throw errors.paramState('A quote needs a customer before it can be finalized.', 'customer');
  if (!lineItemsOf(ctx.world, quote.id).length) throw errors.paramState('A quote needs at least one line item before it can be finalized.', 'line_items');
  const customer = ctx.world.get<Customer>(quote.customer as string)!;
  const sequenceKey = `quote_sequence:${customer.id}`;
  const sequence = ((ctx.world.facts.get(sequenceKey) as number | undefined) ?? 0) + 1;
  ctx.world.facts.set(sequenceKey, sequence);
  const expiresAt = params.expires_at != null ? checkExpiry(ctx, params.expires_at) : quote.expires_at;
  const open = quotes.save(
    ctx,
    quote,
    {
      ...quote,
      expires_at: expiresAt,
      number: `QT-${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}-1`,
      status: 'open',
      status_transitions: { ...quote.status_transitions, finalized_at: nowIn(ctx) },
    },
    quoteMachine.events('finalize', 'open'),
  );
  if (expiresAt !== quote.expires_at) planExpiry(ctx, open);
  return open;
}

/**
 * Accepting makes what the quote priced (Stripe's docs: an invoice, or a
 * subscription when any item recurs), then announces quote.accepted. The
 * subscription is created as POST /v1/subscriptions makes one, paid with the
 * customer's default payment method (twin choice: Stripe does not document how a
 * quote's first invoice is collected); the one-time invoice is a draft that
 * finalizes itself an hour later, as API invoices with auto_advance do.
 */
function acceptQuote(ctx: Ctx, quote: Quote): Quote {
  quoteMachine.check(quote, 'accept');
  ctx = onTestClock(ctx, quote.test_clock);
  const customer = ctx.world.get<Customer>(quote.customer as string)!;
  const items = lineItemsOf(ctx.world, quote.id);
  const recurring = items.filter((i) => i.price.type === 'recurring');
  const oneTime = items.filter((i) => i.price.type !== 'recurring');
  const made: Partial<Quote> = {};
  const days = quote.invoice_settings.days_until_due;
  if (recurring.length) {
    const data = quote.subscription_data;
    const sub = createSubscription(ctx, {
      customer: customer.id,
      items: recurring.map((i) => ({ price: i.price.id, quantity: i.quantity })),
      add_invoice_items: oneTime.map((i) => ({ price: i.price.id, quantity: i.quantity })),
      collection_method: quote.collection_method,
      days_until_due: days ?? (quote.collection_method === 'send_invoice' ? 30 : undefined),
      description: data.description ?? undefined,
      metadata: data.metadata ?? undefined,
      trial_period_days: data.trial_period_days ?? undefined,
    });
    made.subscription = sub.id;
  } else {
    const now = nowIn(ctx);
    const pending = oneTime.map((i) =>
      invoiceItems.insert(ctx, {}, {
        amount: i.amount_total,
        currency: i.currency,
        customer: customer.id,
        date: now,
        description: i.description,
        discounts: [],
        metadata: EMPTY,
        parent: null,
        period: { end: now, start: now },
        pricing: { price_details: { price: i.price.id, product: i.price.product }, type: 'price_details', unit_amount_decimal: i.price.unit_amount_decimal ?? String(i.price.unit_amount) },
        quantity: i.quantity,
        quantity_decimal: String(i.quantity),
        test_clock: customer.test_clock ?? null,
      }),
    );
    const invoice = createDraft(ctx, {
      customer,
      billing_reason: 'quote_accept',
      auto_advance: true,
      collection_method: quote.collection_method,
      days_until_due: days ?? (quote.collection_method === 'send_invoice' ? 30 : null),
      description: quote.invoice_settings.description ?? quote.description,
      footer: quote.invoice_settings.footer ?? quote.footer,
      quote: quote.id,
      lines: [],
      items: pending,
    });
    made.invoice = invoice.id;
  }
  const accepted = { ...ctx.world.get<Quote>(quote.id)!, ...made, status: 'accepted', status_transitions: { ...quote.status_transitions, accepted_at: nowIn(ctx) } } as Quote;
  return quotes.save(ctx, quote, accepted, quoteMachine.events('accept', 'accepted'));
}

function cancelQuote(ctx: Ctx, quote: Quote): Quote {
  quoteMachine.check(quote, 'cancel');
  ctx = onTestClock(ctx, quote.test_clock);
  return quotes.save(ctx, quote, { ...quote, status: 'canceled', status_transitions: { ...quote.status_transitions, canceled_at: nowIn(ctx) } }, quoteMachine.events('cancel', 'canceled'));
}

// --- the resource -----------------------------------------------------------------

export const quotes = defineResource<'quote', Quote>({
  object: 'quote',
  prefix: 'qt',
  path: '/v1/quotes',
  create: createQuote,
  omit: ['line_items'],
  defaults: { automatic_tax: { enabled: false, liability: null, provider: null, status: null }, default_tax_rates: [], discounts: [], metadata: EMPTY },
  writable: { description: true, footer: true, header: true, metadata: (value, current) => mergeMetadata(current, value) },
  events: { created: 'quote.created' },
  filters: ['customer', 'status'],
  indexes: ['customer', 'status'],
  clockScoped: { shownBy: ['customer'] },
  routes: { update: false },
}).with(
  route('POST', '/v1/quotes/{quote}', 'quote', (ctx, params, path) => updateQuote(ctx, quotes.find(ctx, path.quote), params)),
  route('POST', '/v1/quotes/{quote}/finalize', 'quote', (ctx, params, path) => finalizeQuote(ctx, quotes.find(ctx, path.quote), params)),
  route('POST', '/v1/quotes/{quote}/accept', 'quote', (ctx, _p, path) => acceptQuote(ctx, quotes.find(ctx, path.quote))),
  route('POST', '/v1/quotes/{quote}/cancel', 'quote', (ctx, _p, path) => cancelQuote(ctx, quotes.find(ctx, path.quote))),
  route('GET', '/v1/quotes/{quote}/line_items', { list: 'item' }, (ctx, params, path) => {
    const quote = quotes.find(ctx, path.quote);
    return listLineItems(ctx.world, quote.id, `/v1/quotes/${quote.id}/line_items`, params);
  }),
  route('GET', '/v1/quotes/{quote}/computed_upfront_line_items', { list: 'item' }, (ctx, params, path) => {
    const quote = quotes.find(ctx, path.quote);
    const url = `/v1/quotes/${quote.id}/computed_upfront_line_items`;
    if (quote.subscription_data.trial_period_days) {
      // A trial defers the recurring items: only the one-time ones are paid up front.
      const { data, ...page } = listLineItems(ctx.world, quote.id, url, { ...params, limit: 100 });
      return { ...page, data: data.filter((i) => i.price.type !== 'recurring'), has_more: false };
    }
    return listLineItems(ctx.world, quote.id, url, params);
  }),
);

includeLineItems('quote', (q) => `/v1/quotes/${q.id}/line_items`);
