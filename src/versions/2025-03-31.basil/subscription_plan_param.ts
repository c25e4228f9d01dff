import { emptyTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, lookup, param } from '../helpers';

// Twin choice (no changelog entry found): subscriptions created or updated with
// the legacy top-level `plan` and `quantity` (pay-rails/pay at 2020-08-27,
// recorded 2021: `POST /v1/subscriptions plan=…&customer=…`, answered 200) are
// accepted at versions before 2025-03-31.basil, the release that withdrew the
// other single-item subscription parameters (coupon, promotion_code), and become
// the one item they stand for. On update they replace the single item's plan or quantity.

export const subscriptionPlanParam: VersionChange = {
  version: '2025-03-31.basil',
  description: 'legacy top-level plan and quantity parameters of subscriptions (twin choice: accepted before basil)',
  request: (req) => {
    const create = isRoute(req, 'POST /v1/subscriptions');
    if (!create && !isRoute(req, 'POST /v1/subscriptions/{subscription_exposed_id}')) return;
    const plan = param(req.params, 'plan');
    const quantity = param(req.params, 'quantity');
    if ((plan === undefined && quantity === undefined) || param(req.params, 'items') !== undefined) return;
    delete req.params.plan;
    delete req.params.quantity;
    const item = emptyTree();
    if (!create) {
      const sub = lookup(req.world, req.pathParams.subscription_exposed_id, 'subscription');
      const items = sub?.items?.data ?? [];
      if (items.length === 1) item.id = items[0].id;
    }
    if (plan !== undefined) item.plan = plan;
    if (quantity !== undefined) item.quantity = quantity;
    req.params.items = [item];
  },
};
