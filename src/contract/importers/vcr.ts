import YAML from 'yaml';
import { decodeForm, formToPlain } from '../../engine/form';
import { RawCapture, RawInteraction } from '../normalize';

// Ruby VCR cassettes (as in pay-rails/pay's test/vcr_cassettes): YAML with
// http_interactions of {request: {method, uri, body: {string}, headers},
// response: {status: {code}, headers, body: {string}}, recorded_at}.

interface VcrBody {
  encoding?: string;
  string?: string;
  base64_string?: string;
}
interface VcrInteraction {
  request: { method: string; uri: string; body?: VcrBody; headers?: Record<string, string[] | string> };
  response: { status: { code: number }; headers?: Record<string, string[] | string>; body?: VcrBody };
  recorded_at?: string;
}

const first = (v: string[] | string | undefined) => (Array.isArray(v) ? v[0] : v);

function headers(h: Record<string, string[] | string> | undefined): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, first(v)]));
}

function bodyText(body: VcrBody | undefined): string {
  if (!body) return '';
  if (body.base64_string !== undefined) return Buffer.from(body.base64_string, 'base64').toString('utf8');
  return body.string ?? '';
}

function json(text: string): unknown {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function isVcr(text: string): boolean {
  return /^\s*(---\s*)?http_interactions:/m.test(text);
}

/** Only api.stripe.com traffic is kept (cassettes sometimes hold other hosts). */
export function importVcr(text: string, name: string, provenance: RawCapture['provenance']): RawCapture {
  const doc = YAML.parse(text) as { http_interactions?: VcrInteraction[] };
  const interactions: RawInteraction[] = [];
  for (const i of doc.http_interactions ?? []) {
    const url = new URL(i.request.uri);
    if (url.hostname !== 'api.stripe.com') continue;
    const method = i.request.method.toUpperCase();
    const params = method === 'GET' || method === 'DELETE' ? decodeForm(url.search.slice(1)) : decodeForm(bodyText(i.request.body));
    interactions.push({
      request: { method, path: url.pathname, params: formToPlain(params) as Record<string, unknown>, headers: headers(i.request.headers) },
      response: { status: i.response.status.code, headers: headers(i.response.headers), body: json(bodyText(i.response.body)) },
      recordedAt: i.recorded_at ? Math.floor(Date.parse(i.recorded_at) / 1000) : undefined,
    });
  }
  const dates = interactions.map((i) => i.recordedAt).filter((t): t is number => t !== undefined);
  return {
    name,
    provenance: { ...provenance, format: 'vcr', recorded: dates.length ? new Date(Math.min(...dates) * 1000).toISOString().slice(0, 10) : provenance.recorded },
    interactions,
  };
}
