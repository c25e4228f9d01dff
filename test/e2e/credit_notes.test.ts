import Stripe from 'stripe';
import { MODES, stripeError, useHarness } from '../helpers';

// Credit notes (src/resources/billing/credit_notes.ts) through the SDK: the
// recorded refund on a paid subscription invoice, the Stripe CLI's
// credit_note.created/updated/voided flows, pre- and post-payment splits,
// credits to the customer's balance, voiding, previews and Stripe's refusals.

/** The newest event's id: a mark to read the events after. */
const mark = async (stripe: Stripe) => (await stripe.events.list({ limit: 1 })).data[0]?.id;
/** Events after `since`, oldest first. */
async function eventsSince(stripe: Stripe, since: string | undefined): Promise<Stripe.Event[]> {
  const all = (await stripe.events.list({ limit: 100 })).data.reverse();
  return all.slice(all.findIndex((e) => e.id === since) + 1);
}
const typesSince = async (stripe: Stripe, since: string | undefined) => (await eventsSince(stripe, since)).map((e) => e.type);

const NOTE_KEYS = [
  'id', 'object', 'amount', 'amount_shipping', 'created', 'currency', 'customer', 'customer_account', 'customer_balance_transaction', 'discount_amount',
  'discount_amounts', 'effective_at', 'invoice', 'lines', 'livemode', 'memo', 'metadata', 'number', 'out_of_band_amount', 'pdf', 'post_payment_amount',
  'pre_payment_amount', 'pretax_credit_amounts', 'reason', 'refunds', 'shipping_cost', 'status', 'subtotal', 'subtotal_excluding_tax', 'total',
  'total_excluding_tax', 'total_taxes', 'type', 'voided_at',
];
const CUSTOM_LINE_KEYS = [
  'id', 'object', 'amount', 'description', 'discount_amount', 'discount_amounts', 'livemode', 'metadata', 'pretax_credit_amounts', 'quantity',
  'tax_rates', 'taxes', 'type', 'unit_amount', 'unit_amount_decimal',
];

describe.each(MODES)('credit notes (%s)', (mode) => {
  const t = useHarness(mode);

  /** The CLI's setup: a customer, a 2000 invoice item, an invoice that includes it, finalized (open, nothing charged). */
  async function openInvoice(amount = 2000) {
    const customer = await t.stripe.customers.create({ description: '(created by Stripe CLI)' });
    await t.stripe.invoiceItems.create({ amount, currency: 'usd', customer: customer.id, description: '(created by Stripe CLI)' });
    const invoice = await t.stripe.invoices.create({ customer: customer.id, description: '(created by Stripe CLI)', pending_invoice_items_behavior: 'include' });
    return { customer, invoice: await t.stripe.invoices.finalizeInvoice(invoice.id) };
  }

  /** A customer with a default card and an invoice of `amount` paid with it. */
  async function paidInvoice(amount = 2000) {
    const customer = await t.stripe.customers.create({ email: 'jane@example.com' });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    await t.stripe.invoiceItems.create({ amount, currency: 'usd', customer: customer.id, description: 'Seats' });
    const draft = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    return { customer, invoice: await t.stripe.invoices.pay(draft.id) };
  }

  const intentOf = async (invoice: string) => (await t.stripe.invoicePayments.list({ invoice })).data[0];

  it('the recorded case: refund_amount 500 on a paid 2500 subscription invoice refunds its charge (post_payment)', async () => {
    const product = await t.stripe.products.create({ name: 'Test Subscription' });
    const price = await t.stripe.prices.create({ product: product.id, unit_amount: 2500, currency: 'usd', recurring: { interval: 'month' } });
    const customer = await t.stripe.customers.create({ email: 'stripe@example.org', name: 'Stripe User' });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], expand: ['latest_invoice'] });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 2500 });

    const start = await mark(t.stripe);
    const note = await t.stripe.creditNotes.create({ invoice: invoice.id, refund_amount: 500, lines: [{ type: 'custom_line_item', description: 'Refund', quantity: 1, unit_amount: 500 }] });
    expect(Object.keys(note)).toEqual(NOTE_KEYS);
    expect(note.id).toMatch(/^cn_1\w{23}$/);
    expect(note).toMatchObject({
      object: 'credit_note', amount: 500, amount_shipping: 0, currency: 'usd', customer: customer.id, customer_account: null, customer_balance_transaction: null,
      discount_amount: 0, discount_amounts: [], effective_at: note.created, invoice: invoice.id, livemode: false, memo: null, metadata: {},
      number: `${invoice.number}-CN-01`, out_of_band_amount: null, post_payment_amount: 500, pre_payment_amount: 0, pretax_credit_amounts: [],
      reason: null, shipping_cost: null, status: 'issued', subtotal: 500, subtotal_excluding_tax: 500, total: 500, total_excluding_tax: 500,
      total_taxes: [], type: 'post_payment', voided_at: null,
    });
    expect(note.pdf).toMatch(/^https:\/\/pay\.stripe\.com\/credit_notes\/acct_\w+\/test_\w+\/pdf\?s=ap$/);
    expect(note.lines).toMatchObject({ object: 'list', has_more: false, url: `/v1/credit_notes/${note.id}/lines` });
    expect(Object.keys(note.lines.data[0])).toEqual(CUSTOM_LINE_KEYS);
    expect(note.lines.data[0]).toMatchObject({
      object: 'credit_note_line_item', amount: 500, description: 'Refund', discount_amount: 0, discount_amounts: [], livemode: false, pretax_credit_amounts: [],
      quantity: 1, tax_rates: [], taxes: [], type: 'custom_line_item', unit_amount: 500,
    });
    expect(String(note.lines.data[0].unit_amount_decimal)).toBe('500'); // the SDK reads decimal strings as Decimals
    expect(note.lines.data[0].id).toMatch(/^cnli_1\w{23}$/);
    expect(note.refunds).toHaveLength(1);
    expect(note.refunds[0]).toEqual({ amount_refunded: 500, payment_record_refund: null, refund: expect.stringMatching(/^re_/), type: 'refund' });
    const refund = await t.stripe.refunds.retrieve(note.refunds[0].refund as string);
    expect(refund).toMatchObject({ amount: 500, status: 'succeeded' });
    expect(await t.stripe.charges.retrieve(refund.charge as string)).toMatchObject({ amount_refunded: 500, refunded: false });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', amount_paid: 2500, post_payment_credit_notes_amount: 500, pre_payment_credit_notes_amount: 0 });
    expect(await typesSince(t.stripe, start)).toEqual(['charge.refunded', 'refund.created', 'credit_note.created', 'invoice.updated']);
    const created = (await t.stripe.events.list({ type: 'credit_note.created' })).data[0];
    expect(created.data.object).toEqual(JSON.parse(JSON.stringify(note)));
    const updated = (await t.stripe.events.list({ type: 'invoice.updated' })).data[0];
    expect(updated.data.previous_attributes).toEqual({ post_payment_credit_notes_amount: 0 });
    const expanded = await t.stripe.creditNotes.retrieve(note.id, { expand: ['refunds.refund', 'invoice'] });
    expect(expanded.refunds[0].refund).toMatchObject({ object: 'refund', id: refund.id });
    expect(expanded.invoice).toMatchObject({ object: 'invoice', id: invoice.id });
  });

  it('the CLI flows: created on an open invoice (pre_payment), updated, voided — the invoice and its PaymentIntent follow', async () => {
    const { customer, invoice } = await openInvoice();
    expect(invoice).toMatchObject({ status: 'open', amount_due: 2000, amount_remaining: 2000 });
    const payment = await intentOf(invoice.id);

    let start = await mark(t.stripe);
    const note = await t.stripe.creditNotes.create({ invoice: invoice.id, lines: [{ type: 'custom_line_item', unit_amount: 1000, quantity: 1, description: '(created by Stripe CLI)' }] });
    expect(note).toMatchObject({ type: 'pre_payment', pre_payment_amount: 1000, post_payment_amount: 0, amount: 1000, refunds: [], customer: customer.id, number: `${invoice.number}-CN-01` });
    expect(await typesSince(t.stripe, start)).toEqual(['credit_note.created', 'invoice.updated']);
    const invoiceUpdated = (await t.stripe.events.list({ type: 'invoice.updated' })).data[0];
    expect(invoiceUpdated.data.previous_attributes).toEqual({ amount_due: 2000, amount_remaining: 2000, pre_payment_credit_notes_amount: 0 });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', amount_due: 1000, amount_remaining: 1000, pre_payment_credit_notes_amount: 1000 });
    expect(await t.stripe.paymentIntents.retrieve(payment.payment.payment_intent as string)).toMatchObject({ amount: 1000, status: 'requires_payment_method' });
    expect((await intentOf(invoice.id)).amount_requested).toBe(1000);

    start = await mark(t.stripe);
    const updated = await t.stripe.creditNotes.update(note.id, { metadata: { foo: 'bar' }, memo: 'Thanks' });
    expect(updated).toMatchObject({ metadata: { foo: 'bar' }, memo: 'Thanks', status: 'issued' });
    const events = await eventsSince(t.stripe, start);
    expect(events.map((e) => e.type)).toEqual(['credit_note.updated']);
    expect(events[0].data.previous_attributes).toEqual({ memo: null, metadata: { foo: null } });
    expect(await stripeError(t.stripe.creditNotes.update(note.id, { reason: 'duplicate' } as never))).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'reason' });

    start = await mark(t.stripe);
    const voided = await t.stripe.creditNotes.voidCreditNote(note.id);
    expect(voided).toMatchObject({ status: 'void', metadata: { foo: 'bar' } });
    expect(voided.voided_at).toBe(voided.created);
    expect(await typesSince(t.stripe, start)).toEqual(['credit_note.voided', 'invoice.updated']);
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', amount_due: 2000, amount_remaining: 2000, pre_payment_credit_notes_amount: 0 });
    expect(await t.stripe.paymentIntents.retrieve(payment.payment.payment_intent as string)).toMatchObject({ amount: 2000 });
    const again = await stripeError(t.stripe.creditNotes.voidCreditNote(note.id));
    expect(again).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });

    // A second note takes the next number; paying collects only what is left.
    const second = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 500 });
    expect(second).toMatchObject({ number: `${invoice.number}-CN-02`, lines: { data: [] }, amount: 500, subtotal: 500, total: 500, type: 'pre_payment' });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const paid = await t.stripe.invoices.pay(invoice.id, { payment_method: pm.id });
    expect(paid).toMatchObject({ status: 'paid', amount_due: 1500, amount_paid: 1500, amount_remaining: 0, pre_payment_credit_notes_amount: 500 });
  });

  it('a note for all that is due marks an open invoice paid without a payment; it cannot be voided afterwards', async () => {
    const { invoice } = await openInvoice();
    const payment = await intentOf(invoice.id);
    const start = await mark(t.stripe);
    const note = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 2000, reason: 'order_change', memo: 'Cancelled order' });
    expect(note).toMatchObject({ type: 'pre_payment', pre_payment_amount: 2000, reason: 'order_change', memo: 'Cancelled order' });
    const after = await t.stripe.invoices.retrieve(invoice.id);
    expect(after).toMatchObject({ status: 'paid', amount_due: 0, amount_remaining: 0, amount_paid: 0, pre_payment_credit_notes_amount: 2000, auto_advance: false });
    expect(after.status_transitions.paid_at).toBe(note.created);
    expect(await typesSince(t.stripe, start)).toEqual(['credit_note.created', 'payment_intent.canceled', 'invoice.paid', 'invoice.updated']);
    expect(await t.stripe.paymentIntents.retrieve(payment.payment.payment_intent as string)).toMatchObject({ status: 'canceled' });
    expect((await intentOf(invoice.id)).status).toBe('canceled');
    expect(await stripeError(t.stripe.creditNotes.voidCreditNote(note.id))).toMatchObject({ statusCode: 400 });
    expect((await t.stripe.creditNotes.retrieve(note.id)).status).toBe('issued');
    // Nothing is left to credit.
    const more = await stripeError(t.stripe.creditNotes.create({ invoice: invoice.id, amount: 1, out_of_band_amount: 1 }));
    expect(more).toMatchObject({ statusCode: 400, param: 'amount' });
  });

  it('credit to the customer balance on a paid invoice, taken back when voided; refunds made stay refunded', async () => {
    const { customer, invoice } = await paidInvoice(3000);
    const line = invoice.lines.data[0];
    let start = await mark(t.stripe);
    const note = await t.stripe.creditNotes.create({ invoice: invoice.id, credit_amount: 1000, lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 1000 }] });
    expect(note).toMatchObject({ type: 'post_payment', pre_payment_amount: 0, post_payment_amount: 1000, amount: 1000, refunds: [] });
    expect(note.lines.data[0]).toMatchObject({ type: 'invoice_line_item', invoice_line_item: line.id, amount: 1000, quantity: null, unit_amount: null, unit_amount_decimal: null, description: 'Seats' });
    expect(Object.keys(note.lines.data[0])).toContain('invoice_line_item');
    expect(await typesSince(t.stripe, start)).toEqual(['customer.updated', 'credit_note.created', 'invoice.updated']);
    const txn = await t.stripe.customers.retrieveBalanceTransaction(customer.id, note.customer_balance_transaction as string);
    expect(txn).toMatchObject({ amount: -1000, type: 'credit_note', credit_note: note.id, invoice: invoice.id, ending_balance: -1000, currency: 'usd' });
    expect((await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: -1000 });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', post_payment_credit_notes_amount: 1000 });

    const refunded = await t.stripe.creditNotes.create({ invoice: invoice.id, refund_amount: 500, lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 500 }] });
    start = await mark(t.stripe);
    await t.stripe.creditNotes.voidCreditNote(note.id);
    await t.stripe.creditNotes.voidCreditNote(refunded.id);
    expect(await typesSince(t.stripe, start)).toEqual(['credit_note.voided', 'customer.updated', 'invoice.updated', 'credit_note.voided', 'invoice.updated']);
    expect((await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: 0 });
    const ledger = await t.stripe.customers.listBalanceTransactions(customer.id);
    expect(ledger.data.map((x) => [x.type, x.amount, x.credit_note])).toEqual([['credit_note', 1000, note.id], ['credit_note', -1000, note.id]]);
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ post_payment_credit_notes_amount: 0 });
    const refund = await t.stripe.refunds.retrieve(refunded.refunds[0].refund as string);
    expect(refund).toMatchObject({ amount: 500, status: 'succeeded' });
  });

  it('a mixed note: part lowers what is due, the rest is credited outside Stripe', async () => {
    const customer = await t.stripe.customers.create({});
    await t.stripe.customers.createBalanceTransaction(customer.id, { amount: -500, currency: 'usd' });
    await t.stripe.invoiceItems.create({ amount: 2000, currency: 'usd', customer: customer.id });
    const draft = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    const invoice = await t.stripe.invoices.finalizeInvoice(draft.id);
    expect(invoice).toMatchObject({ total: 2000, amount_due: 1500, amount_remaining: 1500 });
    const error = await stripeError(t.stripe.creditNotes.create({ invoice: invoice.id, amount: 2000 }));
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'out_of_band_amount' });
    const note = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 2000, out_of_band_amount: 500 });
    expect(note).toMatchObject({ type: 'mixed', pre_payment_amount: 1500, post_payment_amount: 500, out_of_band_amount: 500 });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', amount_remaining: 0, pre_payment_credit_notes_amount: 1500, post_payment_credit_notes_amount: 500 });
  });

  it('invoice line credits carry the line\'s tax in proportion; custom lines take their own tax rates', async () => {
    const customer = await t.stripe.customers.create({});
    const inclusive = await t.stripe.taxRates.create({ display_name: 'VAT', inclusive: true, percentage: 15 });
    const exclusive = await t.stripe.taxRates.create({ display_name: 'Sales', inclusive: false, percentage: 10 });
    const draft = await t.stripe.invoices.create({ customer: customer.id, default_tax_rates: [inclusive.id] });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 4000, currency: 'usd', description: 'Widgets' });
    const invoice = await t.stripe.invoices.finalizeInvoice(draft.id);
    const line = invoice.lines.data[0];

    const byAmount = await t.stripe.creditNotes.create({ invoice: invoice.id, lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 1000 }] });
    const tax = { amount: 130, tax_behavior: 'inclusive', tax_rate_details: { tax_rate: inclusive.id }, taxability_reason: 'not_available', taxable_amount: 870, type: 'tax_rate_details' };
    expect(byAmount).toMatchObject({ amount: 1000, subtotal: 1000, subtotal_excluding_tax: 870, total: 1000, total_excluding_tax: 870, total_taxes: [tax] });
    expect(byAmount.lines.data[0]).toMatchObject({ taxes: [tax], tax_rates: [{ id: inclusive.id, object: 'tax_rate', percentage: 15 }] });
    const whole = await stripeError(t.stripe.creditNotes.create({ invoice: invoice.id, lines: [{ type: 'invoice_line_item', invoice_line_item: line.id }] }));
    expect(whole).toMatchObject({ statusCode: 400, param: 'lines[0][quantity]' });

    const custom = await t.stripe.creditNotes.create({ invoice: invoice.id, lines: [{ type: 'custom_line_item', unit_amount: 500, quantity: 2, description: 'Goodwill', tax_rates: [exclusive.id] }] });
    expect(custom).toMatchObject({ amount: 1100, subtotal: 1000, total: 1100, total_excluding_tax: 1000, pre_payment_amount: 1100 });
    expect(custom.lines.data[0]).toMatchObject({ amount: 1000, quantity: 2, unit_amount: 500, taxes: [{ amount: 100, tax_behavior: 'exclusive', taxable_amount: 1000 }] });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ amount_remaining: 4000 - 1000 - 1100, pre_payment_credit_notes_amount: 2100 });
  });

  it('preview computes the same note, stores nothing and announces nothing; lines page through', async () => {
    const { invoice } = await openInvoice();
    const params = { invoice: invoice.id, lines: [1, 2, 3].map((n) => ({ type: 'custom_line_item' as const, unit_amount: n * 100, quantity: 1, description: `Line ${n}` })) };
    const start = await mark(t.stripe);
    const preview = await t.stripe.creditNotes.preview(params);
    expect(Object.keys(preview)).toEqual(NOTE_KEYS);
    expect(preview).toMatchObject({ amount: 600, type: 'pre_payment', status: 'issued', number: `${invoice.number}-CN-01` });
    const page = await t.stripe.creditNotes.listPreviewLineItems({ ...params, limit: 2 });
    expect(page).toMatchObject({ object: 'list', has_more: true, url: '/v1/credit_notes/preview/lines' });
    expect(page.data.map((l) => l.amount)).toEqual([100, 200]);
    expect(await typesSince(t.stripe, start)).toEqual([]);
    expect((await t.stripe.creditNotes.list({ invoice: invoice.id })).data).toEqual([]);
    expect(await stripeError(t.stripe.creditNotes.retrieve(preview.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ amount_remaining: 2000 });
    const note = await t.stripe.creditNotes.create(params);
    expect({ ...note, id: preview.id, created: preview.created, pdf: preview.pdf, lines: preview.lines }).toEqual(preview);
    const lines = await t.stripe.creditNotes.listLineItems(note.id, { limit: 2, starting_after: note.lines.data[0].id });
    expect(lines).toMatchObject({ has_more: false, url: `/v1/credit_notes/${note.id}/lines` });
    expect(lines.data.map((l) => l.description)).toEqual(['Line 2', 'Line 3']);
  });

  it('lists by invoice and customer, newest first; unknown ids are resource_missing', async () => {
    const a = await openInvoice();
    const b = await openInvoice();
    const n1 = await t.stripe.creditNotes.create({ invoice: a.invoice.id, amount: 100 });
    const n2 = await t.stripe.creditNotes.create({ invoice: b.invoice.id, amount: 200 });
    const n3 = await t.stripe.creditNotes.create({ invoice: a.invoice.id, amount: 300 });
    expect((await t.stripe.creditNotes.list()).data.map((n) => n.id)).toEqual([n3.id, n2.id, n1.id]);
    expect((await t.stripe.creditNotes.list({ invoice: a.invoice.id })).data.map((n) => n.id)).toEqual([n3.id, n1.id]);
    expect((await t.stripe.creditNotes.list({ customer: b.customer.id })).data.map((n) => n.id)).toEqual([n2.id]);
    expect(await t.stripe.creditNotes.list({ limit: 1 })).toMatchObject({ has_more: true, url: '/v1/credit_notes' });
    expect(await stripeError(t.stripe.creditNotes.retrieve('cn_missing'))).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: 'in_missing', amount: 1 }))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'invoice' });
    expect(await stripeError(t.stripe.creditNotes.list({ customer_account: 'acct_x' } as never))).toMatchObject({ statusCode: 501 });
  });

  it('refuses what Stripe refuses: drafts and void invoices, too much, unallocated post-payment amounts, bad lines', async () => {
    const customer = await t.stripe.customers.create({});
    const draft = await t.stripe.invoices.create({ customer: customer.id });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1000, currency: 'usd' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: draft.id, amount: 100 }))).toMatchObject({ statusCode: 400, param: 'invoice' });
    const open = await t.stripe.invoices.finalizeInvoice(draft.id);
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, amount: 1001, out_of_band_amount: 1 }))).toMatchObject({ statusCode: 400, param: 'amount' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id }))).toMatchObject({ statusCode: 400, param: 'amount' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, amount: 100, credit_amount: 100 }))).toMatchObject({ statusCode: 400, param: 'out_of_band_amount' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, amount: -5 }))).toMatchObject({ statusCode: 400, code: 'parameter_invalid_integer', param: 'amount' });
    const mismatch = await stripeError(t.stripe.creditNotes.create({ invoice: open.id, amount: 300, lines: [{ type: 'custom_line_item', unit_amount: 200 }] }));
    expect(mismatch).toMatchObject({ statusCode: 400, param: 'amount' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, lines: [{ type: 'custom_line_item', quantity: 1 }] }))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'lines[0][unit_amount]' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, lines: [{ type: 'invoice_line_item', invoice_line_item: 'il_missing' }] }))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'lines[0][invoice_line_item]' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, lines: [{ type: 'custom_line_item', unit_amount: 1, invoice_line_item: 'il_x' }] }))).toMatchObject({ statusCode: 400, param: 'lines[0][invoice_line_item]' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, lines: [{ type: 'gift' as never, unit_amount: 1 }] }))).toMatchObject({ statusCode: 400, param: 'lines[0][type]' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, refund: 're_x', amount: 1 } as never))).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'refund' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, amount: 1, shipping_cost: { shipping_rate: 'shr_x' } }))).toMatchObject({ statusCode: 501 });
    const taxAmounts = { type: 'custom_line_item' as const, unit_amount: 100, tax_amounts: [{ amount: 1, tax_rate: 'txr_x', taxable_amount: 100 }] };
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: open.id, lines: [taxAmounts] }))).toMatchObject({ statusCode: 501 });
    // Paid out of band: nothing to refund.
    const paid = await t.stripe.invoices.pay(open.id, { paid_out_of_band: true });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: paid.id, amount: 100, refund_amount: 100 }))).toMatchObject({ statusCode: 400, param: 'refund_amount' });
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: paid.id, amount: 100 }))).toMatchObject({ statusCode: 400, param: 'out_of_band_amount' });
    expect(await t.stripe.creditNotes.create({ invoice: paid.id, amount: 100, out_of_band_amount: 100 })).toMatchObject({ type: 'post_payment', out_of_band_amount: 100 });
    const voidable = await t.stripe.invoices.create({ customer: customer.id });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: voidable.id, amount: 1000, currency: 'usd' });
    await t.stripe.invoices.finalizeInvoice(voidable.id);
    await t.stripe.invoices.voidInvoice(voidable.id);
    expect(await stripeError(t.stripe.creditNotes.create({ invoice: voidable.id, amount: 100 }))).toMatchObject({ statusCode: 400, param: 'invoice' });
    expect((await t.stripe.creditNotes.list({ customer: customer.id })).data).toHaveLength(1);
  });

  it('links refunds already made to a note on a paid invoice', async () => {
    const { invoice } = await paidInvoice(2000);
    const payment = await intentOf(invoice.id);
    const refund = await t.stripe.refunds.create({ payment_intent: payment.payment.payment_intent as string, amount: 700 });
    const note = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 700, refunds: [{ refund: refund.id }] });
    expect(note.refunds).toEqual([{ amount_refunded: 700, payment_record_refund: null, refund: refund.id, type: 'refund' }]);
    expect((await t.stripe.refunds.list({ payment_intent: payment.payment.payment_intent as string })).data).toHaveLength(1);
    const other = await paidInvoice(1000);
    const foreign = await stripeError(t.stripe.creditNotes.create({ invoice: other.invoice.id, amount: 700, refunds: [{ refund: refund.id }] }));
    expect(foreign).toMatchObject({ statusCode: 400, param: 'refunds[0][refund]' });
    const tooMuch = await stripeError(t.stripe.creditNotes.create({ invoice: invoice.id, amount: 800, refunds: [{ refund: refund.id, amount_refunded: 800 }] }));
    expect(tooMuch).toMatchObject({ statusCode: 400, param: 'refunds[0][amount_refunded]' });
  });
});
