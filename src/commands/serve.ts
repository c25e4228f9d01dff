import '../control'; // installs the control surface, faults and the request log into the pipeline
import '../mcp'; // installs the MCP server (/mcp) into the pipeline
import '../x402/install'; // installs the x402 facilitator (/x402/*) into the pipeline
import { allowControlHost, checkControlToken, CONTROL_TOKEN_ENV, CONTROL_TOKEN_HEADER, isLoopbackHost, newControlToken, removeTokenFile, setControlToken, writeTokenFile } from '../control/token';
import { isKnownVersion, LATEST_VERSION } from '../engine/versions';
import { DEFAULT_START_TIME, Twin } from '../engine/twin';
import { checkPublicUrl, createHttpServer, listen, PUBLIC_URL_ENV } from '../server/http';
import { DurableStore, twinMeta } from '../server/durable';
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

export async function run(args: Record<string, string>): Promise<void> {
  const port = Number(args.port ?? process.env.STRIPE_TWIN_PORT ?? 12111);
  const host = args.host ?? '127.0.0.1';
  let seeded = args.seed !== undefined;
  const retries = parseRetries(args['webhook-retries']);
  const apiVersion = parseApiVersion(args['api-version']);
  let seed = seeded ? String(args.seed) : `${Date.now()}-${process.pid}`;
  let startTime = parseStart(args.start);
  let wallStart: number | undefined;
  const data = args.data === undefined ? undefined : String(args.data);
  if (data !== undefined) {
    // The first start fixes the seed and the start of world time; a restart takes them from DIR/twin.json.
    const meta = twinMeta(data, () => ({ seed, startTime: startTime ?? (seeded ? DEFAULT_START_TIME : Math.floor(Date.now() / 1000)), wallStart: seeded ? null : Date.now() }));
    if (seeded && meta.seed !== seed) throw new Error(`--seed ${seed}: ${data} holds a twin seeded ${JSON.stringify(meta.seed)}; use that seed, or another --data directory`);
    ({ seed, startTime } = meta);
    seeded = meta.wallStart === null;
    wallStart = meta.wallStart ?? undefined;
  }
  const twin = new Twin({
    seed,
    startTime,
    wallStart,
    wallClock: seeded ? undefined : Date.now,
    config: retries || apiVersion ? { ...(retries ? { webhookRetryDelays: retries } : {}), ...(apiVersion ? { defaultApiVersion: apiVersion } : {}) } : undefined,
    maxWorlds: parseMaxWorlds(args['max-worlds']),
  });
  twin.dispatcher = new HttpWebhookDispatcher();
  const store = data === undefined ? null : DurableStore.open(data, twin);
  const token = controlToken(args);
  setControlToken(twin, token);
  allowControlHost(twin, host);
  const server = createHttpServer(twin);
  const { url, port: actualPort } = await listen(server, port, host);
  // Hosted pages (Checkout, Payment Links, the portal) point at this address unless told otherwise (a proxy, a container).
  const publicUrl = args['public-url'] !== undefined ? checkPublicUrl(String(args['public-url']), '--public-url') : process.env[PUBLIC_URL_ENV] ? checkPublicUrl(process.env[PUBLIC_URL_ENV]!, PUBLIC_URL_ENV) : url;
  twin.setPublicUrl(publicUrl);
  if (store) twin.kickWebhooks(); // deliveries pending when it stopped go out again
  // Clients on this machine (TwinControl, stripe-twin listen) read the token from here; removed on exit.
  const tokenFile = writeTokenFile(actualPort, token);
  const forget = () => tokenFile && removeTokenFile(tokenFile, token);
  process.on('exit', forget);
  const key = 'sk_test_twin';
  process.stdout.write(
    `stripe-twin listening on ${url} (API version ${apiVersion ?? LATEST_VERSION}${seeded ? `, seed ${seed}` : ''})\n` +
      (store ? `  data:     ${store.dir}   (every world kept on disk; ${twin.allWorlds().length} loaded)\n` : '') +
      `  key:      ${key}   (any sk_test_… key works; each key is its own account)\n` +
      `  node:     new Stripe('${key}', { host: '${host}', port: ${actualPort}, protocol: 'http' })\n` +
      `  health:   ${url}/healthz\n` +
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
    store?.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
