import { ApiKey } from './accounts';
import { errors } from './errors';

// Restricted keys (`rk_test_…`): each carries `rak_<resource>_read` and
// `rak_<resource>_write` permissions, and every API route needs one of them:
// reading (GET) the resource's read permission, anything else its write
// permission, which also allows reading (Stripe's Dashboard offers None, Read or
// Write per resource; write including read is believed, unverified). The
// resource is the route's first path segment (two for `checkout/…`, `shared_payment/…`, `crypto/…`,
// `billing_portal/…`, `test_helpers/…`), named by the slugs Stripe's permission
// errors and Dashboard key URLs use (Prices keep the legacy `plan`). A key lacking
// it gets Stripe's 403 naming the permission that would allow the request, with
// a bare body as recorded by integrations (message and type), before parameters
// are read (order of checks: unverified).

/** Route path segment(s) → permission slug. Slugs marked ? are the twin's reading (not seen in an error). */
const SLUGS: Record<string, string> = {
  account: 'connected_account',
  accounts: 'connected_account', // ? as GET /v1/account's
  account_links: 'connected_account', // ?
  application_fees: 'application_fee', // ?
  payouts: 'payout',
  topups: 'topup', // ?
  transfers: 'transfer', // ?
  balance: 'balance',
  balance_transactions: 'balance', // ? one source names balance_transaction
  charges: 'charge',
  'checkout/sessions': 'checkout_session',
  coupons: 'coupon',
  credit_notes: 'credit_note',
  customers: 'customer',
  disputes: 'dispute',
  events: 'event', // ?
  invoiceitems: 'invoice_item',
  invoice_payments: 'invoice', // ?
  invoices: 'invoice',
  mandates: 'mandate', // ?
  payment_intents: 'payment_intent',
  payment_links: 'payment_link',
  payment_methods: 'payment_method',
  payment_pages: 'checkout_session', // ? Stripe's private Checkout pages
  plans: 'plan',
  prices: 'plan',
  products: 'product',
  promotion_codes: 'promotion_code', // ?
  quotes: 'quote', // ?
  refunds: 'refund',
  setup_intents: 'setup_intent',
  subscription_items: 'subscription',
  subscription_schedules: 'subscription_schedule',
  subscriptions: 'subscription',
  tax_rates: 'tax_rate', // ?
  tokens: 'token', // ? Tokens (legacy card and bank-account tokens)
  'billing_portal/configurations': 'billing_portal_configuration', // ?
  'billing_portal/sessions': 'billing_portal_session', // ?
  'test_helpers/test_clocks': 'test_clock', // ?
  'test_helpers/payment_intents': 'payment_intent', // ? the underlying resource's (simulate_crypto_deposit)
  'test_helpers/customers': 'customer', // ? the underlying resource's (fund_cash_balance)
  // Shared Payment Tokens and crypto deposit addresses: no slug is known (docs/agents.md §4.3); the twin's
  // reading is the underlying resource's, the PaymentMethod shared or the PaymentIntent paid.
  'shared_payment/issued_tokens': 'payment_method', // ?
  'shared_payment/granted_tokens': 'payment_method', // ?
  'test_helpers/shared_payment': 'payment_method', // ?
  'crypto/deposit_addresses': 'payment_intent', // ?
  webhook_endpoints: 'webhook',
};

const GROUPED = new Set(['checkout', 'billing_portal', 'test_helpers', 'shared_payment', 'crypto']);

/** The permission a request on a route template needs (`rak_customer_write`), or null when the twin knows no slug for it. */
export function permissionFor(method: string, template: string): string | null {
  const parts = template.split('/'); // ['', 'v1', resource, …]
  const resource = GROUPED.has(parts[2]) ? `${parts[2]}/${parts[3]}` : parts[2];
  const slug = Object.hasOwn(SLUGS, resource) ? SLUGS[resource] : null;
  return slug ? `rak_${slug}_${method === 'GET' ? 'read' : 'write'}` : null;
}

/** Refuses a restricted key without the permission a route needs (Stripe's 403); a secret key may do anything. */
export function checkPermission(apiKey: ApiKey, account: string, method: string, template: string): void {
  const needed = missingPermission(apiKey.permissions, method, template);
  if (needed) throw errors.permissionDenied(apiKey.key, account, needed);
}

/**
 * The permission `permissions` (a restricted key's; null for a secret key, which
 * holds every one) lacks for a request on a route template, or null when it is held.
 * How the MCP server decides which tools a key sees (src/mcp).
 */
export function missingPermission(permissions: readonly string[] | null, method: string, template: string): string | null {
  if (permissions === null) return null;
  const needed = permissionFor(method, template) ?? `rak_${template.split('/')[2]}_${method === 'GET' ? 'read' : 'write'}`;
  if (permissions.includes(needed) || (needed.endsWith('_read') && permissions.includes(`${needed.slice(0, -'_read'.length)}_write`))) return null;
  return needed;
}

/**
 * The Dashboard's names for resources in its restricted-key form (`Payment
 * Intents`, `Prices`…), as a table such as "Resource | Permission" lists them,
 * to their slugs: a seed can give a key's permissions as that table reads.
 */
export const DASHBOARD_RESOURCES: Record<string, string> = {
  Balance: 'balance',
  Charges: 'charge',
  'Checkout Sessions': 'checkout_session',
  Coupons: 'coupon',
  'Credit notes': 'credit_note',
  Customers: 'customer',
  Disputes: 'dispute',
  Events: 'event',
  'Invoice items': 'invoice_item',
  Invoices: 'invoice',
  Mandates: 'mandate',
  'Payment Intents': 'payment_intent',
  'Payment Links': 'payment_link',
  'Payment Methods': 'payment_method',
  Plans: 'plan',
  Prices: 'plan',
  Products: 'product',
  'Promotion codes': 'promotion_code',
  Quotes: 'quote',
  Refunds: 'refund',
  'Setup Intents': 'setup_intent',
  'Subscription schedules': 'subscription_schedule',
  Subscriptions: 'subscription',
  'Tax rates': 'tax_rate',
  'Webhook endpoints': 'webhook',
};
