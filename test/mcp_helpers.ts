import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { handleRequest } from '../src';
import { CLI, Harness } from './helpers';

// The MCP SDK's own Client against the twin, for the MCP suites (test/e2e/mcp*.test.ts):
// over Streamable HTTP (/mcp on a served twin; in-process, the same requests handed
// to the pipeline by a fetch) and over stdio (`stripe-twin mcp`).

/** A fetch that hands each request to the twin's pipeline in-process (what the HTTP server would do). */
function pipelineFetch(h: Harness): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const body = Buffer.from(typeof init?.body === 'string' ? init.body : '');
    const res = await handleRequest(h.twin.engine, { method: init?.method ?? 'GET', url: url.pathname + url.search, headers, readBody: async () => body });
    const out = new Headers();
    for (let i = 0; i < res.headers.length; i += 2) out.append(res.headers[i], res.headers[i + 1]);
    return new Response(res.status === 202 || res.status === 204 ? null : res.body, { status: res.status, headers: out });
  };
}

export async function httpClient(h: Harness, key: string, path = '/mcp'): Promise<Client> {
  const url = new URL(path, h.url || 'http://twin.invalid');
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
    ...(h.mode === 'in-process' ? { fetch: pipelineFetch(h) } : {}),
  });
  const client = new Client({ name: 'stripe-twin-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

export const text = (result: unknown) => ((result as CallToolResult).content[0] as { type: 'text'; text: string }).text;

/** `stripe-twin mcp …` over stdio. */
export async function stdioClient(args: string[]): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...args], stderr: 'pipe' });
  const client = new Client({ name: 'stripe-twin-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}
