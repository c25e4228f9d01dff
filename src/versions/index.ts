import { registerVersionChanges, VersionChange } from '../engine/versions';
import { checkoutAdHocLineItems } from './2022-08-01/checkout_ad_hoc_line_items';
import { checkoutCustomerCreation } from './2022-08-01/checkout_customer_creation';
import { checkoutDeferredPaymentIntent } from './2022-08-01/checkout_deferred_payment_intent';
import { checkoutShipping } from './2022-08-01/checkout_shipping';
import { invoiceIncludeAndRequire } from './2022-08-01/invoice_include_and_require';
import { chargeRefunds } from './2022-11-15/charge_refunds';
import { paymentIntentCharges } from './2022-11-15/payment_intent_charges';
import { automaticPaymentMethodsDefault } from './2023-08-16/automatic_payment_methods_default';
import { captureMethodDefault } from './2024-04-10/capture_method_default';
import { invoiceRenderingOptions } from './2024-04-10/invoice_rendering_options';
import { productFeatures } from './2024-04-10/product_features';
import { planAggregateUsage, priceAggregateUsage } from './2025-03-31.basil/aggregate_usage';
import { checkoutShippingDetails } from './2025-03-31.basil/checkout_shipping_details';
import { creditNoteRefund } from './2025-03-31.basil/credit_note_refund';
import { customerCoupon } from './2025-03-31.basil/customer_coupon';
import { chargeInvoice, paymentIntentInvoice } from './2025-03-31.basil/intent_invoice';
import { invoiceItemPricing } from './2025-03-31.basil/invoice_item_pricing';
import { invoiceParent } from './2025-03-31.basil/invoice_parent';
import { invoicePayments } from './2025-03-31.basil/invoice_payments';
import { invoiceTaxes } from './2025-03-31.basil/invoice_taxes';
import { lineItemParent } from './2025-03-31.basil/line_item_parent';
import { lineItemPricing } from './2025-03-31.basil/line_item_pricing';
import { lineItemTaxes } from './2025-03-31.basil/line_item_taxes';
import { invoiceDiscount, subscriptionDiscount } from './2025-03-31.basil/singular_discount';
import { subscriptionCoupon } from './2025-03-31.basil/subscription_coupon';
import { subscriptionPeriods } from './2025-03-31.basil/subscription_periods';
import { subscriptionPlanParam } from './2025-03-31.basil/subscription_plan_param';
import { totalCount } from './2025-03-31.basil/total_count';
import { upcomingInvoice } from './2025-03-31.basil/upcoming_invoice';
import { billingModeDefault } from './2025-09-30.clover/billing_mode_default';
import { discountCoupon } from './2025-09-30.clover/discount_coupon';
import { phaseIterations } from './2025-09-30.clover/phase_iterations';
import { promotionCodeCoupon } from './2025-09-30.clover/promotion_code_coupon';
import { checkoutUiMode } from './2026-03-25.dahlia/checkout_ui_mode';
import { billingCycleAnchorObject } from './2026-09-30.endive/billing_cycle_anchor_object';
import { checkoutPaymentMethodTypes } from './2026-09-30.endive/checkout_payment_method_types';
import { intentPaymentMethodTypes } from './2026-09-30.endive/intent_payment_method_types';

// Every breaking change Stripe made to the modeled resources since 2020-08-27,
// newest first, one module per change, in folders named by version
// (docs/versions.md). The engine applies them (src/engine/versions.ts): request
// changes oldest first before an endpoint runs, response changes newest first on
// the way out. Versions with no change to the modeled resources (the acacia
// releases, 2024-06-20, 2023-10-16) have no module.

export const versionChanges: VersionChange[] = [
  // 2026-09-30.endive
  intentPaymentMethodTypes,
  checkoutPaymentMethodTypes,
  billingCycleAnchorObject,
  // 2026-03-25.dahlia
  checkoutUiMode,
  // 2025-09-30.clover
  discountCoupon,
  promotionCodeCoupon,
  billingModeDefault,
  phaseIterations,
  // 2025-03-31.basil
  totalCount,
  invoicePayments,
  invoiceParent,
  invoiceTaxes,
  invoiceDiscount,
  subscriptionDiscount,
  subscriptionPeriods,
  subscriptionCoupon,
  customerCoupon,
  subscriptionPlanParam,
  lineItemParent,
  lineItemPricing,
  lineItemTaxes,
  invoiceItemPricing,
  creditNoteRefund,
  paymentIntentInvoice,
  chargeInvoice,
  planAggregateUsage,
  priceAggregateUsage,
  checkoutShippingDetails,
  upcomingInvoice,
  // 2024-04-10
  captureMethodDefault,
  productFeatures,
  invoiceRenderingOptions,
  // 2023-08-16
  automaticPaymentMethodsDefault,
  // 2022-11-15
  paymentIntentCharges,
  chargeRefunds,
  // 2022-08-01
  checkoutShipping,
  checkoutCustomerCreation,
  checkoutDeferredPaymentIntent,
  checkoutAdHocLineItems,
  invoiceIncludeAndRequire,
];

registerVersionChanges(versionChanges);
