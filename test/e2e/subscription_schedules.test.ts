import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// Subscription schedules (src/resources/billing/subscription_schedules.ts) through
// the SDK: phases on test clocks creating then updating the subscription, the
// schedule's end (release or cancel), expiring, release, cancel, update,
// from_subscription, the list filters and the refusals.

const DAY = 86400;
const T0 = 1767225600; // 2026-01-01T00:00:00Z: the harness's frozen world time
const FEB1 = 1769904000;
const MAR1 = 1772323200;
const APR1 = 1775001600;

const FIELDS = [
  'id', 'object', 'application', 'billing_mode', 'canceled_at', 'completed_at', 'created', 'current_phase', 'customer', 'customer_account',
  'default_settings', 'end_behavior', 'livemode', 'metadata', 'pause_schedules', 'phases', 'released_at', 'released_subscription', 'status',
  'subscription', 'test_clock',
];
const PHASE_FIELDS = [
  'add_invoice_items', 'application_fee_percent', 'automatic_tax', 'billing_cycle_anchor', 'billing_thresholds', 'collection_method', 'currency',
  'default_payment_method', 'default_tax_rates', 'description', 'discounts', 'end_date', 'invoice_settings', 'items', 'metadata', 'on_behalf_of',
  'proration_behavior', 'start_date', 'transfer_data', 'trial_end',
];

async function typesSince(stripe: Stripe, since: string | undefined): Promise<string[]> {
  const all: Stripe.Event[] = [];
  for await (const e of stripe.events.list({ limit: 100 })) all.push(e);
  all.reverse();
  const noise = new Set(['balance.available', 'charge.updated']);
  return all.slice(all.findIndex((e) => e.id === since) + 1).map((e) => e.type).filter((type) => !noise.has(type));
}
const mark = async (stripe: Stripe) => (await stripe.events.list({ limit: 1 })).data[0]?.id;

describe.each(MODES)('subscription schedules (%s)', (mode) => {
  const t = useHarness(mode);

  /** A product with two monthly prices, and a customer with a card (on `clock` when given). */
  async function setup(clock?: string) {
    const product = await t.stripe.products.create({ name: 'Newspaper' });
    const basic = await t.stripe.prices.create({ product: product.id, unit_amount: 1000, currency: 'usd', recurring: { interval: 'month' } });
    const premium = await t.stripe.prices.create({ product: product.id, unit_amount: 2500, currency: 'usd', recurring: { interval: 'month' } });
    const customer = await t.stripe.customers.create({ email: 'reader@example.com', ...(clock ? { test_clock: clock } : {}) });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    return { product, basic, premium, customer };
  }
  const newClock = () => t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const advance = (clock: string, to: number) => t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });

  it('starts now: the subscription first (schedule set, first invoice a draft), the package shape, recorded events', async () => {
    const { basic, premium, customer } = await setup();
    const start = await mark(t.stripe);
    const schedule = await t.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      metadata: { plan: 'intro' },
      phases: [
        { items: [{ price: basic.id }], end_date: FEB1, metadata: { phase: 'intro' } },
        { items: [{ price: premium.id, quantity: 2 }], duration: { interval: 'month', interval_count: 2 } },
      ],
    });
    expect(Object.keys(schedule)).toEqual(FIELDS);
    expect(schedule.id).toMatch(/^sub_sched_1[A-Za-z0-9]{23}$/);
    expect(schedule).toMatchObject({
      object: 'subscription_schedule', status: 'active', end_behavior: 'release', created: T0, customer: customer.id, metadata: { plan: 'intro' },
      current_phase: { start_date: T0, end_date: FEB1 }, canceled_at: null, completed_at: null, released_at: null, released_subscription: null,
      test_clock: null, pause_schedules: [], application: null, customer_account: null,
      billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: T0 },
      default_settings: { billing_cycle_anchor: 'automatic', collection_method: 'charge_automatically', default_payment_method: null, invoice_settings: { days_until_due: null, issuer: { type: 'self' } } },
    });
    expect(Object.keys(schedule.phases[0])).toEqual(PHASE_FIELDS);
    expect(schedule.phases.map((p) => [p.start_date, p.end_date])).toEqual([[T0, FEB1], [FEB1, APR1]]);
    expect(schedule.phases[0]).toMatchObject({ currency: 'usd', proration_behavior: 'create_prorations', metadata: { phase: 'intro' }, trial_end: null, discounts: [], add_invoice_items: [] });
    expect(schedule.phases[1].items).toEqual([{ billing_thresholds: null, discounts: [], metadata: {}, plan: premium.id, price: premium.id, quantity: 2, tax_rates: [] }]);

    const sub = await t.stripe.subscriptions.retrieve(schedule.subscription as string, { expand: ['latest_invoice'] });
    expect(sub).toMatchObject({ status: 'active', schedule: schedule.id, metadata: { phase: 'intro' }, customer: customer.id });
    expect(sub.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[basic.id, 1]]);
    // Stripe's types: schedules start subscriptions whose first invoice begins as a draft.
    expect(sub.latest_invoice).toMatchObject({ status: 'draft', billing_reason: 'subscription_create', amount_due: 1000, auto_advance: true });
    expect(await typesSince(t.stripe, start)).toEqual(['customer.subscription.created', 'invoice.created', 'subscription_schedule.created']);
    const created = (await t.stripe.events.list({ type: 'subscription_schedule.created' })).data[0];
    expect(created.data.object).toEqual(schedule);
    expect(await t.stripe.subscriptionSchedules.retrieve(schedule.id)).toEqual(schedule);
    expect((await t.stripe.subscriptionSchedules.retrieve(schedule.id, { expand: ['subscription'] })).subscription).toMatchObject({ id: sub.id, object: 'subscription' });
  });

  it('on a test clock: a future start, a phase change before the renewal bills it, expiring 7 days ahead, end_behavior=cancel completes', async () => {
    const clock = await newClock();
    const { basic, premium, customer } = await setup(clock.id);
    const schedule = await t.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: T0 + 5 * DAY,
      end_behavior: 'cancel',
      phases: [
        { items: [{ price: basic.id }], duration: { interval: 'month' }, metadata: { tier: 'basic' } },
        { items: [{ price: premium.id, quantity: 2 }], duration: { interval: 'month', interval_count: 2 }, metadata: { tier: 'premium' } },
      ],
    });
    const FEB6 = T0 + 36 * DAY;
    const END = 1775433600; // 2026-04-06
    expect(schedule).toMatchObject({ status: 'not_started', subscription: null, current_phase: null, test_clock: clock.id });
    expect(schedule.phases.map((p) => [p.start_date, p.end_date])).toEqual([[T0 + 5 * DAY, FEB6], [FEB6, END]]);
    // Hidden from plain lists like its clock's subscriptions; shown with the customer or the clock.
    expect((await t.stripe.subscriptionSchedules.list()).data).toEqual([]);
    expect((await t.stripe.subscriptionSchedules.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([schedule.id]);

    let start = await mark(t.stripe);
    await advance(clock.id, T0 + 5 * DAY);
    const started = await t.stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(started).toMatchObject({ status: 'active', current_phase: { start_date: T0 + 5 * DAY, end_date: FEB6 } });
    const sub = await t.stripe.subscriptions.retrieve(started.subscription as string);
    expect(sub).toMatchObject({ start_date: T0 + 5 * DAY, schedule: schedule.id, test_clock: clock.id, metadata: { tier: 'basic' } });
    expect(await typesSince(t.stripe, start)).toEqual([
      'test_helpers.test_clock.advancing', 'customer.subscription.created', 'invoice.created', 'subscription_schedule.updated', 'test_helpers.test_clock.ready',
    ]);
    const updated = (await t.stripe.events.list({ type: 'subscription_schedule.updated' })).data[0];
    expect(updated.data.previous_attributes).toEqual({ current_phase: null, status: 'not_started', subscription: null });

    start = await mark(t.stripe);
    await advance(clock.id, FEB6 + 2 * 3600);
    const moved = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(moved.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[premium.id, 2]]);
    expect(moved.metadata).toEqual({ tier: 'premium' });
    // The phase is entered first, so the renewal at the same moment bills the new items.
    expect(moved.latest_invoice).toMatchObject({ billing_reason: 'subscription_cycle', amount_paid: 5000, status: 'paid' });
    expect((await typesSince(t.stripe, start)).slice(0, 7)).toEqual([
      'test_helpers.test_clock.advancing', 'invoice.finalized', 'payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'invoice.paid', 'invoice.payment_succeeded',
    ]);
    const atBoundary = (await typesSince(t.stripe, start)).slice(9, 13);
    expect(atBoundary).toEqual(['invoice.upcoming', 'customer.subscription.updated', 'subscription_schedule.updated', 'customer.subscription.updated']);
    expect((await t.stripe.subscriptionSchedules.retrieve(schedule.id)).current_phase).toEqual({ start_date: FEB6, end_date: END });

    await advance(clock.id, END - 7 * DAY - 1);
    expect((await t.stripe.events.list({ type: 'subscription_schedule.expiring' })).data).toHaveLength(0);
    await advance(clock.id, END - 7 * DAY);
    const [expiring] = (await t.stripe.events.list({ type: 'subscription_schedule.expiring' })).data;
    expect(expiring).toMatchObject({ created: END - 7 * DAY, request: { id: null }, data: { object: { id: schedule.id, status: 'active' } } });

    start = await mark(t.stripe);
    await advance(clock.id, END + DAY);
    const done = await t.stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(done).toMatchObject({ status: 'completed', completed_at: END, current_phase: null, subscription: sub.id, released_at: null });
    expect(await t.stripe.subscriptions.retrieve(sub.id)).toMatchObject({ status: 'canceled', ended_at: END, cancellation_details: { reason: 'cancellation_requested' } });
    const seen = await typesSince(t.stripe, start);
    expect(seen.slice(seen.indexOf('customer.subscription.deleted'))).toEqual(['customer.subscription.deleted', 'subscription_schedule.completed', 'test_helpers.test_clock.ready']);
    expect(await stripeError(t.stripe.subscriptionSchedules.cancel(schedule.id))).toMatchObject({
      statusCode: 400, type: 'StripeInvalidRequestError',
      message: 'You cannot cancel a subscription schedule that is currently in the `completed` status. It must be in `not_started, active` status to be canceled.',
    });
  });

  it('end_behavior=release: at the end the subscription goes on without the schedule, which shows released', async () => {
    const clock = await newClock();
    const { basic, customer } = await setup(clock.id);
    const schedule = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: T0, phases: [{ items: [{ price: basic.id }], duration: { interval: 'month', interval_count: 2 } }] });
    expect(schedule.phases[0]).toMatchObject({ start_date: T0, end_date: MAR1 });
    const start = await mark(t.stripe);
    await advance(clock.id, MAR1 + 2 * 3600);
    const done = await t.stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(done).toMatchObject({ status: 'released', released_at: MAR1, released_subscription: schedule.subscription, subscription: null, current_phase: null, completed_at: null });
    const sub = await t.stripe.subscriptions.retrieve(schedule.subscription as string, { expand: ['latest_invoice'] });
    expect(sub).toMatchObject({ status: 'active', schedule: null });
    expect(sub.latest_invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', period_end: MAR1 });
    const seen = await typesSince(t.stripe, start);
    expect(seen.filter((x) => x.startsWith('subscription_schedule.'))).toEqual(['subscription_schedule.expiring', 'subscription_schedule.completed']);
    const completed = seen.indexOf('subscription_schedule.completed');
    expect(seen[completed - 1]).toBe('customer.subscription.updated');
    expect((await t.stripe.events.list({ type: 'subscription_schedule.completed' })).data[0].data.object).toEqual(done);
  });

  it('release and cancel: the recorded events, the prorated final invoice, states that refuse', async () => {
    const { basic, customer } = await setup();
    const released = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: basic.id }] }] });
    let start = await mark(t.stripe);
    const out = await t.stripe.subscriptionSchedules.release(released.id);
    expect(out).toMatchObject({ status: 'released', released_at: T0, released_subscription: released.subscription, subscription: null, current_phase: null });
    expect(await typesSince(t.stripe, start)).toEqual(['subscription_schedule.updated', 'customer.subscription.updated', 'subscription_schedule.released']);
    expect(await t.stripe.subscriptions.retrieve(released.subscription as string)).toMatchObject({ status: 'active', schedule: null });
    expect(await stripeError(t.stripe.subscriptionSchedules.release(released.id))).toMatchObject({
      statusCode: 400,
      message: 'You cannot release a subscription schedule that is currently in the `released` status. It must be in `not_started, active` status to be released.',
    });

    // Canceled ten days in: the unused time credited on a draft, the subscription canceled, then the schedule.
    const control = t.h.control(t.key);
    const active = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: basic.id }] }] });
    await control.clock.advance(10 * DAY);
    start = await mark(t.stripe);
    const canceled = await t.stripe.subscriptionSchedules.cancel(active.id);
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: T0 + 10 * DAY, subscription: active.subscription, current_phase: null });
    expect(await typesSince(t.stripe, start)).toEqual(['invoiceitem.created', 'invoice.created', 'customer.subscription.deleted', 'subscription_schedule.canceled']);
    const sub = await t.stripe.subscriptions.retrieve(active.subscription as string, { expand: ['latest_invoice'] });
    expect(sub.status).toBe('canceled');
    const final = sub.latest_invoice as Stripe.Invoice;
    expect(final).toMatchObject({ status: 'draft', total: -677 });
    expect(final.lines.data.map((l) => [l.description, l.amount])).toEqual([['Unused time on Newspaper after 11 Jan 2026', -677]]);

    // Without proration nor a final invoice; and a schedule that has not started cancels alone.
    const quiet = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: basic.id }] }] });
    start = await mark(t.stripe);
    await t.stripe.subscriptionSchedules.cancel(quiet.id, { prorate: false, invoice_now: false });
    expect(await typesSince(t.stripe, start)).toEqual(['customer.subscription.deleted', 'subscription_schedule.canceled']);
    const later = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: T0 + 60 * DAY, phases: [{ items: [{ price: basic.id }] }] });
    start = await mark(t.stripe);
    expect(await t.stripe.subscriptionSchedules.cancel(later.id)).toMatchObject({ status: 'canceled', subscription: null, canceled_at: T0 + 10 * DAY });
    expect(await typesSince(t.stripe, start)).toEqual(['subscription_schedule.canceled']);
  });

  it('update: metadata and end_behavior, a current phase edited now with prorations, ended phases kept, a wrong start refused', async () => {
    const clock = await newClock();
    const { basic, premium, customer } = await setup(clock.id);
    const schedule = await t.stripe.subscriptionSchedules.create({
      customer: customer.id, start_date: 'now',
      phases: [{ items: [{ price: basic.id }], end_date: FEB1 }, { items: [{ price: premium.id }], end_date: MAR1 }],
    });
    await advance(clock.id, FEB1 + 10 * DAY);
    let start = await mark(t.stripe);
    const updated = await t.stripe.subscriptionSchedules.update(schedule.id, {
      metadata: { note: 'upgrade' },
      end_behavior: 'cancel',
      phases: [{ start_date: FEB1, items: [{ price: premium.id, quantity: 3 }], end_date: MAR1 }, { items: [{ price: basic.id }], duration: { interval: 'month' } }],
    });
    // The ended phase is kept though it was left out.
    expect(updated.phases.map((p) => [p.start_date, p.end_date, p.items[0].quantity])).toEqual([[T0, FEB1, 1], [FEB1, MAR1, 3], [MAR1, APR1, 1]]);
    expect(updated).toMatchObject({ metadata: { note: 'upgrade' }, end_behavior: 'cancel', current_phase: { start_date: FEB1, end_date: MAR1 } });
    // Recorded for an update of the current phase: the schedule, the prorations, the subscription.
    expect(await typesSince(t.stripe, start)).toEqual(['subscription_schedule.updated', 'invoiceitem.created', 'invoiceitem.created', 'customer.subscription.updated']);
    const event = (await t.stripe.events.list({ type: 'subscription_schedule.updated' })).data[0];
    expect(event.data.previous_attributes).toMatchObject({ end_behavior: 'release', metadata: { note: null } });
    expect((await t.stripe.subscriptions.retrieve(schedule.subscription as string)).items.data[0].quantity).toBe(3);

    expect(await stripeError(t.stripe.subscriptionSchedules.update(schedule.id, { phases: [{ start_date: FEB1 + DAY, items: [{ price: basic.id }] }] }))).toMatchObject({
      statusCode: 400, message: 'You can not modify the start date of the current phase.',
    });
    expect(await stripeError(t.stripe.subscriptionSchedules.update(schedule.id, { phases: [{ start_date: T0 - DAY, items: [{ price: basic.id }], end_date: FEB1 }, { items: [{ price: premium.id }], end_date: MAR1 }] }))).toMatchObject({
      statusCode: 400, message: 'You can not update a phase that has already ended.',
    });
    expect(await stripeError(t.stripe.subscriptionSchedules.update(schedule.id, { phases: [{ items: [{ price: basic.id }] }] }))).toMatchObject({
      statusCode: 400, code: 'parameter_missing', param: 'phases[0][start_date]',
    });

    // end_date=now ends the current phase at once: the next one starts now.
    start = await mark(t.stripe);
    const now = await t.stripe.subscriptionSchedules.update(schedule.id, {
      proration_behavior: 'none',
      phases: [{ start_date: FEB1, items: [{ price: premium.id, quantity: 3 }], end_date: 'now' }, { items: [{ price: basic.id }], duration: { interval: 'month' } }],
    });
    expect(now.current_phase).toEqual({ start_date: FEB1 + 10 * DAY, end_date: MAR1 + 10 * DAY });
    expect((await t.stripe.subscriptions.retrieve(schedule.subscription as string)).items.data.map((i) => [i.price.id, i.quantity])).toEqual([[basic.id, 1]]);
  });

  it('trials: a first trial phase starts trialing, a later one puts the subscription back in a trial; phase_start moves the anchor', async () => {
    const clock = await newClock();
    const { basic, premium, customer } = await setup(clock.id);
    const schedule = await t.stripe.subscriptionSchedules.create({
      customer: customer.id, start_date: 'now',
      phases: [
        { items: [{ price: basic.id }], trial: true, end_date: T0 + 14 * DAY },
        { items: [{ price: basic.id }], end_date: T0 + 20 * DAY },
        { items: [{ price: premium.id }], trial_end: T0 + 30 * DAY, end_date: T0 + 40 * DAY },
        { items: [{ price: premium.id }], billing_cycle_anchor: 'phase_start', duration: { interval: 'month' } },
      ],
    });
    expect(schedule.phases[0]).toMatchObject({ trial: true, trial_end: T0 + 14 * DAY });
    expect(schedule.phases[1]).not.toHaveProperty('trial');
    const subId = schedule.subscription as string;
    expect(await t.stripe.subscriptions.retrieve(subId, { expand: ['latest_invoice'] })).toMatchObject({ status: 'trialing', trial_end: T0 + 14 * DAY, latest_invoice: { amount_due: 0 } });

    await advance(clock.id, T0 + 14 * DAY + 2 * 3600);
    expect(await t.stripe.subscriptions.retrieve(subId, { expand: ['latest_invoice'] })).toMatchObject({ status: 'active', latest_invoice: { amount_paid: 1000, billing_reason: 'subscription_cycle' } });

    await advance(clock.id, T0 + 20 * DAY);
    const trialing = await t.stripe.subscriptions.retrieve(subId);
    expect(trialing).toMatchObject({ status: 'trialing', trial_start: T0 + 20 * DAY, trial_end: T0 + 30 * DAY, billing_cycle_anchor: T0 + 30 * DAY });
    expect(trialing.items.data.map((i) => [i.price.id, i.current_period_start, i.current_period_end])).toEqual([[premium.id, T0 + 20 * DAY, T0 + 30 * DAY]]);
    // The paid time left of the basic period is credited.
    const credits = await t.stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(credits.data.map((i) => i.description)).toEqual(['Unused time on Newspaper after 21 Jan 2026']);

    await advance(clock.id, T0 + 30 * DAY + 2 * 3600);
    expect(await t.stripe.subscriptions.retrieve(subId)).toMatchObject({ status: 'active' });
    await advance(clock.id, T0 + 40 * DAY);
    const anchored = await t.stripe.subscriptions.retrieve(subId, { expand: ['latest_invoice'] });
    expect(anchored.billing_cycle_anchor).toBe(T0 + 40 * DAY);
    expect(anchored.items.data[0]).toMatchObject({ current_period_start: T0 + 40 * DAY });
    // The period left is credited and the new one billed at once as the subscription's own line (as recorded for billing_cycle_anchor=now).
    const bill = anchored.latest_invoice as Stripe.Invoice;
    expect(bill).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    expect(bill.lines.data.map((l) => l.description)).toEqual(['Unused time on Newspaper after 10 Feb 2026', '1 × Newspaper (at $25.00 / month)']);
    expect(bill.lines.data[1].amount).toBe(2500);
  });

  it('a subscription canceled directly or by dunning aborts its schedule; one with a schedule cannot be paused', async () => {
    const clock = await newClock();
    const { basic, customer } = await setup(clock.id);
    const first = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: basic.id }], duration: { interval: 'month', interval_count: 6 } }] });
    expect(await stripeError(t.stripe.subscriptions.pause(first.subscription as string))).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    const start = await mark(t.stripe);
    await t.stripe.subscriptions.cancel(first.subscription as string);
    expect(await typesSince(t.stripe, start)).toEqual(['customer.subscription.deleted', 'subscription_schedule.aborted']);
    expect(await t.stripe.subscriptionSchedules.retrieve(first.id)).toMatchObject({ status: 'canceled', canceled_at: T0, current_phase: null });

    // A card that declines at the renewal: past_due, the retries, then the final cancel aborts the schedule.
    const second = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: basic.id }], duration: { interval: 'month', interval_count: 6 } }] });
    await advance(clock.id, T0 + 2 * 3600);
    const failing = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
    await advance(clock.id, FEB1 + 20 * DAY);
    expect(await t.stripe.subscriptions.retrieve(second.subscription as string)).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    expect(await t.stripe.subscriptionSchedules.retrieve(second.id)).toMatchObject({ status: 'canceled' });
    expect((await t.stripe.events.list({ type: 'subscription_schedule.aborted' })).data.map((e) => (e.data.object as Stripe.SubscriptionSchedule).id)).toEqual([second.id, first.id]);
  });

  it('from_subscription: one phase for the current period, released at its end; alone only', async () => {
    const { basic, customer } = await setup();
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id, quantity: 2 }], description: 'kept' });
    const start = await mark(t.stripe);
    const schedule = await t.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(schedule).toMatchObject({
      status: 'active', subscription: sub.id, customer: customer.id, end_behavior: 'release',
      current_phase: { start_date: T0, end_date: FEB1 }, default_settings: { description: 'kept', collection_method: 'charge_automatically' },
    });
    expect(schedule.phases).toHaveLength(1);
    expect(schedule.phases[0]).toMatchObject({ start_date: T0, end_date: FEB1, items: [{ price: basic.id, quantity: 2 }] });
    expect(await typesSince(t.stripe, start)).toEqual(['subscription_schedule.created', 'customer.subscription.updated']);
    expect((await t.stripe.subscriptions.retrieve(sub.id)).schedule).toBe(schedule.id);
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ from_subscription: sub.id }))).toMatchObject({ statusCode: 400, param: 'from_subscription' });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ from_subscription: sub.id, phases: [{ items: [{ price: basic.id }] }] }))).toMatchObject({ statusCode: 400, param: 'phases' });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ from_subscription: 'sub_missing' }))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'from_subscription' });
  });

  it('refuses what Stripe refuses (iterations is gone at endive) and answers 501 for what the twin does not model', async () => {
    const { basic, customer } = await setup();
    const base = { customer: customer.id, start_date: 'now' as const };
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ ...base, phases: [{ items: [{ price: basic.id }], iterations: 1 } as never] }))).toMatchObject({
      statusCode: 400, code: 'parameter_unknown', param: 'phases[0][iterations]', message: 'Received unknown parameter: phases[0][iterations]',
    });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ ...base, phases: [{ items: [{ price: basic.id }], end_date: FEB1, duration: { interval: 'month' } }] }))).toMatchObject({
      statusCode: 400, message: 'You may only specify one of these parameters: duration, end_date.',
    });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ start_date: 'now', phases: [{ items: [{ price: basic.id }] }] }))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'customer' });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ ...base, phases: [{ items: [{ price: 'price_missing' }] }] }))).toMatchObject({
      statusCode: 400, code: 'resource_missing', param: 'phases[0][items][0][price]',
    });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ ...base, phases: [{ items: [{ price: basic.id }], end_date: T0 - 1 }] }))).toMatchObject({ statusCode: 400, param: 'phases[0][end_date]' });
    expect(await stripeError(t.stripe.subscriptionSchedules.create({ ...base, phases: [{ items: [{ price: basic.id }], trial: true, billing_cycle_anchor: 'phase_start' }] }))).toMatchObject({
      statusCode: 400, param: 'phases[0][billing_cycle_anchor]',
    });
    for (const [params, param] of [
      [{ ...base, start_date: T0 - DAY, phases: [{ items: [{ price: basic.id }] }] }, undefined],
      [{ ...base, phases: [{ items: [{ price: basic.id }], add_invoice_items: [{ price: basic.id }] }] }, 'phases[0][add_invoice_items]'],
      [{ ...base, phases: [{ items: [{ price: basic.id }] }], default_settings: { application_fee_percent: 5 } }, 'default_settings[application_fee_percent]'],
      [{ ...base, end_behavior: 'renew', phases: [{ items: [{ price: basic.id }] }] }, 'end_behavior'],
    ] as const) {
      const error = await stripeError(t.stripe.subscriptionSchedules.create(params as never));
      expect(error).toMatchObject({ statusCode: 501, type: 'StripeAPIError' });
      expect(error.raw).toMatchObject({ fidelity: 'unsupported', ...(param ? { param } : {}) });
    }
    expect((await t.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toEqual([]);
    expect(await stripeError(t.stripe.subscriptionSchedules.retrieve('sub_sched_missing'))).toMatchObject({
      statusCode: 404, code: 'resource_missing', param: 'id', message: "No such subscription_schedule: 'sub_sched_missing'",
    });
  });

  it('lists newest first by customer, scheduled, and canceled_at / released_at / completed_at', async () => {
    const { basic, customer } = await setup();
    const other = await t.stripe.customers.create({});
    const phases = [{ items: [{ price: basic.id }] }];
    const running = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases });
    const future = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: T0 + DAY, phases });
    const canceled = await t.stripe.subscriptionSchedules.create({ customer: other.id, start_date: T0 + DAY, phases });
    await t.stripe.subscriptionSchedules.cancel(canceled.id);
    const released = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases });
    await t.stripe.subscriptionSchedules.release(released.id);
    const ids = (list: Stripe.ApiList<Stripe.SubscriptionSchedule>) => list.data.map((s) => s.id);
    expect(ids(await t.stripe.subscriptionSchedules.list())).toEqual([released.id, canceled.id, future.id, running.id]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ customer: customer.id }))).toEqual([released.id, future.id, running.id]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ scheduled: true }))).toEqual([future.id]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ scheduled: false }))).toEqual([released.id, canceled.id, running.id]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ canceled_at: { gte: T0 } }))).toEqual([canceled.id]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ released_at: T0 }))).toEqual([released.id]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ released_at: { lt: T0 } }))).toEqual([]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ completed_at: { gte: 0 } }))).toEqual([]);
    expect(ids(await t.stripe.subscriptionSchedules.list({ limit: 1, starting_after: released.id }))).toEqual([canceled.id]);
  });

  it("the Stripe CLI's expiring script: expiring comes 7 days before the end, after the script's advance", async () => {
    // The script's calls (test/fixtures/cli_triggers.json), with a card so that the subscription lives on.
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: 1577836800, name: '(created by Stripe CLI)' });
    const customer = await t.stripe.customers.create({ description: '(created by Stripe CLI)', test_clock: clock.id });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const product = await t.stripe.products.create({ name: 'myproduct', description: '(created by Stripe CLI)' });
    const price = await t.stripe.prices.create({ product: product.id, unit_amount: 1500, currency: 'usd', recurring: { interval: 'month' } });
    const schedule = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 1577836800, end_behavior: 'cancel', phases: [{ items: [{ price: price.id, quantity: 1 }], end_date: 1580256000 }] });
    expect(schedule.status).toBe('active');
    await advance(clock.id, 1579478400); // the script's advance: 2020-01-20, nine days before the end
    expect((await t.stripe.events.list({ type: 'subscription_schedule.expiring' })).data).toHaveLength(0);
    await advance(clock.id, 1580256000 - 7 * DAY);
    expect((await t.stripe.events.list({ type: 'subscription_schedule.expiring' })).data).toHaveLength(1);
  });
});
