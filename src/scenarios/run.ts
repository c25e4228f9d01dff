import '../control'; // installs the control surface, faults and the request log into the pipeline
import '../mcp'; // installs the MCP server (/mcp) into the pipeline
import '../x402/install'; // installs the x402 facilitator (/x402/*) the paywall settles through
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import { REQUEST_LOG_SIZE } from '../control/inspect';
import { CONTROL_TOKEN_HEADER, controlTokenOf } from '../control/token';
import { Twin } from '../engine/twin';
import { createHttpServer, listen } from '../server/http';
import { handleRequest } from '../server/pipeline';
import { HttpWebhookDispatcher } from '../server/webhooks';
import { CheckResult, Final, LoggedRequest, PaywallRequest, score } from './checks';
import { ScenarioError } from './errors';
import { Scenario } from './parse';
import type { ServedPaywall } from './paywall';
import { ControlCall, planSeed } from './seed';

// One scored run (docs/scenarios.md): a fresh twin on a free port, seeded from
// the scenario, a session for the agent's key, the agent started as a shell
// command with the session's URLs, key, token and the prompt, stopped at the
// timeout, then the final world scored by the scenario's checks.

export const DEFAULT_TIMEOUT_S = 120;
/** What is kept of the agent's stdout and stderr each (the end of it). */
const OUTPUT_LIMIT = 64 * 1024;

export interface RunOptions {
  /** The agent, a shell command. */
  agent: string;
  /** Seconds before the agent is stopped (overrides the scenario's). */
  timeout?: number;
  cwd?: string;
}

export interface AgentOutcome {
  command: string;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  duration_ms: number;
  stdout: string;
  stderr: string;
}

export interface Report {
  scenario: { name: string; title: string; file: string };
  pass: boolean;
  checks: CheckResult[];
  agent: AgentOutcome;
  session: { id: string; rest_url: string; mcp_url: string; api_key: string };
  /** Brief account ids (`acct_default`) and the twin's accounts they became. */
  accounts: Record<string, string>;
  /** The agent's requests to the twin, oldest first. */
  requests: LoggedRequest[];
  /** The agent's requests to the paid resource, oldest first. */
  paywall: PaywallRequest[];
  /** Event types of the agent's account, oldest first (the seed's included). */
  events: { id: string; type: string; object: string | null }[];
}

/** A JWT (HS256) naming the session: what POME_AUTH_TOKEN looks like; the twin knows it by its session table. */
function sessionToken(sid: string, account: string): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'stripe-twin', sub: sid, account, iat: Math.floor(Date.now() / 1000) })}`;
  return `${body}.${crypto.createHmac('sha256', crypto.randomBytes(32)).update(body).digest('base64url')}`;
}

/** Keeps the last `limit` characters of a stream. */
function tail(limit: number) {
  let text = '';
  return {
    add: (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > limit * 2) text = text.slice(-limit);
    },
    get: () => text.slice(-limit),
  };
}

function runAgent(command: string, env: NodeJS.ProcessEnv, prompt: string, timeoutS: number, cwd: string): Promise<AgentOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout stops the agent and whatever it started.
    const child = spawn(command, { shell: true, detached: true, env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = tail(OUTPUT_LIMIT);
    const err = tail(OUTPUT_LIMIT);
    child.stdout.on('data', out.add);
    child.stderr.on('data', err.add);
    child.stdin.on('error', () => undefined); // an agent that never reads its stdin
    child.stdin.end(`${prompt}\n`);
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutS * 1000);
    // The agent's group is detached from the terminal's: interrupting the run stops it too.
    const interrupted = (signal: NodeJS.Signals) => {
      killGroup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    child.on('error', (e) => err.add(Buffer.from(`${e.message}\n`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      killGroup(); // children left behind by the agent
      resolve({ command, exit_code: code, signal, timed_out: timedOut, duration_ms: Math.round(performance.now() - started), stdout: out.get(), stderr: err.get() });
    });
  });
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<Report> {
  const plan = planSeed(scenario.seed);
  const agentKey = scenario.config.api_key ?? plan.keys[0].key;
  const agentEntry = plan.keys.find((k) => k.key === agentKey);
  if (!agentEntry) throw new ScenarioError(`${scenario.file}: ## Config: api_key ${agentKey} is not one of the seed's api_keys`);

  const twin = new Twin({ seed: scenario.config.seed ?? scenario.name });
  twin.dispatcher = new HttpWebhookDispatcher();
  const server = createHttpServer(twin);
  const { url, port } = await listen(server, 0, '127.0.0.1');
  twin.setPublicUrl(url);
  let paywall: ServedPaywall | null = null;
  try {
    const host = `127.0.0.1:${port}`;
    const send = (method: string, path: string, headers: Record<string, string>, body: string) =>
      handleRequest(twin, { method, url: path, headers: { host, ...headers }, readBody: async () => Buffer.from(body) });
    // Control calls carry the control token, and name the scenario account's world by its key unless they say otherwise.
    const primary = plan.accounts.get(agentEntry.account_id)!;
    const control = async (c: ControlCall, what: string) => {
      const headers = { [CONTROL_TOKEN_HEADER.toLowerCase()]: controlTokenOf(twin), authorization: `Bearer ${primary}`, 'content-type': 'application/json' };
      const res = await send(c.method, c.path, headers, c.method === 'GET' ? '' : JSON.stringify(c.body));
      const json = res.body ? JSON.parse(res.body) : null;
      if (res.status >= 300) throw new ScenarioError(`${scenario.file}: ${what}: ${c.method} ${c.path} answered ${res.status}: ${json?.error?.message ?? res.body}`);
      return json;
    };
    // The seed, the states it names, the faults, then the scenario's own setup calls.
    await control(plan.seed, '## Seed State');
    for (const a of plan.api) {
      const form = new URLSearchParams(a.params as Record<string, string>).toString();
      const res = await send(a.method, a.path, { authorization: `Bearer ${a.key}`, 'content-type': 'application/x-www-form-urlencoded' }, form);
      if (res.status >= 300) throw new ScenarioError(`${scenario.file}: ## Seed State: ${a.method} ${a.path} answered ${res.status}: ${res.body}`);
    }
    for (const f of plan.faults) await control(f, '## Seed State: failure_injection');
    for (const s of scenario.config.setup) await control(s, '## Config: setup');

    // The paid resource is the merchant's: the scenario account's, paid through its opening key.
    if (scenario.config.paywall) paywall = await (await import('./paywall')).servePaywall(scenario.config.paywall, url, primary);
    const world = twin.world(agentKey);
    const accounts = Object.fromEntries([...plan.accounts].map(([brief, key]) => [brief, twin.world(key).accountId]));
    // Every key with a sid has a session; the agent's key has one in any case.
    const agentSid = agentEntry.sid ?? (plan.keys.some((k) => k.sid === 'default') ? 'agent' : 'default');
    let agentSession = { id: agentSid, token: '' };
    for (const k of plan.keys) {
      if (k.sid === undefined && k !== agentEntry) continue;
      const id = k.sid ?? agentSid;
      const session = { id, key: k.key, token: sessionToken(id, accounts[k.account_id]) };
      twin.openSession(session);
      if (k === agentEntry) agentSession = session;
    }
    const requestLog = (limit: number) => control({ method: 'GET', path: `/__admin__/requests?limit=${limit}`, body: {} }, 'the request log');
    const baseline = (await requestLog(1)).total as number;

    const restUrl = `${url}/s/${agentSession.id}`;
    const mcpUrl = `${restUrl}/mcp${scenario.config.tools ? `/${scenario.config.tools}` : ''}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STRIPE_TWIN_URL: url,
      STRIPE_TWIN_REST_URL: restUrl,
      STRIPE_TWIN_MCP_URL: mcpUrl,
      STRIPE_TWIN_SESSION_TOKEN: agentSession.token,
      STRIPE_API_KEY: agentKey,
      STRIPE_SECRET_KEY: agentKey,
      STRIPE_TWIN_PROMPT: scenario.prompt,
      POME_STRIPE_REST_URL: restUrl,
      POME_STRIPE_API_BASE: restUrl,
      POME_STRIPE_MCP_URL: mcpUrl,
      POME_AUTH_TOKEN: agentSession.token,
      POME_STRIPE_API_KEY: agentKey,
      ...(paywall ? paywall.env : {}),
    };
    const timeout = options.timeout ?? scenario.config.timeout ?? DEFAULT_TIMEOUT_S;
    const agent = await runAgent(options.agent, env, scenario.prompt, timeout, options.cwd ?? process.cwd());

    const log = await requestLog(REQUEST_LOG_SIZE);
    const requests: LoggedRequest[] = (log.data as LoggedRequest[])
      .slice(0, Math.max(0, log.total - baseline))
      .reverse()
      .map(({ id, method, path, status, idempotency_key, replayed, fault }) => ({ id, method, path, status, idempotency_key, replayed, fault }));
    const paid = paywall ? paywall.log : [];
    const final: Final = {
      objects: (type) => world.idsOf(type).map((id) => world.get(id)!).filter(Boolean),
      get: (id) => world.get(id),
      requests,
      paywall: paid,
      output: agent.stdout,
    };
    const checks = score(scenario.criteria, final);
    if (agent.timed_out) checks.unshift({ name: 'agent finished in time', pass: false, reason: `the agent was stopped after ${timeout} s` });
    return {
      scenario: { name: scenario.name, title: scenario.title, file: scenario.file },
      pass: checks.every((c) => c.pass),
      checks,
      agent,
      session: { id: agentSession.id, rest_url: restUrl, mcp_url: mcpUrl, api_key: agentKey },
      accounts,
      requests,
      paywall: paid,
      events: final.objects('event').map((e) => ({ id: e.id, type: e.type, object: e.data?.object?.id ?? null })),
    };
  } finally {
    await paywall?.close();
    await closeServer(server);
  }
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
