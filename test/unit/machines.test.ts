import { defineMachine } from '../../src/engine/machine';
import { Twin } from '../../src/engine/twin';
import { Ctx, StripeObject } from '../../src/engine/world';
import { paymentIntentMachine, setupIntentMachine } from '../../src/resources/payments/intent_machines';

// State machines as data (src/engine/machine.ts) and the intents' tables
// (src/resources/payments/intent_machines.ts).

const ctxOf = (): Ctx => {
  const world = new Twin().world('sk_test_machines');
  return { world, requestId: 'req_machines', idempotencyKey: null, apiVersion: world.config.defaultApiVersion };
};

// A made-up object's lifecycle: the module knows nothing of Stripe's.
const ticket = defineMachine({
  states: ['draft', 'open', 'closed', 'void'],
  actions: {
    open: { from: ['draft'], to: { open: ['ticket.opened'] }, error: (t, allowed) => new Error(`${t.id} is ${t.status}, not ${allowed.join(' or ')}`) },
    settle: {
      from: ['open'],
      to: { closed: ['ticket.closed', 'ticket.settled'], void: ['ticket.voided'] },
      error: (t, _allowed, detail) => new Error(`cannot settle ${t.id} (${detail ?? 'no detail'})`),
    },
    discard: { from: ['draft', 'open'], to: { void: ['ticket.voided'] }, error: (t) => new Error(`cannot discard ${t.status}`) },
  },
});

const eventTypes = (ctx: Ctx) => ctx.world.idsOf('event').map((id) => {
  const e = ctx.world.get(id)!;
  return `${e.type} ${e.data.object.id}`;
});

describe('machine', () => {
  it('names its states as constants and reads the table', () => {
    expect(ticket.state.open).toBe('open');
    expect(ticket.states).toEqual(['draft', 'open', 'closed', 'void']);
    expect(ticket.actions).toEqual(['open', 'settle', 'discard']);
    expect(ticket.allowedFrom('discard')).toEqual(['draft', 'open']);
    expect(ticket.targets('settle')).toEqual(['closed', 'void']);
    expect(ticket.events('settle', 'closed')).toEqual(['ticket.closed', 'ticket.settled']);
    expect(ticket.actionsFrom('open')).toEqual(['settle', 'discard']);
    expect(ticket.actionsFrom('closed')).toEqual([]);
  });

  it('refuses a table naming a state it does not declare', () => {
    expect(() =>
      defineMachine({ states: ['a'], actions: { go: { from: ['a'], to: { b: [] } as never, error: () => new Error('no') } } }),
    ).toThrow('action go: unknown state b');
  });

  it('checks an action with the declared error, given the allowed states and the caller detail', () => {
    const t: StripeObject = { id: 'tk_1', object: 'ticket', status: 'closed' };
    expect(ticket.allows(t, 'open')).toBe(false);
    expect(ticket.allows({ ...t, status: 'draft' }, 'open')).toBe(true);
    expect(() => ticket.check(t, 'open')).toThrow('tk_1 is closed, not draft');
    expect(() => ticket.check(t, 'settle', 'late')).toThrow('cannot settle tk_1 (late)');
    expect(() => ticket.check({ ...t, status: 'open' }, 'settle')).not.toThrow();
    expect(ticket.error(t, 'discard').message).toBe('cannot discard closed');
  });

  it('stores the new snapshot and emits the other objects\' events, then its own, in order', () => {
    const ctx = ctxOf();
    const t = ctx.world.insert({ id: 'tk_1', object: 'ticket', created: 0, status: 'open', note: 'a', amount: 1 });
    const other = ctx.world.insert({ id: 'pay_1', object: 'payment', created: 0 });
    const closed = ticket.transition(ctx, t, 'settle', ticket.state.closed, { amount: 2 }, [['payment.made', other]]);
    expect(closed).toEqual({ id: 'tk_1', object: 'ticket', created: 0, status: 'closed', note: 'a', amount: 2 });
    expect(Object.keys(closed)).toEqual(Object.keys(t)); // keys keep their places
    expect(ctx.world.get('tk_1')).toBe(closed);
    expect(eventTypes(ctx)).toEqual(['payment.made pay_1', 'ticket.closed tk_1', 'ticket.settled tk_1']);
  });

  it('moves nothing on an illegal action or an undeclared outcome', () => {
    const ctx = ctxOf();
    const t = ctx.world.insert({ id: 'tk_1', object: 'ticket', created: 0, status: 'draft' });
    expect(() => ticket.transition(ctx, t, 'settle', ticket.state.closed)).toThrow('cannot settle tk_1');
    expect(() => ticket.transition(ctx, t, 'open', ticket.state.void)).toThrow('open does not lead to void');
    expect(ctx.world.get('tk_1')!.status).toBe('draft');
    expect(eventTypes(ctx)).toEqual([]);
  });
});

describe('intent machines', () => {
  const pi = (status: string, extra: Record<string, unknown> = {}): StripeObject => ({ id: 'pi_1', object: 'payment_intent', status, ...extra });
  const si = (status: string): StripeObject => ({ id: 'seti_1', object: 'setup_intent', status });
  const message = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  };

  it('declares Stripe\'s statuses', () => {
    expect([...paymentIntentMachine.states].sort()).toEqual(
      ['canceled', 'processing', 'requires_action', 'requires_capture', 'requires_confirmation', 'requires_payment_method', 'succeeded'],
    );
    expect([...setupIntentMachine.states].sort()).toEqual(
      ['canceled', 'processing', 'requires_action', 'requires_confirmation', 'requires_payment_method', 'succeeded'],
    );
  });

  it('lists the allowed statuses in the order Stripe\'s texts do', () => {
    expect(paymentIntentMachine.allowedFrom('confirm')).toEqual(['requires_payment_method', 'requires_confirmation', 'requires_action']);
    expect(paymentIntentMachine.allowedFrom('cancel')).toEqual(['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing']);
    expect(paymentIntentMachine.allowedFrom('capture')).toEqual(['requires_capture']);
    expect(setupIntentMachine.allowedFrom('cancel')).toEqual(['requires_payment_method', 'requires_confirmation', 'requires_action']);
    expect(paymentIntentMachine.actionsFrom('requires_capture')).toEqual(['capture', 'cancel']);
    expect(paymentIntentMachine.actionsFrom('succeeded')).toEqual([]);
  });

  it('gives each illegal action Stripe\'s error, carrying the intent', () => {
    expect(message(() => paymentIntentMachine.check(pi('succeeded'), 'confirm'))).toBe(
      'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
    );
    expect(message(() => paymentIntentMachine.check(pi('canceled'), 'confirm'))).toBe(
      'You cannot confirm this PaymentIntent because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be confirmed: requires_payment_method, requires_confirmation, requires_action.',
    );
    expect(message(() => paymentIntentMachine.check(pi('succeeded', { capture_method: 'manual' }), 'capture'))).toBe(
      'This PaymentIntent could not be captured because it has already been captured.',
    );
    expect(message(() => paymentIntentMachine.check(pi('succeeded', { capture_method: 'automatic' }), 'capture'))).toBe(
      'This PaymentIntent could not be captured because it has a status of succeeded. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.',
    );
    expect(message(() => paymentIntentMachine.check(pi('requires_capture'), 'update', 'amount'))).toBe(
      "This PaymentIntent's amount could not be updated because it has a status of requires_capture. You may only update the amount of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.",
    );
    expect(message(() => setupIntentMachine.check(si('succeeded'), 'cancel'))).toBe(
      'You cannot cancel this SetupIntent because it has a status of succeeded. Only a SetupIntent with one of the following statuses may be canceled: requires_payment_method, requires_confirmation, requires_action.',
    );
    expect(message(() => setupIntentMachine.check(si('canceled'), 'update'))).toBe('You cannot update this SetupIntent because it has a status of canceled.');
    const error = paymentIntentMachine.error(pi('canceled'), 'cancel') as Error & { fields: Record<string, unknown> };
    expect(error.fields).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { id: 'pi_1' } });
    expect((setupIntentMachine.error(si('canceled'), 'confirm') as Error & { fields: Record<string, unknown> }).fields).toMatchObject({
      code: 'setup_intent_unexpected_state',
      setup_intent: { id: 'seti_1' },
    });
  });

  it('emits each outcome\'s events', () => {
    expect(paymentIntentMachine.events('confirm', 'requires_capture')).toEqual(['payment_intent.amount_capturable_updated']);
    expect(paymentIntentMachine.events('authenticate', 'requires_payment_method')).toEqual(['payment_intent.payment_failed']);
    expect(paymentIntentMachine.events('cancel', 'canceled')).toEqual(['payment_intent.canceled']);
    expect(setupIntentMachine.events('confirm', 'requires_action')).toEqual(['setup_intent.requires_action']);
    expect(setupIntentMachine.events('authenticate', 'requires_payment_method')).toEqual(['setup_intent.setup_failed']);
    // The confirmation's first step and a new payment method on update emit nothing.
    expect(paymentIntentMachine.events('confirm', 'requires_confirmation')).toEqual([]);
    expect(setupIntentMachine.events('update', 'requires_confirmation')).toEqual([]);
  });
});
