import { docUrl, ErrorFields } from './errors';

// Response bodies byte for byte as Stripe prints them (docs/stripe-facts.md §1.2):
// two-space indentation, raw UTF-8, no escaped slashes; a success body ends at its
// closing brace, an error body with one newline. Objects are built with Stripe's
// key order (id, object, then alphabetical), so printing is plain JSON.stringify.

export function renderBody(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** `{"error": {...}}` with keys in alphabetical order (or as built: E41), doc_url and request_log_url filled in. */
export function renderError(fields: ErrorFields, requestLogUrl: string | null, keyOrder: 'sorted' | 'as-built' = 'sorted'): string {
  const error: Record<string, unknown> = { ...fields };
  if (fields.code && !('doc_url' in error)) error.doc_url = docUrl(fields.code);
  if (requestLogUrl) error.request_log_url = requestLogUrl;
  const sorted: Record<string, unknown> = {};
  const keys = Object.keys(error);
  for (const key of keyOrder === 'sorted' ? keys.sort() : keys) if (error[key] !== undefined) sorted[key] = error[key];
  return `${JSON.stringify({ error: sorted }, null, 2)}\n`;
}

/** The 2026 form of request_log_url (docs/stripe-facts.md §1.6). */
export function requestLogUrl(accountId: string, requestId: string): string {
  return `https://dashboard.stripe.com/${accountId}/test/workbench/logs?object=${requestId}`;
}

/** A copy of `obj` with `key` set, placed where Stripe prints it (id, object, then alphabetical). */
export function withKey(obj: Record<string, unknown>, key: string, value: unknown): any {
  if (key in obj) return { ...obj, [key]: value };
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const k of Object.keys(obj)) {
    if (!placed && k !== 'id' && k !== 'object' && k > key) {
      out[key] = value;
      placed = true;
    }
    out[k] = obj[k];
  }
  if (!placed) out[key] = value;
  return out;
}
