import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Matcher, wildcard } from '../engine/list';
import { listCaptures, readCapture } from './capture';
import { diffCapture, FieldTally, Finding, SequenceResult } from './diff';
import { comparedOf, GROUP_COLUMNS, renderHtmlReport } from './report';

// `stripe-twin verify`: runs every contract's capture sequences against the
// twin, sets the findings against each contract's declared divergences, and
// fails when anything drifts that no divergence declares. It says first how much
// of what it holds it compared, and fails when that is nothing, or less than the
// contracts ask, or when what it was told to compare does not exist.

export interface Divergence {
  kind?: string | string[];
  object?: string;
  /** Glob on the dotted field path (or header name). */
  field?: string;
  /** Glob on `METHOD /path` (ids as tokens). */
  request?: string;
  /** Glob on capture names. */
  capture?: string;
  /**
   * Only captures recorded before this day (YYYY-MM-DD): a field Stripe added
   * later is missing from older recordings at every version (docs/versions.md:
   * additive changes are not gated), so old captures are compared by date.
   */
  recorded_before?: string;
  reason: string;
  /** The issue that owns closing it. */
  owner: string;
}

export interface Contract {
  group: string;
  description?: string;
  /** Divergences of a shared contract apply to every group; it runs no captures. */
  shared?: boolean;
  captures: string[];
  divergences?: Divergence[];
  /**
   * Objects the recording account had before a capture began (a plan, a coupon
   * made by hand years earlier), read off the capture's own responses: seeded
   * through the control surface's seed before the captures the glob names run.
   */
  state?: { capture: string; reason: string; seed: Record<string, any[]> }[];
  /**
   * The least share of the interactions held that must be compared (0–1): of the
   * group's, or of all of them for a shared contract. Under it, the gate fails.
   */
  coverage?: number;
  file: string;
}

/** A divergence with its globs compiled, once per contract file. */
export interface DivergenceRule {
  divergence: Divergence;
  kinds?: string[];
  object?: string;
  field?: Matcher;
  request?: Matcher;
  capture?: Matcher;
}

/** A contract as loaded: its divergences ready to match findings. */
export interface LoadedContract extends Contract {
  rules: DivergenceRule[];
}

export interface GroupSummary {
  group: string;
  sequences: number;
  ran: number;
  /** Interactions recorded at versions the twin cannot shape yet (whole sequences count all theirs). */
  cannotShape: number;
  noRequests: number;
  interactions: number;
  exact: number;
  shapeEqual: number;
  drifted: number;
  unsupported: number;
  needsState: number;
  undeclared: number;
}

export interface Coverage {
  /** Interactions the captures hold (every sequence with requests). */
  held: number;
  compared: number;
  /** Why the others were not compared. */
  unsupported: number;
  needsState: number;
  cannotShape: number;
  /** Sequences with no requests (recorded objects and events, which feed schemas/): nothing to replay. */
  objectsOnly: number;
  /** The least share the contracts ask for, overall. */
  minimum?: number;
}

export interface VerifyResult {
  groups: GroupSummary[];
  sequences: (SequenceResult & { group: string; undeclared: Finding[]; declared: number })[];
  scores: Record<string, FieldTally & { score: number }>;
  overall: FieldTally & { score: number };
  unusedDivergences: (Divergence & { contract: string })[];
  missingCaptures: { contract: string; pattern: string }[];
  /** Captures two contracts claim equally specifically (see assignCaptures): run by neither. */
  conflicts: { capture: string; contracts: string[] }[];
  coverage: Coverage;
  /** Why the gate fails (empty: it passes). */
  failures: string[];
  wallSeconds: number;
}


function rule(d: Divergence): DivergenceRule {
  return {
    divergence: d,
    kinds: d.kind === undefined ? undefined : Array.isArray(d.kind) ? d.kind : [d.kind],
    object: d.object || undefined,
    field: d.field ? wildcard(d.field) : undefined,
    request: d.request ? wildcard(d.request) : undefined,
    capture: d.capture ? wildcard(d.capture) : undefined,
  };
}

export function loadContracts(dir: string): LoadedContract[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const c = YAML.parse(fs.readFileSync(file, 'utf8')) as Contract;
      if (!c?.group || !(c.shared || Array.isArray(c.captures))) throw new Error(`${file}: a contract needs a group and a captures list`);
      if (c.coverage !== undefined && !(typeof c.coverage === 'number' && c.coverage >= 0 && c.coverage <= 1)) {
        throw new Error(`${file}: coverage is the least share of interactions compared, a number from 0 to 1`);
      }
      for (const d of c.divergences ?? []) {
        if (!d.reason || !d.owner) throw new Error(`${file}: every divergence needs a reason and an owner issue`);
      }
      for (const st of c.state ?? []) {
        if (!st.capture || !st.reason || !st.seed) throw new Error(`${file}: every state entry needs a capture glob, a reason and a seed`);
      }
      return { ...c, captures: c.captures ?? [], file, rules: (c.divergences ?? []).map(rule) };
    });
}

function matches(r: DivergenceRule, f: Finding, capture: string, recorded: string | undefined): boolean {
  const before = r.divergence.recorded_before;
  return (
    (!before || (recorded !== undefined && String(recorded) < String(before))) &&
    (!r.kinds || r.kinds.includes(f.kind)) &&
    (!r.object || r.object === f.object) &&
    (!r.field || (f.field !== undefined && r.field.test(f.field))) &&
    (!r.request || r.request.test(f.request)) &&
    (!r.capture || r.capture.test(capture))
  );
}

/**
 * Which contract runs each capture, so no sequence counts twice: the most
 * specific claim wins (the pattern with the most literal characters, so an
 * exact name beats `pay/*`); claims equally specific are a conflict the gate
 * fails on.
 */
function assignCaptures(names: string[], contracts: Contract[], result: VerifyResult): Map<string, Contract> {
  const claims = new Map<string, { contract: Contract; specificity: number }[]>();
  for (const contract of contracts) {
    for (const pattern of contract.captures) {
      const re = wildcard(pattern);
      const hit = names.filter((n) => re.test(n));
      if (!hit.length) result.missingCaptures.push({ contract: contract.file, pattern });
      const specificity = pattern.replace(/\*/g, '').length;
      for (const n of hit) {
        const list = claims.get(n) ?? claims.set(n, []).get(n)!;
        const mine = list.find((c) => c.contract === contract);
        if (!mine) list.push({ contract, specificity });
        else mine.specificity = Math.max(mine.specificity, specificity);
      }
    }
  }
  const owners = new Map<string, Contract>();
  for (const [name, list] of claims) {
    const best = Math.max(...list.map((c) => c.specificity));
    const winners = list.filter((c) => c.specificity === best);
    if (winners.length === 1) owners.set(name, winners[0].contract);
    else result.conflicts.push({ capture: name, contracts: winners.map((c) => c.contract.file) });
  }
  return owners;
}

export async function verify(options: { captures: string; contracts: string; only?: string }): Promise<VerifyResult> {
  const started = Date.now();
  const all = fs.existsSync(options.captures) ? listCaptures(options.captures) : new Map<string, string>();
  const loaded = fs.existsSync(options.contracts) ? loadContracts(options.contracts) : [];
  const shared = loaded.filter((c) => c.shared);
  const contracts = loaded.filter((c) => !c.shared && (!options.only || c.group === options.only));
  const used = new Set<Divergence>();
  const result: VerifyResult = {
    groups: [], sequences: [], scores: {}, overall: { compared: 0, agreed: 0, score: 1 }, unusedDivergences: [], missingCaptures: [], conflicts: [],
    coverage: { held: 0, compared: 0, unsupported: 0, needsState: 0, cannotShape: 0, objectsOnly: 0 }, failures: [], wallSeconds: 0,
  };

  const owners = assignCaptures([...all.keys()], loaded.filter((c) => !c.shared), result);
  const sharedRules = shared.flatMap((c) => c.rules);
  for (const contract of contracts) {
    const names = [...all.keys()].filter((n) => owners.get(n) === contract);
    const rules = [...contract.rules, ...sharedRules];
    const g: GroupSummary = { group: contract.group, sequences: names.length, ran: 0, cannotShape: 0, noRequests: 0, interactions: 0, exact: 0, shapeEqual: 0, drifted: 0, unsupported: 0, needsState: 0, undeclared: 0 };
    for (const name of names) {
      const state = [...shared, contract].flatMap((c) => c.state ?? []).filter((st) => wildcard(st.capture).test(name));
      const seed = state.length ? Object.assign({}, ...state.map((st) => st.seed)) : undefined;
      const capture = readCapture(all.get(name)!);
      const seq = await diffCapture(capture, { state: seed });
      const day = capture.provenance.recorded as unknown;
      const recorded = day instanceof Date ? day.toISOString().slice(0, 10) : day === undefined ? undefined : String(day).slice(0, 10);
      const undeclared: Finding[] = [];
      let declared = 0;
      for (const f of seq.findings) {
        const r = rules.find((x) => matches(x, f, name, recorded));
        if (r) {
          used.add(r.divergence);
          declared++;
        } else undeclared.push(f);
      }
      if (seq.outcome === 'no-requests') g.noRequests++;
      else if (seq.outcome === 'ran') g.ran++;
      for (const i of seq.interactions) {
        g.interactions++;
        if (i.verdict === 'exact') g.exact++;
        else if (i.verdict === 'shape-equal') g.shapeEqual++;
        else if (i.verdict === 'unsupported') g.unsupported++;
        else if (i.verdict === 'needs-state') g.needsState++;
        else if (i.verdict === 'cannot-shape') g.cannotShape++;
        else g.drifted++;
      }
      g.undeclared += undeclared.length;
      for (const [type, t] of Object.entries(seq.fields)) {
        const s = (result.scores[type] ??= { compared: 0, agreed: 0, score: 1 });
        s.compared += t.compared;
        s.agreed += t.agreed;
      }
      result.sequences.push({ ...seq, group: contract.group, undeclared, declared });
    }
    result.groups.push(g);
  }
  for (const contract of [...contracts, ...shared]) {
    for (const d of contract.divergences ?? []) if (!used.has(d)) result.unusedDivergences.push({ ...d, contract: contract.file });
  }
  for (const s of Object.values(result.scores)) {
    s.score = s.compared ? s.agreed / s.compared : 1;
    result.overall.compared += s.compared;
    result.overall.agreed += s.agreed;
  }
  result.overall.score = result.overall.compared ? result.overall.agreed / result.overall.compared : 1;
  judge(result, options, loaded, all.size);
  result.wallSeconds = (Date.now() - started) / 1000;
  return result;
}

/** Coverage, and every reason the gate fails. */
function judge(result: VerifyResult, options: { captures: string; contracts: string; only?: string }, loaded: LoadedContract[], captures: number): void {
  const c = result.coverage;
  for (const g of result.groups) {
    c.held += g.interactions;
    c.compared += comparedOf(g);
    c.unsupported += g.unsupported;
    c.needsState += g.needsState;
    c.cannotShape += g.cannotShape;
    c.objectsOnly += g.noRequests;
  }
  const minimum = loaded.filter((x) => x.shared && x.coverage !== undefined).map((x) => x.coverage!);
  if (minimum.length && !options.only) c.minimum = Math.max(...minimum);
  const fail = (why: string) => result.failures.push(why);
  const groups = loaded.filter((x) => !x.shared);
  if (!fs.existsSync(options.captures)) fail(`no captures folder ${options.captures}`);
  else if (!captures) fail(`no captures in ${options.captures}`);
  if (!fs.existsSync(options.contracts)) fail(`no contracts folder ${options.contracts}`);
  else if (!groups.length) fail(`no contracts in ${options.contracts}: nothing says what to compare`);
  if (options.only && groups.length && !groups.some((x) => x.group === options.only)) {
    fail(`no contract has group "${options.only}" (groups: ${groups.map((x) => x.group).join(', ')})`);
  }
  if (groups.length && c.compared === 0) fail('compared nothing: no interaction of the captures ran against the twin');
  const share = (n: number, of: number) => (of ? n / of : 1);
  if (c.minimum !== undefined && share(c.compared, c.held) < c.minimum) {
    fail(`coverage ${pct(share(c.compared, c.held))} is under the ${pct(c.minimum)} the contracts ask for`);
  }
  for (const g of result.groups) {
    const asked = groups.find((x) => x.group === g.group)?.coverage;
    if (asked !== undefined && share(comparedOf(g), g.interactions) < asked) {
      fail(`group ${g.group}: coverage ${pct(share(comparedOf(g), g.interactions))} is under its contract's ${pct(asked)}`);
    }
  }
  const undeclared = result.groups.reduce((n, g) => n + g.undeclared, 0);
  if (undeclared) fail(`${undeclared} undeclared finding${undeclared === 1 ? '' : 's'}`);
  for (const m of result.missingCaptures) fail(`${m.contract}: no capture matches "${m.pattern}"`);
  for (const x of result.conflicts) fail(`${x.capture} is claimed by ${x.contracts.join(' and ')}: name it in one`);
}

export function writeReports(result: VerifyResult, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'index.html'), renderHtmlReport(result));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r.map(String)))].join('\n');
}

/** The text printed by `stripe-twin verify`: coverage first, the fidelity score last. */
export function summary(result: VerifyResult): string {
  const out: string[] = [];
  const c = result.coverage;
  out.push(
    `Coverage: compared ${c.compared} of the ${c.held} recorded interactions (${pct(c.held ? c.compared / c.held : 0)})` +
      `${c.minimum !== undefined ? `, the contracts ask for ${pct(c.minimum)}` : ''}; not compared: ` +
      `${c.unsupported} unsupported by the twin, ${c.needsState} needing state made before the capture, ${c.cannotShape} recorded at versions the twin cannot shape` +
      `${c.objectsOnly ? `; ${c.objectsOnly} sequences hold recorded objects only (they feed schemas/, with no requests to replay)` : ''}.`,
    '',
  );
  out.push(
    table(
      GROUP_COLUMNS.map(([name]) => name),
      result.groups.map((g) => GROUP_COLUMNS.map(([, cell]) => cell(g))),
    ),
  );
  const undeclared = result.sequences.filter((s) => s.undeclared.length);
  if (undeclared.length) {
    out.push('', 'Undeclared drift:');
    for (const s of undeclared) {
      for (const f of s.undeclared.slice(0, 8)) {
        out.push(`  ${s.name} #${f.interaction} ${f.request}: ${f.kind}${f.object ? ` ${f.object}` : ''}${f.field ? ` ${f.field}` : ''}` +
          `${f.expected !== undefined || f.actual !== undefined ? ` (recorded ${short(f.expected)}, twin ${short(f.actual)})` : ''}`);
      }
      if (s.undeclared.length > 8) out.push(`  ${s.name}: … ${s.undeclared.length - 8} more`);
    }
  }
  for (const d of result.unusedDivergences) out.push(`note: ${d.contract}: divergence matched nothing (${d.kind ?? ''} ${d.object ?? ''} ${d.field ?? ''} ${d.request ?? ''}): ${d.reason}`);
  for (const why of result.failures) out.push(`FAIL: ${why}`);
  out.push('', 'Fidelity score (share of compared fields that agree in shape and state):');
  out.push(table(['object', 'fields compared', 'agree', 'score'], Object.entries(result.scores).sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, s]) => [t, s.compared, s.agreed, pct(s.score)])));
  const held = result.coverage;
  const verdict = result.failures.length ? `the gate FAILS (${result.failures.length} reason${result.failures.length === 1 ? '' : 's'} above)` : 'the gate passes';
  out.push(
    '',
    `overall fidelity: ${result.overall.compared ? pct(result.overall.score) : 'none'} of ${result.overall.compared} fields, over ${held.compared} of ${held.held} interactions (${result.sequences.length} sequences in ${result.wallSeconds.toFixed(1)} s); ${verdict}`,
  );
  return out.join('\n');
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
