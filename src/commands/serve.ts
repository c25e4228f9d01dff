import '../control'; // installs the control surface, faults and the request log into the pipeline
import '../mcp'; // installs the MCP server (/mcp) into the pipeline
import '../x402/install'; // installs the x402 facilitator (/x402/*) into the pipeline
import fs from 'node:fs';
import path from 'node:path';
import { allowControlHost, CONTROL_TOKEN_HEADER, isLoopbackHost, newControlToken, removeTokenFile, setControlToken, tokenDir, writeTokenFile } from '../control/token';
import { isKnownVersion, LATEST_VERSION } from '../engine/versions';
import { DEFAULT_START_TIME, Twin } from '../engine/twin';
import { accessLog } from '../server/access_log';
import { DurableStore, twinMeta } from '../server/durable';
import { HttpServerOptions, listen, pipelineOf, PUBLIC_URL_ENV, serveRequests, serveRequestsOverTls } from '../server/http';
import { HttpWebhookDispatcher } from '../server/webhooks';
import { Options, UsageError } from './index';

/** --api-version: a version Stripe released (the accounts' default; a request's Stripe-Version overrides it). */
function checkApiVersion(value: string | undefined): string | undefined {
  if (value !== undefined && !isKnownVersion(value)) throw new UsageError(`--api-version: "${value}" is not a Stripe API version (e.g. 2020-08-27, 2024-12-18.acacia, ${LATEST_VERSION})`);
  return value;
}

/** The HTTPS certificate: --cert and --key, or one made now. */
async function certificate(options: Options<'serve'>): Promise<{ key: string; cert: string; generated: boolean }> {
  if (options.cert === undefined && options.key === undefined) {
    const { selfSignedCertificate } = await import('../server/certificate'); // loads selfsigned only for --https
    return { ...(await selfSignedCertificate(options.host)), generated: true };
  }
  if (options.cert === undefined || options.key === undefined) throw new UsageError('--cert and --key go together (or neither, for a certificate made at start-up)');
  const read = (file: string, flag: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  return { cert: read(options.cert, '--cert'), key: read(options.key, '--key'), generated: false };
}

/** Writes a generated certificate where clients on this machine can trust it (NODE_EXTRA_CA_CERTS); answers the file, or null. */
function writeCertificate(port: number, cert: string): string | null {
  const dir = tokenDir(true);
  if (dir === null) return null;
  const file = path.join(dir, `${port}.pem`);
  try {
    fs.writeFileSync(file, cert, { mode: 0o644 });
    return file;
  } catch {
    return null;
  }
}

/** World time: where it starts, and whether it stands still until advanced (--seed) or follows the wall clock from `wallStart` (ms). */
export interface TwinTime {
  startTime?: number;
  wallStart?: number;
  frozen: boolean;
}

/** The twin `serve` runs, from its options; each worker of --workers builds the same one (the same seed, options and control token). */
export function buildTwin(options: Options<'serve'>, seed: string, token: string, time: TwinTime = { startTime: options.start, frozen: options.seed !== undefined }): Twin {
  const apiVersion = checkApiVersion(options.apiVersion);
  const retries = options.webhookRetries;
  const twin = new Twin({
    seed,
    startTime: time.startTime,
    wallStart: time.wallStart,
    wallClock: time.frozen ? undefined : Date.now,
    config: retries || apiVersion ? { ...(retries ? { webhookRetryDelays: retries } : {}), ...(apiVersion ? { defaultApiVersion: apiVersion } : {}) } : undefined,
    maxWorlds: options.maxWorlds,
  });
  twin.dispatcher = new HttpWebhookDispatcher();
  setControlToken(twin, token);
  allowControlHost(twin, options.host);
  return twin;
}

/**
 * --data DIR: the first start fixes the seed and the start of world time in DIR/twin.json;
 * a restart takes them from there, so ids never repeat and world time goes on (docs/durability.md).
 */
function durableTime(dir: string, seed: string, options: Options<'serve'>): { seed: string; time: TwinTime } {
  const seeded = options.seed !== undefined;
  const { workers } = options;
  const meta = twinMeta(dir, () => ({
    seed,
    startTime: options.start ?? (seeded ? DEFAULT_START_TIME : Math.floor(Date.now() / 1000)),
    wallStart: seeded ? null : Date.now(),
    ...(workers > 1 ? { workers } : {}),
  }));
  if (seeded && meta.seed !== seed) throw new UsageError(`--seed ${seed}: ${dir} holds a twin seeded ${JSON.stringify(meta.seed)}; use that seed, or another --data directory`);
  // Accounts are placed by their route modulo the number of workers: another number would look for them elsewhere.
  const kept = meta.workers ?? 1;
  if (kept !== workers) throw new UsageError(`--workers ${workers}: ${dir} holds worlds shared over ${kept} worker${kept === 1 ? '' : 's'}; use --workers ${kept}, or another --data directory`);
  return { seed: meta.seed, time: { startTime: meta.startTime, wallStart: meta.wallStart ?? undefined, frozen: meta.wallStart === null } };
}

export async function run(options: Options<'serve'>): Promise<void> {
  const { host, seed } = options;
  const seeded = seed !== undefined;
  const apiVersion = checkApiVersion(options.apiVersion);
  // The control token: --control-token, else STRIPE_TWIN_CONTROL_TOKEN (both checked by the declaration), else a fresh random one.
  const token = options.controlToken ?? newControlToken();
  const workers = options.workers;
  const freshSeed = seeded ? String(seed) : `${Date.now()}-${process.pid}`;
  const durable = options.data !== undefined ? durableTime(options.data, freshSeed, options) : null;
  const twinSeed = durable?.seed ?? freshSeed;
  const time: TwinTime = durable?.time ?? { startTime: options.start, frozen: seeded };
  const twin = buildTwin(options, twinSeed, token, time); // with --workers, only to check the options before any worker starts
  // With --workers, each worker keeps its own accounts under --data (./serve_worker.ts).
  const store = options.data !== undefined && workers === 1 ? DurableStore.open(options.data, twin, { foldBytes: options.foldAt }) : null;
  const faceOptions: HttpServerOptions = options.log ? { onRequest: accessLog(options.log) } : {};
  const tls = options.https ? await certificate(options) : null;
  const router = workers > 1 ? (await import('./serve_workers')).createRouter({ options, seed: twinSeed, token, time, count: workers }) : null;
  const answer = router ? router.answer : pipelineOf(twin);
  const server = serveRequests(answer, faceOptions);
  const { url, port: actualPort } = await listen(server, options.port, host);
  const secure = tls ? serveRequestsOverTls(answer, tls, faceOptions) : null;
  const https = secure ? await listen(secure, options.httpsPort, host) : null;
  const certFile = tls?.generated && https ? writeCertificate(https.port, tls.cert) : null;
  // Hosted pages (Checkout, Payment Links, the portal) point at this address unless told otherwise (a proxy, a container).
  const publicUrl = options.publicUrl ?? url;
  twin.setPublicUrl(publicUrl);
  await router?.start(publicUrl);
  if (store) twin.kickWebhooks(); // deliveries pending when it stopped go out again
  // Clients on this machine (TwinControl, stripe-twin listen) read the token from here; removed on exit.
  const tokenFile = writeTokenFile(actualPort, token);
  const forget = () => tokenFile && removeTokenFile(tokenFile, token);
  process.on('exit', forget);
  const key = 'sk_test_twin';
  const httpsLines = !https
    ? ''
    : `  https:    ${https.url}   (new Stripe('${key}', { host: '${host}', port: ${https.port}, protocol: 'https' }))\n` +
      (tls?.generated
        ? certFile
          ? `            self-signed certificate in ${certFile}: trust it with NODE_EXTRA_CA_CERTS=${certFile}\n`
          : '            self-signed certificate made at start-up (no file could be written to trust it; give --cert and --key)\n'
        : `            certificate ${options.cert}\n`);
  process.stdout.write(
    `stripe-twin listening on ${url} (API version ${apiVersion ?? LATEST_VERSION}${seeded ? `, seed ${seed}` : ''})\n` +
      (store ? `  data:     ${store.dir}   (every world kept on disk; ${twin.allWorlds().length} loaded)\n` : '') +
      (router && options.data !== undefined ? `  data:     ${options.data}   (every world kept on disk, by the worker holding it: worker-1 … worker-${workers})\n` : '') +
      `  key:      ${key}   (any sk_test_… key works; each key is its own account)\n` +
      `  node:     new Stripe('${key}', { host: '${host}', port: ${actualPort}, protocol: 'http' })\n` +
      httpsLines +
      `  health:   ${url}/healthz\n` +
      (router ? `  workers:  ${workers} ${router.kind === 'process' ? 'processes' : 'threads'}, each holding the accounts routed to it (docs/scaling.md)\n` : '') +
      `  pages:    ${publicUrl}   (Checkout, Payment Links and the customer portal; --public-url or ${PUBLIC_URL_ENV} to change)\n` +
      `  control:  ${url}/__admin__ with ${CONTROL_TOKEN_HEADER}: ${token}\n` +
      `            (${tokenFile ? `also in ${tokenFile}, which clients on this machine read` : 'no token file could be written'}; an API key alone acts on its own world)\n` +
      `  inspect:  ${url}/__inspector__?token=${encodeURIComponent(token)}   (open in a browser: worlds, objects, events, requests)\n`,
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
    void router?.stop();
    secure?.close();
    secure?.closeAllConnections();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
