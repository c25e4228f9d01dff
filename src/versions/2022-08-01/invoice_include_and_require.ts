import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL 2022-08-01/removes-include-require-value-invoices: invoice create's
// `pending_invoice_items_behavior=include_and_require` went at 2022-08-01. Older
// versions send it: it includes the pending items as `include` does (twin choice:
// its "require" half, an error when none are pending, is not modeled). From
// 2022-08-01 it is an invalid enum value, as Stripe's spec lists only exclude and include.

export const invoiceIncludeAndRequire: VersionChange = {
  version: '2022-08-01',
  description: 'invoice create pending_invoice_items_behavior=include_and_require removed (mapped to include before)',
  request: (req) => {
    if (isRoute(req, 'POST /v1/invoices') && param(req.params, 'pending_invoice_items_behavior') === 'include_and_require') req.params.pending_invoice_items_behavior = 'include';
  },
};
