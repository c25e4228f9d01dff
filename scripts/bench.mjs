#!/usr/bin/env node
// stripe-twin benchmark: `npm run bench` (node scripts/bench.mjs).
//
// One run on loopback reports:
//   1. a baseline: a bare node:http server answering every request with a fixed
//      ~1.5 KB JSON body (the size of a rendered PaymentIntent);
//   2. the twin over HTTP (`node dist/cli.js serve --seed 1` in a child):
//      PaymentIntent create+confirm, retrieve and list, as requests/s, p50/p99
//      latency and the ratio to the baseline's requests/s, beside the targets;
//   3. heap growth per 100k stored PaymentIntents, measured in a fresh
//      `node --expose-gc` process through the in-process request pipeline;
//   4. the replay transport (`stripe-twin/replay`) per SDK call against the
//      in-process twin: the same customers.retrieve calls through stripe-node,
//      served by a replay of their recording, by the twin in-process, and by a
//      stub httpClient answering a fixed body (the SDK's own cost), in a fresh process;
//   5. webhook deliveries/s from a fresh `serve` to a bare node:http receiver, end to end.
// Results go to .bench/results.json; the readable table is printed last.
// Targets are reported, not asserted: the exit status is 0 whether or not they are met.
//
// Both servers run in their own child process and are driven by the same load
// generator (node:http with a keep-alive Agent), itself a separate child, so the
// client's CPU is not counted against either server.
//
// Environment:
//   BENCH_SECONDS      measured seconds per scenario          (default 3)
//   BENCH_WARMUP       warm-up seconds before each scenario   (default 0.5)
//   BENCH_CONNECTIONS  concurrent keep-alive connections      (default 32)
//   BENCH_MEM_PIS      PIs created for the memory figure      (default 100000)
//   BENCH_MEM_CONFIRM_PIS  confirmed PIs for the memory figure (default 20000, scaled to 100k)
//   BENCH_REPLAY_CALLS customers.retrieve calls per transport and round (default 2000)
//   BENCH_WEBHOOK_EVENTS events delivered to a local receiver (default 5000)
//   BENCH_SKIP_BUILD=1 use dist/ as it is instead of running `npm run build` first

import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');

const KEY = 'sk_test_bench';
const CREATE_CONFIRM_BODY = 'amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true&payment_method_types[0]=card';
const CREATE_BODY = 'amount=2000&currency=usd&payment_method_types[0]=card';
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

async function loadgen({ port, method, paths, body, connections, warmupMs, durationMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, keepAliveMsecs: 30_000 });
  const bodyBuf = body ? Buffer.from(body) : null;
  const baseHeaders = { Authorization: `Bearer ${KEY}` };
  if (bodyBuf) Object.assign(baseHeaders, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': bodyBuf.length });

  let phase = 'warmup';
  const latencies = [];
  let ok = 0;
  let failed = 0;
  let total = 0;
  let bytes = 0;
  const statuses = {};
  let firstError = null;

  const once = (p) =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: baseHeaders }, (res) => {
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
      const r = await once(p);
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
// Orchestrator.

async function main() {
  const seconds = num('BENCH_SECONDS', 3);
  const warmup = num('BENCH_WARMUP', 0.5);
  const connections = Math.round(num('BENCH_CONNECTIONS', 32));
  const memPis = Math.round(num('BENCH_MEM_PIS', 100_000));
  const memConfirmPis = Math.round(num('BENCH_MEM_CONFIRM_PIS', 20_000));
  const replayCalls = Math.round(num('BENCH_REPLAY_CALLS', 2000));
  const webhookEvents = Math.round(num('BENCH_WEBHOOK_EVENTS', 5000));
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

  const run = (port, pid, scenario) =>
    runLoad({ port, pid, connections, warmupMs: warmup * 1000, durationMs: seconds * 1000, ...scenario }, track);

  // 1. Baseline.
  log(`baseline: bare node:http, ${connections} connections, ${warmup}s warm-up + ${seconds}s`);
  const baseSrv = track(fork(SELF, ['--baseline-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const baseInfo = await nextMessage(baseSrv, 'listening');
  const baseline = { ...(await run(baseInfo.port, baseSrv.pid, { method: 'GET', paths: ['/v1/payment_intents/pi_x'] })), body_bytes: baseInfo.bodyBytes };
  await stop(baseSrv);

  // 2. The twin over HTTP.
  const { port: twinPort, child: twinSrv, startupMs } = await startTwin(track);
  log(`twin: node dist/cli.js serve --port ${twinPort} --seed 1 (ready in ${Math.round(startupMs)} ms)`);

  const twin = {};
  log('twin: POST /v1/payment_intents (create+confirm)');
  twin.create_confirm = await run(twinPort, twinSrv.pid, { method: 'POST', paths: ['/v1/payment_intents'], body: CREATE_CONFIRM_BODY });

  const ids = [];
  for (let i = 0; i < 16; i++) {
    const pi = await apiCall(twinPort, 'POST', '/v1/payment_intents', CREATE_CONFIRM_BODY);
    ids.push(pi.id);
  }
  log(`twin: GET /v1/payment_intents/:id (${ids.length} PIs round-robin)`);
  twin.retrieve = await run(twinPort, twinSrv.pid, { method: 'GET', paths: ids.map((id) => `/v1/payment_intents/${id}`) });

  const stored = twin.create_confirm.completed_including_warmup - twin.create_confirm.errors + ids.length;
  log(`twin: GET /v1/payment_intents?limit=10 (~${stored} PIs stored)`);
  twin.list = await run(twinPort, twinSrv.pid, { method: 'GET', paths: ['/v1/payment_intents?limit=10'] });
  twin.list.stored_pis = stored;
  await stop(twinSrv);

  for (const [name, r] of Object.entries(twin)) {
    r.ratio_to_baseline = r.rps / baseline.rps;
    // Throughput ratio if both servers ran CPU-bound: independent of a client-bound baseline.
    r.cpu_normalised_ratio =
      r.server_cpu_us_per_request && baseline.server_cpu_us_per_request ? baseline.server_cpu_us_per_request / r.server_cpu_us_per_request : null;
    if (TARGETS[name] !== undefined) {
      r.target_ratio = TARGETS[name];
      r.target_met = r.ratio_to_baseline >= TARGETS[name];
    }
  }

  // 3. Memory, each mode in a fresh process.
  log(`memory: ${memPis} PIs created in-process (fresh node --expose-gc)`);
  const memCreate = await memoryRun('create', memPis, track);
  log(`memory: ${memConfirmPis} PIs created+confirmed in-process (fresh node --expose-gc)`);
  const memConfirm = await memoryRun('confirm', memConfirmPis, track);

  // 4. Replay transport vs the in-process twin, in a fresh process.
  log(`replay: ${replayCalls} customers.retrieve per transport and round (replay, in-process twin, stub), fresh process`);
  const replay = await replayRun(replayCalls, track);

  // 5. The fidelity gate over the whole committed corpus, as CI runs it (process start included).
  log('verify: node dist/cli.js verify over captures/ (fresh process)');
  const verifyRun = verifyCorpus();

  // 6. Webhook deliveries to a bare local receiver, end to end through serve.
  log(`webhooks: ${webhookEvents} customers.create on serve, each event delivered to a bare node:http receiver`);
  const webhooks = await webhookRun(webhookEvents, track);

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
    settings: { seconds, warmup_seconds: warmup, connections, transport: 'loopback, node:http keep-alive Agent in a child process' },
    baseline,
    twin,
    targets: {
      create_confirm: { ratio: TARGETS.create_confirm, actual: twin.create_confirm.ratio_to_baseline, met: twin.create_confirm.target_met },
      retrieve: { ratio: TARGETS.retrieve, actual: twin.retrieve.ratio_to_baseline, met: twin.retrieve.target_met },
    },
    memory: { create: memCreate, create_confirm: memConfirm },
    replay,
    verify: verifyRun,
    webhooks,
    serve_startup_ms: startupMs,
    wall_seconds: (Date.now() - started) / 1000,
  };
  mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  const out = path.join(ROOT, '.bench', 'results.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), out) || out}`);

  printTables(results);
  process.exitCode = 0;
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

/** utime + stime of a process in clock ticks (Linux), or null. */
function procCpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
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

/** `node dist/cli.js serve --port <free> --seed 1`, once it says it is listening: its port, process and start-up time. */
async function startTwin(track) {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = track(
    spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve', '--port', String(port), '--seed', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await waitForOutput(child, /listening on/);
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

function apiCall(port, method, p, body, agent) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${KEY}` };
    if (body) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) });
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${method} ${p} answered ${res.statusCode}: ${text.slice(0, 300)}`));
        resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
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
  const rows = [
    ['baseline (bare node:http, 1.5 KB JSON)', r.baseline, null],
    ['twin POST create+confirm', r.twin.create_confirm, 'create_confirm'],
    ['twin GET retrieve', r.twin.retrieve, 'retrieve'],
    ['twin GET list limit=10', r.twin.list, 'list'],
  ].map(([name, x, key]) => {
    const ratio = key ? x.ratio_to_baseline : 1;
    const target = key && TARGETS[key] !== undefined ? `≥ ${Math.round(TARGETS[key] * 100)}%` : '-';
    const verdict = key && TARGETS[key] !== undefined ? (x.target_met ? 'MET' : 'MISSED') : '';
    const norm = key ? x.cpu_normalised_ratio : 1;
    return [
      name, int(x.rps), f(x.p50_ms, 2), f(x.p99_ms, 2), pctu(ratio), target, verdict, int(x.errors),
      pctu(x.server_cpu_util), int(x.server_cpu_us_per_request), pctu(norm), pctu(x.client_cpu_util), pctu(x.other_cpu_util),
    ];
  });
  const m = r.memory;
  const memRows = [
    ['create', m.create],
    ['create+confirm', m.create_confirm],
  ].map(([name, x]) => [`${name} (${x.pis.toLocaleString('en-US')} PIs${x.scaled_to_100k ? ', scaled' : ''})`, x]).map(([name, x]) => [name, f(x.mb_per_100k, 1), int(x.bytes_per_pi), int(x.idempotency_bytes_per_pi), int(x.in_process_creates_per_s)]);

  const out = [
    '',
    `stripe-twin bench — node ${r.environment.node}, ${r.environment.cpus} CPUs, ${r.settings.connections} keep-alive connections, ` +
      `${r.settings.warmup_seconds}s warm-up + ${r.settings.seconds}s per scenario, loopback`,
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
      `create+confirm ${r.twin.create_confirm.mean_response_bytes} B, retrieve ${r.twin.retrieve.mean_response_bytes} B, list ${r.twin.list.mean_response_bytes} B`,
    '',
    'Memory (heap growth after gc, per 100k stored PaymentIntents)',
    table(['workload', 'MB / 100k PIs', 'bytes / PI', 'of which idempotency cache', 'in-process creates/s'], memRows, ['l', 'r', 'r', 'r', 'r']),
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
    '',
    `Fidelity gate (stripe-twin verify, whole corpus): ${r.verify.sequences} sequences, ${r.verify.interactions} interactions in ` +
      `${f(r.verify.wall_seconds, 2)} s wall (${f(r.verify.engine_seconds, 2)} s replaying), ${f(r.verify.sequences_per_s, 0)} sequences/s`,
    '',
    'Webhook deliveries to a local receiver (serve, one endpoint, bare node:http receiver answering 200)',
    table(
      ['events', 'deliveries/s', 'wall s', 'API calls s', 'last delivery after last API answer', 'delivery log'],
      [[int(r.webhooks.events), int(r.webhooks.deliveries_per_s), f(r.webhooks.seconds, 2), f(r.webhooks.api_seconds, 2),
        `${int(r.webhooks.lag_after_last_api_call_ms)} ms`, `${r.webhooks.delivery_log.succeeded} succeeded, ${r.webhooks.delivery_log.pending} pending, ${r.webhooks.delivery_log.failed} failed`]],
      ['r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
    'Targets:',
    `  serve ready (spawn → "listening on") < 1000 ms: ${Math.round(r.serve_startup_ms)} ms — ${r.serve_startup_ms < 1000 ? 'MET' : 'MISSED'}`,
    `  create+confirm ≥ 40% of baseline: ${pctu(r.targets.create_confirm.actual)} — ${r.targets.create_confirm.met ? 'MET' : 'MISSED'}`,
    `  retrieve       ≥ 70% of baseline: ${pctu(r.targets.retrieve.actual)} — ${r.targets.retrieve.met ? 'MET' : 'MISSED'}`,
    `  verify of the whole corpus < ${VERIFY_TARGET_SECONDS} s: ${f(r.verify.wall_seconds, 2)} s — ${r.verify.target_met ? 'MET' : 'MISSED'}`,
    `  replay < ${REPLAY_TARGET_US} µs per SDK call: ${f(r.replay.us_per_call.replay, 1)} µs — ${r.replay.target_met ? 'MET' : 'MISSED'}`,
  ];
  const b = r.baseline;
  if (b.client_cpu_util != null && b.server_cpu_util != null && b.client_cpu_util > 0.9 && b.server_cpu_util < 0.9) {
    out.push(
      `  note: the baseline is client-bound (load generator ${pctu(b.client_cpu_util)} of a core, bare server ${pctu(b.server_cpu_util)}):` +
        ' its req/s is the node:http client\'s ceiling, so req/s ratios flatter the twin; see CPU-norm.',
    );
  }
  for (const [name, x] of Object.entries({ baseline: r.baseline, ...r.twin })) {
    if (x.other_cpu_util > 0.2) {
      out.push(`  warning: other processes used ${pctu(x.other_cpu_util)} of a core during ${name}: figures are noisy; rerun on an idle machine.`);
    }
    if (x.errors) out.push(`  warning: ${name} had ${x.errors} failed requests (${JSON.stringify(x.error_statuses)}); first: ${x.first_error}`);
  }
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
else if (role === '--webhook-receiver') webhookReceiver();
else await main();
