import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// Subscriptions (src/resources/billing/subscriptions.ts) through the SDK: create
// with each payment behaviour, trials, renewals and dunning on the world clock,
// updates with proration lines, cancellation, pause and resume.

const DAY = 86400;

async function typesSince(stripe: Stripe, since: string | undefined): Promise<string[]> {
  const all: Stripe.Event[] = [];
  for await (const e of stripe.events.list({ limit: 100 })) all.push(e);
  all.reverse();
  return all.slice(all.findIndex((e) => e.id === since) + 1).map((e) => e.type);
}
const mark = async (stripe: Stripe) => (await stripe.events.list({ limit: 1 })).data[0]?.id;

describe.each(MODES)('subscriptions (%s)', (mode) => {
  const t = useHarness(mode);
  const advance = (seconds: number) => t.h.control(t.key).clock.advance(seconds);

  async function setup(pm = 'pm_card_visa') {
    const product = await t.stripe.products.create({ name: 'Test Subscription', unit_label: 'user' });
    const price = await t.stripe.prices.create({ product: product.id, unit_amount: 2500, currency: 'usd', recurring: { interval: 'month' } });
    const customer = await t.stripe.customers.create({ email: 'jane@example.com' });
    const attached = await t.stripe.paymentMethods.attach(pm, { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
    return { product, price, customer, pm: attached };
  }

  it('creates active with the first invoice paid in the request, in the recorded shape, and events in order', async () => {
    const { price, customer } = await setup();
    const start = await mark(t.stripe);
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], expand: ['latest_invoice.payments'] });
    expect(sub).toMatchObject({ object: 'subscription', status: 'active', collection_method: 'charge_automatically', currency: 'usd', cancel_at_period_end: false, default_payment_method: null, quantity: 1 });
    expect(sub.id).toMatch(/^sub_1\w{23}$/);
    expect((sub as any).plan).toMatchObject({ id: price.id, object: 'plan', amount: 2500, interval: 'month' });
    const item = sub.items.data[0];
    expect(item).toMatchObject({ object: 'subscription_item', price: { id: price.id }, quantity: 1, subscription: sub.id, current_period_start: sub.start_date });
    expect(item.current_period_end - item.current_period_start).toBeGreaterThanOrEqual(28 * DAY);
    expect(sub.items.url).toBe(`/v1/subscription_items?subscription=${sub.id}`);
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_create', amount_paid: 2500, auto_advance: false, rendering: null, period_start: sub.start_date, period_end: sub.start_date });
    expect(invoice.lines.data[0]).toMatchObject({ description: '1 user × Test Subscription (at $25.00 / month)', amount: 2500, period: { start: item.current_period_start, end: item.current_period_end } });
    expect(invoice.parent).toEqual({ quote_details: null, subscription_details: { metadata: {}, subscription: sub.id }, type: 'subscription_details' });
    const pi = await t.stripe.paymentIntents.retrieve(invoice.payments!.data[0].payment.payment_intent as string);
    expect(pi).toMatchObject({ description: 'Subscription creation', setup_future_usage: 'off_session', status: 'succeeded', capture_method: 'automatic' });
    expect((await typesSince(t.stripe, start)).filter((x) => !x.startsWith('charge.updated'))).toEqual([
      'customer.subscription.created', 'invoice.created', 'invoice.finalized', 'payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded',
      'invoice.paid', 'customer.subscription.updated', 'invoice.payment_succeeded', 'invoice_payment.paid', 'invoice.updated',
    ]);
    expect((await t.stripe.subscriptionItems.list({ subscription: sub.id })).data.map((i) => i.id)).toEqual([item.id]);
    expect((await t.stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([sub.id]);
  });

  it('refuses a customer with nothing to charge (E38), creating nothing', async () => {
    const { price } = await setup();
    const bare = await t.stripe.customers.create({});
    const error = await stripeError(t.stripe.subscriptions.create({ customer: bare.id, items: [{ price: price.id }] }));
    expect(error).toMatchObject({ statusCode: 400, code: 'resource_missing' });
    expect(error.message).toMatch(/^This customer has no attached payment source or default payment method\./);
    expect((await t.stripe.subscriptions.list({ customer: bare.id })).data).toEqual([]);
  });

  it('a trial: $0 invoice paid, trial_will_end three days ahead, then active and charged an hour after the period rolls', async () => {
    const { price, customer } = await setup();
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 14, expand: ['latest_invoice'] });
    expect(sub).toMatchObject({ status: 'trialing', trial_start: sub.start_date, trial_end: sub.start_date + 14 * DAY, billing_cycle_anchor: sub.start_date + 14 * DAY });
    const first = sub.latest_invoice as Stripe.Invoice;
    expect(first).toMatchObject({ status: 'paid', amount_due: 0, total: 0 });
    expect(first.lines.data[0].description).toBe('Free trial for 1 user × Test Subscription');
    await advance(11 * DAY - 1);
    expect((await t.stripe.events.list({ type: 'customer.subscription.trial_will_end' })).data).toHaveLength(0);
    await advance(1);
    expect((await t.stripe.events.list({ type: 'customer.subscription.trial_will_end' })).data).toHaveLength(1);
    await advance(3 * DAY);
    const rolled = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(rolled.status).toBe('active');
    expect(rolled.latest_invoice).toMatchObject({ status: 'draft', billing_reason: 'subscription_cycle', amount_due: 2500, auto_advance: true });
    await advance(3600);
    expect(await t.stripe.invoices.retrieve((rolled.latest_invoice as Stripe.Invoice).id)).toMatchObject({ status: 'paid', amount_paid: 2500 });
  });

  it('a decline at renewal: past_due, retried on the schedule, then canceled with reason payment_failed', async () => {
    const { price, customer } = await setup();
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const failing = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
    const start = await mark(t.stripe);
    const end = sub.items.data[0].current_period_end;
    const now = (await t.h.control(t.key).clock.get()).now;
    await advance(end - now + 3600);
    const pastDue = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(pastDue.status).toBe('past_due');
    const invoice = pastDue.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, attempted: true });
    expect(invoice.next_payment_attempt).toBe(invoice.status_transitions.finalized_at! + 2 * DAY);
    const seen = (await typesSince(t.stripe, start)).filter((x) => !x.startsWith('charge.updated') && x !== 'balance.available');
    expect(seen).toEqual([
      'invoice.upcoming', 'customer.subscription.updated', 'invoice.created', 'invoice.finalized', 'payment_intent.created', 'charge.failed',
      'payment_intent.payment_failed', 'invoice.payment_failed', 'customer.subscription.updated', 'invoice.updated',
    ]);
    await advance(14 * DAY);
    const canceled = await t.stripe.subscriptions.retrieve(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    expect((await t.stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(8);
  });

  it('default_incomplete waits for the client to confirm the invoice PaymentIntent; unconfirmed, it expires after 23 hours', async () => {
    const { price, customer, pm } = await setup();
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete', expand: ['latest_invoice.confirmation_secret'] });
    expect(sub.status).toBe('incomplete');
    const secret = (sub.latest_invoice as Stripe.Invoice).confirmation_secret!.client_secret;
    const piId = secret.split('_secret_')[0];
    await t.stripe.paymentIntents.confirm(piId, { payment_method: pm.id });
    expect((await t.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');

    const other = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete' });
    await advance(23 * 3600);
    expect(await t.stripe.subscriptions.retrieve(other.id)).toMatchObject({ status: 'incomplete_expired' });
    expect((await t.stripe.invoices.retrieve(other.latest_invoice as string)).status).toBe('void');
  });

  it('error_if_incomplete answers the decline and keeps nothing; allow_incomplete keeps an incomplete subscription', async () => {
    const { price, customer } = await setup('pm_card_chargeCustomerFail');
    const error = await stripeError(t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'error_if_incomplete' }));
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined' });
    expect((await t.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(0);
    const kept = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(kept.status).toBe('incomplete');
  });

  it('a price swap with always_invoice bills the recorded proration lines at once', async () => {
    const { product, price, customer } = await setup();
    const yearly = await t.stripe.prices.create({ product: product.id, unit_amount: 25000, currency: 'usd', recurring: { interval: 'year' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const updated = await t.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: yearly.id }], proration_behavior: 'always_invoice', expand: ['latest_invoice'] });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    const lines = invoice.lines.data.map((l) => [l.description, l.amount, l.parent?.invoice_item_details?.proration]);
    expect(lines).toHaveLength(2);
    expect(lines[0][0]).toMatch(/^Unused time on Test Subscription after \d+ \w{3} \d{4}$/);
    expect(lines[0][1]).toBe(-2500);
    expect(lines[1][0]).toMatch(/^Remaining time on Test Subscription after /);
    expect(lines[1][1]).toBe(25000);
    expect(invoice.total).toBe(22500);
  });

  it('create_preview: the next renewal, or a change with its proration lines; nothing stored, nothing announced', async () => {
    const { product, price, customer } = await setup();
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const pricier = await t.stripe.prices.create({ product: product.id, unit_amount: 5000, currency: 'usd', recurring: { interval: 'month' } });
    const before = await mark(t.stripe);
    const next = await t.stripe.invoices.createPreview({ subscription: sub.id });
    expect(next.id).toMatch(/^upcoming_in_/);
    expect(next).toMatchObject({ object: 'invoice', status: 'draft', billing_reason: 'upcoming', amount_due: 2500, period_start: sub.items.data[0].current_period_start });
    expect(next.lines.data[0]).toMatchObject({ amount: 2500, period: { start: sub.items.data[0].current_period_end } });
    expect(next.lines.data[0].id).toMatch(/^il_tmp_/);
    const change = await t.stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { items: [{ id: sub.items.data[0].id, price: pricier.id }], proration_date: sub.start_date } });
    expect(change.lines.data.map((l) => l.amount)).toEqual([-2500, 5000, 5000]);
    expect(change.lines.data[0].description).toMatch(/^Unused time on Test Subscription after /);
    expect(change.total).toBe(7500);
    expect(await typesSince(t.stripe, before)).toEqual([]);
    expect((await t.stripe.invoices.list({ customer: customer.id })).data).toHaveLength(1);
    const bare = await t.stripe.customers.create({});
    expect(await stripeError(t.stripe.invoices.createPreview({ customer: bare.id }))).toMatchObject({ statusCode: 400, code: 'invoice_upcoming_none' });
  });

  it('a future billing_cycle_anchor bills the first, shorter period in proportion; default_incomplete with a trial makes a pending SetupIntent; pause_collection resumes by itself', async () => {
    const { price, customer, pm } = await setup();
    const now = (await t.h.control(t.key).clock.get()).now;
    const anchored = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], billing_cycle_anchor: now + 10 * DAY, expand: ['latest_invoice'] });
    expect(anchored).toMatchObject({ billing_cycle_anchor: now + 10 * DAY, status: 'active' });
    expect(anchored.items.data[0].current_period_end).toBe(now + 10 * DAY);
    const first = anchored.latest_invoice as Stripe.Invoice;
    // 10 days of a month that ends at the anchor (the month before it has 31 days here).
    expect(first.lines.data[0].amount).toBe(Math.round((2500 * 10) / 31));
    expect(first.lines.data[0].parent?.subscription_item_details?.proration).toBe(true);

    const trial = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 7, payment_behavior: 'default_incomplete' });
    expect(trial.pending_setup_intent).toMatch(/^seti_/);
    await t.stripe.setupIntents.confirm(trial.pending_setup_intent as string, { payment_method: pm.id });
    expect((await t.stripe.subscriptions.retrieve(trial.id)).pending_setup_intent).toBeNull();

    const paused = await t.stripe.subscriptions.update(anchored.id, { pause_collection: { behavior: 'void', resumes_at: now + DAY } });
    expect(paused.pause_collection).toEqual({ behavior: 'void', resumes_at: now + DAY });
    await advance(DAY);
    expect((await t.stripe.subscriptions.retrieve(anchored.id)).pause_collection).toBeNull();
  });

  it('cancel at period end, undo it, cancel now; pause and resume', async () => {
    const { price, customer } = await setup();
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const scheduled = await t.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(scheduled).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: sub.items.data[0].current_period_end, cancellation_details: { reason: 'cancellation_requested' } });
    expect(scheduled.canceled_at).not.toBeNull();
    const undone = await t.stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    expect(undone).toMatchObject({ cancel_at: null, canceled_at: null, cancellation_details: { reason: null } });
    const paused = await t.stripe.subscriptions.pause(sub.id);
    expect(paused.status).toBe('paused');
    const resumed = await t.stripe.subscriptions.resume(sub.id);
    expect(resumed.status).toBe('active');
    const canceled = await t.stripe.subscriptions.cancel(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', cancel_at_period_end: false });
    expect(canceled.ended_at).not.toBeNull();
    expect((await t.stripe.events.list({ type: 'customer.subscription.deleted' })).data[0].data.object).toMatchObject({ id: sub.id });
    expect(await stripeError(t.stripe.subscriptions.update(sub.id, { description: 'x' }))).toMatchObject({ statusCode: 400, code: 'invalid_canceled_subscription_fields' });
    expect((await t.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await t.stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data).toHaveLength(1);
  });
});

describe.each(MODES)('subscriptions on a test clock (%s)', (mode) => {
  const t = useHarness(mode);

  it('a year on a test clock: twelve renewals, each invoiced, paid and dated by the clock, before advance returns', async () => {
    const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: 1767225600, name: 'year' });
    const product = await t.stripe.products.create({ name: 'Plan' });
    const price = await t.stripe.prices.create({ product: product.id, unit_amount: 1000, currency: 'usd', recurring: { interval: 'month' } });
    const customer = await t.stripe.customers.create({ test_clock: clock.id });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub).toMatchObject({ test_clock: clock.id, start_date: 1767225600, status: 'active' });
    expect((await t.stripe.subscriptions.list()).data.map((s) => s.id)).not.toContain(sub.id);
    expect((await t.stripe.subscriptions.list({ test_clock: clock.id } as never)).data.map((s) => s.id)).toEqual([sub.id]);

    const advanced = await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 365 * DAY + 7200 });
    expect(advanced.status).toBe('advancing');
    expect((await t.stripe.testHelpers.testClocks.retrieve(clock.id)).status).toBe('ready');
    const invoices = await t.stripe.invoices.list({ customer: customer.id, limit: 100 });
    expect(invoices.data).toHaveLength(13);
    expect(invoices.data.every((i) => i.status === 'paid' && i.test_clock === clock.id)).toBe(true);
    expect(invoices.data.map((i) => i.billing_reason).filter((r) => r === 'subscription_cycle')).toHaveLength(12);
    // Calendar months from the anchor: 2027-01-01 is the twelfth boundary.
    expect((await t.stripe.subscriptions.retrieve(sub.id)).items.data[0].current_period_start).toBe(Date.UTC(2027, 0, 1) / 1000);
    const upcoming = (await t.stripe.events.list({ type: 'invoice.upcoming', limit: 100 })).data;
    expect(upcoming).toHaveLength(12);
    expect(upcoming.every((e) => e.request?.id === null)).toBe(true);
  });
});
