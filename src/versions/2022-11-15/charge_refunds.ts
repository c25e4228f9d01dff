import { VersionChange } from '../../engine/versions';
import { findBy, put } from '../helpers';

// CL 2022-11-15/deprecates-charges-auto-expand: a Charge's `refunds` list is no
// longer included unless expanded. Older versions always get it.

export const chargeRefunds: VersionChange = {
  version: '2022-11-15',
  description: 'Charge.refunds no longer included by default (expand[]=refunds)',
  object: 'charge',
  transform: (charge, ctx) => {
    if (!charge.id || (charge.refunds && typeof charge.refunds === 'object')) return charge;
    const refunds = findBy(ctx.world, 'refund', 'charge', charge.id).reverse();
    return put(charge, 'refunds', { object: 'list', data: refunds.map((r) => ctx.render(r)), has_more: false, total_count: refunds.length, url: `/v1/charges/${charge.id}/refunds` });
  },
};
