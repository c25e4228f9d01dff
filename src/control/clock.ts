import { World } from '../engine/world';
import { ControlError, controlCtx, ControlRoute } from './surface';

// The world clock: read it, move it forward. Everything due runs, in order,
// before the call returns.

function clock(world: World) {
  return { now: world.now(), iso: new Date(world.now() * 1000).toISOString(), pending_tasks: world.pendingTasks() };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `{seconds: 90}`, `{duration: "32d"}` or `{to: <unix seconds>}`. */
function advanceSeconds(world: World, body: Record<string, any>): number {
  if (typeof body.seconds === 'number' && body.seconds >= 0) return body.seconds;
  if (typeof body.to === 'number') {
    if (body.to < world.now()) throw new ControlError(`"to" (${body.to}) is before the world's current time (${world.now()})`);
    return body.to - world.now();
  }
  const m = typeof body.duration === 'string' && body.duration.match(/^(\d+)([smhdw])$/);
  if (m) return Number(m[1]) * UNITS[m[2]];
  throw new ControlError('Give "seconds" (a non-negative number), "duration" (like "90s", "2h", "32d") or "to" (Unix seconds)');
}

export const clockRoutes: ControlRoute[] = [
  { method: 'GET', path: '/__admin__/clock', run: (call) => clock(call.world()) },
  {
    method: 'POST',
    path: '/__admin__/clock/advance',
    run: async (call) => {
      const world = call.world();
      const seconds = advanceSeconds(world, call.body);
      // With a dispatcher, webhook retries that fall due are delivered before the call returns.
      if (call.twin.dispatcher) await call.twin.dispatcher.advance(world, seconds, controlCtx(world));
      else world.advance(seconds, controlCtx(world));
      return clock(world);
    },
  },
];
