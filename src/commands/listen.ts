import http from 'node:http';
import { TwinControl, TwinControlError } from '../control/client';
import { listen as listenOn } from '../server/http';
import type { Options } from './index';

// How it works: a relay on a local port registers with the twin as a listen
// session (a hidden endpoint: it is not in /v1/webhook_endpoints, like a Stripe
// CLI session). The twin signs each delivery with the world's listen secret; the
// relay passes body and signature through unchanged and answers the twin with
// the receiver's status, so the delivery log and retries see what the app did;
// when the receiver cannot be reached, the relay drops the twin's connection, so
// the twin records a connection error as it would delivering there itself.

/** `2026-01-01 12:00:00`, local time, as the Stripe CLI prints it. */
function stamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** A control call's failure as the user should read it: the twin's refusal, or how to start it. */
function controlError(base: string, what: string, e: unknown): Error {
  if (e instanceof TwinControlError) return new Error(`${what}: ${e.message}`);
  const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
  return new Error(`cannot reach the twin at ${base} (${cause}); start it with \`stripe-twin serve\``);
}

/** Forwards one delivery; resolves with the receiver's status and answer, or why there was none. */
function forward(target: URL, headers: http.IncomingHttpHeaders, body: Buffer): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const pass: Record<string, string> = { 'Content-Length': String(body.length) };
    for (const name of ['content-type', 'user-agent', 'stripe-signature']) if (headers[name]) pass[name] = String(headers[name]);
    const req = http.request(target, { method: 'POST', headers: pass }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

export async function run(args: Options<'listen'>): Promise<void> {
  const { url: base, apiKey: key } = args;
  // Like the Stripe CLI, `localhost:3000/webhook` means http://localhost:3000/webhook.
  const forwardTo = args.forwardTo || null;
  const target = forwardTo ? new URL(/^https?:\/\//.test(forwardTo) ? forwardTo : `http://${forwardTo}`) : null;
  if (target && target.protocol !== 'http:') throw new Error('--forward-to: only http:// receivers are supported');
  const events = args.events ? args.events.split(',').map((s) => s.trim()).filter(Boolean) : ['*'];
  const out = (line: string) => process.stdout.write(`${line}\n`);

  const relay = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      let event: { id?: string; type?: string } = {};
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch {
        // Not an event: still passed through as it came.
      }
      out(`${stamp()}   --> ${event.type} [${event.id}]`);
      if (!target) {
        res.writeHead(200).end();
        return;
      }
      const answer = await forward(target, req.headers, body);
      if ('error' in answer) {
        out(`${stamp()}            [ERROR] Failed to POST: Post "${target.href}": ${answer.error}`);
        // No status to pass on (inventing a 502 would put a response in the log that no one sent).
        res.destroy();
        return;
      }
      out(`${stamp()}  <--  [${answer.status}] POST ${target.href} [${event.id}]`);
      res.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(answer.body.slice(0, 1024));
    });
  });
  const { url: relayUrl } = await listenOn(relay, 0, '127.0.0.1');
  // The session is the key's world's, so the key is enough; the control token (--control-token,
  // STRIPE_TWIN_CONTROL_TOKEN, or the token file of a twin on this machine) is sent when found.
  const twin = new TwinControl({ url: base, key, token: args.controlToken || undefined });
  let session: Awaited<ReturnType<typeof twin.webhooks.listen>>;
  try {
    session = await twin.webhooks.listen(`${relayUrl}/`, { events });
  } catch (e) {
    relay.close();
    throw controlError(base, 'POST /__admin__/webhooks/listeners', e);
  }
  out(`> Ready! You are using Stripe API Version [${session.api_version}]. Your webhook signing secret is ${session.secret} (^C to quit)`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await twin.webhooks.unlisten(session.id).catch(() => undefined);
    relay.closeAllConnections();
    relay.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
