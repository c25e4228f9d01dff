import { VersionChange } from '../../engine/versions';
import { findBy, put } from '../helpers';

// CL 2022-11-15/removes-charges-attribute-paymentintent: a PaymentIntent's
// `charges` list was removed (use latest_charge). Older versions get it back,
// newest first, each charge at the same version (with its refunds);
// latest_charge stays (recorded at 2020-08-27 in 2026 traffic).

export const paymentIntentCharges: VersionChange = {
  version: '2022-11-15',
  description: 'PaymentIntent.charges list removed (use latest_charge)',
  object: 'payment_intent',
  removes: ['charges'],
  transform: (pi, ctx) => {
    if (!pi.id || 'charges' in pi) return pi;
    const charges = findBy(ctx.world, 'charge', 'payment_intent', pi.id).reverse();
    return put(pi, 'charges', { object: 'list', data: charges.map((c) => ctx.render(c)), has_more: false, total_count: charges.length, url: `/v1/charges?payment_intent=${pi.id}` });
  },
};
