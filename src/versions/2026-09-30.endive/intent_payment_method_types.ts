import { errors } from '../../engine/errors';
import { VersionChange } from '../../engine/versions';

// CL endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents:
// `payment_method_types` is no longer writable on PaymentIntent create, update and
// confirm and SetupIntent create and update; from endive sending it is a 400 with
// code payment_method_types_no_longer_supported. The objects keep it (read-only,
// computed). Older versions still send it, and the endpoints take it as before.

export const intentPaymentMethodTypes: VersionChange = {
  version: '2026-09-30.endive',
  description: 'payment_method_types refused on PaymentIntent create/update/confirm and SetupIntent create/update (payment_method_types_no_longer_supported)',
  withdraws: {
    operations: [
      'POST /v1/payment_intents',
      'POST /v1/payment_intents/{intent}',
      'POST /v1/payment_intents/{intent}/confirm',
      'POST /v1/setup_intents',
      'POST /v1/setup_intents/{intent}',
    ],
    params: ['payment_method_types'],
    refusal: errors.paymentMethodTypesNoLongerSupported,
  },
};
