import { emptyTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, lookup, param, put } from '../helpers';

// CL clover/2025-09-30/polymorphic-coupon: a PromotionCode's full `coupon`
// became `promotion: {type: "coupon", coupon: "<id>"}`, and the create
// parameter `coupon` became `promotion[type]=coupon&promotion[coupon]=…`.

export const promotionCodeCoupon: VersionChange = {
  version: '2025-09-30.clover',
  description: 'PromotionCode.coupon (full Coupon, and the create parameter) replaced by promotion.coupon',
  object: 'promotion_code',
  transform: (code, ctx) => {
    const coupon = lookup(ctx.world, code.promotion?.coupon, 'coupon');
    return put(code, 'coupon', coupon ? ctx.render(coupon) : null);
  },
  request: (req) => {
    if (!isRoute(req, 'POST /v1/promotion_codes')) return;
    const coupon = param(req.params, 'coupon');
    if (coupon === undefined || param(req.params, 'promotion') !== undefined) return;
    delete req.params.coupon;
    const promotion = emptyTree();
    promotion.type = 'coupon';
    promotion.coupon = coupon;
    req.params.promotion = promotion;
  },
};
