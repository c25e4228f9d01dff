import { applicationId } from '../../engine/accounts';
import { declareTask, nowIn, onTestClock, scheduleIn } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { emit, previousAttributes } from '../../engine/events';
import { formatAmount } from '../../engine/money';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared } from '../../engine/resource';
import { Ctx, indexKey } from '../../engine/world';
import { createSetupIntent } from '../payments/setup_intents';
import { appliesOnce, applyDiscounts, discountApplies } from './discounts';
import { InvoiceItem, invoiceItems, pendingItems, setCreditedItems } from './invoice_items';
import { chargeablePaymentMethod, collect, createDraft, finalizeInvoice, Invoice, LineInput, markUncollectible, pageOf, payInvoice, previewInvoice, voidInvoice } from './invoices';
import { addIntervals, Interval, nextBoundary } from './periods';
import { planOf } from './plans';
import { Price, prices } from './prices';
import { roundHalfUp } from './totals';

// Subscriptions and their items (docs/billing.md §3): create
// with Stripe's payment behaviours and trials, the first invoice finalized in the
// request, periods on calendar time from the billing cycle anchor, renewals on
// the customer's clock (invoice.upcoming three days ahead, the period rolling,
// a draft finalized and charged an hour later), dunning through the invoice's
// retries (past_due, then the account's final action), updates with Stripe's
// proration lines, cancellation now / at period end / at cancel_at, pause and
// resume. A subscription's status follows its invoices through reactions to
// invoice.paid and invoice.payment_failed.

export type Subscription = Shaped<'subscription', 'plan' | 'quantity'>;
export type SubscriptionItem = Shaped<'subscription_item'>;
type Customer = Shaped<'customer'>;
type Product = Shaped<'product'>;

const DAY = 86400;
/** invoice.upcoming and trial_will_end come this long before the moment (3 days as recorded). */
const LEAD = 3 * DAY;
/** An incomplete subscription expires this long after creation (Stripe's 23 hours). */
const INCOMPLETE_EXPIRES = 23 * 3600;

const AUTOMATIC_TAX = shared({ disabled_reason: null, enabled: false, liability: null });
const INVOICE_SETTINGS = shared({ account_tax_ids: null, issuer: { type: 'self' } });
const PAYMENT_SETTINGS = shared({ payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' });
const NO_CANCELLATION = shared({ comment: null, feedback: null, reason: null });

// --- periods and lines ----------------------------------------------------------

interface Recurring {
  interval: Interval;
  interval_count: number;
}

const recurringOf = (price: Price): Recurring => price.recurring;

function periodEnd(sub: Subscription, from: number, price: Price): number {
  const r = recurringOf(price);
  return nextBoundary(sub.billing_cycle_anchor, r.interval, r.interval_count, from);
}

function product(ctx: Ctx, price: Price): Product {
  return ctx.world.get<Product>(price.product)!;
}

/** `1 user × Test Subscription (at $25.00 / month)`, as recorded (`user` is the product's unit_label). */
function quantityOf(ctx: Ctx, price: Price, quantity: number): string {
  const p = product(ctx, price);
  return `${quantity}${p.unit_label ? ` ${p.unit_label}` : ''} × ${p.name}`;
}

function lineDescription(ctx: Ctx, price: Price, quantity: number): string {
  const r = recurringOf(price);
  // Intervals of more than one unit: the twin's wording (unverified).
  const every = r.interval_count === 1 ? `/ ${r.interval}` : `every ${r.interval_count} ${r.interval}s`;
  return `${quantityOf(ctx, price, quantity)} (at ${formatAmount(Number(price.unit_amount_decimal), price.currency)} ${every})`;
}

/** What a price charges for a quantity over a whole period (tiers and transforms as docs/billing.md §1.3). */
export function periodAmount(ctx: Ctx, price: Price, quantity: number): number {
  if (price.billing_scheme === 'tiered') return tieredAmount(ctx, price, quantity);
  let units = quantity;
  if (price.transform_quantity) {
    const { divide_by, round } = price.transform_quantity;
    units = round === 'up' ? Math.ceil(quantity / divide_by) : Math.floor(quantity / divide_by);
  }
  return roundHalfUp(Number(price.unit_amount_decimal ?? 0) * units);
}

function tieredAmount(ctx: Ctx, price: Price, quantity: number): number {
  const tiers = ctx.world.facts.get(`price_tiers:${price.id}`) as { up_to: number | null; unit_amount_decimal: string | null; flat_amount: number | null }[];
  const unit = (t: (typeof tiers)[0]) => Number(t.unit_amount_decimal ?? 0);
  if (price.tiers_mode === 'volume') {
    const tier = tiers.find((t) => t.up_to === null || quantity <= t.up_to)!;
    return roundHalfUp(unit(tier) * quantity + (tier.flat_amount ?? 0));
  }
  let total = 0;
  let below = 0;
  for (const tier of tiers) {
    if (quantity <= below) break;
    const inTier = Math.min(quantity, tier.up_to ?? Infinity) - below;
    total += unit(tier) * inTier + (tier.flat_amount ?? 0);
    below = tier.up_to ?? Infinity;
  }
  return roundHalfUp(total);
}

/** A subscription item's line for a period (a trial's is the recorded `Free trial for …` at 0). */
function itemLine(ctx: Ctx, sub: Subscription, item: SubscriptionItem, period: { start: number; end: number }, trial: boolean, share: number | null = null): LineInput {
  const price = item.price as Price;
  const full = periodAmount(ctx, price, item.quantity);
  return {
    amount: trial ? 0 : share === null ? full : roundHalfUp(full * share),
    currency: price.currency,
    description: trial ? `Free trial for ${quantityOf(ctx, price, item.quantity)}` : lineDescription(ctx, price, item.quantity),
    discountable: true,
    discounts: [],
    metadata: EMPTY,
    period,
    price: { id: price.id, product: price.product },
    unitAmountDecimal: trial ? '0' : price.unit_amount_decimal,
    quantity: item.quantity,
    parent: {
      invoice_item_details: null,
      subscription_item_details: { invoice_item: null, proration: share !== null, proration_details: { credited_items: null }, subscription: sub.id, subscription_item: item.id },
      type: 'subscription_item_details',
    },
  };
}

// --- the objects ---------------------------------------------------------------------

function listOfItems(sub: { id: string }, data: SubscriptionItem[]) {
  return { object: 'list', data, has_more: false, total_count: data.length, url: `/v1/subscription_items?subscription=${sub.id}` };
}

/** The subscription as stored: its items embedded, and the legacy single-item `plan` and `quantity` recorded at clover and dahlia. */
function withItems(ctx: Ctx, sub: Subscription, items: SubscriptionItem[]): Subscription {
  const single = items.length === 1 ? items[0] : null;
  return { ...sub, items: listOfItems(sub, items), plan: single ? single.plan : null, quantity: single ? single.quantity : null };
}

function itemsOf(sub: Subscription): SubscriptionItem[] {
  return sub.items.data;
}

function newItem(ctx: Ctx, subId: string, input: Params, period: { start: number; end: number }, index: number): SubscriptionItem {
  const price = itemPrice(ctx, input, index);
  return subscriptionItems.build(ctx, {}, {
    current_period_end: period.end,
    current_period_start: period.start,
    discounts: [],
    metadata: mergeMetadata(EMPTY, input.metadata),
    plan: planOf(ctx, price),
    price,
    quantity: input.quantity ?? 1,
    subscription: subId,
    tax_rates: (input.tax_rates || []).map((id: string) => find(ctx, 'tax_rate', id, `items[${index}][tax_rates]`)),
  });
}

function itemPrice(ctx: Ctx, input: Params, index: number): Price {
  if (input.price_data) {
    const d = input.price_data;
    return ctx.world.insert(
      prices.build(ctx, {}, {
        active: false,
        billing_scheme: 'per_unit',
        currency: d.currency,
        product: find(ctx, 'product', d.product, `items[${index}][price_data][product]`).id,
        recurring: { interval: d.recurring.interval, interval_count: d.recurring.interval_count ?? 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
        tax_behavior: d.tax_behavior ?? 'unspecified',
        type: 'recurring',
        unit_amount: d.unit_amount ?? null,
        unit_amount_decimal: d.unit_amount_decimal ?? String(d.unit_amount),
      }),
    );
  }
  const price = input.price ?? input.plan;
  if (!price) throw errors.parameterMissing(`items[${index}][price]`);
  const found = prices.find(ctx, price, `items[${index}][price]`);
  if (found.type !== 'recurring') {
    // Recorded by integrations for a one-time price on a subscription (unverified against a recording here).
    throw errors.paramState(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, `items[${index}][price]`);
  }
  return found;
}

/** Saves a subscription (and its items), announcing customer.subscription.updated with what changed. */
function saveSub(ctx: Ctx, before: Subscription, after: Subscription, event = 'customer.subscription.updated'): Subscription {
  const previous = previousAttributes(before, after);
  if (!previous) return before;
  for (const item of itemsOf(after)) ctx.world.replace(item);
  const saved = ctx.world.replace(after);
  emit(ctx, event, saved, previous);
  return saved;
}

// --- create -------------------------------------------------------------------------

const PAYMENT_BEHAVIORS = new Set(['allow_incomplete', 'default_incomplete', 'error_if_incomplete']);

function trialEndOf(ctx: Ctx, params: Params, items: Params[], now: number): number | null {
  if (params.trial_end === 'now') return null;
  if (params.trial_end != null) {
    if (params.trial_end <= now) throw errors.paramState('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
    return params.trial_end;
  }
  let days = params.trial_period_days ?? null;
  if (days == null && params.trial_from_plan) {
    days = items.map((i, n) => (i.price ? itemPrice(ctx, i, n).recurring.trial_period_days : null)).find((d) => d != null) ?? null;
  }
  return days ? now + days * DAY : null;
}

/**
 * Creates a subscription (POST /v1/subscriptions). One a subscription schedule
 * starts (`schedule`: its id) is active at once (trialing in a trial) and its
 * first invoice begins as a draft, finalized an hour later as a renewal's is
 * (Stripe's types: schedules start subscriptions "where the first invoice always
 * begins in a draft status"; a recorded schedule create shows invoice.created
 * only), so nothing needs a payment method up front.
 */
/**
 * A new subscription's (or schedule's) billing mode: flexible, as made through the API since
 * 2025-09-30.clover (recorded), unless `billing_mode[type]=classic` (older versions' default,
 * docs/versions.md). Twin choice: classic is `{flexible: null, type: "classic"}` (the types'
 * fields; no recording shows one), and both modes bill with the same arithmetic here.
 */
export function billingModeOf(input: Params | undefined, now: number): { type: string } & Record<string, unknown> {
  if (input?.type === 'classic') return { flexible: null, type: 'classic' };
  return { flexible: { proration_discounts: input?.flexible?.proration_discounts ?? 'included' }, type: 'flexible', updated_at: now };
}

export function createSubscription(ctx: Ctx, params: Params, schedule: string | null = null): Subscription {
  subscriptions.unsupported('create', params);
  if (!params.customer) throw errors.parameterMissing('customer');
  const customer = find<Customer>(ctx, 'customer', params.customer, 'customer');
  ctx = onTestClock(ctx, customer.test_clock);
  const items: Params[] = params.items ?? [];
  if (!items.length) throw errors.parameterMissing('items');
  const behavior = params.payment_behavior ?? 'allow_incomplete';
  if (behavior === 'pending_if_incomplete') {
    // Stripe's types: updates only (text unverified).
    throw errors.paramState('`payment_behavior=pending_if_incomplete` is only available on subscription updates.', 'payment_behavior');
  }
  if (!PAYMENT_BEHAVIORS.has(behavior)) throw errors.invalidEnum('payment_behavior', [...PAYMENT_BEHAVIORS, 'pending_if_incomplete']);
  const collection = params.collection_method ?? 'charge_automatically';
  if (collection === 'send_invoice' && params.days_until_due == null) {
    throw errors.paramState('Missing required param: days_until_due.', 'days_until_due', 'parameter_missing'); // twin's pairing (unverified)
  }
  checkDefaultSource(ctx, customer.id, params.default_source);
  if (params.default_payment_method) {
    const pm = find(ctx, 'payment_method', params.default_payment_method, 'default_payment_method');
    if (pm.customer !== customer.id) {
      throw errors.paramState(`The customer does not have a payment method with the ID ${pm.id}. The payment method must be attached to the customer.`, 'default_payment_method'); // E36
    }
  }
  const now = nowIn(ctx);
  const trialEnd = trialEndOf(ctx, params, items, now);
  const chosenAnchor = typeof params.billing_cycle_anchor === 'number' ? params.billing_cycle_anchor : null;
  if (chosenAnchor !== null && chosenAnchor <= now) throw errors.paramState('billing_cycle_anchor cannot be in the past.', 'billing_cycle_anchor'); // twin's text (unverified)
  const anchor: number = trialEnd ?? chosenAnchor ?? now;
  const id = subscriptions.newId(ctx);
  const firstPrice = itemPrice(ctx, items[0], 0);
  const skeleton = { billing_cycle_anchor: anchor } as Subscription;
  // A future anchor makes a first, shorter period up to it (billed in proportion, docs/billing.md §3.2).
  const end = trialEnd ?? (chosenAnchor ?? periodEnd(skeleton, now, firstPrice));
  const period = { start: now, end };
  const partial = chosenAnchor !== null && !trialEnd ? (end - now) / (end - addIntervals(end, recurringOf(firstPrice).interval, recurringOf(firstPrice).interval_count, -1)) : null;
  const subItems = items.map((input, n) => newItem(ctx, id, input, period, n));
  const currencies = new Set(subItems.map((i) => i.price.currency));
  if (currencies.size > 1) throw errors.paramState('Currency and interval fields must match across all plans on this subscription. Found mismatch in currency field.', 'items'); // twin's text (unverified)

  const needsPayment = !trialEnd && subItems.some((i) => periodAmount(ctx, i.price, i.quantity) > 0);
  if (needsPayment && collection === 'charge_automatically' && behavior !== 'default_incomplete' && !schedule) {
    // E38, recorded at 2025-10-29.clover; nothing is created.
    if (!chargeablePaymentMethod(ctx, customer.id, null, params.default_payment_method ?? params.default_source ?? null)) throw errors.noPaymentMethod('validation');
  }

  const base = subscriptions.build(ctx, params, {
    id,
    // Made with Stripe-Account: the platform's Connect application (recorded `ca_…`).
    application: ctx.world.platform ? applicationId(ctx.world.platform) : null,
    automatic_tax: AUTOMATIC_TAX,
    billing_cycle_anchor: anchor,
    billing_mode: billingModeOf(params.billing_mode, now),
    cancellation_details: NO_CANCELLATION,
    collection_method: collection,
    currency: subItems[0].price.currency,
    customer: customer.id,
    days_until_due: params.days_until_due ?? null,
    default_tax_rates: params.default_tax_rates || [],
    discounts: params.discounts ? applyDiscounts(ctx, params.discounts, { customer: customer.id, subscription: id }, 'discounts', now) : [],
    invoice_settings: INVOICE_SETTINGS,
    metadata: mergeMetadata(EMPTY, params.metadata),
    payment_settings: PAYMENT_SETTINGS,
    schedule,
    start_date: now,
    status: trialEnd ? 'trialing' : schedule ? 'active' : 'incomplete',
    test_clock: customer.test_clock ?? null,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { missing_payment_method: params.trial_settings?.end_behavior?.missing_payment_method ?? 'create_invoice' } },
    trial_start: trialEnd ? now : null,
  });
  for (const item of subItems) ctx.world.insert(item);
  let sub = ctx.world.insert(withItems(ctx, base, subItems), base.test_clock);
  emit(ctx, 'customer.subscription.created', sub);

  const invoice = createDraft(ctx, {
    customer,
    billing_reason: 'subscription_create',
    auto_advance: true,
    collection_method: collection,
    days_until_due: params.days_until_due ?? null,
    default_tax_rates: sub.default_tax_rates,
    discounts: invoiceDiscounts(ctx, sub, now),
    period: { start: now, end: now },
    subscription: { id, metadata: sub.metadata },
    lines: partial !== null && params.proration_behavior === 'none' ? [] : subItems.map((item) => itemLine(ctx, sub, item, period, !!trialEnd, partial)),
    items: (params.add_invoice_items ?? []).map((input: Params) => oneOffItem(ctx, customer, sub, input)),
  });
  sub = ctx.world.replace({ ...ctx.world.get<Subscription>(id)!, latest_invoice: invoice.id });
  if (schedule) {
    planRenewal(ctx, sub);
    return sub;
  }
  // The first invoice is finalized in the request, not an hour later (docs/billing.md §3.2).
  const finalized = finalizeInvoice(ctx, invoice);
  if (collection === 'send_invoice') {
    collect(ctx, finalized);
    if (sub.status === 'incomplete') sub = saveSub(ctx, sub, { ...ctx.world.get<Subscription>(id)!, status: 'active' });
  } else if (finalized.status === 'open' && behavior !== 'default_incomplete') {
    try {
      payInvoice(ctx, finalized, { off_session: params.off_session ?? false });
    } catch (e) {
      if (!(e instanceof StripeError) || behavior === 'error_if_incomplete') throw asCreateFailure(e);
    }
  }
  sub = ctx.world.get<Subscription>(id)!;
  if (sub.status === 'incomplete') scheduleIn(ctx, now + INCOMPLETE_EXPIRES, EXPIRE_INCOMPLETE, { id });
  if (behavior === 'default_incomplete' && collection === 'charge_automatically' && finalized.amount_due === 0) {
    // Nothing to pay now (a trial): a SetupIntent collects the payment method to come (conditions: docs/billing.md §3.2, uncertain).
    const si = createSetupIntent(ctx, { customer: customer.id, usage: 'off_session', payment_method_types: ctx.world.config.paymentMethodTypes });
    ctx.world.facts.set(subscriptionOfSetup(si.id), id);
    sub = ctx.world.replace({ ...sub, pending_setup_intent: si.id });
  }
  planRenewal(ctx, sub);
  return sub;
}

const subscriptionOfSetup = (si: string) => `subscription_of_setup:${si}`;

react('setup_intent.succeeded', "a subscription's pending SetupIntent done", (ctx, event) => {
  const id = ctx.world.facts.get(subscriptionOfSetup(event.data.object.id)) as string | undefined;
  const sub = id ? ctx.world.get<Subscription>(id) : undefined;
  if (sub?.pending_setup_intent === event.data.object.id) saveSub(ctx, sub, { ...sub, pending_setup_intent: null });
});

/** error_if_incomplete: the decline as a 402 that keeps nothing (Stripe creates no subscription). */
function asCreateFailure(e: unknown): unknown {
  if (!(e instanceof StripeError)) return e;
  return new StripeError(e.status, e.fields, 'validation', e.extraHeaders);
}

/** A one-off item for the first invoice (`add_invoice_items`). */
function oneOffItem(ctx: Ctx, customer: Customer, sub: Subscription, input: Params): InvoiceItem {
  const price = input.price ? prices.find(ctx, input.price, 'add_invoice_items[0][price]') : null;
  return invoiceItems.insert(ctx, {}, {
    amount: price ? periodAmount(ctx, price, input.quantity ?? 1) : roundHalfUp(Number(input.price_data?.unit_amount_decimal ?? input.price_data?.unit_amount ?? 0) * (input.quantity ?? 1)),
    currency: price?.currency ?? input.price_data?.currency,
    customer: customer.id,
    date: nowIn(ctx),
    description: price ? product(ctx, price).name : null,
    discounts: [],
    metadata: EMPTY,
    parent: { subscription_details: { subscription: sub.id, subscription_item: null }, type: 'subscription_details' },
    period: { end: nowIn(ctx), start: nowIn(ctx) },
    pricing: { price_details: { price: price?.id ?? null, product: price?.product ?? input.price_data?.product }, type: 'price_details', unit_amount_decimal: price?.unit_amount_decimal ?? String(input.price_data?.unit_amount ?? 0) },
    quantity: input.quantity ?? 1,
    quantity_decimal: String(input.quantity ?? 1),
    test_clock: customer.test_clock ?? null,
  });
}

// Scheduled work on subscriptions (declared by name: ./clock.ts's declareTask).
type PeriodEnd = { id: string; end: number };
type At = { id: string; at: number };
const EXPIRE_INCOMPLETE = declareTask<{ id: string }>('subscription.expire_incomplete', (later, { id }) => expireIncomplete(later, id));
const TRIAL_WILL_END = declareTask<PeriodEnd>('subscription.trial_will_end', (later, { id, end }) => trialWillEnd(later, id, end));
const UPCOMING = declareTask<PeriodEnd>('subscription.upcoming', (later, { id, end }) => upcoming(later, id, end));
const RENEW = declareTask<PeriodEnd>('subscription.renew', (later, { id, end }) => renew(later, id, end));
const CANCEL_AT = declareTask<At>('subscription.cancel_at', (later, { id, at }) => cancelAt(later, id, at));
const RESUME_COLLECTION = declareTask<At>('subscription.resume_collection', (later, { id, at }) => resumeCollection(later, id, at));

function expireIncomplete(ctx: Ctx, id: string): void {
  const sub = ctx.world.get<Subscription>(id);
  if (!sub || sub.status !== 'incomplete') return;
  const invoice = sub.latest_invoice ? ctx.world.get<Invoice>(sub.latest_invoice) : undefined;
  if (invoice && invoice.status === 'open') voidInvoice(ctx, invoice);
  const now = nowIn(ctx);
  // Reported as an update with the subscription ended (docs/billing.md §3.3; whether .deleted also fires is unverified).
  saveSub(ctx, sub, { ...ctx.world.get<Subscription>(id)!, status: 'incomplete_expired', ended_at: now, canceled_at: now });
}

// --- the clock: upcoming, trial ends, renewals ------------------------------------------

/** Plans what happens at the end of the current period: the trial's end warning, invoice.upcoming, then the renewal. */
function planRenewal(ctx: Ctx, sub: Subscription): void {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return;
  const end = itemsOf(sub)[0].current_period_end as number;
  const now = nowIn(ctx);
  if (sub.status === 'trialing' && sub.trial_end === end) {
    const warn = Math.max(now, end - LEAD);
    scheduleIn(ctx, warn, TRIAL_WILL_END, { id: sub.id, end });
  } else if (!sub.cancel_at_period_end && end - LEAD > now) {
    scheduleIn(ctx, end - LEAD, UPCOMING, { id: sub.id, end });
  }
  scheduleIn(ctx, end, RENEW, { id: sub.id, end });
}

const current = (ctx: Ctx, id: string, end: number) => {
  const sub = ctx.world.get<Subscription>(id);
  return sub && itemsOf(sub)[0].current_period_end === end && sub.status !== 'canceled' && sub.status !== 'incomplete_expired' ? sub : undefined;
};

function trialWillEnd(ctx: Ctx, id: string, end: number): void {
  const sub = current(ctx, id, end);
  if (sub && sub.status === 'trialing') emit(ctx, 'customer.subscription.trial_will_end', sub);
}

/** The renewal's invoice as it would be: the next period's lines and the pending items (invoice.upcoming). */
function upcoming(ctx: Ctx, id: string, end: number): void {
  const sub = current(ctx, id, end);
  if (!sub || sub.pause_collection || sub.status === 'paused') return;
  const next = { start: end, end: periodEnd(sub, end, itemsOf(sub)[0].price) };
  const customer = ctx.world.get<Customer>(sub.customer)!;
  emit(ctx, 'invoice.upcoming', previewInvoice(ctx, renewalSpec(ctx, sub, customer, { start: itemsOf(sub)[0].current_period_start, end }, next, 'upcoming')));
}

/** A renewal's invoice; a preview (`upcoming`) spends no `once` discount. */
function renewalSpec(ctx: Ctx, sub: Subscription, customer: Customer, previous: { start: number; end: number }, next: { start: number; end: number }, reason: string) {
  const preview = reason === 'upcoming';
  return {
    customer,
    billing_reason: reason,
    auto_advance: true,
    collection_method: sub.collection_method,
    days_until_due: sub.days_until_due,
    default_tax_rates: sub.default_tax_rates,
    discounts: invoiceDiscounts(ctx, sub, next.start, !preview),
    period: previous,
    subscription: { id: sub.id, metadata: sub.metadata },
    lines: itemsOf(sub).map((item) => itemLine(ctx, sub, item, next, false)),
    items: pendingItems(ctx, customer.id, sub.id),
  };
}

/**
 * The discounts a subscription's invoice for a period starting at `at` gets:
 * the subscription's still running, else the customer's (Stripe: a subscription
 * inherits the customer's discount); a `once` discount is spent by the first.
 */
function invoiceDiscounts(ctx: Ctx, sub: Subscription, at: number, spend = true): string[] {
  const customer = ctx.world.get<Customer>(sub.customer)!;
  const own: string[] = sub.discounts.length ? sub.discounts : customer.discount ? [customer.discount.id] : [];
  const running = own.filter((d) => discountApplies(ctx, d, at) && !ctx.world.facts.get(spentFact(d)));
  if (spend) for (const d of running) if (appliesOnce(ctx, d)) ctx.world.facts.set(spentFact(d), true);
  return running;
}
const spentFact = (discount: string) => `discount_spent:${discount}`;

/**
 * Work that must happen at a period boundary before the renewal does: a
 * subscription schedule entering its next phase there (./subscription_schedules.ts),
 * so that the renewal bills the new phase's items.
 */
export const beforeRenewal: ((ctx: Ctx, sub: Subscription, end: number) => void)[] = [];

/** The period boundary: cancel if asked to, else roll the period, then invoice it. */
function renew(ctx: Ctx, id: string, end: number): void {
  const due = current(ctx, id, end);
  if (due) for (const hook of beforeRenewal) hook(ctx, due, end);
  let sub = current(ctx, id, end);
  if (!sub) return;
  if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= end)) {
    cancelNow(ctx, sub, { reason: sub.cancellation_details?.reason ?? 'cancellation_requested' });
    return;
  }
  if (sub.status === 'paused') return;
  const customer = ctx.world.get<Customer>(sub.customer)!;
  const wasTrial = sub.status === 'trialing';
  if (wasTrial && !chargeablePaymentMethod(ctx, sub.customer, sub.id)) {
    const behavior = sub.trial_settings?.end_behavior?.missing_payment_method;
    if (behavior === 'cancel') return void cancelNow(ctx, sub, { reason: 'cancellation_requested' });
    if (behavior === 'pause') {
      const paused = saveSub(ctx, sub, { ...sub, status: 'paused' });
      emit(ctx, 'customer.subscription.paused', paused);
      return;
    }
  }
  const previous = { start: itemsOf(sub)[0].current_period_start as number, end };
  const next = { start: end, end: periodEnd(sub, end, itemsOf(sub)[0].price) };
  const rolled = itemsOf(sub).map((item) => ({ ...item, current_period_start: next.start, current_period_end: next.end }));
  sub = saveSub(ctx, sub, { ...withItems(ctx, sub, rolled), status: wasTrial ? 'active' : sub.status });
  const invoice = createDraft(ctx, renewalSpec(ctx, sub, customer, previous, next, 'subscription_cycle'));
  sub = ctx.world.replace({ ...sub, latest_invoice: invoice.id });
  if (sub.pause_collection) pauseCollectionOf(ctx, sub, invoice);
  planRenewal(ctx, sub);
}

/** pause_collection: the renewal invoice is kept as a draft, voided or marked uncollectible (docs/billing.md §3.6). */
function pauseCollectionOf(ctx: Ctx, sub: Subscription, invoice: Invoice): void {
  const behavior = sub.pause_collection.behavior;
  if (behavior === 'keep_as_draft') {
    ctx.world.replace({ ...invoice, auto_advance: false, automatically_finalizes_at: null });
    return;
  }
  const open = finalizeInvoice(ctx, { ...invoice, auto_advance: false });
  if (open.status !== 'open') return;
  if (behavior === 'void') voidInvoice(ctx, open);
  else markUncollectible(ctx, open);
}

// --- status from the invoices --------------------------------------------------------

const subscriptionOf = (ctx: Ctx, invoice: Invoice) => {
  const id = invoice.parent?.subscription_details?.subscription;
  return id ? ctx.world.get<Subscription>(id) : undefined;
};

react('invoice.paid', "a subscription's invoice paid makes it active", (ctx, event) => {
  const sub = subscriptionOf(ctx, event.data.object as Invoice);
  if (sub && (sub.status === 'incomplete' || sub.status === 'past_due' || sub.status === 'unpaid')) saveSub(ctx, sub, { ...sub, status: 'active' });
});

react('invoice.payment_failed', "a subscription's renewal failing makes it past due, then the account's final action", (ctx, event) => {
  const invoice = event.data.object as Invoice;
  const sub = subscriptionOf(ctx, invoice);
  // An incomplete subscription's first invoice decides nothing here; a schedule's subscription is active from the start and goes through dunning.
  if (!sub || (invoice.billing_reason === 'subscription_create' && sub.status === 'incomplete') || sub.status === 'canceled') return;
  const exhausted = invoice.auto_advance && invoice.next_payment_attempt === null;
  if (!exhausted) {
    if (sub.status === 'active') saveSub(ctx, sub, { ...sub, status: 'past_due' });
    return;
  }
  const settings = ctx.world.config.billing;
  if (settings.invoiceAfterRetries === 'uncollectible') markUncollectible(ctx, ctx.world.get<Invoice>(invoice.id)!);
  if (settings.afterRetries === 'cancel') cancelNow(ctx, ctx.world.get<Subscription>(sub.id)!, { reason: 'payment_failed' });
  else if (settings.afterRetries === 'unpaid') saveSub(ctx, ctx.world.get<Subscription>(sub.id)!, { ...ctx.world.get<Subscription>(sub.id)!, status: 'unpaid' });
  else if (sub.status === 'active') saveSub(ctx, sub, { ...sub, status: 'past_due' });
});

react('customer.deleted', "a deleted customer's subscriptions are canceled", (ctx, event) => {
  for (const p of ctx.world.indexed('subscription', 'customer', indexKey(event.data.object.id))) {
    const sub = ctx.world.at<Subscription>('subscription', p);
    if (sub.status !== 'canceled' && sub.status !== 'incomplete_expired') cancelNow(ctx, sub, { reason: 'cancellation_requested' });
  }
});

// --- cancel, update, pause, resume ----------------------------------------------------

export function cancelNow(ctx: Ctx, sub: Subscription, details: { reason: string; comment?: string | null; feedback?: string | null }): Subscription {
  ctx = onTestClock(ctx, sub.test_clock);
  const now = nowIn(ctx);
  const canceled = {
    ...sub,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: sub.canceled_at ?? now,
    cancellation_details: { comment: details.comment ?? sub.cancellation_details?.comment ?? null, feedback: details.feedback ?? sub.cancellation_details?.feedback ?? null, reason: details.reason },
    ended_at: now,
    status: 'canceled',
  };
  return saveSub(ctx, sub, canceled, 'customer.subscription.deleted');
}

/**
 * A customer cancels a subscription (the billing portal): at the period's end,
 * as `cancel_at_period_end=true` does, or at once; the reason is theirs.
 */
export function customerCancels(ctx: Ctx, sub: Subscription, mode: 'at_period_end' | 'immediately'): Subscription {
  if (mode === 'immediately') return cancelNow(ctx, sub, { reason: 'cancellation_requested' });
  return updateSubscription(ctx, sub, { cancel_at_period_end: true });
}

/**
 * Cancels at once as a subscription schedule's cancel does, with Stripe's
 * `prorate` and `invoice_now` (both true by default): the unused time of the
 * period is credited, and what is pending for the subscription goes on a draft
 * invoice that finalizes an hour later (recorded order: invoiceitem.created,
 * invoice.created, customer.subscription.deleted). The final invoice's
 * billing_reason is the twin's choice (unverified).
 */
export function cancelWithFinalInvoice(ctx: Ctx, sub: Subscription, prorate: boolean, invoiceNow: boolean, cancel = true): Subscription {
  ctx = onTestClock(ctx, sub.test_clock);
  const now = nowIn(ctx);
  if (prorate) for (const item of itemsOf(sub)) prorationItem(ctx, sub, item, now, 'Unused');
  const customer = ctx.world.get<Customer>(sub.customer)!;
  const pending = invoiceNow ? pendingItems(ctx, customer.id, sub.id) : [];
  if (pending.length) {
    const invoice = createDraft(ctx, { customer, billing_reason: 'subscription_update', auto_advance: true, collection_method: sub.collection_method, days_until_due: sub.days_until_due, default_tax_rates: sub.default_tax_rates, subscription: { id: sub.id, metadata: sub.metadata }, lines: [], items: pending });
    ctx.world.replace({ ...ctx.world.get<Subscription>(sub.id)!, latest_invoice: invoice.id });
  }
  const current = ctx.world.get<Subscription>(sub.id)!;
  return cancel ? cancelNow(ctx, current, { reason: 'cancellation_requested' }) : current;
}

function cancelSubscription(ctx: Ctx, sub: Subscription, params: Params): Subscription {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    // Stripe's text for canceling twice, as integrations quote it (unverified against a recording).
    throw errors.state(`A canceled subscription can only update its cancellation_details and metadata.`, 'invalid_canceled_subscription_fields');
  }
  // `prorate` credits the unused time, `invoice_now` bills what is pending at once (both false by default here).
  if (params.invoice_now || params.prorate) sub = cancelWithFinalInvoice(ctx, sub, Boolean(params.prorate), Boolean(params.invoice_now), false);
  return cancelNow(ctx, sub, { reason: 'cancellation_requested', comment: params.cancellation_details?.comment, feedback: params.cancellation_details?.feedback });
}

const intervalOf = (price: Price) => `${price.recurring.interval_count} ${price.recurring.interval}`;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * One of Stripe's proration lines for the rest of the period after `at`, as a
 * pending invoice item (docs/billing.md §3.4, recorded texts): the credit for the unused time
 * of an item as it was (`Unused time on … after 10 Nov 2025`, negative) or the
 * charge for the remaining time of it as it is now (`Remaining time on …`).
 * Amount: the period's price × the share of the period left, to the second,
 * rounded half up (rounding mode unverified).
 */
function prorationItem(ctx: Ctx, sub: Subscription, item: SubscriptionItem, at: number, kind: 'Unused' | 'Remaining'): InvoiceItem | null {
  const fields = prorationFields(ctx, sub, item, at, kind);
  if (!fields) return null;
  const made = invoiceItems.insert(ctx, {}, fields);
  // A credit names the line of the latest invoice that billed this item's period.
  const billed = kind === 'Unused' && sub.latest_invoice ? ctx.world.get<Invoice>(sub.latest_invoice) : undefined;
  const lines = (billed?.lines.data ?? []).filter((l: any) => l.parent?.subscription_item_details?.subscription_item === item.id && !l.parent.subscription_item_details.proration);
  if (billed && lines.length) setCreditedItems(ctx, made.id, { invoice: billed.id, invoice_line_items: lines.map((l: any) => l.id) });
  return made;
}

/** The invoice item a proration is, not stored (a preview shows it as a line). */
function prorationFields(ctx: Ctx, sub: Subscription, item: SubscriptionItem, at: number, kind: 'Unused' | 'Remaining') {
  const start = item.current_period_start as number;
  const end = item.current_period_end as number;
  if (at >= end || sub.status === 'trialing') return null;
  const price = item.price as Price;
  const share = (end - at) / (end - start);
  const amount = (kind === 'Unused' ? -1 : 1) * roundHalfUp(periodAmount(ctx, price, item.quantity) * share);
  const d = new Date(at * 1000);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  const name = item.quantity > 1 ? quantityOf(ctx, price, item.quantity) : product(ctx, price).name;
  return {
    amount,
    currency: price.currency,
    customer: sub.customer,
    date: at,
    description: `${kind} time on ${name} after ${day}`,
    discountable: false,
    discounts: [],
    metadata: EMPTY,
    parent: { subscription_details: { subscription: sub.id, subscription_item: item.id }, type: 'subscription_details' },
    period: { end, start: at },
    pricing: { price_details: { price: price.id, product: price.product }, type: 'price_details', unit_amount_decimal: null },
    proration: true,
    quantity: item.quantity,
    quantity_decimal: String(item.quantity),
    test_clock: sub.test_clock,
  };
}

const UPDATE_LOCKED_WHEN_CANCELED = new Set(['metadata', 'cancellation_details', 'expand']);

/**
 * Updates a subscription (POST /v1/subscriptions/:id and the item routes).
 * `resetAnchor`: the billing cycle anchor moves to now and a new period starts
 * (a schedule phase with billing_cycle_anchor=phase_start), as a change of
 * interval does.
 */
/**
 * A subscription's `default_source` must be one of its customer's sources [sdk:
 * "It must belong to the customer associated with the subscription"]; the error
 * is the one a customer's `default_source` gives (docs/legacy.md, "Cards where PaymentMethods are used"), naming
 * this parameter (twin choice).
 */
function checkDefaultSource(ctx: Ctx, customerId: string, id: string | null | undefined): void {
  if (!id) return;
  const source = ctx.world.get(id);
  if (!source || source.object !== 'card' || source.deleted || source.customer !== customerId) throw errors.resourceMissing('source', id, 'default_source');
}

export function updateSubscription(ctx: Ctx, sub: Subscription, params: Params, resetAnchor = false): Subscription {
  subscriptions.unsupported('update', params);
  checkDefaultSource(ctx, sub.customer, params.default_source);
  ctx = onTestClock(ctx, sub.test_clock);
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    const blocked = Object.keys(params).find((k) => !UPDATE_LOCKED_WHEN_CANCELED.has(k));
    if (blocked) throw errors.paramState('A canceled subscription can only update its cancellation_details and metadata.', blocked, 'invalid_canceled_subscription_fields');
  }
  const now = nowIn(ctx);
  const at: number = params.proration_date ?? now;
  const behavior = params.proration_behavior ?? 'create_prorations';
  let next = subscriptions.apply(ctx, sub, params);
  if (params.discounts !== undefined) next = { ...next, discounts: applyDiscounts(ctx, params.discounts, { customer: sub.customer, subscription: sub.id }, 'discounts', now) };
  let items = itemsOf(sub);
  const period = { start: items[0].current_period_start as number, end: items[0].current_period_end as number };
  /** Items as they were and as they are now, for the proration lines (a removed item has no `after`). */
  const changes: { before?: SubscriptionItem; after?: SubscriptionItem }[] = [];
  (params.items ?? []).forEach((input: Params, n: number) => {
    const existing = input.id ? items.find((i) => i.id === input.id) : undefined;
    if (input.id && !existing) throw errors.resourceMissing('subscription_item', input.id, `items[${n}][id]`);
    if (existing && input.deleted) {
      changes.push({ before: existing });
      items = items.filter((i) => i !== existing);
      ctx.world.replace({ id: existing.id, object: 'subscription_item', deleted: true });
      return;
    }
    const repriced = input.price || input.plan || input.price_data ? itemPrice(ctx, input, n) : undefined;
    const changed = existing
      ? {
          ...existing,
          metadata: input.metadata !== undefined ? mergeMetadata(existing.metadata, input.metadata) : existing.metadata,
          ...(repriced ? { price: repriced, plan: planOf(ctx, repriced) } : {}),
          quantity: input.quantity ?? existing.quantity,
        }
      : ctx.world.insert(newItem(ctx, sub.id, input, period, n));
    if (!existing || existing.price.id !== changed.price.id || existing.quantity !== changed.quantity) changes.push({ before: existing, after: changed });
    items = existing ? items.map((i) => (i === existing ? changed : i)) : [...items, changed];
  });
  // A change of interval starts a new period now, billed at once (the anchor moves; Stripe's update doc).
  const oldInterval = intervalOf(itemsOf(sub)[0].price);
  const reset = items.length > 0 && (resetAnchor || intervalOf(items[0].price) !== oldInterval);
  // An anchor moved on purpose (a phase_start phase) bills every item's new period, changed or not.
  if (resetAnchor) for (const i of items) if (!changes.some((c) => c.after?.id === i.id)) changes.push({ before: itemsOf(sub).find((o) => o.id === i.id), after: i });
  if (reset) {
    next = { ...next, billing_cycle_anchor: at };
    const end = periodEnd(next, at, items[0].price);
    items = items.map((i) => ({ ...i, current_period_start: at, current_period_end: end }));
    for (const c of changes) if (c.after) c.after = items.find((i) => i.id === c.after!.id);
  }
  const trialUntil = typeof params.trial_end === 'number' ? (params.trial_end as number) : null;
  if (trialUntil !== null && trialUntil <= now) throw errors.paramState('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
  const prorations: InvoiceItem[] = [];
  if (trialUntil !== null) {
    // A trial from now to trial_end (a schedule's trial phase): the paid time left on
    // the items as they were is credited unless proration_behavior=none, and nothing
    // is charged for the new ones; the period runs to the trial's end, which becomes
    // the anchor, and the renewal there bills the first paid period.
    const trialing = next.status === 'trialing';
    if (!trialing && behavior !== 'none') for (const item of itemsOf(sub)) { const made = prorationItem(ctx, next, item, at, 'Unused'); if (made) prorations.push(made); }
    items = items.map((i) => ({ ...i, current_period_start: trialing ? i.current_period_start : now, current_period_end: trialUntil }));
    next = { ...next, status: 'trialing', trial_start: trialing ? next.trial_start : now, trial_end: trialUntil, billing_cycle_anchor: trialUntil };
  } else if (behavior !== 'none' || reset) {
    for (const { before, after } of changes) {
      const credit = before && prorationItem(ctx, next, before, at, 'Unused');
      // An anchor moved on purpose bills the new period as the subscription's own lines (below, as recorded), not as prorations.
      const charge = after && !resetAnchor && prorationItem(ctx, next, after, at, 'Remaining');
      for (const made of [credit, charge]) if (made) prorations.push(made);
    }
  }
  next = withItems(ctx, next, items);
  if (params.cancel_at_period_end !== undefined) {
    next = params.cancel_at_period_end
      ? { ...next, cancel_at_period_end: true, cancel_at: items[0].current_period_end, canceled_at: now, cancellation_details: { ...NO_CANCELLATION, reason: 'cancellation_requested' } }
      : { ...next, cancel_at_period_end: false, cancel_at: null, canceled_at: null, cancellation_details: NO_CANCELLATION };
  }
  if (params.cancel_at !== undefined) {
    next = params.cancel_at ? { ...next, cancel_at: params.cancel_at, canceled_at: now, cancellation_details: { ...NO_CANCELLATION, reason: 'cancellation_requested' } } : { ...next, cancel_at: null, canceled_at: null, cancellation_details: NO_CANCELLATION };
    if (params.cancel_at) scheduleIn(ctx, params.cancel_at, CANCEL_AT, { id: sub.id, at: params.cancel_at });
  }
  if (params.pause_collection !== undefined) {
    const resumesAt: number | null = params.pause_collection?.resumes_at ?? null;
    next = { ...next, pause_collection: params.pause_collection ? { behavior: params.pause_collection.behavior, resumes_at: resumesAt } : null };
    // Collection resumes by itself at resumes_at (Stripe's types).
    if (resumesAt !== null) scheduleIn(ctx, resumesAt, RESUME_COLLECTION, { id: sub.id, at: resumesAt });
  }
  if (params.trial_end === 'now' && sub.status === 'trialing') {
    emit(ctx, 'customer.subscription.trial_will_end', sub);
    next = { ...next, trial_end: now };
  }
  const saved = saveSub(ctx, sub, next);
  if (params.trial_end === 'now' && sub.status === 'trialing') {
    renewEarly(ctx, saved, now);
    return ctx.world.get<Subscription>(sub.id)!;
  }
  if ((behavior === 'always_invoice' || reset) && (prorations.length || resetAnchor)) {
    const customer = ctx.world.get<Customer>(sub.customer)!;
    const period = { start: items[0].current_period_start as number, end: items[0].current_period_end as number };
    const lines = resetAnchor ? items.map((item) => itemLine(ctx, saved, item, period, false)) : [];
    const invoice = createDraft(ctx, { customer, billing_reason: 'subscription_update', auto_advance: true, collection_method: saved.collection_method, default_tax_rates: saved.default_tax_rates, subscription: { id: saved.id, metadata: saved.metadata }, lines, items: prorations.map((p) => ctx.world.get<InvoiceItem>(p.id)!) });
    ctx.world.replace({ ...ctx.world.get<Subscription>(sub.id)!, latest_invoice: invoice.id });
    const open = finalizeInvoice(ctx, invoice);
    collect(ctx, open);
  }
  // A new period (a change of interval, a trial) needs its own renewal: the one planned for the old period end is stale now.
  if (reset || trialUntil !== null) planRenewal(ctx, ctx.world.get<Subscription>(sub.id)!);
  return ctx.world.get<Subscription>(sub.id)!;
}

/** Ends the period at `at` (trial_end=now): the anchor moves there and the renewal runs at once. */
function renewEarly(ctx: Ctx, sub: Subscription, at: number): void {
  const items = itemsOf(sub).map((i) => ({ ...i, current_period_end: at }));
  const moved = ctx.world.replace(withItems(ctx, { ...sub, billing_cycle_anchor: at }, items));
  for (const item of items) ctx.world.replace(item);
  renew(ctx, moved.id, at);
}

function resumeCollection(ctx: Ctx, id: string, at: number): void {
  const sub = ctx.world.get<Subscription>(id);
  if (sub?.pause_collection?.resumes_at === at) saveSub(ctx, sub, { ...sub, pause_collection: null });
}

function cancelAt(ctx: Ctx, id: string, at: number): void {
  const sub = ctx.world.get<Subscription>(id);
  if (sub && sub.cancel_at === at && sub.status !== 'canceled') cancelNow(ctx, sub, { reason: 'cancellation_requested' });
}

function pauseSubscription(ctx: Ctx, sub: Subscription): Subscription {
  ctx = onTestClock(ctx, sub.test_clock);
  // Stripe's types: "Cannot pause subscriptions with attached schedules" (twin's text, unverified).
  if (sub.schedule) throw errors.state(`You cannot pause a subscription that is managed by a subscription schedule (${sub.schedule}). Release the schedule first.`);
  if (sub.status !== 'active' && sub.status !== 'trialing' && sub.status !== 'past_due') {
    throw errors.state(`You cannot pause a subscription with status ${sub.status}.`); // twin's text (unverified)
  }
  const paused = saveSub(ctx, sub, { ...sub, status: 'paused' });
  emit(ctx, 'customer.subscription.paused', paused);
  return paused;
}

function resumeSubscription(ctx: Ctx, sub: Subscription): Subscription {
  ctx = onTestClock(ctx, sub.test_clock);
  if (sub.status !== 'paused') throw errors.state('Only paused subscriptions can be resumed.'); // twin's text (unverified)
  const now = nowIn(ctx);
  // billing_cycle_anchor defaults to now: a new period starts, invoiced at once, without prorations (docs/billing.md §3.6).
  const next = { start: now, end: periodEnd({ ...sub, billing_cycle_anchor: now }, now, itemsOf(sub)[0].price) };
  const items = itemsOf(sub).map((i) => ({ ...i, current_period_start: next.start, current_period_end: next.end }));
  let resumed = saveSub(ctx, sub, { ...withItems(ctx, sub, items), billing_cycle_anchor: now, status: 'active' });
  emit(ctx, 'customer.subscription.resumed', resumed);
  const customer = ctx.world.get<Customer>(sub.customer)!;
  const invoice = createDraft(ctx, { ...renewalSpec(ctx, resumed, customer, { start: now, end: now }, next, 'subscription_update') });
  resumed = ctx.world.replace({ ...ctx.world.get<Subscription>(sub.id)!, latest_invoice: invoice.id });
  collect(ctx, finalizeInvoice(ctx, invoice));
  planRenewal(ctx, ctx.world.get<Subscription>(sub.id)!);
  return ctx.world.get<Subscription>(sub.id)!;
}

// --- resources ------------------------------------------------------------------------

export const subscriptionItems = defineResource<'subscription_item', SubscriptionItem>({
  object: 'subscription_item',
  prefix: 'si',
  path: '/v1/subscription_items',
  omit: ['billed_until'],
  defaults: { discounts: [], metadata: EMPTY, tax_rates: [] },
  filters: ['subscription'],
  indexes: ['subscription'],
});

export const subscriptions = defineResource<'subscription', Subscription, 'plan' | 'quantity'>({
  object: 'subscription',
  prefix: 'sub',
  path: '/v1/subscriptions',
  create: createSubscription,
  extra: ['plan', 'quantity'],
  omit: ['presentment_details', 'status_details'],
  defaults: { billing_schedules: [], cancel_at_period_end: false, default_tax_rates: [], discounts: [], metadata: EMPTY },
  writable: {
    collection_method: true,
    days_until_due: true,
    default_payment_method: true,
    default_source: true,
    default_tax_rates: (value) => value || [],
    description: true,
    metadata: (value, current) => mergeMetadata(current, value),
  },
  unsupported: {
    create: ['application_fee_percent', 'automatic_tax', 'billing_thresholds', 'invoice_settings', 'on_behalf_of', 'pending_invoice_item_interval', 'transfer_data', 'backdate_start_date', 'billing_cycle_anchor_config', 'cancel_at', 'cancel_at_period_end', 'coupon', 'promotion_code', 'payment_settings'],
    update: ['application_fee_percent', 'automatic_tax', 'billing_thresholds', 'invoice_settings', 'on_behalf_of', 'pending_invoice_item_interval', 'transfer_data', 'coupon', 'promotion_code', 'payment_settings', 'trial_from_plan'],
  },
  filters: ['customer', 'collection_method'],
  indexes: ['customer', 'status', 'metadata'],
  // Subscriptions on a test clock are listed with their clock or their customer only (Stripe's list docs).
  clockScoped: { shownBy: ['customer'] },
  search: { created: 'number', metadata: 'metadata', status: 'text' },
  routes: { update: false, list: false },
}).with(
  route('GET', '/v1/subscriptions', { list: 'subscription' }, (ctx, params) => {
    const status = params.status as string | undefined;
    // Without `status`, canceled subscriptions are left out; `all` keeps every one (Stripe's list docs).
    const keep = (s: Subscription) => (status === 'all' ? true : status ? s.status === status : s.status !== 'canceled' && s.status !== 'incomplete_expired') && (!params.price || itemsOf(s).some((i) => i.price.id === params.price));
    return subscriptions.list(ctx, params, '/v1/subscriptions', keep);
  }),
  route('POST', '/v1/subscriptions/{subscription_exposed_id}', 'subscription', (ctx, params, path) => {
    // `billing_cycle_anchor[type]=now` (older versions' `=now`, docs/versions.md) starts a new period now; `unchanged` keeps it.
    const { billing_cycle_anchor: anchor, ...rest } = params;
    return updateSubscription(ctx, subscriptions.find(ctx, path.subscription_exposed_id), rest, anchor?.type === 'now');
  }),
  route('DELETE', '/v1/subscriptions/{subscription_exposed_id}', 'subscription', (ctx, params, path) => cancelSubscription(ctx, subscriptions.find(ctx, path.subscription_exposed_id), params)),
  route('POST', '/v1/invoices/create_preview', 'invoice', (ctx, params) => createPreview(ctx, params)),
  // The upcoming-invoice endpoints of versions before basil (src/versions withdraws them from basil on).
  route('GET', '/v1/invoices/upcoming', 'invoice', (ctx, params) => createPreview(ctx, previewParams(ctx, params, UPCOMING_INVOICE), UPCOMING_INVOICE)),
  route('GET', '/v1/invoices/upcoming/lines', { list: 'line_item' }, (ctx, params) => {
    const { limit, starting_after, ending_before, ...rest } = params;
    // A preview's lines are made anew on every call (il_tmp_ ids), so there is no line to page after (not modeled).
    for (const [name, value] of [['starting_after', starting_after], ['ending_before', ending_before]]) if (value !== undefined) throw errors.unsupportedParam(UPCOMING_LINES, name);
    const preview = createPreview(ctx, previewParams(ctx, rest, UPCOMING_LINES), UPCOMING_LINES);
    return pageOf(preview.lines.data, { limit }, '/v1/invoices/upcoming/lines');
  }),
  route('POST', '/v1/subscriptions/{subscription}/pause', 'subscription', (ctx, _p, path) => pauseSubscription(ctx, subscriptions.find(ctx, path.subscription))),
  route('POST', '/v1/subscriptions/{subscription}/resume', 'subscription', (ctx, params, path) => {
    // Resuming restarts the cycle now (the default); keeping the old anchor is not modeled.
    if (params.billing_cycle_anchor?.type === 'unchanged') throw errors.unsupportedParam('POST /v1/subscriptions/{subscription}/resume', 'billing_cycle_anchor[type]');
    return resumeSubscription(ctx, subscriptions.find(ctx, path.subscription));
  }),
  route('POST', '/v1/subscription_items/{item}', 'subscription_item', (ctx, params, path) => {
    const item = subscriptionItems.find(ctx, path.item);
    const { subscription: _s, ...rest } = params;
    updateSubscription(ctx, subscriptions.find(ctx, item.subscription), { items: [{ ...rest, id: item.id }], proration_behavior: params.proration_behavior, proration_date: params.proration_date });
    return ctx.world.get(item.id)!;
  }),
  route('POST', '/v1/subscription_items', 'subscription_item', (ctx, params) => {
    if (!params.subscription) throw errors.parameterMissing('subscription');
    const sub = subscriptions.find(ctx, params.subscription, 'subscription');
    const { subscription: _s, proration_behavior, proration_date, ...input } = params;
    const after = updateSubscription(ctx, sub, { items: [input], proration_behavior, proration_date });
    return itemsOf(after)[itemsOf(after).length - 1];
  }),
  route('DELETE', '/v1/subscription_items/{item}', 'deleted_subscription_item', (ctx, params, path) => {
    const item = subscriptionItems.find(ctx, path.item);
    updateSubscription(ctx, subscriptions.find(ctx, item.subscription), { items: [{ id: item.id, deleted: true }], proration_behavior: params.proration_behavior });
    return { id: item.id, object: 'subscription_item', deleted: true };
  }),
);

const CREATE_PREVIEW = 'POST /v1/invoices/create_preview';
const UPCOMING_INVOICE = 'GET /v1/invoices/upcoming';
const UPCOMING_LINES = 'GET /v1/invoices/upcoming/lines';

/**
 * POST /v1/invoices/create_preview (basil): a subscription's next invoice, after
 * a change if `subscription_details` describes one, or a customer's pending
 * items. Schedules and new subscriptions' previews are not modeled (501).
 * `operation` names the endpoint in a 501 (the upcoming-invoice ones share this engine).
 */
function createPreview(ctx: Ctx, params: Params, operation = CREATE_PREVIEW): Invoice {
  for (const name of ['schedule', 'schedule_details', 'invoice_items', 'automatic_tax', 'customer_details', 'on_behalf_of', 'issuer']) {
    if (params[name] !== undefined) throw errors.unsupportedParam(operation, name);
  }
  // A preview that moves the billing cycle anchor is not modeled; `unchanged` is what the preview does anyway.
  const anchor = params.subscription_details?.billing_cycle_anchor;
  if (anchor && anchor.type !== 'unchanged') throw errors.unsupportedParam(operation, 'subscription_details[billing_cycle_anchor]');
  if (params.subscription) return previewSubscription(ctx, subscriptions.find(ctx, params.subscription, 'subscription'), params.subscription_details ?? {}, operation);
  if (params.subscription_details) throw errors.unsupportedParam(operation, 'subscription_details without subscription');
  if (!params.customer) throw errors.parameterMissing('customer'); // the pairing with create_preview (unverified)
  const customer = find<Customer>(ctx, 'customer', params.customer, 'customer');
  const items = pendingItems(ctx, customer.id);
  // As the upcoming-invoice endpoint answered when nothing was due (code from Stripe's list; text unverified).
  if (!items.length) throw errors.state(`No upcoming invoices for customer: ${customer.id}`, 'invoice_upcoming_none');
  return previewInvoice(onTestClock(ctx, customer.test_clock), { customer, billing_reason: 'upcoming', auto_advance: false, collection_method: 'charge_automatically', lines: [], items });
}

/**
 * The invoice a subscription's next renewal would be (create_preview): after the
 * change `details` describes, if any (`items` with a new price or quantity,
 * `proration_behavior`, `proration_date`), with the proration lines that change
 * would make; nothing is stored and nothing announced.
 */
export function previewSubscription(ctx: Ctx, sub: Subscription, details: Params = {}, operation = CREATE_PREVIEW): Invoice {
  ctx = onTestClock(ctx, sub.test_clock);
  const customer = ctx.world.get<Customer>(sub.customer)!;
  const at: number = details.proration_date ?? nowIn(ctx);
  let items = itemsOf(sub);
  const prorations: InvoiceItem[] = [];
  (details.items ?? []).forEach((input: Params, n: number) => {
    const existing = items.find((i) => i.id === input.id);
    if (!existing) throw errors.unsupportedParam(operation, `subscription_details[items][${n}] without an existing item id`);
    const price = input.price || input.plan ? prices.find(ctx, input.price ?? input.plan, `subscription_details[items][${n}][price]`) : existing.price;
    const changed = { ...existing, price, plan: planOf(ctx, price), quantity: input.quantity ?? existing.quantity };
    if (details.proration_behavior !== 'none') {
      for (const [item, kind] of [[existing, 'Unused'], [changed, 'Remaining']] as const) {
        const fields = prorationFields(ctx, sub, item, at, kind);
        if (fields) prorations.push({ id: `ii_tmp_${n}_${kind}`, object: 'invoiceitem', ...fields } as unknown as InvoiceItem);
      }
    }
    items = items.map((i) => (i === existing ? changed : i));
  });
  const changed = withItems(ctx, sub, items);
  const end = itemsOf(sub)[0].current_period_end as number;
  const next = { start: end, end: periodEnd(changed, end, items[0].price) };
  const spec = renewalSpec(ctx, changed, customer, { start: itemsOf(sub)[0].current_period_start, end }, next, 'upcoming');
  return previewInvoice(ctx, { ...spec, items: [...prorations, ...spec.items] });
}

/**
 * The upcoming-invoice endpoints' query (GET /v1/invoices/upcoming and /lines,
 * before basil) as create_preview's parameters: `subscription_items` and the
 * `subscription_*` change parameters become `subscription_details`; a
 * `subscription_billing_cycle_anchor` string or timestamp becomes the anchor
 * object. A customer alone previews its next invoice: its one live subscription's
 * renewal if it has one (several are not modeled), else its pending items.
 * What the preview does not model answers 501 under the old names.
 */
function previewParams(ctx: Ctx, params: Params, operation: string): Params {
  const { subscription_items, subscription_proration_behavior, subscription_proration_date, subscription_billing_cycle_anchor, subscription_details, ...rest } = params;
  for (const name of UNMODELED_UPCOMING) if (rest[name] !== undefined) throw errors.unsupportedParam(operation, name);
  if (rest.preview_mode !== undefined && rest.preview_mode !== 'next') throw errors.unsupportedParam(operation, 'preview_mode');
  delete rest.preview_mode;
  if (!rest.subscription && typeof rest.customer === 'string') {
    const live = ctx.world.indexed('subscription', 'customer', indexKey(rest.customer)).map((p) => ctx.world.at<Subscription>('subscription', p)).filter((sub) => sub.status !== 'canceled' && sub.status !== 'incomplete_expired');
    if (live.length > 1) throw errors.unsupportedParam(operation, 'customer with several subscriptions (without subscription)');
    if (live.length === 1) rest.subscription = live[0].id;
  }
  const details: Params = { ...subscription_details };
  if (subscription_items !== undefined) details.items = subscription_items;
  if (subscription_proration_behavior !== undefined) details.proration_behavior = subscription_proration_behavior;
  if (subscription_proration_date !== undefined) details.proration_date = subscription_proration_date;
  const anchor = subscription_billing_cycle_anchor ?? details.billing_cycle_anchor;
  if (anchor !== undefined) details.billing_cycle_anchor = typeof anchor === 'number' ? { type: 'timestamp', timestamp: anchor } : { type: anchor };
  return Object.keys(details).length ? { ...rest, subscription_details: details } : rest;
}

/** The upcoming-invoice parameters a preview does not model (501); create_preview's own refusals cover the rest. */
const UNMODELED_UPCOMING = [
  'coupon', 'currency', 'discounts', 'subscription_cancel_at', 'subscription_cancel_at_period_end', 'subscription_cancel_now',
  'subscription_default_tax_rates', 'subscription_resume_at', 'subscription_start_date', 'subscription_trial_end',
];
