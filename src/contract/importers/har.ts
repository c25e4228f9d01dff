import { headerValue } from '../capture';
import { RawCapture, RawInteraction } from '../normalize';
import { ApiOptions, decodeContent, isRecord, jsonBody, recordedDate, requestParams, stripeUrl, unixSeconds } from './common';

// HAR 1.2 logs as Polly.js persists them (recordings/<name>/recording.har):
// {log: {entries: [{request: {method, url, headers: [{name, value}], postData: {text}},
// response: {status, headers, content: {text, encoding?}}, startedDateTime}]}}.

interface HarHeader {
  name: string;
  value: string;
}
interface HarEntry {
  startedDateTime?: string;
  request: { method: string; url: string; headers?: HarHeader[]; postData?: { text?: string; mimeType?: string } };
  response: { status: number; headers?: HarHeader[]; content?: { text?: string; encoding?: string; mimeType?: string } };
  _order?: number;
}

export function isHar(doc: unknown): boolean {
  return isRecord(doc) && isRecord(doc.log) && Array.isArray(doc.log.entries);
}

function headers(list: HarHeader[] | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const h of list ?? []) if (h && typeof h.name === 'string' && out[h.name] === undefined) out[h.name] = String(h.value);
  return out;
}

function contentText(entry: HarEntry, responseHeaders: Record<string, string | undefined>): string | undefined {
  const content = entry.response.content;
  if (!content || content.text === undefined) return undefined;
  if (content.encoding === 'base64') return decodeContent(Buffer.from(content.text, 'base64'), headerValue(responseHeaders, 'Content-Encoding'));
  return content.text;
}

/** Only Stripe API traffic (common.ts stripeUrl) is kept, in the order of the log (HAR entries are in request order). */
export function importHar(doc: unknown, name: string, provenance: RawCapture['provenance'], api: ApiOptions = {}): RawCapture {
  if (!isHar(doc)) throw new Error('not a HAR log (no log.entries)');
  const entries = (doc as { log: { entries: HarEntry[] } }).log.entries;
  const interactions: RawInteraction[] = [];
  for (const entry of entries) {
    if (!entry?.request?.url || !entry.response) continue;
    const url = stripeUrl(entry.request.url, undefined, api);
    if (!url) continue;
    const responseHeaders = headers(entry.response.headers);
    const method = entry.request.method.toUpperCase();
    interactions.push({
      request: {
        method,
        path: url.pathname,
        params: requestParams(method, url, entry.request.postData?.text),
        headers: headers(entry.request.headers),
      },
      response: { status: entry.response.status, headers: responseHeaders, body: jsonBody(contentText(entry, responseHeaders)) },
      recordedAt: unixSeconds(entry.startedDateTime),
    });
  }
  return {
    name,
    provenance: { ...provenance, format: 'har', recorded: recordedDate(interactions.map((i) => i.recordedAt)) ?? provenance.recorded },
    interactions,
  };
}
