import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Capture, writeCapture } from '../../src/contract/capture';
import { loadScenario, record } from '../../src/transport/record';
import { loadContracts, summary, verify, writeReports } from '../../src/contract/verify';
import { freshKey, useHarness } from '../helpers';

// The gate: contracts name captures and declare divergences; anything else that
// drifts, a glob that names nothing, or a capture two contracts claim fails it.

const ROOT = path.join(__dirname, '..', '..');

describe('stripe-twin verify', () => {
  const t = useHarness('http');
  let clean: Capture;
  let dir: string;
  beforeAll(async () => {
    clean = await record(loadScenario(`${ROOT}/scenarios/payments.yaml`), { key: freshKey('verify'), baseUrl: t.h.url });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-verify-'));
    writeCapture(path.join(dir, 'captures'), { ...clean, name: 'rec/clean' });
    // Stripe had a key the twin lacks, in the first response of this one.
    const drifted = JSON.parse(JSON.stringify(clean)) as Capture;
    (drifted.interactions[0].response.body as any).loyalty_tier = 'gold';
    writeCapture(path.join(dir, 'captures'), { ...drifted, name: 'rec/drifted' });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const contract = (file: string, text: string) => {
    fs.mkdirSync(path.join(dir, 'contracts'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'contracts', file), text);
  };
  const run = () => verify({ captures: path.join(dir, 'captures'), contracts: path.join(dir, 'contracts') });
  const DECLARED = `
divergences:
  - kind: missing-key
    object: customer
    field: loyalty_tier
    reason: a field Stripe added after this twin
    owner: "#99"
`;

  it('compiles each divergence\'s globs once, when contracts are loaded (* is any text, the rest literal)', () => {
    contract('globs.yaml', `group: globs\ncaptures: ["rec/*"]\ndivergences:\n  - {kind: [type, length], field: "data[0].*.id", request: "GET /v1/*", capture: "rec/c?ean", reason: r, owner: "#1"}\n  - {object: charge, reason: r, owner: "#2"}\n`);
    const [loaded] = loadContracts(path.join(dir, 'contracts'));
    const [globs, plain] = loaded.rules;
    expect(globs.divergence).toBe(loaded.divergences![0]);
    expect(globs.kinds).toEqual(['type', 'length']);
    expect(['data[0].outcome.id', 'data[0]..id', 'data[0]xoutcome.id', 'data[1].outcome.id'].map((f) => globs.field!.test(f))).toEqual([true, true, false, false]);
    expect(['GET /v1/customers/{{cus_1}}', 'POST /v1/customers'].map((r) => globs.request!.test(r))).toEqual([true, false]);
    expect(['rec/c?ean', 'rec/clean'].map((c) => globs.capture!.test(c))).toEqual([true, false]);
    expect(plain).toEqual({ divergence: loaded.divergences![1], kinds: undefined, object: 'charge', field: undefined, request: undefined, capture: undefined });
  });

  it('passes drift a contract declares, counting it, and prints the score last', async () => {
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\n${DECLARED}`);
    const result = await run();
    expect(result.groups).toEqual([expect.objectContaining({ group: 'recorded', sequences: 2, interactions: 14, drifted: 1, undeclared: 0 })]);
    expect(result.sequences.map((s) => [s.name, s.declared, s.undeclared.length])).toEqual([
      ['rec/clean', 0, 0],
      ['rec/drifted', 1, 0],
    ]);
    expect(result.unusedDivergences).toEqual([]);
    expect(result.overall.compared).toBeGreaterThan(100);
    expect(result.overall.score).toBeLessThan(1);
    const text = summary(result);
    expect(text.split('\n').pop()).toMatch(/^overall fidelity: \d+\.\d% of \d+ fields, over 14 of 14 interactions \(2 sequences in [\d.]+ s\); the gate passes$/);
    writeReports(result, path.join(dir, 'report'));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'report', 'report.json'), 'utf8')).groups[0].drifted).toBe(1);
    const html = fs.readFileSync(path.join(dir, 'report', 'index.html'), 'utf8');
    expect(html).toContain('rec/drifted');
    expect(html).toContain('loyalty_tier');
  });

  it('fails on undeclared drift, and reports a divergence that matched nothing', async () => {
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\ndivergences:\n  - {kind: status, reason: stale, owner: "#99"}\n`);
    const result = await run();
    expect(result.groups[0].undeclared).toBe(1);
    expect(result.sequences[1].undeclared).toEqual([expect.objectContaining({ kind: 'missing-key', object: 'customer', field: 'loyalty_tier', interaction: 0 })]);
    expect(result.unusedDivergences).toEqual([expect.objectContaining({ kind: 'status', reason: 'stale' })]);
    expect(summary(result)).toContain('rec/drifted #0 POST /v1/customers: missing-key customer loyalty_tier');
  });

  it('applies a shared contract\'s divergences to every group', async () => {
    contract('common.yaml', `group: common\nshared: true\n${DECLARED}`);
    contract('recorded.yaml', 'group: recorded\ncaptures: ["rec/*"]\n');
    expect((await run()).groups[0].undeclared).toBe(0);
  });

  it('gives a capture to the most specific claim; equally specific claims are a conflict', async () => {
    contract('a.yaml', `group: a\ncaptures: ["rec/*"]\n${DECLARED}`);
    contract('b.yaml', 'group: b\ncaptures: ["rec/clean", "rec/missing"]\n');
    const named = await run();
    expect(named.sequences.map((s) => `${s.group} ${s.name}`)).toEqual(['a rec/drifted', 'b rec/clean']);
    expect(named.missingCaptures).toEqual([{ contract: path.join(dir, 'contracts', 'b.yaml'), pattern: 'rec/missing' }]);
    contract('b.yaml', 'group: b\ncaptures: ["rec/c*"]\n');
    expect((await run()).sequences.map((s) => `${s.group} ${s.name}`)).toEqual(['a rec/drifted', 'b rec/clean']);
    contract('b.yaml', 'group: b\ncaptures: ["rec/*"]\n');
    const tie = await run();
    expect(tie.conflicts.map((c) => c.capture)).toEqual(['rec/clean', 'rec/drifted']);
    expect(tie.conflicts[0].contracts).toEqual([path.join(dir, 'contracts', 'a.yaml'), path.join(dir, 'contracts', 'b.yaml')]);
    expect(tie.sequences).toEqual([]);
  });

  it('says first how much it compared, and fails under the coverage the contracts ask for', async () => {
    // A third capture at a version older than the twin shapes (the floor is 2020-08-27): held, not compared.
    const old = JSON.parse(JSON.stringify(clean)) as Capture;
    for (const i of old.interactions) i.request.stripe_version = '2019-12-03';
    writeCapture(path.join(dir, 'captures'), { ...old, name: 'rec/old' });
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\n${DECLARED}`);
    const ok = await run();
    expect(ok.coverage).toEqual({ held: 21, compared: 14, unsupported: 0, needsState: 0, cannotShape: 7, objectsOnly: 0 });
    expect(ok.sequences.flatMap((s) => s.undeclared.map((f) => `${s.name} ${f.kind} ${f.field} ${f.expected} ${f.actual}`))).toEqual([]);
    expect(ok.failures).toEqual([]);
    expect(summary(ok).split('\n')[0]).toBe(
      'Coverage: compared 14 of the 21 recorded interactions (66.7%); not compared: 0 unsupported by the twin, 0 needing state made before the capture, 7 recorded at versions the twin cannot shape.',
    );
    contract('common.yaml', 'group: common\nshared: true\ncoverage: 0.7\n');
    expect((await run()).failures).toEqual(['coverage 66.7% is under the 70.0% the contracts ask for']);
    contract('common.yaml', 'group: common\nshared: true\ncoverage: 0.6\n');
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\ncoverage: 0.9\n${DECLARED}`);
    expect((await run()).failures).toEqual(['group recorded: coverage 66.7% is under its contract\'s 90.0%']);
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\ncoverage: 2\n`);
    await expect(run()).rejects.toThrow(/coverage is the least share/);
  });

  it('fails when it compares nothing, or what it was told to compare does not exist', async () => {
    const failures = async (options: { captures?: string; contracts?: string; only?: string }) =>
      (await verify({ captures: path.join(dir, 'captures'), contracts: path.join(dir, 'contracts'), ...options })).failures;
    expect(await failures({})).toEqual([`no contracts folder ${path.join(dir, 'contracts')}`]);
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\n${DECLARED}`);
    expect(await failures({})).toEqual([]);
    const nothing = await verify({ captures: path.join(dir, 'captures'), contracts: path.join(dir, 'contracts'), only: 'recroded' });
    expect(summary(nothing).split('\n').pop()).toMatch(/^overall fidelity: none of 0 fields, over 0 of 0 interactions .*; the gate FAILS \(2 reasons above\)$/);
    expect(await failures({ only: 'recroded' })).toEqual(['no contract has group "recroded" (groups: recorded)', 'compared nothing: no interaction of the captures ran against the twin']);
    expect(await failures({ captures: path.join(dir, 'nowhere') })).toEqual([
      `no captures folder ${path.join(dir, 'nowhere')}`,
      'compared nothing: no interaction of the captures ran against the twin',
      `${path.join(dir, 'contracts', 'recorded.yaml')}: no capture matches "rec/*"`,
    ]);
    // Every interaction unsupported (here: a capture whose requests the twin answers 501): nothing compared.
    const unsupported = JSON.parse(JSON.stringify(clean)) as Capture;
    unsupported.interactions = unsupported.interactions.slice(0, 1).map((i) => ({ ...i, request: { ...i.request, method: 'POST', path: '/v1/issuing/cards', params: {} } }));
    fs.rmSync(path.join(dir, 'captures'), { recursive: true });
    writeCapture(path.join(dir, 'captures'), { ...unsupported, name: 'rec/issuing' });
    contract('recorded.yaml', 'group: recorded\ncaptures: ["rec/*"]\ndivergences:\n  - {kind: [unsupported, events], reason: issuing is not modeled, owner: "#1"}\n');
    expect(await failures({})).toEqual(['compared nothing: no interaction of the captures ran against the twin']);
  });

  it('refuses a divergence without a reason or an owner', async () => {
    contract('recorded.yaml', 'group: recorded\ncaptures: ["rec/*"]\ndivergences:\n  - {kind: status}\n');
    await expect(run()).rejects.toThrow(/needs a reason and an owner/);
  });

  it('exits 1 from the CLI on undeclared drift and 0 once it is declared, writing the reports', async () => {
    const cli = (report: string) =>
      promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'verify', '--captures', 'captures', '--contracts', 'contracts', '--report', report], { cwd: dir });
    contract('recorded.yaml', 'group: recorded\ncaptures: ["rec/*"]\n');
    await expect(cli('r1')).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('Undeclared drift:') });
    contract('recorded.yaml', `group: recorded\ncaptures: ["rec/*"]\n${DECLARED}`);
    const { stdout } = await cli('r2');
    expect(stdout).toMatch(/overall fidelity: [\d.]+% of \d+ fields/);
    expect(fs.existsSync(path.join(dir, 'r2', 'index.html'))).toBe(true);
  });

  it('passes over the committed corpus: every finding is declared, every contract glob names a capture, no capture is claimed twice', async () => {
    const result = await verify({ captures: path.join(ROOT, 'captures'), contracts: path.join(ROOT, 'contracts') });
    expect(result.sequences.filter((s) => s.undeclared.length).map((s) => `${s.name}: ${s.undeclared.map((f) => `${f.kind} ${f.field ?? ''}`).join(', ')}`)).toEqual([]);
    expect(result.missingCaptures).toEqual([]);
    expect(result.conflicts).toEqual([]);
    expect(result.sequences.length).toBe(fs.readdirSync(path.join(ROOT, 'captures'), { recursive: true }).filter((f) => String(f).endsWith('.yaml')).length);
  });
});
