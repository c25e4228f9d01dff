import path from 'node:path';
import { MAX_IMPORT_BYTES } from '../control/snapshots';
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
// Twin-wide control calls (with the control token and no key: listing, resetting,
// exporting, importing, snapshotting every world) go to every worker, each for the
// worlds it holds, and their answers are merged; an import is split by account.

/** What each worker is started with: how to build the same twin as every other, and where it keeps its worlds (--data). */
export interface WorkerInit {
  options: Options<'serve'>;
  seed: string;
  token: string;
  time: TwinTime;
  publicUrl: string;
  /** With --data DIR: DIR/worker-<n>, this worker's own data directory. */
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
    const queryAt = req.url.indexOf('?');
    const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
    let body: Uint8Array;
    let bodyFailed = false;
    try {
      body = await req.readBody(path === IMPORT ? MAX_IMPORT_BYTES : undefined);
    } catch {
      body = new Uint8Array(0);
      bodyFailed = true;
    }
    await starting;
    const forwarded: Forwarded = { method: req.method, url: req.url, headers: req.headers, body, bodyFailed };
    const send = (place: number, request = forwarded) => pool!.send(place, request, req);
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
      if (method === 'POST' && !request.bodyFailed) body = parseBody(request.body, request.headers['content-type'], at === IMPORT ? MAX_IMPORT_BYTES : undefined);
    } catch {
      return send(0); // every worker refuses a bad body alike
    }
    // The control surface's order: a "key" field, ?key=, the Bearer key.
    const named = [body.key, new URLSearchParams(query).get('key'), request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1]].find(
      (k) => k !== undefined && k !== null,
    );
    if (method === 'GET' && at === '/__admin__/worlds') return everyWorker(request, (answers) => ({ worlds: answers.flatMap((a) => a.worlds) }));
    if (named === undefined) {
      // Every world: each worker's own, merged.
      if (method === 'POST' && at === '/__admin__/reset') return everyWorker(request, (answers) => answers[0]);
      if (method === 'GET' && at === '/__admin__/export') return everyWorker(request, (answers) => ({ ...answers[0], accounts: answers.flatMap((a) => a.accounts) }));
      if (method === 'POST' && at === IMPORT && Array.isArray(body.accounts)) return importAcross(request, body);
      if (at === '/__admin__/snapshots') return everyWorker(request, method === 'GET' ? (answers) => ({ snapshots: mergeSnapshots(answers.flatMap((a) => a.snapshots)) }) : (answers) => mergeSnapshots(answers)[0]);
      // A snapshot of one world is kept by its world's worker only: the others do not know the name.
      if (/^\/__admin__\/snapshots\/[^/]+\/restore$/.test(at)) return everyWorker(request, (answers) => ({ ...answers[0], restored: answers.flatMap((a) => a.restored) }), 'any');
      if (method === 'DELETE' && /^\/__admin__\/snapshots\/[^/]+$/.test(at)) return everyWorker(request, (answers) => answers[0], 'any');
    }
    if (method === 'POST' && at === '/__admin__/seed') {
      const keys = seededKeys(body, named);
      const places = [...new Set(keys.map(placeOfKey))];
      if (places.length > 1) return seedAcross(request, body, keys, send);
      if (places.length === 1) return send(places[0]);
    }
    return send(typeof named === 'string' ? placeOfKey(named) : 0);
  }

  /**
   * A twin-wide call: every worker answers for its worlds; `merge` of their answers (JSON) is the
   * answer. With `needs` 'all' the first refusal is the answer instead; with 'any', only when every
   * worker refused.
   */
  async function everyWorker(request: Forwarded, merge: (answers: any[]) => unknown, needs: 'all' | 'any' = 'all'): Promise<TwinResponse> {
    const answers = await Promise.all(Array.from({ length: options.count }, (_, i) => pool!.send(i, request)));
    const ok = answers.filter((a) => a.status === 200);
    if (needs === 'all' ? ok.length < answers.length : ok.length === 0) return answers.find((a) => a.status !== 200)!;
    return jsonResponse(200, JSON.stringify(merge(ok.map((a) => JSON.parse(a.body))), null, 2));
  }

  /** A world file imported with the control token: each worker loads the accounts routed to it; the answer lists them in the file's order. */
  async function importAcross(request: Forwarded, file: Record<string, any>): Promise<TwinResponse> {
    const parts = new Map<number, unknown[]>();
    for (const account of file.accounts) {
      const place = typeof account?.world?.key === 'string' ? placeOfKey(account.world.key) : 0; // a malformed one: worker 1 refuses it
      if (!parts.has(place)) parts.set(place, []);
      parts.get(place)!.push(account);
    }
    const restored = new Map<string, unknown>();
    for (const [place, accounts] of parts) {
      const part = Buffer.from(JSON.stringify({ ...file, accounts }));
      const answer = await pool!.send(place, { ...request, body: part, headers: { ...request.headers, 'content-type': 'application/json', 'content-length': String(part.length) } });
      if (answer.status !== 200) return answer;
      for (const entry of JSON.parse(answer.body).restored as { key: string }[]) restored.set(entry.key, entry);
    }
    return jsonResponse(200, JSON.stringify({ restored: file.accounts.map((a: any) => restored.get(a.world.key)) }, null, 2));
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
        init: (place): WorkerInit => ({ options: serveOptions, seed, token, time, publicUrl, data: data === undefined ? null : workerDataDir(data, place) }),
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

/** Where a world file is imported. */
const IMPORT = '/__admin__/import';

interface SnapshotSummary {
  name: string;
  key: string | null;
  worlds: unknown[];
  objects: number;
}

/** The parts of a snapshot of every world (key null) that each worker saved under one name, as one (their worlds and objects together); others as they are. */
function mergeSnapshots(parts: SnapshotSummary[]): SnapshotSummary[] {
  const merged: SnapshotSummary[] = [];
  const everyWorld = new Map<string, number>();
  for (const part of parts) {
    const at = part.key === null ? everyWorld.get(part.name) : undefined;
    if (at === undefined) {
      if (part.key === null) everyWorld.set(part.name, merged.length);
      merged.push(part);
    } else merged[at] = { ...merged[at], worlds: [...merged[at].worlds, ...part.worlds], objects: merged[at].objects + part.objects };
  }
  return merged;
}
