import YAML from 'yaml';
import { headerValue } from '../capture';
import { RawCapture, RawInteraction } from '../normalize';
import { ApiOptions, decodeContent, jsonBody, recordedDate, requestParams, stripeUrl, unixSeconds } from './common';

// Ruby VCR cassettes (as in pay-rails/pay's test/vcr_cassettes): YAML with
// http_interactions of {request: {method, uri, body: {string}, headers},
// response: {status: {code}, headers, body: {string}}, recorded_at}.
// A body VCR could not store as text is `base64_string`, of the bytes as sent
// (still compressed when the headers name a Content-Encoding).

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

function bodyText(body: VcrBody | undefined, bodyHeaders: Record<string, string | undefined>): string | undefined {
  if (!body) return undefined;
  if (body.base64_string !== undefined) return decodeContent(Buffer.from(body.base64_string, 'base64'), headerValue(bodyHeaders, 'Content-Encoding'));
  return body.string;
}

export function isVcr(text: string): boolean {
  return /^\s*(---\s*)?http_interactions:/m.test(text);
}

/** Only Stripe API traffic (common.ts stripeUrl) is kept (cassettes sometimes hold other hosts). */
export function importVcr(text: string, name: string, provenance: RawCapture['provenance'], api: ApiOptions = {}): RawCapture {
  const doc = YAML.parse(text) as { http_interactions?: VcrInteraction[] };
  const interactions: RawInteraction[] = [];
  for (const i of doc.http_interactions ?? []) {
    const url = stripeUrl(i.request.uri, undefined, api);
    if (!url) continue;
    const requestHeaders = headers(i.request.headers);
    const responseHeaders = headers(i.response.headers);
    const method = i.request.method.toUpperCase();
    interactions.push({
      request: {
        method,
        path: url.pathname,
        params: requestParams(method, url, bodyText(i.request.body, requestHeaders)),
        headers: requestHeaders,
      },
      response: { status: i.response.status.code, headers: responseHeaders, body: jsonBody(bodyText(i.response.body, responseHeaders)) },
      recordedAt: unixSeconds(i.recorded_at),
    });
  }
  return {
    name,
    provenance: { ...provenance, format: 'vcr', recorded: recordedDate(interactions.map((i) => i.recordedAt)) ?? provenance.recorded },
    interactions,
  };
}
