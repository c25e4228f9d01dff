import Stripe from 'stripe';
import { HttpWebhookDispatcher } from '../../src';
import { handleRequest } from '../../src/server/pipeline';
import { cli, freshKey, keyOf, MODES, raw, RawResponse, stripeError, useHarness } from '../helpers';
import { Receiver } from '../webhook_receiver';

// API versions (docs/versions.md): the same objects at several Stripe-Versions,
// through the official SDK (apiVersion per client) and raw HTTP; the account's
// default version (seed, control surface, serve); events at the account's
// version, a webhook endpoint at its own; idempotent replays byte for byte.

const V2020 = '2020-08-27';
const V2022 = '2022-11-15';
const V2023 = '2023-10-16';
const V2024 = '2024-06-20';
const ACACIA = '2024-12-18.acacia';
const BASIL = '2025-03-31.basil';
const ENDIVE = '2026-10-28.endive';

describe.each(MODES)('API versions (%s)', (mode) => {
  const t = useHarness(mode);
  /** A client of the test's world pinned at `version` (stripe-node sends it as Stripe-Version). */
  const at = (version: string) => t.h.stripe(keyOf(t.stripe), { apiVersion: version as any });
  /** A raw request to the test's world, over HTTP or straight into the pipeline. */
  const call = async (method: string, path: string, options: { version?: string; body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> => {
    const headers: Record<string, string> = { ...options.headers, ...(options.version ? { 'Stripe-Version': options.version } : {}) };
    if (t.h.url) return raw(t.h.url, method, path, { key: keyOf(t.stripe), body: options.body, headers });
    const lower = Object.fromEntries(Object.entries({ ...headers, authorization: `Bearer ${keyOf(t.stripe)}` }).map(([k, v]) => [k.toLowerCase(), v]));
    if (options.body !== undefined) lower['content-type'] = 'application/x-www-form-urlencoded';
    const res = await handleRequest(t.h.twin.engine, { method, url: path, headers: lower, readBody: async () => Buffer.from(options.body ?? '') });
    const out: Record<string, string> = {};
    for (let i = 0; i < res.headers.length; i += 2) out[res.headers[i].toLowerCase()] = res.headers[i + 1];
    let json: any;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: out, body: res.body, json };
  };
  const admin = (method: string, path: string, body?: unknown) => t.h.admin(method, path, body, keyOf(t.stripe));

  it('shapes one PaymentIntent for each version: charges list before 2022-11-15, latest_charge only after', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    const old = (await at(V2020).paymentIntents.retrieve(pi.id)) as any;
    expect(old.charges).toMatchObject({ object: 'list', has_more: false, total_count: 1, url: `/v1/charges?payment_intent=${pi.id}` });
    expect(old.charges.data[0]).toMatchObject({ id: pi.latest_charge, object: 'charge', refunds: { object: 'list', data: [], total_count: 0 } });
    expect(old.latest_charge).toBe(pi.latest_charge); // additive: kept (docs/versions.md)
    expect(old.invoice).toBeNull();
    expect(old.lastResponse.apiVersion).toBe(V2020);
    for (const version of [V2022, V2023, V2024, ACACIA]) {
      const shaped = (await at(version).paymentIntents.retrieve(pi.id)) as any;
      expect([version, 'charges' in shaped, shaped.invoice]).toEqual([version, false, null]);
    }
    for (const version of [BASIL, ENDIVE]) expect('invoice' in ((await at(version).paymentIntents.retrieve(pi.id)) as any)).toBe(false);
    // Raw: the same object, byte for byte as the SDK's version would read it.
    const rawOld = await call('GET', `/v1/payment_intents/${pi.id}`, { version: V2020 });
    expect(rawOld.headers['stripe-version']).toBe(V2020);
    expect(Object.keys(rawOld.json)).toContain('charges');
    expect(Object.keys((await call('GET', `/v1/payment_intents/${pi.id}`, { version: V2022 })).json)).not.toContain('charges');
  });

  it('includes a charge\'s refunds before 2022-11-15 only, and they follow the charge', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    const refund = await t.stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    const old = (await at(V2020).charges.retrieve(pi.latest_charge as string)) as any;
    expect(old.refunds).toEqual({ object: 'list', data: [expect.objectContaining({ id: refund.id, amount: 500 })], has_more: false, total_count: 1, url: `/v1/charges/${pi.latest_charge}/refunds` });
    expect('refunds' in ((await at(V2022).charges.retrieve(pi.latest_charge as string)) as any)).toBe(false);
    expect(((await at(V2022).charges.retrieve(pi.latest_charge as string, { expand: ['refunds'] })) as any).refunds.total_count).toBe(1);
  });

  it('defaults new intents by the request\'s version: card only before 2023-08-16, automatic capture before 2024-04-10', async () => {
    const create = (version: string) => at(version).paymentIntents.create({ amount: 1000, currency: 'usd' }) as Promise<any>;
    const shapes = await Promise.all([V2020, V2022, V2023, V2024, ENDIVE].map(async (v) => {
      const pi = await create(v);
      return [v, pi.payment_method_types, pi.automatic_payment_methods, pi.capture_method];
    }));
    expect(shapes).toEqual([
      [V2020, ['card'], null, 'automatic'],
      [V2022, ['card'], null, 'automatic'],
      [V2023, ['card'], { allow_redirects: 'always', enabled: true }, 'automatic'],
      [V2024, ['card'], { allow_redirects: 'always', enabled: true }, 'automatic_async'],
      [ENDIVE, ['card'], { allow_redirects: 'always', enabled: true }, 'automatic_async'],
    ]);
    const si = (await at(V2022).setupIntents.create({})) as any;
    expect([si.payment_method_types, si.automatic_payment_methods]).toEqual([['card'], null]);
    // Sent explicitly, a parameter wins at every version.
    expect(((await at(V2020).paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'manual' })) as any).capture_method).toBe('manual');
  });

  it('shapes invoices and subscriptions before basil: payment_intent, charge, paid, subscription, line prices, periods', async () => {
    const customer = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const invoiceId = sub.latest_invoice as string;
    const acacia = (await at(ACACIA).invoices.retrieve(invoiceId)) as any;
    expect(acacia).toMatchObject({ paid: true, paid_out_of_band: false, subscription: sub.id, tax: null, total_tax_amounts: [], discount: null });
    expect('rendering_options' in acacia).toBe(false); // removed at 2024-04-10
    expect(((await at(V2023).invoices.retrieve(invoiceId)) as any).rendering_options).toBeNull();
    expect(acacia.payment_intent).toMatch(/^pi_/);
    expect(acacia.charge).toMatch(/^ch_/);
    expect(acacia.parent.subscription_details.subscription).toBe(sub.id); // additive: kept
    const line = acacia.lines.data[0];
    expect(line).toMatchObject({ type: 'subscription', subscription: sub.id, proration: false, tax_amounts: [], tax_rates: [], price: { id: price.id, object: 'price' }, plan: { id: price.id, object: 'plan', aggregate_usage: null } });
    expect(line.subscription_item).toMatch(/^si_/);
    expect('invoice_item' in line).toBe(false);
    const basil = (await at(BASIL).invoices.retrieve(invoiceId)) as any;
    for (const key of ['paid', 'payment_intent', 'charge', 'subscription', 'tax', 'discount']) expect([key, key in basil]).toEqual([key, false]);
    expect(['type', 'price', 'plan'].map((k) => k in basil.lines.data[0])).toEqual([false, false, false]);
    // A field the version no longer has cannot be expanded; at acacia it can.
    expect(((await at(ACACIA).invoices.retrieve(invoiceId, { expand: ['payment_intent'] })) as any).payment_intent).toMatchObject({ object: 'payment_intent', invoice: invoiceId });
    const gone = await call('GET', `/v1/invoices/${invoiceId}?expand[]=payment_intent`, { version: BASIL });
    expect([gone.status, gone.json.error.message]).toEqual([400, "This property cannot be expanded because it doesn't exist: payment_intent."]);
    // The subscription's period sits on it before basil, on its items from basil.
    const oldSub = (await at(ACACIA).subscriptions.retrieve(sub.id)) as any;
    expect(oldSub.current_period_start).toBe(sub.items.data[0].current_period_start);
    expect(oldSub.discount).toBeNull();
    expect('current_period_start' in ((await at(BASIL).subscriptions.retrieve(sub.id)) as any)).toBe(false);
    // The PaymentIntent and its charge name their invoice before basil.
    expect(((await at(ACACIA).paymentIntents.retrieve(acacia.payment_intent)) as any).invoice).toBe(invoiceId);
    expect(((await at(ACACIA).charges.retrieve(acacia.charge)) as any).invoice).toBe(invoiceId);
  });

  it('reads expand[] paths at the request\'s version: latest_invoice.payment_intent at 2020-08-27', async () => {
    const customer = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 900, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
    // The 2020 way: a legacy top-level plan, and the invoice's PaymentIntent expanded (pay-rails/pay).
    const sub = (await at(V2020).subscriptions.create({ customer: customer.id, plan: price.id, expand: ['latest_invoice.payment_intent'] } as any)) as any;
    expect(sub.items.data).toHaveLength(1);
    const intent = sub.latest_invoice.payment_intent;
    expect(intent).toMatchObject({ object: 'payment_intent', status: 'succeeded', invoice: sub.latest_invoice.id, charges: { total_count: 1 } });
    expect(sub.latest_invoice.paid).toBe(true);
    // The charge's invoice, and that invoice's subscription, expanded at 2020-08-27 (a capture's path).
    const charge = (await at(V2020).charges.retrieve(intent.charges.data[0].id, { expand: ['invoice.subscription'] })) as any;
    expect(charge.invoice).toMatchObject({ id: sub.latest_invoice.id, subscription: { id: sub.id, object: 'subscription' } });
  });

  it('counts lists with expand[]=total_count before basil only', async () => {
    for (let i = 0; i < 3; i++) await t.stripe.customers.create();
    const old = await call('GET', '/v1/customers?limit=2&expand[]=total_count', { version: ACACIA });
    expect(old.status).toBe(200);
    expect(Object.keys(old.json)).toEqual(['object', 'data', 'has_more', 'total_count', 'url']);
    expect(old.json).toMatchObject({ total_count: 3, has_more: true });
    expect(old.json.data).toHaveLength(2);
    const sdkOld = (await at(V2020).customers.list({ limit: 1, expand: ['total_count'] })) as any;
    expect(sdkOld.total_count).toBe(3);
    const basil = await call('GET', '/v1/customers?expand[]=total_count', { version: BASIL });
    expect(basil.status).toBe(400);
    expect(basil.json.error).toMatchObject({ type: 'invalid_request_error', code: 'property_forbidden', param: 'expand' });
    expect((await call('GET', '/v1/customers')).json).not.toHaveProperty('total_count');
  });

  it('renames fields and parameters both ways: Product features, PromotionCode and Discount coupon, Checkout ui_mode', async () => {
    const product = (await at(V2023).products.create({ name: 'Kit', features: [{ name: 'Fast' }] } as any)) as any;
    expect(product.features).toEqual([{ name: 'Fast' }]);
    expect('marketing_features' in product).toBe(false);
    expect((await t.stripe.products.retrieve(product.id)).marketing_features).toEqual([{ name: 'Fast' }]);
    const coupon = await t.stripe.coupons.create({ percent_off: 10, duration: 'forever' });
    const code = (await at(BASIL).promotionCodes.create({ coupon: coupon.id, code: 'TEN' } as any)) as any;
    expect(code.coupon).toMatchObject({ id: coupon.id, object: 'coupon', percent_off: 10 });
    expect((await t.stripe.promotionCodes.retrieve(code.id)).promotion).toEqual({ coupon: coupon.id, type: 'coupon' });
    const customer = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product: product.id });
    const sub = (await at(ACACIA).subscriptions.create({ customer: customer.id, items: [{ price: price.id }], coupon: coupon.id } as any)) as any;
    expect(sub.discount).toMatchObject({ object: 'discount', coupon: { id: coupon.id, object: 'coupon' } });
    const session = (await at('2026-02-25.clover').checkout.sessions.create({ mode: 'payment', ui_mode: 'hosted', success_url: 'https://example.com/ok', line_items: [{ price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Tee' } }, quantity: 1 }] } as any)) as any;
    expect(session.ui_mode).toBe('hosted');
    expect((await t.stripe.checkout.sessions.retrieve(session.id)).ui_mode).toBe('hosted_page');
  });

  it('endive: Checkout payment_method_types and string billing_cycle_anchor only from older versions', async () => {
    const line = { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Tee' } }, quantity: 1 };
    const session = (await at('2026-08-26.dahlia').checkout.sessions.create({ mode: 'payment', payment_method_types: ['card'], success_url: 'https://example.com/ok', line_items: [line] } as any)) as any;
    expect([session.payment_method_types, session.allowed_payment_method_types]).toEqual([['card'], ['card']]);
    const refused = await stripeError(t.stripe.checkout.sessions.create({ mode: 'payment', payment_method_types: ['card'], success_url: 'https://example.com/ok', line_items: [line] } as any));
    expect(refused).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'payment_method_types' });
    const customer = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await admin('POST', '/__admin__/clock/advance', { duration: '15d' });
    const reset = (await at('2026-08-26.dahlia').subscriptions.update(sub.id, { billing_cycle_anchor: 'now' } as any)) as any;
    expect(reset.billing_cycle_anchor).toBeGreaterThan(sub.billing_cycle_anchor);
    const unchanged = await t.stripe.subscriptions.update(sub.id, { billing_cycle_anchor: { type: 'unchanged' } } as any);
    expect(unchanged.billing_cycle_anchor).toBe(reset.billing_cycle_anchor);
    const stringAtEndive = await call('POST', `/v1/subscriptions/${sub.id}`, { body: 'billing_cycle_anchor=now' });
    expect([stringAtEndive.status, stringAtEndive.json.error.param]).toEqual([400, 'billing_cycle_anchor']);
  });

  it('endive: PaymentIntents and SetupIntents refuse payment_method_types on every write that took it; older versions take it', async () => {
    // stripe-node 23 no longer types the parameter, so the params are cast.
    const CARD = { payment_method_types: ['card'] } as {};
    const refusal = { statusCode: 400, rawType: 'invalid_request_error', code: 'payment_method_types_no_longer_supported', param: 'payment_method_types' };
    for (const version of ['2026-09-30.endive', ENDIVE]) {
      const endive = at(version);
      const before = (await t.stripe.paymentIntents.list({ limit: 100 })).data.length;
      expect(await stripeError(endive.paymentIntents.create({ amount: 2000, currency: 'usd', ...CARD }))).toMatchObject(refusal);
      expect((await t.stripe.paymentIntents.list({ limit: 100 })).data).toHaveLength(before);
      const pi = await endive.paymentIntents.create({ amount: 2000, currency: 'usd', allowed_payment_method_types: ['card'] });
      expect(await stripeError(endive.paymentIntents.update(pi.id, { ...CARD }))).toMatchObject(refusal);
      expect(await stripeError(endive.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa', ...CARD }))).toMatchObject(refusal);
      expect(await t.stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ status: 'requires_payment_method', payment_method: null });
      // The endive form: a card-only intent confirms without a return_url.
      expect(await endive.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' })).toMatchObject({ status: 'succeeded', payment_method_types: ['card'] });
      expect(await stripeError(endive.setupIntents.create({ ...CARD }))).toMatchObject(refusal);
      const si = await endive.setupIntents.create({ allowed_payment_method_types: ['card'] } as Stripe.SetupIntentCreateParams);
      expect(await stripeError(endive.setupIntents.update(si.id, { ...CARD }))).toMatchObject(refusal);
      expect(await t.stripe.setupIntents.retrieve(si.id)).toMatchObject({ status: 'requires_payment_method', payment_method_types: ['card'] });
    }
    for (const version of ['2026-08-26.dahlia', V2020]) {
      const older = at(version);
      const pi = await older.paymentIntents.create({ amount: 2000, currency: 'usd', ...CARD });
      expect(pi).toMatchObject({ payment_method_types: ['card'], automatic_payment_methods: null });
      expect((await older.paymentIntents.update(pi.id, { payment_method_types: ['card', 'link'] } as {})).payment_method_types).toEqual(['card', 'link']);
      expect(await older.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa', ...CARD })).toMatchObject({ status: 'succeeded', payment_method_types: ['card'] });
      const si = await older.setupIntents.create({ ...CARD });
      expect(si.payment_method_types).toEqual(['card']);
      expect((await older.setupIntents.update(si.id, { payment_method_types: ['card', 'link'] } as {})).payment_method_types).toEqual(['card', 'link']);
    }
    // A preview dated before endive sends it too: crypto deposits as Stripe documents them (docs/agents.md §1.6).
    const deposit = { amount: 100, currency: 'usd', payment_method_types: ['crypto'], payment_method_data: { type: 'crypto' }, payment_method_options: { crypto: { mode: 'deposit' } }, confirm: true } as {};
    expect(await t.stripe.paymentIntents.create(deposit as Stripe.PaymentIntentCreateParams, { apiVersion: '2026-03-04.preview' })).toMatchObject({ status: 'requires_action' });
  });

  it('clover: subscriptions classic before clover unless flexible is asked for; schedule phases by iterations', async () => {
    const customer = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month', interval_count: 3 }, product_data: { name: 'Quarterly' } });
    const classic = (await at(BASIL).subscriptions.create({ customer: customer.id, items: [{ price: price.id }] })) as any;
    expect(classic.billing_mode).toEqual({ flexible: null, type: 'classic' });
    const flexible = (await at(BASIL).subscriptions.create({ customer: customer.id, items: [{ price: price.id }], billing_mode: { type: 'flexible' } } as any)) as any;
    expect(flexible.billing_mode).toMatchObject({ flexible: { proration_discounts: 'included' }, type: 'flexible' });
    expect((await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] })).billing_mode.type).toBe('flexible');
    const schedule = (await at('2025-08-27.basil').subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: price.id }], iterations: 2 }] } as any)) as any;
    const phase = schedule.phases[0];
    // Two periods of a quarterly price: six months.
    expect(new Date(phase.end_date * 1000).getUTCMonth() - new Date(phase.start_date * 1000).getUTCMonth()).toBe(6 - (new Date(phase.start_date * 1000).getUTCMonth() >= 6 ? 12 : 0));
    expect(schedule.billing_mode.type).toBe('classic');
    expect((await t.stripe.subscriptions.retrieve(schedule.subscription)).billing_mode.type).toBe('classic');
    const unknown = await call('POST', '/v1/subscription_schedules', { body: `customer=${customer.id}&start_date=now&phases[0][items][0][price]=${price.id}&phases[0][iterations]=1` });
    expect([unknown.status, unknown.json.error.code, unknown.json.error.param]).toEqual([400, 'parameter_unknown', 'phases[0][iterations]']);
  });

  it('basil: a customer\'s coupon and promotion_code set, replace and remove its discount before basil only', async () => {
    const events = async (type: string) => (await t.stripe.events.list({ type })).data as any[];
    const coupon = await t.stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    const other = await t.stripe.coupons.create({ percent_off: 50, duration: 'once' });
    const customer = (await at(ACACIA).customers.create({ coupon: coupon.id } as any)) as any;
    expect(customer.discount).toMatchObject({ object: 'discount', customer: customer.id, coupon: { id: coupon.id } });
    expect((await events('customer.discount.created'))[0].data.object).toMatchObject({ id: customer.discount.id, object: 'discount' });
    expect((await events('customer.created'))[0].data.object.discount).toMatchObject({ id: customer.discount.id });
    const code = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: other.id }, code: 'HALF' });
    const replaced = (await at(ACACIA).customers.update(customer.id, { promotion_code: code.id } as any)) as any;
    expect(replaced.discount).toMatchObject({ promotion_code: code.id, coupon: { id: other.id } });
    expect(await events('customer.discount.updated')).toHaveLength(1);
    const removed = (await at(ACACIA).customers.update(customer.id, { coupon: '' } as any)) as any;
    expect(removed.discount).toBeNull();
    expect((await events('customer.discount.deleted'))[0].data.object.id).toBe(replaced.discount.id);
    await at(ACACIA).customers.update(customer.id, { coupon: coupon.id } as any);
    expect((await t.stripe.customers.deleteDiscount(customer.id)).deleted).toBe(true);
    expect(await stripeError(at(BASIL).customers.create({ coupon: coupon.id } as any))).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'coupon' });
    expect(await stripeError(at(ACACIA).customers.create({ coupon: 'nope' } as any))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'coupon' });
  });

  it('basil: the upcoming-invoice endpoints before basil only, answered by create_preview\'s engine in the old shape', async () => {
    const customer = await t.stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
    const bigger = await t.stripe.prices.create({ currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const item = sub.items.data[0].id;
    await admin('POST', '/__admin__/clock/advance', { duration: '10d' });
    const prorationDate = sub.items.data[0].current_period_start + 10 * 86400;
    // What stripe-node < 18's invoices.retrieveUpcoming sent; stripe-node 23 reaches it through rawRequest.
    const query = `customer=${customer.id}&subscription=${sub.id}&subscription_items[0][id]=${item}&subscription_items[0][price]=${bigger.id}&subscription_proration_date=${prorationDate}`;
    const old = at(V2020);
    const upcoming = (await old.rawRequest('GET', `/v1/invoices/upcoming?${query}`)) as any;
    expect(upcoming).toMatchObject({ object: 'invoice', subscription: sub.id, customer: customer.id, billing_reason: 'upcoming', paid: false });
    const preview = await t.stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id, subscription_details: { items: [{ id: item, price: bigger.id }], proration_date: prorationDate } });
    expect(upcoming.amount_due).toBe(preview.amount_due);
    expect(upcoming.lines.data.map((l: any) => [l.type, l.proration, l.amount])).toEqual(preview.lines.data.map((l) => [l.parent!.type === 'subscription_item_details' ? 'subscription' : 'invoiceitem', l.parent!.subscription_item_details?.proration ?? l.parent!.invoice_item_details?.proration, l.amount]));
    expect(upcoming.lines.data.some((l: any) => l.proration)).toBe(true);
    // A customer alone previews its one subscription's renewal, as old suites ask for it.
    const next = (await old.rawRequest('GET', `/v1/invoices/upcoming?customer=${customer.id}`)) as any;
    expect([next.subscription, next.amount_due]).toEqual([sub.id, 1000]);
    const lines = (await old.rawRequest('GET', `/v1/invoices/upcoming/lines?${query}&limit=1`)) as any;
    expect(lines).toMatchObject({ object: 'list', url: '/v1/invoices/upcoming/lines', has_more: true });
    expect(lines.data.map((l: any) => [l.object, l.amount, 'price' in l])).toEqual([['line_item', upcoming.lines.data[0].amount, true]]);
    // What the preview does not model answers 501 under the old name; from basil the endpoints are gone.
    const trial = await call('GET', `/v1/invoices/upcoming?${query}&subscription_trial_end=now`, { version: V2020 });
    expect([trial.status, trial.json.error.param]).toEqual([501, 'subscription_trial_end']);
    for (const path of ['/v1/invoices/upcoming', '/v1/invoices/upcoming/lines']) {
      const gone = await call('GET', `${path}?customer=${customer.id}`, { version: BASIL });
      expect([gone.status, gone.json.error.message]).toEqual([404, `Unrecognized request URL (GET: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`]);
    }
    expect((await stripeError(t.stripe.rawRequest('GET', `/v1/invoices/upcoming?customer=${customer.id}`))).statusCode).toBe(404);
  });

  it('2022-08-01: invoices take include_and_require before it, refused from it', async () => {
    const customer = await t.stripe.customers.create({ email: 'old@example.com' });
    await t.stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
    const invoice = (await at(V2020).invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include_and_require' } as any)) as any;
    expect([invoice.total, invoice.lines.data.length]).toEqual([700, 1]);
    const refused = await stripeError(at('2022-08-01').invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include_and_require' } as any));
    expect(refused).toMatchObject({ statusCode: 400, param: 'pending_invoice_items_behavior' });
  });

  it('2022-08-01: Checkout payment mode before it: ad-hoc line items, the PaymentIntent with the session, a customer always', async () => {
    const adHoc = { name: 'Tee', description: 'Cotton', amount: 2000, currency: 'usd', quantity: 2 };
    const session = (await at(V2020).checkout.sessions.create({ mode: 'payment', payment_method_types: ['card'], success_url: 'https://example.com/ok', cancel_url: 'https://example.com/no', line_items: [adHoc] } as any)) as any;
    expect(session).toMatchObject({ amount_total: 4000, currency: 'usd', customer: null, customer_creation: 'always' });
    expect(session.payment_intent).toMatch(/^pi_/);
    const pi = await t.stripe.paymentIntents.retrieve(session.payment_intent);
    expect(pi).toMatchObject({ amount: 4000, currency: 'usd', status: 'requires_payment_method', customer: null });
    const items = await t.stripe.checkout.sessions.listLineItems(session.id, { expand: ['data.price.product'] });
    expect(items.data[0]).toMatchObject({ description: 'Tee', quantity: 2, amount_total: 4000, price: { unit_amount: 2000, product: { name: 'Tee', description: 'Cotton' } } });
    const done = await t.h.control(keyOf(t.stripe)).checkout.complete(session.id, { payment_method: 'pm_card_visa' });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', payment_intent: session.payment_intent });
    expect(done.customer).toMatch(/^cus_/);
    expect((await t.stripe.paymentIntents.retrieve(session.payment_intent)).customer).toBe(done.customer);
    // From 2022-08-01: no intent until payment, a customer only if required, and ad-hoc line items are unknown.
    const line = { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Cap' } }, quantity: 1 };
    const current = (await at('2022-08-01').checkout.sessions.create({ mode: 'payment', payment_method_types: ['card'], success_url: 'https://example.com/ok', cancel_url: 'https://example.com/no', line_items: [line] } as any)) as any;
    expect([current.payment_intent, current.customer_creation]).toEqual([null, 'if_required']);
    const unknown = await stripeError(at('2022-08-01').checkout.sessions.create({ mode: 'payment', payment_method_types: ['card'], success_url: 'https://example.com/ok', cancel_url: 'https://example.com/no', line_items: [adHoc] } as any));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown' });
    expect(unknown.param).toMatch(/^line_items\[0\]\[(name|description|amount|currency)\]$/);
  });

  it('answers at the account\'s default version (seed, control surface) unless Stripe-Version says otherwise', async () => {
    expect((await admin('POST', '/__admin__/seed', { api_version: V2020, customers: [{ id: 'cus_old' }] })).status).toBe(200);
    const pi = await t.stripe.paymentIntents.create({ amount: 700, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    const unpinned = await call('GET', `/v1/payment_intents/${pi.id}`);
    expect(unpinned.headers['stripe-version']).toBe(V2020);
    expect(unpinned.json.charges.total_count).toBe(1);
    const pinned = await call('GET', `/v1/payment_intents/${pi.id}`, { version: ENDIVE });
    expect([pinned.headers['stripe-version'], 'charges' in pinned.json]).toEqual([ENDIVE, false]);
    expect(await admin('POST', '/__admin__/api_version', { api_version: V2022 })).toMatchObject({ status: 200, json: { api_version: V2022 } });
    const later = await call('GET', `/v1/payment_intents/${pi.id}`);
    expect([later.headers['stripe-version'], 'charges' in later.json]).toEqual([V2022, false]);
    expect((await t.h.control(keyOf(t.stripe)).setApiVersion(ACACIA)).api_version).toBe(ACACIA);
    expect((await admin('POST', '/__admin__/api_version', { api_version: '2024-12-18' })).status).toBe(400);
    expect((await admin('POST', '/__admin__/seed', { api_version: 'latest' })).status).toBe(400);
    // Stripe's refusal of an unknown version is unchanged.
    const bad = await call('GET', '/v1/customers', { version: '2099-01-01' });
    expect([bad.status, bad.json.error.message]).toEqual([400, 'Invalid Stripe API version: 2099-01-01']);
  });

  it('renders events at the account\'s version whatever the request\'s, and a webhook endpoint\'s payload at its own', async () => {
    const rx = await Receiver.start();
    const original = t.h.twin.engine.dispatcher;
    t.h.twin.engine.dispatcher = new HttpWebhookDispatcher();
    try {
      await admin('POST', '/__admin__/api_version', { api_version: V2020 });
      const ownVersion = await t.stripe.webhookEndpoints.create({ url: `${rx.url}/own`, enabled_events: ['payment_intent.succeeded'], api_version: BASIL as any });
      await t.stripe.webhookEndpoints.create({ url: `${rx.url}/account`, enabled_events: ['payment_intent.succeeded'] });
      const pi = await t.stripe.paymentIntents.create({ amount: 800, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
      expect('charges' in pi).toBe(false); // the SDK's own version (endive)
      const [event] = (await t.stripe.events.list({ type: 'payment_intent.succeeded' })).data;
      expect(event.api_version).toBe(V2020);
      expect((event.data.object as any).charges.total_count).toBe(1);
      const again = await t.stripe.events.retrieve(event.id, {}, { apiVersion: V2022 as any });
      expect([again.api_version, again.data]).toEqual([V2020, event.data]); // not re-rendered at the caller's version
      await admin('POST', '/__admin__/webhooks/drain');
      const byPath = Object.fromEntries(rx.received.map((r) => [r.path, JSON.parse(r.body)]));
      expect(byPath['/account'].api_version).toBe(V2020);
      expect(byPath['/account'].data.object.charges.data[0].id).toBe(pi.latest_charge);
      expect(byPath['/own'].api_version).toBe(BASIL);
      expect('charges' in byPath['/own'].data.object).toBe(false);
      expect(ownVersion.api_version).toBe(BASIL);
    } finally {
      t.h.twin.engine.dispatcher = original;
      await rx.close();
    }
  });

  it('replays an idempotent request\'s first bytes, request_log_url included, whatever the retry\'s version', async () => {
    const headers = { 'Idempotency-Key': `replay-${mode}` };
    const body = 'amount=900&currency=usd&payment_method=pm_card_visa&confirm=true';
    const first = await call('POST', '/v1/payment_intents', { version: V2020, body, headers });
    const again = await call('POST', '/v1/payment_intents', { version: V2020, body, headers });
    const other = await call('POST', '/v1/payment_intents', { version: ENDIVE, body, headers });
    expect(first.status).toBe(200);
    expect(again.body).toBe(first.body);
    expect(other.body).toBe(first.body);
    expect([again.headers['idempotent-replayed'], again.headers['stripe-version']]).toEqual(['true', V2020]);
    const declined = 'amount=900&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true';
    const d1 = await call('POST', '/v1/payment_intents', { version: V2022, body: declined, headers: { 'Idempotency-Key': `decline-${mode}` } });
    const d2 = await call('POST', '/v1/payment_intents', { version: V2022, body: declined, headers: { 'Idempotency-Key': `decline-${mode}` } });
    expect(d1.status).toBe(402);
    expect(d1.json.error.request_log_url).toContain(d1.headers['request-id']);
    expect(d2.body).toBe(d1.body);
    expect(d2.headers['request-id']).not.toBe(d1.headers['request-id']);
  });
});

describe('stripe-twin serve --api-version', () => {
  it('sets every account\'s default version, and refuses one Stripe never released', async () => {
    const run = cli(['serve', '--port', '0', '--seed', '1', '--api-version', V2022]);
    try {
      const [, url] = await run.until(/listening on (http:\/\/\S+) \(API version 2022-11-15/);
      const res = await raw(url, 'GET', '/v1/customers', { key: freshKey() });
      expect([res.status, res.headers['stripe-version']]).toEqual([200, V2022]);
    } finally {
      run.child.kill();
    }
    const bad = cli(['serve', '--port', '0', '--api-version', '2024-12-18']);
    expect(await bad.exited).not.toBe(0);
    expect(bad.out.err).toMatch(/--api-version: "2024-12-18" is not a Stripe API version/);
  });
});

// Keep the SDK's types in sight: an older pin is a string stripe-node accepts at run time.
export const pinned: Stripe.StripeConfig = { apiVersion: V2020 as any };
