#!/usr/bin/env node
// stripe-twin benchmark: `npm run bench` (node scripts/bench.mjs).
//
// One run on loopback reports:
//   1. a baseline (the floor): a bare node:http server answering every request
//      with a fixed ~1.5 KB JSON body (the size of a rendered PaymentIntent);
//   2. the twin over HTTP (`node dist/cli.js serve --seed 1` in a child):
//      PaymentIntent create+confirm, customer create, PaymentIntent retrieve and
//      list, as requests/s, p50/p99 latency and the ratio to the baseline's
//      requests/s, beside the targets;
//   3. stripe-mock (when STRIPE_MOCK or STRIPE_MOCK_URL is set) through the same
//      four scenarios, with the twin/stripe-mock ratio per scenario; without it
//      the table says it was not run;
//   4. heap growth per 100k stored PaymentIntents, measured in a fresh
//      `node --expose-gc` process through the in-process request pipeline;
//   5. costs at scale: in a fresh `node --expose-gc --max-old-space-size=…`
//      process, a world of 1,000 customers and one of 1,000,000 (with confirmed
//      PaymentIntents and their events), built through the endpoints' handlers;
//      p50/p99, through the in-process pipeline, of filtered lists, created ranges,
//      search and event type filters at each size and their ratio, and heap bytes
//      per stored object;
//   6. the replay transport (`stripe-twin/replay`) per SDK call against the
//      in-process twin: the same customers.retrieve calls through stripe-node,
//      served by a replay of their recording, by the twin in-process, and by a
//      stub httpClient answering a fixed body (the SDK's own cost), in a fresh process;
//   7. `stripe-twin verify` over the committed corpus;
//   8. webhook deliveries/s from a fresh `serve` to a bare node:http receiver, end to end;
//   9. billing, in a fresh process through the in-process pipeline: advancing a test
//      clock one year with 1,000 monthly subscriptions on it (each renewal invoiced,
//      finalized and charged; target under 2 s), and subscription create (its first
//      invoice finalized and paid) per second as a ratio of PaymentIntent
//      create+confirm per second, alternating in the same process.
//  10. workers: PaymentIntent create+confirm on 8 accounts (4 held by each worker) against
//      `serve --seed 1`, `serve --workers 2` (threads) and the same with processes
//      (STRIPE_TWIN_WORKER_KIND=process), alternating for BENCH_WORKER_ROUNDS rounds (default 2),
//      best round each; the ratios to one process. Server CPU counts every thread and child process.
//  11. durable worlds (docs/durability.md): PaymentIntent create+confirm/s on `serve --seed 1
//      --data <tmp dir>` as a ratio of the same on `serve --seed 1` (in memory), alternating
//      for BENCH_ROUNDS rounds (default 3), best of each (target: at least 0.8); and, in a
//      fresh process, saving and restoring a snapshot of a world of 10,000 objects through
//      the control surface (p50 of BENCH_SNAPSHOT_RESTORES restores, default 20).
// Results go to .bench/results.json; the readable table is printed last.
// Targets are reported, not asserted: the exit status is 0 whether or not they are met.
//
// Every server runs in its own child process and is driven by the same load
// generator (node:http with a keep-alive Agent, closed loop: each connection
// sends its next request when the previous answer is in), itself a separate
// child, so the client's CPU is not counted against any server. Server CPU is
// read from /proc/<pid>/stat over the measured window.
//
// Environment:
//   BENCH_SECONDS      measured seconds per scenario          (default 3)
//   BENCH_WARMUP       warm-up seconds before each scenario   (default 0.5)
//   BENCH_CONNECTIONS  requests in flight (keep-alive connections) (default 16)
//   STRIPE_MOCK        a stripe-mock binary to run beside the twin (scripts/build_stripe_mock.sh builds one);
//                      spawned on two free loopback ports (-http-addr and -https-addr, both 127.0.0.1)
//   STRIPE_MOCK_SPEC   OpenAPI spec3.json passed as -spec (needed when the binary embeds none)
//   STRIPE_MOCK_FIXTURES  fixtures3.json passed as -fixtures
//   STRIPE_MOCK_URL    http://host:port of a stripe-mock already running, instead of STRIPE_MOCK
//                      (its CPU is then not measured). Key used: sk_test_bench (stripe-mock wants
//                      exactly three _-separated parts)
//   BENCH_MEM_PIS      PIs created for the memory figure      (default 100000)
//   BENCH_MEM_CONFIRM_PIS  confirmed PIs for the memory figure (default 20000, scaled to 100k)
//   BENCH_SCALE_OBJECTS customers in the big world of the scale section (default 1000000)
//   BENCH_SCALE_SMALL  customers in the small world            (default 1000)
//   BENCH_SCALE_CALLS  timed calls per query and size          (default 300)
//   BENCH_SCALE_QUERY_SECONDS  stop a query's calls after this long, once 30 are done (default 10)
//   BENCH_SCALE_HEAP_MB  --max-old-space-size of the scale process (default from the big size)
//   BENCH_REPLAY_CALLS customers.retrieve calls per transport and round (default 2000)
//   BENCH_WEBHOOK_EVENTS events delivered to a local receiver (default 5000)
//   BENCH_BILLING_SUBS subscriptions on the test clock advanced a year (default 1000)
//   BENCH_BILLING_CALLS creates per round for the subscription/PaymentIntent ratio (default 1000)
//   BENCH_SNAPSHOT_OBJECTS objects in the world a snapshot restores (default 10000)
//   BENCH_ONLY         comma-separated sections to run: http (baseline, twin, stripe-mock),
//                      memory, scale, replay, verify, webhooks, billing, workers, durable (default: all)
//   BENCH_SKIP_BUILD=1 use dist/ as it is instead of running `npm run build` first
//   BENCH_TWIN_BEFORE  another checkout of stripe-twin, built (its dist/cli.js): its `serve` runs the
//                      same four scenarios in this run, alternating with this twin for BENCH_ROUNDS
//                      rounds (default 3); each side keeps its best round, and the table gives
//                      this/before per scenario and each side over stripe-mock — a change's effect
//                      on speed, measured against the same baseline in one run

import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');

const KEY = 'sk_test_bench';
const CREATE_CONFIRM_BODY = 'amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true&allowed_payment_method_types[0]=card';
const CREATE_BODY = 'amount=2000&currency=usd&allowed_payment_method_types[0]=card';
const CUSTOMER_BODY = 'email=jenny.rosen%40example.com&name=Jenny+Rosen&description=bench';
const TARGETS = { create_confirm: 0.4, retrieve: 0.7 };
const REPLAY_TARGET_US = 100;
const VERIFY_TARGET_SECONDS = 10;

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${v}")`);
  return n;
};

// ---------------------------------------------------------------------------
// Baseline server: fixed ~1.5 KB JSON, like a rendered PaymentIntent.

function baselineBody() {
  const pi = {
    id: 'pi_3S0000eQLpuK7qRTcRZm7bLk',
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: 2000,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 2000,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: 'pi_3S0000eQLpuK7qRTcRZm7bLk_secret_0000000000000000000000000',
    confirmation_method: 'automatic',
    created: 1767225600,
    currency: 'usd',
    customer: null,
    description: null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: 'ch_3S0000eQLpuK7qRT0000000000',
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: 'pm_1S0000eQLpuK7qRT00000000',
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
  let body = JSON.stringify(pi, null, 2);
  // Pad to the size of the twin's rendered PI (~1575 bytes) with metadata.
  while (Buffer.byteLength(body) < 1560) {
    pi.metadata[`k${Object.keys(pi.metadata).length}`] = 'x';
    body = JSON.stringify(pi, null, 2);
  }
  return body + '\n';
}

async function baselineServer() {
  const body = baselineBody();
  const length = Buffer.byteLength(body);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'listening', port: server.address().port, bodyBytes: length });
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

// ---------------------------------------------------------------------------
// Load generator: `connections` workers on a keep-alive Agent, each issuing
// requests back to back. Only requests that start and finish inside the
// measured window count; warm-up requests are discarded.

async function loadgen({ host = '127.0.0.1', port, method, paths, body, connections, warmupMs, durationMs, keys = [KEY] }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, keepAliveMsecs: 30_000 });
  const bodyBuf = body ? Buffer.from(body) : null;
  // Connection w sends key w mod keys.length: several accounts load the server at once.
  const headersOf = keys.map((key) => {
    const headers = { Authorization: `Bearer ${key}` };
    if (bodyBuf) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': bodyBuf.length });
    return headers;
  });

  let phase = 'warmup';
  const latencies = [];
  let ok = 0;
  let failed = 0;
  let total = 0;
  let bytes = 0;
  const statuses = {};
  let firstError = null;

  const once = (p, headers) =>
    new Promise((resolve) => {
      const req = http.request({ host, port, method, path: p, agent, headers }, (res) => {
        let n = 0;
        let text = res.statusCode >= 300 ? '' : null;
        res.on('data', (c) => {
          n += c.length;
          if (text !== null && text.length < 500) text += c.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode, bytes: n, text }));
        res.on('error', (e) => resolve({ status: 0, bytes: n, text: String(e) }));
      });
      req.on('error', (e) => resolve({ status: 0, bytes: 0, text: String(e) }));
      req.end(bodyBuf ?? undefined);
    });

  const worker = async (w) => {
    let i = w;
    while (phase !== 'done') {
      const p = paths[i++ % paths.length];
      const started = phase;
      const t0 = process.hrtime.bigint();
      const r = await once(p, headersOf[w % headersOf.length]);
      const t1 = process.hrtime.bigint();
      total++;
      if (r.status >= 200 && r.status < 300) {
        if (started === 'measure' && phase === 'measure') {
          latencies.push(Number(t1 - t0) / 1e6);
          ok++;
          bytes += r.bytes;
        }
      } else {
        failed++;
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        firstError ??= `${r.status} ${r.text ?? ''}`.slice(0, 300);
        if (r.status === 0) await new Promise((res) => setTimeout(res, 10));
      }
    }
  };

  const workers = Array.from({ length: connections }, (_, w) => worker(w));
  await new Promise((res) => setTimeout(res, warmupMs));
  phase = 'measure';
  process.send({ type: 'measure-start' });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((res) => setTimeout(res, durationMs));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  phase = 'done';
  process.send({ type: 'measure-end' });
  await Promise.all(workers);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
  process.send({
    type: 'result',
    result: {
      requests: ok,
      seconds: elapsed,
      rps: ok / elapsed,
      p50_ms: pct(0.5),
      p90_ms: pct(0.9),
      p99_ms: pct(0.99),
      max_ms: latencies.length ? latencies[latencies.length - 1] : null,
      mean_response_bytes: ok ? Math.round(bytes / ok) : null,
      errors: failed,
      error_statuses: statuses,
      first_error: firstError,
      completed_including_warmup: total,
      client_cpu_util: (cpu.user + cpu.system) / 1e6 / elapsed,
    },
  });
  process.disconnect();
}

// ---------------------------------------------------------------------------
// Memory: a fresh process, requests straight into the pipeline (no sockets).

async function memory(mode, n) {
  if (typeof global.gc !== 'function') throw new Error('memory mode needs node --expose-gc');
  const require = createRequire(import.meta.url);
  const { createTwin } = require(path.join(ROOT, 'dist'));
  const { handleRequest } = require(path.join(ROOT, 'dist/server/pipeline'));
  const body = Buffer.from(mode === 'confirm' ? CREATE_CONFIRM_BODY : CREATE_BODY);
  const key = 'sk_test_mem';
  const gcHeap = () => {
    for (let i = 0; i < 3; i++) global.gc();
    return process.memoryUsage().heapUsed;
  };
  let seq = 0;
  const create = async (count) => {
    for (let i = 0; i < count; i++) {
      const res = await handleRequest(engine, {
        method: 'POST',
        url: '/v1/payment_intents',
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': `bench-mem-${mode}-${seq++}` },
        readBody: async () => body,
      });
      if (res.status !== 200) throw new Error(`create #${seq} answered ${res.status}: ${res.body.slice(0, 300)}`);
    }
  };

  const heapBeforeTwin = gcHeap();
  const twin = createTwin();
  const engine = twin.engine;
  const heapFresh = gcHeap();
  // Warm-up: the world, lazily built tables and JIT are one-time costs, not per-PI ones.
  const warm = 200;
  await create(warm);
  const heapWarm = gcHeap();
  const t0 = process.hrtime.bigint();
  await create(n);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const heapAfter = gcHeap();
  const perPi = (heapAfter - heapWarm) / n;
  // How much of that the idempotency cache holds (stored responses, and the
  // rendered bodies a WeakMap keeps alive as long as those responses live).
  const world = engine.world(key);
  const idempotencyEntries = world.idempotency.size;
  world.idempotency.clear();
  const heapNoIdem = gcHeap();
  const mu = process.memoryUsage();
  process.send({
    type: 'result',
    result: {
      mode,
      pis: n,
      warmup_pis: warm,
      in_process_creates_per_s: n / seconds,
      heap_before_twin_mb: heapBeforeTwin / 2 ** 20,
      heap_fresh_twin_mb: heapFresh / 2 ** 20,
      heap_after_warmup_mb: heapWarm / 2 ** 20,
      heap_after_mb: heapAfter / 2 ** 20,
      bytes_per_pi: perPi,
      mb_per_100k: (perPi * 100_000) / 2 ** 20,
      idempotency_entries: idempotencyEntries,
      idempotency_bytes_per_pi: (heapAfter - heapNoIdem) / (n + warm),
      rss_mb: mu.rss / 2 ** 20,
    },
  });
  process.disconnect();
}

// ---------------------------------------------------------------------------
// Replay transport: µs per SDK call, in a fresh process, no sockets. The same
// `calls` customers.retrieve go through stripe-node three ways: a replay of
// their recording (one recorded interaction per call, consumed in order), the
// in-process twin, and a stub httpClient that answers a fixed body (the SDK's
// own cost per call). Rounds alternate the transports; medians are reported.

async function replayBench(calls) {
  const require = createRequire(import.meta.url);
  const Stripe = require('stripe');
  const { createTwin } = require(path.join(ROOT, 'dist'));
  const { createReplayClient, decodeSdkRequest } = require(path.join(ROOT, 'dist/transport/replay'));
  const { normalize } = require(path.join(ROOT, 'dist/contract/normalize'));
  const rounds = 7;
  const warm = 200;
  const per = calls + warm;

  // Record: one customer, then `per` retrieves of it, through a recording httpClient.
  const recTwin = createTwin({ seed: 1 });
  const interactions = [];
  const recorder = {
    getClientName: () => 'recorder',
    async makeRequest(host, port, p, method, headers, data) {
      const res = await recTwin.httpClient.makeRequest(host, port, p, method, headers, data);
      const req = decodeSdkRequest(method, p, headers, data);
      const raw = res.getRawResponse();
      interactions.push({
        request: { method: req.method, path: req.path, params: req.params, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) },
        response: { status: res.getStatusCode(), headers: raw.headers, body: JSON.parse(raw.body) },
      });
      return res;
    },
  };
  const rec = new Stripe(KEY, { httpClient: recorder, maxNetworkRetries: 0 });
  const recorded = await rec.customers.create({ email: 'bench@example.com', name: 'Bench' });
  for (let i = 0; i < per; i++) await rec.customers.retrieve(recorded.id);
  const capture = normalize({ name: 'bench-retrieve', provenance: { source: 'bench', format: 'recorder', recorded: '2026-01-01' }, interactions });

  const body = (await recTwin.httpClient.makeRequest('', '', `/v1/customers/${recorded.id}`, 'GET', { Authorization: `Bearer ${KEY}` }, '')).getRawResponse().body;
  class StubResponse extends Stripe.HttpClientResponse {
    constructor() { super(200, { 'content-type': 'application/json', 'request-id': 'req_stub' }); }
    getRawResponse() { return { headers: this._headers, body }; }
    toJSON() { return Promise.resolve(JSON.parse(body)); }
  }
  const stub = { getClientName: () => 'stub', makeRequest: async () => new StubResponse() };

  const time = async (stripe, id) => {
    for (let i = 0; i < warm; i++) await stripe.customers.retrieve(id);
    global.gc?.(); // garbage from the other transports' rounds is not this one's cost
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await stripe.customers.retrieve(id);
    return Number(process.hrtime.bigint() - t0) / 1e3 / calls;
  };
  const samples = { replay: [], in_process: [], stub: [] };
  let unmatched = 0;
  for (let round = 0; round < rounds; round++) {
    const replayClient = createReplayClient(capture);
    const replay = new Stripe(KEY, { httpClient: replayClient, maxNetworkRetries: 0 });
    const customer = await replay.customers.create({ email: 'bench@example.com', name: 'Bench' });
    samples.replay.push(await time(replay, customer.id));
    unmatched += replayClient.unmatched.length + replayClient.remaining().length;

    const twin = createTwin({ seed: 1 });
    const direct = twin.stripe(KEY);
    const c2 = await direct.customers.create({ email: 'bench@example.com', name: 'Bench' });
    samples.in_process.push(await time(direct, c2.id));

    samples.stub.push(await time(new Stripe(KEY, { httpClient: stub, maxNetworkRetries: 0 }), recorded.id));
  }
  if (unmatched) throw new Error(`replay bench: ${unmatched} requests unmatched or interactions left over`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const us = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  process.send({
    type: 'result',
    result: {
      calls,
      rounds,
      capture_interactions: capture.interactions.length,
      us_per_call: us,
      samples_us: samples,
      replay_overhead_vs_in_process_us: us.replay - us.in_process,
      replay_transport_us: us.replay - us.stub,
      in_process_transport_us: us.in_process - us.stub,
      target_us: REPLAY_TARGET_US,
      target_met: us.replay < REPLAY_TARGET_US,
    },
  });
  process.disconnect();
}

// ---------------------------------------------------------------------------
// Costs at scale: a fresh `node --expose-gc --max-old-space-size=…` process builds
// one world per size and times, through the in-process pipeline (no sockets), the
// filtered reads whose cost may grow with what a world holds. Worlds are built
// through the endpoints' own handlers (the routes the pipeline runs, each call in
// a transaction with a request id and an idempotency key, as the pipeline gives
// them), skipping only the pipeline's HTTP layers (auth, form decoding, the
// idempotency cache, the request log, rendering): 3–4× faster than the pipeline,
// and the objects and events are the same. Per size, one world:
//   · n customers, each with a distinct email, `metadata[order]` and a segment, world
//     time one second apart (so `created` ranges mean something); the customer at n/2
//     is updated once, so its `customer.updated` is the only event of that type;
//   · then one confirmed PaymentIntent per SCALE_PI_EVERY customers (pm_card_visa,
//     attached to that customer), each with its payment method, charge, balance
//     transaction and events. Every customer event is older than every PI event.
// Heap per object is read from the growth after gc across each phase: the stored
// objects, their events and the world's indexes (the build leaves nothing in the
// idempotency cache or the request log, both bounded anyway).

const SCALE_KEY = 'sk_test_scale';
const SCALE_PI_EVERY = 10;
const SCALE_TARGETS = 16; // distinct customers each filtered query cycles through

/** The queries timed at each size: [name, label, expected data.length]. */
const SCALE_QUERIES = [
  ['retrieve', 'GET /v1/customers/:id (control: a lookup by id)', null],
  ['list', 'GET /v1/customers?limit=10 (control: newest 10)', 10],
  ['customers_email', 'GET /v1/customers?email=<one>', 1],
  ['pis_customer', 'GET /v1/payment_intents?customer=<one>&limit=10', 1],
  ['customers_created', 'GET /v1/customers?created[gte]=<5th newest>&limit=10', 5],
  ['search_email', 'GET /v1/customers/search?query=email:"<one>"', 1],
  ['search_metadata', 'GET /v1/customers/search?query=metadata["order"]:"<one>"', 1],
  ['events_rare', 'GET /v1/events?type=customer.updated (1 such event)', 1],
  ['events_prefix', 'GET /v1/events?type=customer.* (older than all PI events)', 10],
];

async function scaleBench(cfg) {
  if (typeof global.gc !== 'function') throw new Error('scale mode needs node --expose-gc');
  const require = createRequire(import.meta.url);
  const dist = {
    createTwin: require(path.join(ROOT, 'dist')).createTwin,
    handleRequest: require(path.join(ROOT, 'dist/server/pipeline')).handleRequest,
    routes: require(path.join(ROOT, 'dist/resources')).routes,
  };
  // A throwaway world first, every query run on it: the JIT otherwise settles during
  // the first size's timings (search measured 5–8× slower there than at any later size).
  await scaleWorld(2000, { calls: 2000, minCalls: 1, querySeconds: 1, quiet: true }, dist);
  for (let i = 0; i < 3; i++) global.gc();
  const sizes = [];
  for (const n of cfg.sizes) {
    sizes.push(await scaleWorld(n, cfg, dist));
    for (let i = 0; i < 3; i++) global.gc();
  }
  const result = { sizes, max_old_space_mb: cfg.heapMb, pi_every: SCALE_PI_EVERY };
  if (process.send) {
    process.send({ type: 'result', result });
    process.disconnect();
  } else process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

async function scaleWorld(n, { calls, minCalls, querySeconds, quiet = false }, { createTwin, handleRequest, routes }) {
  const say = (s) => quiet || process.stdout.write(`  scale ${n.toLocaleString('en-US')}: ${s}\n`);
  let gcSeconds = 0;
  const gcHeap = () => {
    const t = performance.now();
    for (let i = 0; i < 2; i++) global.gc();
    gcSeconds += (performance.now() - t) / 1000;
    return process.memoryUsage().heapUsed;
  };
  let clockMs = 0;
  const twin = createTwin({ seed: 1, wallClock: () => clockMs, webhooks: false });
  const engine = twin.engine;
  const world = engine.world(SCALE_KEY);
  const headers = { authorization: `Bearer ${SCALE_KEY}` };
  const none = Buffer.alloc(0);
  const send = async (method, url, body) => {
    const buf = body ? Buffer.from(body) : none;
    const res = await handleRequest(engine, { method, url, headers, readBody: async () => buf });
    if (res.status !== 200) throw new Error(`${method} ${url} answered ${res.status}: ${res.body.slice(0, 300)}`);
    return res;
  };
  /** One write through its endpoint's handler, as the pipeline runs it (due work first, then a transaction). */
  const call = (method, url, params) => {
    const match = routes.match(method, url);
    if (!match || match === 'wrong-method') throw new Error(`no route for ${method} ${url}`);
    const ctx = { world, requestId: world.requestId(), idempotencyKey: world.generatedIdempotencyKey(), apiVersion: world.config.defaultApiVersion };
    world.runDue(ctx);
    return world.transaction(() => match.value.handler(ctx, params, match.params));
  };
  const progress = (what, i, total, t0) => {
    if (total >= 200_000 && i > 0 && i % Math.round(total / 4) === 0) {
      say(`${what} ${Math.round((100 * i) / total)}% (${Math.round(i / ((performance.now() - t0) / 1000)).toLocaleString('en-US')}/s)`);
    }
  };
  const email = (i) => `customer${i}@scale.example`;

  const worldStarted = performance.now();
  const heap0 = gcHeap();
  // 1. Customers, one second of world time apart.
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const customer = call('POST', '/v1/customers', { email: email(i), name: `Customer ${i}`, metadata: { order: `ord_${i}`, segment: `s${i % 16}` } });
    if (i === n >> 1) call('POST', `/v1/customers/${customer.id}`, { metadata: { vip: 'true' } });
    clockMs += 1000;
    progress('customers', i + 1, n, t0);
  }
  const customerSeconds = (performance.now() - t0) / 1000;
  const heapCustomers = gcHeap();

  // 2. Confirmed PaymentIntents, one per SCALE_PI_EVERY customers.
  const customerIds = world.idsOf('customer');
  const m = Math.max(1, Math.floor(n / SCALE_PI_EVERY));
  t0 = performance.now();
  for (let j = 0; j < m; j++) {
    const customer = customerIds[j * SCALE_PI_EVERY];
    const pi = call('POST', '/v1/payment_intents', {
      amount: 1000 + (j % 9000), currency: 'usd', customer, payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'],
    });
    if (pi.status !== 'succeeded') throw new Error(`PaymentIntent ${pi.id} is ${pi.status}, not succeeded`);
    clockMs += 1000;
    progress('PaymentIntents', j + 1, m, t0);
  }
  const piSeconds = (performance.now() - t0) / 1000;
  await send('GET', '/v1/balance'); // a request, so the last PI's balance transaction (due "shortly after") lands
  const heapAll = gcHeap();
  const counts = Object.fromEntries(
    ['customer', 'event', 'payment_intent', 'charge', 'balance_transaction', 'payment_method'].map((t) => [t, world.count(t)]),
  );
  const eventsByType = {};
  for (const id of world.idsOf('event')) {
    const type = world.get(id).type;
    eventsByType[type] = (eventsByType[type] ?? 0) + 1;
  }
  say(`built: ${n.toLocaleString('en-US')} customers in ${customerSeconds.toFixed(1)} s, ${m.toLocaleString('en-US')} confirmed PaymentIntents in ${piSeconds.toFixed(1)} s; timing queries`);
  // Queries are not preceded by a forced gc each (seconds apiece on a multi-GB heap): the ones
  // they meet are part of their latency at that size, as they would be in a server.

  // 3. The queries, each cycling through SCALE_TARGETS customers spread over the world.
  const spread = (count, k) => Math.min(count - 1, Math.floor(((k + 0.5) * count) / SCALE_TARGETS));
  const picks = Array.from({ length: SCALE_TARGETS }, (_, k) => spread(n, k));
  const piCustomers = Array.from({ length: SCALE_TARGETS }, (_, k) => customerIds[spread(m, k) * SCALE_PI_EVERY]);
  const recent = world.get(customerIds[Math.max(0, n - 5)]).created;
  const q = encodeURIComponent;
  const urls = {
    retrieve: picks.map((i) => `/v1/customers/${customerIds[i]}`),
    list: ['/v1/customers?limit=10'],
    customers_email: picks.map((i) => `/v1/customers?email=${q(email(i))}`),
    pis_customer: piCustomers.map((c) => `/v1/payment_intents?customer=${c}&limit=10`),
    customers_created: [`/v1/customers?created[gte]=${recent}&limit=10`],
    search_email: picks.map((i) => `/v1/customers/search?query=${q(`email:"${email(i)}"`)}`),
    search_metadata: picks.map((i) => `/v1/customers/search?query=${q(`metadata["order"]:"ord_${i}"`)}`),
    events_rare: ['/v1/events?type=customer.updated'],
    events_prefix: [`/v1/events?type=${q('customer.*')}`],
  };
  const queries = {};
  for (const [name, label, expected] of SCALE_QUERIES) {
    const list = urls[name];
    const first = JSON.parse((await send('GET', list[0])).body);
    const returned = Array.isArray(first.data) ? first.data.length : 1;
    // Warm-up (render caches, and the JIT, which takes some hundreds of calls to settle):
    // up to 1,000 calls or 1 s, whichever ends first.
    for (let i = 1, w = performance.now(); i <= 1000 && performance.now() - w < 1000; i++) await send('GET', list[i % list.length]);
    const lat = [];
    const started = performance.now();
    for (let i = 0; i < calls; i++) {
      const a = performance.now();
      await send('GET', list[i % list.length]);
      lat.push(performance.now() - a);
      if (lat.length >= minCalls && performance.now() - started > querySeconds * 1000) break;
    }
    lat.sort((a, b) => a - b);
    const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    queries[name] = {
      label,
      calls: lat.length,
      p50_ms: pct(0.5),
      p99_ms: pct(0.99),
      max_ms: lat[lat.length - 1],
      returned,
      expected,
      correct: expected === null || returned === expected,
    };
  }
  const mu = process.memoryUsage();
  const seconds = (performance.now() - worldStarted) / 1000;
  say(`done in ${seconds.toFixed(0)} s (${gcSeconds.toFixed(0)} s of it in forced gc)`);
  return {
    seconds,
    forced_gc_seconds: gcSeconds,
    customers: n,
    payment_intents: m,
    stored_objects: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    events_by_type: eventsByType,
    build: {
      customer_seconds: customerSeconds,
      customers_per_s: n / customerSeconds,
      pi_seconds: piSeconds,
      pis_per_s: m / piSeconds,
      via: "the endpoints' handlers (routes of dist/resources), in transactions",
    },
    heap: {
      empty_world_mb: heap0 / 2 ** 20,
      after_customers_mb: heapCustomers / 2 ** 20,
      after_all_mb: heapAll / 2 ** 20,
      bytes_per_customer: (heapCustomers - heap0) / n,
      bytes_per_confirmed_pi: (heapAll - heapCustomers) / m,
      rss_mb: mu.rss / 2 ** 20,
    },
    queries,
  };
}

// ---------------------------------------------------------------------------
// Orchestrator.

async function main() {
  const seconds = num('BENCH_SECONDS', 3);
  const warmup = num('BENCH_WARMUP', 0.5);
  const connections = Math.round(num('BENCH_CONNECTIONS', 16));
  const memPis = Math.round(num('BENCH_MEM_PIS', 100_000));
  const memConfirmPis = Math.round(num('BENCH_MEM_CONFIRM_PIS', 20_000));
  const replayCalls = Math.round(num('BENCH_REPLAY_CALLS', 2000));
  const webhookEvents = Math.round(num('BENCH_WEBHOOK_EVENTS', 5000));
  const scaleBig = Math.round(num('BENCH_SCALE_OBJECTS', 1_000_000));
  const scaleSmall = Math.round(num('BENCH_SCALE_SMALL', 1000));
  const scaleCalls = Math.round(num('BENCH_SCALE_CALLS', 300));
  const scaleQuerySeconds = num('BENCH_SCALE_QUERY_SECONDS', 10);
  const sections = selectedSections();
  const log = (s) => process.stdout.write(`· ${s}\n`);
  const started = Date.now();

  build(log);

  const children = new Set();
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (cleanup(), process.exit(130)));
  const track = (c) => (children.add(c), c.once('exit', () => children.delete(c)), c);

  const run = (target, scenario) =>
    runLoad({ host: target.host, port: target.port, pid: target.pid, connections, warmupMs: warmup * 1000, durationMs: seconds * 1000, ...scenario }, track);

  const results = {
    generated_at: new Date().toISOString(),
    git_commit: gitCommit(),
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? null,
      loadavg_at_start: os.loadavg(),
    },
    settings: { seconds, warmup_seconds: warmup, connections, transport: 'loopback, node:http keep-alive Agent in a child process', sections: [...sections] },
  };

  if (sections.has('http')) {
    // 1. Baseline: the floor any HTTP server in Node reaches with this load generator.
    log(`baseline: bare node:http, ${connections} connections, ${warmup}s warm-up + ${seconds}s`);
    const baseSrv = track(fork(SELF, ['--baseline-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const baseInfo = await nextMessage(baseSrv, 'listening');
    const baseline = {
      ...(await run({ host: '127.0.0.1', port: baseInfo.port, pid: baseSrv.pid }, { method: 'GET', paths: ['/v1/payment_intents/pi_x'] })),
      body_bytes: baseInfo.bodyBytes,
    };
    await stop(baseSrv);

    // 2. The twin over HTTP (alternating with an earlier build when BENCH_TWIN_BEFORE names one).
    const beforeRoot = process.env.BENCH_TWIN_BEFORE ? path.resolve(process.env.BENCH_TWIN_BEFORE) : null;
    const rounds = beforeRoot ? Math.max(1, Math.round(num('BENCH_ROUNDS', 3))) : 1;
    let twin = null;
    let before = null;
    let startupMs = 0;
    const twinRound = async (root, label) => {
      const started = await startTwin(track, root);
      log(`${label}: node ${path.relative(process.cwd(), path.join(root, 'dist/cli.js')) || 'dist/cli.js'} serve --port ${started.port} --seed 1 (ready in ${Math.round(started.startupMs)} ms)`);
      const out = await httpScenarios(label, { host: '127.0.0.1', port: started.port, pid: started.child.pid }, run, log);
      out.list.stored_pis = out.create_confirm.completed_including_warmup - out.create_confirm.errors + RETRIEVE_IDS;
      await stop(started.child);
      return { out, startupMs: started.startupMs };
    };
    const best = (kept, fresh) => (kept ? Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, fresh[k].rps > v.rps ? fresh[k] : v])) : fresh);
    for (let round = 1; round <= rounds; round++) {
      const mine = await twinRound(ROOT, rounds > 1 ? `twin (round ${round})` : 'twin');
      twin = best(twin, mine.out);
      startupMs = startupMs ? Math.min(startupMs, mine.startupMs) : mine.startupMs;
      if (beforeRoot) before = best(before, (await twinRound(beforeRoot, `before (round ${round})`)).out);
    }

    // 3. stripe-mock, when configured, through the same scenarios and load generator.
    const mock = await stripeMockRun(track, run, log);

    for (const [name, r] of Object.entries(twin)) {
      if (before) {
        r.ratio_to_before = r.rps / before[name].rps;
        if (mock.scenarios?.[name]) before[name].ratio_to_stripe_mock = before[name].rps / mock.scenarios[name].rps;
      }
      r.ratio_to_baseline = r.rps / baseline.rps;
      // Throughput ratio if both servers ran CPU-bound: independent of a client-bound baseline.
      r.cpu_normalised_ratio =
        r.server_cpu_us_per_request && baseline.server_cpu_us_per_request ? baseline.server_cpu_us_per_request / r.server_cpu_us_per_request : null;
      if (TARGETS[name] !== undefined) {
        r.target_ratio = TARGETS[name];
        r.target_met = r.ratio_to_baseline >= TARGETS[name];
      }
      const m = mock.scenarios?.[name];
      if (m) {
        m.ratio_to_baseline = m.rps / baseline.rps;
        r.ratio_to_stripe_mock = m.rps ? r.rps / m.rps : null;
      }
    }
    // The comparison in one place: per scenario, both servers beside the floor.
    const pick = (x) => (x ? { rps: x.rps, p50_ms: x.p50_ms, p99_ms: x.p99_ms, server_cpu_us_per_request: x.server_cpu_us_per_request, errors: x.errors } : null);
    const sideBySide = {
      floor: pick(baseline),
      stripe_mock_run: mock.run,
      stripe_mock_note: mock.run ? null : `stripe-mock: not run — ${mock.reason}`,
      scenarios: Object.fromEntries(
        Object.entries(twin).map(([name, t]) => [
          name,
          { twin: pick(t), stripe_mock: pick(mock.scenarios?.[name]), twin_over_stripe_mock: t.ratio_to_stripe_mock ?? null, twin_over_floor: t.ratio_to_baseline },
        ]),
      ),
    };
    Object.assign(results, {
      baseline,
      twin,
      ...(before ? { before: { checkout: beforeRoot, git_commit: gitCommit(beforeRoot), rounds, scenarios: before } } : {}),
      stripe_mock: mock,
      side_by_side: sideBySide,
      targets: {
        create_confirm: { ratio: TARGETS.create_confirm, actual: twin.create_confirm.ratio_to_baseline, met: twin.create_confirm.target_met },
        retrieve: { ratio: TARGETS.retrieve, actual: twin.retrieve.ratio_to_baseline, met: twin.retrieve.target_met },
      },
      serve_startup_ms: startupMs,
    });
  }

  if (sections.has('memory')) {
    // 4. Memory, each mode in a fresh process.
    log(`memory: ${memPis} PIs created in-process (fresh node --expose-gc)`);
    const memCreate = await memoryRun('create', memPis, track);
    log(`memory: ${memConfirmPis} PIs created+confirmed in-process (fresh node --expose-gc)`);
    const memConfirm = await memoryRun('confirm', memConfirmPis, track);
    results.memory = { create: memCreate, create_confirm: memConfirm };
  }

  if (sections.has('scale')) {
    // 5. Costs at scale: one small and one big world, in a fresh process.
    const heapMb = Math.round(num('BENCH_SCALE_HEAP_MB', scaleHeapMb(scaleBig)));
    log(
      `scale: worlds of ${scaleSmall.toLocaleString('en-US')} and ${scaleBig.toLocaleString('en-US')} customers (+1 confirmed PI per ${SCALE_PI_EVERY}), ` +
        `filtered reads timed in-process (fresh node --expose-gc --max-old-space-size=${heapMb})`,
    );
    results.scale = await scaleRun({ sizes: [scaleSmall, scaleBig], calls: scaleCalls, minCalls: Math.min(30, scaleCalls), querySeconds: scaleQuerySeconds, heapMb }, track);
  }

  if (sections.has('replay')) {
    // 6. Replay transport vs the in-process twin, in a fresh process.
    log(`replay: ${replayCalls} customers.retrieve per transport and round (replay, in-process twin, stub), fresh process`);
    results.replay = await replayRun(replayCalls, track);
  }

  if (sections.has('verify')) {
    // 7. The fidelity gate over the whole committed corpus, as CI runs it (process start included).
    log('verify: node dist/cli.js verify over captures/ (fresh process)');
    results.verify = verifyCorpus();
  }

  if (sections.has('webhooks')) {
    // 8. Webhook deliveries to a bare local receiver, end to end through serve.
    log(`webhooks: ${webhookEvents} customers.create on serve, each event delivered to a bare node:http receiver`);
    results.webhooks = await webhookRun(webhookEvents, track);
  }

  if (sections.has('billing')) {
    // 9. Billing: a year of renewals on a test clock, and subscription create throughput.
    const subs = Math.round(num('BENCH_BILLING_SUBS', 1000));
    const calls = Math.round(num('BENCH_BILLING_CALLS', 1000));
    log(`billing: ${subs} monthly subscriptions on a test clock advanced one year; ${calls} subscription creates vs PaymentIntent create+confirm per round (fresh process)`);
    const child = track(fork(SELF, ['--billing', String(subs), String(calls)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    results.billing = await nextMessage(child, 'result');
  }

  if (sections.has('workers')) {
    // 10. serve --workers 2 against one process, on several accounts, in the same run.
    results.workers = await workersRun(run, track, log);
  }
  if (sections.has('durable')) {
    // 11. Durable worlds: throughput with --data against in memory, and snapshot restore time.
    const rounds = Math.max(1, Math.round(num('BENCH_ROUNDS', 3)));
    const objects = Math.round(num('BENCH_SNAPSHOT_OBJECTS', 10_000));
    const restores = Math.round(num('BENCH_SNAPSHOT_RESTORES', 20));
    let memoryBest = null;
    let durableBest = null;
    const dataDirs = [];
    for (let round = 1; round <= rounds; round++) {
      for (const durable of [false, true]) {
        const dir = durable ? mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-bench-data-')) : null;
        if (dir) dataDirs.push(dir);
        const started = await startTwin(track, ROOT, dir ? ['--data', dir] : []);
        const label = `durable: ${dir ? '--data' : 'in memory'} (round ${round})`;
        log(`${label}: POST /v1/payment_intents (create+confirm)`);
        const r = await run({ host: '127.0.0.1', port: started.port, pid: started.child.pid }, { method: 'POST', paths: ['/v1/payment_intents'], body: CREATE_CONFIRM_BODY });
        await stop(started.child);
        if (dir) durableBest = !durableBest || r.rps > durableBest.rps ? r : durableBest;
        else memoryBest = !memoryBest || r.rps > memoryBest.rps ? r : memoryBest;
      }
    }
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    log(`durable: snapshot of a world of ${objects.toLocaleString('en-US')} objects, saved and restored ${restores} times (fresh process)`);
    const child = track(fork(SELF, ['--snapshot', String(objects), String(restores)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ratio = durableBest.rps / memoryBest.rps;
    results.durable = { memory: memoryBest, data: durableBest, ratio, target_ratio: 0.8, target_met: ratio >= 0.8, snapshot: await nextMessage(child, 'result') };
  }

  results.wall_seconds = (Date.now() - started) / 1000;
  mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  const out = path.join(ROOT, '.bench', 'results.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), out) || out}`);

  printTables(results);
  process.exitCode = 0;
}

const SECTIONS = ['http', 'memory', 'scale', 'replay', 'verify', 'webhooks', 'billing', 'workers', 'durable'];

/** BENCH_ONLY=http,scale runs those sections only (default: all). */
function selectedSections() {
  const only = process.env.BENCH_ONLY;
  if (!only) return new Set(SECTIONS);
  const picked = only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = picked.filter((s) => !SECTIONS.includes(s));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  return new Set(picked);
}

/** The PaymentIntents retrieve cycles through. */
const RETRIEVE_IDS = 16;

/**
 * The closed-loop HTTP scenarios, the same for every server: PaymentIntent
 * create+confirm, customer create, PaymentIntent retrieve (RETRIEVE_IDS ids the
 * server itself returned, round-robin), and the PaymentIntent list.
 */
async function httpScenarios(name, target, run, log) {
  const out = {};
  log(`${name}: POST /v1/payment_intents (create+confirm)`);
  out.create_confirm = await run(target, { method: 'POST', paths: ['/v1/payment_intents'], body: CREATE_CONFIRM_BODY });
  log(`${name}: POST /v1/customers`);
  out.create_customer = await run(target, { method: 'POST', paths: ['/v1/customers'], body: CUSTOMER_BODY });
  const ids = [];
  for (let i = 0; i < RETRIEVE_IDS; i++) ids.push((await apiCall(target, 'POST', '/v1/payment_intents', CREATE_CONFIRM_BODY)).id);
  log(`${name}: GET /v1/payment_intents/:id (${ids.length} PIs round-robin)`);
  out.retrieve = await run(target, { method: 'GET', paths: ids.map((id) => `/v1/payment_intents/${id}`) });
  log(`${name}: GET /v1/payment_intents?limit=10`);
  out.list = await run(target, { method: 'GET', paths: ['/v1/payment_intents?limit=10'] });
  return out;
}

// ---------------------------------------------------------------------------
// stripe-mock (github.com/stripe/stripe-mock; scripts/build_stripe_mock.sh builds
// it): stateless, answers every call from fixtures after validating parameters
// against the OpenAPI spec. Compared on throughput and latency only.
//   STRIPE_MOCK=<binary>           spawned as a child on two free loopback ports
//   STRIPE_MOCK_SPEC=<spec3.json>  -spec (needed when the binary embeds no spec)
//   STRIPE_MOCK_FIXTURES=<fixtures3.json>  -fixtures
//   STRIPE_MOCK_URL=http://127.0.0.1:12111  one already running (no server CPU figures)

const STRIPE_MOCK_HOWTO =
  'set STRIPE_MOCK=<binary> (with STRIPE_MOCK_SPEC=<spec3.json> STRIPE_MOCK_FIXTURES=<fixtures3.json>) or STRIPE_MOCK_URL=<http://host:port>; ' +
  'scripts/build_stripe_mock.sh builds the binary';

async function stripeMockRun(track, run, log) {
  const { STRIPE_MOCK: bin, STRIPE_MOCK_SPEC: spec, STRIPE_MOCK_FIXTURES: fixtures, STRIPE_MOCK_URL: url } = process.env;
  if (!bin && !url) {
    log(`stripe-mock: not run — ${STRIPE_MOCK_HOWTO}`);
    return { run: false, reason: `not configured: ${STRIPE_MOCK_HOWTO}` };
  }
  const info = { run: false, binary: bin ?? null, spec: spec ?? null, fixtures: fixtures ?? null, url: url ?? null };
  let child = null;
  try {
    let target;
    if (url) {
      const u = new URL(url);
      if (u.protocol !== 'http:') throw new Error(`STRIPE_MOCK_URL must be http:// (got ${url})`);
      target = { host: u.hostname, port: Number(u.port || 80), pid: null };
      await waitForHttp(target, 5_000);
      log(`stripe-mock: using ${url} (already running; its CPU is not measured)`);
    } else {
      for (const [name, file] of Object.entries({ STRIPE_MOCK: bin, STRIPE_MOCK_SPEC: spec, STRIPE_MOCK_FIXTURES: fixtures })) {
        if (file && !existsSync(file)) throw new Error(`${name}=${file}: no such file`);
      }
      try {
        info.version = execFileSync(bin, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
      } catch {
        info.version = null;
      }
      const [httpPort, httpsPort] = [await freePort(), await freePort()];
      // Loopback only, both addresses given: without -https-addr it also listens on every interface.
      const args = ['-http-addr', `127.0.0.1:${httpPort}`, '-https-addr', `127.0.0.1:${httpsPort}`];
      if (spec) args.push('-spec', spec);
      if (fixtures) args.push('-fixtures', fixtures);
      info.args = args;
      const spawnedAt = performance.now();
      child = track(spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      let output = '';
      const keep = (d) => (output = (output + d.toString()).slice(-2000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const exited = new Promise((_, reject) => {
        child.once('error', (e) => reject(new Error(`stripe-mock could not start: ${e.message}`)));
        child.once('exit', (code, sig) => reject(new Error(`stripe-mock exited (${code ?? sig}): ${output.trim()}`)));
      });
      exited.catch(() => {});
      target = { host: '127.0.0.1', port: httpPort, pid: child.pid };
      await Promise.race([waitForHttp(target, 60_000), exited]);
      info.startup_ms = performance.now() - spawnedAt;
      log(`stripe-mock: ${bin} ${args.join(' ')} (ready in ${Math.round(info.startup_ms)} ms)`);
    }
    info.scenarios = await httpScenarios('stripe-mock', target, run, log);
    info.run = true;
  } catch (e) {
    info.reason = `failed: ${String(e.message ?? e).split('\n')[0].slice(0, 400)}`;
    log(`stripe-mock: ${info.reason}`);
  } finally {
    if (child) await stop(child);
  }
  return info;
}

/** Resolves once GET /v1/customers answers 200 with the bench key; retries only while nothing listens. */
async function waitForHttp(target, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let last = null;
  while (performance.now() < deadline) {
    try {
      await apiCall(target, 'GET', '/v1/customers?limit=1');
      return;
    } catch (e) {
      if (e.status === 404) throw new Error(`${e.message} — a stripe-mock built without its spec needs STRIPE_MOCK_SPEC and STRIPE_MOCK_FIXTURES`);
      if (e.status) throw e;
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer from http://${target.host}:${target.port} within ${timeoutMs} ms (${last?.message ?? 'no attempt'})`);
}

/**
 * Old-space limit for the scale child: 1 GB + 6,000 B per customer of the big world (measured:
 * ~2.4 KB, a customer's share of the PaymentIntents included), at least 2 GB, at most 80% of RAM.
 */
function scaleHeapMb(big) {
  const want = 1024 + Math.ceil((big * 6000) / 2 ** 20);
  return Math.max(2048, Math.min(want, Math.floor((os.totalmem() / 2 ** 20) * 0.8)));
}

async function scaleRun(cfg, track) {
  const child = track(
    fork(SELF, ['--scale', JSON.stringify(cfg)], { execArgv: ['--expose-gc', `--max-old-space-size=${cfg.heapMb}`], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const result = await nextMessage(child, 'result');
  const [small, big] = result.sizes;
  result.ratios = Object.fromEntries(
    Object.keys(big.queries).map((q) => [
      q,
      { p50: big.queries[q].p50_ms / small.queries[q].p50_ms, p99: big.queries[q].p99_ms / small.queries[q].p99_ms },
    ]),
  );
  return result;
}

function build(log) {
  if (process.env.BENCH_SKIP_BUILD === '1') {
    if (!existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('BENCH_SKIP_BUILD=1 but dist/cli.js is missing: run npm run build');
    log('build: skipped (BENCH_SKIP_BUILD=1)');
    return;
  }
  log('build: npm run build');
  try {
    execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if (!existsSync(path.join(ROOT, 'dist/cli.js'))) throw e;
    log(`build failed; benchmarking the existing dist/ (${String(e.stderr ?? e.message).split('\n')[0]})`);
  }
}

async function runLoad(cfg, track) {
  const { pid, ...job } = cfg;
  const gen = track(
    fork(SELF, ['--loadgen', Buffer.from(JSON.stringify(job)).toString('base64url')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  return new Promise((resolve, reject) => {
    // Server and whole-machine CPU over the measured window, from /proc (Linux; null elsewhere).
    let cpuStart = null;
    let serverCpu = null;
    let machineBusy = null;
    gen.on('message', (m) => {
      if (m.type === 'measure-start') cpuStart = { ticks: procCpuTicks(pid), machine: machineBusyTicks(), t: process.hrtime.bigint() };
      else if (m.type === 'measure-end' && cpuStart) {
        const ticks = procCpuTicks(pid);
        const machine = machineBusyTicks();
        const secs = Number(process.hrtime.bigint() - cpuStart.t) / 1e9;
        if (ticks != null && cpuStart.ticks != null) serverCpu = (ticks - cpuStart.ticks) / CLK_TCK / secs;
        if (machine != null && cpuStart.machine != null) machineBusy = (machine - cpuStart.machine) / CLK_TCK / secs;
      } else if (m.type === 'result') {
        const r = m.result;
        const other = machineBusy != null && serverCpu != null ? Math.max(0, machineBusy - serverCpu - r.client_cpu_util) : null;
        resolve({
          ...r,
          server_cpu_util: serverCpu,
          server_cpu_us_per_request: serverCpu != null && r.requests ? (serverCpu * r.seconds * 1e6) / r.requests : null,
          other_cpu_util: other,
        });
      }
    });
    gen.once('exit', (code) => reject(new Error(`load generator exited with ${code} before reporting`)));
  });
}

/** Accounts the workers section loads, half held by each of two workers. */
const WORKER_ACCOUNTS = 8;

/**
 * PaymentIntent create+confirm on WORKER_ACCOUNTS accounts (connection w sends
 * key w mod 8, so each account has requests in flight) against one process and
 * against two workers (threads, then processes), alternating for
 * BENCH_WORKER_ROUNDS rounds; each setup keeps its best round.
 */
async function workersRun(run, track, log) {
  // The keys are picked so each worker holds half: a key's worker is a pure function of the seed and the key (docs/scaling.md).
  const { placeOf, routeOfKey } = createRequire(import.meta.url)(path.join(ROOT, 'dist/engine/routes.js'));
  const keys = [];
  const held = [0, 0];
  for (let i = 0; keys.length < WORKER_ACCOUNTS; i++) {
    const key = `sk_test_bench_account_${i}`;
    const place = placeOf(routeOfKey('1', key), 2);
    if (held[place] < WORKER_ACCOUNTS / 2) (keys.push(key), held[place]++);
  }
  const setups = [
    { name: 'one_process', label: 'serve', args: [], env: {} },
    { name: 'two_threads', label: 'serve --workers 2', args: ['--workers', '2'], env: {} },
    { name: 'two_processes', label: 'serve --workers 2 (processes)', args: ['--workers', '2'], env: { STRIPE_TWIN_WORKER_KIND: 'process' } },
  ];
  const rounds = Math.max(1, Math.round(num('BENCH_WORKER_ROUNDS', 2)));
  const best = {};
  for (let round = 1; round <= rounds; round++) {
    for (const setup of setups) {
      const started = await startTwin(track, ROOT, setup.args, setup.env);
      log(`workers (round ${round}): ${setup.label}, POST /v1/payment_intents (create+confirm) on ${keys.length} accounts (ready in ${Math.round(started.startupMs)} ms)`);
      const r = await run({ host: '127.0.0.1', port: started.port, pid: started.child.pid }, { method: 'POST', paths: ['/v1/payment_intents'], body: CREATE_CONFIRM_BODY, keys });
      await stop(started.child);
      if (!best[setup.name] || r.rps > best[setup.name].rps) best[setup.name] = { ...r, startup_ms: started.startupMs };
    }
  }
  const one = best.one_process.rps;
  return {
    accounts: keys.length,
    accounts_per_worker: held,
    rounds,
    cpus: os.cpus().length,
    loadavg_at_end: os.loadavg(),
    ...best,
    two_threads_over_one: best.two_threads.rps / one,
    two_processes_over_one: best.two_processes.rps / one,
  };
}

function verifyCorpus() {
  const report = path.join(os.tmpdir(), `stripe-twin-bench-verify-${process.pid}`);
  const startedAt = performance.now();
  let gate_passed = true;
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'verify', '--report', report], { cwd: ROOT, stdio: 'ignore' });
  } catch (e) {
    if (e.status !== 1) throw e; // 1 is undeclared drift: still a timing
    gate_passed = false;
  }
  const wall_seconds = (performance.now() - startedAt) / 1000;
  const r = JSON.parse(readFileSync(path.join(report, 'report.json'), 'utf8'));
  const sequences = r.sequences.length;
  const interactions = r.groups.reduce((n, g) => n + g.interactions, 0);
  return { sequences, interactions, gate_passed, wall_seconds, engine_seconds: r.wallSeconds, sequences_per_s: sequences / wall_seconds, target_met: wall_seconds < VERIFY_TARGET_SECONDS };
}

async function replayRun(calls, track) {
  const child = track(fork(SELF, ['--replay', String(calls)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  return nextMessage(child, 'result');
}

async function memoryRun(mode, n, track) {
  const child = track(fork(SELF, ['--memory', mode, String(n)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const result = await nextMessage(child, 'result');
  result.scaled_to_100k = n !== 100_000;
  return result;
}

// Billing, in a fresh process through the in-process request pipeline (no
// sockets): the test-clock year and the subscription create ratio.

async function billingBench(subs, calls) {
  const require = createRequire(import.meta.url);
  const { createTwin } = require(path.join(ROOT, 'dist'));
  const { handleRequest } = require(path.join(ROOT, 'dist/server/pipeline'));
  const engine = createTwin({ seed: 'bench-billing' }).engine;
  let seq = 0;
  const call = async (key, method, url, form = '') => {
    const res = await handleRequest(engine, {
      method,
      url,
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': method === 'POST' ? `bench-billing-${seq++}` : undefined },
      readBody: async () => Buffer.from(form),
    });
    if (res.status !== 200) throw new Error(`${method} ${url} answered ${res.status}: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body);
  };
  const DAY = 86400;

  // A year on a test clock: `subs` customers on one clock, each with a card and a monthly subscription.
  const yearKey = 'sk_test_bench_year';
  const start = 1767225600;
  const clock = await call(yearKey, 'POST', '/v1/test_helpers/test_clocks', `frozen_time=${start}`);
  const price = await call(yearKey, 'POST', '/v1/prices', 'unit_amount=1500&currency=usd&recurring[interval]=month&product_data[name]=Bench');
  const setupStarted = process.hrtime.bigint();
  for (let i = 0; i < subs; i++) {
    const customer = await call(yearKey, 'POST', '/v1/customers', `test_clock=${clock.id}&payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa`);
    await call(yearKey, 'POST', '/v1/subscriptions', `customer=${customer.id}&items[0][price]=${price.id}`);
  }
  const setupSeconds = Number(process.hrtime.bigint() - setupStarted) / 1e9;
  const t0 = process.hrtime.bigint();
  await call(yearKey, 'POST', `/v1/test_helpers/test_clocks/${clock.id}/advance`, `frozen_time=${start + 365 * DAY + 2 * 3600}`);
  const advanceSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const world = engine.world(yearKey);
  const invoices = world.count('invoice');
  const paid = world.idsOf('invoice').filter((id) => world.get(id).status === 'paid').length;
  const events = world.count('event');

  // Subscription create (first invoice finalized and paid) vs PaymentIntent create+confirm, alternating rounds.
  const ratioKey = 'sk_test_bench_ratio';
  const ratioPrice = await call(ratioKey, 'POST', '/v1/prices', 'unit_amount=1500&currency=usd&recurring[interval]=month&product_data[name]=Bench');
  const customers = [];
  for (let i = 0; i < calls * 3; i++) customers.push((await call(ratioKey, 'POST', '/v1/customers', 'payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa')).id);
  const perSecond = async (fn) => {
    const s0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await fn(i);
    return calls / (Number(process.hrtime.bigint() - s0) / 1e9);
  };
  let used = 0;
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    const pi = await perSecond(() => call(ratioKey, 'POST', '/v1/payment_intents', CREATE_CONFIRM_BODY));
    const sub = await perSecond(() => call(ratioKey, 'POST', '/v1/subscriptions', `customer=${customers[used++]}&items[0][price]=${ratioPrice.id}`));
    rounds.push({ payment_intents_per_s: pi, subscriptions_per_s: sub, ratio: sub / pi });
  }
  const bestRound = rounds.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  process.send({
    type: 'result',
    result: {
      test_clock_year: {
        subscriptions: subs,
        setup_seconds: setupSeconds,
        advance_seconds: advanceSeconds,
        target_seconds: 2,
        target_met: advanceSeconds < 2,
        invoices,
        invoices_paid: paid,
        events,
      },
      subscription_create: { calls_per_round: calls, rounds, best: bestRound },
    },
  });
  process.disconnect();
}

// Webhook deliveries/s: a fresh `serve --seed 1`, one endpoint (`*`) pointing
// at a bare node:http receiver (its own child, answering 200 "ok"), `events`
// customers.create from 16 keep-alive connections. Timed from the first API call
// to the receiver's last delivery; the twin's delivery log is checked after.

function webhookReceiver() {
  let count = 0;
  let expect = Infinity;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
      res.end('ok');
      if (++count === expect) process.send({ type: 'done', count });
    });
  });
  server.keepAliveTimeout = 30_000;
  process.on('message', (m) => {
    if (m.type !== 'expect') return;
    expect = m.count;
    if (count >= expect) process.send({ type: 'done', count });
  });
  server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
}

async function webhookRun(events, track) {
  const rx = track(fork(SELF, ['--webhook-receiver'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const { port: rxPort } = await nextMessage(rx, 'listening');
  const { port, child: srv } = await startTwin(track);
  try {
    await apiCall(port, 'POST', '/v1/webhook_endpoints', `url=${encodeURIComponent(`http://127.0.0.1:${rxPort}/webhook`)}&enabled_events[0]=*`);
    const done = nextMessage(rx, 'done');
    rx.send({ type: 'expect', count: events });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < events) {
          next++;
          await apiCall(port, 'POST', '/v1/customers', 'email=bench%40example.com', agent);
        }
      }),
    );
    const apiSeconds = (performance.now() - t0) / 1000;
    await done;
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const log = await apiCall(port, 'POST', '/__admin__/webhooks/drain');
    return {
      events,
      seconds,
      deliveries_per_s: events / seconds,
      api_seconds: apiSeconds,
      lag_after_last_api_call_ms: (seconds - apiSeconds) * 1000,
      delivery_log: log,
    };
  } finally {
    await stop(srv);
    await stop(rx);
  }
}

// --- helpers ---

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads) and of its live child processes, in clock ticks (Linux), or null. */
function procCpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]);
    for (const child of childPids(pid)) ticks += procCpuTicks(child) ?? 0;
    return ticks;
  } catch {
    return null;
  }
}

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Busy clock ticks of the whole machine, all CPUs (Linux), or null. */
function machineBusyTicks() {
  try {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const v = f.map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
    return total - v[3] - v[4]; // minus idle and iowait
  } catch {
    return null;
  }
}

/**
 * Snapshot save and restore of a world of `objects` objects (customers, half of
 * them with a PaymentIntent and its event), through the in-process control
 * surface: what the jest helpers do before each test file.
 */
async function snapshotBench(objects, restores) {
  const require = createRequire(import.meta.url);
  const { createTwin } = require(path.join(ROOT, 'dist'));
  const { TwinControl } = require(path.join(ROOT, 'dist/control/client'));
  const twin = createTwin({ seed: 'bench-snapshot' });
  const key = 'sk_test_snapshot_bench';
  const stripe = twin.stripe(key);
  const world = twin.engine.world(key);
  let n = 0;
  while (countObjects(world) < objects) {
    const customer = await stripe.customers.create({ email: `c${n}@example.com` });
    if (n++ % 2 === 0) await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id });
    if (countObjects(world) >= objects) break;
  }
  const control = new TwinControl({ twin, key });
  const t0 = performance.now();
  const saved = await control.snapshots.save('bench');
  const saveMs = performance.now() - t0;
  const times = [];
  for (let i = 0; i < restores; i++) {
    const t = performance.now();
    await control.snapshots.restore('bench');
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const t1 = performance.now();
  const file = JSON.stringify(await control.exportWorld());
  await new TwinControl({ twin, key: 'sk_test_snapshot_copy' }).importWorld(JSON.parse(file));
  const exportImportMs = performance.now() - t1;
  process.send({ type: 'result', result: { objects: saved.objects, save_ms: saveMs, restore_ms_p50: times[Math.floor(times.length / 2)], restore_ms_max: times[times.length - 1], restores, export_import_ms: exportImportMs, file_bytes: file.length } });
  process.exit(0);
}

function countObjects(world) {
  return ['customer', 'payment_intent', 'event'].reduce((sum, type) => sum + world.count(type), 0);
}

/** `node dist/cli.js serve --port <free> --seed 1 [args]`, once it says it is listening: its port, process and start-up time. */
async function startTwin(track, root = ROOT, args = [], env = {}) {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = track(
    spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', '--port', String(port), '--seed', '1', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    }),
  );
  await waitForOutput(child, /listening on/, 60_000);
  const startupMs = performance.now() - spawnedAt;
  child.stdout.resume();
  return { port, child, startupMs };
}

/** The child's next IPC message of `type` (its `result`, if any); rejects if the child exits first. */
function nextMessage(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m.result ?? m);
    };
    const onExit = (code) => reject(new Error(`child (${child.spawnargs.filter((a) => a !== process.execPath && a !== SELF).join(' ')}) exited with ${code} before sending "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function waitForOutput(child, pattern, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`twin did not start within ${timeoutMs} ms; output: ${seen}`)), timeoutMs);
    const onData = (d) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`twin exited with ${code}; output: ${seen}`)));
  });
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One API call with the bench key; `target` is a port on 127.0.0.1 or { host, port }. Resolves with the parsed 200 body. */
function apiCall(target, method, p, body, agent) {
  const { host, port } = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${KEY}` };
    if (body) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) });
    const req = http.request({ host, port, method, path: p, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(Object.assign(new Error(`${method} ${p} answered ${res.statusCode}: ${text.slice(0, 300)}`), { status: res.statusCode }));
        resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function gitCommit(root = ROOT) {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) => r.map((c, i) => (align[i] === 'l' ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function printTables(r) {
  const f = (v, d = 1) => (v == null ? '-' : v.toFixed(d));
  const int = (v) => (v == null ? '-' : Math.round(v).toLocaleString('en-US'));
  const pctu = (v) => (v == null ? '-' : `${Math.round(v * 100)}%`);
  const times = (v) => (v == null || !Number.isFinite(v) ? '-' : v >= 10 ? `${Math.round(v).toLocaleString('en-US')}×` : `${v.toFixed(2)}×`);
  const ms = (v) => (v == null ? '-' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3));
  const out = [
    '',
    `stripe-twin bench — node ${r.environment.node}, ${r.environment.cpus} CPUs` +
      (r.baseline ? `, ${r.settings.connections} keep-alive connections, ${r.settings.warmup_seconds}s warm-up + ${r.settings.seconds}s per scenario, loopback` : ''),
  ];
  const targets = [];
  const notes = [];

  if (r.baseline) {
    const scenarios = [
      ['create_confirm', 'POST create+confirm PaymentIntent'],
      ['create_customer', 'POST create customer'],
      ['retrieve', 'GET retrieve PaymentIntent'],
      ['list', 'GET list PaymentIntents limit=10'],
    ];
    const rows = [['baseline (bare node:http, 1.5 KB JSON)', r.baseline, null], ...scenarios.map(([k, label]) => [`twin ${label}`, r.twin[k], k])].map(([name, x, key]) => {
      const ratio = key ? x.ratio_to_baseline : 1;
      const target = key && TARGETS[key] !== undefined ? `≥ ${Math.round(TARGETS[key] * 100)}%` : '-';
      const verdict = key && TARGETS[key] !== undefined ? (x.target_met ? 'MET' : 'MISSED') : '';
      const norm = key ? x.cpu_normalised_ratio : 1;
      return [
        name, int(x.rps), f(x.p50_ms, 2), f(x.p99_ms, 2), pctu(ratio), target, verdict, int(x.errors),
        pctu(x.server_cpu_util), int(x.server_cpu_us_per_request), pctu(norm), pctu(x.client_cpu_util), pctu(x.other_cpu_util),
      ];
    });
    out.push(
      '',
      table(
        ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'vs baseline', 'target', 'result', 'errors', 'server CPU', 'server µs/req', 'CPU-norm', 'client CPU', 'other CPU'],
        rows,
        ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      'server CPU / client CPU / other CPU: share of one core used by the server, the load generator and the rest of the machine',
      'in the measured window; server µs/req: server CPU time per request; CPU-norm: baseline µs/req ÷ scenario µs/req, the',
      'ratio the two servers would show if each were CPU-bound (targets are judged on the req/s ratio).',
      '',
      `list ran with ~${r.twin.list.stored_pis.toLocaleString('en-US')} PIs stored; response sizes: baseline ${r.baseline.mean_response_bytes} B, ` +
        `create+confirm ${r.twin.create_confirm.mean_response_bytes} B, customer ${r.twin.create_customer.mean_response_bytes} B, ` +
        `retrieve ${r.twin.retrieve.mean_response_bytes} B, list ${r.twin.list.mean_response_bytes} B`,
    );

    // Side by side with stripe-mock, next to the floor.
    const sm = r.stripe_mock;
    const b = r.baseline;
    out.push(
      '',
      `Twin vs stripe-mock, same scenarios and load generator in this run; floor = bare node:http: ${int(b.rps)} req/s, p50 ${f(b.p50_ms, 2)} ms, p99 ${f(b.p99_ms, 2)} ms`,
    );
    const smRows = scenarios.map(([k, label]) => {
      const t = r.twin[k];
      const m = sm.run ? sm.scenarios[k] : null;
      return [
        label,
        int(t.rps), f(t.p50_ms, 2), f(t.p99_ms, 2),
        m ? int(m.rps) : 'not run', m ? f(m.p50_ms, 2) : '-', m ? f(m.p99_ms, 2) : '-',
        m ? times(t.ratio_to_stripe_mock) : '-',
        pctu(t.ratio_to_baseline), m ? pctu(m.ratio_to_baseline) : '-',
        int(t.server_cpu_us_per_request), m ? int(m.server_cpu_us_per_request) : '-',
        int(t.mean_response_bytes), m ? int(m.mean_response_bytes) : '-',
      ];
    });
    out.push(
      table(
        ['scenario', 'twin req/s', 'p50 ms', 'p99 ms', 'stripe-mock req/s', 'p50 ms', 'p99 ms', 'twin/stripe-mock', 'twin vs floor', 'mock vs floor', 'twin µs/req', 'mock µs/req', 'twin B', 'mock B'],
        smRows,
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    if (sm.run) {
      out.push(
        `stripe-mock${sm.version ? ` (${sm.version.replace(/^stripe-mock\s*/, 'version ')})` : ''}${sm.url ? ` at ${sm.url}` : ''}: stateless (answers from fixtures after validating parameters), so compare speed, not behaviour;` +
          ` µs/req = server CPU per request${sm.url ? ' (not measured for STRIPE_MOCK_URL)' : ''}; B = mean response bytes (its list holds 1 fixture, the twin's 10 PIs).`,
      );
      for (const [k, x] of Object.entries(sm.scenarios)) {
        if (x.errors) notes.push(`  warning: stripe-mock ${k} had ${x.errors} failed requests (${JSON.stringify(x.error_statuses)}); first: ${x.first_error}`);
        if (x.other_cpu_util > 0.2) notes.push(`  warning: other processes used ${pctu(x.other_cpu_util)} of a core during stripe-mock ${k}: figures are noisy.`);
      }
    } else {
      out.push(`stripe-mock: not run — ${sm.reason.replace(/^not configured: /, '')}`);
    }
    if (r.before) {
      const bs = r.before.scenarios;
      out.push('', `This build (${r.git_commit ?? 'working tree'}) vs before (${r.before.git_commit ?? r.before.checkout}), alternating, best of ${r.before.rounds} rounds each, same load generator:`);
      out.push(
        table(
          ['scenario', 'this req/s', 'before req/s', 'this/before', 'this/stripe-mock', 'before/stripe-mock', 'this p99 ms', 'before p99 ms'],
          scenarios.map(([k, label]) => [
            label, int(r.twin[k].rps), int(bs[k].rps), times(r.twin[k].ratio_to_before),
            times(r.twin[k].ratio_to_stripe_mock), times(bs[k].ratio_to_stripe_mock), f(r.twin[k].p99_ms, 2), f(bs[k].p99_ms, 2),
          ]),
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      );
    }
    targets.push(
      `  serve ready (spawn → "listening on") < 1000 ms: ${Math.round(r.serve_startup_ms)} ms — ${r.serve_startup_ms < 1000 ? 'MET' : 'MISSED'}`,
      `  create+confirm ≥ 40% of baseline: ${pctu(r.targets.create_confirm.actual)} — ${r.targets.create_confirm.met ? 'MET' : 'MISSED'}`,
      `  retrieve       ≥ 70% of baseline: ${pctu(r.targets.retrieve.actual)} — ${r.targets.retrieve.met ? 'MET' : 'MISSED'}`,
    );
    if (b.client_cpu_util != null && b.server_cpu_util != null && b.client_cpu_util > 0.9 && b.server_cpu_util < 0.9) {
      notes.push(
        `  note: the baseline is client-bound (load generator ${pctu(b.client_cpu_util)} of a core, bare server ${pctu(b.server_cpu_util)}):` +
          " its req/s is the node:http client's ceiling, so req/s ratios flatter the twin; see CPU-norm.",
      );
    }
    for (const [name, x] of Object.entries({ baseline: r.baseline, ...r.twin })) {
      if (x.other_cpu_util > 0.2) notes.push(`  warning: other processes used ${pctu(x.other_cpu_util)} of a core during ${name}: figures are noisy; rerun on an idle machine.`);
      if (x.errors) notes.push(`  warning: ${name} had ${x.errors} failed requests (${JSON.stringify(x.error_statuses)}); first: ${x.first_error}`);
    }
  }

  if (r.memory) {
    const m = r.memory;
    const memRows = [
      ['create', m.create],
      ['create+confirm', m.create_confirm],
    ]
      .map(([name, x]) => [`${name} (${x.pis.toLocaleString('en-US')} PIs${x.scaled_to_100k ? ', scaled' : ''})`, x])
      .map(([name, x]) => [name, f(x.mb_per_100k, 1), int(x.bytes_per_pi), int(x.idempotency_bytes_per_pi), int(x.in_process_creates_per_s)]);
    out.push(
      '',
      'Memory (heap growth after gc, per 100k stored PaymentIntents)',
      table(['workload', 'MB / 100k PIs', 'bytes / PI', 'of which idempotency cache', 'in-process creates/s'], memRows, ['l', 'r', 'r', 'r', 'r']),
    );
  }

  if (r.scale) {
    const [small, big] = r.scale.sizes;
    const k = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : n.toLocaleString('en-US'));
    const S = k(small.customers);
    const B = k(big.customers);
    const rows = Object.entries(big.queries).map(([q, x]) => {
      const y = small.queries[q];
      const ratio = r.scale.ratios[q];
      const ok = x.correct && y.correct ? '' : ` (returned ${y.returned}/${x.returned}, expected ${x.expected})`;
      return [x.label + ok, ms(y.p50_ms), ms(y.p99_ms), ms(x.p50_ms), ms(x.p99_ms), times(ratio.p50), times(ratio.p99), `${y.calls}/${x.calls}`];
    });
    out.push(
      '',
      `Costs at scale (fresh node --max-old-space-size=${r.scale.max_old_space_mb}): a world of ${small.customers.toLocaleString('en-US')} and one of ` +
        `${big.customers.toLocaleString('en-US')} customers (distinct emails and metadata), plus 1 confirmed PaymentIntent per ${r.scale.pi_every} customers;`,
      `reads through the in-process pipeline (no sockets), each cycling over ${SCALE_TARGETS} targets spread over the world; calls = timed calls at each size`,
      `(${big.stored_objects.toLocaleString('en-US')} stored objects in the big world: ${Object.entries(big.counts).map(([t, n]) => `${n.toLocaleString('en-US')} ${t}`).join(', ')})`,
      table(
        ['query (latency, ms)', `${S} p50`, `${S} p99`, `${B} p50`, `${B} p99`, `${B}/${S} p50`, `${B}/${S} p99`, 'calls'],
        rows,
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      `heap per stored object (${B} world, growth after gc): ${int(big.heap.bytes_per_customer)} B per customer (with its customer.created event); ` +
        `${int(big.heap.bytes_per_confirmed_pi)} B per confirmed PaymentIntent (with its payment method, charge, balance transaction and ` +
        `${f((big.counts.event - big.customers - 1) / big.payment_intents, 0)} events); ${f(big.heap.after_all_mb, 0)} MB heap, ${f(big.heap.rss_mb, 0)} MB RSS`,
      `build of the ${B} world through the endpoints' handlers: ${int(big.build.customers_per_s)} customers/s (${f(big.build.customer_seconds, 1)} s), ` +
        `${int(big.build.pis_per_s)} confirmed PaymentIntents/s (${f(big.build.pi_seconds, 1)} s)`,
    );
    for (const w of [small, big]) {
      for (const [q, x] of Object.entries(w.queries)) {
        if (!x.correct) notes.push(`  warning: scale ${k(w.customers)} ${q} returned ${x.returned} objects, expected ${x.expected}: a filter is wrong`);
      }
    }
  }

  if (r.replay) {
    out.push(
      '',
      `Replay transport (stripe-twin/replay), µs per SDK call: ${r.replay.calls.toLocaleString('en-US')} customers.retrieve per transport, ` +
        `median of ${r.replay.rounds} rounds, no sockets`,
      table(
        ['transport', 'µs / call', 'transport µs (minus stub)'],
        [
          ['replay (capture of the same calls)', f(r.replay.us_per_call.replay, 1), f(r.replay.replay_transport_us, 1)],
          ['in-process twin', f(r.replay.us_per_call.in_process, 1), f(r.replay.in_process_transport_us, 1)],
          ['stub httpClient (SDK alone)', f(r.replay.us_per_call.stub, 1), '-'],
        ],
        ['l', 'r', 'r'],
      ),
      `replay − in-process: ${f(r.replay.replay_overhead_vs_in_process_us, 1)} µs per call`,
    );
    targets.push(`  replay < ${REPLAY_TARGET_US} µs per SDK call: ${f(r.replay.us_per_call.replay, 1)} µs — ${r.replay.target_met ? 'MET' : 'MISSED'}`);
  }

  if (r.verify) {
    out.push(
      '',
      `Fidelity gate (stripe-twin verify, whole corpus): ${r.verify.sequences} sequences, ${r.verify.interactions} interactions in ` +
        `${f(r.verify.wall_seconds, 2)} s wall (${f(r.verify.engine_seconds, 2)} s replaying), ${f(r.verify.sequences_per_s, 0)} sequences/s`,
    );
    targets.push(`  verify of the whole corpus < ${VERIFY_TARGET_SECONDS} s: ${f(r.verify.wall_seconds, 2)} s — ${r.verify.target_met ? 'MET' : 'MISSED'}`);
  }

  if (r.webhooks) {
    out.push(
      '',
      'Webhook deliveries to a local receiver (serve, one endpoint, bare node:http receiver answering 200)',
      table(
        ['events', 'deliveries/s', 'wall s', 'API calls s', 'last delivery after last API answer', 'delivery log'],
        [[int(r.webhooks.events), int(r.webhooks.deliveries_per_s), f(r.webhooks.seconds, 2), f(r.webhooks.api_seconds, 2),
          `${int(r.webhooks.lag_after_last_api_call_ms)} ms`, `${r.webhooks.delivery_log.succeeded} succeeded, ${r.webhooks.delivery_log.pending} pending, ${r.webhooks.delivery_log.failed} failed`]],
        ['r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  }

  if (r.billing) {
    const y = r.billing.test_clock_year;
    const c = r.billing.subscription_create;
    out.push(
      '',
      'Billing (in-process pipeline, fresh process)',
      table(
        ['test clock advanced one year', 'setup s', 'advance s', 'invoices (paid)', 'events', 'subscription creates/s', 'PaymentIntent create+confirm/s', 'ratio (best of 3)'],
        [[`${int(y.subscriptions)} monthly subscriptions`, f(y.setup_seconds, 2), f(y.advance_seconds, 2), `${int(y.invoices)} (${int(y.invoices_paid)})`, int(y.events),
          int(c.best.subscriptions_per_s), int(c.best.payment_intents_per_s), times(c.best.ratio)]],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    targets.push(`  a year on a test clock with ${int(y.subscriptions)} subscriptions < ${y.target_seconds} s: ${f(y.advance_seconds, 2)} s — ${y.target_met ? 'MET' : 'MISSED'}`);
  }

  if (r.workers) {
    const w = r.workers;
    const row = (label, x, ratio) => [label, int(x.rps), ms(x.p50_ms), ms(x.p99_ms), pctu(x.server_cpu_util), int(x.server_cpu_us_per_request), pctu(x.client_cpu_util), pctu(x.other_cpu_util), ratio == null ? '1.00×' : times(ratio), int(x.startup_ms)];
    out.push(
      '',
      `serve --workers 2 vs one process: PaymentIntent create+confirm on ${w.accounts} accounts (${w.accounts_per_worker.join(' + ')} per worker), best of ${w.rounds} alternating rounds, ${w.cpus} CPUs shared with the load generator`,
      table(
        ['server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU', 'server CPU µs/req', 'client CPU', 'other CPU', 'over one process', 'ready in ms'],
        [row('serve', w.one_process, null), row('serve --workers 2 (threads)', w.two_threads, w.two_threads_over_one), row('serve --workers 2 (processes)', w.two_processes, w.two_processes_over_one)],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    if (w.one_process.other_cpu_util > 0.2) notes.push(`(workers: other processes used ${pctu(w.one_process.other_cpu_util)} of the CPUs while it ran: the ratios are of a loaded machine)`);
  }
  if (r.durable) {
    const d = r.durable;
    const s = d.snapshot;
    out.push(
      '',
      'Durable worlds (serve --seed 1, PaymentIntent create+confirm; snapshot through the in-process control surface)',
      table(
        ['in memory req/s', '--data req/s', 'ratio (best of rounds)', `snapshot save ms (${int(s.objects)} objects)`, 'restore ms p50', 'restore ms max', 'export+import ms'],
        [[int(d.memory.rps), int(d.data.rps), f(d.ratio, 2), ms(s.save_ms), ms(s.restore_ms_p50), ms(s.restore_ms_max), ms(s.export_import_ms)]],
        ['r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    targets.push(`  PaymentIntent throughput with --data ≥ 0.8 of in memory: ${f(d.ratio, 2)} — ${d.target_met ? 'MET' : 'MISSED'}`);
  }

  const skipped = SECTIONS.filter((x) => !r.settings.sections.includes(x));
  if (skipped.length) out.push('', `Not run (BENCH_ONLY): ${skipped.join(', ')}`);
  if (targets.length) out.push('', 'Targets:', ...targets);
  out.push(...notes);
  out.push(`(results: .bench/results.json; ${r.wall_seconds.toFixed(0)} s wall)`, '');
  process.stdout.write(out.join('\n'));
}

// ---------------------------------------------------------------------------
// Roles: the same file is the orchestrator and each of its children (dispatched
// last, so every module-level constant above is initialised).

const role = process.argv[2];
if (role === '--loadgen') await loadgen(JSON.parse(Buffer.from(process.argv[3], 'base64url').toString('utf8')));
else if (role === '--baseline-server') await baselineServer();
else if (role === '--memory') await memory(process.argv[3], Number(process.argv[4]));
else if (role === '--replay') await replayBench(Number(process.argv[3]));
else if (role === '--billing') await billingBench(Number(process.argv[3]), Number(process.argv[4]));
else if (role === '--webhook-receiver') webhookReceiver();
else if (role === '--scale') await scaleBench(JSON.parse(process.argv[3]));
else if (role === '--snapshot') await snapshotBench(Number(process.argv[3]), Number(process.argv[4]));
else await main();
