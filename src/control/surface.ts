import YAML, { Lexer, Parser } from 'yaml';
import { StripeError } from '../engine/errors';
import { RouteTable } from '../engine/spec';
import { Twin } from '../engine/twin';
import { Ctx, World } from '../engine/world';
import { jsonResponse, MAX_BODY_BYTES, TwinRequest, TwinResponse } from '../server/stages';
import { CONTROL_TOKEN_HEADER, isAllowedHost, isControlToken } from './token';

// The control surface, /__admin__/*: what tests and agents use to set a world
// up and make outcomes happen. Each concern is a module declaring its routes
// (src/control/*.ts, collected in ./index.ts). Answers are plain JSON with their
// own errors ({"error": {"message"}}), never Stripe's envelope; every change
// goes through the same engine operations as the API.
//
// Who may call it (./token.ts): the holder of the twin's control token
// (Stripe-Twin-Control-Token header) acts on every world (account); the holder
// of any of an account's API keys (Authorization: Bearer sk_test_…) acts on that
// account only (and its connected accounts); anyone else gets 401. Before that, requests that are not addressed to this
// twin (a foreign Host), come from a web page of another origin, or are webhook
// deliveries (Stripe-Signature) are refused with 403, so neither a browser nor
// an endpoint URL pointing here can drive it.

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

/** Who is calling: the control token's holder (every world), or the holder of one world's API key. */
export type ControlCaller = { token: true } | { token: false; key: string };

/** One control call: its body, query, path parameters and the world it names. */
export interface ControlCall {
  twin: Twin;
  body: Record<string, any>;
  query: URLSearchParams;
  /** `{name}` segments of the route's path, decoded. */
  params: Record<string, string>;
  caller: ControlCaller;
  /**
   * The key a "key" field, a `?key=` or the Authorization header names (in that
   * order), checked, and one the caller may act on (403 otherwise); undefined when none.
   */
  key(): string | undefined;
  /** A connected account `?account=` names (taken out of `query`: routes never see it as a filter). */
  account: string | undefined;
  /** The world `key()` names (a 400 when none), or its connected account `account` names (404 when it has none of that id). */
  world(): World;
  /** Throws 403 unless the caller may act on the world of `key` (undefined: every world); `what` says what was asked. */
  authorize(key: string | undefined, what: string): void;
}

/** One parameter of a control route, JSON-Schema-like (for the client, the docs' tables, MCP tools). */
export interface ControlParam {
  in: 'body' | 'query';
  type: 'string' | 'integer' | 'boolean' | 'object' | 'array';
  description: string;
  required?: boolean;
  enum?: readonly string[];
}

export interface ControlRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** `/__admin__/clock/advance`, `/__admin__/intents/{id}/authenticate`. */
  path: string;
  /** What the route does, in one line (docs/control.md's table, `GET /__admin__`). */
  description: string;
  /** Its parameters besides the world's `key` (and `account`), which every single-world route takes. */
  params?: Record<string, ControlParam>;
  /** `twin`: acts across worlds, so only the control token may call it. */
  scope?: 'twin';
  /** What the route does, for a refusal (`listing every world`). */
  what?: string;
  /** A JSON body larger than the pipeline's MAX_BODY_BYTES it accepts (a world import). */
  maxBodyBytes?: number;
  run(call: ControlCall): unknown | Promise<unknown>;
}

/** The context control calls run engine operations in: no request, no key, the account clock, the world's default version. */
export const controlCtx = (world: World): Ctx => ({ world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined });

const TEST_KEY = /^(sk|rk)_test_[A-Za-z0-9_]+$/;

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !TEST_KEY.test(key)) {
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

/** Serves control routes: refuses foreign requests, authenticates, matches method and path, parses the body, maps errors to plain JSON. */
export class ControlSurface {
  private readonly table = new RouteTable<ControlRoute>();

  constructor(routes: ControlRoute[]) {
    for (const route of routes) this.table.add(route.method, route.path, route);
  }

  async handle(twin: Twin, req: TwinRequest, path: string, query: string): Promise<TwinResponse> {
    try {
      refuseForeign(twin, req);
      const caller = callerOf(twin, req);
      const method = req.method.toUpperCase();
      const match = this.table.match(method, path.replace(/\/+$/, ''));
      // A known path with another method is as unknown here: the control surface answers its own 404, not Stripe's.
      if (!match || match === 'wrong-method') throw new ControlError(`No control route ${method} ${path}`, 404);
      const route = match.value;
      const authorize = (key: string | undefined, what: string) => {
        if (caller.token || key === caller.key || sameAccount(twin, key, caller.key)) return;
        throw new ControlError(
          `An API key acts on its own world only; ${what} needs the control token (the ${CONTROL_TOKEN_HEADER} header)`,
          403,
        );
      };
      if (route.scope === 'twin') authorize(undefined, route.what ?? `${method} ${route.path}`);
      const body = method === 'POST' ? parseBody(await req.readBody(route.maxBodyBytes), req.headers['content-type'], route.maxBodyBytes) : {};
      const search = new URLSearchParams(query);
      const account = search.get('account') ?? undefined;
      search.delete('account');
      const key = () => {
        const given = body.key ?? search.get('key') ?? keyFromHeader(req);
        if (given === undefined || given === null) return undefined;
        checkKey(given);
        authorize(given, 'naming another world');
        return given;
      };
      const call: ControlCall = {
        twin,
        body,
        query: search,
        params: match.params,
        caller,
        key,
        account,
        authorize,
        world: () => {
          const named = key();
          if (named === undefined) throw new ControlError('Name the world: an Authorization: Bearer sk_test_… header, or a "key" field');
          const world = twin.world(named);
          return account === undefined ? world : connectedAccount(world, account);
        },
      };
      return json(200, await route.run(call));
    } catch (e) {
      if (e instanceof ControlError) return json(e.status, { error: { message: e.message, ...(e.at ? { at: e.at } : {}) } });
      if (e instanceof StripeError) return json(e.status, { error: { message: e.message } });
      return json(400, { error: { message: e instanceof Error ? e.message : String(e) } });
    }
  }
}

// --- who may call ---

/** Two keys of one account (neither opens an account by being asked). */
function sameAccount(twin: Twin, a: string | undefined, b: string): boolean {
  const account = a === undefined ? undefined : twin.knownKey(a)?.account;
  return account !== undefined && account === twin.knownKey(b)?.account;
}

/** The connected account `id` of `platform` (its own id names the platform itself). */
function connectedAccount(platform: World, id: string): World {
  if (id === platform.accountId) return platform;
  const connected = platform.connected.get(id);
  if (!connected) throw new ControlError(`${platform.accountId} has no connected account ${JSON.stringify(id)}`, 404, 'account');
  return connected;
}

/**
 * 403 before anything runs for what must never drive the control surface: a
 * webhook delivery (every one carries Stripe-Signature; an endpoint URL may
 * point here), a request addressed to another host (DNS rebinding), and a
 * browser request from another origin (a page POSTing text/plain needs no preflight).
 */
function refuseForeign(twin: Twin, req: TwinRequest): void {
  const h = req.headers;
  if (h['stripe-signature'] !== undefined) throw new ControlError('Webhook deliveries cannot reach the control surface (the request carries Stripe-Signature)', 403);
  const host = h.host;
  if (host !== undefined && !isAllowedHost(twin, host)) {
    throw new ControlError(`The control surface answers requests addressed to this twin only (Host: ${JSON.stringify(host)}); use localhost or the address it serves on`, 403);
  }
  const site = h['sec-fetch-site']?.trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') throw new ControlError('Cross-site browser requests cannot reach the control surface', 403);
  const origin = h.origin;
  if (origin !== undefined && (host === undefined || origin.trim().toLowerCase() !== `http://${host.trim().toLowerCase()}`)) {
    throw new ControlError(`Cross-origin browser requests cannot reach the control surface (Origin: ${JSON.stringify(origin)})`, 403);
  }
}

const NO_CREDENTIALS =
  `The control surface needs credentials: the control token in a ${CONTROL_TOKEN_HEADER} header ` +
  '(stripe-twin serve prints it), or a world\'s API key as Authorization: Bearer sk_test_… (acts on that world only)';

function callerOf(twin: Twin, req: TwinRequest): ControlCaller {
  const presented = req.headers[CONTROL_TOKEN_HEADER.toLowerCase()];
  if (presented !== undefined) {
    if (!isControlToken(twin, presented.trim())) throw new ControlError(`Invalid control token (${CONTROL_TOKEN_HEADER})`, 401);
    return { token: true };
  }
  const authorization = req.headers.authorization;
  if (authorization === undefined || !authorization.trim()) throw new ControlError(NO_CREDENTIALS, 401);
  const key = keyFromHeader(req);
  if (key === undefined || !TEST_KEY.test(key) || twin.revokedKeys.has(key)) {
    throw new ControlError(`${NO_CREDENTIALS}; the Authorization header holds no valid test-mode key`, 401);
  }
  return { token: false, key };
}

function keyFromHeader(req: TwinRequest): string | undefined {
  return req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

// --- bodies ---

/** Deepest nesting of a control body: JSON arrays and objects, YAML collections (flow and block). */
export const MAX_CONTROL_DEPTH = 32;
/** Most arrays and objects a parsed body may hold (YAML aliases repeat nodes without repeating bytes). */
const MAX_CONTROL_NODES = 1_000_000;
/** YAML aliases a body may resolve (yaml's guard against exponential expansion). */
const MAX_ALIAS_COUNT = 100;

const tooDeep = () => new ControlError(`The body nests deeper than ${MAX_CONTROL_DEPTH} levels`);

/**
 * YAML bodies are smaller: yaml parses a few hundred kilobytes a second, and the
 * request holds the event loop while it does. JSON (which a YAML body may also
 * be) has the pipeline's 1 MiB.
 */
export const MAX_YAML_BODY_BYTES = 256 * 1024;

/**
 * JSON or YAML, checked before parsing: yaml's composer recurses once per level,
 * so a body of a thousand `[` would exhaust the stack (and leave V8 unable to
 * compile regular expressions afterwards). Keys are data: duplicate keys keep
 * the last value (as JSON.parse does), `__proto__` is an own property.
 */
export function parseBody(bytes: Uint8Array, contentType = '', limit = MAX_BODY_BYTES): Record<string, any> {
  if (bytes.length > limit) throw new ControlError(`The body is larger than ${limit} bytes`, 413);
  const text = Buffer.from(bytes).toString('utf8').trim();
  if (!text) return {};
  let value: unknown;
  try {
    if (/json/i.test(contentType)) {
      checkJsonDepth(text);
      value = JSON.parse(text);
    } else value = parseYaml(text);
  } catch (e) {
    if (e instanceof ControlError) throw e;
    throw new ControlError(`The body is neither JSON nor YAML: ${(e as Error).message}`);
  }
  checkParsed(value, limit === MAX_BODY_BYTES ? MAX_CONTROL_NODES : Infinity);
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, any>;
  throw new ControlError('The body must be a JSON or YAML object');
}

function parseYaml(text: string): unknown {
  // JSON is YAML: a JSON object is read as such, at JSON's speed (V8's JSON.parse does not recurse).
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML's flow style, or not well-formed: YAML says which.
    }
  }
  if (Buffer.byteLength(text) > MAX_YAML_BODY_BYTES) {
    throw new ControlError(`A YAML body is limited to ${MAX_YAML_BODY_BYTES} bytes (JSON may have ${MAX_BODY_BYTES})`, 413);
  }
  // The parser's stack also holds the document and the innermost scalar; the exact depth is checked once parsed.
  if (yamlNestingBound(text, MAX_CONTROL_DEPTH + 2) > MAX_CONTROL_DEPTH + 2) throw tooDeep();
  return YAML.parse(text, { maxAliasCount: MAX_ALIAS_COUNT, uniqueKeys: false });
}

/** Bracket depth of JSON text, outside strings (one linear pass). */
function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_CONTROL_DEPTH) throw tooDeep();
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
}

/**
 * How deep a YAML text nests, measured before anything is built from it: yaml's
 * lexer and CST parser are a single streaming pass that keeps open nodes on an
 * explicit stack (no recursion), so its height is watched token by token and
 * the pass stops as soon as it passes `stopAbove`. Only the composer, which
 * turns that tree into values, recurses; it runs once the depth is known.
 * The stack holds the document and a scalar besides the collections, flow and
 * block alike — indentation, compact `- - x` and `a: b: c` forms included.
 */
export function yamlNestingBound(text: string, stopAbove = Infinity): number {
  const parser = new Parser();
  let height = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const _document of parser.next(lexeme)) {
      // Finished documents: only the height matters here.
    }
    if (parser.stack.length > height && (height = parser.stack.length) > stopAbove) break;
  }
  return height;
}

/** The parsed value: depth again (a YAML alias repeats a node, an anchor can even contain itself) and size. */
function checkParsed(value: unknown, maxNodes: number): void {
  if (value === null || typeof value !== 'object') return;
  const stack: [unknown, number][] = [[value, 1]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > MAX_CONTROL_DEPTH) throw tooDeep();
    if (++nodes > maxNodes) throw new ControlError(`The body holds more than ${maxNodes} arrays and objects`, 413);
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}
