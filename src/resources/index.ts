import { RouteTable } from '../engine/spec';
import { invoiceItems } from './billing/invoice_items';
import { invoicePayments, invoices } from './billing/invoices';
import { coupons } from './billing/coupons';
import { creditNotes } from './billing/credit_notes';
import { discounts } from './billing/discounts';
import { plans } from './billing/plans';
import { prices } from './billing/prices';
import { subscriptionItems, subscriptions } from './billing/subscriptions';
import { subscriptionSchedules } from './billing/subscription_schedules';
import { products } from './billing/products';
import { promotionCodes } from './billing/promotion_codes';
import { quotes } from './billing/quotes';
import { taxRates } from './billing/tax_rates';
import { balanceRoute, balanceTransactions } from './core/balance';
import { charges } from './payments/charges';
import { Route } from '../engine/resource';
import { customerBalanceTransactions } from './core/customer_balance';
import { customers } from './core/customers';
import { testClocks } from './core/test_clocks';
import { disputes } from './payments/disputes';
import { events } from './core/events';
import { cryptoDepositRoutes } from './payments/crypto_deposits';
import { bankDebitRoutes } from './payments/bank_debits';
import { cashBalanceRoutes } from './payments/cash_balance';
import { sharedPaymentTokenRoutes } from './payments/shared_payment_tokens';
import { paymentIntents } from './payments/payment_intents';
import { paymentMethods } from './payments/payment_methods';
import { refunds } from './payments/refunds';
import { legacyChargeRoutes } from './payments/legacy_charges';
import { legacySourceRoutes } from './payments/sources';
import { setupIntents } from './payments/setup_intents';
import { webhookEndpoints } from './core/webhook_endpoints';
import { paymentLinks } from './checkout/payment_links';
import { paymentPageRoutes } from './checkout/payment_pages';
import { portalConfigurations, portalSessions } from './checkout/portal';
import { checkoutSessions } from './checkout/sessions';
import { accounts } from './connect/accounts';
import { connectMoneyRoutes } from './connect/money';

// Every route the twin models. A route Stripe has but this table lacks answers
// 501 `fidelity: "unsupported"`.

export const modeledRoutes: Route[] = [
  ...customers.routes,
  ...customerBalanceTransactions.routes,
  ...testClocks.routes,
  ...paymentMethods.routes,
  ...paymentIntents.routes,
  ...cryptoDepositRoutes,
  ...bankDebitRoutes,
  ...cashBalanceRoutes,
  ...sharedPaymentTokenRoutes,
  ...charges.routes,
  ...legacyChargeRoutes,
  ...legacySourceRoutes,
  ...refunds.routes,
  balanceRoute,
  ...balanceTransactions.routes,
  ...setupIntents.routes,
  ...disputes.routes,
  ...events.routes,
  ...webhookEndpoints.routes,
  ...products.routes,
  ...prices.routes,
  ...plans.routes,
  ...taxRates.routes,
  ...invoiceItems.routes,
  ...invoices.routes,
  ...invoicePayments.routes,
  ...creditNotes.routes,
  ...quotes.routes,
  ...subscriptions.routes,
  ...subscriptionItems.routes,
  ...subscriptionSchedules.routes,
  ...coupons.routes,
  ...promotionCodes.routes,
  ...discounts.routes,
  ...checkoutSessions.routes,
  ...paymentLinks.routes,
  ...portalConfigurations.routes,
  ...portalSessions.routes,
  ...paymentPageRoutes,
  ...accounts.routes,
  ...connectMoneyRoutes,
];

export const routes = new RouteTable<Route>();
for (const r of modeledRoutes) routes.add(r.method, r.path, r);
