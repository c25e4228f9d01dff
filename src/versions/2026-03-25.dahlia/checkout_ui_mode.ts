import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL dahlia/2026-03-25/updates-available-checkout-session-ui-modes: Checkout's
// ui_mode values were renamed (hosted → hosted_page, embedded → embedded_page,
// custom → elements), the old ones refused on create.

const NEWER: Record<string, string> = { hosted: 'hosted_page', embedded: 'embedded_page', custom: 'elements' };
const OLDER: Record<string, string> = { hosted_page: 'hosted', embedded_page: 'embedded', elements: 'custom' };

export const checkoutUiMode: VersionChange = {
  version: '2026-03-25.dahlia',
  description: 'Checkout Session ui_mode values renamed: hosted → hosted_page, embedded → embedded_page, custom → elements',
  object: 'checkout.session',
  transform: (session) => (typeof session.ui_mode === 'string' && OLDER[session.ui_mode] ? { ...session, ui_mode: OLDER[session.ui_mode] } : session),
  request: (req) => {
    if (!isRoute(req, 'POST /v1/checkout/sessions')) return;
    const mode = param(req.params, 'ui_mode');
    if (typeof mode === 'string' && NEWER[mode]) req.params.ui_mode = NEWER[mode];
  },
};
