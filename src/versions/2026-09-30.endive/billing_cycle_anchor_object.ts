import { emptyTree, FormTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, isTree, param } from '../helpers';

// CL endive/2026-09-30/polymorphic-billing-cycle-anchor: `billing_cycle_anchor`
// on subscription update and resume, and in create_preview's
// subscription_details, became an object: `{type: now|unchanged}`, and for
// previews `{type: timestamp, timestamp}` in place of a bare timestamp. Older
// versions' strings and timestamps become that object.

export const billingCycleAnchorObject: VersionChange = {
  version: '2026-09-30.endive',
  description: 'billing_cycle_anchor on subscription update/resume and create_preview became an object ({type: now|unchanged|timestamp})',
  request: (req) => {
    if (isRoute(req, 'POST /v1/subscriptions/{subscription_exposed_id}', 'POST /v1/subscriptions/{subscription}/resume')) objectify(req.params);
    else if (isRoute(req, 'POST /v1/invoices/create_preview')) {
      const details = param(req.params, 'subscription_details');
      if (isTree(details)) objectify(details);
    }
  },
};

/** `billing_cycle_anchor=now` → `[type]=now`; digits → `[type]=timestamp&[timestamp]=…`; '' (unset) and objects stay. */
function objectify(params: FormTree): void {
  const value = param(params, 'billing_cycle_anchor');
  if (typeof value !== 'string' || value === '') return;
  const anchor = emptyTree();
  if (/^\d+$/.test(value)) {
    anchor.type = 'timestamp';
    anchor.timestamp = value;
  } else anchor.type = value;
  params.billing_cycle_anchor = anchor;
}
