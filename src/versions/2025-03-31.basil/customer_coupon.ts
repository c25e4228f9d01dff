import { errors } from '../../engine/errors';
import { VersionChange } from '../../engine/versions';

// CL basil/2025-03-31/deprecate-singular-coupon-promotion-code: a customer's
// `coupon` and `promotion_code` parameters went at basil (stripe-node 18 dropped
// them; no API parameter sets a customer's discount since). Older versions still
// send them: the endpoints make the discount the customer's (customer.discount.*
// events) or, for an empty value, remove it. From basil on they are unknown.

export const customerCoupon: VersionChange = {
  version: '2025-03-31.basil',
  description: 'coupon and promotion_code parameters of customers removed (they set the customer discount)',
  withdraws: {
    operations: ['POST /v1/customers', 'POST /v1/customers/{customer}'],
    params: ['coupon', 'promotion_code'],
    refusal: errors.parameterUnknown,
  },
};
