import { defineResource, EMPTY, mergeMetadata } from '../../engine/resource';

// Tax rates: percentages applied to invoices, subscriptions and Checkout. The
// shape is the stripe package's `TaxRate`; `inclusive` and `percentage` are
// fixed at create (the update operation has no such parameters, so they are
// refused as unknown); events tax_rate.created and tax_rate.updated. A plain
// resource: its whole behaviour is this declaration (docs/development.md, "Adding a resource").

export const taxRates = defineResource({
  object: 'tax_rate',
  prefix: 'txr',
  path: '/v1/tax_rates',
  create: true,
  // flat_amount, jurisdiction_level, rate_type and effective_percentage describe
  // rates Stripe Tax makes; one made through the API has them null, as in the
  // example object of Stripe's OpenAPI fixtures (effective_percentage: twin choice, unrecorded).
  defaults: { active: true, metadata: EMPTY },
  writable: {
    active: true,
    country: true,
    description: true,
    display_name: true,
    inclusive: true,
    jurisdiction: true,
    metadata: (value, current) => mergeMetadata(current, value),
    percentage: true,
    state: true,
    tax_type: true,
  },
  events: { created: 'tax_rate.created', updated: 'tax_rate.updated' },
  // resource_missing reads "No such tax_rate: '…'" (an app matches on it; unverified against a recording).
  filters: ['active', 'inclusive'],
});
