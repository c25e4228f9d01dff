import { Ctx, StripeObject, World } from '../engine/world';
import { CARD_DECLINES } from '../engine/test_values';
import { Charge } from '../resources/payments/charges';
import { createDispute } from '../resources/payments/disputes';
import { intentMachine, paymentIntentMachine, setupIntentMachine } from '../resources/payments/intent_machines';
import { completeAuthentication, PaymentIntent } from '../resources/payments/payment_intents';
import { armedIntents, forceBehaviour } from '../resources/payments/payment_methods';
import { canFail, failRefund, Refund } from '../resources/payments/refunds';
import { armRenewalDecline } from '../resources/billing/invoices';
import { completeSetupAuthentication, SetupIntent } from '../resources/payments/setup_intents';
import { pendingAuthentication } from '../resources/payments/three_d_secure';
import { ControlError, controlCtx, ControlParam, ControlRoute, limitOf } from './surface';

// Force a branch (issue 4): world triggers make an outcome happen on demand.
// Each desugars to the engine step its Stripe test value takes (one code path, README "Force a branch"):
// `payment.declined` and `payment.requires_action` force behaviour on an intent's
// next confirmation, read as if its card carried it (payment_methods.ts
// behaviourOf); the others run the step the test card's later life runs
// (completing a challenge, createDispute, failRefund). `GET /__admin__/world/next`
// lists what can be triggered now.

type ObjectType = 'payment_intent' | 'setup_intent' | 'charge' | 'refund' | 'subscription';

const NAMES: Record<ObjectType, string> = { payment_intent: 'PaymentIntent', setup_intent: 'SetupIntent', charge: 'Charge', refund: 'Refund', subscription: 'Subscription' };

interface Param {
  description: string;
  required?: boolean;
  /** Allowed values (strings), or 'boolean'. */
  values: readonly string[] | 'boolean';
  default?: string | boolean;
}

interface Trigger {
  name: string;
  description: string;
  /** The Stripe test values whose outcome this is. */
  like: string[];
  /** The object it acts on: exactly one of these, as a parameter named after its type. */
  on: ObjectType[];
  /** When it applies, in words (for errors and the catalogue). */
  when: string;
  params: Record<string, Param>;
  applies(world: World, obj: StripeObject): boolean;
  /** The engine step; returns the object to show and, for a forced branch, what is armed. */
  run(ctx: Ctx, obj: StripeObject, args: Record<string, any>): { object: StripeObject; armed?: Record<string, unknown> };
}

/** The states from which both intents' machines allow `action`, in declared order. */
function intentStates(action: 'confirm' | 'authenticate'): string[] {
  return [...new Set([...paymentIntentMachine.allowedFrom(action), ...setupIntentMachine.allowedFrom(action)])];
}

/** Subscriptions that have a next renewal to decline. */
const RENEWING = ['active', 'trialing', 'past_due'];

const confirmable = (intent: StripeObject) => intentMachine(intent)?.allows(intent, 'confirm') ?? false;
/** Confirmable with no challenge under way: the next confirmation decides whether 3D Secure is needed. */
const beforeAuthentication = (intent: StripeObject) => confirmable(intent) && !intentMachine(intent)!.allows(intent, 'authenticate');
const BEFORE_AUTHENTICATION = intentStates('confirm').filter((s) => !intentStates('authenticate').includes(s));

/** Dispute reasons (stripe-node 23.1 `Dispute.reason`; `noncompliant` is the compliance card's, docs/stripe-facts.md §4.5). */
const DISPUTE_REASONS = [
  'bank_cannot_process', 'check_returned', 'credit_not_processed', 'customer_initiated', 'debit_not_authorized', 'duplicate',
  'fraudulent', 'general', 'incorrect_account_details', 'insufficient_funds', 'noncompliant', 'product_not_received',
  'product_unacceptable', 'subscription_canceled', 'unrecognized',
] as const;

/** Refund failure reasons (docs/stripe-facts.md §6; stripe-node 23.1 `Refund.failure_reason`). */
const REFUND_FAILURE_REASONS = [
  'lost_or_stolen_card', 'expired_or_canceled_card', 'charge_for_pending_refund_disputed', 'insufficient_funds', 'declined',
  'merchant_request', 'unknown',
] as const;

const hasPendingChallenge = (world: World, intent: StripeObject) =>
  Boolean(intentMachine(intent)?.allows(intent, 'authenticate')) && world.facts.has(pendingAuthentication(intent.id));

function finishChallenge(ctx: Ctx, intent: StripeObject, succeed: boolean): StripeObject {
  return intent.object === 'payment_intent'
    ? completeAuthentication(ctx, intent as PaymentIntent, succeed)
    : completeSetupAuthentication(ctx, intent as SetupIntent, succeed);
}

const TRIGGERS: Trigger[] = [
  {
    name: 'payment.declined',
    description:
      "Declines the PaymentIntent's next charge attempt with `decline_code`, as the test card with that decline would: a 402 card_error on confirm, a failed charge, the intent back in requires_payment_method with last_payment_error, charge.failed and payment_intent.payment_failed. On an intent awaiting 3D Secure, the charge after a successful challenge declines (like …1629). On a subscription with `at: next_renewal`, the first attempt to charge its next renewal invoice declines so (then its retries, as Stripe's dunning does).",
    like: ['pm_card_visa_chargeDeclined', 'pm_card_visa_chargeDeclinedInsufficientFunds', 'pm_card_visa_chargeDeclinedLostCard', 'pm_card_chargeCustomerFail', '…(docs/stripe-facts.md §4.3)'],
    on: ['payment_intent', 'subscription'],
    when: `a PaymentIntent in ${paymentIntentMachine.allowedFrom('confirm').join(', ')}, or a subscription that renews (active, trialing, past_due) with at: next_renewal`,
    params: {
      decline_code: { description: 'the issuer decline, as the test cards of docs/stripe-facts.md §4.3 give it', values: [...CARD_DECLINES.keys()], default: 'generic_decline' },
      at: { description: 'on a subscription: the charge it declines', values: ['next_renewal'], default: 'next_renewal' },
    },
    applies: (_w, obj) => (obj.object === 'subscription' ? RENEWING.includes(obj.status) : confirmable(obj)),
    run: (ctx, obj, args) => {
      const decline = CARD_DECLINES.get(args.decline_code)!;
      if (obj.object === 'subscription') armRenewalDecline(ctx.world, obj.id, decline);
      else forceBehaviour(ctx.world, obj.id, { decline, declineAfterAuthentication: decline });
      return { object: obj, armed: obj.object === 'subscription' ? { decline_code: args.decline_code, at: args.at } : { decline_code: args.decline_code } };
    },
  },
  {
    name: 'payment.requires_action',
    description:
      'Demands 3D Secure on the intent\'s next confirmation, as the "always authenticate" cards do: requires_action with next_action and payment_intent.requires_action (setup_intent.requires_action); an off-session payment declines with authentication_required.',
    like: ['pm_card_threeDSecure2Required', 'pm_card_authenticationRequired'],
    on: ['payment_intent', 'setup_intent'],
    when: `a PaymentIntent or SetupIntent in ${BEFORE_AUTHENTICATION.join(', ')}`,
    params: {},
    applies: (_w, intent) => beforeAuthentication(intent),
    run: (ctx, intent) => {
      forceBehaviour(ctx.world, intent.id, { authentication: 'always' });
      return { object: intent, armed: { authentication: 'always' } };
    },
  },
  {
    name: 'authentication.succeeded',
    description:
      "Completes the pending 3D Secure challenge, as the cardholder would: the payment goes on as a confirmation does (or the card's after-authentication decline); a SetupIntent succeeds.",
    like: ['(the customer completing the challenge in a browser)'],
    on: ['payment_intent', 'setup_intent'],
    when: `a PaymentIntent or SetupIntent in ${intentStates('authenticate').join(', ')} with a pending challenge`,
    params: {},
    applies: hasPendingChallenge,
    run: (ctx, intent) => ({ object: finishChallenge(ctx, intent, true) }),
  },
  {
    name: 'authentication.failed',
    description:
      'Fails the pending 3D Secure challenge: the intent returns to requires_payment_method with payment_intent_authentication_failure (setup_intent_authentication_failure).',
    like: ['(the customer failing the challenge in a browser)'],
    on: ['payment_intent', 'setup_intent'],
    when: `a PaymentIntent or SetupIntent in ${intentStates('authenticate').join(', ')} with a pending challenge`,
    params: {},
    applies: hasPendingChallenge,
    run: (ctx, intent) => ({ object: finishChallenge(ctx, intent, false) }),
  },
  {
    name: 'dispute.created',
    description:
      'Opens a dispute on a succeeded charge, as the dispute cards do: charge.dispute.created, the charge disputed, then (not for an inquiry) the withdrawal with its dispute fee and charge.dispute.funds_withdrawn.',
    like: ['pm_card_createDispute', 'pm_card_createDisputeProductNotReceived', 'pm_card_createDisputeInquiry'],
    on: ['charge'],
    when: 'a succeeded, captured charge with no dispute',
    params: {
      reason: { description: 'the dispute reason', values: DISPUTE_REASONS, default: 'fraudulent' },
      inquiry: { description: 'an inquiry (warning_needs_response, no funds withdrawn) rather than a chargeback', values: 'boolean', default: false },
    },
    applies: (_w, c) => c.status === 'succeeded' && c.captured === true && !c.disputed,
    run: (ctx, charge, args) => ({
      object: createDispute(ctx, charge.id, { reason: args.reason, status: args.inquiry ? 'warning_needs_response' : 'needs_response' }),
    }),
  },
  {
    name: 'refund.failed',
    description:
      'Fails a refund, as the failing-refund card does later: status failed with failure_reason and failure_balance_transaction (a refund_failure credit), the charge no longer refunded by that amount, refund.failed, refund.updated and charge.refund.updated.',
    like: ['pm_card_refundFail'],
    on: ['refund'],
    when: 'a succeeded or pending refund that moved money (not a released authorization)',
    params: { failure_reason: { description: 'why the refund failed', values: REFUND_FAILURE_REASONS, default: 'expired_or_canceled_card' } },
    applies: (_w, r) => canFail(r as Refund),
    run: (ctx, refund, args) => ({ object: failRefund(ctx, refund as Refund, args.failure_reason) }),
  },
];

const BY_NAME = new Map(TRIGGERS.map((t) => [t.name, t]));

/** Checks a trigger call's arguments without looking at the world; fills in defaults. */
function parseArgs(trigger: Trigger, sent: Record<string, any>): { param: ObjectType; id: string; args: Record<string, any> } {
  // The object may also be named `<type>_id` (`subscription_id: "sub_…"`).
  const body = { ...sent };
  for (const type of trigger.on) {
    if (body[`${type}_id`] !== undefined && body[type] === undefined) {
      body[type] = body[`${type}_id`];
      delete body[`${type}_id`];
    }
  }
  const given = trigger.on.filter((p) => body[p] !== undefined);
  const takes = trigger.on.map((p) => `"${p}"`).join(' or ');
  if (!given.length) throw new ControlError(`${trigger.name} needs ${takes}: the id of the object it acts on`);
  if (given.length > 1) throw new ControlError(`${trigger.name} takes only one of ${takes}`);
  const param = given[0];
  const id = body[param];
  if (typeof id !== 'string' || !id) throw new ControlError(`"${param}" must be a ${NAMES[param]} id`);
  const args: Record<string, any> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'trigger' || name === 'key' || name === param) continue;
    const spec = Object.hasOwn(trigger.params, name) ? trigger.params[name] : undefined;
    if (!spec) {
      const known = [...trigger.on, ...Object.keys(trigger.params)].map((p) => `"${p}"`).join(', ');
      throw new ControlError(`Unknown parameter "${name}" for ${trigger.name}; it takes ${known}`);
    }
    if (spec.values === 'boolean') {
      if (typeof value !== 'boolean') throw new ControlError(`"${name}" must be true or false`);
    } else if (typeof value !== 'string' || !spec.values.includes(value)) {
      throw new ControlError(`Unknown ${name} ${JSON.stringify(value)} for ${trigger.name}; use one of ${spec.values.join(', ')}`);
    }
    args[name] = value;
  }
  for (const [name, spec] of Object.entries(trigger.params)) {
    if (spec.required && args[name] === undefined) {
      throw new ControlError(`${trigger.name} needs "${name}": one of ${(spec.values as readonly string[]).join(', ')}`);
    }
    if (args[name] === undefined && spec.default !== undefined) args[name] = spec.default;
  }
  return { param, id, args };
}

export function triggerByName(name: unknown): Trigger {
  if (typeof name !== 'string' || !name) throw new ControlError(`Give "trigger": one of ${TRIGGERS.map((t) => t.name).join(', ')}`);
  const trigger = BY_NAME.get(name);
  if (!trigger) throw new ControlError(`Unknown trigger "${name}"; use one of ${TRIGGERS.map((t) => t.name).join(', ')}`);
  return trigger;
}

/**
 * Runs a trigger in a world: arguments checked first, then due work runs (as at
 * the start of an API request), then the precondition, then the engine step in a
 * transaction of its own — a failure changes nothing.
 */
export function runTrigger(world: World, trigger: Trigger, body: Record<string, any>) {
  const { param, id, args } = parseArgs(trigger, body);
  const ctx = controlCtx(world);
  world.runDue(ctx);
  const obj = world.get(id);
  if (!obj || obj.object !== param || obj.deleted) throw new ControlError(`No ${NAMES[param]} ${id} in this world`, 404);
  if (!trigger.applies(world, obj)) {
    throw new ControlError(`${trigger.name} applies to ${trigger.when}; ${id} is ${describe(world, obj)}`, 409);
  }
  const before = world.count('event');
  const result = world.transaction(() => trigger.run(ctx, obj, args), true);
  const events = world.idsOf('event').slice(before).map((e) => ({ id: e, type: world.get(e)!.type }));
  return {
    trigger: trigger.name,
    [param]: id,
    ...(result.armed ? { armed: result.armed } : {}),
    object: result.object,
    events,
  };
}

function describe(world: World, obj: StripeObject): string {
  if (obj.object === 'charge') {
    const c = obj as Charge;
    return c.disputed ? 'already disputed' : c.status !== 'succeeded' ? c.status : c.captured ? 'succeeded' : 'not captured';
  }
  if (intentMachine(obj)?.allows(obj, 'authenticate') && !world.facts.has(pendingAuthentication(obj.id))) return `${obj.status} with no pending challenge`;
  return obj.status;
}

// --- world/next -------------------------------------------------------------

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** The newest objects of a type a trigger applies to: at most `limit`, and whether there are more. */
function newest(world: World, trigger: Trigger, type: ObjectType, limit: number): { found: StripeObject[]; more: boolean } {
  const ids = world.idsOf(type);
  const found: StripeObject[] = [];
  for (let i = ids.length - 1; i >= 0; i--) {
    const obj = world.get(ids[i])!;
    if (obj.deleted || !trigger.applies(world, obj)) continue;
    if (found.length === limit) return { found, more: true };
    found.push(obj);
  }
  return { found, more: false };
}

/** Every trigger: what it does, the test values it matches, what it acts on, when, and its parameters. */
export function triggerCatalogue() {
  return TRIGGERS.map((t) => ({ trigger: t.name, description: t.description, like: t.like, on: t.on, when: t.when, params: paramCatalogue(t) }));
}

/** The trigger route's parameters: the trigger's name, the object it acts on, and every trigger's own parameters. */
function triggerParams(): Record<string, ControlParam> {
  const params: Record<string, ControlParam> = {
    trigger: { in: 'body', type: 'string', description: "the trigger's name", required: true, enum: TRIGGERS.map((t) => t.name) },
  };
  for (const t of TRIGGERS) {
    for (const object of t.on) params[object] ??= { in: 'body', type: 'string', description: `the ${object} acted on (${TRIGGERS.filter((x) => x.on.includes(object)).map((x) => x.name).join(', ')})` };
    for (const [name, p] of Object.entries(t.params)) {
      params[name] ??= {
        in: 'body',
        type: p.values === 'boolean' ? 'boolean' : 'string',
        description: `${t.name}: ${p.description}`,
        ...(Array.isArray(p.values) ? { enum: p.values } : {}),
      };
    }
  }
  return params;
}

function paramCatalogue(trigger: Trigger) {
  return Object.fromEntries(
    Object.entries(trigger.params).map(([name, p]) => [
      name,
      { required: Boolean(p.required), values: p.values, ...(p.default !== undefined ? { default: p.default } : {}), description: p.description },
    ]),
  );
}

/**
 * What can be triggered now: per trigger (in catalogue order), the newest objects
 * whose preconditions hold, newest first, at most `limit` (`has_more` says when
 * more do), the other parameters it needs; and the forced branches armed but not
 * yet taken.
 */
function worldNext(world: World, limit: number) {
  world.runDue(controlCtx(world));
  const triggers = [];
  for (const trigger of TRIGGERS) {
    const candidates: { obj: StripeObject; type: ObjectType }[] = [];
    let more = false;
    for (const type of trigger.on) {
      const { found, more: m } = newest(world, trigger, type, limit);
      more ||= m;
      candidates.push(...found.map((obj) => ({ obj, type })));
    }
    if (!candidates.length) continue;
    // Newest first across types; a stable sort keeps the declared type order on ties.
    candidates.sort((a, b) => b.obj.created - a.obj.created);
    more ||= candidates.length > limit;
    const needs = Object.keys(trigger.params).filter((p) => trigger.params[p].required);
    triggers.push({
      trigger: trigger.name,
      objects: candidates.slice(0, limit).map(({ obj, type }) => ({ [type]: obj.id, status: describe(world, obj) })),
      has_more: more,
      ...(needs.length ? { needs } : {}),
    });
  }
  const armed = [];
  for (const { intent, forced } of armedIntents(world)) {
    const obj = world.get(intent);
    if (!obj || !confirmable(obj)) continue;
    if (forced.decline) armed.push({ trigger: 'payment.declined', [obj.object]: intent, decline_code: forced.decline.decline_code });
    if (forced.authentication) armed.push({ trigger: 'payment.requires_action', [obj.object]: intent });
  }
  return { now: world.now(), triggers, armed };
}

export const triggerRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/world/trigger',
    description: 'Forces a branch on an object (GET /__admin__/world/triggers lists them): the state and events of the test value it stands for.',
    params: triggerParams(),
    run: (call) => {
      const trigger = triggerByName(call.body.trigger);
      return runTrigger(call.world(), trigger, call.body);
    },
  },
  {
    method: 'GET',
    path: '/__admin__/world/next',
    description: 'What can be triggered now: per trigger the newest objects it applies to, the parameters it still needs, and branches armed but not yet taken.',
    params: {
      limit: { in: 'query', type: 'integer', description: 'objects per trigger, 1–100 (default 10)' },
    },
    run: (call) => worldNext(call.world(), limitOf(call.query, DEFAULT_LIMIT, MAX_LIMIT)),
  },
  {
    method: 'GET',
    path: '/__admin__/world/triggers',
    description: 'The trigger catalogue: each trigger\'s parameters, allowed values, preconditions and the test values it matches.',
    run: () => ({ triggers: triggerCatalogue() }),
  },
];
