import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { captureToYaml } from '../../src/contract/capture';
import { recordWithTwin } from '../fixtures/recording';

// `stripe-twin/jest` and `stripe-twin/register` as users run them: a small app
// (test/fixtures/app) that does `new Stripe(process.env.STRIPE_SECRET_KEY)`
// with no twin-specific code, under
//   (a) a child jest whose config only adds `setupFiles: ['stripe-twin/jest']`
//       (and the optional globalSetup), rootDir at test/fixtures;
//   (b) node:test under `node --import stripe-twin/register` / `--require`.
// The package resolves by name through its own "exports" (self-reference), so
// dist/ must be built: `npm test` builds first.

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures');
const JEST = path.join(ROOT, 'node_modules/jest/bin/jest.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { CASES, emailFor, checkout } = require('../fixtures/app/flow.cjs');

let tmp: string;

beforeAll(() => {
  const built: Array<[string, string]> = [
    ['src/jest/setup.ts', 'dist/jest/setup.js'],
    ['src/jest/repoint.ts', 'dist/jest/repoint.js'],
    ['src/jest/global_setup.ts', 'dist/jest/global_setup.js'],
    ['src/jest/snapshots.ts', 'dist/jest/snapshots.js'],
    ['src/register.ts', 'dist/register.js'],
    ['src/register_hooks.ts', 'dist/register_hooks.js'],
    ['src/transport/replay.ts', 'dist/transport/replay.js'],
  ];
  for (const [src, out] of built) {
    const o = path.join(ROOT, out);
    if (!fs.existsSync(o)) throw new Error(`${out} is missing: run \`npm run build\` first (npm test does)`);
    if (fs.statSync(path.join(ROOT, src)).mtimeMs > fs.statSync(o).mtimeMs + 1000) {
      throw new Error(`${out} is older than ${src}: run \`npm run build\` first (npm test does)`);
    }
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-jest-setup-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: ours without any STRIPE_* or jest worker variables, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRIPE_') && !k.startsWith('JEST_')) env[k] = v;
  return { ...env, ...extra };
}

function run(args: string[], extra: Record<string, string>, cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: childEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: Array<{ name: string; message: string; assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>;
}

let configs = 0;
/** Runs the fixture suites in a child jest: a temporary config with rootDir at test/fixtures. */
async function childJest(config: Record<string, unknown>, env: Record<string, string>, only?: string): Promise<{ report: JestReport; ran: Ran }> {
  const n = configs++;
  const configFile = path.join(tmp, `jest.config.${n}.json`);
  const reportFile = path.join(tmp, `report.${n}.json`);
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      rootDir: FIXTURES,
      testMatch: ['<rootDir>/jest_app/**/*.spec.ts'],
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': [require.resolve('@swc/jest'), { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
      cacheDirectory: path.join(tmp, 'jest-cache'),
      setupFiles: ['stripe-twin/jest'],
      ...config,
    }),
  );
  const args = [JEST, '--config', configFile, '--ci', '--json', `--outputFile=${reportFile}`];
  if (only) args.push(only);
  const ran = await run(args, env, FIXTURES);
  if (!fs.existsSync(reportFile)) throw new Error(`child jest wrote no report (exit ${ran.code}):\n${ran.stderr}\n${ran.stdout}`);
  return { report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as JestReport, ran };
}

function failures(report: JestReport): string {
  return report.testResults
    .flatMap((f) => [f.message, ...f.assertionResults.filter((a) => a.status !== 'passed').map((a) => `${a.fullName}: ${a.failureMessages.join('\n')}`)])
    .filter(Boolean)
    .join('\n');
}

function expectAllPassed(report: JestReport, ran: Ran, count: number): void {
  if (report.numFailedTests || report.numRuntimeErrorTestSuites || ran.code !== 0) {
    throw new Error(`child jest failed (exit ${ran.code}):\n${failures(report) || ran.stderr}`);
  }
  expect(report.numPassedTests).toBe(count);
}

/** The fixture app's flow recorded against an in-process twin, as a capture file. */
async function recordFixtureFlow(name: string, edit?: (email: string) => string): Promise<string> {
  const capture = await recordWithTwin(name, async (stripe) => {
    for (const label of CASES as string[]) await checkout(stripe, edit ? edit(emailFor(label)) : emailFor(label));
  });
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, captureToYaml(capture));
  return file;
}

describe('stripe-twin/jest in a child jest run', () => {
  test('default (in-process): every client kind reaches a twin, one world per test file', async () => {
    const { report, ran } = await childJest({}, { EXPECT_MODE: 'in-process' });
    expectAllPassed(report, ran, 7);
  }, 60_000);

  test('server mode: globalSetup starts one twin server, each test file gets its own keys', async () => {
    const { report, ran } = await childJest(
      { globalSetup: 'stripe-twin/jest/globalSetup', globalTeardown: 'stripe-twin/jest/globalTeardown' },
      { EXPECT_MODE: 'server' },
    );
    expectAllPassed(report, ran, 7);
  }, 60_000);

  test.each(['in-process', 'server'])('snapshots (%s): seeded once in globalSetup, restored before each test file', async (mode) => {
    const { report, ran } = await childJest(
      {
        testMatch: ['<rootDir>/jest_snapshots/**/*.spec.ts'],
        globalSetup: '<rootDir>/jest_snapshots/global_setup.js',
        globalTeardown: 'stripe-twin/jest/globalTeardown',
      },
      { EXPECT_MODE: mode },
    );
    expectAllPassed(report, ran, 2);
  }, 60_000);

  test('replay mode: STRIPE_TWIN_REPLAY serves a recorded capture to the unchanged app', async () => {
    const file = await recordFixtureFlow('fixture-checkout');
    const { report, ran } = await childJest({}, { EXPECT_MODE: 'replay', STRIPE_TWIN_REPLAY: file }, 'checkout\\.spec');
    expectAllPassed(report, ran, 5);
  }, 60_000);

  test('replay mode fails the suite, with the closest recorded request, when the app strays from the capture', async () => {
    const file = await recordFixtureFlow('fixture-checkout-other-emails', (email) => email.replace('@', '+recorded@'));
    const { report, ran } = await childJest({}, { EXPECT_MODE: 'replay', STRIPE_TWIN_REPLAY: file }, 'checkout\\.spec');
    expect(ran.code).not.toBe(0);
    expect(report.numFailedTests).toBeGreaterThanOrEqual(3);
    const text = failures(report);
    expect(text).toContain(
      'stripe-twin replay (fixture-checkout-other-emails): no recorded interaction matches POST /v1/customers {"email":"esm-default@example.com","description":"fixture app"}.',
    );
    expect(text).toContain('params.email: recorded "esm-default+recorded@example.com", got "esm-default@example.com"');
  }, 60_000);
});

describe('stripe-twin/register for other runners (node:test)', () => {
  test('node --import stripe-twin/register --test: ESM default import, fetch client and CommonJS callable form', async () => {
    const ran = await run(['--import', 'stripe-twin/register', '--test', 'test/fixtures/node_app/checkout.test.mjs'], {}, ROOT);
    if (ran.code !== 0) throw new Error(`node --test failed (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    expect(ran.stdout).toMatch(/^# pass 4$/m);
    expect(ran.stdout).toMatch(/^# fail 0$/m);
  }, 60_000);

  test('node --require stripe-twin/register: a CommonJS suite', async () => {
    const ran = await run(['--require', 'stripe-twin/register', 'test/fixtures/node_app/checkout_cjs.test.cjs'], {}, ROOT);
    if (ran.code !== 0) throw new Error(`node failed (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    expect(ran.stdout).toMatch(/^# pass 1$/m);
  }, 60_000);

  test('node --import with STRIPE_TWIN_REPLAY: a request the capture lacks fails with the closest recorded one', async () => {
    const file = await recordFixtureFlow('node-other-emails', (email) => email.replace('@', '+recorded@'));
    const ran = await run(
      ['--import', 'stripe-twin/register', 'test/fixtures/node_app/checkout_cjs.test.cjs'],
      { STRIPE_TWIN_REPLAY: file },
      ROOT,
    );
    expect(ran.code).not.toBe(0);
    expect(ran.stdout).toContain('stripe-twin replay (node-other-emails): no recorded interaction matches POST /v1/customers');
    expect(ran.stdout).toContain('params.email: recorded "esm-default+recorded@example.com", got "cjs@example.com"');
  }, 60_000);
});
