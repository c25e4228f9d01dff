import { VersionChange } from '../../engine/versions';
import { put } from '../helpers';

// stripe-node 18.0.0 (2025-03-31.basil): Plan.aggregate_usage and
// Price.recurring.aggregate_usage were removed with legacy usage records
// (`meter` replaced them). The twin models no legacy usage: older versions see null; `meter` stays (additive).

export const planAggregateUsage: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Plan.aggregate_usage removed',
  object: 'plan',
  transform: (plan) => (plan.deleted ? plan : put(plan, 'aggregate_usage', plan.aggregate_usage ?? null)),
};

export const priceAggregateUsage: VersionChange = {
  version: '2025-03-31.basil',
  description: 'Price.recurring.aggregate_usage removed',
  object: 'price',
  transform: (price) => (price.recurring && typeof price.recurring === 'object' ? { ...price, recurring: put(price.recurring, 'aggregate_usage', price.recurring.aggregate_usage ?? null) } : price),
};
