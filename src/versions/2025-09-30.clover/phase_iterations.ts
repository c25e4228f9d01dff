import { emptyTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, isTree, listParam, lookup } from '../helpers';

// CL clover/2025-09-30/remove-iterations: a schedule phase's `iterations` (how
// many billing periods of the phase's price it lasts) gave way to `duration`
// (`{interval, interval_count}`) or `end_date`. Older versions' iterations become
// the duration of that many periods of the phase's first price.

export const phaseIterations: VersionChange = {
  version: '2025-09-30.clover',
  description: 'subscription schedule phases[][iterations] replaced by phases[][duration]',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/subscription_schedules', 'POST /v1/subscription_schedules/{schedule}')) return;
    for (const phase of listParam(req.params, 'phases') ?? []) {
      if (!isTree(phase) || typeof phase.iterations !== 'string') continue;
      const iterations = Number(phase.iterations);
      delete phase.iterations;
      // Without a recurring price to count in, the endpoint's own checks answer (a missing or one-time price).
      const item = listParam(phase, 'items')?.[0];
      const id = isTree(item) ? (item.price ?? item.plan) : undefined;
      const found = lookup(req.world, id);
      const period = found?.recurring ?? (found?.object === 'plan' ? found : undefined);
      if (!period || !Number.isInteger(iterations) || phase.duration !== undefined || phase.end_date !== undefined) continue;
      const duration = emptyTree();
      duration.interval = period.interval;
      duration.interval_count = String(iterations * (period.interval_count ?? 1));
      phase.duration = duration;
    }
  },
};
