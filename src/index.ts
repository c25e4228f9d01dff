import http from 'node:http';
import Stripe from 'stripe';
import './control'; // installs the control surface, faults and the request log into the pipeline
import './mcp'; // installs the MCP server (/mcp) into the pipeline
import './x402/install'; // installs the x402 facilitator (/x402/*) into the pipeline
import { allowControlHost, checkControlToken, newControlToken, setControlToken } from './control/token';
import { Twin, TwinOptions } from './engine/twin';
import { checkPublicUrl, createHttpServer, listen, PUBLIC_URL_ENV } from './server/http';
import { DispatcherOptions, HttpWebhookDispatcher } from './server/webhooks';
import { TwinHttpClient } from './transport/in_process';

// Public entry: createTwin() gives the engine, a stripe-node httpClient that
// reaches it in-process, and a way to serve it over HTTP.

export { Twin, TwinOptions } from './engine/twin';
export { TwinHttpClient } from './transport/in_process';
export { createHttpServer } from './server/http';
export { handleRequest, TwinRequest, TwinResponse } from './server/pipeline';
export { LATEST_VERSION } from './engine/versions';
export { DispatcherOptions, HttpWebhookDispatcher, signature } from './server/webhooks';

export interface TwinHandle {
  engine: Twin;
  /**
   * The control token of this twin (random unless `createTwin({ controlToken })`): what a client of
   * `listen()`'s URL sends as `Stripe-Twin-Control-Token` to act on every world. In-process
   * control calls (`new TwinControl({ twin })`) carry it by themselves.
   */
  controlToken: string;
  /** Pass as `new Stripe(key, { httpClient })`: SDK calls run in-process, no socket. */
  httpClient: TwinHttpClient;
  /** A stripe client bound to this twin in-process (each key is its own world). */
  stripe(key?: string, config?: Stripe.StripeConfig): Stripe;
  /** Serves the same engine over HTTP; resolves with its base URL. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number; close(): Promise<void> }>;
}

/**
 * `webhooks`: how deliveries are made (signing clock, timeout), or `false` to leave them pending.
 * `controlToken`: the control surface's token (default: random, see `TwinHandle.controlToken`).
 */
export function createTwin(options: TwinOptions & { webhooks?: DispatcherOptions | false; controlToken?: string } = {}): TwinHandle {
  // The pages the twin serves link to `config.publicUrl`, else STRIPE_TWIN_PUBLIC_URL, else (once listening) the address it serves on.
  const envUrl = process.env[PUBLIC_URL_ENV];
  const fixedUrl = options.config?.publicUrl ?? (envUrl ? checkPublicUrl(envUrl, PUBLIC_URL_ENV) : undefined);
  const engine = new Twin(fixedUrl ? { ...options, config: { ...options.config, publicUrl: fixedUrl } } : options);
  if (options.webhooks !== false) engine.dispatcher = new HttpWebhookDispatcher(options.webhooks);
  const controlToken = options.controlToken === undefined ? newControlToken() : checkControlToken(options.controlToken, 'createTwin({ controlToken })');
  setControlToken(engine, controlToken);
  const httpClient = new TwinHttpClient(engine);
  return {
    engine,
    controlToken,
    httpClient,
    stripe: (key = 'sk_test_twin', config = {}) => new Stripe(key, { maxNetworkRetries: 0, ...config, httpClient }),
    async listen(port = 0, host = '127.0.0.1') {
      const server: http.Server = createHttpServer(engine);
      allowControlHost(engine, host);
      const { url, port: actual } = await listen(server, port, host);
      if (!fixedUrl) engine.setPublicUrl(url);
      return {
        url,
        port: actual,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
  };
}
