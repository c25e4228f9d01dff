import { RawCapture } from '../normalize';
import { isRecord } from './common';

// Loose JSON: Stripe objects and webhook events saved one per file (test
// fixtures such as dj-stripe's tests/fixtures or a webhook payload folder). A
// file becomes a capture with no interactions and `objects: [the object]`; an
// event also lists its `type` in `events` and its `api_version` in provenance.
// A file holding a JSON array of Stripe objects gives one capture with them all.

const isStripeObject = (v: unknown): v is Record<string, unknown> => isRecord(v) && typeof v.object === 'string';

export function isStripeJson(doc: unknown): boolean {
  if (isStripeObject(doc)) return true;
  return Array.isArray(doc) && doc.length > 0 && doc.every(isStripeObject);
}

export function importJson(doc: unknown, name: string, provenance: RawCapture['provenance']): RawCapture {
  if (!isStripeJson(doc)) throw new Error('not a Stripe object or event (no "object" field)');
  const objects = (Array.isArray(doc) ? doc : [doc]) as Record<string, unknown>[];
  const events: string[] = [];
  const versions = [...(provenance.api_versions ?? [])];
  for (const o of objects) {
    if (o.object !== 'event') continue;
    if (typeof o.type === 'string') events.push(o.type);
    if (typeof o.api_version === 'string' && !versions.includes(o.api_version)) versions.push(o.api_version);
  }
  const raw: RawCapture = {
    name,
    provenance: { ...provenance, format: 'json', api_versions: versions },
    interactions: [],
    objects,
  };
  if (events.length) raw.events = events;
  return raw;
}
