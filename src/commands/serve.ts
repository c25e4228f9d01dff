import { LATEST_VERSION } from '../engine/versions';
import { Twin } from '../engine/twin';
import { createHttpServer, listen } from '../server/http';
import { HttpWebhookDispatcher } from '../server/webhooks';

function parseRetries(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const delays = value === '' || value === 'none' ? [] : value.split(',').map(Number);
  if (delays.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`--webhook-retries: "${value}" is not a list of positive seconds like 3600,7200,14400 (or none)`);
  return delays;
}

function parseStart(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Math.floor(Date.parse(value) / 1000);
  if (!Number.isFinite(n)) throw new Error(`--start: cannot read "${value}" as Unix seconds or an ISO date`);
  return n;
}

export async function run(args: Record<string, string>): Promise<void> {
  const port = Number(args.port ?? process.env.STRIPE_TWIN_PORT ?? 12111);
  const host = args.host ?? '127.0.0.1';
  const seeded = args.seed !== undefined;
  const retries = parseRetries(args['webhook-retries']);
  const twin = new Twin({
    seed: seeded ? args.seed : `${Date.now()}-${process.pid}`,
    startTime: parseStart(args.start),
    wallClock: seeded ? undefined : Date.now,
    config: retries ? { webhookRetryDelays: retries } : undefined,
  });
  twin.dispatcher = new HttpWebhookDispatcher();
  const server = createHttpServer(twin);
  const { url, port: actualPort } = await listen(server, port, host);
  const key = 'sk_test_twin';
  process.stdout.write(
    `stripe-twin listening on ${url} (API version ${LATEST_VERSION}${seeded ? `, seed ${args.seed}` : ''})\n` +
      `  key:      ${key}   (any sk_test_… key works; each key is its own account)\n` +
      `  node:     new Stripe('${key}', { host: '${host}', port: ${actualPort}, protocol: 'http' })\n` +
      `  health:   ${url}/healthz\n`,
  );
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
