import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { RequestAccount, Twin } from '../engine/twin';
import { handleRequest } from '../server/pipeline';
import { jsonResponse, TwinRequest, TwinResponse } from '../server/stages';
import { createToolServer, DEFAULT_TOOL_SET, Invoke, isToolSet, TOOL_SETS } from './server';

// MCP over Streamable HTTP at /mcp (the default tool set) and /mcp/<set>, in
// stateless mode: each POST gets a fresh server and transport (a stateless
// transport cannot be reused, docs/agents.md §3.5), answers in plain JSON
// (no SSE stream, so the answer fits the pipeline's buffered response), and is
// closed after. GET (the server→client stream) and DELETE (ending a session)
// have nothing to do without sessions: 405, as the SDK's stateless example.

/** Headers the MCP transport reads; the rest of the request's headers stay out of it. */
const PASSED = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'];

function rpcError(status: number, message: string, extra: string[] = []): TwinResponse {
  const response = jsonResponse(status, JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
  response.headers.push(...extra);
  return response;
}

/** The REST calls of a caller's tools: the same pipeline as the API, with the caller's key (and Stripe-Account). */
export function pipelineInvoke(twin: Twin, authorization: string, stripeAccount?: string): Invoke {
  return async ({ method, url, body, headers: extra }) => {
    // A tool's own headers (an Idempotency-Key) go first, so they can never stand in for the caller's key.
    const headers: Record<string, string> = { ...lowerCased(extra), authorization };
    if (stripeAccount) headers['stripe-account'] = stripeAccount;
    if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await handleRequest(twin, { method, url, headers, readBody: async () => Buffer.from(body, 'utf8') });
    // A dropped response (a lost-response or timeout fault armed on the route) reaches the agent as a failed call.
    if (response.drop) return { status: 0, body: '{"error":{"message":"The connection to the Stripe API was lost before it answered.","type":"api_error"}}' };
    return { status: response.status, body: response.body };
  };
}

const lowerCased = (headers: Record<string, string> = {}) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

export async function handleMcp(twin: Twin, req: TwinRequest, path: string, who: RequestAccount): Promise<TwinResponse> {
  let set = path === '/mcp' || path === '/mcp/' ? DEFAULT_TOOL_SET : path.slice('/mcp/'.length);
  try {
    set = decodeURIComponent(set); // `/mcp/stripe%2Cskill` as `/mcp/stripe,skill`
  } catch {
    // a malformed escape names no set: refused below
  }
  if (!isToolSet(set)) {
    return rpcError(404, `No MCP tool set "${set}" here: use /mcp or /mcp/${Object.keys(TOOL_SETS).join(', /mcp/')} (several sets comma-separated)`);
  }
  const method = req.method.toUpperCase();
  if (method !== 'POST') return rpcError(405, 'Method not allowed.', ['Allow', 'POST']);

  const headers = new Headers();
  for (const name of PASSED) {
    const value = req.headers[name];
    if (value !== undefined) headers.set(name, value);
  }
  const body = await req.readBody();
  const request = new Request(`http://twin${req.url}`, { method, headers, body });
  const stripeAccount = req.headers['stripe-account'] ?? req.headers['stripe-context'];
  const server = createToolServer({
    set,
    permissions: who.apiKey.permissions,
    invoke: pipelineInvoke(twin, req.headers.authorization!, stripeAccount),
  });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  try {
    await server.connect(transport);
    const response = await transport.handleRequest(request);
    const out: string[] = [];
    response.headers.forEach((value, name) => out.push(name, value));
    return { status: response.status, headers: out, body: await response.text() };
  } finally {
    await transport.close().catch(() => undefined);
    await server.close().catch(() => undefined);
  }
}
