import type { StripeEvent } from './events';
import type { Ctx } from './world';

// Reactions: what a resource does when something happens to another, declared
// instead of imported (a PaymentIntent succeeding pays the invoice it belongs
// to, which activates a subscription…). A reaction listens for an event type;
// `emit` runs the reactions to each event right after recording it, inside the
// same transaction (a rollback undoes them with everything else), one after
// another in the order they were declared, so their own events follow the event
// that caused them, deterministically.

export type Reaction = (ctx: Ctx, event: StripeEvent) => void;

interface Declared {
  /** Who reacts, for reading a world's reactions (`dispute opens on a disputing card`). */
  name: string;
  run: Reaction;
}

const reactions = new Map<string, Declared[]>();

/** Declares that `run` happens whenever an event of `type` is emitted. */
export function react(type: string, name: string, run: Reaction): void {
  let forType = reactions.get(type);
  if (!forType) reactions.set(type, (forType = []));
  forType.push({ name, run });
}

/** Runs the reactions declared for `event`'s type (called by emit). */
export function runReactions(ctx: Ctx, event: StripeEvent): void {
  const forType = reactions.get(event.type);
  if (forType) for (const reaction of forType) reaction.run(ctx, event);
}

/** The declared reactions, by event type (documentation and tests). */
export function declaredReactions(): Record<string, string[]> {
  return Object.fromEntries([...reactions].map(([type, list]) => [type, list.map((r) => r.name)]));
}
