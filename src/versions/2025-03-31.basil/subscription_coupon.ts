import { emptyTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL basil/2025-03-31/deprecate-singular-coupon-promotion-code: the `coupon` and
// `promotion_code` parameters of subscriptions gave way to `discounts[]`. Older
// versions' parameters become one discount.

export const subscriptionCoupon: VersionChange = {
  version: '2025-03-31.basil',
  description: 'coupon and promotion_code parameters of subscriptions replaced by discounts[]',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/subscriptions', 'POST /v1/subscriptions/{subscription_exposed_id}')) return;
    for (const name of ['coupon', 'promotion_code']) {
      const value = param(req.params, name);
      if (value === undefined || param(req.params, 'discounts') !== undefined) continue;
      delete req.params[name];
      if (value === '') continue;
      const discount = emptyTree();
      discount[name] = value;
      req.params.discounts = [discount];
    }
  },
};
