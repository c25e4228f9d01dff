import { nowIn, onTestClock } from '../../engine/clock';
import { errors } from '../../engine/errors';
import { formatAmount } from '../../engine/money';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, unsupportedParams } from '../../engine/resource';
import { Ctx, indexKey } from '../../engine/world';
import { adjustCustomerBalance } from '../core/customer_balance';
import { Charge } from '../payments/charges';
import { Refund, refundCharge } from '../payments/refunds';
import { creditInvoice, documentToken, Invoice, invoiceCharge, InvoiceLine, pageOf } from './invoices';
import { LineTax, roundHalfUp, sumTaxes, taxOn, taxRateReader } from './totals';

// Credit notes (docs/billing.md §4.7; Stripe's types for credit notes and their
// lines; a recorded credit note at clover): a finalized invoice credited by
// lines (a part of an invoice line, or a custom line) or by a bare amount. The
// amount first lowers what is still due on the invoice (pre_payment_amount);
// the rest (post_payment_amount) must be exactly what is refunded (a new refund
// of the invoice's charge, or refunds already made), credited to the
// customer's balance and credited outside Stripe. Preview computes the same
// note and stores nothing. Voiding undoes the note's effect on the invoice and
// on the customer's balance; refunds it made stay refunded (twin choice, as
// the refund is a separate object with its own life).

export type CreditNote = Shaped<'credit_note'>;
type CreditNoteLine = Shaped<'credit_note_line_item'>;
type DiscountAmount = { amount: number; discount: string };

const NOTE_PARAMS = 'POST /v1/credit_notes';

/** A note's stored fields as computed from the request (not stored), with what creating it must still do. */
interface Computed {
  invoice: Invoice;
  values: Partial<CreditNote>;
  lines: CreditNoteLine[];
  /** A new refund of the invoice's charge (`refund_amount`). */
  refundAmount: number;
  /** Refunds already made, linked to the note (`refunds[]`). */
  linked: { amount_refunded: number; payment_record_refund: null; refund: string; type: 'refund' }[];
  creditAmount: number;
}

// --- computing a note ------------------------------------------------------------

/**
 * Refusals whose conditions come from Stripe's docs and types; every text here
 * is the twin's text, unverified (no recording or report quotes Stripe's), and
 * so are the params they name.
 */
const refuse = {
  notFinalized: (invoice: Invoice) =>
    errors.paramState(`Credit notes can only be issued for finalized invoices that are open, uncollectible or paid. This invoice is ${invoice.status}.`, 'invoice'),
  nothingToCredit: () => errors.paramState('One of amount, lines, or shipping_cost must be provided.', 'amount'),
  tooMuch: (total: number, left: number, currency: string) =>
    errors.paramState(
      `The credit note's total (${formatAmount(total, currency)}) is greater than the amount left to credit on the invoice (${formatAmount(left, currency)}).`,
      'amount',
    ),
  amountMismatch: (amount: number, total: number, currency: string) =>
    errors.paramState(`The amount (${formatAmount(amount, currency)}) does not match the total of the lines (${formatAmount(total, currency)}).`, 'amount'),
  postMismatch: (sum: number, post: number, currency: string) =>
    errors.paramState(
      `The sum of refund_amount, refunds, credit_amount and out_of_band_amount (${formatAmount(sum, currency)}) must equal the credit note's post_payment_amount (${formatAmount(post, currency)}).`,
      'out_of_band_amount',
    ),
  noCharge: (invoice: Invoice) => errors.paramState(`Invoice ${invoice.id} has no charge to refund.`, 'refund_amount'),
  foreignRefund: (refund: string, invoice: Invoice, param: string) => errors.paramState(`Refund ${refund} is not a refund of invoice ${invoice.id}'s charge.`, param),
  refundTooSmall: (refund: Refund, param: string) =>
    errors.paramState(`amount_refunded is greater than the refund's amount (${formatAmount(refund.amount, refund.currency)}).`, param),
  onlyFor: (param: string, type: string) => errors.paramState(`${param} is only valid when the line's type is ${type}.`, param),
  lineTooMuch: (line: InvoiceLine, param: string) =>
    errors.paramState(`The amount credited on invoice line item ${line.id} would be greater than its amount (${formatAmount(line.amount, line.currency)}).`, param),
  alreadyVoid: (note: CreditNote) => errors.state(`Credit note ${note.id} has already been voided.`),
  voidAfterPaid: (note: CreditNote, invoice: Invoice) =>
    errors.state(`Credit note ${note.id} lowered what was due on invoice ${invoice.id}, which is now ${invoice.status}; it can only be voided while the invoice is open.`),
};

/** Amounts that cannot be negative: worded as Stripe's validators word `limit` (twin's text, unverified, for 0). */
function nonNegative(value: number | null | undefined, param: string): number {
  if (value === null || value === undefined) return 0;
  if (value < 0) throw errors.paramState('This value must be greater than or equal to 0.', param, 'parameter_invalid_integer');
  return value;
}

/** What has been credited so far on each invoice line, by the invoice's issued notes. */
function creditedLines(ctx: Ctx, invoice: Invoice): Map<string, number> {
  const credited = new Map<string, number>();
  for (const p of ctx.world.indexed('credit_note', 'invoice', indexKey(invoice.id))) {
    const note = ctx.world.at<CreditNote>('credit_note', p);
    if (note.invoice !== invoice.id || note.status === 'void') continue;
    for (const l of note.lines.data as CreditNoteLine[]) {
      if (l.invoice_line_item) credited.set(l.invoice_line_item, (credited.get(l.invoice_line_item) ?? 0) + l.amount);
    }
  }
  return credited;
}

/**
 * One credit note line. A custom line is `unit_amount` (or `unit_amount_decimal`) ×
 * `quantity` (default 1) with its own tax rates. An invoice line is credited by
 * `amount`, by `quantity` at the line's unit price, or whole when neither is
 * sent (twin choice); its discounts are credited in proportion and its tax
 * rates applied to what is left. A line credited by amount shows no quantity
 * or unit amount (twin choice; Stripe's types allow null).
 */
function noteLine(ctx: Ctx, invoice: Invoice, input: Params, i: number, credited: Map<string, number>, rates: ReturnType<typeof taxRateReader>): CreditNoteLine {
  const at = (name: string) => `lines[${i}][${name}]`;
  if (input.tax_amounts !== undefined && input.tax_amounts !== null) throw errors.unsupportedParam(NOTE_PARAMS, at('tax_amounts'));
  const custom = input.type === 'custom_line_item';
  const wrong = custom ? ['invoice_line_item', 'amount'] : ['unit_amount', 'unit_amount_decimal', 'description', 'tax_rates'];
  for (const name of wrong) if (input[name] !== undefined && input[name] !== null) throw refuse.onlyFor(at(name), custom ? 'invoice_line_item' : 'custom_line_item');
  const id = ctx.world.ids.next('cnli');
  const metadata = mergeMetadata(EMPTY, input.metadata);

  if (custom) {
    if (input.unit_amount != null && input.unit_amount_decimal != null) throw errors.onlyOneOf(['unit_amount', 'unit_amount_decimal'], at('unit_amount'));
    if (input.unit_amount == null && input.unit_amount_decimal == null) throw errors.parameterMissing(at('unit_amount'));
    const quantity = input.quantity ?? 1;
    nonNegative(quantity, at('quantity'));
    const decimal = input.unit_amount != null ? String(nonNegative(input.unit_amount, at('unit_amount'))) : String(input.unit_amount_decimal);
    nonNegative(Number(decimal), at(input.unit_amount != null ? 'unit_amount' : 'unit_amount_decimal'));
    const amount = roundHalfUp(Number(decimal) * quantity);
    const rateIds: string[] = input.tax_rates || [];
    const taxRates = rateIds.map((id, k) => find(ctx, 'tax_rate', id, `${at('tax_rates')}[${k}]`));
    return lineOf({
      id,
      amount,
      description: input.description ?? null,
      discount_amounts: [],
      metadata,
      quantity,
      tax_rates: taxRates,
      taxes: taxRates.map((r) => taxOn(rates(r.id), amount)),
      type: 'custom_line_item',
      unit_amount: Number.isInteger(Number(decimal)) ? Number(decimal) : null,
      unit_amount_decimal: decimal,
    });
  }

  if (!input.invoice_line_item) throw errors.parameterMissing(at('invoice_line_item'));
  const line = (invoice.lines.data as InvoiceLine[]).find((l) => l.id === input.invoice_line_item);
  // Stripe's resource_missing; the object's name in it is the twin's text, unverified.
  if (!line) throw errors.resourceMissing('invoice line item', input.invoice_line_item, at('invoice_line_item'));
  if (input.amount != null && input.quantity != null) throw errors.onlyOneOf(['amount', 'quantity'], at('amount'));
  const unitDecimal: string = line.pricing?.unit_amount_decimal ?? String(line.quantity ? line.amount / line.quantity : line.amount);
  const byAmount = input.amount != null;
  const quantity: number | null = byAmount ? null : (input.quantity ?? line.quantity);
  const amount = byAmount ? nonNegative(input.amount, at('amount')) : roundHalfUp(Number(unitDecimal) * nonNegative(quantity, at('quantity')));
  if (amount + (credited.get(line.id) ?? 0) > line.amount) throw refuse.lineTooMuch(line, at(byAmount ? 'amount' : 'quantity'));
  credited.set(line.id, (credited.get(line.id) ?? 0) + amount);
  const share = line.amount ? amount / line.amount : 0;
  const discountAmounts: DiscountAmount[] = (line.discount_amounts ?? []).map((d: DiscountAmount) => ({ amount: roundHalfUp(d.amount * share), discount: d.discount }));
  const net = amount - discountAmounts.reduce((s, d) => s + d.amount, 0);
  const rateIds = (line.taxes ?? []).map((t: LineTax) => t.tax_rate_details.tax_rate);
  return lineOf({
    id,
    amount,
    description: line.description,
    discount_amounts: discountAmounts,
    invoice_line_item: line.id,
    metadata,
    quantity,
    tax_rates: rateIds.map((rate: string) => ctx.world.get(rate)),
    taxes: rateIds.map((rate: string) => taxOn(rates(rate), net)),
    type: 'invoice_line_item',
    unit_amount: byAmount ? null : Number.isInteger(Number(unitDecimal)) ? Number(unitDecimal) : null,
    unit_amount_decimal: byAmount ? null : unitDecimal,
  });
}

/** A credit note line in Stripe's key order; `invoice_line_item` only on a line that credits one. */
function lineOf(f: {
  id: string;
  amount: number;
  description: string | null;
  discount_amounts: DiscountAmount[];
  invoice_line_item?: string;
  metadata: Record<string, string>;
  quantity: number | null;
  tax_rates: unknown[];
  taxes: LineTax[];
  type: 'custom_line_item' | 'invoice_line_item';
  unit_amount: number | null;
  unit_amount_decimal: string | null;
}): CreditNoteLine {
  return {
    id: f.id,
    object: 'credit_note_line_item',
    amount: f.amount,
    description: f.description,
    discount_amount: f.discount_amounts.reduce((s, d) => s + d.amount, 0),
    discount_amounts: f.discount_amounts,
    ...(f.invoice_line_item ? { invoice_line_item: f.invoice_line_item } : {}),
    livemode: false,
    metadata: f.metadata,
    pretax_credit_amounts: f.discount_amounts.filter((d) => d.amount > 0).map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' })),
    quantity: f.quantity,
    tax_rates: f.tax_rates,
    taxes: f.taxes,
    type: f.type,
    unit_amount: f.unit_amount,
    unit_amount_decimal: f.unit_amount_decimal,
  } as CreditNoteLine;
}

/** The note's totals from its lines (docs/billing.md §2.5 read for credit notes); a bare amount is its own total. */
function totalsOf(invoice: Invoice, lines: CreditNoteLine[], bare: number | null) {
  if (bare !== null) {
    return { discount_amount: 0, discount_amounts: [], pretax_credit_amounts: [], subtotal: bare, subtotal_excluding_tax: bare, total: bare, total_excluding_tax: bare, total_taxes: [] };
  }
  const invoiceLevel = new Set<string>(invoice.discounts ?? []);
  const byDiscount = new Map<string, number>();
  let subtotal = 0;
  let invoiceDiscounts = 0;
  for (const l of lines) {
    let own = 0;
    for (const d of l.discount_amounts as DiscountAmount[]) {
      byDiscount.set(d.discount, (byDiscount.get(d.discount) ?? 0) + d.amount);
      if (invoiceLevel.has(d.discount)) invoiceDiscounts += d.amount;
      else own += d.amount;
    }
    subtotal += l.amount - own;
  }
  const totalTaxes = sumTaxes(lines.map((l) => l.taxes as LineTax[]));
  const taxed = (behavior: string) => totalTaxes.filter((t) => t.tax_behavior === behavior).reduce((s, t) => s + t.amount, 0);
  const inclusive = taxed('inclusive');
  const discountAmounts = [...byDiscount].map(([discount, amount]) => ({ amount, discount }));
  const totalExcludingTax = subtotal - invoiceDiscounts - inclusive;
  return {
    discount_amount: discountAmounts.reduce((s, d) => s + d.amount, 0),
    discount_amounts: discountAmounts,
    pretax_credit_amounts: discountAmounts.filter((d) => d.amount > 0).map((d) => ({ ...d, type: 'discount' })),
    subtotal,
    subtotal_excluding_tax: subtotal - inclusive,
    total: totalExcludingTax + inclusive + taxed('exclusive'),
    total_excluding_tax: totalExcludingTax,
    total_taxes: totalTaxes,
  };
}

/** A credit note as `params` describe it, checked against its invoice; nothing is stored or announced. */
function compute(ctx: Ctx, params: Params): Computed {
  // Shipping rates are not modeled (501). `email_type` changes nothing: test mode sends no email.
  unsupportedParams(NOTE_PARAMS, params, ['shipping_cost']);
  const invoice = find<Invoice>(ctx, 'invoice', params.invoice, 'invoice');
  if (!['open', 'uncollectible', 'paid'].includes(invoice.status)) throw refuse.notFinalized(invoice);
  const currency: string = invoice.currency;
  const given: Params[] = params.lines ?? [];
  if (!given.length && params.amount == null) throw refuse.nothingToCredit();
  const credited = creditedLines(ctx, invoice);
  const rates = taxRateReader(ctx);
  const lines = given.map((input, i) => noteLine(ctx, invoice, input, i, credited, rates));
  const bare = given.length ? null : nonNegative(params.amount, 'amount');
  const totals = totalsOf(invoice, lines, bare);
  const total = totals.total;
  if (given.length && params.amount != null && params.amount !== total) throw refuse.amountMismatch(params.amount, total, currency);
  // The sum of an invoice's credit notes cannot exceed its total (Stripe's docs).
  const left = invoice.total - invoice.pre_payment_credit_notes_amount - invoice.post_payment_credit_notes_amount;
  if (total > left) throw refuse.tooMuch(total, left, currency);

  const pre = invoice.status === 'paid' ? 0 : Math.min(total, invoice.amount_remaining);
  const post = total - pre;
  const refundAmount = nonNegative(params.refund_amount, 'refund_amount');
  const creditAmount = nonNegative(params.credit_amount, 'credit_amount');
  const outOfBand = nonNegative(params.out_of_band_amount, 'out_of_band_amount');
  const charge = refundAmount || params.refunds?.length ? invoiceCharge(ctx, invoice) : null;
  if (refundAmount && !charge) throw refuse.noCharge(invoice);
  const linked = ((params.refunds ?? []) as Params[]).map((r, i) => {
    const at = (name: string) => `refunds[${i}][${name}]`;
    if (r.type === 'payment_record_refund' || r.payment_record_refund != null) throw errors.unsupportedParam(NOTE_PARAMS, at('payment_record_refund'));
    if (!r.refund) throw errors.parameterMissing(at('refund'));
    const refund = find<Refund>(ctx, 'refund', r.refund, at('refund'));
    if (refund.charge !== charge) throw refuse.foreignRefund(refund.id, invoice, at('refund'));
    const amount = r.amount_refunded == null ? refund.amount : nonNegative(r.amount_refunded, at('amount_refunded'));
    if (amount > refund.amount) throw refuse.refundTooSmall(refund, at('amount_refunded'));
    return { amount_refunded: amount, payment_record_refund: null, refund: refund.id, type: 'refund' as const };
  });
  const allocated = refundAmount + linked.reduce((s, r) => s + r.amount_refunded, 0) + creditAmount + outOfBand;
  // Since 2019-12-03 Stripe makes nothing up: every post-payment cent is allocated (Stripe's changelog).
  if (allocated !== post) throw refuse.postMismatch(allocated, post, currency);

  const id = creditNotes.newId(ctx);
  const count = ctx.world.indexed('credit_note', 'invoice', indexKey(invoice.id)).length;
  const values: Partial<CreditNote> = {
    id,
    amount: total,
    amount_shipping: 0,
    currency,
    customer: invoice.customer,
    customer_account: null,
    customer_balance_transaction: null,
    ...totals,
    effective_at: params.effective_at ?? nowIn(ctx),
    invoice: invoice.id,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/credit_notes/${id}/lines` },
    number: `${invoice.number}-CN-${String(count + 1).padStart(2, '0')}`,
    out_of_band_amount: params.out_of_band_amount ?? null,
    pdf: `https://pay.stripe.com/credit_notes/${ctx.world.accountId}/test_${documentToken(ctx)}/pdf?s=ap`,
    post_payment_amount: post,
    pre_payment_amount: pre,
    reason: params.reason ?? null,
    refunds: linked,
    shipping_cost: null,
    status: 'issued',
    type: post === 0 ? 'pre_payment' : pre === 0 ? 'post_payment' : 'mixed',
    voided_at: null,
  };
  return { invoice, values, lines, refundAmount, linked, creditAmount };
}

// --- create, void, preview -----------------------------------------------------------

/**
 * Issues a note: the refund it makes, then its customer balance credit
 * (customer.updated), then credit_note.created, then the invoice's change
 * (invoice.updated; invoice.paid first when nothing is left due). That order
 * is the twin's choice: Stripe's is not recorded.
 */
function createCreditNote(ctx: Ctx, params: Params): CreditNote {
  const invoice = find<Invoice>(ctx, 'invoice', params.invoice, 'invoice');
  ctx = onTestClock(ctx, invoice.test_clock);
  const c = compute(ctx, params);
  const id = c.values.id!;
  const refunds = [...c.linked];
  if (c.refundAmount) {
    const refund = refundCharge(ctx, ctx.world.get<Charge>(invoiceCharge(ctx, invoice)!)!, { amount: c.refundAmount });
    refunds.push({ amount_refunded: refund.amount, payment_record_refund: null, refund: refund.id, type: 'refund' });
  }
  const credit = c.creditAmount
    ? adjustCustomerBalance(ctx, invoice.customer, { amount: -c.creditAmount, currency: invoice.currency, type: 'credit_note', credit_note: id, invoice: invoice.id })
    : null;
  const note = creditNotes.insert(ctx, params, { ...c.values, refunds, customer_balance_transaction: credit?.id ?? null });
  creditInvoice(ctx, ctx.world.get<Invoice>(invoice.id)!, note.pre_payment_amount, note.post_payment_amount);
  return note;
}

/**
 * Voids a note: credit_note.voided, the balance credit taken back (a `credit_note`
 * transaction of the opposite amount; twin choice), then the invoice's counters
 * and what is due restored. Refunds are not reversed. A note that lowered what
 * was due can be voided only while its invoice is still open (older API
 * reference: "only if the associated invoice is open"; applied to that part only).
 */
function voidCreditNote(ctx: Ctx, note: CreditNote): CreditNote {
  if (note.status === 'void') throw refuse.alreadyVoid(note);
  const invoice = ctx.world.get<Invoice>(note.invoice)!;
  ctx = onTestClock(ctx, invoice.test_clock);
  if (note.pre_payment_amount > 0 && invoice.status !== 'open' && invoice.status !== 'uncollectible') throw refuse.voidAfterPaid(note, invoice);
  const voided = creditNotes.save(ctx, note, { ...note, status: 'void', voided_at: nowIn(ctx) }, 'credit_note.voided');
  const credit = note.customer_balance_transaction ? ctx.world.get(note.customer_balance_transaction) : undefined;
  if (credit) adjustCustomerBalance(ctx, note.customer, { amount: -credit.amount, currency: note.currency, type: 'credit_note', credit_note: note.id, invoice: invoice.id });
  creditInvoice(ctx, ctx.world.get<Invoice>(invoice.id)!, -note.pre_payment_amount, -note.post_payment_amount);
  return voided;
}

/**
 * The note `params` would issue, stored nowhere and announced by nothing. It
 * shows the refunds it would link; a refund it would make has no id yet and is
 * left out, as is the balance transaction it would record (twin choice).
 */
function previewCreditNote(ctx: Ctx, params: Params): { note: CreditNote; lines: CreditNoteLine[] } {
  const invoice = find<Invoice>(ctx, 'invoice', params.invoice, 'invoice');
  ctx = onTestClock(ctx, invoice.test_clock);
  const c = compute(ctx, params);
  return { note: creditNotes.build(ctx, params, c.values), lines: c.lines };
}

const onInvoiceClock = (ctx: Ctx, note: CreditNote) => onTestClock(ctx, ctx.world.get<Invoice>(note.invoice)?.test_clock);

export const creditNotes = defineResource<'credit_note', CreditNote>({
  object: 'credit_note',
  prefix: 'cn',
  path: '/v1/credit_notes',
  create: createCreditNote,
  defaults: { metadata: EMPTY },
  writable: {
    memo: true,
    metadata: (value, current) => mergeMetadata(current, value),
  },
  events: { created: 'credit_note.created', updated: 'credit_note.updated' },
  filters: ['customer', 'invoice'],
  indexes: ['customer', 'invoice'],
  routes: { update: false, list: false },
}).with(
  route('GET', '/v1/credit_notes', { list: 'credit_note' }, (ctx, params) => {
    unsupportedParams('GET /v1/credit_notes', params, ['customer_account']);
    return creditNotes.list(ctx, params);
  }),
  route('POST', '/v1/credit_notes/{id}', 'credit_note', (ctx, params, path) => {
    const note = creditNotes.find(ctx, path.id);
    return creditNotes.save(onInvoiceClock(ctx, note), note, creditNotes.apply(ctx, note, params));
  }),
  route('POST', '/v1/credit_notes/{id}/void', 'credit_note', (ctx, _p, path) => voidCreditNote(ctx, creditNotes.find(ctx, path.id))),
  route('GET', '/v1/credit_notes/{credit_note}/lines', { list: 'credit_note_line_item' }, (ctx, params, path) => {
    const note = creditNotes.find(ctx, path.credit_note);
    return pageOf(note.lines.data, params, `/v1/credit_notes/${note.id}/lines`);
  }),
  route('GET', '/v1/credit_notes/preview', 'credit_note', (ctx, params) => previewCreditNote(ctx, params).note),
  route('GET', '/v1/credit_notes/preview/lines', { list: 'credit_note_line_item' }, (ctx, params) =>
    pageOf(previewCreditNote(ctx, params).lines, params, '/v1/credit_notes/preview/lines'),
  ),
);
