import path from 'node:path';
import type { TwinControl } from '../control/client';
import type { TwinHandle } from '../index';
import type { ReplayHttpClient } from '../transport/replay';
import { defaultSecretKey, patchStripeExport, Repointer, settingsFromEnv, tagFor } from './repoint';

// `stripe-twin/jest`, a jest `setupFiles` module: every `new Stripe(...)` in the
// test file and the code it loads talks to a twin, with no change to that code.
//
//   // jest.config.js
//   module.exports = { setupFiles: ['stripe-twin/jest'] };
//
// Jest runs setup files in each test file's own module registry, so each test
// file gets its own twin (in-process mode), its own keys on a shared server
// (server mode, with `globalSetup: 'stripe-twin/jest/globalSetup'`), or its
// own pass over the capture (replay mode). The environment variables are listed
// in ./repoint.ts and the README ("Replay and jest").
//
// `stripe` is mocked with itself, patched (jest.mock + requireActual): the mock
// factory runs again for every fresh registry (jest.resetModules,
// jest.isolateModules), so no copy of stripe escapes. TypeScript/ESM-interop
// `import Stripe from 'stripe'` and `require('stripe')` both go through it.
// (Native ESM under --experimental-vm-modules is not covered.)

declare const jest: {
  mock(moduleName: string, factory: () => unknown): unknown;
  requireActual<T = unknown>(moduleName: string): T;
};

const settings = settingsFromEnv();
const repointer = new Repointer('stripe-twin/jest', settings, () => {
  const testPath = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect?.getState?.().testPath;
  return tagFor(testPath ? path.relative(process.cwd(), testPath) : `${process.pid}:${Math.random()}`);
});

/** Every path `stripe` resolves to from here: the project (cwd, usually jest's rootDir) and this package. */
function stripePaths(): string[] {
  const out = new Set<string>();
  for (const from of [process.cwd(), __dirname]) {
    try {
      out.add(require.resolve('stripe', { paths: [from] }));
    } catch {
      // not resolvable from there
    }
  }
  return [...out];
}

if (repointer.active) {
  defaultSecretKey();
  for (const modulePath of stripePaths()) {
    jest.mock(modulePath, () => {
      const actual = jest.requireActual(modulePath);
      patchStripeExport(actual, () => repointer.httpClient());
      return actual;
    });
  }
}

/** This test file's in-process twin (in-process mode; replay mode with fallback): its engine, control surface, a client. */
export function twin(): TwinHandle {
  return repointer.twin();
}

/**
 * A control client (`stripe-twin/control`) for this test file's twin, acting on the world of `key`
 * (default STRIPE_SECRET_KEY): the in-process twin, or in server mode the shared server under this
 * file's key, with the control token globalSetup exported (or a local `serve`'s token file).
 */
export function control(key: string = process.env.STRIPE_SECRET_KEY ?? 'sk_test_twin'): TwinControl {
  const { TwinControl } = require('../control/client') as typeof import('../control/client');
  if (settings.mode === 'server') return new TwinControl({ url: settings.url!, key: repointer.worldKey(key) });
  return new TwinControl({ twin: repointer.twin(), key });
}

/**
 * Starts this test file's world (of `key`, default STRIPE_SECRET_KEY) from the
 * snapshot `name` that globalSetup saved with `saveSnapshot` (stripe-twin/jest/snapshots):
 * `beforeAll(() => restoreSnapshot('catalog'))`. A copy: what one file does there, no other sees.
 */
export async function restoreSnapshot(name: string, key?: string): Promise<void> {
  const client = control(key);
  if (settings.mode === 'server') await client.snapshots.restore(name);
  else {
    const { readSnapshotFile } = require('./snapshots') as typeof import('./snapshots');
    await client.importWorld(readSnapshotFile(name));
  }
}

/** This test file's replay client (replay mode): `remaining()`, `unmatched`, `reset()`. */
export function replay(): ReplayHttpClient {
  return repointer.replay();
}

/** The mode this test file runs in, and the rest of the settings read from the environment. */
export const stripeTwinSettings = settings;
