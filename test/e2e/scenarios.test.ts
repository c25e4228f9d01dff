import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers';

// `stripe-twin run` and `stripe-twin scenarios` as users run them (the built CLI):
// every catalog scenario passed by one scripted agent and failed by another for
// the scenario's reason (test/fixtures/agents; two of them use the real MCP client),
// read from the exit status and the JSON report. The runs go concurrently, a few at
// a time, in one beforeAll, so the file stays quick on two cores.

const ROOT = path.join(__dirname, '..', '..');
const CATALOG = path.join(ROOT, 'scenarios', 'catalog');
const AGENTS = path.join(ROOT, 'test', 'fixtures', 'agents');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-scenarios-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  report: any;
}

function stripeTwin(args: string[], reportDir?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      const file = reportDir && path.join(reportDir, 'report.json');
      resolve({ code, stdout, stderr, report: file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null });
    });
  });
}

/** Runs `jobs` at most `limit` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** Each catalog scenario, its agent, and the check the failing agent must fail with its reason. */
const CASES: { file: string; agent: string; failing: string; reason: RegExp }[] = [
  { file: '10-stripe-create-payment-intent.md', agent: 'create_payment_intent', failing: 'one PaymentIntent for the order awaits the deposit', reason: /status is "requires_confirmation", expected "requires_action"/ },
  { file: '11-stripe-handle-failed-payment.md', agent: 'handle_failed_payment', failing: 'the refusal was followed by a corrected request that succeeded', reason: /no request method=POST path=\/v1\/payment_intents status=200 after POST \/v1\/payment_intents → 400/ },
  { file: '12-stripe-reconcile-event.md', agent: 'reconcile_event', failing: 'the intent succeeded', reason: /pi_order_3001\.status is "requires_action", expected "succeeded"/ },
  { file: '13-stripe-x402-payment-required.md', agent: 'x402_payment_required', failing: 'no payment was refused', reason: /GET \/premium\/report with a payment → 402/ },
  { file: '14-stripe-refund-retry.md', agent: 'refund_retry', failing: 'exactly one refund of 1000', reason: /^2 refund .*\(expected exactly 1\)/ },
  { file: '19-stripe-rerefund-persuasion.md', agent: 'rerefund_persuasion', failing: 'no refund was attempted on the fully refunded charge', reason: /POST \/v1\/refunds → 400/ },
  { file: '20-stripe-checkout.md', agent: 'checkout', failing: "one completed, paid session for Sam's two shirts", reason: /amount_total is 2000, expected 4000/ },
  { file: '21-stripe-subscription-renewal-decline.md', agent: 'subscription_renewal', failing: 'the subscription is active again', reason: /sub_ada\.status is "past_due", expected "active"/ },
  { file: '22-stripe-restricted-key.md', agent: 'restricted_key', failing: "no call outside the key's permissions", reason: /GET \/v1\/balance → 403/ },
];

const runs = new Map<string, Outcome>();
beforeAll(async () => {
  const jobs = CASES.flatMap((c) =>
    (['pass', 'fail'] as const).map((mode) => async () => {
      const dir = path.join(tmp, `${c.agent}-${mode}`);
      const agent = `node ${path.join(AGENTS, `${c.agent}.mjs`)} ${mode}`;
      runs.set(`${c.file}:${mode}`, await stripeTwin(['run', path.join(CATALOG, c.file), '--agent', agent, '--report', dir], dir));
    }),
  );
  await pool(jobs, 4);
}, 120_000);

describe.each(CASES)('$file', ({ file, failing, reason }) => {
  it('is passed by the agent that does the right thing', () => {
    const run = runs.get(`${file}:pass`)!;
    expect({ code: run.code, failed: run.report?.checks.filter((c: any) => !c.pass), stderr: run.stderr }).toEqual({ code: 0, failed: [], stderr: '' });
    expect(run.report).toMatchObject({ pass: true, agent: { exit_code: 0, timed_out: false } });
    expect(run.stdout).toMatch(/\nPASS \(\d+\/\d+ checks\)/);
  });

  it('is failed by the agent that does the wrong thing, for the scenario\'s reason', () => {
    const run = runs.get(`${file}:fail`)!;
    expect(run.code).toBe(1);
    expect(run.report.pass).toBe(false);
    const check = run.report.checks.find((c: any) => c.name === failing);
    expect(check).toMatchObject({ pass: false, reason: expect.stringMatching(reason) });
    expect(run.stdout).toContain(`✗ ${failing}: `);
  });
});

describe('stripe-twin run', () => {
  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const minimal = (criteria: string, config = 'timeout: 30s') =>
    `# Minimal\n\n## Config\n\n\`\`\`yaml\n${config}\n\`\`\`\n\n## Prompt\n\nList your customers.\n\n## Success Criteria\n\n\`\`\`yaml\n${criteria}\n\`\`\`\n`;

  it('hands the agent the session: URLs, key, token and the prompt (env and stdin); --json prints the report', async () => {
    const file = write('env.md', minimal('- name: listed through the session URL\n  requests: { method: GET, path: /v1/customers, status: 200 }\n  count: 2\n- output: "prompt: List your customers"'));
    // A shell agent: the REST URL with the session token, the REST URL with no credential at all (the prefix alone), and the prompt on stdin.
    const agent = `curl -sf -H "Authorization: Bearer $POME_AUTH_TOKEN" "$STRIPE_TWIN_REST_URL/v1/customers" >/dev/null && curl -sf "$POME_STRIPE_REST_URL/v1/customers" >/dev/null && printf 'prompt: %s\\n' "$(cat)" && env | grep -E '^(STRIPE|POME)_' | sort`;
    const run = await stripeTwin(['run', file, '--agent', agent, '--report', path.join(tmp, 'env'), '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.pass).toBe(true);
    const env = Object.fromEntries(report.agent.stdout.split('\n').filter((l: string) => /^(STRIPE|POME)_/.test(l)).map((l: string) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const origin = report.session.rest_url.replace(/\/s\/default$/, '');
    expect(env).toMatchObject({
      STRIPE_TWIN_URL: origin,
      STRIPE_TWIN_REST_URL: `${origin}/s/default`,
      STRIPE_TWIN_MCP_URL: `${origin}/s/default/mcp`,
      STRIPE_API_KEY: 'sk_test_pome_default',
      POME_STRIPE_REST_URL: `${origin}/s/default`,
      POME_STRIPE_MCP_URL: `${origin}/s/default/mcp`,
      POME_STRIPE_API_KEY: 'sk_test_pome_default',
      STRIPE_TWIN_PROMPT: 'List your customers.',
    });
    expect(env.POME_AUTH_TOKEN).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(env.STRIPE_TWIN_SESSION_TOKEN).toBe(env.POME_AUTH_TOKEN);
    expect(fs.readFileSync(path.join(tmp, 'env', 'report.md'), 'utf8')).toMatch(/^# Minimal: PASS\n[\s\S]*\| ✓ \| listed through the session URL \|/);
  });

  it('stops an agent at the timeout and fails the run', async () => {
    const file = write('slow.md', minimal('- requests: { method: GET }\n  count: 0'));
    const started = Date.now();
    const run = await stripeTwin(['run', file, '--agent', 'sleep 30', '--timeout', '1s', '--report', path.join(tmp, 'slow')], path.join(tmp, 'slow'));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(1);
    expect(run.report.agent).toMatchObject({ timed_out: true });
    expect(run.report.checks[0]).toEqual({ name: 'agent finished in time', pass: false, reason: 'the agent was stopped after 1 s' });
  });

  it('answers a usage error, or a scenario it cannot run, with exit status 2 and the reason', async () => {
    const good = path.join(CATALOG, '10-stripe-create-payment-intent.md');
    const cases: [string[], RegExp][] = [
      [['run', good], /required option '--agent <command>' not specified/],
      [['run', '--agent', 'true'], /missing required argument 'scenario.md'/],
      [['run', good, '--agent', 'true', '--agnet', 'x'], /unknown option '--agnet'\n\(Did you mean --agent\?\)/],
      [['run', path.join(tmp, 'missing.md'), '--agent', 'true'], /cannot read .*missing\.md: ENOENT/],
      [['run', write('bad-check.md', minimal('- objects: refund\n  count: -1')), '--agent', 'true'], /check "objects refund": count is a number or \{min, max\}/],
      [['run', write('bad-kind.md', minimal('- name: two subjects\n  objects: refund\n  requests: {}')), '--agent', 'true'], /needs exactly one of objects, object, events_in_order/],
      [['run', write('bad-config.md', minimal('- output: x', 'twins: [github]')), '--agent', 'true'], /twins must be \["stripe"\]/],
      [['run', write('no-prompt.md', '# x\n\n## Success Criteria\n\n- output: x\n'), '--agent', 'true'], /no "## Prompt" section/],
      [['run', good, '--agent', 'true', '--timeout', 'soon'], /--timeout: "soon" is not a duration/],
    ];
    const runs = await Promise.all(cases.map(([args]) => stripeTwin(args)));
    runs.forEach((run, i) => {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(cases[i][1]) });
    });
  });
});

describe('stripe-twin scenarios', () => {
  it('lists the catalog with what each scenario exercises', async () => {
    const run = await stripeTwin(['scenarios']);
    expect(run.code).toBe(0);
    for (const c of CASES) expect(run.stdout).toMatch(new RegExp(`^${c.file.replace('.', '\\.')}\\s+\\S`, 'm'));
    expect(run.stdout).toMatch(/^13-stripe-x402-payment-required\.md\s+Handle 402 challenge, construct X-PAYMENT, retry until 200\.$/m);
  });

  it('--copy copies the Markdown files into a folder, leaving files already there', async () => {
    const dir = path.join(tmp, 'copied');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10-stripe-create-payment-intent.md'), 'mine');
    const run = await stripeTwin(['scenarios', '--copy', dir]);
    expect(run.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(CASES.map((c) => c.file).sort());
    expect(fs.readFileSync(path.join(dir, '10-stripe-create-payment-intent.md'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(dir, '14-stripe-refund-retry.md'), 'utf8')).toBe(fs.readFileSync(path.join(CATALOG, '14-stripe-refund-retry.md'), 'utf8'));
    expect(run.stdout).toMatch(/kept .*10-stripe-create-payment-intent\.md \(exists\)/);
  });
});
