import { VersionChange } from '../../engine/versions';
import { isRoute, param } from '../helpers';

// CL 2023-08-16/automatic-payment-methods: a PaymentIntent or SetupIntent
// created without payment method types gets automatic payment methods from
// 2023-08-16 (which also asks for a return_url at confirmation). Older versions
// get card only, and automatic_payment_methods null.

const CHOOSERS = ['payment_method_types', 'automatic_payment_methods', 'allowed_payment_method_types', 'excluded_payment_method_types', 'payment_method_configuration'];

export const automaticPaymentMethodsDefault: VersionChange = {
  version: '2023-08-16',
  description: 'PaymentIntents and SetupIntents default to automatic payment methods (were card only)',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/payment_intents', 'POST /v1/setup_intents')) return;
    if (CHOOSERS.some((name) => param(req.params, name) !== undefined)) return;
    req.params.payment_method_types = ['card'];
  },
};
