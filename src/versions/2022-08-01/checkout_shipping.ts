import { VersionChange } from '../../engine/versions';
import { drop, putAll } from '../helpers';

// CL 2022-08-01/updates-shipping-property-checkout-session: a Checkout
// Session's `shipping` became `shipping_details`, and `shipping_rate` (an id)
// became `shipping_cost` ({…, shipping_rate}). Older versions get the old keys only.

export const checkoutShipping: VersionChange = {
  version: '2022-08-01',
  description: 'Checkout Session shipping → shipping_details, shipping_rate → shipping_cost',
  object: 'checkout.session',
  transform: (session) =>
    putAll(drop(session, 'shipping_details', 'shipping_cost'), {
      shipping: session.shipping_details ?? null,
      shipping_rate: session.shipping_cost?.shipping_rate ?? null,
    }),
};
