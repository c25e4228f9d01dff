import { emit } from './events';
import { Ctx, StripeObject } from './world';

// State machines as data: per object, its states (its `status` values) and the
// actions on it. An action names the states it is allowed from, the states it
// can lead to (the outcome decides among several) with the events each of those
// transitions emits, and the error an illegal action gets. Handlers check and
// move objects through the machine, and the control surface reads the same
// table for what can happen next.

export interface Action<S extends string> {
  /** The states the action is allowed from, in the order error texts list them. */
  from: readonly NoInfer<S>[];
  /** Each state the action can lead to, with the events that transition emits, in order. */
  to: Partial<Record<NoInfer<S>, readonly string[]>>;
  /**
   * The error an action from another state gets: `allowed` is `from`; `detail`
   * is what the caller adds (the field an update names).
   */
  error: (obj: StripeObject, allowed: readonly NoInfer<S>[], detail?: string) => Error;
}

export interface MachineDeclaration<S extends string, A extends string> {
  states: readonly S[];
  actions: Record<A, Action<S>>;
}

/** An event of another object that a transition causes, as `[type, object]`. */
export type Announcement = readonly [type: string, object: StripeObject];

export class Machine<S extends string, A extends string> {
  /** The state names, `machine.state.succeeded === 'succeeded'`: a misspelt state does not compile. */
  readonly state: { readonly [K in S]: K };

  constructor(readonly declaration: MachineDeclaration<S, A>) {
    const states = new Set<string>(declaration.states);
    for (const [name, action] of Object.entries<Action<S>>(declaration.actions)) {
      for (const s of [...action.from, ...Object.keys(action.to)]) if (!states.has(s)) throw new Error(`action ${name}: unknown state ${s}`);
    }
    this.state = Object.freeze(Object.fromEntries(declaration.states.map((s) => [s, s]))) as { readonly [K in S]: K };
  }

  get states(): readonly S[] {
    return this.declaration.states;
  }

  get actions(): readonly A[] {
    return Object.keys(this.declaration.actions) as A[];
  }

  /** The states `action` is allowed from, in declared order. */
  allowedFrom(action: A): readonly S[] {
    return this.declaration.actions[action].from;
  }

  /** The states `action` can lead to. */
  targets(action: A): readonly S[] {
    return Object.keys(this.declaration.actions[action].to) as S[];
  }

  /** The events the transition of `action` to `to` emits. */
  events(action: A, to: S): readonly string[] {
    const events = this.declaration.actions[action].to[to];
    if (!events) throw new Error(`${action} does not lead to ${to}`);
    return events;
  }

  /** The actions allowed from `state`, in declared order. */
  actionsFrom(state: string): A[] {
    return this.actions.filter((a) => this.declaration.actions[a].from.includes(state as S));
  }

  allows(obj: StripeObject, action: A): boolean {
    return this.declaration.actions[action].from.includes(obj.status);
  }

  /** The declared error for `action` on `obj` (whatever its state). */
  error(obj: StripeObject, action: A, detail?: string): Error {
    const declared = this.declaration.actions[action];
    return declared.error(obj, declared.from, detail);
  }

  /** Throws the declared error unless `action` is allowed from `obj`'s state. */
  check(obj: StripeObject, action: A, detail?: string): void {
    if (!this.allows(obj, action)) throw this.error(obj, action, detail);
  }

  /**
   * Moves `obj` by `action` to `to`: checks the action, stores the new snapshot
   * (`changes` applied, keys keep their places) and emits the transition's events
   * in order, after `preceding`: events of other objects the same step causes
   * (a charge's, announced before its intent's).
   */
  transition<T extends StripeObject>(ctx: Ctx, obj: T, action: A, to: S, changes: Record<string, unknown> = {}, preceding: readonly Announcement[] = []): T {
    this.check(obj, action);
    const events = this.events(action, to);
    const next = ctx.world.replace({ ...obj, ...changes, status: to });
    for (const [type, object] of preceding) emit(ctx, type, object);
    for (const type of events) emit(ctx, type, next);
    return next;
  }
}

/** Declares a state machine (see MachineDeclaration). */
export function defineMachine<S extends string, A extends string>(declaration: MachineDeclaration<S, A>): Machine<S, A> {
  return new Machine(declaration);
}
