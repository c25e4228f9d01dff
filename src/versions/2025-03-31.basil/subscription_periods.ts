import { VersionChange } from '../../engine/versions';
import { putAll } from '../helpers';

// CL basil/2025-03-31/deprecate-subscription-current-period-start-and-end: a
// Subscription's current_period_start/end moved to each item. Older versions get
// the first item's period back (items share one period in classic billing —
// inferred); the items keep theirs (additive; twin choice).

export const subscriptionPeriods: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Subscription current_period_start/end moved to its items',
  object: 'subscription',
  transform: (sub) => {
    const item = sub.items?.data?.[0];
    if (!item) return sub;
    return putAll(sub, { current_period_end: item.current_period_end ?? null, current_period_start: item.current_period_start ?? null });
  },
};
