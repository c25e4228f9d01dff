import { World } from '../engine/world';
import { ControlError, controlCtx, ControlRoute } from './surface';

// The world clock: read it, move it forward. Everything due runs, in order,
// before the call returns. A request is checked whole before the clock moves:
// a refused advance changes nothing.

/** The last second world time may reach: 9999-12-31T23:59:59Z, the largest time every timestamp format prints. */
export const MAX_WORLD_TIME = 253402300799;

function clock(world: World) {
  return { now: world.now(), iso: new Date(world.now() * 1000).toISOString(), pending_tasks: world.pendingTasks() };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const FORMS = ['seconds', 'duration', 'to'] as const;
const USAGE = 'Give one of "seconds" (a whole non-negative number), "duration" (like "90s", "2h", "32d") or "to" (whole Unix seconds)';

/** `"90s"`, `"2h"`, `"32d"` in seconds; null when it is not a whole number and a unit. */
export function durationSeconds(value: unknown): number | null {
  const m = typeof value === 'string' && value.match(/^(\d{1,16})([smhdw])$/);
  return m ? Number(m[1]) * UNITS[m[2]] : null;
}

/** `{seconds: 90}`, `{duration: "32d"}` or `{to: <unix seconds>}`: whole seconds, never past MAX_WORLD_TIME. */
function advanceSeconds(world: World, body: Record<string, any>): number {
  const given = FORMS.filter((f) => body[f] !== undefined && body[f] !== null);
  if (given.length !== 1) throw new ControlError(given.length ? `${USAGE}, not ${given.map((f) => `"${f}"`).join(' and ')}` : USAGE);
  const [form] = given;
  const value = body[form];
  const now = world.now();
  let seconds: number;
  if (form === 'seconds') {
    if (!Number.isSafeInteger(value) || value < 0) throw new ControlError(`"seconds" must be a whole non-negative number of seconds (got ${JSON.stringify(value) ?? String(value)})`, 400, 'seconds');
    seconds = value;
  } else if (form === 'to') {
    if (!Number.isSafeInteger(value)) throw new ControlError(`"to" must be whole Unix seconds (got ${JSON.stringify(value) ?? String(value)})`, 400, 'to');
    if (value < now) throw new ControlError(`"to" (${value}) is before the world's current time (${now})`, 400, 'to');
    seconds = value - now;
  } else {
    const given = durationSeconds(value);
    if (given === null) throw new ControlError(`"duration" must be a whole number and a unit, like "90s", "2h", "32d" (s, m, h, d, w); got ${JSON.stringify(value)}`, 400, 'duration');
    seconds = given;
  }
  if (seconds > MAX_WORLD_TIME - now) {
    throw new ControlError(
      `The world clock cannot pass ${MAX_WORLD_TIME} (9999-12-31T23:59:59Z): it is ${now}, so it can advance by at most ${MAX_WORLD_TIME - now} seconds`,
      400,
      form,
    );
  }
  return seconds;
}

export const clockRoutes: ControlRoute[] = [
  { method: 'GET', path: '/__admin__/clock', description: 'Reads the world clock: Unix seconds, ISO time and pending scheduled work.', run: (call) => clock(call.world()) },
  {
    method: 'POST',
    path: '/__admin__/clock/advance',
    description: 'Moves the world clock forward; everything that falls due runs, in order, before the call returns.',
    params: {
      seconds: { in: 'body', type: 'integer', description: 'whole seconds to advance' },
      duration: { in: 'body', type: 'string', description: 'a whole number and a unit: "90s", "2h", "32d" (s, m, h, d, w)' },
      to: { in: 'body', type: 'integer', description: 'Unix seconds to advance to' },
    },
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
