import { VersionChange } from '../../engine/versions';
import { put } from '../helpers';

// CL basil/2025-03-31/checkout-session-remove-shipping-details: a Checkout
// Session's top-level shipping_details moved to collected_information (without
// carrier, phone, tracking_number). Older versions get it back.

export const checkoutShippingDetails: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Checkout Session shipping_details moved to collected_information.shipping_details',
  object: 'checkout.session',
  transform: (session) => {
    const collected = session.collected_information?.shipping_details;
    const details = collected ? { address: collected.address ?? null, carrier: null, name: collected.name ?? null, phone: null, tracking_number: null } : null;
    return put(session, 'shipping_details', details);
  },
};
