import fs from 'node:fs';
import Stripe from 'stripe';
import YAML from 'yaml';
import { encodeForm } from '../engine/form';
import { decodeSdkRequest } from './replay';
import { BufferedResponse } from './response';
import { Capture } from '../contract/capture';
import { normalize, RawInteraction } from '../contract/normalize';

// The recorder: runs a scenario (ordered steps, as in Stripe CLI fixtures) through
// the official SDK against real Stripe test mode — or any base URL, such as a
// twin — with a recording httpClient, lists the events the scenario caused, and
// normalizes the traffic into a capture.

export interface ScenarioStep {
  /** How later steps refer to this step's response: `${name:json.path}`. */
  name?: string;
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  params?: Record<string, unknown>;
  /** Recorded as part of the scenario even if Stripe answers with an error. */
  expect_error?: boolean;
}

export interface Scenario {
  name: string;
  description?: string;
  api_version?: string;
  steps: ScenarioStep[];
}

export interface RecordOptions {
  key: string;
  /** Default https://api.stripe.com; e.g. http://127.0.0.1:12111 for a twin. */
  baseUrl?: string;
  scrubEmails?: boolean;
  /** Skip listing events afterwards. */
  noEvents?: boolean;
}

export function loadScenario(file: string): Scenario {
  const scenario = YAML.parse(fs.readFileSync(file, 'utf8')) as Scenario;
  if (!scenario?.name || !Array.isArray(scenario.steps) || !scenario.steps.length) {
    throw new Error(`${file}: a scenario needs a name and a list of steps`);
  }
  return scenario;
}

const REFERENCE = /\$\{([A-Za-z0-9_-]+):([^}]+)\}/g;

/** Resolves `${step:json.path}` references against earlier responses. */
export function resolveReferences<T>(value: T, responses: Map<string, unknown>): T {
  const lookup = (step: string, path: string): unknown => {
    if (!responses.has(step)) throw new Error(`reference to unknown step "${step}"`);
    let v: any = responses.get(step);
    for (const part of path.split('.')) v = v?.[part];
    if (v === undefined) throw new Error(`\${${step}:${path}} is not in that step's response`);
    return v;
  };
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\$\{([A-Za-z0-9_-]+):([^}]+)\}$/.exec(v);
      if (whole) return lookup(whole[1], whole[2]);
      return v.replace(REFERENCE, (_m, step: string, path: string) => String(lookup(step, path)));
    }
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]));
    return v;
  };
  return visit(value) as T;
}

/** An httpClient that records every exchange the SDK makes through the real node client. */
class RecordingHttpClient extends Stripe.HttpClient {
  readonly exchanges: RawInteraction[] = [];
  private readonly inner = Stripe.createNodeHttpClient();

  constructor(private readonly clock: () => number) {
    super();
  }

  override getClientName(): string {
    return 'stripe-twin-recorder';
  }

  override async makeRequest(
    host: string,
    port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
    protocol: string,
    timeout: number,
  ): Promise<any> {
    const response = await this.inner.makeRequest(host, port, path, method, headers as any, requestData, protocol, timeout);
    // Read once: the capture keeps the parsed body, the SDK gets it back as text.
    const body = await response.toJSON();
    const status = response.getStatusCode();
    const responseHeaders = response.getHeaders() as Record<string, string>;
    const { params } = decodeSdkRequest(method, path, headers, requestData);
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) flat[k] = Array.isArray(v) ? v.join(', ') : String(v);
    this.exchanges.push({
      request: { method, path: new URL(path, `${protocol}://${host}`).pathname, params, headers: flat },
      response: { status, headers: responseHeaders, body },
      recordedAt: this.clock(),
    });
    return new BufferedResponse(status, responseHeaders, JSON.stringify(body));
  }
}

export async function record(scenario: Scenario, options: RecordOptions): Promise<Capture> {
  if (/^(sk|rk)_live_/.test(options.key)) throw new Error('record refuses live-mode keys: use a test-mode key (sk_test_…)');
  if (!/^(sk|rk)_test_/.test(options.key)) throw new Error('record needs a test-mode secret or restricted key (sk_test_… or rk_test_…)');
  const base = new URL(options.baseUrl ?? 'https://api.stripe.com');
  // The recorder is a face: it may read the wall clock to date what it records.
  const clock = () => Math.floor(Date.now() / 1000);
  const recorder = new RecordingHttpClient(clock);
  const stripe = new Stripe(options.key, {
    httpClient: recorder,
    host: base.hostname,
    port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
    protocol: base.protocol.replace(':', '') as 'http' | 'https',
    maxNetworkRetries: 0,
    ...(scenario.api_version ? { apiVersion: scenario.api_version as any } : {}),
  });
  const responses = new Map<string, unknown>();
  for (const [i, step] of scenario.steps.entries()) {
    const params = resolveReferences(step.params ?? {}, responses);
    const method = step.method ?? 'POST';
    let path = resolveReferences(step.path, responses);
    // The SDK takes GET and DELETE parameters in the path.
    if (method !== 'POST' && Object.keys(params).length) path += `?${encodeForm(params)}`;
    try {
      const body = await stripe.rawRequest(method, path, method === 'POST' ? params : undefined);
      if (step.name) responses.set(step.name, body);
    } catch (e) {
      if (!step.expect_error) throw new Error(`step ${i + 1} (${method} ${path}) failed: ${(e as Error).message}`);
      if (step.name) responses.set(step.name, (e as any).raw ?? {});
    }
  }
  const exchanges = [...recorder.exchanges];
  const requestIds = new Set(exchanges.map((x) => x.response.headers['request-id']).filter(Boolean));
  let events: string[] = [];
  if (!options.noEvents && exchanges.length) {
    // Events the scenario caused: those of its requests, and automatic follow-ups
    // (no request) made since it began by the server's clock.
    const created = exchanges.map((x) => (x.response.body as any)?.created).filter((t): t is number => typeof t === 'number');
    const since = created.length ? Math.min(...created) : 0;
    for await (const e of stripe.events.list({ created: { gte: since }, limit: 100 })) {
      if (e.request?.id ? requestIds.has(e.request.id) : true) events.push(e.type);
    }
  }
  return normalize(
    {
      name: scenario.name,
      provenance: {
        source: `stripe-twin record of scenario "${scenario.name}" against ${base.origin}`,
        format: 'recorder',
        recorded: new Date(clock() * 1000).toISOString().slice(0, 10),
        notes: scenario.description,
      },
      interactions: exchanges,
      events,
    },
    { scrubEmails: options.scrubEmails },
  );
}
