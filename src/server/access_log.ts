// One line per request the HTTP face answered (`serve --verbose`, `--log json`),
// in the spirit of `stripe logs tail`: when (wall clock), status, method, path,
// request id, then the world (account) it acted in, the time it took, and
// whether an idempotency key answered it again. Lines about the twin itself
// (an internal error, TLS on the HTTP port) go to stderr, not here.
//
//   2026-01-01 12:00:00 [200] POST /v1/customers [req_abc] acct_1 3.1 ms
//   2026-01-01 12:00:01 [200] POST /v1/customers [req_abc] acct_1 0.4 ms idempotent replay
//   {"time":"2026-01-01T12:00:00.000Z","status":200,"method":"POST","path":"/v1/customers","request_id":"req_abc","account":"acct_1","ms":3.1,"replayed":false}

export interface AccessLogEntry {
  method: string;
  /** Without the query string. */
  path: string;
  /** null: the connection was dropped without an answer (a lost-response or timeout fault). */
  status: number | null;
  ms: number;
  /** Request-Id; null for what is not an API request (/healthz, /__admin__, hosted pages). */
  request_id: string | null;
  /** The account (world) an API or MCP request acted in. */
  account: string | null;
  /** Answered from a stored idempotent result (Idempotent-Replayed: true). */
  replayed: boolean;
}

export type AccessLogFormat = 'text' | 'json';

/** `2026-01-01 12:00:00`, local time, as the Stripe CLI prints it. */
function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

export function accessLogLine(entry: AccessLogEntry, format: AccessLogFormat, now = new Date()): string {
  const ms = Math.round(entry.ms * 10) / 10;
  if (format === 'json') return JSON.stringify({ time: now.toISOString(), ...entry, ms });
  const status = entry.status === null ? 'dropped' : String(entry.status);
  const extra = [entry.request_id && `[${entry.request_id}]`, entry.account, `${ms} ms`, entry.replayed && 'idempotent replay'].filter(Boolean);
  return `${stamp(now)} [${status}] ${entry.method} ${entry.path} ${extra.join(' ')}`;
}

/** The `onRequest` of createHttpServer that writes each entry as a line to `write` (stdout by default). */
export function accessLog(format: AccessLogFormat, write: (line: string) => void = (line) => process.stdout.write(line)): (entry: AccessLogEntry) => void {
  return (entry) => write(`${accessLogLine(entry, format)}\n`);
}
