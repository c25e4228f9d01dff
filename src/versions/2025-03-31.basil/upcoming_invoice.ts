import { errors } from '../../engine/errors';
import { VersionChange } from '../../engine/versions';

// CL basil/2025-03-31/invoice-preview-api-deprecations (stripe-node 18.0.0 dropped
// invoices.retrieveUpcoming and listUpcomingLines): the upcoming-invoice endpoints
// went at basil for POST /v1/invoices/create_preview. Older versions still call
// them; the twin serves them with create_preview's engine (src/resources/billing/subscriptions.ts),
// and the preview is rendered at the request's version like any invoice. From basil
// on they are gone: Stripe's answer there is unrecorded, and the twin answers as for
// any URL Stripe does not have (twin choice: 404 "Unrecognized request URL").

export const upcomingInvoice: VersionChange = {
  version: '2025-03-31.basil',
  description: 'GET /v1/invoices/upcoming and /v1/invoices/upcoming/lines removed (use POST /v1/invoices/create_preview)',
  withdraws: {
    operations: ['GET /v1/invoices/upcoming', 'GET /v1/invoices/upcoming/lines'],
    refusal: errors.unrecognizedUrl,
  },
};
