import { ChildProcess, fork } from 'node:child_process';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Twin } from '../engine/twin';
import { carriesRoute } from '../engine/routes';
import { handleRequest } from './pipeline';
import { TwinRequest, TwinResponse } from './stages';

// `serve --workers N` (docs/scaling.md): a primary owns the listening socket and
// forwards each request, whole, to the worker that holds its account; each
// worker runs the unchanged twin (the same seed, options and control token) on
// the requests it is sent and answers them. This file is the mechanics: the
// workers (threads, or child processes), the messages between them and the
// primary, and the worker's side. Which worker a request goes to is the
// router's (src/commands/serve_workers.ts).

/** A request as the primary forwards it: its body read whole. */
export interface Forwarded {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
  /** The body did not arrive completely (the client stalled or left): the pipeline answers as it would. */
  bodyFailed?: boolean;
}

/** Worker threads (the default: messages are cheaper) or child processes (a crash stays in its process). */
export type WorkerKind = 'thread' | 'process';

type ToWorker = { id: number; request: Forwarded } | { id: number; gone: true };
type FromWorker = { ready: true } | { id: number; answer: TwinResponse } | { id: number; watch: true } | { chosenKey: string };

/** Both kinds of worker, as the primary sees one. */
interface Channel {
  post(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onExit(listener: (code: number | null) => void): void;
  stop(): Promise<unknown>;
}

/** Where a child process finds its start-up options (a thread gets them as workerData). */
const INIT_ENV = 'STRIPE_TWIN_WORKER_INIT';

function threadChannel(entry: string, init: unknown): Channel {
  const worker = new Worker(entry, { workerData: init });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => worker.on('exit', listener),
    stop: () => worker.terminate(),
  };
}

function processChannel(entry: string, init: unknown): Channel {
  // `advanced` serialization carries bodies as bytes, as a thread's structured clone does.
  const child: ChildProcess = fork(entry, [], { serialization: 'advanced', env: { ...process.env, [INIT_ENV]: JSON.stringify(init) } });
  return {
    post: (message) => child.send(message),
    onMessage: (listener) => child.on('message', listener as (m: unknown) => void),
    onExit: (listener) => child.on('exit', listener),
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : (child.once('exit', resolve), child.kill()))),
  };
}

export interface PoolOptions {
  /** The worker's entry module (a built .js file). */
  entry: string;
  count: number;
  kind: WorkerKind;
  /** What worker `place` is started with (JSON): how to build its twin. */
  init: (place: number) => unknown;
  /** A worker minted a key its caller chose (a key the router cannot place by itself). */
  onChosenKey?: (key: string, worker: number) => void;
  /** A worker ended on its own: its worlds are gone. */
  onExit?: (worker: number, code: number | null) => void;
}

/** The workers, and the requests in flight to them. */
export class WorkerPool {
  readonly count: number;
  /** Resolves once every worker has built its twin. */
  readonly ready: Promise<void>;
  private readonly channels: Channel[] = [];
  private readonly pending = new Map<number, { resolve: (answer: TwinResponse) => void; request: TwinRequest | null }>();
  private nextId = 1;
  private stopping = false;

  constructor(options: PoolOptions) {
    this.count = options.count;
    const readies: Promise<void>[] = [];
    for (let i = 0; i < options.count; i++) {
      const channel = (options.kind === 'process' ? processChannel : threadChannel)(options.entry, options.init(i));
      readies.push(
        new Promise((resolve, reject) => {
          channel.onMessage((message) => {
            if ('ready' in message) resolve();
            else if ('answer' in message) this.settle(message.id, message.answer);
            else if ('watch' in message) this.watch(i, message.id);
            else if ('chosenKey' in message) options.onChosenKey?.(message.chosenKey, i);
          });
          channel.onExit((code) => {
            reject(new Error(`worker ${i + 1} ended before it was ready (exit code ${code})`));
            if (!this.stopping) options.onExit?.(i, code);
          });
        }),
      );
      this.channels.push(channel);
    }
    this.ready = Promise.all(readies).then(() => undefined);
  }

  /** Forwards a request to worker `index` and waits for its answer. `from` is the client's request (to tell the worker when it leaves). */
  async send(index: number, request: Forwarded, from: TwinRequest | null = null): Promise<TwinResponse> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, request: from });
      this.channels[index].post({ id, request });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.channels.map((c) => c.stop()));
  }

  private settle(id: number, answer: TwinResponse): void {
    const waiting = this.pending.get(id);
    this.pending.delete(id);
    waiting?.resolve(answer);
  }

  /** A held request (a timeout fault) asks to hear when its client leaves. */
  private watch(index: number, id: number): void {
    this.pending.get(id)?.request?.onGone?.(() => this.channels[index].post({ id, gone: true }));
  }
}

// --- the worker's side ---

/** A worker's link to its primary: messages both ways, and its start-up options. */
function primaryLink(): { init: unknown; post(message: FromWorker): void; onMessage(listener: (message: ToWorker) => void): void } | null {
  if (!isMainThread && parentPort) {
    const port = parentPort;
    return { init: workerData, post: (m) => port.postMessage(m), onMessage: (l) => port.on('message', l) };
  }
  if (process.send && process.env[INIT_ENV] !== undefined) {
    const send = process.send.bind(process);
    // The primary's end closing (it exited) ends this process too.
    process.on('disconnect', () => process.exit(0));
    return { init: JSON.parse(process.env[INIT_ENV]!), post: (m) => void send(m), onMessage: (l) => process.on('message', l as (m: unknown) => void) };
  }
  return null;
}

/**
 * Runs this thread or process as a worker: builds the twin from the primary's
 * options, then answers each forwarded request through the pipeline, as the
 * node:http face would.
 */
export async function runWorker(build: (init: unknown) => Twin | Promise<Twin>): Promise<void> {
  const link = primaryLink();
  if (!link) throw new Error('not started as a stripe-twin worker');
  const twin = await build(link.init);
  twin.onKeyChosen = (key) => link.post({ chosenKey: key });
  // Keys chosen before a restart (serve --data): the primary learns them again before any request comes.
  for (const account of twin.allWorlds()) for (const { key, minted } of twin.keysOf(account)) if (minted && !carriesRoute(key)) twin.onKeyChosen(key);
  const goneListeners = new Map<number, () => void>();
  link.onMessage((message) => {
    if ('gone' in message) {
      goneListeners.get(message.id)?.();
      goneListeners.delete(message.id);
      return;
    }
    const { id, request } = message;
    const body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    const onGone = (listener: () => void) => {
      goneListeners.set(id, listener);
      link.post({ id, watch: true });
    };
    const readBody = () => (request.bodyFailed ? Promise.reject(new Error('the body did not arrive')) : Promise.resolve(body));
    handleRequest(twin, { method: request.method, url: request.url, headers: request.headers, readBody, onGone })
      .catch((e): TwinResponse => {
        process.stderr.write(`stripe-twin: ${e instanceof Error ? e.stack : String(e)}\n`);
        return { status: 500, headers: ['Content-Type', 'application/json'], body: '{"error":{"message":"An unknown error occurred","type":"api_error"}}\n' };
      })
      .then((answer) => {
        goneListeners.delete(id);
        link.post({ id, answer });
      });
  });
  link.post({ ready: true });
}
