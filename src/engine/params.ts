import { errors } from './errors';
import { FormTree, FormValue, isTree } from './form';

// Parameter validation and coercion driven by the OpenAPI request schemas
// (spec/stripe-api.json). Decoded form strings become integers, booleans,
// arrays and objects; anything the operation does not accept becomes Stripe's
// 400 (parameter_unknown, parameter_missing, parameter_invalid_integer, ...).
//
// An empty string means "unset" (docs/stripe-facts.md §1.2): the coerced value is
// `null`, which update handlers read as "clear this field". An absent parameter is
// `undefined`.

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  enum?: string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  additionalProperties?: Schema | boolean;
  maxLength?: number;
  format?: string;
  nullable?: boolean;
}

export type Params = Record<string, any>;

export function coerceParams(schema: Schema, input: FormTree): Params {
  return coerceObject(schema, input, '') as Params;
}

const child = (name: string, key: string) => (name ? `${name}[${key}]` : key);

function coerce(schema: Schema, raw: FormValue, name: string): unknown {
  if (schema.anyOf) return coerceAnyOf(schema.anyOf, raw, name);
  if (raw === '') return null;
  switch (schema.type) {
    case 'object':
      if (!isTree(raw)) throw errors.invalidHash(name);
      return coerceObject(schema, raw, name);
    case 'array':
      return coerceArray(schema, raw, name);
    case 'integer':
      if (typeof raw !== 'string' || !/^-?\d{1,16}$/.test(raw)) throw errors.invalidInteger(name, display(raw));
      return Number(raw);
    case 'number':
      if (typeof raw !== 'string' || !/^-?(\d+\.?\d*|\.\d+)$/.test(raw)) throw errors.invalidNumber(name, display(raw));
      return Number(raw);
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw errors.invalidBoolean(name, display(raw));
    default:
      if (typeof raw !== 'string') throw errors.invalidString(name);
      if (schema.enum && !schema.enum.includes(raw)) throw errors.invalidEnum(name, schema.enum);
      if (schema.maxLength !== undefined && raw.length > schema.maxLength) throw errors.stringTooLong(name, schema.maxLength);
      return raw;
  }
}

function coerceObject(schema: Schema, raw: FormTree, name: string): Record<string, unknown> {
  const props = schema.properties ?? {};
  const extra = schema.additionalProperties;
  // Null prototype: a parameter named __proto__ (a metadata key, say) is just a key.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(raw)) {
    const prop = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    if (prop) out[key] = coerce(prop, raw[key], child(name, key));
    else if (typeof extra === 'object') out[key] = coerce(extra, raw[key], child(name, key));
    else if (extra === true) out[key] = raw[key];
    else throw errors.parameterUnknown(child(name, key));
  }
  for (const req of schema.required ?? []) {
    if (out[req] === undefined) throw errors.parameterMissing(child(name, req));
    if (out[req] === null) throw errors.emptyString(child(name, req));
  }
  return out;
}

function coerceArray(schema: Schema, raw: FormValue, name: string): unknown[] {
  let items: FormValue[];
  if (Array.isArray(raw)) items = raw;
  else if (isTree(raw)) {
    // Indexed form `foo[0]=a&foo[1]=b`: keys must be 0, 1, 2, ... (E8).
    const keys = Object.keys(raw);
    if (!keys.every((k, i) => k === String(i)) && !sequentialUnordered(keys)) throw errors.arrayKeys(name, keys);
    items = keys.sort((a, b) => Number(a) - Number(b)).map((k) => raw[k]);
  } else throw errors.invalidArray(name);
  const itemSchema = schema.items ?? {};
  return items.map((item, i) => coerce(itemSchema, item, `${name}[${i}]`));
}

function sequentialUnordered(keys: string[]): boolean {
  const seen = new Set(keys);
  return keys.every((_, i) => seen.has(String(i)));
}

type Kind = 'scalar' | 'tree' | 'array';
const kindOf = (raw: FormValue): Kind => (typeof raw === 'string' ? 'scalar' : Array.isArray(raw) ? 'array' : 'tree');
function accepts(alt: Schema, kind: Kind): boolean {
  if (alt.anyOf) return alt.anyOf.some((a) => accepts(a, kind));
  if (alt.type === 'object') return kind === 'tree';
  if (alt.type === 'array') return kind === 'array' || kind === 'tree';
  return kind === 'scalar';
}
const isEmptyMarker = (alt: Schema) => alt.enum?.length === 1 && alt.enum[0] === '';

function coerceAnyOf(alts: Schema[], raw: FormValue, name: string): unknown {
  if (raw === '') return null;
  const kind = kindOf(raw);
  const candidates = alts.filter((a) => !isEmptyMarker(a) && accepts(a, kind));
  let firstError: unknown;
  for (const alt of candidates) {
    try {
      return coerce(alt, raw, name);
    } catch (e) {
      firstError ??= e;
    }
  }
  if (firstError) throw firstError;
  // No alternative takes this shape of value: report it against the first one.
  const first = alts.find((a) => !isEmptyMarker(a)) ?? {};
  if (first.type === 'object') throw errors.invalidHash(name);
  if (first.type === 'array') throw errors.invalidArray(name);
  if (kind !== 'scalar') throw first.type === 'integer' ? errors.invalidInteger(name, display(raw)) : errors.invalidString(name);
  return coerce(first, raw, name);
}

function display(raw: FormValue): string {
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}
