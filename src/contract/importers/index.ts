import fs from 'node:fs';
import path from 'node:path';
import { Capture, Provenance, writeCapture } from '../capture';
import { normalize, RawCapture } from '../normalize';
import { ApiOptions } from './common';
import { importHar, isHar } from './har';
import { importJson, isStripeJson } from './json';
import { importNock, isNock } from './nock';
import { importVcr, isVcr } from './vcr';

// `stripe-twin import`: a file or a folder (recursively) of recordings in any
// format the importers read, each file normalized into one capture named
// `<prefix>/<its path under the source folder>` and written under `out`.

export type ImportFormat = 'vcr' | 'har' | 'nock' | 'json';

export interface ImportOptions {
  /** The captures folder; a capture named `pay/x` is written to `<out>/pay/x.yaml`. */
  out: string;
  /** Prefix for capture names; the source folder's base name by default. */
  name?: string;
  scrubEmails?: boolean;
  /** Also keep traffic to this origin, a twin the recording was made against (common.ts ApiOptions). */
  baseUrl?: string;
  /** Applied to every capture; `path` is the source folder's path in its repository (each file's is appended). */
  provenance: Partial<Provenance>;
  onProgress?: (done: number, total: number) => void;
  /** Where warnings about skipped files go (stderr by default). */
  onWarning?: (file: string, reason: string) => void;
  /** Called with each capture written and its file. */
  onCapture?: (capture: Capture, file: string) => void;
}

type RawProvenance = RawCapture['provenance'];

/** Reads one file's recording, or says why it cannot. */
export function detectAndImport(
  file: string,
  text: string,
  name: string,
  provenance: RawProvenance,
  api: ApiOptions = {},
): { raw: RawCapture; format: ImportFormat } | { skip: string } {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml') {
    if (isVcr(text)) return { raw: importVcr(text, name, provenance, api), format: 'vcr' };
    return { skip: 'YAML but not a VCR cassette (no http_interactions)' };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    if (isVcr(text)) return { raw: importVcr(text, name, provenance, api), format: 'vcr' };
    return { skip: 'neither JSON nor a VCR cassette' };
  }
  if (isHar(doc)) return { raw: importHar(doc, name, provenance, api), format: 'har' };
  if (isNock(doc)) return { raw: importNock(doc, name, provenance, api), format: 'nock' };
  if (isStripeJson(doc)) return { raw: importJson(doc, name, provenance), format: 'json' };
  return { skip: 'JSON, but not a HAR log, a nock recording, or a Stripe object or event' };
}

/** The files of a folder, recursively, in name order (not hidden folders or node_modules). */
function listFiles(src: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') walk(full);
      } else if (entry.isFile()) out.push(full);
    }
  };
  walk(src);
  return out;
}

const posix = (p: string) => p.split(path.sep).join('/');
const withoutExt = (p: string) => p.slice(0, p.length - path.extname(p).length);

/** Capture names: `<prefix>/<the file's path under the source folder, without its extension>` (one rule, never two files to a name). */
function captureNames(files: string[], root: string, prefix: string): Map<string, string> {
  return new Map(files.map((f) => [f, `${prefix}/${posix(withoutExt(path.relative(root, f)))}`]));
}

const PROVENANCE_ORDER: Array<keyof Provenance> = ['source', 'repository', 'path', 'commit', 'license', 'format', 'api_versions', 'recorded', 'notes'];

/** Provenance in a fixed key order, without empty fields. */
function tidyProvenance(p: Provenance): Provenance {
  const out: Record<string, unknown> = {};
  for (const k of PROVENANCE_ORDER) if (p[k] !== undefined && p[k] !== '') out[k] = p[k];
  for (const [k, v] of Object.entries(p)) if (!(k in out) && v !== undefined) out[k] = v;
  return out as unknown as Provenance;
}

export function importFile(file: string, name: string, relative: string, options: Omit<ImportOptions, 'out'>): Capture | { skip: string } {
  const given = options.provenance;
  const inRepo = given.path ? posix(path.posix.join(given.path, relative)) : relative;
  const provenance: RawProvenance = {
    source: given.source ?? (given.repository ? `${given.repository}: ${inRepo}` : `imported from ${inRepo}`),
    repository: given.repository,
    path: inRepo,
    commit: given.commit,
    license: given.license,
    format: given.format ?? 'json',
    api_versions: given.api_versions ? [...given.api_versions] : [],
    recorded: given.recorded,
    notes: given.notes,
  };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { skip: `cannot read (${(e as Error).message})` };
  }
  let found: ReturnType<typeof detectAndImport>;
  try {
    found = detectAndImport(file, text, name, provenance, { baseUrl: options.baseUrl });
  } catch (e) {
    return { skip: `cannot parse (${(e as Error).message})` };
  }
  if ('skip' in found) return found;
  const { raw } = found;
  if (!raw.interactions.length && !raw.objects?.length) {
    const hosts = ['api.stripe.com', ...(options.baseUrl ? [new URL(options.baseUrl).origin] : [])].join(' or ');
    return { skip: found.format === 'json' ? 'no objects' : `no traffic to ${hosts}` };
  }
  const capture = normalize(raw, { scrubEmails: options.scrubEmails });
  capture.provenance = tidyProvenance(capture.provenance);
  return capture;
}

export interface ImportResult {
  /** Where the captures went: `<out>/<name>`, the name given or defaulted. */
  folder: string;
  /** The capture files written, in the order of the files read. */
  files: string[];
}

/** Imports `src` (a file or a folder, recursively) into `<out>/<name>`; the name defaults to the folder's (a file's folder's). */
export function importPath(src: string, options: ImportOptions): ImportResult {
  let isDir: boolean;
  try {
    isDir = fs.statSync(src).isDirectory();
  } catch {
    throw new Error(`${src} does not exist`);
  }
  const root = isDir ? src : path.dirname(src);
  const files = isDir ? listFiles(src) : [src];
  const prefix = options.name ?? path.basename(path.resolve(root));
  const names = captureNames(files, root, prefix);
  const warn = options.onWarning ?? ((file: string, reason: string) => process.stderr.write(`warning: skipped ${file}: ${reason}\n`));
  const written: string[] = [];
  files.forEach((file, k) => {
    const result = importFile(file, names.get(file)!, posix(path.relative(root, file)), options);
    if ('skip' in result) warn(file, result.skip);
    else {
      const out = writeCapture(options.out, result);
      written.push(out);
      options.onCapture?.(result, out);
    }
    options.onProgress?.(k + 1, files.length);
  });
  return { folder: path.join(options.out, prefix), files: written };
}
