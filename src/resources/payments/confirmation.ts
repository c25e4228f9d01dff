import { errors, StripeError } from '../../engine/errors';
import { Announcement, Machine } from '../../engine/machine';
import { Params } from '../../engine/params';
import { EMPTY, find, mergeMetadata, shared } from '../../engine/resource';
import { Decline } from '../../engine/test_values';
import { Ctx, StripeObject } from '../../engine/world';
import { PaymentIntentStatus, SetupIntentStatus, unexpectedState } from './intent_machines';
import { cardError, checkUsable, declineFields, intentPaymentMethod, isLegacyCard, lastError, PaymentMethod, paymentMethodById, spendForced } from './payment_methods';
import { needsAuthentication, nextAction, pendingAuthentication } from './three_d_secure';

// Confirmation, shared by PaymentIntents (docs/stripe-facts.md §3.3 T2–T7) and SetupIntents (§11): the
// confirmable check, the payment method, return_url and the redirect rule of
// automatic payment methods, 3D Secure (requires_action and its next_action,
// then the customer passing or failing the challenge), and failure
// (requires_payment_method with the error recorded, its event and the 402).
// What happens on success is each intent's own: a PaymentIntent charges, a
// SetupIntent attaches; they plug in here.

/** The statuses both intents have. */
type IntentStatus = Extract<PaymentIntentStatus, SetupIntentStatus>;

/** What the confirmation needs of an intent's machine (both intents' machines have these). */
type IntentMachine = Pick<Machine<IntentStatus, 'confirm' | 'authenticate'>, 'state' | 'allows' | 'check' | 'error' | 'transition'>;

/** An intent type, as confirmation sees it. */
export interface IntentKind {
  object: 'payment_intent' | 'setup_intent';
  /** Its name in error texts. */
  name: 'PaymentIntent' | 'SetupIntent';
  machine: IntentMachine;
  /** The field recording why the latest attempt failed. */
  errorField: 'last_payment_error' | 'last_setup_error';
  /** What that field records when the customer fails the 3D Secure challenge. */
  authenticationFailure: { code: string; message: string };
}

/**
 * The payment method types an intent offers: explicit `allowed_payment_method_types`
 * or `payment_method_types` (before 2026-09-30.endive, which refuses it: src/versions/2026-09-30.endive),
 * else automatic payment methods decide from the account's configuration (docs/stripe-facts.md §0, 2023-08-16).
 */
export function offeredTypes(ctx: Ctx, params: Params) {
  // Twin choice: no recorded answer to both type lists at once, so the text is
  // Stripe's wording for exclusive parameters; the names' pairing and the param (unverified).
  if (params.payment_method_types && params.allowed_payment_method_types) {
    throw errors.onlyOneOf(['allowed_payment_method_types', 'payment_method_types'], 'payment_method_types');
  }
  const explicit: string[] | undefined = params.allowed_payment_method_types ?? params.payment_method_types ?? undefined;
  if (explicit && params.automatic_payment_methods) {
    // The names' order and the param (unverified): reported texts list names alphabetically.
    const types = params.allowed_payment_method_types ? 'allowed_payment_method_types' : 'payment_method_types';
    throw errors.onlyOneOf(['automatic_payment_methods', types], 'automatic_payment_methods');
  }
  if (explicit) return { types: explicit, allowed: (params.allowed_payment_method_types as string[] | undefined) ?? null, automatic: null };
  if (params.automatic_payment_methods?.enabled === false) return { types: ['card'], allowed: null, automatic: null };
  return {
    types: ctx.world.config.paymentMethodTypes,
    allowed: null,
    automatic: AUTOMATIC[(params.automatic_payment_methods?.allow_redirects ?? 'always') as 'always' | 'never'],
  };
}

/** The account's payment method configuration, used when automatic payment methods decide. */
export function pmcId(ctx: Ctx): string {
  const key = 'payment_method_configuration';
  let id = ctx.world.facts.get(key) as string | undefined;
  if (!id) ctx.world.facts.set(key, (id = ctx.world.ids.next('pmc')));
  return id;
}

/**
 * What a new PaymentIntent and a new SetupIntent share: the payment method types
 * offered, customer, payment method, id and client secret, metadata, the account's
 * configuration, and the first status. In this order: ids and the configuration
 * are drawn from the world's seeded stream.
 */
export function newIntentFields(ctx: Ctx, kind: IntentKind, params: Params, newId: () => string) {
  const offered = offeredTypes(ctx, params);
  const customer = params.customer ? find(ctx, 'customer', params.customer, 'customer') : null;
  const pm = intentPaymentMethod(ctx, params);
  const id = newId();
  return {
    id,
    allowed_payment_method_types: offered.allowed,
    automatic_payment_methods: offered.automatic,
    client_secret: ctx.world.ids.clientSecret(id),
    customer: customer?.id ?? null,
    excluded_payment_method_types: params.excluded_payment_method_types ?? null,
    metadata: mergeMetadata(EMPTY, params.metadata),
    payment_method: pm?.id ?? null,
    // A connected account's configuration is a child of its platform's (recorded `parent: pmc_…`).
    payment_method_configuration_details: offered.automatic ? { id: pmcId(ctx), parent: ctx.world.platform ? pmcId({ ...ctx, world: ctx.world.platform }) : null } : null,
    payment_method_types: offered.types,
    status: pm ? kind.machine.state.requires_confirmation : kind.machine.state.requires_payment_method,
  };
}

const AUTOMATIC = { always: shared({ allow_redirects: 'always', enabled: true }), never: shared({ allow_redirects: 'never', enabled: true }) };

/** The step that moves an intent: its confirmation, or finishing its challenge. */
export type ConfirmationStep = 'confirm' | 'authenticate';

/** The return_url an intent was given, kept for its later confirmations. */
const returnUrlFact = (id: string) => `return_url:${id}`;

export function rememberReturnUrl(ctx: Ctx, intent: StripeObject, url: string | null | undefined): void {
  if (url) ctx.world.facts.set(returnUrlFact(intent.id), url);
}

/**
 * The checks every confirmation starts with, in Stripe's order: the intent's
 * status, a named PaymentMethod existing, a return_url when automatic payment
 * methods may redirect (not needed off-session), a payment method at all, and
 * that it is still usable. Returns the PaymentMethod and the return_url.
 */
export function beginConfirmation(
  ctx: Ctx,
  kind: IntentKind,
  intent: StripeObject,
  params: Params,
  offSession = false,
): { pm: PaymentMethod; returnUrl: string | undefined } {
  const { world } = ctx;
  kind.machine.check(intent, 'confirm');
  if (params.payment_method && !params.payment_method.startsWith('pm_card_') && !isLegacyCard(params.payment_method)) {
    find(ctx, 'payment_method', params.payment_method, 'payment_method', 'PaymentMethod');
  }
  const returnUrl: string | undefined = params.return_url ?? (world.facts.get(returnUrlFact(intent.id)) as string | undefined);
  const apm = intent.automatic_payment_methods;
  if (apm?.enabled && apm.allow_redirects !== 'never' && !returnUrl && !offSession) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      message: `This ${kind.name} is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a \`return_url\`. If you don't want to accept redirect-based payment methods, set \`automatic_payment_methods[enabled]\` to \`true\` and \`automatic_payment_methods[allow_redirects]\` to \`never\` when creating Setup Intents and Payment Intents.`,
      [kind.object]: intent,
    });
  }
  const pm = intentPaymentMethod(ctx, params, intent.customer) ?? (intent.payment_method ? paymentMethodById(ctx, intent.payment_method) : null) ?? defaultSource(ctx, kind, intent);
  if (!pm) {
    throw unexpectedState(
      intent,
      `You cannot confirm this ${kind.name} because it's missing a payment method. You can either update the ${kind.name} with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.`,
    );
  }
  checkUsable(ctx, pm);
  rememberReturnUrl(ctx, intent, returnUrl);
  return { pm, returnUrl };
}

/**
 * A PaymentIntent confirmed without a payment method pays with its customer's
 * `default_source`, "to improve migration for users of the Charges API" [sdk
 * PaymentIntentCreateParams.payment_method]. A SetupIntent has no such rule.
 */
function defaultSource(ctx: Ctx, kind: IntentKind, intent: StripeObject): PaymentMethod | null {
  if (kind.object !== 'payment_intent' || !intent.customer) return null;
  const source = ctx.world.get(intent.customer)?.default_source as string | null | undefined;
  return source && isLegacyCard(source) ? paymentMethodById(ctx, source) : null;
}

/** Whether this confirmation needs 3D Secure; a forced `payment.requires_action` is spent by the confirmation that meets it. */
export function demandsAuthentication(ctx: Ctx, intent: StripeObject, pm: PaymentMethod, offSession = false): boolean {
  if (!needsAuthentication(ctx.world, intent, pm, offSession)) return false;
  spendForced(ctx.world, intent.id, ['authentication']);
  return true;
}

/** 3D Secure required: requires_action with the next_action for `attempt` (docs/stripe-facts.md §3.3 T7); the challenge stays pending. */
export function requireAuthentication<T extends StripeObject>(ctx: Ctx, kind: IntentKind, intent: T, pm: PaymentMethod, attempt: string, returnUrl: string | undefined): T {
  ctx.world.facts.set(pendingAuthentication(intent.id), pm.id);
  const action = nextAction(ctx, intent, pm, attempt, returnUrl);
  return kind.machine.transition(ctx, intent, 'confirm', kind.machine.state.requires_action, { next_action: action });
}

/**
 * Finishes a pending 3D Secure challenge (the customer's part, done in a browser
 * on Stripe; here the control surface). Failing returns the intent to
 * requires_payment_method; passing goes on with `proceed`, and a decline there
 * (a 402) answers with the intent as it ended.
 */
export function finishAuthentication<T extends StripeObject>(
  ctx: Ctx,
  kind: IntentKind,
  intent: T,
  succeed: boolean,
  proceed: (intent: T, pm: PaymentMethod) => T,
): T {
  const { world } = ctx;
  const pmId = world.facts.get(pendingAuthentication(intent.id)) as string | undefined;
  if (!pmId || !kind.machine.allows(intent, 'authenticate')) throw kind.machine.error(intent, 'authenticate');
  world.facts.delete(pendingAuthentication(intent.id));
  const pm = paymentMethodById(ctx, pmId);
  if (!succeed) {
    return kind.machine.transition(ctx, intent, 'authenticate', kind.machine.state.requires_payment_method, {
      next_action: null,
      payment_method: null,
      [kind.errorField]: lastError(kind.authenticationFailure, pm, 'invalid_request_error'),
    });
  }
  try {
    return proceed(intent, pm);
  } catch (e) {
    if (e instanceof StripeError && e.status === 402) return world.get<T>(intent.id)!;
    throw e;
  }
}

export interface Failure {
  /** What the recorded error and the 402 report. */
  decline: Decline;
  /** Objects both name before the intent (`charge`: the failed charge). */
  naming?: Record<string, string>;
  /** The intent's own changes besides the failure (its latest charge). */
  changes?: Record<string, unknown>;
  /** Events of other objects the failure emits first (charge.failed). */
  preceding?: readonly Announcement[];
}

/**
 * A failed attempt: the intent back in requires_payment_method without its
 * payment method, the error recorded in last_payment_error / last_setup_error,
 * the failure event, and the 402 card_error carrying the intent.
 */
export function failAttempt(ctx: Ctx, kind: IntentKind, intent: StripeObject, pm: PaymentMethod, step: ConfirmationStep, failure: Failure): never {
  const { decline, naming = {}, changes = {}, preceding = [] } = failure;
  const failed = kind.machine.transition(
    ctx,
    intent,
    step,
    kind.machine.state.requires_payment_method,
    { payment_method: null, next_action: null, ...changes, [kind.errorField]: lastError({ ...declineFields(decline), ...naming }, pm) },
    preceding,
  );
  throw cardError(decline, { ...naming, [kind.object]: failed, payment_method: pm });
}
