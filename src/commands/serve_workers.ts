import path from 'node:path';
import { parseBody } from '../control/surface';
import { placeOf, routeOf, routeOfKey } from '../engine/routes';
import { keyOfAuthorization } from '../engine/twin';
import { isHostedPath, pageAccountBlock } from '../server/hosted';
import { Answer } from '../server/http';
import { jsonResponse, TwinRequest, TwinResponse } from '../server/stages';
import { Forwarded, WorkerKind, WorkerPool } from '../server/workers';
import type { Options } from './index';
import type { TwinTime } from './serve';

// `serve --workers N`: the primary's router (docs/scaling.md). Each request goes
// to the worker that holds the account it names, decided from the request alone
// (src/engine/routes.ts): the API key (Authorization: Bearer or Basic; with
// Stripe-Account, the platform's key places the connected account too), the
// world a control call names (a "key" field, ?key=, the Bearer key; each world
// of a seed), or the account block of a hosted page's id or token. Keys a caller
// chose are the one thing learned: the worker that mints one says so.
// Twin-wide control calls (listing or forgetting every world) go to every worker.

/** What each worker is started with: how to build the same twin as every other, and where it keeps its worlds (--data). */
export interface WorkerInit {
  options: Options<'serve'>;
  seed: string;
  token: string;
  time: TwinTime;
  publicUrl: string;
  /** This worker's place (0-based) among `count`. */
  place: number;
  count: number;
  /** With --data DIR: DIR/worker-<place + 1>, this worker's own data directory. */
  data: string | null;
}

/** Chosen keys remembered (twin choice): past it the oldest is forgotten, and routed like any key again. */
const MAX_CHOSEN_KEYS = 100_000;
/** Derived places remembered before starting over (they are derived again at will). */
const MAX_REMEMBERED_PLACES = 10_000;

/**
 * Threads by default: on the 2-core machine the benchmark runs on they forward a
 * request for less than a process does (docs/benchmarks.md); STRIPE_TWIN_WORKER_KIND=process chooses processes.
 */
function workerKind(): WorkerKind {
  const given = process.env.STRIPE_TWIN_WORKER_KIND;
  if (given === undefined || given === '') return 'thread';
  if (given !== 'thread' && given !== 'process') throw new Error(`STRIPE_TWIN_WORKER_KIND: "${given}" is not thread or process`);
  return given;
}

export interface Router {
  /** Answers a request by forwarding it to the worker holding its account (the HTTP and HTTPS faces share it). */
  answer: Answer;
  kind: WorkerKind;
  /** Starts the workers once the public URL is known; requests that arrive before wait for them. */
  start(publicUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/** Where worker `place` keeps its worlds under --data DIR. */
export const workerDataDir = (dir: string, place: number): string => path.join(dir, `worker-${place + 1}`);

export function createRouter(options: { options: Options<'serve'>; seed: string; token: string; time: TwinTime; count: number }): Router {
  const kind = workerKind();
  let pool: WorkerPool | null = null;
  let started: () => void;
  const starting = new Promise<void>((resolve) => (started = resolve));
  const chosen = new Map<string, number>();
  // A key's place is derived each time it is first seen (a seeded hash), then remembered: keys repeat.
  const places = new Map<string, number>();
  const placeOfKey = (key: string) => {
    const pinned = chosen.get(key);
    if (pinned !== undefined) return pinned;
    let place = places.get(key);
    if (place === undefined) {
      if (places.size >= MAX_REMEMBERED_PLACES) places.clear();
      places.set(key, (place = placeOf(routeOfKey(options.seed, key), options.count)));
    }
    return place;
  };

  async function answer(req: TwinRequest): Promise<TwinResponse> {
    let body: Uint8Array;
    let bodyFailed = false;
    try {
      body = await req.readBody();
    } catch {
      body = new Uint8Array(0);
      bodyFailed = true;
    }
    await starting;
    const forwarded: Forwarded = { method: req.method, url: req.url, headers: req.headers, body, bodyFailed };
    const send = (place: number, request = forwarded) => pool!.send(place, request, req);
    const queryAt = req.url.indexOf('?');
    const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
    if (path === '/healthz') return jsonResponse(200, '{"status":"ok"}');
    if (isHostedPath(path)) {
      const block = pageAccountBlock(path);
      return send(block ? placeOf(routeOf(block), options.count) : 0); // a page naming no account is a 404 anywhere
    }
    if (path.startsWith('/__admin__')) return control(forwarded, path, queryAt === -1 ? '' : req.url.slice(queryAt + 1), send);
    const key = keyOfAuthorization(req.headers.authorization);
    return send(key ? placeOfKey(key) : 0); // no key: the same 401 from any worker
  }

  async function control(request: Forwarded, path: string, query: string, send: (place: number, request?: Forwarded) => Promise<TwinResponse>): Promise<TwinResponse> {
    const method = request.method.toUpperCase();
    const at = path.replace(/\/+$/, '');
    let body: Record<string, any> = {};
    try {
      if (method === 'POST' && !request.bodyFailed) body = parseBody(request.body, request.headers['content-type']);
    } catch {
      return send(0); // every worker refuses a bad body alike
    }
    // The control surface's order: a "key" field, ?key=, the Bearer key.
    const named = [body.key, new URLSearchParams(query).get('key'), request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1]].find(
      (k) => k !== undefined && k !== null,
    );
    if (method === 'GET' && at === '/__admin__/worlds') return everyWorker(request, mergeWorlds);
    if (method === 'POST' && at === '/__admin__/reset' && named === undefined) return everyWorker(request, (answers) => answers[0]);
    if (method === 'POST' && at === '/__admin__/seed') {
      const keys = seededKeys(body, named);
      const places = [...new Set(keys.map(placeOfKey))];
      if (places.length > 1) return seedAcross(request, body, keys, send);
      if (places.length === 1) return send(places[0]);
    }
    return send(typeof named === 'string' ? placeOfKey(named) : 0);
  }

  /** A twin-wide call: every worker answers; the first refusal is the answer, else `merge` of theirs. */
  async function everyWorker(request: Forwarded, merge: (answers: TwinResponse[]) => TwinResponse): Promise<TwinResponse> {
    const answers = await Promise.all(Array.from({ length: options.count }, (_, i) => pool!.send(i, request)));
    return answers.find((a) => a.status !== 200) ?? merge(answers);
  }

  /** A seed naming worlds of several workers: each seeds its own, in the order the body names them, until one refuses. */
  async function seedAcross(request: Forwarded, body: Record<string, any>, keys: string[], send: (place: number, request: Forwarded) => Promise<TwinResponse>): Promise<TwinResponse> {
    const worlds: Record<string, any> = body.worlds ?? body;
    const groups = new Map<number, Record<string, any>>();
    for (const key of keys) {
      const place = placeOfKey(key);
      if (!groups.has(place)) groups.set(place, {});
      groups.get(place)![key] = worlds[key];
    }
    const seeded: Record<string, unknown> = {};
    for (const [place, group] of groups) {
      const part = Buffer.from(JSON.stringify({ worlds: group }));
      const answer = await send(place, { ...request, body: part, headers: { ...request.headers, 'content-type': 'application/json', 'content-length': String(part.length) } });
      if (answer.status !== 200) return answer;
      Object.assign(seeded, JSON.parse(answer.body).worlds);
    }
    return jsonResponse(200, JSON.stringify({ worlds: Object.fromEntries(keys.map((k) => [k, seeded[k]])) }, null, 2));
  }

  return {
    answer,
    kind,
    async start(publicUrl) {
      const { options: serveOptions, seed, token, time, count } = options;
      const data = serveOptions.data;
      pool = new WorkerPool({
        entry: path.join(__dirname, 'serve_worker.js'),
        count,
        kind,
        init: (place): WorkerInit => ({ options: serveOptions, seed, token, time, publicUrl, place, count, data: data === undefined ? null : workerDataDir(data, place) }),
        onChosenKey: (key, place) => {
          chosen.delete(key);
          chosen.set(key, place);
          if (chosen.size > MAX_CHOSEN_KEYS) chosen.delete(chosen.keys().next().value!);
        },
        onExit: (place, code) => {
          // Its worlds are gone and its accounts' requests have nowhere to go: stop, as a single process that crashed would.
          process.stderr.write(`stripe-twin: worker ${place + 1} ended (exit code ${code}); stopping\n`);
          process.exit(1);
        },
      });
      await pool.ready;
      started();
    },
    async stop() {
      await pool?.stop();
    },
  };
}

/** The worlds a seed body names: its "worlds" map, the world a body of sections names, or a body keyed by keys. */
function seededKeys(body: Record<string, any>, named: unknown): string[] {
  const isKey = (k: string) => /^(sk|rk)_test_/.test(k);
  if (body.worlds && typeof body.worlds === 'object' && !Array.isArray(body.worlds)) return Object.keys(body.worlds).filter(isKey);
  const top = Object.keys(body);
  if (top.length && top.every(isKey)) return top;
  return typeof named === 'string' ? [named] : [];
}

/** GET /__admin__/worlds across workers: each worker's worlds, worker by worker. */
function mergeWorlds(answers: TwinResponse[]): TwinResponse {
  const worlds = answers.flatMap((a) => JSON.parse(a.body).worlds as unknown[]);
  return jsonResponse(200, JSON.stringify({ worlds }, null, 2));
}
