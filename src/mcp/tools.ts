import { encodeForm } from '../engine/form';

// MCP tools as data. Each tool is a thin face over one REST route of the twin:
// its declaration names the route (method and path template, as the resource
// routes spell them) and how each input becomes a path segment or a form
// parameter; the server (./server.ts) calls the route through the same request
// pipeline as the API with the caller's key, so errors, permissions, events and
// the request log are the API's. Nothing here knows about Stripe objects beyond
// the names in the declarations.

/** A JSON Schema for one input, as tools/list shows it. */
export type JsonSchema = Record<string, unknown>;

export interface ToolAnnotations {
  title?: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** A REST route of the twin, and how a tool's inputs become its path and parameters. */
export interface RestCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** The route template, with `{placeholders}` as in src/resources (`/v1/customers/{customer}`). */
  path: string;
  /**
   * Input name → where it goes: `{placeholder}` fills the path, anything else is a
   * form parameter name, brackets allowed (`line_items[0][price]`). Inputs not named
   * here are not sent.
   */
  map: Record<string, string>;
  /** Parameters always sent (after the mapped ones). */
  fixed?: Record<string, string>;
  /** Parameters sent only when an input is given (input → parameters), after the fixed ones. */
  when?: Record<string, Record<string, string>>;
  /** Inputs sent as request headers (input → header name), such as an Idempotency-Key. */
  headers?: Record<string, string>;
}

/**
 * A tool the twin answers itself, with no Stripe API call and so no permission
 * (the toolkit's documentation search, `documentation.read`): the name of one of
 * the server's local answers (./server.ts LOCAL_ANSWERS).
 */
export interface LocalCall {
  local: string;
}

/**
 * Results in the form of Stripe's agent toolkit (0.7.12, docs/agents.md §3.2),
 * for the "stripe" set: one text item holding compact JSON of the answer or of a
 * projection of it, never structuredContent (so no outputSchema either), and never
 * `isError` — any failed call is the JSON string `failure` (quotes included).
 */
export interface TextResult {
  /** Of a Stripe list, only its `data` array (the toolkit returns `list.data`). */
  data?: boolean;
  /**
   * Keep only these fields, in this order, of the object (of each item, with `data`);
   * `name:source` takes `source` under the name `name` (`url:hosted_invoice_url`).
   * Absent: the whole object.
   */
  fields?: string[];
  /** The text of a failed call (`Failed to create refund`). */
  failure: string;
  /** Append the API's error message (`Failed to create coupon: <message>`), as create_coupon alone does. */
  withMessage?: boolean;
}

export interface ToolDeclaration {
  name: string;
  title: string;
  description: string;
  /** The inputs (JSON Schema properties) and which of them are required. */
  inputs: Record<string, JsonSchema>;
  required?: string[];
  /**
   * What a successful call returns: the Stripe object type of the answer, or of
   * each item of a list (`list: true`); it becomes the tool's outputSchema, and the
   * REST answer its structuredContent. Tools with `text` results have none.
   */
  returns?: { object: string; list?: boolean };
  /** Toolkit-form results instead of `returns` (see TextResult). */
  text?: TextResult;
  annotations: ToolAnnotations;
  /** The REST call, or the twin's own answer. */
  call: RestCall | LocalCall;
}

export const isRestCall = (call: RestCall | LocalCall): call is RestCall => 'path' in call;

/** The value a `text` tool shows for a successful answer: the projection its declaration names. */
export function project(result: TextResult, answer: unknown): unknown {
  let value = answer;
  if (result.data) value = (value as { data?: unknown }).data;
  if (!result.fields) return value;
  const pick = (item: unknown) => {
    const out: Record<string, unknown> = {};
    for (const field of result.fields!) {
      const [name, source = name] = field.split(':');
      out[name] = (item as Record<string, unknown>)[source];
    }
    return out;
  };
  return Array.isArray(value) ? value.map(pick) : pick(value);
}

/** A REST request a tool makes: method, path with query, form body, and any headers its inputs fill. */
export interface ToolRequest {
  method: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
}

/** The request a call of `tool` with `args` (already validated) makes. */
export function requestFor(tool: ToolDeclaration, args: Record<string, unknown>): ToolRequest {
  const call = tool.call;
  if (!isRestCall(call)) throw new Error(`tool ${tool.name} makes no REST call`);
  let path = call.path;
  const params: Record<string, unknown> = {};
  for (const [input, target] of Object.entries(call.map)) {
    const value = args[input];
    if (value === undefined || value === null) continue;
    if (target.startsWith('{')) path = path.replace(target, encodeURIComponent(String(value)));
    else params[target] = value;
  }
  Object.assign(params, call.fixed);
  for (const [input, extra] of Object.entries(call.when ?? {})) if (args[input] !== undefined && args[input] !== null) Object.assign(params, extra);
  const form = encodeForm(params);
  const headers: Record<string, string> = {};
  for (const [input, header] of Object.entries(call.headers ?? {})) if (typeof args[input] === 'string') headers[header] = args[input] as string;
  const withHeaders = Object.keys(headers).length ? { headers } : {};
  // A placeholder left unfilled (its input was required, so only a broken declaration) reaches the route as text.
  if (call.method === 'POST') return { method: 'POST', url: path, body: form, ...withHeaders };
  return { method: call.method, url: form ? `${path}?${form}` : path, body: '', ...withHeaders };
}

/** The JSON Schema of a tool's arguments, as the MCP SDK emits a zod object's (draft-07, no extra properties). */
export function inputSchemaOf(tool: ToolDeclaration): JsonSchema {
  // No inputs: the SDK lists its empty-object schema, bare (the toolkit's retrieve_balance, docs/agents.md §3.2).
  if (Object.keys(tool.inputs).length === 0) return { type: 'object', properties: {} };
  const schema: JsonSchema = { type: 'object', properties: tool.inputs };
  if (tool.required?.length) schema.required = tool.required;
  schema.additionalProperties = false;
  schema.$schema = 'http://json-schema.org/draft-07/schema#';
  return schema;
}

/**
 * The outputSchema of a tool: the Stripe object (its `object` name), or a Stripe
 * list of them. Kept loose on purpose (twin choice): a deleted customer's stub or
 * an object at another API version still matches.
 */
export function outputSchemaOf(tool: ToolDeclaration): JsonSchema | undefined {
  if (!tool.returns) return undefined;
  const item: JsonSchema = {
    type: 'object',
    properties: { id: { type: 'string' }, object: { type: 'string', const: tool.returns.object } },
    required: ['object'],
  };
  if (!tool.returns.list) return item;
  return {
    type: 'object',
    properties: {
      object: { type: 'string', const: 'list' },
      data: { type: 'array', items: item },
      has_more: { type: 'boolean' },
      url: { type: 'string' },
    },
    required: ['object', 'data', 'has_more', 'url'],
  };
}
