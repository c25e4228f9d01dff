import { VersionChange } from '../../engine/versions';
import { lookup, put } from '../helpers';

// CL clover/2025-09-30/add-discount-source-property: a Discount's full `coupon`
// object became `source: {type: "coupon", coupon: "<id>"}`. Older versions get
// the coupon back, always expanded; `source` stays (additive, docs/versions.md — twin choice).

export const discountCoupon: VersionChange = {
  version: '2025-09-30.clover',
  description: 'Discount.coupon (full Coupon) replaced by source.coupon (an id)',
  object: 'discount',
  transform: (discount, ctx) => {
    if (!discount.source) return discount; // a deleted discount's stub
    const coupon = lookup(ctx.world, discount.source?.coupon, 'coupon');
    return put(discount, 'coupon', coupon ? ctx.render(coupon) : null);
  },
};
