import { VersionChange } from '../../engine/versions';
import { put } from '../helpers';

// CL 2024-04-10/renames-rendering-options-invoicing: Invoice.rendering_options
// ({amount_tax_display}) was removed for `rendering`. Older versions get it back;
// `rendering` stays (it predates the change).

export const invoiceRenderingOptions: VersionChange = {
  version: '2024-04-10',
  description: 'Invoice.rendering_options removed (use rendering)',
  object: 'invoice',
  transform: (invoice) => {
    if (!('rendering' in invoice)) return invoice;
    const display = invoice.rendering?.amount_tax_display ?? null;
    return put(invoice, 'rendering_options', display ? { amount_tax_display: display } : null);
  },
};
