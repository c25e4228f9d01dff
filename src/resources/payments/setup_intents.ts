import { Params } from '../../engine/params';
import { Ctx } from '../../engine/world';
import { given } from '../common';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped, unsupportedParams } from '../../engine/resource';
import { beginConfirmation, ConfirmationStep, demandsAuthentication, failAttempt, finishAuthentication, IntentKind, newIntentFields, rememberReturnUrl, requireAuthentication } from './confirmation';
import { setupIntentMachine } from './intent_machines';
import { confirmBankSetup, isBankDebit } from './bank_debits';
import { attachPaymentMethod, cardOf, markChecked, PaymentMethod, intentPaymentMethod, spendForced } from './payment_methods';
import { pendingAuthentication, setUpOffSession } from './three_d_secure';

// SetupIntents (docs/stripe-facts.md §11): create, confirm with test values
// (3D Secure and declines included, through confirmation.ts as PaymentIntents),
// cancel, update, list. No charge is made; success attaches the PaymentMethod to
// the customer.

export type SetupIntent = Shaped<'setup_intent'>;

const S = setupIntentMachine.state;

/** How confirmation (confirmation.ts) sees SetupIntents. */
const SETUP: IntentKind = {
  object: 'setup_intent',
  name: 'SetupIntent',
  machine: setupIntentMachine,
  errorField: 'last_setup_error',
  authenticationFailure: {
    code: 'setup_intent_authentication_failure',
    message: 'The latest attempt to set up the payment method has failed because authentication failed.',
  },
};

const CARD_OPTIONS = { mandate_options: null, network: null, request_three_d_secure: 'automatic' };

function options(types: string[], given: Params | null | undefined): Record<string, unknown> {
  return Object.fromEntries(
    [...types].sort().map((t) => [t, t === 'card' ? { ...CARD_OPTIONS, ...(given?.card ?? {}) } : { ...(given?.[t] ?? {}) }]),
  );
}

export function createSetupIntent(ctx: Ctx, params: Params): SetupIntent {
  setupIntents.unsupported('create', params);
  const intent = newIntentFields(ctx, SETUP, params, () => setupIntents.newId(ctx));
  const si = setupIntents.insert(ctx, params, {
    ...intent,
    payment_method_options: options(intent.payment_method_types, params.payment_method_options),
    usage: params.usage ?? 'off_session',
  });
  rememberReturnUrl(ctx, si, params.return_url);
  if (params.confirm) return confirmSetupIntent(ctx, si, { ...params, payment_method: undefined, payment_method_data: undefined });
  return si;
}

export function confirmSetupIntent(ctx: Ctx, si: SetupIntent, params: Params): SetupIntent {
  const { pm, returnUrl } = beginConfirmation(ctx, SETUP, si, params);
  si = setupIntentMachine.transition(ctx, si, 'confirm', S.requires_confirmation, {
    payment_method: pm.id,
    next_action: null,
    latest_attempt: ctx.world.ids.next('setatt'),
  });
  if (isBankDebit(pm)) return confirmBankSetup(ctx, si, pm, params);
  if (demandsAuthentication(ctx, si, pm)) return requireAuthentication(ctx, SETUP, si, pm, si.latest_attempt, returnUrl);
  return finishSetup(ctx, si, pm, 'confirm');
}

/** Success attaches the card to the customer; a declining card fails the setup with a 402 (docs/stripe-facts.md §11). */
function finishSetup(ctx: Ctx, si: SetupIntent, pm: PaymentMethod, step: ConfirmationStep, authenticated = false): SetupIntent {
  const { world } = ctx;
  const card = cardOf(world, pm.id);
  pm = markChecked(ctx, pm);
  if (card?.decline && !card.attachable) failAttempt(ctx, SETUP, si, pm, step, { decline: card.decline });
  if (si.customer && !pm.customer) pm = attachPaymentMethod(ctx, pm, si.customer);
  if (si.usage === 'off_session' && (authenticated || !card?.authentication)) world.facts.set(setUpOffSession(pm.id), true);
  return setupIntentMachine.transition(ctx, si, step, S.succeeded, { next_action: null, last_setup_error: null });
}

/** Finishes a pending 3D Secure challenge on a SetupIntent (control surface). */
export function completeSetupAuthentication(ctx: Ctx, si: SetupIntent, succeed: boolean): SetupIntent {
  return finishAuthentication(ctx, SETUP, si, succeed, (si, pm) => finishSetup(ctx, si, pm, 'authenticate', true));
}

function cancelSetupIntent(ctx: Ctx, si: SetupIntent, reason: string | null): SetupIntent {
  setupIntentMachine.check(si, 'cancel');
  ctx.world.facts.delete(pendingAuthentication(si.id));
  spendForced(ctx.world, si.id, ['authentication']);
  return setupIntentMachine.transition(ctx, si, 'cancel', S.canceled, { cancellation_reason: reason, next_action: null });
}

function updateSetupIntent(ctx: Ctx, si: SetupIntent, params: Params): SetupIntent {
  setupIntents.unsupported('update', params);
  if (params.payment_method || params.customer || params.payment_method_types || params.allowed_payment_method_types) setupIntentMachine.check(si, 'update');
  if (params.customer) find(ctx, 'customer', params.customer, 'customer');
  const paymentMethod = intentPaymentMethod(ctx, params, params.customer ?? si.customer)?.id ?? si.payment_method;
  const types: string[] = params.allowed_payment_method_types ?? params.payment_method_types ?? si.payment_method_types;
  const next: SetupIntent = {
    ...setupIntents.apply(ctx, si, params),
    allowed_payment_method_types: given(params.allowed_payment_method_types, si.allowed_payment_method_types),
    payment_method: paymentMethod,
    payment_method_options: params.payment_method_options || types !== si.payment_method_types ? options(types, params.payment_method_options) : si.payment_method_options,
    payment_method_types: types,
  };
  // A new payment method needs a new confirmation; updates emit no event.
  if (paymentMethod !== si.payment_method && setupIntentMachine.allows(si, 'update')) {
    return setupIntentMachine.transition(ctx, si, 'update', S.requires_confirmation, next);
  }
  return setupIntents.save(ctx, si, next);
}

export const setupIntents = defineResource<'setup_intent', SetupIntent>({
  object: 'setup_intent',
  prefix: 'seti',
  path: '/v1/setup_intents',
  create: (ctx, params) => createSetupIntent(ctx, params),
  omit: ['attach_to_self', 'managed_payments'],
  defaults: { metadata: EMPTY },
  // Parameters create and update treat alike; the rest is in their handlers.
  writable: {
    customer: true,
    description: true,
    flow_directions: true,
    metadata: (value, current) => mergeMetadata(current, value),
  },
  unsupported: {
    create: ['on_behalf_of', 'single_use', 'confirmation_token', 'attach_to_self'],
    update: ['attach_to_self'],
  },
  events: { created: 'setup_intent.created' },
  filters: ['customer', 'payment_method'],
  indexes: ['customer', 'payment_method'],
  routes: { update: false },
}).with(
  route('POST', '/v1/setup_intents/{intent}', 'setup_intent', (ctx, params, path) => updateSetupIntent(ctx, setupIntents.find(ctx, path.intent), params)),
  route('POST', '/v1/setup_intents/{intent}/confirm', 'setup_intent', (ctx, params, path) => {
    unsupportedParams('POST /v1/setup_intents/{intent}/confirm', params, ['confirmation_token']);
    return confirmSetupIntent(ctx, setupIntents.find(ctx, path.intent), params);
  }),
  route('POST', '/v1/setup_intents/{intent}/cancel', 'setup_intent', (ctx, params, path) =>
    cancelSetupIntent(ctx, setupIntents.find(ctx, path.intent), params.cancellation_reason ?? null),
  ),
);
