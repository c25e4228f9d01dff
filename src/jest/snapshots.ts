import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import type { TwinControl, WorldFile } from '../control/client';
import { settingsFromEnv } from './repoint';

// `stripe-twin/jest/snapshots`: seed a world once, in jest's globalSetup, and
// start every test file from it (docs/durability.md):
//
//   // jest.global-setup.js (globalSetup), after stripe-twin's own
//   const start = require('stripe-twin/jest/globalSetup');
//   const { saveSnapshot } = require('stripe-twin/jest/snapshots');
//   module.exports = async () => {
//     await start();
//     await saveSnapshot('catalog', async ({ stripe, control }) => {
//       await stripe.products.create({ name: 'Plan' });
//       await control.seed({ customers: [{ id: 'cus_jane' }] });
//     });
//   };
//
//   // a test file
//   import { restoreSnapshot } from 'stripe-twin/jest';
//   beforeAll(() => restoreSnapshot('catalog'));
//
// With the shared server (globalSetup's), the snapshot is kept in the server's
// memory and restored into each file's world in milliseconds. In-process (each
// file its own twin), the world is written to a file the workers load.

/** Where in-process snapshots are written, exported to the workers. */
export const SNAPSHOT_DIR_ENV = 'STRIPE_TWIN_SNAPSHOT_DIR';

/** The key the seeded world is made under (each file restores a copy under its own). */
const snapshotKey = (name: string) => `sk_test_snapshot_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** What a snapshot's builder is given: a Stripe client and a control client on the world being seeded. */
export interface SnapshotBuilder {
  stripe: Stripe;
  control: TwinControl;
  key: string;
}

/** Builds a world with `build` and saves it as snapshot `name`, for restoreSnapshot in every test file. */
export async function saveSnapshot(name: string, build: (world: SnapshotBuilder) => unknown | Promise<unknown>): Promise<void> {
  const settings = settingsFromEnv();
  const key = snapshotKey(name);
  const { TwinControl } = require('../control/client') as typeof import('../control/client');
  if (settings.mode === 'server') {
    const StripeClass = require('stripe') as typeof Stripe;
    const url = new URL(settings.url!);
    const stripe = new StripeClass(key, { host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(':', '') as 'http' | 'https' });
    const control = new TwinControl({ url: settings.url!, key });
    await control.reset();
    await build({ stripe, control, key });
    await control.snapshots.save(name);
    return;
  }
  if (settings.mode !== 'in-process') throw new Error(`stripe-twin/jest/snapshots: snapshots need a twin (mode ${settings.mode})`);
  const { createTwin } = require('../index') as typeof import('../index');
  const twin = createTwin({ seed: settings.seed });
  const control = new TwinControl({ twin, key });
  await build({ stripe: twin.stripe(key), control, key });
  const dir = (process.env[SNAPSHOT_DIR_ENV] ??= fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-snapshots-')));
  fs.writeFileSync(snapshotFile(dir, name), JSON.stringify(await control.exportWorld()));
}

function snapshotFile(dir: string, name: string): string {
  return path.join(dir, `${encodeURIComponent(name)}.json`);
}

/** The world file an in-process saveSnapshot wrote for `name`. */
export function readSnapshotFile(name: string): WorldFile {
  const dir = process.env[SNAPSHOT_DIR_ENV];
  const file = dir && snapshotFile(dir, name);
  if (!file || !fs.existsSync(file)) throw new Error(`stripe-twin/jest: no snapshot named "${name}" (save it in globalSetup with saveSnapshot from stripe-twin/jest/snapshots)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as WorldFile;
}
