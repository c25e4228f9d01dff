import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { WebhookDispatcher } from '../engine/twin';
import { DELIVERY, Delivery, deliveryRequest, dueDeliveries, firstDue, liveEndpoints, nextAttemptAt, recordAttempt } from '../engine/webhooks';
import { Ctx, World } from '../engine/world';

// The face that performs webhook deliveries (docs/stripe-facts.md §19.2–§19.3).
// The engine records which deliveries are due; this POSTs them, signed, and
// reports each attempt back. One worker per endpoint sends its deliveries one
// at a time in event order; endpoints are served side by side.

export interface DispatcherOptions {
  /**
   * The clock signatures are dated by, in milliseconds (default Date.now). It is
   * the receiver's clock that matters: SDK verifiers refuse a `t` more than 300 s
   * from theirs, and a seeded world's clock may stand still in 2026-01-01.
   */
  clock?: () => number;
  /** How long a receiver has to answer, in ms (twin choice: 10 s; Stripe's value is not documented). */
  timeoutMs?: number;
  /**
   * How long a drain or a clock advance waits for an endpoint's deliveries in
   * flight (twin choice: 5 s). An endpoint still busy after that is overdue: no
   * later drain waits for it again, so a receiver that is slow or never answers
   * holds a control call once, this long, however many retries fall due. Its
   * attempt goes on in the background, recorded when it ends at the time it was
   * made, and its retries follow from there.
   */
  waitMs?: number;
}

/** docs/stripe-facts.md §19.2 (the User-Agent text is unverified). */
const USER_AGENT = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)';
const SNIPPET_BYTES = 1024;

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" keyed by the whole whsec_ secret>` (docs/stripe-facts.md §19.3). */
export function signature(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export class HttpWebhookDispatcher implements WebhookDispatcher {
  private readonly clock: () => number;
  private readonly timeoutMs: number;
  private readonly waitMs: number;
  /** Workers a drain already waited `waitMs` for: later drains do not wait for them again. */
  private readonly overdue = new WeakSet<Promise<void>>();
  /** Running workers by world, then by endpoint id. */
  private readonly workers = new Map<World, Map<string, Promise<void>>>();
  private readonly kicked = new Set<World>();
  /**
   * Per world, when a scan found nothing due: how many deliveries there were and
   * the earliest retry time. Until either changes, a kick need not scan again
   * (a receiver that is down can leave thousands of retries pending).
   */
  private readonly quiet = new WeakMap<World, { count: number; until: number }>();
  private readonly timers = new Map<World, { at: number; timer: NodeJS.Timeout }>();
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  constructor(options: DispatcherOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.waitMs = options.waitMs ?? 5_000;
  }

  kick(world: World): void {
    if (this.kicked.has(world)) return;
    const count = world.count(DELIVERY);
    const quiet = this.quiet.get(world);
    if (count === 0 || (quiet && quiet.count === count && world.now() < quiet.until)) return;
    const next = nextAttemptAt(world);
    if (next === null || next > world.now()) {
      this.quiet.set(world, { count, until: next ?? Infinity });
      return;
    }
    // After the response: the API call that emitted the event never waits for its delivery.
    this.kicked.add(world);
    setImmediate(() => {
      this.kicked.delete(world);
      this.start(world);
    });
  }

  async drain(world: World): Promise<void> {
    for (;;) {
      this.start(world);
      const running = [...(this.workers.get(world)?.values() ?? [])].filter((w) => !this.overdue.has(w));
      if (running.length === 0) return;
      if (!(await settlesWithin(Promise.all(running), this.waitMs))) for (const w of running) this.overdue.add(w);
    }
  }

  async advance(world: World, seconds: number, ctx: Ctx): Promise<void> {
    const target = world.now() + seconds;
    await this.drain(world);
    // Step to each retry that falls due before the target, so each is made at its own world time
    // (an attempt due now but still in flight past the wait is its worker's business).
    for (let next = nextAttemptAt(world, world.now()); next !== null && next <= target; next = nextAttemptAt(world, world.now())) {
      world.advance(next - world.now(), ctx);
      await this.drain(world);
    }
    world.advance(Math.max(0, target - world.now()), ctx);
    await this.drain(world);
  }

  /** Stops retry timers and closes idle connections. */
  close(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Starts a worker for each endpoint with a due delivery and none running (one scan, stopped early). */
  private start(world: World): void {
    let running = this.workers.get(world);
    const idle = new Set(liveEndpoints(world).filter((id) => !running?.has(id)));
    if (idle.size === 0) return;
    for (const d of dueDeliveries(world)) {
      if (!idle.delete(d.endpoint)) continue;
      if (!running) this.workers.set(world, (running = new Map()));
      const map = running;
      const worker = this.work(world, d.endpoint).finally(() => {
        map.delete(d.endpoint);
        if (map.size === 0 && this.workers.get(world) === map) this.workers.delete(world);
        this.wakeForRetries(world);
      });
      running.set(d.endpoint, worker);
      if (idle.size === 0) break;
    }
  }

  private async work(world: World, endpoint: string): Promise<void> {
    try {
      for (;;) {
        const next = firstDue(world, endpoint);
        if (!next) return;
        await this.attempt(world, next);
      }
    } catch (e) {
      // A bug here must not take the server down; the delivery stays pending for the next kick.
      process.stderr.write(`stripe-twin webhooks: ${e instanceof Error ? e.stack : String(e)}\n`);
    }
  }

  private async attempt(world: World, delivery: Delivery): Promise<void> {
    const at = world.now();
    const request = deliveryRequest(world, delivery);
    const started = performance.now();
    const outcome = request
      ? await this.post(request.url, request.body, signature(request.secret, request.body, Math.floor(this.clock() / 1000)))
      : { status: null, response: null, error: 'the endpoint no longer exists' };
    const latency_ms = Math.round(performance.now() - started);
    world.transaction(() => recordAttempt(world, delivery.id, { at, latency_ms, ...outcome }));
  }

  /** One POST; never throws. Redirects are not followed (a 3xx is a failure, docs/stripe-facts.md §19.2). */
  private post(url: string, body: string, sig: string): Promise<{ status: number | null; response: string | null; error: string | null }> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return resolve({ status: null, response: null, error: `invalid URL ${url}` });
      }
      const secure = target.protocol === 'https:';
      const headers = {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'User-Agent': USER_AGENT,
        'Stripe-Signature': sig,
      };
      const send = secure ? https.request : http.request;
      const req = send(target, { method: 'POST', headers, agent: secure ? this.agents.https : this.agents.http }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          const snippet = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
          resolve({ status: res.statusCode ?? null, response: snippet, error: null });
        });
        res.on('error', (e) => fail(e.message));
      });
      const fail = (error: string) => {
        clearTimeout(timer);
        resolve({ status: null, response: null, error });
      };
      const timer = setTimeout(() => {
        req.destroy();
        fail(`timed out after ${this.timeoutMs} ms`);
      }, this.timeoutMs);
      req.on('error', (e) => fail(e.message));
      req.end(body);
    });
  }

  /** When world time follows a wall clock, wakes up for the next retry on its own. */
  private wakeForRetries(world: World): void {
    const next = nextAttemptAt(world);
    const current = this.timers.get(world);
    // Due deliveries are the workers' business; this only waits for future ones.
    if (next === null || next <= world.now() || (current && current.at <= next)) return;
    if (current) clearTimeout(current.timer);
    const delay = Math.min(Math.max(0, next - world.now()) * 1000, 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.timers.delete(world);
      this.start(world);
      this.wakeForRetries(world); // a world clock that stands still: look again later
    }, delay);
    timer.unref();
    this.timers.set(world, { at: next, timer });
  }
}
