import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// Invoices, invoice items and invoice payments (src/resources/billing/invoices.ts):
// the manual flow the Stripe CLI's invoice triggers use, the totals arithmetic
// on recorded examples, and Stripe's refusals.

/** The newest event's id: a mark to read the events after. */
const mark = async (stripe: Stripe) => (await stripe.events.list({ limit: 1 })).data[0]?.id;
/** Event types after `since`, oldest first. */
async function types(stripe: Stripe, since: string | undefined): Promise<string[]> {
  const all = (await stripe.events.list({ limit: 100 })).data.reverse();
  return all.slice(all.findIndex((e) => e.id === since) + 1).map((e) => e.type);
}

describe.each(MODES)('invoices (%s)', (mode) => {
  const t = useHarness(mode);

  async function customerWith(pm = 'pm_card_visa') {
    const customer = await t.stripe.customers.create({ email: 'jane@example.com', name: 'Jane' });
    const attached = await t.stripe.paymentMethods.attach(pm, { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
    return { customer, pm: attached };
  }

  it('draft with a pending item, finalized and paid: numbers, amounts, payments and events in order', async () => {
    const { customer } = await customerWith();
    const item = await t.stripe.invoiceItems.create({ customer: customer.id, amount: 2000, currency: 'usd', description: 'Setup' });
    expect(item).toMatchObject({ object: 'invoiceitem', amount: 2000, invoice: null, proration: false, quantity: 1, discountable: true });
    expect(item.pricing?.price_details?.price).toMatch(/^price_/);
    const draft = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    expect(draft).toMatchObject({ status: 'draft', number: null, auto_advance: false, billing_reason: 'manual', amount_due: 2000, subtotal: 2000, total: 2000, ending_balance: null, hosted_invoice_url: null });
    expect(draft.lines.data).toHaveLength(1);
    expect(draft.lines.data[0].parent).toMatchObject({ type: 'invoice_item_details', invoice_item_details: { invoice_item: item.id, proration: false } });
    expect((await t.stripe.invoiceItems.retrieve(item.id)).invoice).toBe(draft.id);
    expect(Object.keys(draft)).not.toContain('payments');

    const start = await mark(t.stripe);
    const paid = await t.stripe.invoices.pay(draft.id, { expand: ['payments'] });
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 2000, amount_remaining: 0, attempted: true, attempt_count: 1, ending_balance: 0 });
    expect(paid.number).toBe(`${customer.invoice_prefix}-0001`);
    expect(paid.hosted_invoice_url).toMatch(/^https:\/\/invoice\.stripe\.com\/i\/acct_\w+\/test_\w+\?s=ap$/);
    expect(paid.payments!.data[0]).toMatchObject({ object: 'invoice_payment', amount_paid: 2000, amount_requested: 2000, is_default: true, status: 'paid' });
    const pi = paid.payments!.data[0].payment.payment_intent as string;
    expect(await t.stripe.paymentIntents.retrieve(pi)).toMatchObject({ status: 'succeeded', amount: 2000, customer: customer.id });
    expect((await t.stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: pi } })).data.map((p) => p.invoice)).toEqual([paid.id]);
    const seen = await types(t.stripe, start);
    expect(seen.filter((x) => !x.startsWith('charge.updated'))).toEqual([
      'invoice.finalized', 'payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded',
      'invoice.paid', 'invoice.payment_succeeded', 'invoice_payment.paid', 'invoice.updated',
    ]);
    expect((await stripeError(t.stripe.invoices.pay(paid.id))).message).toBe('Invoice is already paid');
    expect(await stripeError(t.stripe.invoices.update(paid.id, { collection_method: 'send_invoice' }))).toMatchObject({ statusCode: 400, message: "Finalized invoices can't be updated in this way" });
    const second = await t.stripe.invoices.create({ customer: customer.id });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: second.id, amount: 700, currency: 'usd' });
    expect((await t.stripe.invoices.finalizeInvoice(second.id)).number).toBe(`${customer.invoice_prefix}-0002`);
  });

  it('a declined charge: 402, the invoice stays open with the attempt counted', async () => {
    const { customer } = await customerWith('pm_card_chargeCustomerFail');
    await t.stripe.invoiceItems.create({ customer: customer.id, amount: 1500, currency: 'usd' });
    const draft = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    const start = await mark(t.stripe);
    const error = await stripeError(t.stripe.invoices.pay(draft.id));
    expect(error).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined' });
    const open = await t.stripe.invoices.retrieve(draft.id);
    expect(open).toMatchObject({ status: 'open', attempted: true, attempt_count: 1, amount_paid: 0 });
    expect((await types(t.stripe, start)).filter((x) => x.startsWith('invoice.') || x.endsWith('failed'))).toEqual([
      'invoice.finalized', 'charge.failed', 'payment_intent.payment_failed', 'invoice.payment_failed', 'invoice.updated',
    ]);
    const voided = await t.stripe.invoices.voidInvoice(open.id);
    expect(voided).toMatchObject({ status: 'void' });
    expect(voided.status_transitions.voided_at).not.toBeNull();
    const pi = (await t.stripe.invoicePayments.list({ invoice: open.id })).data[0];
    expect(pi.status).toBe('canceled');
    expect(await t.stripe.paymentIntents.retrieve(pi.payment.payment_intent as string)).toMatchObject({ status: 'canceled', cancellation_reason: 'void_invoice' });
  });

  it('taxes and totals as recorded: 15% inclusive on 4000 is 522 of tax; exclusive adds on top', async () => {
    const customer = await t.stripe.customers.create({});
    const inclusive = await t.stripe.taxRates.create({ display_name: 'VAT', inclusive: true, percentage: 15 });
    const exclusive = await t.stripe.taxRates.create({ display_name: 'Sales', inclusive: false, percentage: 8.5 });
    const invoice = await t.stripe.invoices.create({ customer: customer.id, default_tax_rates: [inclusive.id] });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 4000, currency: 'usd' });
    const withInclusive = await t.stripe.invoices.retrieve(invoice.id);
    expect(withInclusive).toMatchObject({ subtotal: 4000, total: 4000, total_excluding_tax: 3478, subtotal_excluding_tax: 3478, amount_due: 4000 });
    expect(withInclusive.total_taxes).toEqual([{ amount: 522, tax_behavior: 'inclusive', tax_rate_details: { tax_rate: inclusive.id }, taxability_reason: 'not_available', taxable_amount: 3478, type: 'tax_rate_details' }]);
    const item = await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 1000, currency: 'usd', tax_rates: [exclusive.id] });
    const both = await t.stripe.invoices.retrieve(invoice.id);
    expect(both).toMatchObject({ subtotal: 5000, total: 5085, amount_due: 5085 });
    await t.stripe.invoiceItems.del(item.id);
    expect((await t.stripe.invoices.retrieve(invoice.id)).total).toBe(4000);
  });

  it('out of band, uncollectible, send, delete, and the lines list', async () => {
    const customer = await t.stripe.customers.create({});
    const a = await t.stripe.invoices.create({ customer: customer.id });
    for (const amount of [100, 200, 300]) await t.stripe.invoiceItems.create({ customer: customer.id, invoice: a.id, amount, currency: 'usd' });
    const page = await t.stripe.invoices.listLineItems(a.id, { limit: 2 });
    expect(page).toMatchObject({ object: 'list', has_more: true, url: `/v1/invoices/${a.id}/lines` });
    expect(page.data.map((l) => l.amount)).toEqual([300, 200]);
    const finalized = await t.stripe.invoices.finalizeInvoice(a.id);
    expect(await t.stripe.invoices.markUncollectible(finalized.id)).toMatchObject({ status: 'uncollectible' });
    const oob = await t.stripe.invoices.pay(a.id, { paid_out_of_band: true });
    expect(oob).toMatchObject({ status: 'paid', amount_paid: 600, amount_remaining: 0 });
    const sent = await t.stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30 });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: sent.id, amount: 900, currency: 'usd' });
    const s = await t.stripe.invoices.sendInvoice(sent.id);
    expect(s.status).toBe('open');
    expect(s.due_date).toBe(s.status_transitions.finalized_at! + 30 * 86400);
    expect((await t.stripe.events.list({ type: 'invoice.sent' })).data[0].data.object).toMatchObject({ id: sent.id });
    const draft = await t.stripe.invoices.create({ customer: customer.id });
    const item = await t.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 50, currency: 'usd' });
    expect(await t.stripe.invoices.del(draft.id)).toEqual({ id: draft.id, object: 'invoice', deleted: true });
    expect((await t.stripe.invoiceItems.retrieve(item.id)).invoice).toBeNull();
    expect(await stripeError(t.stripe.invoices.retrieve(draft.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect((await t.stripe.invoices.list({ customer: customer.id, status: 'paid' })).data.map((i) => i.id)).toEqual([a.id]);
  });

  it('an auto-advancing draft finalizes an hour later on the clock and is charged', async () => {
    const { customer } = await customerWith();
    await t.stripe.invoiceItems.create({ customer: customer.id, amount: 3000, currency: 'usd' });
    const draft = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', auto_advance: true });
    expect(draft.automatically_finalizes_at).toBe(draft.created + 3600);
    await t.h.control(t.key).clock.advance(3599);
    expect((await t.stripe.invoices.retrieve(draft.id)).status).toBe('draft');
    await t.h.control(t.key).clock.advance(1);
    expect(await t.stripe.invoices.retrieve(draft.id)).toMatchObject({ status: 'paid', amount_paid: 3000, auto_advance: false });
  });
});
