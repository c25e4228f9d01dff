import { declareTask, nowIn, onTestClock, scheduleIn } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { emit } from '../../engine/events';
import { inRange, Range } from '../../engine/list';
import { defineMachine } from '../../engine/machine';
import { Params } from '../../engine/params';
import { react } from '../../engine/reactions';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, shared, unsupportedParams } from '../../engine/resource';
import { Ctx, indexKey, StripeObject } from '../../engine/world';
import { addIntervals, Interval } from './periods';
import { Price, prices } from './prices';
import { beforeRenewal, billingModeOf, cancelNow, cancelWithFinalInvoice, createSubscription, Subscription, SubscriptionItem, subscriptions, updateSubscription } from './subscriptions';

// Subscription schedules (docs/billing.md §5; shapes from Stripe's types): phases laid
// end to end from `start_date`, each lasting `duration` or until `end_date`, run on
// the customer's clock. The first phase creates the subscription (its `schedule`
// set, its first invoice a draft finalized an hour later), each later one updates
// it (items matched by price, metadata merged, a trial, the phase's proration
// behaviour), and the last one's end releases the subscription or cancels it.
// A phase that starts where a billing period ends is entered before that renewal
// (the `beforeRenewal` hook of ./subscriptions.ts), so the renewal bills the new
// phase. Statuses: not_started → active → completed | released | canceled.

export type SubscriptionSchedule = Shaped<'subscription_schedule'>;
type Customer = Shaped<'customer'>;

/** subscription_schedule.expiring comes this long before the schedule's end (Stripe's event docs: "7 days before"). */
const EXPIRING_LEAD = 7 * 86400;

const CREATE = 'POST /v1/subscription_schedules';
const UPDATE = 'POST /v1/subscription_schedules/{schedule}';

/** A phase as the schedule shows it (Stripe's types; keys in Stripe's order, alphabetical). */
interface Phase {
  add_invoice_items: never[];
  application_fee_percent: null;
  automatic_tax: object;
  billing_cycle_anchor: 'automatic' | 'phase_start' | null;
  billing_thresholds: null;
  collection_method: string | null;
  currency: string;
  default_payment_method: string | null;
  default_tax_rates: StripeObject[];
  description: string | null;
  discounts: { coupon: string | null; discount: string | null; promotion_code: string | null }[];
  end_date: number;
  invoice_settings: Record<string, unknown> | null;
  items: PhaseItem[];
  metadata: Record<string, string>;
  on_behalf_of: null;
  proration_behavior: string;
  start_date: number;
  transfer_data: null;
  /** Sent only when the phase was given `trial` (Stripe's types mark it optional). */
  trial?: boolean;
  trial_end: number | null;
}

interface PhaseItem {
  billing_thresholds: null;
  discounts: never[];
  metadata: Record<string, string>;
  plan: string;
  price: string;
  quantity: number;
  tax_rates: never[];
}

const AUTOMATIC_TAX = shared({ disabled_reason: null, enabled: false, liability: null });

type DefaultSettings = Record<string, any>;

const DEFAULT_SETTINGS: DefaultSettings = shared({
  application_fee_percent: null,
  automatic_tax: AUTOMATIC_TAX,
  billing_cycle_anchor: 'automatic',
  billing_thresholds: null,
  collection_method: 'charge_automatically',
  default_payment_method: null,
  description: null,
  invoice_settings: { account_tax_ids: null, custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } },
  on_behalf_of: null,
  transfer_data: null,
});

// --- the state machine -------------------------------------------------------------

/**
 * Wrong-state texts: the cancel one as an integration quotes Stripe ("You cannot
 * cancel a subscription schedule that is currently in the `released` status. It
 * must be in `not_started, active` status to be canceled."), the release one's
 * first sentence as another quotes it; the rest by analogy (twin's text, unverified).
 */
const wrongState = (verb: string, done: string) => (s: StripeObject) =>
  errors.state(`You cannot ${verb} a subscription schedule that is currently in the \`${s.status}\` status. It must be in \`not_started, active\` status to be ${done}.`);

export const scheduleMachine = defineMachine({
  states: ['not_started', 'active', 'completed', 'released', 'canceled'],
  actions: {
    start: { from: ['not_started'], to: { active: ['subscription_schedule.updated'] }, error: wrongState('start', 'started') },
    update: { from: ['not_started', 'active'], to: { not_started: ['subscription_schedule.updated'], active: ['subscription_schedule.updated'] }, error: wrongState('update', 'updated') },
    // Recorded for a release: subscription_schedule.updated, customer.subscription.updated, subscription_schedule.released.
    release: { from: ['not_started', 'active'], to: { released: ['subscription_schedule.updated', 'subscription_schedule.released'] }, error: wrongState('release', 'released') },
    cancel: { from: ['not_started', 'active'], to: { canceled: ['subscription_schedule.canceled'] }, error: wrongState('cancel', 'canceled') },
    // The subscription was canceled under the schedule (dunning's final cancel, or directly).
    abort: { from: ['active'], to: { canceled: ['subscription_schedule.aborted'] }, error: wrongState('abort', 'aborted') },
    // The last phase ended: end_behavior=cancel completes it, release releases its subscription.
    complete: { from: ['active'], to: { completed: ['subscription_schedule.completed'], released: ['subscription_schedule.completed'] }, error: wrongState('complete', 'completed') },
  },
});

const live = (s: SubscriptionSchedule) => s.status === 'not_started' || s.status === 'active';

// --- reading phases -------------------------------------------------------------------

/** Phase parameters Stripe accepts and the twin does not model (501). */
const PHASE_UNSUPPORTED = ['application_fee_percent', 'billing_thresholds', 'on_behalf_of', 'transfer_data'];
const ITEM_UNSUPPORTED = ['price_data', 'billing_thresholds'];

const given = (value: unknown) => value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

function readItem(ctx: Ctx, input: Params, at: string, op: string): { item: PhaseItem; price: Price } {
  for (const name of [...ITEM_UNSUPPORTED, 'discounts', 'tax_rates']) if (given(input[name])) throw errors.unsupportedParam(op, `${at}[${name}]`);
  const id = input.price ?? input.plan;
  if (!id) throw errors.parameterMissing(`${at}[price]`);
  const price = prices.find(ctx, id, `${at}[price]`);
  if (price.type !== 'recurring') {
    // The text Stripe gives a one-time price on a subscription item (as ./subscriptions.ts has it; unverified here).
    throw errors.paramState('The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', `${at}[price]`);
  }
  const quantity = input.quantity ?? 1;
  return { price, item: { billing_thresholds: null, discounts: [], metadata: mergeMetadata(EMPTY, input.metadata), plan: price.id, price: price.id, quantity, tax_rates: [] } };
}

/** A discount entry as a phase shows it; the coupon, code or discount must exist now (redeemed when the phase starts). */
function readDiscount(ctx: Ctx, input: Params, at: string) {
  const entry = { coupon: input?.coupon ?? null, discount: input?.discount ?? null, promotion_code: input?.promotion_code ?? null };
  const named = (['coupon', 'discount', 'promotion_code'] as const).filter((k) => entry[k] !== null);
  if (named.length > 1) throw errors.onlyOneOf(named, at);
  // Twin's text (unverified), as discounts.ts words it.
  if (named.length === 0) throw errors.paramState('Each discount needs one of `coupon`, `discount` or `promotion_code`.', at);
  find(ctx, named[0], entry[named[0]]!, `${at}[${named[0]}]`);
  return entry;
}

/**
 * One phase from its parameters, starting at `start`: its end is `end_date`,
 * else `start` plus its `duration`, else one billing interval of its first
 * price (twin choice: what the removed `iterations` defaulted to, 1).
 */
function readPhase(ctx: Ctx, customer: Customer, input: Params, i: number, start: number, op: string): Phase {
  const at = `phases[${i}]`;
  const now = nowIn(ctx);
  for (const name of PHASE_UNSUPPORTED) if (given(input[name])) throw errors.unsupportedParam(op, `${at}[${name}]`);
  if (given(input.add_invoice_items)) throw errors.unsupportedParam(op, `${at}[add_invoice_items]`);
  if (input.automatic_tax?.enabled) throw errors.unsupportedParam(op, `${at}[automatic_tax]`);
  for (const key of Object.keys(input.invoice_settings ?? {})) if (key !== 'days_until_due') throw errors.unsupportedParam(op, `${at}[invoice_settings][${key}]`);
  // `discounts: ""` keeps a phase from inheriting the customer's discount, which the twin's subscriptions cannot express.
  if (input.discounts === '') throw errors.unsupportedParam(op, `${at}[discounts]`);
  const items = ((input.items ?? []) as Params[]).map((item, j) => readItem(ctx, item, `${at}[items][${j}]`, op));
  if (!items.length) throw errors.parameterMissing(`${at}[items]`);
  const currency = items[0].price.currency;
  if (items.some((x) => x.price.currency !== currency) || (input.currency != null && input.currency !== currency)) {
    // Twin's text (unverified): currency_options are not modeled, so a phase bills in its prices' currency.
    throw errors.paramState(`All prices of a phase must be in the phase's currency (${input.currency ?? currency}).`, `${at}[items]`);
  }
  if (input.end_date != null && input.duration != null) throw errors.onlyOneOf(['duration', 'end_date'], `${at}[end_date]`);
  const first = items[0].price.recurring;
  const end: number =
    input.end_date === 'now' ? now
      : input.end_date != null ? input.end_date
      : input.duration ? addIntervals(start, input.duration.interval as Interval, input.duration.interval_count ?? 1)
      : addIntervals(start, first.interval, first.interval_count);
  // Twin's texts below (unverified): Stripe's answers to these are not recorded.
  if (end <= start) throw errors.paramState(`The end_date of phases[${i}] must be after its start_date (${start}).`, `${at}[end_date]`);
  if (input.trial && input.trial_end != null && input.trial_end !== end) {
    throw errors.paramState(`phases[${i}][trial_end] must be the phase's end_date when trial=true.`, `${at}[trial_end]`);
  }
  const trialEnd: number | null = input.trial ? end : input.trial_end === 'now' ? now : (input.trial_end ?? null);
  if (trialEnd !== null && (trialEnd <= start || trialEnd > end)) throw errors.paramState(`phases[${i}][trial_end] must fall within the phase.`, `${at}[trial_end]`);
  if (input.billing_cycle_anchor === 'phase_start' && trialEnd !== null) {
    // Stripe's types: "Cannot be set to `phase_start` if this phase specifies a trial."
    throw errors.paramState('billing_cycle_anchor cannot be `phase_start` on a phase with a trial.', `${at}[billing_cycle_anchor]`);
  }
  if (input.default_payment_method) checkPaymentMethod(ctx, customer, input.default_payment_method, `${at}[default_payment_method]`);
  const phase: Phase = {
    add_invoice_items: [],
    application_fee_percent: null,
    automatic_tax: AUTOMATIC_TAX,
    billing_cycle_anchor: input.billing_cycle_anchor ?? null,
    billing_thresholds: null,
    collection_method: input.collection_method ?? null,
    currency,
    default_payment_method: input.default_payment_method ?? null,
    default_tax_rates: ((input.default_tax_rates || []) as string[]).map((id, k) => find(ctx, 'tax_rate', id, `${at}[default_tax_rates][${k}]`)),
    description: input.description || null,
    discounts: ((input.discounts ?? []) as Params[]).map((d, k) => readDiscount(ctx, d, `${at}[discounts][${k}]`)),
    end_date: end,
    invoice_settings: input.invoice_settings ? { account_tax_ids: null, custom_fields: null, days_until_due: input.invoice_settings.days_until_due ?? null, description: null, footer: null, issuer: null } : null,
    items: items.map((x) => x.item),
    metadata: mergeMetadata(EMPTY, input.metadata),
    on_behalf_of: null,
    proration_behavior: input.proration_behavior ?? 'create_prorations',
    start_date: start,
    transfer_data: null,
    trial_end: trialEnd,
  };
  if (input.trial !== undefined) {
    const { trial_end, ...rest } = phase;
    return { ...rest, trial: input.trial, trial_end } as Phase;
  }
  return phase;
}

/** Phases laid end to end from `start`; a later phase's `start_date`, when sent, must be where the previous one ends. */
function layPhases(ctx: Ctx, customer: Customer, inputs: Params[], start: number, op: string): Phase[] {
  if (!inputs.length) throw errors.parameterMissing('phases');
  const out: Phase[] = [];
  let at = start;
  inputs.forEach((input, i) => {
    if (i > 0 && input.start_date != null && input.start_date !== at) {
      // Stripe's types: "the end_date of one phase will always equal the start_date of the next phase" (twin's text, unverified).
      throw errors.paramState(`phases[${i}][start_date] must equal the end_date of phases[${i - 1}] (${at}).`, `phases[${i}][start_date]`);
    }
    const phase = readPhase(ctx, customer, input, i, at, op);
    out.push(phase);
    at = phase.end_date;
  });
  return out;
}

function checkPaymentMethod(ctx: Ctx, customer: Customer, id: string, param: string): void {
  const pm = find(ctx, 'payment_method', id, param);
  if (pm.customer !== customer.id) {
    // E36, as subscriptions answer it.
    throw errors.paramState(`The customer does not have a payment method with the ID ${pm.id}. The payment method must be attached to the customer.`, param);
  }
}

/** default_settings from its parameters over `current`; the parts the twin does not model answer 501. */
function readDefaults(ctx: Ctx, customer: Customer, input: Params | undefined, current: DefaultSettings, op: string): DefaultSettings {
  if (!input) return current;
  for (const name of ['application_fee_percent', 'billing_thresholds', 'on_behalf_of', 'transfer_data']) if (given(input[name])) throw errors.unsupportedParam(op, `default_settings[${name}]`);
  if (input.automatic_tax?.enabled) throw errors.unsupportedParam(op, 'default_settings[automatic_tax]');
  for (const key of Object.keys(input.invoice_settings ?? {})) if (key !== 'days_until_due') throw errors.unsupportedParam(op, `default_settings[invoice_settings][${key}]`);
  if (input.default_payment_method) checkPaymentMethod(ctx, customer, input.default_payment_method, 'default_settings[default_payment_method]');
  return {
    ...current,
    billing_cycle_anchor: input.billing_cycle_anchor ?? current.billing_cycle_anchor,
    collection_method: input.collection_method ?? current.collection_method,
    default_payment_method: input.default_payment_method ?? current.default_payment_method,
    description: input.description === undefined ? current.description : input.description || null,
    invoice_settings: input.invoice_settings?.days_until_due === undefined ? current.invoice_settings : { ...current.invoice_settings, days_until_due: input.invoice_settings.days_until_due },
  };
}

function checkEndBehavior(op: string, value: string | undefined): void {
  // `none` and `renew` are legacy values the enum still lists; what they do is not modeled.
  if (value === 'none' || value === 'renew') throw errors.unsupportedParam(op, 'end_behavior');
}

function checkStart(op: string, start: number, now: number, param: string): void {
  // Backdating bills the time before now on Stripe (a recorded backdated schedule made an invoice item); not modeled.
  if (start < now) throw errors.unsupportedBehaviour(`a ${param} in the past (a backdated subscription schedule, ${op})`);
}

// --- entering phases --------------------------------------------------------------------

/** What a phase sets on the subscription, besides its items (the phase's values, else the schedule's defaults). */
function settingsOf(d: DefaultSettings, phase: Phase): Params {
  const collection = phase.collection_method ?? d.collection_method ?? 'charge_automatically';
  const out: Params = { collection_method: collection, metadata: phase.metadata, default_tax_rates: phase.default_tax_rates.map((t) => t.id) };
  if (collection === 'send_invoice') out.days_until_due = phase.invoice_settings?.days_until_due ?? d.invoice_settings.days_until_due ?? undefined;
  const pm = phase.default_payment_method ?? d.default_payment_method;
  if (pm) out.default_payment_method = pm;
  const description = phase.description ?? d.description;
  if (description) out.description = description;
  return out;
}

const discountParams = (phase: Phase) => phase.discounts.map((d) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null)));

/** The first phase: the subscription, created for the schedule `id`. */
function startSubscription(ctx: Ctx, id: string, customer: string, mode: { type: string }, defaults: DefaultSettings, phase: Phase): Subscription {
  const params: Params = {
    customer,
    billing_mode: { type: mode.type },
    items: phase.items.map((i) => ({ price: i.price, quantity: i.quantity, metadata: i.metadata })),
    ...settingsOf(defaults, phase),
  };
  if (phase.trial_end !== null) params.trial_end = phase.trial_end;
  if (phase.discounts.length) params.discounts = discountParams(phase);
  if (params.collection_method === 'send_invoice' && params.days_until_due == null) {
    // As a subscription answers it (twin's pairing, unverified).
    throw errors.paramState('Missing required param: days_until_due.', 'default_settings[invoice_settings][days_until_due]', 'parameter_missing');
  }
  return createSubscription(ctx, params, id);
}

/**
 * Moves the subscription to `phase`: its items matched by price (quantity and
 * metadata updated, others removed, new ones added), the phase's settings and
 * trial, prorated by `proration` (the phase's behaviour at a phase change, the
 * update's when a current phase is edited).
 */
function applyPhase(ctx: Ctx, schedule: SubscriptionSchedule, sub: Subscription, phase: Phase, previous: Phase | undefined, proration: string): void {
  const now = nowIn(ctx);
  const current = sub.items.data as SubscriptionItem[];
  const kept = new Set<string>();
  const items: Params[] = [];
  for (const item of phase.items) {
    const match = current.find((c) => c.price.id === item.price && !kept.has(c.id));
    if (match) kept.add(match.id);
    items.push(match ? { id: match.id, quantity: item.quantity, metadata: item.metadata } : { price: item.price, quantity: item.quantity, metadata: item.metadata });
  }
  for (const c of current) if (!kept.has(c.id)) items.unshift({ id: c.id, deleted: true });
  const params: Params = { items, proration_behavior: proration, ...settingsOf(schedule.default_settings, phase) };
  if (JSON.stringify(phase.discounts) !== JSON.stringify(previous?.discounts ?? [])) params.discounts = discountParams(phase);
  if (phase.trial_end !== null && phase.trial_end > now) params.trial_end = phase.trial_end;
  else if (sub.status === 'trialing' && sub.trial_end > now) params.trial_end = 'now';
  // phase_start (the phase's, else the schedule's default) moves the anchor to the phase's start, unless a period already starts there.
  const anchor = phase.billing_cycle_anchor ?? schedule.default_settings.billing_cycle_anchor;
  const reset = anchor === 'phase_start' && current[0]?.current_period_end !== now && params.trial_end === undefined;
  updateSubscription(ctx, sub, params, reset);
}

/** Where the schedule's next boundary is: its start, or the end of its current phase. */
function nextBoundaryOf(s: SubscriptionSchedule): number | null {
  if (s.status === 'not_started') return s.phases[0].start_date;
  if (s.status === 'active') return s.current_phase.end_date;
  return null;
}

const currentPhase = (s: SubscriptionSchedule): Phase => (s.phases as Phase[]).find((p) => p.start_date === s.current_phase.start_date)!;
const endOf = (s: SubscriptionSchedule) => (s.phases as Phase[])[s.phases.length - 1].end_date as number;
const phaseDates = (p: Phase) => ({ end_date: p.end_date, start_date: p.start_date });

/**
 * Runs the schedule's boundary at `at` — its start, a phase change or its end —
 * unless the schedule has moved on (a stale task).
 */
function boundary(ctx: Ctx, id: string, at: number): void {
  const s = ctx.world.get<SubscriptionSchedule>(id);
  if (!s || nextBoundaryOf(s) !== at) return;
  ctx = onTestClock(ctx, s.test_clock);
  if (s.status === 'not_started') {
    scheduleMachine.check(s, 'start');
    const phase = s.phases[0] as Phase;
    const sub = startSubscription(ctx, s.id, s.customer, s.billing_mode, s.default_settings, phase);
    plan(ctx, subscriptionSchedules.save(ctx, s, { ...s, status: 'active', current_phase: phaseDates(phase), subscription: sub.id }, scheduleMachine.events('start', 'active')));
    return;
  }
  const next = (s.phases as Phase[]).find((p) => p.start_date === at);
  const sub = ctx.world.get<Subscription>(s.subscription);
  if (!sub) return;
  if (next) {
    applyPhase(ctx, s, sub, next, currentPhase(s), next.proration_behavior);
    plan(ctx, subscriptionSchedules.save(ctx, s, { ...s, current_phase: phaseDates(next) }, 'subscription_schedule.updated'));
    return;
  }
  finish(ctx, s, sub, at);
}

/**
 * The last phase ended. end_behavior=release: the subscription goes on without
 * the schedule, which shows `released` (as a recorded schedule that ran out does:
 * released_at its last end_date, completed_at null); cancel: the subscription is
 * canceled and the schedule `completed`. Either way the event is
 * subscription_schedule.completed (Stripe's docs: a schedule completes when its
 * last phase ends; the Stripe CLI causes that event by running a release schedule out).
 */
function finish(ctx: Ctx, s: SubscriptionSchedule, sub: Subscription, at: number): void {
  const release = s.end_behavior === 'release';
  const to = release ? 'released' : 'completed';
  scheduleMachine.check(s, 'complete');
  const done = ctx.world.replace<SubscriptionSchedule>(
    release
      ? { ...s, current_phase: null, released_at: at, released_subscription: sub.id, status: to, subscription: null }
      : { ...s, completed_at: at, current_phase: null, status: to },
  );
  const running = sub.status !== 'canceled' && sub.status !== 'incomplete_expired';
  if (release && sub.schedule === s.id) subscriptions.save(ctx, sub, { ...sub, schedule: null }, 'customer.subscription.updated');
  if (!release && running) cancelNow(ctx, sub, { reason: 'cancellation_requested' });
  for (const type of scheduleMachine.events('complete', to)) emit(ctx, type, done);
}

/** Plans the schedule's next boundary and, once per end date, subscription_schedule.expiring. */
function plan(ctx: Ctx, s: SubscriptionSchedule): void {
  const at = nextBoundaryOf(s);
  if (at === null) return;
  scheduleIn(ctx, at, BOUNDARY, { id: s.id, at });
  const end = endOf(s);
  if (ctx.world.facts.get(expiringFact(s.id)) === end) return;
  ctx.world.facts.set(expiringFact(s.id), end);
  scheduleIn(ctx, Math.max(nowIn(ctx), end - EXPIRING_LEAD), EXPIRING, { id: s.id, end });
}
const expiringFact = (id: string) => `schedule_expiring:${id}`;
const BOUNDARY = declareTask<{ id: string; at: number }>('subscription_schedule.boundary', (later, { id, at }) => boundary(later, id, at));
const EXPIRING = declareTask<{ id: string; end: number }>('subscription_schedule.expiring', (later, { id, end }) => expiring(later, id, end));

function expiring(ctx: Ctx, id: string, end: number): void {
  const s = ctx.world.get<SubscriptionSchedule>(id);
  if (s && live(s) && endOf(s) === end && ctx.world.facts.get(expiringFact(id)) === end) emit(ctx, 'subscription_schedule.expiring', s);
}

/** Runs a boundary that is already due (a start of `now`, an end_date of `now`), then plans the next. */
function catchUp(ctx: Ctx, id: string): SubscriptionSchedule {
  const s = ctx.world.get<SubscriptionSchedule>(id)!;
  const at = nextBoundaryOf(s);
  if (at !== null && at <= nowIn(ctx)) boundary(ctx, id, at);
  else plan(ctx, s);
  return ctx.world.get<SubscriptionSchedule>(id)!;
}

// A phase that starts where a billing period ends is entered before that period's renewal.
beforeRenewal.push((ctx, sub, end) => {
  const s = sub.schedule ? ctx.world.get<SubscriptionSchedule>(sub.schedule) : undefined;
  if (s && s.status === 'active' && s.subscription === sub.id && s.current_phase.end_date === end) boundary(ctx, s.id, end);
});

// --- create, update, release, cancel --------------------------------------------------------


function createSchedule(ctx: Ctx, params: Params): SubscriptionSchedule {
  unsupportedParams(CREATE, params, ['customer_account', 'pause_schedules']);
  if (params.from_subscription != null) return fromSubscription(ctx, params);
  if (!params.customer) throw errors.parameterMissing('customer');
  const customer = find<Customer>(ctx, 'customer', params.customer, 'customer');
  ctx = onTestClock(ctx, customer.test_clock);
  const now = nowIn(ctx);
  // Required with phases (inferred from Stripe's docs and every example sending it; unverified).
  if (params.start_date == null) throw errors.parameterMissing('start_date');
  const start: number = params.start_date === 'now' ? now : params.start_date;
  checkStart(CREATE, start, now, 'start_date');
  checkEndBehavior(CREATE, params.end_behavior);
  const phases = layPhases(ctx, customer, params.phases ?? [], start, CREATE);
  const id = subscriptionSchedules.newId(ctx);
  const values = {
    id,
    billing_mode: billingModeOf(params.billing_mode, now),
    customer: customer.id,
    default_settings: readDefaults(ctx, customer, params.default_settings, DEFAULT_SETTINGS, CREATE),
    end_behavior: params.end_behavior ?? 'release',
    metadata: mergeMetadata(EMPTY, params.metadata),
    phases,
    status: 'not_started',
  };
  if (start > now) {
    const made = subscriptionSchedules.insert(ctx, {}, values);
    plan(ctx, made);
    return made;
  }
  // Starting now: the subscription first, then the schedule (recorded: customer.subscription.created,
  // invoice.created, subscription_schedule.created).
  const sub = startSubscription(ctx, id, customer.id, values.billing_mode, values.default_settings, phases[0]);
  const made = subscriptionSchedules.insert(ctx, {}, { ...values, current_phase: phaseDates(phases[0]), status: 'active', subscription: sub.id });
  plan(ctx, made);
  return made;
}

/**
 * `from_subscription`: a schedule over an existing subscription, one phase for
 * its current period with its items, released at its end (Stripe's types). The
 * other parameters Stripe forbids with it get the twin's text (unverified).
 */
function fromSubscription(ctx: Ctx, params: Params): SubscriptionSchedule {
  for (const name of ['customer', 'phases', 'start_date', 'end_behavior', 'default_settings']) {
    if (params[name] !== undefined) throw errors.paramState(`You cannot set \`${name}\` when creating a schedule with \`from_subscription\`.`, name);
  }
  const sub = subscriptions.find(ctx, params.from_subscription, 'from_subscription');
  ctx = onTestClock(ctx, sub.test_clock);
  const now = nowIn(ctx);
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw errors.paramState(`The subscription ${sub.id} is ${sub.status} and cannot be managed by a schedule.`, 'from_subscription'); // twin's text (unverified)
  }
  if (sub.schedule) throw errors.paramState(`The subscription ${sub.id} is already managed by the schedule ${sub.schedule}.`, 'from_subscription'); // twin's text (unverified)
  const items = sub.items.data as SubscriptionItem[];
  const phase: Phase = {
    add_invoice_items: [],
    application_fee_percent: null,
    automatic_tax: AUTOMATIC_TAX,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: sub.currency,
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    end_date: items[0].current_period_end,
    invoice_settings: null,
    items: items.map((i) => ({ billing_thresholds: null, discounts: [], metadata: i.metadata, plan: i.price.id, price: i.price.id, quantity: i.quantity, tax_rates: [] })),
    metadata: EMPTY,
    on_behalf_of: null,
    proration_behavior: 'create_prorations',
    start_date: items[0].current_period_start,
    transfer_data: null,
    trial_end: sub.status === 'trialing' ? sub.trial_end : null,
  };
  const made = subscriptionSchedules.insert(ctx, {}, {
    billing_mode: params.billing_mode ? billingModeOf(params.billing_mode, now) : sub.billing_mode,
    current_phase: phaseDates(phase),
    customer: sub.customer,
    default_settings: {
      ...DEFAULT_SETTINGS,
      collection_method: sub.collection_method,
      default_payment_method: sub.default_payment_method,
      description: sub.description,
      invoice_settings: { ...DEFAULT_SETTINGS.invoice_settings, days_until_due: sub.days_until_due },
    },
    end_behavior: 'release',
    metadata: mergeMetadata(EMPTY, params.metadata),
    phases: [phase],
    status: 'active',
    subscription: sub.id,
  });
  subscriptions.save(ctx, sub, { ...sub, schedule: made.id }, 'customer.subscription.updated');
  plan(ctx, made);
  return made;
}

/**
 * Updates a schedule. `phases` replaces its phases from `phases[0][start_date]`
 * on (required, as Stripe's types say). On an active schedule the phases that
 * ended may be left out or sent back with their dates unchanged (they keep what
 * they were), the current phase keeps its start date, and a change to it
 * reaches the subscription now, prorated by the update's `proration_behavior`
 * (recorded: subscription_schedule.updated, customer.subscription.updated, then
 * the proration items).
 */
function updateSchedule(ctx: Ctx, s: SubscriptionSchedule, params: Params): SubscriptionSchedule {
  unsupportedParams(UPDATE, params, ['pause_schedules']);
  scheduleMachine.check(s, 'update');
  ctx = onTestClock(ctx, s.test_clock);
  const now = nowIn(ctx);
  const customer = ctx.world.get<Customer>(s.customer)!;
  checkEndBehavior(UPDATE, params.end_behavior);
  const next: SubscriptionSchedule = {
    ...s,
    default_settings: readDefaults(ctx, customer, params.default_settings, s.default_settings, UPDATE),
    end_behavior: params.end_behavior ?? s.end_behavior,
    metadata: mergeMetadata(s.metadata, params.metadata),
  };
  let edited: { phase: Phase; before: Phase } | undefined;
  if (params.phases !== undefined) {
    const inputs = params.phases as Params[];
    if (!inputs.length) throw errors.parameterMissing('phases');
    if (inputs[0].start_date == null) throw errors.parameterMissing('phases[0][start_date]');
    const start: number = inputs[0].start_date === 'now' ? now : inputs[0].start_date;
    const laid = layPhases(ctx, customer, inputs, start, UPDATE);
    if (s.status === 'not_started') {
      checkStart(UPDATE, start, now, 'phases[0][start_date]');
      next.phases = laid;
    } else {
      const before = currentPhase(s);
      const at = laid.findIndex((p) => p.start_date === before.start_date);
      // Twin's text (unverified).
      if (at === -1) throw errors.paramState('You can not modify the start date of the current phase.', 'phases[0][start_date]');
      // Recorded (an integration quoting Stripe): "You can not update a phase that has already ended."
      const ended = laid.slice(0, at).map((p) => (s.phases as Phase[]).find((o) => o.start_date === p.start_date && o.end_date === p.end_date));
      if (ended.some((o) => !o)) throw errors.paramState('You can not update a phase that has already ended.', 'phases');
      const pastPhases = (s.phases as Phase[]).filter((o) => o.end_date <= before.start_date);
      next.phases = [...pastPhases, ...laid.slice(at)];
      next.current_phase = phaseDates(laid[at]);
      const config = (p: Phase) => JSON.stringify({ ...p, start_date: 0, end_date: 0 });
      if (config(laid[at]) !== config(before)) edited = { phase: laid[at], before };
    }
  }
  let saved = subscriptionSchedules.save(ctx, s, next, 'subscription_schedule.updated');
  if (edited) {
    const sub = ctx.world.get<Subscription>(s.subscription);
    if (sub) applyPhase(ctx, saved, sub, edited.phase, edited.before, params.proration_behavior ?? 'create_prorations');
  }
  if (next.phases !== s.phases || next.end_behavior !== s.end_behavior) saved = catchUp(ctx, s.id);
  return saved;
}

/**
 * Releases the schedule: its subscription goes on without it (`schedule` null),
 * and the schedule keeps the subscription's id as `released_subscription`.
 * `preserve_cancel_date` has nothing to keep: the twin's schedules set no cancel
 * date on their subscription (they cancel it themselves at their end).
 */
function releaseSchedule(ctx: Ctx, s: SubscriptionSchedule): SubscriptionSchedule {
  scheduleMachine.check(s, 'release');
  ctx = onTestClock(ctx, s.test_clock);
  const [updated, released] = scheduleMachine.events('release', 'released');
  const saved = subscriptionSchedules.save(ctx, s, { ...s, current_phase: null, released_at: nowIn(ctx), released_subscription: s.subscription, status: 'released', subscription: null }, updated);
  const sub = s.subscription ? ctx.world.get<Subscription>(s.subscription) : undefined;
  if (sub && sub.schedule === s.id) subscriptions.save(ctx, sub, { ...sub, schedule: null }, 'customer.subscription.updated');
  emit(ctx, released, saved);
  return saved;
}

/**
 * Cancels the schedule and its subscription, with Stripe's `invoice_now` and
 * `prorate` (both true by default: the unused time is credited and invoiced;
 * recorded order: invoiceitem.created, invoice.created,
 * customer.subscription.deleted, subscription_schedule.canceled).
 */
function cancelSchedule(ctx: Ctx, s: SubscriptionSchedule, params: Params): SubscriptionSchedule {
  scheduleMachine.check(s, 'cancel');
  ctx = onTestClock(ctx, s.test_clock);
  const canceled = ctx.world.replace<SubscriptionSchedule>({ ...s, canceled_at: nowIn(ctx), current_phase: null, status: 'canceled' });
  const sub = s.status === 'active' ? ctx.world.get<Subscription>(s.subscription) : undefined;
  if (sub && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') cancelWithFinalInvoice(ctx, sub, params.prorate ?? true, params.invoice_now ?? true);
  for (const type of scheduleMachine.events('cancel', 'canceled')) emit(ctx, type, canceled);
  return canceled;
}

// --- what happens to schedules when their subscription or customer goes -------------------

react('customer.subscription.deleted', 'a subscription canceled under its schedule (dunning, or directly) aborts the schedule', (ctx, event) => {
  const sub = event.data.object as Subscription;
  const s = sub.schedule ? ctx.world.get<SubscriptionSchedule>(sub.schedule) : undefined;
  if (!s || s.status !== 'active' || s.subscription !== sub.id) return;
  const aborted = ctx.world.replace<SubscriptionSchedule>({ ...s, canceled_at: nowIn(ctx), current_phase: null, status: 'canceled' });
  for (const type of scheduleMachine.events('abort', 'canceled')) emit(ctx, type, aborted);
});

react('customer.deleted', "a deleted customer's schedules that have not started are canceled", (ctx, event) => {
  for (const p of ctx.world.indexed('subscription_schedule', 'customer', indexKey(event.data.object.id))) {
    const s = ctx.world.at<SubscriptionSchedule>('subscription_schedule', p);
    if (s.status !== 'not_started') continue;
    const canceled = ctx.world.replace<SubscriptionSchedule>({ ...s, canceled_at: nowIn(ctx), status: 'canceled' });
    for (const type of scheduleMachine.events('cancel', 'canceled')) emit(ctx, type, canceled);
  }
});

// --- the resource -----------------------------------------------------------------------

/** The list's date filters, each read among the schedules of the one status that sets the date. */
const DATE_FILTERS = [['canceled_at', 'canceled'], ['completed_at', 'completed'], ['released_at', 'released']] as const;

export const subscriptionSchedules = defineResource<'subscription_schedule', SubscriptionSchedule>({
  object: 'subscription_schedule',
  prefix: 'sub_sched',
  path: '/v1/subscription_schedules',
  create: createSchedule,
  defaults: { default_settings: DEFAULT_SETTINGS, end_behavior: 'release', metadata: EMPTY, pause_schedules: [], phases: [] },
  events: { created: 'subscription_schedule.created' },
  filters: ['customer'],
  indexes: ['customer', 'status'],
  // Schedules of clock customers are listed with their clock or their customer only (Stripe's list docs).
  clockScoped: { shownBy: ['customer'] },
  routes: { list: false },
}).with(
  route('GET', '/v1/subscription_schedules', { list: 'subscription_schedule' }, (ctx, params) => {
    unsupportedParams('GET /v1/subscription_schedules', params, ['customer_account']);
    const dated = DATE_FILTERS.filter(([field]) => params[field] != null);
    const scheduled = params.scheduled as boolean | undefined;
    const keep = (s: SubscriptionSchedule) =>
      (scheduled === undefined || (s.status === 'not_started') === scheduled) && dated.every(([field]) => s[field] !== null && inRange(s[field], params[field] as Range));
    const status = scheduled ? 'not_started' : dated[0]?.[1];
    return subscriptionSchedules.list(ctx, params, '/v1/subscription_schedules', keep, status ? { status } : {});
  }),
  route('POST', '/v1/subscription_schedules/{schedule}', 'subscription_schedule', (ctx, params, path) => updateSchedule(ctx, subscriptionSchedules.find(ctx, path.schedule), params)),
  route('POST', '/v1/subscription_schedules/{schedule}/release', 'subscription_schedule', (ctx, _p, path) => releaseSchedule(ctx, subscriptionSchedules.find(ctx, path.schedule))),
  route('POST', '/v1/subscription_schedules/{schedule}/cancel', 'subscription_schedule', (ctx, params, path) => cancelSchedule(ctx, subscriptionSchedules.find(ctx, path.schedule), params)),
);
