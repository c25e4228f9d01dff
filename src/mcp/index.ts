import { stages } from '../server/stages';

// Installs the MCP server into the request pipeline: /mcp and /mcp/<tool set>
// answer MCP over Streamable HTTP on every face that serves the pipeline
// (`serve`, `createTwin().listen()`, in-process requests). The MCP SDK (and ajv,
// which checks tool arguments) is loaded on the first /mcp request, so a twin
// that is never asked pays nothing for it: this file imports nothing else of src/mcp.

stages.mcp = async (twin, req, path, who) => (await import('./http')).handleMcp(twin, req, path, who);
