import { ShapeContext, VersionChange } from '../../engine/versions';
import { idOf, put } from '../helpers';

// CL basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices:
// PaymentIntents and Charges lost `invoice`; the invoice is found through its
// payments. Older versions get it back.

/** The invoice one of whose payments is `intentId`. */
function invoiceOf(ctx: ShapeContext, intentId: unknown): string | null {
  if (typeof intentId !== 'string') return null;
  const ids = ctx.world.idsOf('invoice_payment');
  for (let i = ids.length - 1; i >= 0; i--) {
    const payment = ctx.world.get(ids[i]);
    if (payment?.payment?.payment_intent === intentId) return payment.invoice;
  }
  return null;
}

export const paymentIntentInvoice: VersionChange = {
  version: '2025-03-31.basil',
  description: 'PaymentIntent.invoice removed',
  object: 'payment_intent',
  removes: ['invoice'],
  transform: (pi, ctx) => put(pi, 'invoice', invoiceOf(ctx, pi.id)),
};

export const chargeInvoice: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Charge.invoice removed',
  object: 'charge',
  removes: ['invoice'],
  transform: (charge, ctx) => {
    return put(charge, 'invoice', invoiceOf(ctx, idOf(charge.payment_intent)));
  },
};
