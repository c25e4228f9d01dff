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
   * REST answer its structuredContent.
   */
  returns: { object: string; list?: boolean };
  annotations: ToolAnnotations;
  /** The REST call. */
  call: {
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
  };
}

/** The request a call of `tool` with `args` (already validated) makes: method, path with query, form body. */
export function requestFor(tool: ToolDeclaration, args: Record<string, unknown>): { method: string; url: string; body: string } {
  let path = tool.call.path;
  const params: Record<string, unknown> = {};
  for (const [input, target] of Object.entries(tool.call.map)) {
    const value = args[input];
    if (value === undefined || value === null) continue;
    if (target.startsWith('{')) path = path.replace(target, encodeURIComponent(String(value)));
    else params[target] = value;
  }
  Object.assign(params, tool.call.fixed);
  const form = encodeForm(params);
  // A placeholder left unfilled (its input was required, so only a broken declaration) reaches the route as text.
  if (tool.call.method === 'POST') return { method: 'POST', url: path, body: form };
  return { method: tool.call.method, url: form ? `${path}?${form}` : path, body: '' };
}

/** The JSON Schema of a tool's arguments, as the MCP SDK emits a zod object's (draft-07, no extra properties). */
export function inputSchemaOf(tool: ToolDeclaration): JsonSchema {
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
export function outputSchemaOf(tool: ToolDeclaration): JsonSchema {
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
