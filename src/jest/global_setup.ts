import http from 'node:http';
import { settingsFromEnv } from './repoint';

// `stripe-twin/jest/globalSetup` (optional): starts one twin server for the
// whole jest run and exports STRIPE_TWIN_URL to the workers, so the setup file
// (`stripe-twin/jest`) points every test file at it — each file with its own
// keys, hence its own world. Pair with `globalTeardown: 'stripe-twin/jest/globalTeardown'`
// (the server does not keep jest alive without it).
//
//   STRIPE_TWIN_HOST / STRIPE_TWIN_PORT   where to listen (default 127.0.0.1, a free port)
//   STRIPE_TWIN_SEED                      seed of the twin (default 0)
//   STRIPE_TWIN_CONTROL_TOKEN             its control token (default: a random one, exported
//                                         here, so TwinControl in the workers sends it)
//
// Nothing is started when STRIPE_TWIN_URL is already set (a twin you run
// yourself), or when STRIPE_TWIN_MODE / STRIPE_TWIN_REPLAY choose another mode.

const SERVER = Symbol.for('stripe-twin.jest.server');

interface Running {
  url: string;
  close(): Promise<void>;
}

async function globalSetup(): Promise<void> {
  const env = process.env;
  if (env.STRIPE_TWIN_URL) return;
  if (env.STRIPE_TWIN_REPLAY || (env.STRIPE_TWIN_MODE && env.STRIPE_TWIN_MODE !== 'server')) {
    settingsFromEnv(); // still report a bad STRIPE_TWIN_MODE early
    return;
  }
  const { createTwin } = require('../index') as typeof import('../index');
  const { createHttpServer, listen } = require('../server/http') as typeof import('../server/http');
  const { allowControlHost, CONTROL_TOKEN_ENV } = require('../control/token') as typeof import('../control/token');
  // createTwin installs the webhook dispatcher, so endpoints the suites create are delivered to.
  const twin = createTwin({ seed: env.STRIPE_TWIN_SEED ?? '0', controlToken: env[CONTROL_TOKEN_ENV] || undefined });
  const host = env.STRIPE_TWIN_HOST ?? '127.0.0.1';
  allowControlHost(twin.engine, host);
  const server: http.Server = createHttpServer(twin.engine);
  const { url } = await listen(server, Number(env.STRIPE_TWIN_PORT ?? 0), host);
  if (!env.STRIPE_TWIN_PUBLIC_URL) twin.engine.setPublicUrl(url); // hosted pages (Checkout, …) on this server
  const tokenWasSet = Boolean(env[CONTROL_TOKEN_ENV]);
  server.unref();
  server.on('connection', (socket) => socket.unref());
  const running: Running = {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        // Forget the URL too: a later run (jest --watch) starts a new server.
        if (env.STRIPE_TWIN_URL === url) {
          delete env.STRIPE_TWIN_URL;
          delete env.STRIPE_TWIN_MODE;
          if (!tokenWasSet) delete env[CONTROL_TOKEN_ENV];
        }
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  (globalThis as Record<symbol, unknown>)[SERVER] = running;
  env.STRIPE_TWIN_URL = url;
  env.STRIPE_TWIN_MODE = 'server';
  // Workers inherit it: `new TwinControl({ url: process.env.STRIPE_TWIN_URL })` and `control()` send it.
  env[CONTROL_TOKEN_ENV] = twin.controlToken;
}

export = globalSetup;
