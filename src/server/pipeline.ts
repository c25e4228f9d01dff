import { applyExpand, checkExpand } from '../engine/expand';
import { errors, StripeError } from '../engine/errors';
import { bodyText, decodeForm, FormTree, FormValue } from '../engine/form';
import { coerceParams } from '../engine/params';
import { checkPermission } from '../engine/permissions';
import { renderBody, renderError, requestLogUrl } from '../engine/render';
import { knownRoutes } from '../engine/spec';
import { RequestAccount, Twin } from '../engine/twin';
import { changesFor, completeRequest, goneAt, isKnownVersion, renderAt, shapesAt, upgradeRequest, VersionedRequest } from '../engine/versions';
import { TOTAL_COUNT } from '../engine/list';
import '../versions'; // registers the version changes
import { Ctx, IdempotencyEntry, printedFrom, StripeObject, World } from '../engine/world';
import { routes } from '../resources';
import { Route } from '../engine/resource';
import { hostedPage, isHostedPath } from './hosted';
import { enterSession } from './sessions';
import { AppliedFault, FaultAction, jsonResponse, MAX_BODY_BYTES, stages, TwinRequest, TwinResponse } from './stages';

export { jsonResponse, MAX_BODY_BYTES, TwinRequest, TwinResponse };

// One request through the twin, for every face (node:http server, in-process
// SDK transport), as a sequence of stages, each of which may answer early:
//
//   session      a session's URL prefix (/s/<id>) and bearer token stand for its
//                key (./sessions.ts; looked for only once a session is open)
//   auth         the key (Authorization) and the account it opens, the
//                connected account Stripe-Account names (twin.authenticate);
//                the key's permissions ride in the context
//   version      Stripe-Version, else the account's default
//   idempotency  the key a POST runs under (sent or generated), its headers
//   route        the modeled route, or Stripe's 404 / the twin's 501
//   permission   a restricted key needs the route's rak_ permission (engine/permissions.ts)
//   faults       an armed fault (installed by the control surface)
//   due work     scheduled work of the account that is due runs first
//   decode       query and body, form-decoded (the key locks while it arrives)
//   params       coerced and checked against the spec's operation; expand[]
//   replay       a finished idempotency key answers its stored response
//   handler      the endpoint, in a transaction; expand
//   render       the response at the request's version, headers
//   request log  (installed by the control surface)

const IDEMPOTENCY_TTL = 24 * 60 * 60;
/**
 * Idempotency keys kept per world (twin choice): Stripe keeps keys 24 hours; a
 * world that sees more than this many within a day forgets its oldest first, so
 * memory stays bounded under sustained load.
 */
export const MAX_IDEMPOTENCY_KEYS = 100_000;

/** Headers on every API response, as recorded from Stripe (docs/stripe-facts.md §1.6). */
const BASE_HEADERS = [
  'Content-Type', 'application/json',
  'Access-Control-Allow-Credentials', 'true',
  'Access-Control-Allow-Methods', 'GET, HEAD, PUT, PATCH, POST, DELETE',
  'Access-Control-Allow-Origin', '*',
  'Access-Control-Expose-Headers',
  'Request-Id, Stripe-Manage-Version, Stripe-Should-Retry, X-Stripe-External-Auth-Required, X-Stripe-Privileged-Session-Required',
  'Access-Control-Max-Age', '300',
  'Cache-Control', 'no-cache, no-store',
  'Vary', 'Origin',
];

function withHeaders(extra: Record<string, string>): string[] {
  const out = BASE_HEADERS.slice();
  for (const name in extra) out.push(name, extra[name]);
  return out;
}

/** Answers a request; what it changed is written to the twin's store (if any) before the answer goes out. */
export async function handleRequest(twin: Twin, given: TwinRequest): Promise<TwinResponse> {
  const response = await answer(twin, given);
  await twin.written();
  return response;
}

async function answer(twin: Twin, given: TwinRequest): Promise<TwinResponse> {
  // A session's prefix and token stand for its key (./sessions.ts); looked for only once a session is open.
  const req = twin.hasSessions ? enterSession(twin, given) : given;
  if (!('readBody' in req)) return req;
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : req.url.slice(queryAt + 1);
  if (path === '/healthz') return jsonResponse(200, '{"status":"ok"}');
  if (isHostedPath(path)) return hostedPage(twin, req, path);
  if (stages.inspector && isInspectorRequest(req, path)) return stages.inspector(twin, req, path, query).finally(() => twin.kickWebhooks());
  if (path.startsWith('/__admin__')) {
    if (!stages.control) return jsonResponse(404, '{"error":{"message":"This twin has no control surface"}}');
    return stages.control(twin, req, path, query).finally(() => twin.kickWebhooks());
  }

  if (stages.x402 && path.startsWith('/x402/')) return stages.x402(twin, req, path);

  let who: RequestAccount;
  try {
    // stripe-node 23 sends Stripe-Context for `stripeContext`, never both (docs/connect.md §2).
    who = twin.authenticate(req.headers.authorization, req.headers['stripe-account'] ?? req.headers['stripe-context']);
  } catch (e) {
    return authErrorResponse(e as StripeError);
  }
  const world = who.account;
  // The MCP server: the caller's key chooses the account and the tools, as for the API.
  const answered = stages.mcp && (path === '/mcp' || path.startsWith('/mcp/')) ? stages.mcp(twin, req, path, who) : new ApiRequest(world, req, path, query, who).run();
  return answered.then((response) => ({ ...response, account: world.accountId })).finally(() => twin.kickWebhooks(world)); // deliveries go out after the answer
}

/**
 * The inspector's paths, and a browser's visit to / or /__admin__ (a GET that
 * accepts HTML and carries no credentials), which it answers with a way in;
 * every other client gets the API's and the control surface's JSON as before.
 */
function isInspectorRequest(req: TwinRequest, path: string): boolean {
  if (path === '/__inspector__' || path.startsWith('/__inspector__/')) return true;
  if (path !== '/' && path !== '/__admin__' && path !== '/__admin__/') return false;
  const h = req.headers;
  return req.method.toUpperCase() === 'GET' && /text\/html/i.test(h.accept ?? '') && !h.authorization && h['stripe-twin-control-token'] === undefined;
}

class ApiRequest {
  private readonly requestId: string;
  private version: string;
  private readonly headers: Record<string, string> = {};
  private idempotencyKey: string | null = null;
  private entry: IdempotencyEntry | null = null;
  /** The decoded body text: what an idempotency key remembers of its request. */
  private bodyText = '';
  /** An armed fault this request met (src/control/faults.ts). */
  private fault: { applied: AppliedFault; action: FaultAction } | null = null;

  constructor(
    private readonly world: World,
    private readonly req: TwinRequest,
    private readonly path: string,
    private readonly query: string,
    private readonly who: RequestAccount,
  ) {
    this.requestId = world.requestId();
    this.version = world.config.defaultApiVersion;
  }

  /** Answers, applies a lost-response fault, and logs the request (wall-clock latency is measured here, never in the engine). */
  async run(): Promise<TwinResponse> {
    const started = performance.now();
    let response = await this.answer();
    const replayed = this.headers['Idempotent-Replayed'] === 'true';
    const action = this.fault?.action;
    if (action?.type === 'lost_response') response = action.mode === 'drop' ? { ...response, drop: true } : this.lostWith500();
    stages.log(this.world, {
      id: this.requestId,
      method: this.req.method.toUpperCase(),
      path: this.path,
      status: response.drop ? null : response.status,
      idempotency_key: this.idempotencyKey ?? this.headers['Idempotency-Key'] ?? null,
      replayed,
      fault: this.fault?.applied ?? null,
      latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
      created: this.world.now(),
    }, {
      query: this.query,
      request_headers: this.req.headers,
      request_body: this.bodyText,
      response_headers: response.drop ? [] : response.headers,
      response_body: response.drop ? '' : response.body,
    });
    return response;
  }

  private async answer(): Promise<TwinResponse> {
    const method = this.req.method.toUpperCase();
    try {
      this.account();
      this.chooseVersion();
      if (method === 'POST' || method === 'DELETE') this.prepareIdempotency(method);
      if (this.who.notAPlatform) throw errors.notAPlatform();
      const match = this.route(method);
      checkPermission(this.who.apiKey, this.world.accountId, method, match.value.path);
      const held = this.meetFault(method, match.value);
      if (held) return held;
      const ctx: Ctx = { world: this.world, requestId: this.requestId, idempotencyKey: this.idempotencyKey, apiVersion: this.version, apiKey: this.who.apiKey, clock: undefined };
      this.world.runDue(ctx);
      if (method === 'POST') this.lockIdempotencyKey();
      const decoded = await this.decode(method);
      // An older Stripe-Version's parameters and defaults, brought forward to the canonical form (src/versions).
      const upgraded = upgradeRequest({ world: this.world, method, route: match.value.path, pathParams: match.params, list: match.value.list, params: decoded }, this.version);
      const params = coerceParams(match.value.params, upgraded.params);
      if (upgraded.totalCount) params[TOTAL_COUNT as any] = true;
      // An empty value unsets: `expand[]=` asks for nothing (twin choice for arrays, unrecorded; it was a 500).
      const expand: string[] = (params.expand ?? []).filter((path: string | null) => path);
      checkExpand(expand, match.value.response, match.value.list, goneAt(this.version));
      if (this.entry) {
        const replay = this.replayOrClaim(this.bodyText);
        if (replay) return replay;
      }
      return this.execute(ctx, match.value, params, match.params, expand, upgraded);
    } catch (e) {
      const error = e instanceof StripeError ? e : internalError(e);
      this.releaseIdempotencyKey();
      return this.respondWithError(error);
    }
  }

  // --- account, version, route, faults ---

  /** A request sent with Stripe-Account has it echoed (docs/stripe-facts.md §1.6). */
  private account(): void {
    if (this.who.echo !== null) this.headers['Stripe-Account'] = this.who.echo;
  }

  private chooseVersion(): void {
    const requested = this.req.headers['stripe-version'];
    if (requested !== undefined && !isKnownVersion(requested)) throw errors.invalidVersion(requested);
    if (requested) this.version = requested;
  }

  /** The modeled route; else 501 for a route Stripe has, Stripe's 404 for one it does not. */
  private route(method: string): { value: Route; params: Record<string, string> } {
    const match = routes.match(method, this.path);
    if (match && match !== 'wrong-method') return match;
    const known = knownRoutes.match(method, this.path);
    throw known && known !== 'wrong-method' ? errors.unsupported(method, this.path) : errors.unrecognizedUrl(method, this.path);
  }

  /** Meets an armed fault: a timeout holds the request; an error fault answers before anything runs (nothing stored). */
  private meetFault(method: string, route: Route): Promise<TwinResponse> | null {
    this.fault = stages.fault(this.world, method, route.path, route.list);
    const action = this.fault?.action;
    if (action?.type === 'timeout') return hold(action.delay_ms, this.req.onGone);
    if (action && action.type !== 'lost_response') throw action.error;
    return null;
  }

  private execute(ctx: Ctx, route: Route, params: Record<string, any>, pathParams: Record<string, string>, expand: string[], request: VersionedRequest): TwinResponse {
    let status = 200;
    let value: unknown;
    let rendered = false;
    try {
      // What an older version's request also did after the endpoint ran (src/versions), in the same transaction.
      const result = this.world.transaction(() => completeRequest(ctx, request, this.version, route.handler(ctx, params, pathParams)));
      value = expand.length ? applyExpand(ctx, result, expand, route.list) : result;
      if (changesFor(this.version).length) {
        // At an older version, expand[] paths name that version's fields: expand again on the older shape.
        const at = (v: unknown) => renderAt(v, this.version, this.world);
        value = at(value);
        if (expand.length) value = applyExpand(ctx, value, expand, route.list, at);
        rendered = true;
      }
    } catch (e) {
      const error = e instanceof StripeError ? e : internalError(e);
      if (error.stage !== 'execution') {
        this.releaseIdempotencyKey();
        return this.respondWithError(error);
      }
      status = error.status;
      value = error;
    }
    if (this.idempotencyKey) this.headers['Stripe-Should-Retry'] = 'false';
    // Stripe names the account in a Stripe-Account header on GET /v1/accounts/:id even when the request sent none (docs/connect.md §1.3).
    if (route.method === 'GET' && route.path === '/v1/accounts/{account}' && !this.headers['Stripe-Account']) this.headers['Stripe-Account'] = pathParams.account;
    const fresh = this.req.method.toUpperCase() !== 'GET' || expand.length > 0;
    // Printed as it is (a stored snapshot, for one): an idempotent answer can then refer to it (printedFrom).
    const asIs = !(value instanceof StripeError) && printsAsIs(value, this.version, fresh, rendered);
    const response = value instanceof StripeError ? this.respondWithError(value) : this.respond(status, value, fresh, rendered || asIs);
    if (this.entry) {
      // A replay answers these bytes (request_log_url included), whatever the retry's version.
      const extraHeaders = value instanceof StripeError ? value.extraHeaders : {};
      this.entry.state = 'done';
      this.entry.response = { status, body: response.body, version: this.version, headers: extraHeaders };
      if (asIs) printedFrom.set(this.entry.response, value as StripeObject);
    }
    return response;
  }

  // --- idempotency (docs/stripe-facts.md §1.5) ---

  private prepareIdempotency(method: string): void {
    const sent = this.req.headers['idempotency-key'];
    if (method === 'DELETE') {
      if (sent) this.headers['Idempotency-Key'] = sent;
      return;
    }
    this.idempotencyKey = sent ?? this.world.generatedIdempotencyKey();
    this.headers['Idempotency-Key'] = this.idempotencyKey;
    this.headers['Original-Request'] = this.requestId;
    if (this.idempotencyKey.length > 255) {
      throw errors.paramState(`Idempotency-Key is too long: it must be at most 255 characters (got ${this.idempotencyKey.length}).`, 'Idempotency-Key');
    }
  }

  /** Claims the key for this request while its body arrives; a concurrent use gets 409 (E28). */
  private lockIdempotencyKey(): void {
    const key = this.idempotencyKey!;
    const wall = performance.now(); // the face's time, never the engine's: a seeded world's clock may stand still
    this.world.pruneIdempotencyKeys(IDEMPOTENCY_TTL, wall, MAX_IDEMPOTENCY_KEYS);
    const existing = this.world.idempotency.get(key);
    if (existing?.state === 'in-flight') throw errors.idempotencyInFlight(key);
    // Keys are pruned once 24 hours old (world or wall time); reuse after that is a new request.
    // The age is checked again: pruning stops at the first young entry, assuming keys
    // were stored in time order, which a world clock following a stepped wall clock can break.
    if (existing && this.world.now() - existing.createdAt < IDEMPOTENCY_TTL) {
      this.entry = existing;
      return;
    }
    this.entry = { state: 'in-flight', path: this.path, body: '', createdAt: this.world.now(), wallAt: wall, requestId: this.requestId };
    this.world.idempotency.set(key, this.entry);
  }

  /** With a finished entry: the stored response, or Stripe's mismatch errors (E27). */
  private replayOrClaim(body: string): TwinResponse | null {
    const entry = this.entry!;
    const key = this.idempotencyKey!;
    if (entry.state === 'in-flight') {
      entry.body = body;
      return null;
    }
    this.entry = null; // never overwrite the stored result
    if (entry.path !== this.path) throw errors.idempotencyEndpoint(key, this.path, entry.path);
    if (entry.body !== body && canonical(entry.body) !== canonical(body)) throw errors.idempotencyParams(key);
    const stored = entry.response!;
    this.version = stored.version;
    Object.assign(this.headers, stored.headers, {
      'Idempotent-Replayed': 'true',
      'Original-Request': entry.requestId,
      'Stripe-Should-Retry': 'false',
    });
    return { status: stored.status, headers: this.responseHeaders(), body: stored.body };
  }

  /** A request that ends without a stored result stores nothing: the key can be used again. */
  private releaseIdempotencyKey(): void {
    if (this.entry?.state !== 'in-flight') return;
    if (this.world.idempotency.get(this.idempotencyKey!) === this.entry) this.world.idempotency.delete(this.idempotencyKey!);
    this.entry = null;
  }

  // --- parameters ---

  private async decode(method: string): Promise<FormTree> {
    const fromQuery = decodeForm(this.query);
    if (method !== 'POST') return fromQuery;
    let body: Uint8Array;
    try {
      body = await this.req.readBody();
    } catch {
      throw errors.malformedBody('the body was not received completely');
    }
    if (body.length > MAX_BODY_BYTES) throw errors.bodyTooLarge(MAX_BODY_BYTES);
    this.bodyText = bodyText(body);
    const tree = decodeForm(this.bodyText);
    for (const [k, v] of Object.entries(fromQuery)) if (!(k in tree)) tree[k] = v;
    return tree;
  }

  /** A lost response's 500: Stripe's api_error, without `Stripe-Should-Retry`, so clients retry with the same key. */
  private lostWith500(): TwinResponse {
    delete this.headers['Stripe-Should-Retry'];
    delete this.headers['Idempotent-Replayed'];
    return this.respondWithError(errors.internal());
  }

  // --- rendering ---

  /** `rendered`: print `value` as it is (already shaped at the version, or needing no shaping). */
  private respond(status: number, value: unknown, fresh = true, rendered = false): TwinResponse {
    const body = rendered ? renderBody(value) : render(value, this.version, this.world, fresh);
    return { status, headers: this.responseHeaders(), body };
  }

  private respondWithError(error: StripeError): TwinResponse {
    if (error.stage === 'auth') return authErrorResponse(error);
    Object.assign(this.headers, error.extraHeaders);
    const fields = renderAt(error.fields, this.version, this.world);
    return {
      status: error.status,
      headers: this.responseHeaders(),
      body: renderError(fields, requestLogUrl(this.world.accountId, this.requestId)),
    };
  }

  private responseHeaders(): string[] {
    const out = withHeaders(this.headers);
    out.push('Request-Id', this.requestId, 'Stripe-Version', this.version);
    return out;
  }
}

/** Auth failures: only message and type, no Request-Id or Stripe-Version (docs/stripe-facts.md §1.6, E1/E2). */
function authErrorResponse(error: StripeError): TwinResponse {
  return { status: error.status, headers: withHeaders(error.extraHeaders), body: renderError(error.fields, null, error.keyOrder) };
}

const DROPPED: TwinResponse = { status: 0, headers: [], body: '', drop: true };

/** A timeout fault: holds the request `ms`, or until the client goes away, then drops the connection. */
function hold(ms: number, onGone: TwinRequest['onGone']): Promise<TwinResponse> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(DROPPED), ms);
    onGone?.(() => {
      clearTimeout(timer);
      resolve(DROPPED);
    });
  });
}

function internalError(e: unknown): StripeError {
  // The world rolled back; the server keeps serving. Surface the cause on stderr for the twin's maintainers.
  process.stderr.write(`stripe-twin internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  return errors.internal();
}

/** The parameters of a body in a canonical form, so a retry matches whatever its parameter order. */
function canonical(body: string): string {
  const sorted = (v: FormValue): unknown =>
    typeof v === 'string' ? v : Array.isArray(v) ? v.map(sorted) : Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  return JSON.stringify(sorted(decodeForm(body)));
}

/**
 * Stored snapshots are immutable, so a read's rendering of one at the canonical
 * version is cached, and so is its rendering as a list item (indented for the
 * `data` array): a list is a join of cached strings.
 * `fresh` values (write responses, expanded objects) are printed directly.
 */
const renderCache = new WeakMap<object, string>();
const itemCache = new WeakMap<object, string>();
const DATA = '@@stripe-twin:data@@';

/** Whether `render` prints `value` itself (renderBody of it), not a shaped or listed copy. */
function printsAsIs(value: unknown, version: string, fresh: boolean, rendered: boolean): boolean {
  return !rendered && fresh && typeof value === 'object' && value !== null && !shapesAt(value, version);
}

function render(value: unknown, version: string, world: World, fresh: boolean): string {
  if (shapesAt(value, version)) return renderBody(renderAt(value, version, world));
  if (fresh || typeof value !== 'object' || value === null) return renderBody(value);
  const list = value as { data?: unknown[] };
  if (Array.isArray(list.data)) {
    if (list.data.length === 0) return renderBody(value);
    const items = list.data.map(listItem).join(',\n');
    return renderBody({ ...list, data: DATA }).replace(`"${DATA}"`, () => `[\n${items}\n  ]`);
  }
  return snapshot(value);
}

function snapshot(value: unknown): string {
  let body = renderCache.get(value as object);
  if (body === undefined) renderCache.set(value as object, (body = renderBody(value)));
  return body;
}

function listItem(value: unknown): string {
  let item = itemCache.get(value as object);
  if (item === undefined) itemCache.set(value as object, (item = `    ${snapshot(value).replace(/\n/g, '\n    ')}`));
  return item;
}
