import Ajv, { ValidateFunction } from 'ajv';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, CallToolResult, ErrorCode, ListToolsRequestSchema, McpError, Tool } from '@modelcontextprotocol/sdk/types.js';
import { missingPermission } from '../engine/permissions';
import { searchDocumentation } from './documentation';
import { skillTools } from './skill';
import { stripeTools } from './stripe';
import { pomeTools } from './pome';
import { inputSchemaOf, isRestCall, outputSchemaOf, project, requestFor, ToolDeclaration, ToolRequest } from './tools';

// One MCP server per caller (a key, and the account it opens): tools/list shows
// the tools of a set whose route the key may call (every tool for a secret key),
// tools/call makes the tool's REST call through `invoke` — the twin's request
// pipeline with the caller's key, in process or over HTTP — and turns the answer
// into a tool result.
//
// Built on the SDK's low-level `Server` rather than `McpServer`: McpServer takes
// zod schemas only, while the declarations here are JSON Schema data (what
// tools/list shows; the only form Stripe's published tool schemas come in), and
// the list depends on the caller's key. The behaviour McpServer gives its tools
// is kept (docs/agents.md §3.5): unknown arguments are stripped, invalid input
// and an unknown tool are tool errors with the SDK's texts, not JSON-RPC errors.

/**
 * The tool sets a server can offer (`--tools`, `/mcp/<set>`): Stripe's agent
 * toolkit (stripe), brief 001's skill and brief 000's stripe-node-aligned tools
 * (pome; docs/agents.md §3.2–§3.4). Several may be served together (`stripe,skill`) when their names do
 * not collide (tool names are unique per server; pome shares three names with
 * stripe, docs/agents.md §3.4).
 */
export const TOOL_SETS: Record<string, ToolDeclaration[]> = {
  stripe: stripeTools,
  skill: skillTools,
  pome: pomeTools,
};
export type ToolSetName = keyof typeof TOOL_SETS;
/**
 * The set of `/mcp` and of `stripe-twin mcp` without --tools: Stripe's own tools,
 * since what reaches the twin there is what reaches mcp.stripe.com (@stripe/mcp,
 * toolkit 0.9.0 and brief 003 point there; docs/agents.md §3.6). Brief 001's
 * skill runs in the agent's own MCP server, so its set is asked for by name.
 */
export const DEFAULT_TOOL_SET = 'stripe';

/** Answers of tools the twin gives itself (LocalCall): no Stripe API call, so no permission. */
const LOCAL_ANSWERS: Record<string, (args: Record<string, unknown>) => unknown> = {
  search_documentation: (args) => searchDocumentation(String(args.question)),
};

export const SERVER_INFO = { name: 'stripe-twin', version: '0.1.0' };

/** A REST call and its answer (status and body text, as Stripe prints it). */
export type Invoke = (request: ToolRequest) => Promise<{ status: number; body: string }>;

export interface ToolServerOptions {
  set: string;
  /** The caller's key's permissions: null for a secret key (every permission). */
  permissions: readonly string[] | null;
  invoke: Invoke;
}

const ajv = new Ajv({ allErrors: true, strict: false, removeAdditional: true, useDefaults: true });
// zod's .email() as the toolkit's create_customer checks it: something@something.something, no spaces.
ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
const validators = new WeakMap<ToolDeclaration, ValidateFunction>();
function validatorOf(tool: ToolDeclaration): ValidateFunction {
  let v = validators.get(tool);
  if (!v) {
    const { $schema: _ignored, ...schema } = inputSchemaOf(tool);
    validators.set(tool, (v = ajv.compile(schema)));
  }
  return v;
}

/** tools/list's entry for a declaration (the fields McpServer emits, in its order). */
export function listEntry(tool: ToolDeclaration): Tool {
  const outputSchema = outputSchemaOf(tool);
  return {
    name: tool.name,
    // Toolkit-form tools are listed as the toolkit's deprecated tool() registration lists them: no top-level title, no outputSchema.
    ...(tool.text ? {} : { title: tool.title }),
    description: tool.description,
    inputSchema: inputSchemaOf(tool) as Tool['inputSchema'],
    ...(outputSchema ? { outputSchema: outputSchema as Tool['outputSchema'] } : {}),
    annotations: { title: tool.title, ...tool.annotations },
    execution: { taskSupport: 'forbidden' },
  };
}

/** The tools of `set` a key with `permissions` may call (a tool the twin answers itself needs no permission). */
export function toolsFor(set: string, permissions: readonly string[] | null): ToolDeclaration[] {
  return toolSet(set).filter((tool) => !isRestCall(tool.call) || missingPermission(permissions, tool.call.method, tool.call.path) === null);
}

/** The tools of a set, or of several (`stripe,skill`), refusing unknown sets and colliding names. */
export function toolSet(set: string): ToolDeclaration[] {
  const names = set.split(',').map((s) => s.trim());
  const tools: ToolDeclaration[] = [];
  for (const name of names) {
    if (!Object.hasOwn(TOOL_SETS, name)) throw new Error(`unknown tool set "${name}": use one of ${Object.keys(TOOL_SETS).join(', ')} (or several, comma-separated)`);
    for (const tool of TOOL_SETS[name]) {
      if (tools.some((t) => t.name === tool.name)) throw new Error(`tool sets ${set} cannot be served together: both have a tool named ${tool.name}`);
      tools.push(tool);
    }
  }
  return tools;
}

/** Whether `set` names a tool set, or several that can be served together. */
export function isToolSet(set: string): boolean {
  try {
    toolSet(set);
    return true;
  } catch {
    return false;
  }
}

export function createToolServer(options: ToolServerOptions): Server {
  const all = toolSet(options.set);
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions:
      'A local Stripe twin in test mode: the tools call its Stripe API with your key. Amounts are in the smallest currency unit (cents). ' +
      'Confirm with the user before creating refunds.',
  });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsFor(options.set, options.permissions).map(listEntry) }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    // A tool the key may not use is not listed, but calling it anyway makes its REST call, which the
    // pipeline refuses with Stripe's permission error (as the API does).
    const tool = all.find((t) => t.name === request.params.name);
    if (!tool) return toolError(new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`).message);
    const args: Record<string, unknown> = { ...(request.params.arguments ?? {}) };
    const validate = validatorOf(tool);
    if (!validate(args)) {
      const details = (validate.errors ?? []).map((e) => `${e.instancePath || '(arguments)'} ${e.message}`).join('; ');
      return toolError(new McpError(ErrorCode.InvalidParams, `Input validation error: Invalid arguments for tool ${tool.name}: ${details}`).message);
    }
    if (!isRestCall(tool.call)) return textResult(tool, { status: 200, body: JSON.stringify(LOCAL_ANSWERS[tool.call.local](args)) });
    const answer = await options.invoke(requestFor(tool, args));
    return tool.text ? textResult(tool, answer) : resultOf(answer);
  });
  return server;
}

/**
 * A REST answer as a tool result: a success is the object as JSON text (the
 * API's bytes) and as structuredContent; a Stripe error is a tool error
 * (`isError: true`) whose text is the API's error body — `{"error": {"code",
 * "message", "type", …}}` — so an agent reads the same message, type and code a
 * REST caller gets. (Stripe's own MCP error form is unpublished; the 0.7.12
 * toolkit answered "Failed to …" strings, docs/agents.md §3.2.)
 */
export function resultOf(answer: { status: number; body: string }): CallToolResult {
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  if (answer.status >= 200 && answer.status < 300 && json && typeof json === 'object') {
    return { content: [{ type: 'text', text: answer.body }], structuredContent: json as Record<string, unknown> };
  }
  return { content: [{ type: 'text', text: answer.body || `HTTP ${answer.status}` }], isError: true };
}

/**
 * A REST answer in the toolkit's form (ToolDeclaration.text): compact JSON text of
 * the projected answer; any failure the JSON string "Failed to …" (with the API's
 * error message for create_coupon), never isError (docs/agents.md §3.2).
 */
export function textResult(tool: ToolDeclaration, answer: { status: number; body: string }): CallToolResult {
  const form = tool.text!;
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  const ok = answer.status >= 200 && answer.status < 300 && json !== undefined;
  let value: unknown;
  if (ok) value = project(form, json);
  else {
    const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${answer.status}`;
    value = form.withMessage ? `${form.failure}: ${message}` : form.failure;
  }
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
