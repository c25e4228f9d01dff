import { errors } from './errors';

// Decoder for Stripe's form encoding (docs/stripe-facts.md §1.2): bracket nesting
// (`shipping[address][city]=…`), `[]` appends, and indexed keys (`items[0][price]`).
// Indexed keys stay object keys here; the parameter validator turns them into
// arrays where the spec expects an array, so it can report Stripe's "keys must be
// numeric and sequential" error with the right param name.
//
// Trees use null-prototype objects: a hostile `__proto__[x]=1` is just a key.

export type FormValue = string | FormTree | FormValue[];
export interface FormTree {
  [key: string]: FormValue;
}

export const FORM_LIMITS = { maxPairs: 20_000, maxDepth: 32 };

export function emptyTree(): FormTree {
  return Object.create(null) as FormTree;
}

export function isTree(v: FormValue | undefined): v is FormTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeComponent(text: string): string {
  if (text.indexOf('+') !== -1) text = text.replace(/\+/g, ' ');
  if (text.indexOf('%') === -1) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw errors.malformedBody(`the percent-encoding of '${text.slice(0, 80)}' is not valid UTF-8`);
  }
}

/** Splits `a[b][c]` into ['a', 'b', 'c']; `a[]` gives ['a', '']. A malformed key stays whole. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || key.charCodeAt(key.length - 1) !== 93 /* ] */) return [key];
  const segments = [key.slice(0, open)];
  let at = open;
  while (at < key.length) {
    const close = key.indexOf(']', at);
    if (key[at] !== '[' || close === -1) return [key];
    const segment = key.slice(at + 1, close);
    if (segment.indexOf('[') !== -1) return [key];
    segments.push(segment);
    at = close + 1;
  }
  return segments;
}

function paramName(segments: string[]): string {
  return segments[0] + segments.slice(1).map((s) => `[${s}]`).join('');
}

export function decodeForm(text: string): FormTree {
  const root = emptyTree();
  if (!text) return root;
  const pairs = text.split('&');
  if (pairs.length > FORM_LIMITS.maxPairs) throw errors.tooManyParams(FORM_LIMITS.maxPairs);
  for (const pair of pairs) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (key.indexOf('[') === -1 && typeof root[key] !== 'object') {
      root[key] = value; // the common case: a plain top-level parameter
      continue;
    }
    const path = keyPath(key);
    if (path.length - 1 > FORM_LIMITS.maxDepth) throw errors.tooDeep(path[0], FORM_LIMITS.maxDepth);
    assign(root, path, value);
  }
  return root;
}

function assign(root: FormTree, path: string[], value: string): void {
  let node: FormTree | FormValue[] = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      // Inside an `[]` array of objects (`a[][x]=1&a[][y]=2`): fill the last item
      // until a key repeats, then start a new one. Re-read `seg` on that item.
      let item: FormValue | undefined = node[node.length - 1];
      if (!isTree(item) || seg in item) {
        item = emptyTree();
        node.push(item);
      }
      node = item;
      i--;
      continue;
    }
    if (last) {
      const existing = node[seg];
      if (existing !== undefined && typeof existing !== 'string') {
        throw errors.malformedBody(`${paramName(path)} is given both as a value and as a nested parameter`);
      }
      node[seg] = value;
      return;
    }
    const appending = path[i + 1] === '';
    let child: FormValue | undefined = node[seg];
    if (child === undefined) {
      child = appending ? [] : emptyTree();
      node[seg] = child;
    } else if (typeof child === 'string') {
      throw errors.malformedBody(`${paramName(path.slice(0, i + 1))} is given both as a value and as a nested parameter`);
    }
    if (appending) {
      if (!Array.isArray(child)) throw errors.malformedBody(`${paramName(path.slice(0, i + 1))} mixes array forms`);
      if (i + 2 === path.length) {
        child.push(value);
        return;
      }
      // `a[][b]=…`: continue inside the array.
      node = child;
      i++; // skip the '' segment
      continue;
    }
    node = child as FormTree | FormValue[];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text, rejecting invalid UTF-8 with a Stripe-style 400. */
export function bodyText(body: Uint8Array): string {
  if (body.length === 0) return '';
  try {
    return utf8.decode(body);
  } catch {
    throw errors.malformedBody('the body is not valid UTF-8');
  }
}

/**
 * A decoded tree as plain data: objects whose keys are exactly 0..n-1 become
 * arrays (`expand[0]=a&expand[1]=b` reads as ['a', 'b']). For captures, not for
 * validation, which reports malformed arrays itself.
 */
export function formToPlain(value: FormValue): unknown {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(formToPlain);
  const keys = Object.keys(value);
  if (keys.length && keys.every((k, i) => k === String(i))) return keys.map((k) => formToPlain(value[k]));
  const out: Record<string, unknown> = {};
  for (const k of keys) Object.defineProperty(out, k, { value: formToPlain(value[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Plain parameters back to Stripe's form encoding (indexed arrays, literal brackets as stripe-node sends them). */
export function encodeForm(params: Record<string, unknown>): string {
  const pairs: string[] = [];
  // encodeURIComponent leaves !'()* alone; stripe-node (qs) escapes them, and nock matches bodies byte for byte.
  const enc = (s: string) =>
    encodeURIComponent(s)
      .replace(/%5B/g, '[')
      .replace(/%5D/g, ']')
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const walk = (key: string, value: unknown) => {
    if (value === undefined) return;
    if (value === null) pairs.push(`${enc(key)}=`);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(`${key}[${i}]`, v));
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(`${key}[${k}]`, v);
    else pairs.push(`${enc(key)}=${enc(String(value))}`);
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return pairs.join('&');
}
