import type { StripeError } from '../engine/errors';
import type { RequestAccount, Twin } from '../engine/twin';
import type { World } from '../engine/world';

// What faces hand the request pipeline and get back, and the pipeline's stages
// that the control surface configures (src/control/index.ts installs them): the
// control routes themselves, armed faults and the request log. The pipeline
// reads them here and never imports the control surface.

export interface TwinRequest {
  method: string;
  /** Path and query string, as on the request line. */
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /**
   * Reads the body; a face may stream it so idempotency keys lock while it arrives.
   * A face that bounds bodies keeps at most `limit` bytes (default MAX_BODY_BYTES; a world import asks for more).
   */
  readBody: (limit?: number) => Promise<Uint8Array>;
  /**
   * Registers a call for when the client goes away (ends a timeout fault's hold
   * early). Only a held request asks, so faces pay nothing per request.
   */
  onGone?: (listener: () => void) => void;
}

export interface TwinResponse {
  status: number;
  /** Header names and values, alternating (the form node's writeHead takes directly). */
  headers: string[];
  body: string;
  /** Close the connection without answering (a lost-response or timeout fault); the in-process face rejects. */
  drop?: boolean;
  /** The account (world) an API or MCP request acted in, for the face's access log; never sent. */
  account?: string;
}

/** Largest request body accepted (twin choice; Stripe's own limit is not documented). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A plain JSON answer (health check, control surface). */
export function jsonResponse(status: number, body: string): TwinResponse {
  return { status, headers: ['Content-Type', 'application/json'], body };
}

/** What an armed fault does to the request that meets it (src/control/faults.ts arms them). */
export type FaultAction =
  | { type: 'rate_limit_error' | 'api_error' | 'card_error'; status: number; error: StripeError }
  | { type: 'timeout'; delay_ms: number }
  | { type: 'lost_response'; mode: 'drop' | '500' };

/** The fault a request met, as its log entry shows it. */
export interface AppliedFault {
  id: string;
  type: FaultAction['type'];
  mode?: 'drop' | '500';
}

/** One API request as the request log keeps it. */
export interface RequestLogEntry {
  /** The request's Request-Id. */
  id: string;
  method: string;
  path: string;
  /** The status the client received; null when the connection was dropped. */
  status: number | null;
  idempotency_key: string | null;
  /** Answered from a stored idempotent result (`Idempotent-Replayed: true`). */
  replayed: boolean;
  fault: AppliedFault | null;
  /** Wall-clock time the twin spent on the request, measured by the pipeline. */
  latency_ms: number;
  /** World time when the request finished. */
  created: number;
}

/** The bytes of one API exchange, which the request log keeps for its newest entries (the inspector shows them). */
export interface RequestExchange {
  /** The query string, without `?`. */
  query: string;
  /** As received (names in lower case); whoever shows them masks the key. */
  request_headers: Record<string, string | undefined>;
  /** The decoded body text ('' for a request without one, or one refused before its body was read). */
  request_body: string;
  /** Names and values, alternating; empty for a dropped connection. */
  response_headers: string[];
  response_body: string;
}

export interface Stages {
  /** Answers /__admin__/* (none installed: 404). */
  control: ((twin: Twin, req: TwinRequest, path: string, query: string) => Promise<TwinResponse>) | null;
  /** The armed fault a request to a route meets, if any (it is used up). */
  fault: (world: World, method: string, path: string, list: boolean) => { applied: AppliedFault; action: FaultAction } | null;
  /** Records an API request in its world's log. */
  log: (world: World, entry: RequestLogEntry, exchange: RequestExchange) => void;
  /** Answers /__inspector__/* and a browser's GET of / and /__admin__ (src/control/inspector installs it; none installed: as before). */
  inspector: ((twin: Twin, req: TwinRequest, path: string, query: string) => Promise<TwinResponse>) | null;
  /** Answers /mcp and /mcp/<tool set> for the caller `who` (src/mcp installs it; none installed: the API's 404). */
  mcp: ((twin: Twin, req: TwinRequest, path: string, who: RequestAccount) => Promise<TwinResponse>) | null;
  /** Answers the x402 facilitator's /x402/* (src/x402 installs it; it authenticates verify and settle itself, /supported needs no key). */
  x402: ((twin: Twin, req: TwinRequest, path: string) => Promise<TwinResponse>) | null;
}

/** The installed stages; until the control surface and the MCP server are loaded, no control routes, no faults, no log and no /mcp. */
export const stages: Stages = { control: null, fault: () => null, log: () => undefined, inspector: null, mcp: null, x402: null };
