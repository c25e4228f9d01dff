import type { Twin } from '../engine/twin';
import { jsonResponse, TwinRequest, TwinResponse } from './stages';

// Sessions (brief 000, docs/agents.md §8): a scored run hands its agent a session URL
// (`http://host:port/s/<session>`, MCP at `/s/<session>/mcp`) and a session
// token. Both resolve to the session's key, so to its account: a request under
// the prefix that carries no key acts as the session's key, and a request bearing
// the token (with or without the prefix) acts as it too. A request under the
// prefix that carries an API key of its own uses that key (twin choice: the
// prefix supplies a default credential, it does not override one).

const PREFIX = /^\/s\/([^/?]+)(\/[^?]*)?(\?.*)?$/;

function refusal(status: number, message: string): TwinResponse {
  // The twin's own answer (no Stripe equivalent): Stripe's error envelope, so SDKs surface the message.
  return jsonResponse(status, JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
}

/** The request as the session resolves it (prefix taken off, the key in Authorization), or a refusal. */
export function enterSession(twin: Twin, req: TwinRequest): TwinRequest | TwinResponse {
  let url = req.url;
  let id: string | undefined;
  const m = PREFIX.exec(url);
  if (m) {
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      id = m[1];
    }
    url = `${m[2] ?? '/'}${m[3] ?? ''}`;
  }
  const prefixed = id === undefined ? undefined : twin.session(id);
  if (id !== undefined && !prefixed) return refusal(404, `No session "${id}" on this twin.`);
  const authorization = req.headers.authorization;
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  const byToken = bearer === undefined ? undefined : twin.sessionOfToken(bearer);
  if (byToken && prefixed && byToken !== prefixed) return refusal(401, `This session token belongs to another session than "${prefixed.id}".`);
  const session = byToken ?? (authorization ? undefined : prefixed);
  if (!session && !prefixed) return req;
  const headers = session ? { ...req.headers, authorization: `Bearer ${session.key}` } : req.headers;
  return { ...req, url, headers };
}
