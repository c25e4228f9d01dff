import { VersionChange } from '../../engine/versions';
import { drop, putAll } from '../helpers';

// CL basil/2025-03-31/adds-new-parent-field-to-invoicing-objects: an invoice
// line's type, subscription, subscription_item, invoice_item, proration and
// proration_details moved under `parent`. Older versions get them back with the
// keys the wire had: `subscription` always (null on invoice item lines),
// `subscription_item` only on subscription lines, `invoice_item` only on
// invoice item lines (docs/versions.md). `parent` stays (on the wire before basil).

export const lineItemParent: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Invoice line type, subscription, subscription_item, invoice_item, proration and proration_details moved under parent',
  object: 'line_item',
  removes: ['invoice_item', 'proration', 'proration_details', 'subscription', 'subscription_item', 'type'],
  transform: (line) => {
    const parent = line.parent;
    if (!parent || typeof parent !== 'object') return line;
    const sub = parent.subscription_item_details;
    const item = parent.invoice_item_details;
    const details = sub ?? item ?? {};
    const base = drop(line, 'subscription_item', 'invoice_item');
    return putAll(base, {
      ...(sub ? { subscription_item: sub.subscription_item ?? null } : { invoice_item: item?.invoice_item ?? null }),
      proration: details.proration ?? false,
      proration_details: details.proration_details ?? { credited_items: null },
      subscription: details.subscription ?? null,
      type: sub ? 'subscription' : 'invoiceitem',
    });
  },
};
