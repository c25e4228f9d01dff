import { declareTask, nowIn, onTestClock, scheduleIn } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { registerIncludable } from '../../engine/expand';
import { checkLimit } from '../../engine/list';
import { checkCurrency, minimumCharge } from '../../engine/money';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { withKey } from '../../engine/render';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared } from '../../engine/resource';
import { Ctx, declareIndex, indexKey, World } from '../../engine/world';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent, PaymentIntent, setIntentAmount } from '../payments/payment_intents';
import { forceBehaviour, resolvePaymentMethod } from '../payments/payment_methods';
import { Decline } from '../../engine/test_values';
import { adjustCustomerBalance } from '../core/customer_balance';
import { applyDiscounts, discountAmount } from './discounts';
import { creditedItemsOf, InvoiceItem, onInvoiceItemChanges, pendingItems } from './invoice_items';
import { computeTotals, DiscountOff, LineAmounts } from './totals';

// Invoices (docs/billing.md §4): draft → open → paid |
// uncollectible | void, with their lines, totals, numbering, the PaymentIntent
// made at finalization and the InvoicePayments of basil. Paying is always the
// invoice's PaymentIntent succeeding or failing: the reactions at the end turn
// those events into the invoice's, whoever confirmed it (this module, a
// renewal, or a client confirming with the invoice's confirmation_secret).
// Drafts that advance automatically are finalized an hour after creation on the
// customer's clock, then charged or sent; failed automatic charges are retried
// on a fixed schedule (the world config's `billing` settings).

export type Invoice = Shaped<'invoice'>;
export type InvoiceLine = Shaped<'line_item'>;
export type InvoicePayment = Shaped<'invoice_payment'>;
type Customer = Shaped<'customer'>;

/** A line to put on an invoice (subscription lines and prorations are made by ./subscriptions.ts). */
export interface LineInput {
  amount: number;
  currency: string;
  description: string | null;
  discountable: boolean;
  discounts: string[];
  metadata: Record<string, string>;
  period: { end: number; start: number };
  price: { id: string; product: string };
  unitAmountDecimal: string | null;
  quantity: number;
  parent: Record<string, unknown>;
}

const DRAFT_RENDERING = shared({ amount_tax_display: null, pdf: { page_size: 'auto' }, template: null, template_version: null });
const PAID_RENDERING = shared({ amount_tax_display: null, pdf: { page_size: 'letter' }, template: null, template_version: null });
const NO_TRANSITIONS = shared({ finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null });
const AUTOMATIC_TAX = shared({ disabled_reason: null, enabled: false, liability: null, provider: null, status: null });
const PAYMENT_SETTINGS = shared({ default_mandate: null, payment_method_options: null, payment_method_types: null });
const ISSUER = shared({ type: 'self' });
/** Drafts that advance by themselves are finalized this long after creation (docs/billing.md §3.7). */
export const FINALIZE_AFTER = 3600;

// --- lines -------------------------------------------------------------------

function newLine(ctx: Ctx, invoiceId: string, input: LineInput, preview = false): InvoiceLine {
  return {
    id: preview ? `il_tmp_${ctx.world.ids.chars(24)}` : ctx.world.ids.next('il'),
    object: 'line_item',
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    discount_amounts: [],
    discountable: input.discountable,
    discounts: input.discounts,
    invoice: invoiceId,
    livemode: false,
    metadata: input.metadata,
    parent: input.parent,
    period: input.period,
    pretax_credit_amounts: [],
    pricing: { price_details: { price: input.price.id, product: input.price.product }, type: 'price_details', unit_amount_decimal: input.unitAmountDecimal },
    quantity: input.quantity,
    quantity_decimal: String(input.quantity),
    subtotal: input.amount,
    taxes: [],
  } as InvoiceLine;
}

/**
 * The line an invoice item becomes. An item made for a subscription item (a
 * proration) is shown as that subscription item's line, naming the item and,
 * for a credit, the line it gives back (recorded).
 */
export function itemLine(ctx: Ctx, item: InvoiceItem): LineInput {
  const subscription = item.parent?.subscription_details?.subscription ?? null;
  const subscriptionItem = item.parent?.subscription_details?.subscription_item ?? null;
  const details = { invoice_item: item.id, proration: item.proration, proration_details: { credited_items: creditedItemsOf(ctx, item.id) }, subscription };
  return {
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discountable: item.discountable,
    discounts: item.discounts ?? [],
    metadata: item.metadata ?? EMPTY,
    period: item.period,
    price: { id: item.pricing.price_details.price, product: item.pricing.price_details.product },
    unitAmountDecimal: item.pricing.unit_amount_decimal,
    quantity: item.quantity,
    parent: subscriptionItem
      ? { invoice_item_details: null, subscription_item_details: { ...details, subscription_item: subscriptionItem }, type: 'subscription_item_details' }
      : { invoice_item_details: details, subscription_item_details: null, type: 'invoice_item_details' },
  };
}

/** Where a line's tax rates come from: its invoice item, its subscription item, else the invoice's defaults. */
function lineTaxRates(ctx: Ctx, line: InvoiceLine): string[] | null {
  const p = line.parent;
  const source = p?.invoice_item_details ? ctx.world.get(p.invoice_item_details.invoice_item) : p?.subscription_item_details ? ctx.world.get(p.subscription_item_details.subscription_item) : undefined;
  const rates = source?.tax_rates as (string | { id: string })[] | undefined;
  return rates?.length ? rates.map((r) => (typeof r === 'string' ? r : r.id)) : null;
}

/** The invoice with its lines' discounts and taxes and every total computed from them and the customer's balance. */
function priced(ctx: Ctx, invoice: Invoice, lines: InvoiceLine[]): Invoice {
  const amounts: LineAmounts[] = lines.map((l) => ({
    amount: l.amount,
    discountable: l.discountable,
    discounts: (l.discounts ?? []) as string[],
    taxRates: lineTaxRates(ctx, l),
    product: l.pricing?.price_details?.product ?? null,
  }));
  const off: DiscountOff = (discount, base, product) => discountAmount(ctx, discount, base, invoice.currency, product);
  const t = computeTotals(ctx, amounts, invoice.discounts ?? [], invoice.default_tax_rates ?? [], off);
  const data = lines.map((l, i) => ({ ...l, ...t.lines[i] }));
  const balance = invoice.status === 'draft' ? (ctx.world.get<Customer>(invoice.customer)?.balance ?? 0) : invoice.starting_balance;
  return withBalance({
    ...invoice,
    lines: { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/invoices/${invoice.id}/lines` },
    subtotal: t.subtotal,
    subtotal_excluding_tax: t.subtotal_excluding_tax,
    total: t.total,
    total_discount_amounts: t.total_discount_amounts,
    total_excluding_tax: t.total_excluding_tax,
    total_pretax_credit_amounts: t.total_pretax_credit_amounts,
    total_taxes: t.total_taxes,
  }, balance);
}

/** What is due once the customer's balance is applied (a credit lowers it, never below 0; a debt raises it). */
function withBalance(invoice: Invoice, balance: number): Invoice {
  const amountDue = Math.max(0, invoice.total + balance - invoice.pre_payment_credit_notes_amount);
  return { ...invoice, amount_due: amountDue, amount_remaining: Math.max(0, amountDue - invoice.amount_paid), starting_balance: balance };
}

// --- create ------------------------------------------------------------------

/** What a new invoice is made of, by an API call or by a subscription. */
export interface InvoiceSpec {
  customer: Customer;
  billing_reason: string;
  auto_advance: boolean;
  collection_method: string;
  days_until_due?: number | null;
  due_date?: number | null;
  default_payment_method?: string | null;
  default_source?: string | null;
  default_tax_rates?: string[];
  discounts?: string[];
  description?: string | null;
  metadata?: Record<string, string>;
  footer?: string | null;
  currency?: string | null;
  statement_descriptor?: string | null;
  period?: { start: number; end: number };
  /** `parent.subscription_details`, for a subscription's invoice. */
  subscription?: { id: string; metadata: Record<string, string> } | null;
  /** `parent.quote_details`, for the invoice an accepted quote makes. */
  quote?: string | null;
  lines: LineInput[];
  /** Pending invoice items to pull onto it (they get `invoice` set). */
  items: InvoiceItem[];
}

/** An invoice as a draft of `spec` would be, not stored; `preview` gives it the ids of a preview (upcoming_in_…, il_tmp_…). */
function buildDraft(ctx: Ctx, spec: InvoiceSpec, preview = false): Invoice {
  const now = nowIn(ctx);
  const c = spec.customer;
  const currency = spec.currency ?? spec.lines[0]?.currency ?? spec.items[0]?.currency ?? c.currency ?? 'usd';
  const id = preview ? `upcoming_${ctx.world.ids.next('in')}` : invoices.newId(ctx);
  const lines = [...spec.items.map((item) => itemLine(ctx, item)), ...spec.lines].map((l) => newLine(ctx, id, l, preview));
  const base = invoices.build(ctx, {}, {
    id,
    account_country: 'US',
    account_name: ctx.world.config.accountName ?? null,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_shipping: 0,
    attempt_count: 0,
    attempted: false,
    auto_advance: spec.auto_advance,
    automatic_tax: AUTOMATIC_TAX,
    automatically_finalizes_at: spec.auto_advance ? now + FINALIZE_AFTER : null,
    billing_reason: spec.billing_reason,
    collection_method: spec.collection_method,
    currency,
    customer: c.id,
    customer_address: c.address ?? null,
    customer_email: c.email ?? null,
    customer_name: c.name ?? null,
    customer_phone: c.phone ?? null,
    customer_shipping: c.shipping ?? null,
    customer_tax_exempt: c.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: spec.default_payment_method ?? null,
    default_source: spec.default_source ?? null,
    default_tax_rates: spec.default_tax_rates ?? [],
    description: spec.description ?? null,
    discounts: spec.discounts ?? [],
    due_date: spec.due_date ?? null,
    footer: spec.footer ?? null,
    issuer: ISSUER,
    metadata: spec.metadata ?? EMPTY,
    parent: spec.subscription
      ? { quote_details: null, subscription_details: { metadata: spec.subscription.metadata, subscription: spec.subscription.id }, type: 'subscription_details' }
      : spec.quote
        ? { quote_details: { quote: spec.quote }, subscription_details: null, type: 'quote_details' }
        : null,
    payment_settings: PAYMENT_SETTINGS,
    period_end: spec.period?.end ?? now,
    period_start: spec.period?.start ?? now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    // Invoices a subscription makes have none; one made through the API has the defaults (recorded).
    rendering: spec.billing_reason === 'manual' ? DRAFT_RENDERING : null,
    statement_descriptor: spec.statement_descriptor ?? null,
    status: 'draft',
    status_transitions: NO_TRANSITIONS,
    test_clock: c.test_clock ?? null,
    webhooks_delivered_at: now,
  });
  return priced(ctx, base, lines);
}

/** Makes a draft (invoice.created) with its lines; an auto-advancing one is scheduled to finalize. */
export function createDraft(ctx: Ctx, spec: InvoiceSpec): Invoice {
  const invoice = ctx.world.insert(buildDraft(ctx, spec));
  for (const item of spec.items) ctx.world.replace({ ...item, invoice: invoice.id });
  if (spec.days_until_due != null) ctx.world.facts.set(daysFact(invoice.id), spec.days_until_due);
  emit(ctx, 'invoice.created', invoice);
  if (spec.auto_advance) scheduleIn(ctx, invoice.automatically_finalizes_at, ADVANCE, { id: invoice.id });
  return invoice;
}

function createInvoice(ctx: Ctx, params: Params): Invoice {
  invoices.unsupported('create', params);
  const subscription = params.subscription ? find(ctx, 'subscription', params.subscription, 'subscription') : null;
  if (!params.customer && !subscription) throw errors.parameterMissing('customer');
  const customer = find<Customer>(ctx, 'customer', params.customer ?? subscription!.customer, 'customer');
  const onClock = onTestClock(ctx, customer.test_clock);
  const collection = params.collection_method ?? 'charge_automatically';
  if (collection === 'send_invoice' && params.days_until_due == null && params.due_date == null) {
    // Stripe's text for a send_invoice invoice without a due date (unverified).
    throw errors.paramState('Invoices with `collection_method=send_invoice` must have a `due_date` or `days_until_due`.', 'days_until_due');
  }
  const include = params.pending_invoice_items_behavior === 'include';
  // The customer's discount applies unless `discounts` says otherwise (an empty value: none).
  const discountIds = params.discounts !== undefined
    ? applyDiscounts(onClock, params.discounts, { customer: customer.id }, 'discounts', nowIn(onClock))
    : customer.discount ? [customer.discount.id] : [];
  return createDraft(onClock, {
    discounts: discountIds,
    customer,
    billing_reason: 'manual',
    auto_advance: params.auto_advance ?? false,
    collection_method: collection,
    days_until_due: params.days_until_due ?? null,
    due_date: params.due_date ?? null,
    default_payment_method: params.default_payment_method ?? null,
    default_source: params.default_source ?? null,
    default_tax_rates: params.default_tax_rates || [],
    description: params.description ?? null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    footer: params.footer ?? null,
    currency: params.currency ? checkCurrency(params.currency) : null,
    statement_descriptor: params.statement_descriptor ?? null,
    subscription: subscription ? { id: subscription.id, metadata: subscription.metadata } : null,
    lines: [],
    items: include || subscription ? pendingItems(ctx, customer.id, subscription?.id) : [],
  });
}

/** What a draft of `spec` would be, stored nowhere and announcing nothing (create_preview, invoice.upcoming). */
export function previewInvoice(ctx: Ctx, spec: InvoiceSpec): Invoice {
  return { ...buildDraft(ctx, spec, true), automatically_finalizes_at: null, billing_reason: spec.billing_reason };
}

// --- finalize ----------------------------------------------------------------

const SECRET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** The token in a finalized document's URLs (an invoice's hosted page and PDF, a credit note's PDF). */
export const documentToken = (ctx: Ctx) => ctx.world.ids.chars(54, SECRET);

/** Finalizes a draft: number, URLs, the balance applied, then paid at once if nothing is due, else its PaymentIntent. */
export function finalizeInvoice(ctx: Ctx, invoice: Invoice): Invoice {
  if (invoice.status !== 'draft') {
    // As integrations quote it; the code is Stripe's for invoices that cannot change (unverified pairing).
    throw errors.state("This invoice is already finalized, you can't re-finalize a non-draft invoice.", 'invoice_not_editable');
  }
  ctx = onTestClock(ctx, invoice.test_clock);
  const { world } = ctx;
  const now = nowIn(ctx);
  const customer = world.get<Customer>(invoice.customer)!;
  const sequence = customer.next_invoice_sequence ?? 1;
  world.replace({ ...customer, next_invoice_sequence: sequence + 1 });
  const token = documentToken(ctx);
  const account = world.accountId;
  // The totals are the draft's; only the balance may have moved since.
  let next = withBalance(invoice, customer.balance ?? 0);
  const balanceUsed = next.amount_due - (next.total - next.pre_payment_credit_notes_amount);
  next = {
    ...next,
    automatically_finalizes_at: null,
    due_date: invoice.collection_method === 'send_invoice' ? invoice.due_date ?? now + (daysUntilDue(ctx, invoice) ?? 30) * 86400 : invoice.due_date,
    effective_at: now,
    ending_balance: (customer.balance ?? 0) - balanceUsed,
    hosted_invoice_url: `https://invoice.stripe.com/i/${account}/test_${token}?s=ap`,
    invoice_pdf: `https://pay.stripe.com/invoice/${account}/test_${token}/pdf?s=ap`,
    number: `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`,
    status: 'open',
    status_transitions: { ...invoice.status_transitions, finalized_at: now },
  };
  // The balance an invoice uses is recorded against it (a credit applied, or a debit added).
  if (balanceUsed !== 0) adjustCustomerBalance(ctx, customer.id, { amount: -balanceUsed, currency: next.currency, type: 'applied_to_invoice', invoice: invoice.id });
  if (next.amount_due === 0) {
    // Nothing to collect: paid at finalization, no PaymentIntent (a $0 trial invoice as recorded).
    const paid = world.replace({ ...next, attempted: true, auto_advance: false, status: 'paid', status_transitions: { ...next.status_transitions, paid_at: now }, rendering: rendered(next) });
    emit(ctx, 'invoice.finalized', paid);
    emitPaid(ctx, invoice, paid, true);
    return paid;
  }
  if (next.amount_due < minimumCharge(next.currency)) throw errors.unsupportedParam('POST /v1/invoices/{invoice}/finalize', 'amount below the minimum charge (invoice_too_small)');
  const saved = world.replace(next);
  emit(ctx, 'invoice.finalized', saved);
  createInvoicePayment(ctx, saved);
  return world.get<Invoice>(saved.id)!;
}

/** `days_until_due` is kept beside the invoice: the endive invoice has no such field. */
const daysFact = (id: string) => `invoice_days_until_due:${id}`;
const daysUntilDue = (ctx: Ctx, invoice: Invoice) => ctx.world.facts.get(daysFact(invoice.id)) as number | undefined;

const rendered = (invoice: Invoice) => (invoice.rendering ? PAID_RENDERING : null);

/** The invoice's PaymentIntent and its default InvoicePayment (open until paid). */
function createInvoicePayment(ctx: Ctx, invoice: Invoice): void {
  const subscriptionCreate = invoice.billing_reason === 'subscription_create';
  const pi = createPaymentIntent(ctx, {
    amount: invoice.amount_due,
    currency: invoice.currency,
    customer: invoice.customer,
    // Recorded for a subscription's first invoice; other reasons' texts (unverified).
    description: subscriptionCreate ? 'Subscription creation' : invoice.parent ? 'Subscription update' : null,
    payment_method_types: ctx.world.config.paymentMethodTypes,
    capture_method: 'automatic',
    setup_future_usage: invoice.parent ? 'off_session' : undefined,
  });
  // An invoice's PaymentIntent names it in payment_details (recorded: the whole id at
  // 2026-03-25.dahlia; cut to 24 characters at basil and clover).
  ctx.world.replace(withKey(pi, 'payment_details', { customer_reference: null, order_reference: invoice.id }));
  ctx.world.facts.set(invoiceOfIntent(pi.id), invoice.id);
  const sub = invoice.parent?.subscription_details?.subscription;
  const decline = sub && invoice.billing_reason === 'subscription_cycle' ? (ctx.world.facts.get(renewalDecline(sub)) as Decline | undefined) : undefined;
  if (decline) {
    ctx.world.facts.delete(renewalDecline(sub));
    forceBehaviour(ctx.world, pi.id, { decline, declineAfterAuthentication: decline });
  }
  invoicePayments.insert(ctx, {}, {
    amount_requested: invoice.amount_due,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    payment: { payment_intent: pi.id, type: 'payment_intent' },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  });
}

const invoiceOfIntent = (pi: string) => `invoice_of_intent:${pi}`;

/** A decline armed for a subscription's next renewal charge (the control surface's payment.declined, at: next_renewal). */
const renewalDecline = (sub: string) => `renewal_decline:${sub}`;
export function armRenewalDecline(world: World, subscription: string, decline: Decline): void {
  world.facts.set(renewalDecline(subscription), decline);
}

/** The open default InvoicePayment of an invoice, and its PaymentIntent. */
function defaultPayment(ctx: Ctx, invoiceId: string): { payment: InvoicePayment; intent: PaymentIntent } | undefined {
  for (const p of ctx.world.indexed('invoice_payment', 'invoice', indexKey(invoiceId))) {
    const payment = ctx.world.at<InvoicePayment>('invoice_payment', p);
    if (payment.is_default) return { payment, intent: ctx.world.get<PaymentIntent>(payment.payment.payment_intent)! };
  }
  return undefined;
}

// --- pay -----------------------------------------------------------------------

/** The payment method an invoice is charged with (docs/billing.md §3.2 resolution order); null when there is none. */
export function invoicePaymentMethod(ctx: Ctx, invoice: Invoice): string | null {
  return chargeablePaymentMethod(ctx, invoice.customer, invoice.parent?.subscription_details?.subscription ?? null, invoice.default_payment_method ?? invoice.default_source);
}

/** The same order for what a customer (and a subscription of theirs) would be charged with: `first`, the subscription's, the customer's. */
export function chargeablePaymentMethod(ctx: Ctx, customerId: string, subscriptionId: string | null, first: string | null = null): string | null {
  if (first) return first;
  const sub = subscriptionId ? ctx.world.get(subscriptionId) : undefined;
  if (sub?.default_payment_method) return sub.default_payment_method as string;
  if (sub?.default_source) return sub.default_source as string;
  const customer = ctx.world.get<Customer>(customerId);
  return customer?.invoice_settings?.default_payment_method ?? customer?.default_source ?? null;
}

/**
 * Collects an open invoice (a draft is finalized first): out of band, or by
 * confirming its PaymentIntent off session. The reactions below record the
 * outcome on the invoice; a decline is rethrown as Stripe's 402 unless the
 * attempt is automatic.
 */
export function payInvoice(ctx: Ctx, invoice: Invoice, params: Params, automatic = false): Invoice {
  ctx = onTestClock(ctx, invoice.test_clock);
  if (invoice.status === 'paid') throw errors.state('Invoice is already paid'); // E34
  if (invoice.status === 'void') throw errors.state('This invoice has been voided and can no longer be paid.'); // twin's text (unverified)
  if (invoice.status === 'draft') invoice = finalizeInvoice(ctx, invoice);
  if (invoice.status === 'paid') return invoice;
  if (params.paid_out_of_band) return paidOutOfBand(ctx, invoice);
  const found = defaultPayment(ctx, invoice.id)!;
  // `source` pays with one of the customer's legacy cards (docs/legacy.md).
  const pmRef = params.payment_method ?? params.source ?? invoicePaymentMethod(ctx, invoice);
  if (!pmRef) {
    // E38, recorded for subscriptions; for paying an invoice (unverified).
    if (!automatic) throw errors.noPaymentMethod('execution');
    recordFailure(ctx, invoice);
    return ctx.world.get<Invoice>(invoice.id)!;
  }
  const pm = resolvePaymentMethod(ctx, pmRef, 'payment_method');
  try {
    confirmPaymentIntent(ctx, found.intent, { payment_method: pm.id, off_session: params.off_session ?? true });
  } catch (e) {
    if (!automatic || !(e instanceof StripeError)) throw e;
  }
  return ctx.world.get<Invoice>(invoice.id)!;
}

function paidOutOfBand(ctx: Ctx, invoice: Invoice): Invoice {
  const found = defaultPayment(ctx, invoice.id);
  if (found && found.intent.status !== 'canceled' && found.intent.status !== 'succeeded') cancelPaymentIntent(ctx, found.intent, null);
  if (found) settlePayment(ctx, found.payment, 'canceled');
  const now = nowIn(ctx);
  const paid = ctx.world.replace({
    ...invoice,
    amount_paid: invoice.amount_remaining,
    amount_remaining: 0,
    auto_advance: false,
    next_payment_attempt: null,
    rendering: rendered(invoice),
    status: 'paid',
    status_transitions: { ...invoice.status_transitions, paid_at: now },
  });
  // Out-of-band payments announce invoice.paid only (docs/billing.md §4.1).
  emit(ctx, 'invoice.paid', paid, previousAttributes(invoice, paid) ?? {});
  return paid;
}

function settlePayment(ctx: Ctx, payment: InvoicePayment, status: 'paid' | 'canceled'): InvoicePayment {
  const now = nowIn(ctx);
  const next = ctx.world.replace({
    ...payment,
    amount_paid: status === 'paid' ? payment.amount_requested : null,
    status,
    status_transitions: status === 'paid' ? { ...payment.status_transitions, paid_at: now } : { ...payment.status_transitions, canceled_at: now },
  });
  if (status === 'paid') emit(ctx, 'invoice_payment.paid', next);
  return next;
}

/** invoice.paid, invoice.payment_succeeded (for on-Stripe payments and $0 invoices), then invoice.updated. */
function emitPaid(ctx: Ctx, before: Invoice, paid: Invoice, zero: boolean, payment?: InvoicePayment): void {
  const previous = previousAttributes(before, paid) ?? {};
  emit(ctx, 'invoice.paid', paid, previous);
  emit(ctx, 'invoice.payment_succeeded', paid, previous);
  if (payment) settlePayment(ctx, payment, 'paid');
  if (!zero) emit(ctx, 'invoice.updated', ctx.world.get<Invoice>(paid.id)!, previous);
}

react('payment_intent.succeeded', 'an invoice is paid when its PaymentIntent succeeds', (ctx, event) => {
  const pi = event.data.object as PaymentIntent;
  const id = ctx.world.facts.get(invoiceOfIntent(pi.id)) as string | undefined;
  if (!id) return;
  const invoice = ctx.world.get<Invoice>(id)!;
  const now = nowIn(ctx);
  const paid = ctx.world.replace({
    ...invoice,
    amount_paid: invoice.amount_paid + pi.amount_received,
    amount_remaining: 0,
    attempt_count: invoice.attempt_count + 1,
    attempted: true,
    auto_advance: false,
    next_payment_attempt: null,
    rendering: rendered(invoice),
    status: 'paid',
    status_transitions: { ...invoice.status_transitions, paid_at: now },
  });
  emitPaid(ctx, invoice, paid, false, defaultPayment(ctx, id)!.payment);
});

react('payment_intent.payment_failed', 'a failed invoice payment is an attempt of the invoice', (ctx, event) => {
  const pi = event.data.object as PaymentIntent;
  const id = ctx.world.facts.get(invoiceOfIntent(pi.id)) as string | undefined;
  if (!id) return;
  recordFailure(ctx, ctx.world.get<Invoice>(id)!);
  // A card that demands authentication off session leaves the invoice waiting for
  // its customer (Stripe's event for that; after the failure: order unverified).
  if (pi.last_payment_error?.code === 'authentication_required') emit(ctx, 'invoice.payment_action_required', ctx.world.get<Invoice>(id)!);
});

react('payment_intent.requires_action', 'an invoice whose payment needs the customer', (ctx, event) => {
  const id = ctx.world.facts.get(invoiceOfIntent(event.data.object.id)) as string | undefined;
  if (id) emit(ctx, 'invoice.payment_action_required', ctx.world.get<Invoice>(id)!);
});

/**
 * A failed attempt: counted, the next automatic retry planned (none left:
 * `next_payment_attempt` null), then invoice.payment_failed and invoice.updated.
 */
function recordFailure(ctx: Ctx, invoice: Invoice): void {
  const attempts = invoice.attempt_count + 1;
  const retryDays = ctx.world.config.billing.retryDays;
  const retryAt = invoice.auto_advance && attempts <= retryDays.length ? nowIn(ctx) + retryDays[attempts - 1] * 86400 : null;
  const failed = ctx.world.replace({ ...invoice, attempt_count: attempts, attempted: true, next_payment_attempt: retryAt });
  const previous = previousAttributes(invoice, failed) ?? {};
  emit(ctx, 'invoice.payment_failed', failed, previous);
  emit(ctx, 'invoice.updated', failed, previous);
  // A retry finds the invoice as this attempt left it, or does nothing (paid, voided, or attempted again since).
  if (retryAt !== null) scheduleIn(ctx, retryAt, RETRY, { id: invoice.id, attempt: attempts });
}

const RETRY = declareTask<{ id: string; attempt: number }>('invoice.retry', (later, { id, attempt }) => retry(later, id, attempt));
const ADVANCE = declareTask<{ id: string }>('invoice.advance', (later, { id }) => advance(later, id));

function retry(ctx: Ctx, id: string, attempt: number): void {
  const invoice = ctx.world.get<Invoice>(id);
  if (!invoice || invoice.status !== 'open' || invoice.attempt_count !== attempt || !invoice.auto_advance) return;
  payInvoice(ctx, invoice, {}, true);
}

/** An auto-advancing draft, an hour on: finalized, then charged or sent. */
function advance(ctx: Ctx, id: string): void {
  let invoice = ctx.world.get<Invoice>(id);
  if (!invoice || invoice.status !== 'draft' || !invoice.auto_advance) return;
  invoice = finalizeInvoice(ctx, invoice);
  collect(ctx, invoice);
}

/** After finalization: an automatic charge, or the invoice sent. */
export function collect(ctx: Ctx, invoice: Invoice): Invoice {
  if (invoice.status !== 'open') return invoice;
  if (invoice.collection_method === 'send_invoice') return sendInvoice(ctx, invoice);
  return payInvoice(ctx, invoice, {}, true);
}

// --- credit notes ----------------------------------------------------------------

/** The charge that paid an invoice through its PaymentIntent; null when it was paid otherwise or is unpaid. */
export function invoiceCharge(ctx: Ctx, invoice: Invoice): string | null {
  const found = defaultPayment(ctx, invoice.id);
  return found?.intent.status === 'succeeded' ? (found.intent.latest_charge ?? null) : null;
}

/**
 * A credit note's effect on its invoice (./credit_notes.ts); negative amounts
 * undo a voided note's. `pre` comes off what is still due, and the invoice's
 * PaymentIntent and default InvoicePayment follow (no event). An invoice left
 * with nothing due is paid, as Stripe's docs say of a credit note that brings an
 * open invoice's balance to zero: its PaymentIntent is canceled and
 * invoice.paid then invoice.updated announce it (no payment was made, so no
 * invoice.payment_succeeded; twin choice). `post` is counted as credited after
 * payment. Other changes are announced by invoice.updated.
 */
export function creditInvoice(ctx: Ctx, invoice: Invoice, pre: number, post: number): Invoice {
  ctx = onTestClock(ctx, invoice.test_clock);
  const remaining = invoice.amount_remaining - pre;
  const next: Invoice = {
    ...invoice,
    amount_due: invoice.amount_due - pre,
    amount_remaining: remaining,
    post_payment_credit_notes_amount: invoice.post_payment_credit_notes_amount + post,
    pre_payment_credit_notes_amount: invoice.pre_payment_credit_notes_amount + pre,
  };
  const found = pre !== 0 ? defaultPayment(ctx, invoice.id) : undefined;
  if (remaining > 0 || invoice.status === 'paid') {
    if (found && found.payment.status === 'open') {
      setIntentAmount(ctx, found.intent, remaining);
      ctx.world.replace({ ...found.payment, amount_requested: remaining });
    }
    return invoices.save(ctx, invoice, next);
  }
  if (found && found.intent.status !== 'canceled' && found.intent.status !== 'succeeded') cancelPaymentIntent(ctx, found.intent, null);
  if (found) settlePayment(ctx, found.payment, 'canceled');
  const paid: Invoice = {
    ...next,
    auto_advance: false,
    next_payment_attempt: null,
    rendering: rendered(invoice),
    status: 'paid',
    status_transitions: { ...invoice.status_transitions, paid_at: nowIn(ctx) },
  };
  return invoices.save(ctx, invoice, paid, ['invoice.paid', 'invoice.updated']);
}

// --- void, uncollectible, send, delete, update ----------------------------------

/** Stripe's refusal of a move from the invoice's status (twin's text, unverified, but for E34). */
function refuse(invoice: Invoice, verb: string): never {
  throw errors.state(`You can only ${verb} an invoice that is open or uncollectible. This invoice is ${invoice.status}.`);
}

export function voidInvoice(ctx: Ctx, invoice: Invoice): Invoice {
  ctx = onTestClock(ctx, invoice.test_clock);
  if (invoice.status === 'paid') throw errors.state('Invoice is already paid');
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') refuse(invoice, 'void');
  const found = defaultPayment(ctx, invoice.id);
  if (found && found.intent.status !== 'canceled' && found.intent.status !== 'succeeded') {
    cancelPaymentIntent(ctx, found.intent, 'void_invoice');
    settlePayment(ctx, found.payment, 'canceled');
  }
  const now = nowIn(ctx);
  const voided = ctx.world.get<Invoice>(invoice.id)!;
  return invoices.save(ctx, voided, { ...voided, auto_advance: false, next_payment_attempt: null, status: 'void', status_transitions: { ...voided.status_transitions, voided_at: now } }, ['invoice.voided']);
}

export function markUncollectible(ctx: Ctx, invoice: Invoice): Invoice {
  ctx = onTestClock(ctx, invoice.test_clock);
  if (invoice.status === 'paid') throw errors.state('Invoice is already paid');
  if (invoice.status !== 'open') refuse(invoice, 'mark as uncollectible');
  const now = nowIn(ctx);
  return invoices.save(ctx, invoice, { ...invoice, auto_advance: false, next_payment_attempt: null, status: 'uncollectible', status_transitions: { ...invoice.status_transitions, marked_uncollectible_at: now } }, ['invoice.marked_uncollectible']);
}

function sendInvoice(ctx: Ctx, invoice: Invoice): Invoice {
  // Test mode sends no email (Stripe's types); the invoice is announced as sent.
  if (invoice.status === 'draft') invoice = finalizeInvoice(ctx, invoice);
  emit(ctx, 'invoice.sent', invoice);
  return invoice;
}

/** Fields a finalized invoice still accepts (others: E35). */
const AFTER_FINALIZATION = new Set(['metadata', 'description', 'footer', 'auto_advance', 'expand']);

function updateInvoice(ctx: Ctx, invoice: Invoice, params: Params): Invoice {
  invoices.unsupported('update', params);
  if (invoice.status !== 'draft') {
    const blocked = Object.keys(params).find((k) => !AFTER_FINALIZATION.has(k));
    if (blocked) throw errors.paramState("Finalized invoices can't be updated in this way", blocked, 'invoice_not_editable'); // E35
  }
  if (params.days_until_due != null) ctx.world.facts.set(daysFact(invoice.id), params.days_until_due);
  let next = invoices.apply(ctx, invoice, params);
  if (invoice.status === 'draft') {
    next = { ...next, automatically_finalizes_at: next.auto_advance ? invoice.automatically_finalizes_at ?? nowIn(ctx) + FINALIZE_AFTER : null };
    next = priced(ctx, next, next.lines.data);
    if (next.auto_advance && !invoice.auto_advance) scheduleIn(onTestClock(ctx, invoice.test_clock), next.automatically_finalizes_at, ADVANCE, { id: invoice.id });
  }
  return invoices.save(ctx, invoice, next);
}

/** Keeps a draft's item lines in step with its invoice items (./invoice_items.ts calls these). */
onInvoiceItemChanges(
  (ctx, invoiceId, item) => {
    const invoice = ctx.world.get<Invoice>(invoiceId)!;
    const lines = [newLine(ctx, invoiceId, itemLine(ctx, item)), ...invoice.lines.data];
    ctx.world.replace(priced(ctx, invoice, lines));
  },
  (ctx, item, removed) => {
    if (!item.invoice) return;
    const invoice = ctx.world.get<Invoice>(item.invoice)!;
    const lines = invoice.lines.data.flatMap((l: InvoiceLine) => {
      if (l.parent?.invoice_item_details?.invoice_item !== item.id) return [l];
      return removed ? [] : [{ ...newLine(ctx, invoice.id, itemLine(ctx, item)), id: l.id }];
    });
    ctx.world.replace(priced(ctx, invoice, lines));
  },
);

// --- the resources -------------------------------------------------------------------

declareIndex('invoice', 'subscription', (v) => (v ? [indexKey(v)] : []), (obj) => obj.parent?.subscription_details?.subscription ?? null);

export const invoices = defineResource<'invoice', Invoice>({
  object: 'invoice',
  prefix: 'in',
  path: '/v1/invoices',
  create: createInvoice,
  omit: ['amount_paid_off_stripe', 'confirmation_secret', 'payments', 'status_details', 'threshold_reason'],
  defaults: { amount_due: 0, amount_remaining: 0, discounts: [], metadata: EMPTY, subtotal: 0, total: 0 },
  writable: {
    auto_advance: true,
    collection_method: true,
    default_payment_method: true,
    // A legacy card of the customer (docs/legacy.md); charged after default_payment_method.
    default_source: true,
    default_tax_rates: (value) => value || [],
    description: true,
    due_date: true,
    footer: true,
    metadata: (value, current) => mergeMetadata(current, value),
    statement_descriptor: true,
  },
  unsupported: {
    create: ['account_tax_ids', 'application_fee_amount', 'automatic_tax', 'custom_fields', 'from_invoice', 'issuer', 'on_behalf_of', 'payment_settings', 'rendering', 'shipping_cost', 'shipping_details', 'transfer_data', 'customer_account', 'effective_at', 'number', 'automatically_finalizes_at'],
    update: ['account_tax_ids', 'application_fee_amount', 'automatic_tax', 'custom_fields', 'discounts', 'issuer', 'on_behalf_of', 'payment_settings', 'rendering', 'shipping_cost', 'shipping_details', 'transfer_data', 'effective_at', 'number', 'automatically_finalizes_at'],
  },
  events: { updated: 'invoice.updated', deleted: 'invoice.deleted' },
  filters: ['customer', 'status', 'collection_method'],
  indexes: ['customer', 'status', 'metadata'],
  search: { created: 'number', currency: 'text', customer: 'text', metadata: 'metadata', number: 'text', status: 'text', total: 'number' },
  routes: { update: false, list: false },
  delete: {
    retrievable: false,
    response: 'deleted_invoice',
    refuse: (ctx, invoice) => {
      if (invoice.status !== 'draft') throw errors.state('You can only delete draft invoices.'); // twin's text (unverified)
      if (invoice.parent) throw errors.state("You can't delete invoices created by subscriptions."); // twin's text (unverified)
    },
    // The deleted draft's items go back to pending (unverified).
    after: (ctx, invoice) => {
      for (const line of (invoice as Invoice).lines.data) {
        const itemId = line.parent?.invoice_item_details?.invoice_item;
        const item = itemId ? ctx.world.get(itemId) : undefined;
        if (item && !item.deleted) ctx.world.replace({ ...item, invoice: null });
      }
    },
  },
}).with(
  route('GET', '/v1/invoices', { list: 'invoice' }, (ctx, params) => {
    const sub = params.subscription as string | undefined;
    return invoices.list(ctx, params, '/v1/invoices', sub ? (i) => i.parent?.subscription_details?.subscription === sub : undefined, sub ? { subscription: sub } : {});
  }),
  route('POST', '/v1/invoices/{invoice}', 'invoice', (ctx, params, path) => updateInvoice(ctx, invoices.find(ctx, path.invoice), params)),
  route('POST', '/v1/invoices/{invoice}/finalize', 'invoice', (ctx, params, path) => {
    let invoice = invoices.find(ctx, path.invoice);
    if (params.auto_advance !== undefined && invoice.status === 'draft') invoice = ctx.world.replace({ ...invoice, auto_advance: params.auto_advance });
    invoice = finalizeInvoice(ctx, invoice);
    return invoice.auto_advance && invoice.collection_method === 'charge_automatically' ? collect(ctx, invoice) : invoice;
  }),
  route('POST', '/v1/invoices/{invoice}/pay', 'invoice', (ctx, params, path) => {
    unsupportedPay(params);
    return payInvoice(ctx, invoices.find(ctx, path.invoice), params);
  }),
  route('POST', '/v1/invoices/{invoice}/void', 'invoice', (ctx, _p, path) => voidInvoice(ctx, invoices.find(ctx, path.invoice))),
  route('POST', '/v1/invoices/{invoice}/mark_uncollectible', 'invoice', (ctx, _p, path) => markUncollectible(ctx, invoices.find(ctx, path.invoice))),
  route('POST', '/v1/invoices/{invoice}/send', 'invoice', (ctx, _p, path) => {
    const invoice = invoices.find(ctx, path.invoice);
    return sendInvoice(onTestClock(ctx, invoice.test_clock), invoice);
  }),
  route('GET', '/v1/invoices/{invoice}/lines', { list: 'line_item' }, (ctx, params, path) => {
    const invoice = invoices.find(ctx, path.invoice);
    return pageOf(invoice.lines.data, params, `/v1/invoices/${invoice.id}/lines`);
  }),
);

function unsupportedPay(params: Params): void {
  for (const name of ['mandate', 'forgive']) if (params[name] !== undefined) throw errors.unsupportedParam('POST /v1/invoices/{invoice}/pay', name);
}

/** A page of lines kept on their document (an invoice's, newest last as Stripe orders them; a credit note's). */
export function pageOf<T extends { id: string }>(data: T[], params: Params, url: string) {
  const limit = checkLimit(params.limit);
  let start = 0;
  if (params.starting_after) start = data.findIndex((l) => l.id === params.starting_after) + 1;
  let end = data.length;
  if (params.ending_before) {
    end = Math.max(0, data.findIndex((l) => l.id === params.ending_before));
    start = Math.max(0, end - limit);
  }
  const page = data.slice(start, Math.min(end, start + limit));
  return { object: 'list' as const, data: page, has_more: start + page.length < end, url };
}

export const invoicePayments = defineResource<'invoice_payment', InvoicePayment>({
  object: 'invoice_payment',
  prefix: 'inpay',
  path: '/v1/invoice_payments',
  defaults: {},
  indexes: ['invoice', 'status'],
  filters: ['invoice', 'status'],
  routes: { list: false },
}).with(
  route('GET', '/v1/invoice_payments', { list: 'invoice_payment' }, (ctx, params) => {
    const pi = params.payment?.payment_intent as string | undefined;
    const type = params.payment?.type as string | undefined;
    return invoicePayments.list(ctx, params, '/v1/invoice_payments', (p) => (!pi || p.payment.payment_intent === pi) && (!type || p.payment.type === type));
  }),
);

// The invoice's payments and its confirmation secret are sent only when expanded (docs/billing.md §0).
registerIncludable('invoice', 'payments', {
  link: 'list:invoice_payment',
  compute: (ctx, invoice) => {
    const data = ctx.world.indexed('invoice_payment', 'invoice', indexKey(invoice.id)).map((p) => ctx.world.at('invoice_payment', p));
    return { object: 'list', data, has_more: false, url: '/v1/invoices/payments' };
  },
});
registerIncludable('invoice', 'confirmation_secret', {
  link: 'obj:invoices_resource_confirmation_secret',
  compute: (ctx, invoice) => {
    const found = defaultPayment(ctx, invoice.id);
    return found ? { client_secret: found.intent.client_secret, type: 'payment_intent' } : null;
  },
});
