import { emptyTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL clover/2025-09-30/billing-mode-default-flexible: subscriptions (and
// schedules) created through the API default to billing_mode flexible from
// clover; before, they were classic unless `billing_mode[type]=flexible` was sent
// (the parameter exists from 2025-06-30.basil). A schedule made from a
// subscription takes that subscription's mode, so it gets no default here.

export const billingModeDefault: VersionChange = {
  version: '2025-09-30.clover',
  description: 'new subscriptions and schedules default to billing_mode flexible (were classic)',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/subscriptions', 'POST /v1/subscription_schedules')) return;
    if (param(req.params, 'billing_mode') !== undefined || param(req.params, 'from_subscription') !== undefined) return;
    const mode = emptyTree();
    mode.type = 'classic';
    req.params.billing_mode = mode;
  },
};
