import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL 2024-04-10/automatic-sync-default-paymentintents: a PaymentIntent created
// without capture_method captures `automatic_async` from 2024-04-10 (docs/versions.md;
// the issue placed it at 2024-06-20, Stripe's changelog at 2024-04-10).
// Older versions default to `automatic`.

export const captureMethodDefault: VersionChange = {
  version: '2024-04-10',
  description: 'PaymentIntent capture_method defaults to automatic_async (was automatic)',
  request: (req) => {
    if (isRoute(req, 'POST /v1/payment_intents') && param(req.params, 'capture_method') === undefined) req.params.capture_method = 'automatic';
  },
};
