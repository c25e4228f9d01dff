import '../control'; // the request log and faults apply to tool calls as to API calls
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isJSONRPCRequest, isJSONRPCResultResponse, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { Twin } from '../engine/twin';
import { pipelineInvoke } from '../mcp/http';
import { createToolServer, toolSet } from '../mcp/server';
import { Options, UsageError } from './index';

// `stripe-twin mcp`: the twin's MCP tools over stdio, for agents that start
// their MCP servers as commands; --tools names the set or sets (`stripe`, the
// default, `skill`, `stripe,skill`). With --url, a bridge to a running twin's
// /mcp/<set> (as @stripe/mcp bridges stdio to Stripe's hosted server): every
// message goes through unchanged, with the key in Authorization, so the tools
// run in that twin's pipeline and world. Without --url, a twin in this process
// (a fresh world for the key; ids and times as `serve`: random unless --seed).
// stdout carries JSON-RPC only; anything else goes to stderr.

export async function run(args: Options<'mcp'>): Promise<void> {
  const set = args.tools;
  try {
    toolSet(set); // refuses an unknown set before anything starts
  } catch (e) {
    throw new UsageError(`--tools: ${(e as Error).message}`);
  }
  const key = args.apiKey;
  const authorization = `Bearer ${key}`;
  const stdio = new StdioServerTransport();
  process.stdin.once('end', () => process.exit(0));

  if (args.url) return bridge(stdio, new URL(`${args.url}/mcp/${set}`), authorization);

  const seeded = args.seed !== undefined;
  const twin = new Twin({ seed: seeded ? args.seed : `${Date.now()}-${process.pid}`, wallClock: seeded ? undefined : Date.now });
  const who = twin.authenticate(authorization); // a key the twin refuses (a live key, a malformed one) ends here, with Stripe's message
  const server = createToolServer({ set, permissions: who.apiKey.permissions, invoke: pipelineInvoke(twin, authorization) });
  await server.connect(stdio);
}

async function bridge(stdio: StdioServerTransport, url: URL, authorization: string): Promise<void> {
  const remote = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: authorization } } });
  const pending = new Map<string | number, string>();
  stdio.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message)) pending.set(message.id, message.method);
    remote.send(message).catch((e: Error) => {
      process.stderr.write(`stripe-twin mcp: ${url.href}: ${e.message}\n`);
      // A request that got no answer gets a JSON-RPC error, so the client does not wait forever.
      if (isJSONRPCRequest(message)) {
        pending.delete(message.id);
        void stdio.send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: `stripe-twin at ${url.origin}: ${e.message}` } });
      }
    });
  };
  remote.onmessage = (message: JSONRPCMessage) => {
    // Later requests carry the negotiated protocol version (MCP-Protocol-Version), as the SDK's client sends it.
    if (isJSONRPCResultResponse(message) && pending.get(message.id) === 'initialize') {
      const version = (message.result as { protocolVersion?: string }).protocolVersion;
      if (version) remote.setProtocolVersion(version);
    }
    if ('id' in message && message.id !== undefined) pending.delete(message.id as string | number);
    void stdio.send(message);
  };
  remote.onerror = (e: Error) => process.stderr.write(`stripe-twin mcp: ${url.href}: ${e.message}\n`);
  await remote.start();
  await stdio.start();
}
