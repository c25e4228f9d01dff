import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL 2022-08-01/default-customer-creation-checkout-session: a payment-mode
// Checkout Session's `customer_creation` defaults to `if_required` from
// 2022-08-01. Before, it was `always`: every completed payment-mode session
// without a customer made one.

export const checkoutCustomerCreation: VersionChange = {
  version: '2022-08-01',
  description: 'payment-mode Checkout Session customer_creation defaults to if_required (was always)',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/checkout/sessions') || param(req.params, 'mode') !== 'payment') return;
    if (param(req.params, 'customer') === undefined && param(req.params, 'customer_creation') === undefined) req.params.customer_creation = 'always';
  },
};
