import '../control'; // installs the control surface, faults and the request log into the pipeline
import '../mcp'; // installs the MCP server (/mcp) into the pipeline
import '../x402/install'; // installs the x402 facilitator (/x402/*) into the pipeline
import { allowControlHost, checkControlToken, CONTROL_TOKEN_ENV, CONTROL_TOKEN_HEADER, isLoopbackHost, newControlToken, removeTokenFile, setControlToken, writeTokenFile } from '../control/token';
import { isKnownVersion, LATEST_VERSION } from '../engine/versions';
import { Twin } from '../engine/twin';
import { checkPublicUrl, createHttpServer, listen, PUBLIC_URL_ENV } from '../server/http';
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

/** --api-version: a version Stripe released (the accounts' default; a request's Stripe-Version overrides it). */
function parseApiVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isKnownVersion(String(value))) throw new Error(`--api-version: "${value}" is not a Stripe API version (e.g. 2020-08-27, 2024-12-18.acacia, ${LATEST_VERSION})`);
  return String(value);
}

function parseMaxWorlds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new Error(`--max-worlds: "${value}" is not a positive whole number`);
  return Number(value);
}

/** The control token: --control-token, else STRIPE_TWIN_CONTROL_TOKEN, else a fresh random one. */
function controlToken(args: Record<string, string>): string {
  const given = args['control-token'];
  if (given !== undefined) return checkControlToken(String(given), '--control-token');
  const env = process.env[CONTROL_TOKEN_ENV];
  if (env) return checkControlToken(env, CONTROL_TOKEN_ENV);
  return newControlToken();
}

/** --workers: how many workers hold the worlds (1, the default: this process alone, as without the flag). */
function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (!/^[1-9]\d{0,2}$/.test(value) || Number(value) > MAX_WORKERS) throw new Error(`--workers: "${value}" is not a whole number from 1 to ${MAX_WORKERS}`);
  return Number(value);
}

const MAX_WORKERS = 64;

/** The twin `serve` runs, from its flags; each worker of --workers builds the same one (the same seed, options and control token). */
export function buildTwin(args: Record<string, string>, seed: string, token: string): Twin {
  const seeded = args.seed !== undefined;
  const retries = parseRetries(args['webhook-retries']);
  const apiVersion = parseApiVersion(args['api-version']);
  const twin = new Twin({
    seed,
    startTime: parseStart(args.start),
    wallClock: seeded ? undefined : Date.now,
    config: retries || apiVersion ? { ...(retries ? { webhookRetryDelays: retries } : {}), ...(apiVersion ? { defaultApiVersion: apiVersion } : {}) } : undefined,
    maxWorlds: parseMaxWorlds(args['max-worlds']),
  });
  twin.dispatcher = new HttpWebhookDispatcher();
  setControlToken(twin, token);
  allowControlHost(twin, args.host ?? '127.0.0.1');
  return twin;
}

export async function run(args: Record<string, string>): Promise<void> {
  const port = Number(args.port ?? process.env.STRIPE_TWIN_PORT ?? 12111);
  const host = args.host ?? '127.0.0.1';
  const seeded = args.seed !== undefined;
  const apiVersion = parseApiVersion(args['api-version']);
  const workers = parseWorkers(args.workers);
  const seed = seeded ? String(args.seed) : `${Date.now()}-${process.pid}`;
  const token = controlToken(args);
  const twin = buildTwin(args, seed, token); // with --workers, only to check the flags before any worker starts
  const router = workers > 1 ? (await import('./serve_workers')).createRouter({ args, seed, token, count: workers }) : null;
  const server = router ? router.server : createHttpServer(twin);
  const { url, port: actualPort } = await listen(server, port, host);
  // Hosted pages (Checkout, Payment Links, the portal) point at this address unless told otherwise (a proxy, a container).
  const publicUrl = args['public-url'] !== undefined ? checkPublicUrl(String(args['public-url']), '--public-url') : process.env[PUBLIC_URL_ENV] ? checkPublicUrl(process.env[PUBLIC_URL_ENV]!, PUBLIC_URL_ENV) : url;
  twin.setPublicUrl(publicUrl);
  await router?.start(publicUrl);
  // Clients on this machine (TwinControl, stripe-twin listen) read the token from here; removed on exit.
  const tokenFile = writeTokenFile(actualPort, token);
  const forget = () => tokenFile && removeTokenFile(tokenFile, token);
  process.on('exit', forget);
  const key = 'sk_test_twin';
  process.stdout.write(
    `stripe-twin listening on ${url} (API version ${apiVersion ?? LATEST_VERSION}${seeded ? `, seed ${args.seed}` : ''})\n` +
      `  key:      ${key}   (any sk_test_… key works; each key is its own account)\n` +
      `  node:     new Stripe('${key}', { host: '${host}', port: ${actualPort}, protocol: 'http' })\n` +
      `  health:   ${url}/healthz\n` +
      (router ? `  workers:  ${workers} ${router.kind === 'process' ? 'processes' : 'threads'}, each holding the accounts routed to it (docs/scaling.md)\n` : '') +
      `  pages:    ${publicUrl}   (Checkout, Payment Links and the customer portal; --public-url or ${PUBLIC_URL_ENV} to change)\n` +
      `  control:  ${url}/__admin__ with ${CONTROL_TOKEN_HEADER}: ${token}\n` +
      `            (${tokenFile ? `also in ${tokenFile}, which clients on this machine read` : 'no token file could be written'}; an API key alone acts on its own world)\n`,
  );
  if (!isLoopbackHost(host)) {
    process.stderr.write(
      `stripe-twin: warning: listening on ${host}, which is not a loopback address: other machines can reach the API (any sk_test_… key) ` +
        `and its control surface (each world to whoever sends its API key, every world to the holder of the control token printed above). ` +
        'Use --host 127.0.0.1 to keep it local.\n',
    );
  }
  const stop = () => {
    forget();
    void router?.stop();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
