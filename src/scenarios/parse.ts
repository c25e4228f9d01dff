import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Check, parseChecks } from './checks';
import { ScenarioError } from './errors';

// A scenario file (docs/scenarios.md): Markdown with a `# Title`, then the
// sections `## Config`, `## Seed State`, `## Prompt` and `## Success Criteria`.
// Config, Seed State and Success Criteria are JSON or YAML, in a fenced code
// block or as the section's text; the Prompt is the section's text (or its
// fenced block) as written. Other sections (a description, notes) are kept for
// people and ignored.

export { ScenarioError };

export interface PaywallConfig {
  /** The paid resource's path on the paywall server, e.g. `/premium`. */
  path: string;
  /** Its price in dollars, e.g. `"$0.01"`. */
  price: string;
  /** The payment protocol: `x402` (v1 and v2 both answered). */
  protocol: 'x402';
  /** `base-sepolia` (default) or `base`. */
  network?: 'base-sepolia' | 'base';
  /** What the resource answers once paid (JSON). */
  body?: unknown;
  description?: string;
}

export interface ScenarioConfig {
  /** Brief 000's `twins: ["stripe"]` (docs/agents.md §8); only the Stripe twin is served. */
  twins: string[];
  /** Seconds the agent has before it is stopped (default 120). */
  timeout?: number;
  /** The MCP tool set of STRIPE_TWIN_MCP_URL (default: the twin's default set). */
  tools?: string;
  /** The seeded key the agent gets (default: the first of `api_keys`). */
  api_key?: string;
  /** The id seed: same seed and same requests, same ids (default: the scenario's name). */
  seed?: string;
  /** Control-surface calls run after seeding, before the agent starts: `{"POST /__admin__/world/trigger": {…}}`. */
  setup: { method: string; path: string; body: Record<string, unknown> }[];
  /** A paid resource served beside the twin while the agent runs (STRIPE_TWIN_PAYWALL_URL). */
  paywall?: PaywallConfig;
  /** One line on what the scenario exercises (the catalog's listing). */
  summary?: string;
}

export interface Scenario {
  name: string;
  title: string;
  file: string;
  config: ScenarioConfig;
  seed: Record<string, unknown>;
  prompt: string;
  criteria: Check[];
}

/** `## Heading` sections of a Markdown text, by lower-cased heading; `#` title apart. */
function sections(text: string): { title: string | null; parts: Map<string, string> } {
  const parts = new Map<string, string>();
  let title: string | null = null;
  let current: string | null = null;
  let fence: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (current !== null) parts.set(current, lines.join('\n').trim());
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) fence = fence === null ? f[1] : line.trim().startsWith(fence) ? null : fence;
    const h = fence !== null || f ? null : /^(#{1,2})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h && h[1] === '#' && title === null && current === null) {
      title = h[2];
      continue;
    }
    if (h && h[1] === '##') {
      flush();
      current = h[2].toLowerCase();
      if (parts.has(current)) throw new ScenarioError(`the section "## ${h[2]}" appears twice`);
      continue;
    }
    lines.push(line);
  }
  flush();
  return { title, parts };
}

/** The body of a section's first fenced block, or the section's text when it has none. */
function blockOf(section: string): string {
  const m = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n\s*\1\s*$/m.exec(section);
  return m ? m[2] : section;
}

function data(section: string | undefined, name: string): unknown {
  if (section === undefined || section.trim() === '') return undefined;
  try {
    return YAML.parse(blockOf(section), { uniqueKeys: true });
  } catch (e) {
    throw new ScenarioError(`## ${name}: not JSON or YAML (${(e as Error).message.split('\n')[0]})`);
  }
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `120`, `"120s"`, `"2m"`, `"1500ms"` as seconds. */
export function seconds(value: unknown, what: string): number {
  const m = typeof value === 'number' ? [String(value), String(value), 's'] : typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value) : null;
  const n = m ? Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2] ?? 's'] : NaN;
  if (!(n > 0) || n > 86_400) throw new ScenarioError(`${what}: ${JSON.stringify(value)} is not a duration like 120, "120s" or "2m" (at most a day)`);
  return n;
}

const CONFIG_KEYS = ['twins', 'timeout', 'tools', 'api_key', 'seed', 'setup', 'paywall', 'summary'];

function config(value: unknown): ScenarioConfig {
  if (value === undefined) return { twins: ['stripe'], setup: [] };
  if (!isObject(value)) throw new ScenarioError('## Config must be an object');
  const unknown = Object.keys(value).find((k) => !CONFIG_KEYS.includes(k));
  if (unknown) throw new ScenarioError(`## Config: unknown field "${unknown}" (fields: ${CONFIG_KEYS.join(', ')})`);
  const twins = value.twins ?? ['stripe'];
  if (!Array.isArray(twins) || twins.some((t) => t !== 'stripe')) throw new ScenarioError('## Config: twins must be ["stripe"], the only twin served here');
  for (const k of ['tools', 'api_key', 'seed', 'summary']) {
    if (value[k] !== undefined && typeof value[k] !== 'string') throw new ScenarioError(`## Config: ${k} must be a string`);
  }
  const setup = (value.setup ?? []) as unknown;
  if (!Array.isArray(setup)) throw new ScenarioError('## Config: setup must be a list of {"POST /__admin__/…": {body}} calls');
  const calls = setup.map((call, i) => {
    const entries = isObject(call) ? Object.entries(call) : [];
    const m = entries.length === 1 ? /^(GET|POST|DELETE)\s+(\/__admin__\/\S*)$/.exec(entries[0][0]) : null;
    if (!m || (entries[0][1] !== null && !isObject(entries[0][1]))) {
      throw new ScenarioError(`## Config: setup[${i}] must be one control call like {"POST /__admin__/clock/advance": {"seconds": 86400}}`);
    }
    return { method: m[1], path: m[2], body: (entries[0][1] ?? {}) as Record<string, unknown> };
  });
  let paywall: PaywallConfig | undefined;
  if (value.paywall !== undefined) {
    const p = value.paywall;
    if (!isObject(p) || typeof p.path !== 'string' || !p.path.startsWith('/') || typeof p.price !== 'string' || !/^\$\d+(\.\d+)?$/.test(p.price)) {
      throw new ScenarioError('## Config: paywall must be {path: "/premium", price: "$0.01", protocol: "x402"}');
    }
    if ((p.protocol ?? 'x402') !== 'x402') throw new ScenarioError('## Config: paywall.protocol must be "x402"');
    if (p.network !== undefined && p.network !== 'base-sepolia' && p.network !== 'base') throw new ScenarioError('## Config: paywall.network must be "base-sepolia" or "base"');
    const unknown = Object.keys(p).find((k) => !['path', 'price', 'protocol', 'network', 'body', 'description'].includes(k));
    if (unknown) throw new ScenarioError(`## Config: paywall.${unknown} is not a field (path, price, protocol, network, body, description)`);
    paywall = { path: p.path, price: p.price, protocol: 'x402', network: p.network, body: p.body, description: p.description };
  }
  return {
    twins,
    timeout: value.timeout === undefined ? undefined : seconds(value.timeout, '## Config: timeout'),
    tools: value.tools,
    api_key: value.api_key,
    seed: value.seed,
    setup: calls,
    paywall,
    summary: value.summary,
  };
}

export function parseScenario(text: string, file: string): Scenario {
  const { title, parts } = sections(text);
  for (const required of ['prompt', 'success criteria']) {
    if (!parts.has(required)) throw new ScenarioError(`no "## ${required.replace(/\b\w/g, (c) => c.toUpperCase())}" section`);
  }
  const seed = data(parts.get('seed state'), 'Seed State') ?? {};
  if (!isObject(seed)) throw new ScenarioError('## Seed State must be an object (brief 000\'s {"api_keys": [...], "payment_intents": [...]} or the twin\'s seed sections)');
  const prompt = parts.get('prompt')!;
  const fenced = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n\s*\1\s*$/.exec(prompt);
  const name = path.basename(file).replace(/\.md$/i, '');
  return {
    name,
    title: title ?? name,
    file,
    config: config(data(parts.get('config'), 'Config')),
    seed,
    prompt: (fenced ? fenced[2] : prompt).trim(),
    criteria: parseChecks(data(parts.get('success criteria'), 'Success Criteria')),
  };
}

export function readScenario(file: string): Scenario {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parseScenario(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`${file}: ${e.message}`);
    throw e;
  }
}
