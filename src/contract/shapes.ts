import fs from 'node:fs';
import path from 'node:path';
import { isTimeToken, isToken } from './normalize';

// Shape validation of Stripe response values against the generated schemas
// (schemas/*.json, see schemas.ts): one schema per object type, keyed by the
// value of the `object` field. The diff engine calls validateShape() on every
// response the twin gives; schemas.ts calls the same walker on the captures to
// learn what the spec lacks.
//
// The walker goes through the value and its schema together, so findings carry
// readable dotted paths (ajv's errors under anyOf are not). Every value with a
// string `object` field (the response itself, list items, expanded sub-objects,
// an event's data.object) is checked against its own type's schema; a schema
// refers to other object types through stubs (`x-stub`), so each file stands on
// its own and nested objects are never reported twice.
//
// Capture tokens stand for values that vary by nature: "{{t+86400}}" is a
// timestamp and satisfies an integer schema; "{{cus_1}}" is a string (an id),
// so it satisfies a string or id-or-object schema and is never checked against
// an enum.

/** schemas/ at the repository root, from src/contract (tests) and dist/contract (built). */
export const SHAPE_SCHEMAS_DIR = path.resolve(__dirname, '..', '..', 'schemas');

export type ShapeFindingKind =
  /** A value of a JSON type the schema does not allow. */
  | 'type'
  /** A string outside the schema's enum and outside its x-seen-enum. */
  | 'enum'
  /** A key the schema requires (spec `required`, tightened by captures) is absent. */
  | 'missing-key'
  /** A key neither in the schema's properties nor in its x-seen-keys. */
  | 'unknown-key'
  /** An `object` value no schema describes (neither the spec nor the captures know it). */
  | 'unknown-object';

export interface ShapeFinding {
  kind: ShapeFindingKind;
  /** The object type the finding belongs to: the `object` value of the nearest enclosing object. */
  object: string;
  /** Dotted path from the validated value's root (`latest_charge.outcome.type`, `data.0.customer_account`); '' is the root. */
  path: string;
  /** The schema node involved, as `<file>#<JSON pointer>` (`charge.json#/$defs/charge_outcome/properties/type`). */
  schema: string;
  /** type: the JSON types allowed; enum: the values allowed; missing-key: the key. */
  expected?: string;
  /** type: the JSON type found; enum: the value found; unknown-key: the key. */
  actual?: string;
}

export function formatFinding(f: ShapeFinding): string {
  const at = f.path || '(root)';
  switch (f.kind) {
    case 'type':
      return `${f.object} ${at}: expected ${f.expected}, got ${f.actual}`;
    case 'enum':
      return `${f.object} ${at}: "${f.actual}" is not one of ${f.expected}`;
    case 'missing-key':
      return `${f.object} ${at}: missing (required)`;
    case 'unknown-key':
      return `${f.object} ${at}: unknown key (not in the spec)`;
    case 'unknown-object':
      return `${at}: unknown object type "${f.object}"`;
  }
}

// ---------------------------------------------------------------------------
// Compiled schema nodes

const T_STRING = 1;
const T_INTEGER = 2;
const T_NUMBER = 4;
const T_BOOLEAN = 8;
const T_OBJECT = 16;
const T_ARRAY = 32;
const T_NULL = 64;
/** A time token ("{{t+5}}"): stands for an integer. */
const T_TIME = 128;

const TYPE_BITS: Record<string, number> = {
  string: T_STRING,
  integer: T_INTEGER,
  number: T_NUMBER,
  boolean: T_BOOLEAN,
  object: T_OBJECT,
  array: T_ARRAY,
  null: T_NULL,
};

interface Node {
  /** `<file>#<pointer>` of the schema this node was compiled from. */
  ptr: string;
  /** Allowed JSON types (T_* bits); 0 allows any. */
  types: number;
  enum?: Set<unknown>;
  seenEnum?: Set<unknown>;
  props?: Map<string, Node>;
  required?: string[];
  seenKeys?: Set<string>;
  /** additionalProperties as a schema (maps such as metadata). */
  additional?: Node;
  items?: Node;
  anyOf?: Node[];
  /** Another object type's file (without .json): the value is validated against it on its own. */
  stub?: string;
  /** The object value a stub stands for. */
  stubObject?: string;
}

type Json = Record<string, any>;

function typeName(bits: number): string {
  if (bits === 0) return 'any';
  const names = Object.entries(TYPE_BITS)
    .filter(([, b]) => bits & b)
    .map(([n]) => n);
  return names.join(' | ');
}

function jsonType(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length > 4 && value.charCodeAt(0) === 123 /* { */ && isTimeToken(value) ? T_TIME : T_STRING;
    case 'number':
      return Number.isInteger(value) ? T_INTEGER : T_NUMBER;
    case 'boolean':
      return T_BOOLEAN;
    case 'object':
      return value === null ? T_NULL : Array.isArray(value) ? T_ARRAY : T_OBJECT;
    default:
      return 0;
  }
}

function actualName(bit: number, value: unknown): string {
  if (bit === T_TIME) return 'time token';
  if (bit === T_OBJECT && typeof (value as Json).object === 'string') return `object ${(value as Json).object}`;
  return typeName(bit) || typeof value;
}

function accepts(types: number, bit: number): boolean {
  if (types === 0) return true;
  if (bit === T_INTEGER || bit === T_TIME) return (types & (T_INTEGER | T_NUMBER)) !== 0;
  return (types & bit) !== 0;
}

/** Compiles one schema file into nodes; $refs inside the file become shared nodes (cycles allowed). */
function compileFile(file: string, doc: Json): Node {
  const byPointer = new Map<string, Node>();
  const resolve = (pointer: string): Json => {
    let at: any = doc;
    for (const part of pointer.split('/').slice(1)) at = at?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (at === undefined) throw new Error(`${file}.json: unresolved $ref #${pointer}`);
    return at;
  };
  const at = (pointer: string): Node => {
    const known = byPointer.get(pointer);
    if (known) return known;
    const node: Node = { ptr: `${file}.json#${pointer}`, types: 0 };
    byPointer.set(pointer, node);
    fill(node, resolve(pointer), pointer);
    return node;
  };
  const child = (schema: Json, pointer: string): Node => {
    if (typeof schema.$ref === 'string') return at(schema.$ref.replace(/^#/, ''));
    const node: Node = { ptr: `${file}.json#${pointer}`, types: 0 };
    fill(node, schema, pointer);
    return node;
  };
  const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
  function fill(node: Node, s: Json, pointer: string): void {
    if (typeof s.$ref === 'string') {
      Object.assign(node, at(s.$ref.replace(/^#/, '')));
      return;
    }
    if (typeof s['x-stub'] === 'string') {
      node.stub = s['x-stub'];
      node.stubObject = s.properties?.object?.enum?.[0];
      node.types = T_OBJECT;
      return;
    }
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    for (const t of types) node.types |= TYPE_BITS[t] ?? 0;
    if (Array.isArray(s.enum)) node.enum = new Set(s.enum);
    if (Array.isArray(s['x-seen-enum'])) node.seenEnum = new Set(s['x-seen-enum']);
    if (s.properties && typeof s.properties === 'object') {
      node.props = new Map();
      for (const [k, v] of Object.entries(s.properties)) node.props.set(k, child(v as Json, `${pointer}/properties/${escape(k)}`));
    }
    if (Array.isArray(s.required) && s.required.length) node.required = s.required;
    if (Array.isArray(s['x-seen-keys'])) node.seenKeys = new Set(s['x-seen-keys']);
    if (s.additionalProperties && typeof s.additionalProperties === 'object' && Object.keys(s.additionalProperties).length) {
      node.additional = child(s.additionalProperties, `${pointer}/additionalProperties`);
    }
    if (s.items && typeof s.items === 'object' && Object.keys(s.items).length) node.items = child(s.items, `${pointer}/items`);
    if (Array.isArray(s.anyOf)) node.anyOf = s.anyOf.map((b: Json, i: number) => child(b, `${pointer}/anyOf/${i}`));
  }
  return at('');
}

// ---------------------------------------------------------------------------
// The validator

export interface ShapeValidatorOptions {
  /** Reads the schema file `<name>.json`; undefined when there is none. Default: SHAPE_SCHEMAS_DIR. */
  load?: (name: string) => Json | undefined;
}

/** Reads schema files from a directory (undefined for a file that does not exist). */
export function schemaDirLoader(dir: string): (name: string) => Json | undefined {
  return (name) => {
    if (!/^[a-z0-9_.]+$/.test(name)) return undefined;
    const file = path.join(dir, `${name}.json`);
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  };
}

export class ShapeValidator {
  private readonly load: (name: string) => Json | undefined;
  private readonly roots = new Map<string, Node | null>();

  constructor(options: ShapeValidatorOptions = {}) {
    this.load = options.load ?? schemaDirLoader(SHAPE_SCHEMAS_DIR);
  }

  /** The compiled schema of a file (`payment_intent`, `deleted_customer`), compiled on first use and cached. */
  private root(name: string): Node | null {
    let node = this.roots.get(name);
    if (node === undefined) {
      const doc = this.load(name);
      node = doc ? compileFile(name, doc) : null;
      this.roots.set(name, node);
    }
    return node;
  }

  /** Whether a schema exists for an object type. */
  has(objectType: string): boolean {
    return this.root(objectType) !== null;
  }

  /** The schema file that describes a value with an `object` field: deleted stubs have their own. */
  fileFor(value: Json, objectType: string = value.object): string {
    if (value.deleted === true && this.root(`deleted_${objectType}`)) return `deleted_${objectType}`;
    return objectType;
  }

  /**
   * Findings for a Stripe response value: an object, a list or search result, or
   * anything holding objects. Error envelopes ({error: …}) give none.
   * `objectType` names the root's type when the value has no `object` field (or overrides it).
   */
  validate(value: unknown, objectType?: string): ShapeFinding[] {
    const out: ShapeFinding[] = [];
    if (!value || typeof value !== 'object') return out;
    const v = value as Json;
    if (objectType === undefined && v.error !== undefined && typeof v.object !== 'string') return out;
    if (objectType !== undefined && !Array.isArray(v)) this.object(v, objectType, '', out);
    else this.scan(v, '', '', out);
    return out;
  }

  /** Checks one object against its type's schema. */
  private object(value: Json, objectType: string, path: string, out: ShapeFinding[]): void {
    const file = this.fileFor(value, objectType);
    const root = this.root(file);
    if (!root) {
      out.push({ kind: 'unknown-object', object: objectType, path, schema: '' });
      for (const [k, v] of Object.entries(value)) if (v && typeof v === 'object') this.scan(v, join(path, k), objectType, out);
      return;
    }
    this.visit(root, value, path, objectType, out);
  }

  /** A value no schema node describes: check the objects inside it on their own. */
  private scan(value: unknown, path: string, objectType: string, out: ShapeFinding[]): void {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (value[i] && typeof value[i] === 'object') this.scan(value[i], join(path, String(i)), objectType, out);
      return;
    }
    const v = value as Json;
    if (typeof v.object === 'string') return this.object(v, v.object, path, out);
    for (const k in v) {
      if (k === 'previous_attributes' && objectType === 'event') continue; // partial by nature
      const child = v[k];
      if (child && typeof child === 'object') this.scan(child, join(path, k), objectType, out);
    }
  }

  private visit(node: Node, value: unknown, path: string, objectType: string, out: ShapeFinding[]): void {
    if (node.anyOf) return this.anyOf(node, value, path, objectType, out);
    const bit = jsonType(value);
    if (node.stub) {
      if (bit === T_OBJECT && typeof (value as Json).object === 'string') {
        const v = value as Json;
        if (node.stubObject !== undefined && v.object !== node.stubObject) {
          out.push({ kind: 'type', object: objectType, path, schema: node.ptr, expected: `object ${node.stubObject}`, actual: `object ${v.object}` });
        }
        return this.object(v, v.object, path, out);
      }
      out.push({ kind: 'type', object: objectType, path, schema: node.ptr, expected: `object ${node.stubObject ?? node.stub}`, actual: actualName(bit, value) });
      return this.scan(value, path, objectType, out);
    }
    if (!accepts(node.types, bit)) {
      out.push({ kind: 'type', object: objectType, path, schema: node.ptr, expected: typeName(node.types), actual: actualName(bit, value) });
      return this.scan(value, path, objectType, out);
    }
    if (bit === T_NULL) return;
    if (node.enum && (bit === T_STRING || bit === T_BOOLEAN || bit === T_INTEGER || bit === T_NUMBER)) {
      if (!node.enum.has(value) && !node.seenEnum?.has(value) && !(bit === T_STRING && isToken(value))) {
        out.push({ kind: 'enum', object: objectType, path, schema: node.ptr, expected: [...node.enum].filter((e) => e !== null).join(' | '), actual: String(value) });
      }
      return;
    }
    if (bit === T_OBJECT) {
      const v = value as Json;
      if (!node.props && !node.additional) return this.scan(v, path, objectType, out);
      const inner = typeof v.object === 'string' && node.props?.has('object') ? v.object : objectType;
      if (node.required) for (const k of node.required) if (!(k in v)) out.push({ kind: 'missing-key', object: inner, path: join(path, k), schema: node.ptr, expected: k });
      for (const k in v) {
        if (k === 'previous_attributes' && inner === 'event') continue; // partial by nature
        const child = v[k];
        const p = join(path, k);
        const sub = node.props?.get(k) ?? node.additional;
        if (sub) this.visit(sub, child, p, inner, out);
        else {
          if (!node.seenKeys?.has(k)) out.push({ kind: 'unknown-key', object: inner, path: p, schema: node.ptr, actual: k });
          if (child && typeof child === 'object') this.scan(child, p, inner, out);
        }
      }
      return;
    }
    if (bit === T_ARRAY) {
      const a = value as unknown[];
      if (!node.items) return this.scan(a, path, objectType, out);
      for (let i = 0; i < a.length; i++) this.visit(node.items, a[i], join(path, String(i)), objectType, out);
    }
  }

  private anyOf(node: Node, value: unknown, path: string, objectType: string, out: ShapeFinding[]): void {
    const branches = node.anyOf!;
    const bit = jsonType(value);
    if (bit === T_OBJECT && typeof (value as Json).object === 'string') {
      const obj = (value as Json).object;
      const stubs = branches.filter((b) => b.stub);
      if (stubs.some((b) => b.stubObject === obj)) return this.object(value as Json, obj, path, out);
      if (stubs.length && !branches.some((b) => !b.stub && (b.anyOf || accepts(b.types, T_OBJECT)))) {
        // Another object type than the field can hold: say so, and check it as what it is.
        const expected = [...new Set(stubs.map((b) => `object ${b.stubObject ?? b.stub}`))].join(' | ');
        out.push({ kind: 'type', object: objectType, path, schema: node.ptr, expected, actual: `object ${obj}` });
        return this.object(value as Json, obj, path, out);
      }
    }
    const candidates = branches.filter((b) => (b.stub ? bit === T_OBJECT : b.anyOf ? true : accepts(b.types, bit)));
    if (candidates.length === 1) return this.visit(candidates[0], value, path, objectType, out);
    if (candidates.length === 0) {
      const expected = branches.map((b) => (b.stub ? `object ${b.stubObject ?? b.stub}` : typeName(b.types))).join(' | ');
      out.push({ kind: 'type', object: objectType, path, schema: node.ptr, expected, actual: actualName(bit, value) });
      return this.scan(value, path, objectType, out);
    }
    // Several branches take this JSON type: keep the one that fits best.
    let best: ShapeFinding[] | undefined;
    for (const b of candidates) {
      const trial: ShapeFinding[] = [];
      this.visit(b, value, path, objectType, trial);
      if (!best || trial.length < best.length) best = trial;
      if (trial.length === 0) break;
    }
    out.push(...best!);
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

let shared: ShapeValidator | undefined;

/**
 * Shape findings for a Stripe response value against schemas/ (compiled per
 * object type on first use). See ShapeValidator.validate.
 */
export function validateShape(value: unknown, objectType?: string): ShapeFinding[] {
  shared ??= new ShapeValidator();
  return shared.validate(value, objectType);
}
