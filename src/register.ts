import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TwinHandle } from './index';
import { defaultSecretKey, patchStripeExport, Repointer, settingsFromEnv, tagFor } from './jest/repoint';
import type { ReplayHttpClient } from './transport/replay';

// `stripe-twin/register`: a node preload that repoints every `new Stripe(...)`
// of the process to a twin, for runners other than jest (node:test, vitest, a
// script):
//
//   node --import stripe-twin/register --test        (ESM and CommonJS code)
//   node --require stripe-twin/register app.test.js  (the same, from a CJS preload)
//
// CommonJS `require('stripe')` is caught by wrapping Module._load; ESM
// `import Stripe from 'stripe'` (stripe's own ESM build, a separate copy of its
// classes) by module.register hooks (./register_hooks) that wrap the stripe
// entry in a module calling `patchStripe` on it. Both patch the core Stripe
// class (see ./jest/repoint.ts), so default imports, the callable form and
// fetch clients are covered. One twin per process: `node --test` runs each test
// file in its own process, so each file is its own world. The modes and
// environment variables are those of `stripe-twin/jest` (README, "Replay and jest").

const INSTALLED = Symbol.for('stripe-twin.register');

const settings = settingsFromEnv();
const repointer = new Repointer('stripe-twin/register', settings, () =>
  tagFor(process.argv[1] ? path.relative(process.cwd(), process.argv[1]) : `pid:${process.pid}`),
);

/** Repoints the clients of one loaded stripe module (what `require`/`import` of stripe gave). */
export function patchStripe(exported: unknown): boolean {
  if (!repointer.active) return false;
  return patchStripeExport(exported, () => repointer.httpClient());
}

/** This process's in-process twin (in-process mode, or replay with fallback). */
export function twin(): TwinHandle {
  return repointer.twin();
}

/** This process's replay client (replay mode). */
export function replay(): ReplayHttpClient {
  return repointer.replay();
}

export const stripeTwinSettings = settings;

const g = globalThis as Record<symbol, unknown>;
if (repointer.active && !g[INSTALLED]) {
  g[INSTALLED] = true;
  defaultSecretKey();

  const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = M._load;
  M._load = function (this: unknown, request: string, ...rest: unknown[]) {
    const exported = load.call(this, request, ...rest);
    if (request === 'stripe') patchStripe(exported);
    return exported;
  };

  const register = (Module as unknown as { register?: (specifier: string, parentURL: string) => void }).register;
  if (typeof register === 'function') register('./register_hooks.js', pathToFileURL(__filename).href);
  else process.emitWarning('stripe-twin/register: this node has no module.register (needs 20.6+): ESM imports of stripe are not repointed');
}
