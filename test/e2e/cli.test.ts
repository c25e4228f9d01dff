import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { CommandDecl, COMMANDS } from '../../src/commands/index';
import { cli, raw, stop } from '../helpers';

// `stripe-twin` as a user runs it (the built CLI; `npm test` builds first):
// help, version and usage errors with the output and exit status a user
// expects, and `serve` with its request log.

const ROOT = path.join(__dirname, '..', '..');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const NAMES = Object.keys(COMMANDS);

/** `stripe-twin <args>` to its end: exit status, stdout, stderr. */
async function stripeTwin(args: string[], env: Record<string, string> = {}) {
  const run = cli(args, env);
  const code = await run.exited;
  return { code, stdout: run.out.text, stderr: run.out.err };
}

/** `stripe-twin serve` on a free port, once its banner (URL to health check) is out. */
async function serve(args: string[]) {
  const run = cli(['serve', '--port', '0', ...args]);
  const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*health:/);
  return { url, banner: run.out.text, child: run.child };
}

describe('stripe-twin serve', () => {
  it('prints its URL and a key, answers /healthz and serves the API', async () => {
    const { url, banner, child } = await serve(['--seed', '1']);
    try {
      expect(banner).toMatch(/key:\s+sk_test_\w+/);
      expect(banner).toContain(`port: ${new URL(url).port}`);
      expect((await raw(url, 'GET', '/healthz', { key: null })).json).toEqual({ status: 'ok' });
      expect((await raw(url, 'GET', '/v1/customers', { key: 'sk_test_cli' })).status).toBe(200);
    } finally {
      await stop(child);
    }
  });

  it('with --seed, answers the same requests with the same bytes', async () => {
    const script = async () => {
      const { url, child } = await serve(['--seed', '7']);
      try {
        const out: string[] = [];
        for (const [method, p, body] of [
          ['POST', '/v1/customers', 'email=a%40b.co'],
          ['POST', '/v1/payment_intents', 'amount=1000&currency=usd&payment_method=pm_card_visa&confirm=true&allowed_payment_method_types[0]=card'],
          ['GET', '/v1/events', undefined],
        ] as const) {
          const res = await raw(url, method, p, { key: 'sk_test_same', body, headers: method === 'POST' ? { 'Idempotency-Key': p } : {} });
          out.push(`${res.status} ${res.headers['request-id']} ${res.body}`);
        }
        return out;
      } finally {
        await stop(child);
      }
    };
    const first = await script();
    expect(first[1]).toMatch(/"status": "succeeded"/);
    expect(await script()).toEqual(first);
  });

  it('with --max-worlds, forgets the world used least recently', async () => {
    const { url, child } = await serve(['--seed', '1', '--max-worlds', '2']);
    try {
      const create = async (key: string) => (await raw(url, 'POST', '/v1/customers', { key, body: 'email=w%40example.com' })).json.id as string;
      const [a, b] = [await create('sk_test_world_a'), await create('sk_test_world_b')];
      await create('sk_test_world_c'); // a is forgotten
      expect((await raw(url, 'GET', `/v1/customers/${b}`, { key: 'sk_test_world_b' })).status).toBe(200);
      expect((await raw(url, 'GET', `/v1/customers/${a}`, { key: 'sk_test_world_a' })).status).toBe(404);
    } finally {
      await stop(child);
    }
    const bad = await stripeTwin(['serve', '--port', '0', '--max-worlds', '0']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining("option '--max-worlds <n>' argument '0' is invalid. Expected a positive whole number.") });
  });
});

describe('stripe-twin help and version', () => {
  it('lists every command for --help, -h, help and no arguments (exit 0)', async () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const run = await stripeTwin(args);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^Usage: stripe-twin \[options\] \[command\]\n/);
      for (const name of NAMES) expect(run.stdout).toMatch(new RegExp(`^  ${name} .*\\S`, 'm'));
      expect(run.stdout).toContain('Exit status: 0 done, 1 failed, 2 a usage error');
    }
  }, 60_000);

  it("prints each command's usage for --help, -h and help <command>, and never runs it (exit 0)", async () => {
    const runs = await Promise.all(NAMES.flatMap((name) => [[name, '--help'], [name, '-h'], ['help', name]].map((args) => stripeTwin(args))));
    NAMES.forEach((name, i) => {
      const decl = COMMANDS[name as keyof typeof COMMANDS] as CommandDecl;
      for (const run of runs.slice(i * 3, i * 3 + 3)) {
        expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 0, stderr: '' });
        expect(run.stdout).toMatch(new RegExp(`^Usage: stripe-twin ${name} \\[options\\]`));
        const text = run.stdout.replace(/\s+/g, ' '); // as help wraps it
        expect(text).toContain(`${decl.summary}.`);
        for (const o of Object.values(decl.options)) expect(text).toContain(`${o.flags} ${o.description}`);
        expect(run.stdout).not.toMatch(/listening on/);
      }
      expect(runs[i * 3 + 1].stdout).toBe(runs[i * 3].stdout);
    });
    const serve = runs[0].stdout.replace(/\s+/g, ' ');
    expect(serve).toContain('--port <number> HTTP port (0: any free port, printed) (default: 12111; env: STRIPE_TWIN_PORT)');
    expect(serve).toContain('--control-token <token> the token /__admin__ needs to act on every world (default: random, printed; env: STRIPE_TWIN_CONTROL_TOKEN)');
    expect(serve).toContain('12111 HTTP, 12112 HTTPS');
  }, 90_000); // 30 processes

  it('prints the version for --version and -v (exit 0)', async () => {
    for (const flag of ['--version', '-v']) expect(await stripeTwin([flag])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('stripe-twin usage errors: exit 2, the reason and where help is, nothing run', () => {
  const refused = (stderr: string | RegExp) => ({ code: 2, stdout: '', stderr: typeof stderr === 'string' ? expect.stringContaining(stderr) : expect.stringMatching(stderr) });
  const capture = path.join(ROOT, 'captures', 'pay', 'test_refund.yaml');

  it('refuses unknown commands and options with a suggestion', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-cli-'));
    const cases: [string[], string | RegExp][] = [
      [['serv'], "stripe-twin: unknown command 'serv'\n(Did you mean serve?)\n(stripe-twin --help lists the commands)\n"],
      [['launch'], "stripe-twin: unknown command 'launch'\n(stripe-twin --help lists the commands)\n"],
      [['serve', '--prot', '1234'], "stripe-twin serve: unknown option '--prot'\n(Did you mean --port?)\n(stripe-twin serve --help shows its usage)\n"],
      [['verify', '--grop', 'x', '--report', path.join(dir, 'report')], "stripe-twin verify: unknown option '--grop'\n(Did you mean --group?)"],
      [['export', capture, '--to', 'nock', '--match-versoin'], '(Did you mean --match-version?)'],
      [['serve', '12111'], "stripe-twin serve: too many arguments for 'serve'. Expected 0 arguments but got 1."],
    ];
    const runs = await Promise.all(cases.map(([args]) => stripeTwin(args)));
    runs.forEach((run, i) => expect({ args: cases[i][0], ...run }).toEqual({ args: cases[i][0], ...refused(cases[i][1]) }));
    expect(fs.existsSync(path.join(dir, 'report'))).toBe(false); // verify did not run
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses missing and bad values, saying what the option takes', async () => {
    const cases: [string[], string | RegExp, Record<string, string>?][] = [
      [['serve', '--port', 'abc'], "stripe-twin serve: option '--port <number>' argument 'abc' is invalid. A port is a whole number from 0 to 65535 (0: any free port, printed at start-up).\n(stripe-twin serve --help shows its usage)\n"],
      [['serve', '--port'], "stripe-twin serve: option '--port <number>' argument missing"],
      [['serve', '--seed', 'x'], "option '--seed <n>' argument 'x' is invalid. Expected a whole number (0, 1, 2, …)."],
      [['serve', '--start', 'soon'], "option '--start <when>' argument 'soon' is invalid. Expected Unix seconds or an ISO date"],
      [['serve', '--webhook-retries', 'soon'], "option '--webhook-retries <seconds>' argument 'soon' is invalid."],
      [['serve', '--log', 'xml'], "option '--log <format>' argument 'xml' is invalid. Allowed choices are text, json."],
      [['serve', '--public-url', 'localhost'], "option '--public-url <url>' argument 'localhost' is invalid. Expected an http(s) URL"],
      [['serve', '--port', '0', '--api-version', '2024-12-18'], 'stripe-twin serve: --api-version: "2024-12-18" is not a Stripe API version'],
      [['serve', '--port', '0', '--key', 'key.pem'], 'stripe-twin serve: --cert and --key go together'],
      [['serve'], "option '--port <number>' value 'x' from env 'STRIPE_TWIN_PORT' is invalid.", { STRIPE_TWIN_PORT: 'x' }],
      [['export', capture, '--to', 'curl'], "stripe-twin export: option '--to <format>' argument 'curl' is invalid. Allowed choices are nock, har."],
      [['export', capture], "stripe-twin export: required option '--to <format>' not specified"],
      [['record', '--key', 'sk_test_x'], "stripe-twin record: missing required argument 'scenario.yaml'"],
      [['schemas', '--spec', 'spec3.json', 'nonsense'], "command-argument value 'nonsense' is invalid for argument 'part'. Allowed choices are types."],
      [['mcp', '--tools', 'nope'], 'stripe-twin mcp: --tools: unknown tool set "nope"'],
      [['listen', '--url', 'nowhere'], "option '--url <url>' argument 'nowhere' is invalid."],
    ];
    const runs = await Promise.all(cases.map(([args, , env]) => stripeTwin(args, env)));
    runs.forEach((run, i) => expect({ args: cases[i][0], ...run }).toEqual({ args: cases[i][0], ...refused(cases[i][1]) }));
  }, 90_000);

  it('gives a flag that takes no value never the next word', async () => {
    const run = await stripeTwin(['export', '--match-version', capture, '--to', 'nock']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const fixture = JSON.parse(run.stdout) as Array<{ reqheaders?: Record<string, string> }>;
    expect(fixture.length).toBeGreaterThan(0);
    expect(fixture.every((d) => typeof d.reqheaders?.['stripe-version'] === 'string')).toBe(true);
  });
});

describe('stripe-twin serve --verbose, --log json', () => {
  const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(\w+)\] (\w+) (\S+)(?: \[(req_\w+)\])?(?: (acct_\w+))? ([\d.]+) ms( idempotent replay)?$/;

  /** Requests through the official SDK: a create, its idempotent replay, a 404, the account; and a health check. */
  async function traffic(url: string) {
    const { hostname, port } = new URL(url);
    const stripe = new Stripe('sk_test_cli_log', { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
    const created = await stripe.customers.create({ email: 'log@example.com' }, { idempotencyKey: 'log-1' });
    const replayed = await stripe.customers.create({ email: 'log@example.com' }, { idempotencyKey: 'log-1' });
    const missing = await stripe.customers.retrieve('cus_missing').catch((e: Stripe.errors.StripeError) => e);
    const account = await stripe.accounts.retrieveCurrent();
    await raw(url, 'GET', '/healthz', { key: null });
    return { created, replayed, missing: missing as Stripe.errors.StripeError, account };
  }

  it('prints one line per request: status, method, path, request id, world, time, idempotent replay', async () => {
    const run = cli(['serve', '--port', '0', '--seed', '1', '--verbose']);
    try {
      const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*control:.*\n.*\n/);
      const banner = run.out.text;
      const { created, replayed, missing, account } = await traffic(url);
      await run.until(/GET \/healthz/);
      const lines = run.out.text.slice(banner.length).trimEnd().split('\n');
      const parsed = lines.map((l) => LINE.exec(l)?.slice(1, 8) ?? l);
      expect(parsed).toEqual([
        ['200', 'POST', '/v1/customers', created.lastResponse.requestId, account.id, expect.any(String), undefined],
        ['200', 'POST', '/v1/customers', replayed.lastResponse.requestId, account.id, expect.any(String), ' idempotent replay'],
        ['404', 'GET', '/v1/customers/cus_missing', missing.requestId, account.id, expect.any(String), undefined],
        ['200', 'GET', '/v1/account', account.lastResponse.requestId, account.id, expect.any(String), undefined],
        ['200', 'GET', '/healthz', undefined, undefined, expect.any(String), undefined],
      ]);
      expect(run.out.err).toBe('');
    } finally {
      await stop(run.child);
    }
  });

  it('--log json prints the same as one JSON object per line', async () => {
    const run = cli(['serve', '--port', '0', '--seed', '1', '--log', 'json']);
    try {
      const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*control:.*\n.*\n/);
      const banner = run.out.text;
      const { created, account } = await traffic(url);
      await run.until(/"path":"\/healthz"/);
      const entries = run.out.text.slice(banner.length).trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(entries.map((e) => [e.status, e.method, e.path, e.replayed, e.account])).toEqual([
        [200, 'POST', '/v1/customers', false, account.id],
        [200, 'POST', '/v1/customers', true, account.id],
        [404, 'GET', '/v1/customers/cus_missing', false, account.id],
        [200, 'GET', '/v1/account', false, account.id],
        [200, 'GET', '/healthz', false, null],
      ]);
      expect(entries[0]).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), method: 'POST', path: '/v1/customers', status: 200, ms: expect.any(Number), request_id: created.lastResponse.requestId, account: account.id, replayed: false });
    } finally {
      await stop(run.child);
    }
  });

  it('prints no request lines without --verbose or --log', async () => {
    const run = cli(['serve', '--port', '0', '--seed', '1']);
    try {
      const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*control:.*\n.*\n/);
      const banner = run.out.text;
      await traffic(url);
      expect(run.out.text).toBe(banner);
    } finally {
      await stop(run.child);
    }
  });
});
