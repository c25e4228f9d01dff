// Load under faults: N concurrent stripe-node clients create, confirm and read
// PaymentIntents on ONE world of `stripe-twin serve` while 429s, 500s, lock
// timeouts and lost responses are armed; then the world is reconciled — every
// PaymentIntent a client saw succeed has exactly one succeeded charge, one
// balance transaction per charge, one event of each kind, each of those events
// delivered once to a webhook endpoint (signature verified), and no 5xx reached
// a client other than the armed ones. Prints the counts and PASS/FAIL (exit 1).
//
//   npm run load                                   (builds, then 200 clients × 5)
//   node scripts/load.mjs --clients 20 --per-client 2 [--url http://127.0.0.1:12111]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { TwinControl } = createRequire(import.meta.url)(path.join(root, 'dist', 'control', 'client.js'));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
}
const CLIENTS = Number(option('clients', 200));
const PER_CLIENT = Number(option('per-client', 5));
if (!(CLIENTS >= 1 && PER_CLIENT >= 1)) throw new Error('--clients and --per-client must be positive numbers');

/** Starts `node dist/cli.js serve` on a free port; resolves with its URL and a stop function. */
function serve() {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let banner = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      banner += chunk;
      const m = banner.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ url: m[1], stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))) });
    });
    child.once('exit', (code) => reject(new Error(`stripe-twin serve exited with ${code}: ${banner}`)));
  });
}

/** A webhook receiver that verifies each delivery with stripe-node's constructEvent and counts event ids. */
async function receiver() {
  const verifier = new Stripe('sk_test_verifier');
  const state = { secret: '', received: new Map(), rejected: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const event = verifier.webhooks.constructEvent(Buffer.concat(chunks), req.headers['stripe-signature'], state.secret);
        state.received.set(event.id, (state.received.get(event.id) ?? 0) + 1);
        res.end('{"received":true}');
      } catch {
        state.rejected++;
        res.statusCode = 400;
        res.end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${server.address().port}/webhook`;
  state.close = () => (server.closeAllConnections(), new Promise((resolve) => server.close(resolve)));
  return state;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const n = (share) => Math.max(1, Math.ceil(CLIENTS * share));

// Armed in this order; on one operation the earlier fault is used up first.
const FAULTS = [
  { resource: 'payment_intents', operation: 'create', times: n(0.1), fault: { status: 429 }, label: '429 rate_limit' },
  { resource: 'payment_intents', operation: 'create', times: n(0.1), fault: { status: 500 }, label: '500 api_error' },
  { resource: 'payment_intents', operation: 'confirm', times: n(0.1), fault: { status: 429, code: 'lock_timeout' }, label: '429 lock_timeout' },
  { resource: 'payment_intents', operation: 'confirm', times: n(0.15), fault: 'lost_response', mode: 'drop', label: 'lost response (drop)' },
  { resource: 'payment_intents', operation: 'confirm', times: n(0.15), fault: 'lost_response', mode: '500', label: 'lost response (500)' },
  { resource: 'payment_intents', operation: 'retrieve', times: n(0.1), fault: { status: 500 }, label: '500 api_error' },
];

async function main() {
  const given = option('url', null);
  const server = given ? { url: given, stop: async () => undefined } : await serve();
  const started = Date.now();
  const key = `sk_test_load_${process.pid}`;
  const control = new TwinControl({ url: server.url, key });
  const { port, hostname } = new URL(server.url);
  const hooks = await receiver();
  try {
    await control.reset();
    const admin = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http' });
    const endpoint = await admin.webhookEndpoints.create({ url: hooks.url, enabled_events: ['payment_intent.succeeded', 'charge.succeeded'] });
    hooks.secret = endpoint.secret;
    const labels = new Map(); // fault id → label
    for (const { label, ...fault } of FAULTS) labels.set((await control.faults.arm(fault)).id, `${label} on ${fault.operation}`);
    console.log(`stripe-twin load: ${CLIENTS} clients × ${PER_CLIENT} PaymentIntents on one world (${server.url})`);
    console.log(`  armed: ${FAULTS.map((f) => `${f.label} ×${f.times} on ${f.resource}/${f.operation}`).join(', ')}`);

    // --- the clients ---
    const seen = new Map(); // PaymentIntent id → status the client saw
    const appRetries = { StripeRateLimitError: 0, StripeConnectionError: 0, StripeAPIError: 0 };
    const unexpected = [];
    /** What an app does: the SDK retries what it may (maxNetworkRetries); the app retries 429s and exhausted retries with the same key. */
    async function call(fn, idempotencyKey) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(idempotencyKey ? { idempotencyKey } : {});
        } catch (e) {
          if (attempt < 8 && e.type in appRetries) {
            appRetries[e.type]++;
            await sleep(20 + 20 * attempt);
            continue;
          }
          throw e;
        }
      }
    }
    async function client(c) {
      const stripe = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 3 });
      for (let i = 0; i < PER_CLIENT; i++) {
        try {
          const ref = `load-${c}-${i}`;
          const pi = await call((o) => stripe.paymentIntents.create({ amount: 1000 + c, currency: 'usd', metadata: { ref } }, o), `${ref}-create`);
          const confirmed = await call(
            (o) => stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa', return_url: 'https://example.com/done' }, o),
            `${ref}-confirm`,
          );
          const read = await call(() => stripe.paymentIntents.retrieve(pi.id));
          if (read.status !== confirmed.status) throw new Error(`${pi.id}: confirm said ${confirmed.status}, retrieve says ${read.status}`);
          seen.set(pi.id, confirmed.status);
        } catch (e) {
          unexpected.push(`client ${c}: ${e.type ?? ''} ${e.statusCode ?? ''} ${e.message}`);
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const clientsDone = Date.now();

    // --- reconcile ---
    await control.clock.advance(60); // due work (the async balance transactions) runs
    const stripe = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http' });
    const all = async (list) => {
      const out = [];
      for await (const item of list) out.push(item);
      return out;
    };
    const intents = await all(stripe.paymentIntents.list({ limit: 100 }));
    const charges = await all(stripe.charges.list({ limit: 100 }));
    const txns = await all(stripe.balanceTransactions.list({ limit: 100, type: 'charge' }));
    const eventsOf = async (type) => (await control.events({ type, limit: 100000 })).data;
    const drained = await control.webhooks.drain(); // deliveries still due go out now
    const [piSucceeded, piCreated, chargeSucceeded] = await Promise.all(['payment_intent.succeeded', 'payment_intent.created', 'charge.succeeded'].map(eventsOf));
    const faultsLeft = (await control.faults.list()).faults;
    const log = await control.requests({ limit: 10000 });

    const checks = [];
    const check = (ok, what) => checks.push({ ok: Boolean(ok), what });
    const succeededSeen = [...seen].filter(([, s]) => s === 'succeeded').map(([id]) => id);
    const expected = CLIENTS * PER_CLIENT;
    check(succeededSeen.length === expected, `clients saw ${succeededSeen.length}/${expected} PaymentIntents succeed`);
    check(unexpected.length === 0, `${unexpected.length} client errors after retries${unexpected.length ? `: ${unexpected.slice(0, 3).join('; ')}` : ''}`);
    check(intents.length === expected && intents.every((pi) => pi.status === 'succeeded'), `${intents.length} PaymentIntents in the world, all succeeded`);
    const chargesByIntent = new Map();
    for (const ch of charges) chargesByIntent.set(ch.payment_intent, [...(chargesByIntent.get(ch.payment_intent) ?? []), ch]);
    const oneCharge = succeededSeen.every((id) => {
      const list = chargesByIntent.get(id) ?? [];
      return list.length === 1 && list[0].status === 'succeeded' && list[0].paid;
    });
    check(oneCharge && charges.length === succeededSeen.length, `${charges.length} charges: exactly one succeeded charge per succeeded PaymentIntent`);
    const bySource = new Set(txns.map((t) => t.source));
    check(txns.length === charges.length && bySource.size === txns.length && charges.every((ch) => bySource.has(ch.id) && ch.balance_transaction),
      `${txns.length} charge balance transactions, one per charge`);
    /** One event per object: as many as objects, no object twice, none missing. */
    const once = (events, ids) => {
      const objects = new Set(events.map((e) => e.object));
      return events.length === ids.length && objects.size === events.length && ids.every((id) => objects.has(id));
    };
    check(once(piSucceeded, succeededSeen), `${piSucceeded.length} payment_intent.succeeded events, one per succeeded PaymentIntent`);
    check(once(piCreated, intents.map((pi) => pi.id)), `${piCreated.length} payment_intent.created events, one per PaymentIntent`);
    check(once(chargeSucceeded, charges.map((ch) => ch.id)), `${chargeSucceeded.length} charge.succeeded events, one per charge`);
    const delivered = [...piSucceeded, ...chargeSucceeded];
    const onceEach = delivered.every((e) => hooks.received.get(e.id) === 1 && e.pending_webhooks === 0);
    check(drained.pending === 0 && drained.failed === 0 && drained.succeeded === delivered.length && hooks.received.size === delivered.length && onceEach && hooks.rejected === 0,
      `${hooks.received.size} webhook deliveries, each event once with a valid signature (${drained.succeeded} succeeded, ${drained.pending} pending, ${drained.failed} failed, ${hooks.rejected} rejected)`);
    const unarmed5xx = log.data.filter((r) => r.status !== null && r.status >= 500 && !r.fault);
    check(unarmed5xx.length === 0, `${unarmed5xx.length} 5xx answers that were not armed faults`);
    const faulted = log.data.filter((r) => r.fault);
    const armedTotal = FAULTS.reduce((sum, f) => sum + f.times, 0);
    check(faultsLeft.length === 0 && faulted.length === armedTotal, `${faulted.length}/${armedTotal} armed faults met (${faultsLeft.length} left armed)`);
    check(log.total <= log.kept, `request log holds all ${log.total} requests`);

    const kinds = {};
    for (const r of faulted) {
      const name = labels.get(r.fault.id);
      kinds[name] = (kinds[name] ?? 0) + 1;
    }
    const latencies = log.data.map((r) => r.latency_ms).sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]?.toFixed(2);
    console.log(`  requests: ${log.total} (${log.data.filter((r) => r.replayed).length} idempotent replays), faulted ${faulted.length}: ${Object.entries(kinds).map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    console.log(`  app-level retries: ${Object.entries(appRetries).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`  twin latency (ms): p50 ${pct(50)}, p99 ${pct(99)}, max ${pct(100)}; clients finished in ${((clientsDone - started) / 1000).toFixed(1)} s`);
    for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
    const pass = checks.every((c) => c.ok);
    console.log(`${pass ? 'PASS' : 'FAIL'}: ${succeededSeen.length} PaymentIntents, ${charges.length} charges, ${txns.length} balance transactions, ${piSucceeded.length} payment_intent.succeeded, ${hooks.received.size} webhooks, ${faulted.length} faults, ${unarmed5xx.length} unarmed 5xx (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return pass;
  } finally {
    await server.stop();
    await hooks.close();
  }
}

main().then(
  (pass) => process.exit(pass ? 0 : 1),
  (e) => {
    console.error(e);
    console.log('FAIL: the load run did not finish');
    process.exit(1);
  },
);
