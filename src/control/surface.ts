import YAML from 'yaml';
import { StripeError } from '../engine/errors';
import { RouteTable } from '../engine/spec';
import { Twin } from '../engine/twin';
import { Ctx, World } from '../engine/world';
import { jsonResponse, MAX_BODY_BYTES, TwinRequest, TwinResponse } from '../server/pipeline';

// The control surface, /__admin__/*: what tests and agents use to set a world
// up and make outcomes happen. Each concern is a module declaring its routes
// (src/control/*.ts, collected in ./index.ts). Answers are plain JSON with their
// own errors ({"error": {"message"}}), never Stripe's envelope; every change
// goes through the same engine operations as the API.

export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    /** Where in the body the problem is (`sk_test_x.customers[2]`). */
    readonly at?: string,
  ) {
    super(message);
  }
}

/** One control call: its body, query, path parameters and the world it names. */
export interface ControlCall {
  twin: Twin;
  body: Record<string, any>;
  query: URLSearchParams;
  /** `{name}` segments of the route's path, decoded. */
  params: Record<string, string>;
  /** The key a "key" field, a `?key=` or the Authorization header names (in that order), checked; undefined when none. */
  key(): string | undefined;
  /** The world `key()` names (a 400 when none). */
  world(): World;
}

export interface ControlRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** `/__admin__/clock/advance`, `/__admin__/intents/{id}/authenticate`. */
  path: string;
  run(call: ControlCall): unknown | Promise<unknown>;
}

/** The context control calls run engine operations in: no request, the world's default version. */
export const controlCtx = (world: World): Ctx => ({ world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion });

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) {
    throw new ControlError(`${typeof key === 'string' ? `"${key}"` : JSON.stringify(key)} is not a test-mode secret or restricted key`);
  }
}

/** `?limit=`: an integer from 1 to `max`; `fallback` when not given. */
export function limitOf(query: URLSearchParams, fallback: number, max: number): number {
  const given = query.get('limit');
  if (given === null) return fallback;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ControlError(`"limit" must be an integer from 1 to ${max}`, 400, 'limit');
  return n;
}

/** A `true` / `false` query parameter; undefined when not given. */
export function boolOf(query: URLSearchParams, name: string): boolean | undefined {
  const given = query.get(name);
  if (given === null) return undefined;
  if (given !== 'true' && given !== 'false') throw new ControlError(`"${name}" must be true or false`, 400, name);
  return given === 'true';
}

const json = (status: number, value: unknown): TwinResponse => jsonResponse(status, JSON.stringify(value, null, 2));

/** Serves control routes: matches method and path, parses the body, maps errors to plain JSON. */
export class ControlSurface {
  private readonly table = new RouteTable<ControlRoute>();

  constructor(routes: ControlRoute[]) {
    for (const route of routes) this.table.add(route.method, route.path, route);
  }

  async handle(twin: Twin, req: TwinRequest, path: string, query: string): Promise<TwinResponse> {
    try {
      const method = req.method.toUpperCase();
      const match = this.table.match(method, path.replace(/\/+$/, ''));
      // A known path with another method is as unknown here: the control surface answers its own 404, not Stripe's.
      if (!match || match === 'wrong-method') throw new ControlError(`No control route ${method} ${path}`, 404);
      const body = method === 'POST' ? parseBody(await req.readBody(), req.headers['content-type']) : {};
      const search = new URLSearchParams(query);
      const key = () => {
        const given = body.key ?? search.get('key') ?? keyFromHeader(req);
        if (given === undefined || given === null) return undefined;
        checkKey(given);
        return given;
      };
      const call: ControlCall = {
        twin,
        body,
        query: search,
        params: match.params,
        key,
        world: () => {
          const named = key();
          if (named === undefined) throw new ControlError('Name the world: an Authorization: Bearer sk_test_… header, or a "key" field');
          return twin.world(named);
        },
      };
      return json(200, await match.value.run(call));
    } catch (e) {
      if (e instanceof ControlError) return json(e.status, { error: { message: e.message, ...(e.at ? { at: e.at } : {}) } });
      if (e instanceof StripeError) return json(e.status, { error: { message: e.message } });
      return json(400, { error: { message: e instanceof Error ? e.message : String(e) } });
    }
  }
}

function parseBody(bytes: Uint8Array, contentType = ''): Record<string, any> {
  if (bytes.length > MAX_BODY_BYTES) throw new ControlError(`The body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  const text = Buffer.from(bytes).toString('utf8').trim();
  if (!text) return {};
  try {
    const value = /json/.test(contentType) ? JSON.parse(text) : YAML.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch (e) {
    throw new ControlError(`The body is neither JSON nor YAML: ${(e as Error).message}`);
  }
  throw new ControlError('The body must be a JSON or YAML object');
}

function keyFromHeader(req: TwinRequest): string | undefined {
  return req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}
