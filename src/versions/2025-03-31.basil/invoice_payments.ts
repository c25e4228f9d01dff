import { ShapeContext, VersionChange } from '../../engine/versions';
import { StripeObject } from '../../engine/world';
import { findBy, lookup, putAll } from '../helpers';

// CL basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices:
// an Invoice's payment_intent, charge, paid and paid_out_of_band (and
// application_fee_amount, transfer_data, now on the PaymentIntent) gave way to
// `payments` (InvoicePayments) and `confirmation_secret`. Older versions get
// them back from the invoice's default payment; payments and
// confirmation_secret stay when asked for (includable).

/** The PaymentIntent of an invoice's default payment, if it has one. */
export function defaultIntent(ctx: ShapeContext, invoiceId: string): StripeObject | undefined {
  const payment = findBy(ctx.world, 'invoice_payment', 'invoice', invoiceId).find((p) => p.is_default);
  return lookup(ctx.world, payment?.payment?.payment_intent, 'payment_intent');
}

export const invoicePayments: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Invoice payment_intent, charge, paid, paid_out_of_band, application_fee_amount and transfer_data replaced by payments',
  object: 'invoice',
  removes: ['application_fee_amount', 'charge', 'paid', 'paid_out_of_band', 'payment_intent', 'transfer_data'],
  transform: (invoice, ctx) => {
    if (!invoice.id || invoice.deleted) return invoice;
    const intent = defaultIntent(ctx, invoice.id);
    const paidOnStripe = findBy(ctx.world, 'invoice_payment', 'invoice', invoice.id).some((p) => p.status === 'paid');
    return putAll(invoice, {
      application_fee_amount: intent?.application_fee_amount ?? null,
      charge: intent?.latest_charge ?? null,
      paid: invoice.status === 'paid',
      paid_out_of_band: invoice.status === 'paid' && invoice.amount_paid > 0 && !paidOnStripe,
      payment_intent: intent?.id ?? null,
      transfer_data: intent?.transfer_data ?? null,
    });
  },
};
