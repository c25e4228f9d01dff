import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// The capture model: an ordered sequence of recorded interactions with real
// Stripe (or the twin), normalized (see normalize.ts), with provenance. One YAML
// file per sequence under captures/, readable in review.
//
// Values that vary by nature are tokens:
//   {{cus_1}}          the first customer id seen in this capture (ids map keeps the original)
//   {{t+86400}}        a timestamp, seconds relative to the capture's base time
//   {{secret}}         a scrubbed secret (API keys, client secret tails, webhook secrets)
//   {{req_1}}          a request id;  {{idem_1}} an idempotency key;  {{email_1}} an email (if asked)

export const CAPTURE_FORMAT = 1;

export type CaptureSource = 'vcr' | 'har' | 'nock' | 'json' | 'recorder';

export interface Provenance {
  /** Where the recording came from, in words (repository and path, or recorder run). */
  source: string;
  repository?: string;
  path?: string;
  commit?: string;
  license?: string;
  format: CaptureSource;
  /** Stripe-Versions the interactions ran under, in order of first use. */
  api_versions: string[];
  /** When it was recorded (ISO date), if known. */
  recorded?: string;
  notes?: string;
}

export interface CaptureRequest {
  method: string;
  /** Path without query string; ids are tokens. */
  path: string;
  /** Decoded form or query parameters (nested objects, arrays, strings). */
  params: Record<string, unknown>;
  stripe_version: string | null;
  idempotency_key: string | null;
  stripe_account: string | null;
}

export interface CaptureResponse {
  status: number;
  /** Only the headers that matter (see HEADERS_THAT_MATTER). */
  headers: Record<string, string>;
  body: unknown;
}

export interface Interaction {
  request: CaptureRequest;
  response: CaptureResponse;
  /** Seconds after the capture's base time, when recorded. */
  at?: number;
}

export interface Capture {
  format: typeof CAPTURE_FORMAT;
  name: string;
  provenance: Provenance;
  interactions: Interaction[];
  /** Objects recorded without their requests (fixtures, webhook payloads). */
  objects?: unknown[];
  /** Event types the sequence caused, when known (a set: Stripe promises no order). */
  events?: string[];
  /** Token → original value, for ids (kept so a reader can trace a token back). */
  ids: Record<string, string>;
}

/** Response headers a capture keeps; the rest (Date, CSP, Content-Length, ...) vary or do not matter. */
export const HEADERS_THAT_MATTER = [
  'Content-Type',
  'Idempotency-Key',
  'Idempotent-Replayed',
  'Original-Request',
  'Request-Id',
  'Stripe-Account',
  'Stripe-Should-Retry',
  'Stripe-Version',
  'Www-Authenticate',
];

const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

export function captureToYaml(capture: Capture): string {
  return YAML.stringify(capture, YAML_OPTIONS);
}

export function captureFromYaml(text: string): Capture {
  const capture = YAML.parse(text) as Capture;
  if (!capture || capture.format !== CAPTURE_FORMAT || !Array.isArray(capture.interactions)) {
    throw new Error('not a stripe-twin capture (format 1)');
  }
  return capture;
}

export function writeCapture(dir: string, capture: Capture): string {
  const file = path.join(dir, `${capture.name}.yaml`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, captureToYaml(capture));
  return file;
}

export function readCapture(file: string): Capture {
  return captureFromYaml(fs.readFileSync(file, 'utf8'));
}

/** Every capture file below `dir`, by name (path relative to `dir`, without `.yaml`). */
export function listCaptures(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.yaml')) out.set(path.relative(dir, full).replace(/\\/g, '/').replace(/\.yaml$/, ''), full);
    }
  };
  walk(dir);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A header by name, whatever its case (recordings and SDKs spell them differently); arrays joined. */
export function headerValue(headers: Record<string, string | number | string[] | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === lower && v !== undefined) return Array.isArray(v) ? v.join(', ') : String(v);
  }
  return undefined;
}
