import { VersionChange } from '../../engine/versions';
import { putAll } from '../helpers';

// CL basil/2025-03-31/adds-new-parent-field-to-invoicing-objects: an Invoice's
// subscription, subscription_details and quote moved under `parent`. Older
// versions get them back; `parent` stays (it was on the wire before basil, docs/versions.md).

export const invoiceParent: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Invoice subscription, subscription_details and quote moved under parent',
  object: 'invoice',
  removes: ['quote', 'subscription', 'subscription_details'],
  transform: (invoice) => {
    if (!('parent' in invoice)) return invoice;
    const sub = invoice.parent?.subscription_details ?? null;
    return putAll(invoice, {
      quote: invoice.parent?.quote_details?.quote ?? null,
      subscription: sub?.subscription ?? null,
      subscription_details: sub ? { metadata: sub.metadata ?? null } : null,
    });
  },
};
