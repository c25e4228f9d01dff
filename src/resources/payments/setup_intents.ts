import { errors, StripeError } from '../../engine/errors';
import { emit } from '../../engine/events';
import { paginate } from '../../engine/list';
import { Params } from '../../engine/params';
import { Ctx, declareIndex, StripeObject } from '../../engine/world';
import { given } from '../common';
import { EMPTY, find, mergeMetadata, route, unsupportedParams } from '../../engine/resource';
import { offeredTypes, pmcId, setUpOffSession } from './payment_intents';
import {
  attachPaymentMethod,
  behaviourOf,
  cardError,
  cardOf,
  checkUsable,
  declineFields,
  lastError,
  markChecked,
  PaymentMethod,
  intentPaymentMethod,
  spendForced,
} from './payment_methods';
import { nextAction, pendingAuthentication } from './three_d_secure';

// SetupIntents (stripe-behaviour.md §11): create, confirm with test values
// (3D Secure and declines included), cancel, update, list. No charge is made;
// success attaches the PaymentMethod to the customer.

export type SetupIntent = StripeObject & {
  object: 'setup_intent';
  status: string;
  customer: string | null;
  payment_method: string | null;
  automatic_payment_methods: { allow_redirects?: string; enabled: boolean } | null;
  usage: string;
};

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CARD_OPTIONS = { mandate_options: null, network: null, request_three_d_secure: 'automatic' };

const unexpectedState = (si: SetupIntent, message: string) =>
  errors.state(message, 'setup_intent_unexpected_state', { setup_intent: si });
const returnUrlFact = (id: string) => `return_url:${id}`;

function options(types: string[], given: Params | null | undefined): Record<string, unknown> {
  return Object.fromEntries(
    [...types].sort().map((t) => [t, t === 'card' ? { ...CARD_OPTIONS, ...(given?.card ?? {}) } : { ...(given?.[t] ?? {}) }]),
  );
}

export function createSetupIntent(ctx: Ctx, params: Params): SetupIntent {
  unsupportedParams('POST /v1/setup_intents', params, ['on_behalf_of', 'mandate_data', 'single_use', 'confirmation_token', 'attach_to_self']);
  const offered = offeredTypes(ctx, params);
  const customer = params.customer ? find(ctx, 'customer', params.customer, 'customer') : null;
  const pm = intentPaymentMethod(ctx, params);
  const { world } = ctx;
  const types = offered.types;
  const siId = world.ids.next('seti');
  const si = world.insert<SetupIntent>({
    id: siId,
    object: 'setup_intent',
    allowed_payment_method_types: offered.allowed,
    application: null,
    automatic_payment_methods: offered.automatic,
    cancellation_reason: null,
    client_secret: world.ids.clientSecret(siId),
    created: world.now(),
    customer: customer?.id ?? null,
    customer_account: null,
    description: params.description ?? null,
    excluded_payment_method_types: params.excluded_payment_method_types ?? null,
    flow_directions: params.flow_directions ?? null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    next_action: null,
    on_behalf_of: null,
    payment_method: pm?.id ?? null,
    payment_method_configuration_details: offered.automatic ? { id: pmcId(ctx), parent: null } : null,
    payment_method_options: options(types, params.payment_method_options),
    payment_method_types: types,
    single_use_mandate: null,
    status: pm ? 'requires_confirmation' : 'requires_payment_method',
    usage: params.usage ?? 'off_session',
  });
  if (params.return_url) world.facts.set(returnUrlFact(si.id), params.return_url);
  emit(ctx, 'setup_intent.created', si);
  if (params.confirm) return confirmSetupIntent(ctx, si, { ...params, payment_method: undefined, payment_method_data: undefined });
  return si;
}

export function confirmSetupIntent(ctx: Ctx, si: SetupIntent, params: Params): SetupIntent {
  const { world } = ctx;
  if (!CONFIRMABLE.includes(si.status)) {
    throw unexpectedState(
      si,
      `You cannot confirm this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
    );
  }
  if (params.payment_method && !params.payment_method.startsWith('pm_card_')) {
    find(ctx, 'payment_method', params.payment_method, 'payment_method', 'PaymentMethod');
  }
  const returnUrl: string | undefined = params.return_url ?? (world.facts.get(returnUrlFact(si.id)) as string | undefined);
  const apm = si.automatic_payment_methods;
  if (apm?.enabled && apm.allow_redirects !== 'never' && !returnUrl) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      message:
        "This SetupIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
      setup_intent: si,
    });
  }
  const pm = intentPaymentMethod(ctx, params) ?? (si.payment_method ? world.get<PaymentMethod>(si.payment_method)! : null);
  if (!pm) {
    throw unexpectedState(
      si,
      "You cannot confirm this SetupIntent because it's missing a payment method. You can either update the SetupIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.",
    );
  }
  checkUsable(ctx, pm);
  if (returnUrl) world.facts.set(returnUrlFact(si.id), returnUrl);
  si = world.update(si, { payment_method: pm.id, status: 'requires_confirmation', next_action: null, latest_attempt: world.ids.next('setatt') });
  const requested = (si.payment_method_options as Params).card?.request_three_d_secure;
  if (behaviourOf(world, pm.id, si.id)?.authentication || requested === 'any' || requested === 'challenge') {
    spendForced(world, si.id, ['authentication']);
    world.facts.set(pendingAuthentication(si.id), pm.id);
    const action = nextAction(ctx, si, pm, si.latest_attempt, returnUrl);
    const waiting = world.update(si, { status: 'requires_action', next_action: action });
    emit(ctx, 'setup_intent.requires_action', waiting);
    return waiting;
  }
  return finishSetup(ctx, si, pm);
}

/** Success attaches the card to the customer; a declining card fails the setup with a 402 (§11). */
function finishSetup(ctx: Ctx, si: SetupIntent, pm: PaymentMethod, authenticated = false): SetupIntent {
  const { world } = ctx;
  const card = cardOf(world, pm.id);
  pm = markChecked(ctx, pm);
  if (card?.decline && !card.attachable) {
    const d = card.decline;
    const failed = world.update(si, {
      status: 'requires_payment_method',
      payment_method: null,
      next_action: null,
      last_setup_error: lastError(declineFields(d), pm),
    });
    emit(ctx, 'setup_intent.setup_failed', failed);
    throw cardError(d, { setup_intent: failed, payment_method: pm });
  }
  if (si.customer && !pm.customer) pm = attachPaymentMethod(ctx, pm, si.customer);
  if (si.usage === 'off_session' && (authenticated || !card?.authentication)) world.facts.set(setUpOffSession(pm.id), true);
  const done = world.update(si, { status: 'succeeded', next_action: null, last_setup_error: null });
  emit(ctx, 'setup_intent.succeeded', done);
  return done;
}

/** Finishes a pending 3D Secure challenge on a SetupIntent (control surface). */
export function completeSetupAuthentication(ctx: Ctx, si: SetupIntent, succeed: boolean): SetupIntent {
  const { world } = ctx;
  const pmId = world.facts.get(pendingAuthentication(si.id)) as string | undefined;
  if (si.status !== 'requires_action' || !pmId) throw new Error(`${si.id} has no pending authentication (status ${si.status})`);
  world.facts.delete(pendingAuthentication(si.id));
  const pm = world.get<PaymentMethod>(pmId)!;
  if (succeed) {
    try {
      return finishSetup(ctx, si, pm, true);
    } catch (e) {
      if (e instanceof StripeError && e.status === 402) return world.get<SetupIntent>(si.id)!;
      throw e;
    }
  }
  const failed = world.update(si, {
    status: 'requires_payment_method',
    payment_method: null,
    next_action: null,
    last_setup_error: lastError(
      {
        code: 'setup_intent_authentication_failure',
        message: 'The latest attempt to set up the payment method has failed because authentication failed.',
      },
      pm,
      'invalid_request_error',
    ),
  });
  emit(ctx, 'setup_intent.setup_failed', failed);
  return failed;
}

function cancelSetupIntent(ctx: Ctx, si: SetupIntent, reason: string | null): SetupIntent {
  if (!CONFIRMABLE.includes(si.status)) {
    throw unexpectedState(
      si,
      `You cannot cancel this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be canceled: ${CONFIRMABLE.join(', ')}.`,
    );
  }
  ctx.world.facts.delete(pendingAuthentication(si.id));
  spendForced(ctx.world, si.id, ['authentication']);
  const canceled = ctx.world.update(si, { status: 'canceled', cancellation_reason: reason, next_action: null });
  emit(ctx, 'setup_intent.canceled', canceled);
  return canceled;
}

function updateSetupIntent(ctx: Ctx, si: SetupIntent, params: Params): SetupIntent {
  unsupportedParams('POST /v1/setup_intents/{intent}', params, ['attach_to_self']);
  if (!CONFIRMABLE.includes(si.status) && (params.payment_method || params.customer || params.payment_method_types || params.allowed_payment_method_types)) {
    throw unexpectedState(si, `You cannot update this SetupIntent because it has a status of ${si.status}.`);
  }
  if (params.customer) find(ctx, 'customer', params.customer, 'customer');
  const paymentMethod = intentPaymentMethod(ctx, params)?.id ?? si.payment_method;
  const types: string[] = params.allowed_payment_method_types ?? params.payment_method_types ?? si.payment_method_types;
  return ctx.world.replace({
    ...si,
    allowed_payment_method_types: given(params.allowed_payment_method_types, si.allowed_payment_method_types),
    customer: given(params.customer, si.customer),
    description: given(params.description, si.description),
    flow_directions: given(params.flow_directions, si.flow_directions),
    metadata: mergeMetadata(si.metadata, params.metadata),
    payment_method: paymentMethod,
    payment_method_options: params.payment_method_options || types !== si.payment_method_types ? options(types, params.payment_method_options) : si.payment_method_options,
    payment_method_types: types,
    status: paymentMethod !== si.payment_method && CONFIRMABLE.includes(si.status) ? 'requires_confirmation' : si.status,
  });
}

// Indexes behind the list filters (filters recheck each object).
declareIndex('setup_intent', 'customer');
declareIndex('setup_intent', 'payment_method');

export const setupIntentRoutes = [
  route('POST', '/v1/setup_intents', 'setup_intent', (ctx, params) => createSetupIntent(ctx, params)),
  route('GET', '/v1/setup_intents/{intent}', 'setup_intent', (ctx, _p, path) => find(ctx, 'setup_intent', path.intent)),
  route('POST', '/v1/setup_intents/{intent}', 'setup_intent', (ctx, params, path) =>
    updateSetupIntent(ctx, find<SetupIntent>(ctx, 'setup_intent', path.intent), params),
  ),
  route('POST', '/v1/setup_intents/{intent}/confirm', 'setup_intent', (ctx, params, path) => {
    unsupportedParams('POST /v1/setup_intents/{intent}/confirm', params, ['mandate_data', 'confirmation_token']);
    return confirmSetupIntent(ctx, find<SetupIntent>(ctx, 'setup_intent', path.intent), params);
  }),
  route('POST', '/v1/setup_intents/{intent}/cancel', 'setup_intent', (ctx, params, path) =>
    cancelSetupIntent(ctx, find<SetupIntent>(ctx, 'setup_intent', path.intent), params.cancellation_reason ?? null),
  ),
  route('GET', '/v1/setup_intents', { list: 'setup_intent' }, (ctx, params) =>
    paginate<SetupIntent>(ctx.world, 'setup_intent', '/v1/setup_intents', params, (si) =>
      (params.customer == null || si.customer === params.customer) && (params.payment_method == null || si.payment_method === params.payment_method),
    { customer: params.customer, payment_method: params.payment_method }),
  ),
];
