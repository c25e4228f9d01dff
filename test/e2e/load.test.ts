import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The load script (npm run load) at a small scale, against the built CLI (`npm test` builds first).

it('reconciles PaymentIntents, charges, balance transactions and events under armed faults', () => {
  const root = path.join(__dirname, '..', '..');
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'load.mjs'), '--clients', '20', '--per-client', '2'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const lines = run.stdout.trim().split('\n');
  expect(run.stderr).toBe('');
  expect(lines[lines.length - 1]).toMatch(/^PASS: 40 PaymentIntents, 40 charges, 40 balance transactions, 40 payment_intent.succeeded, 80 webhooks, 14 faults, 0 unarmed 5xx/);
  expect(lines.filter((l) => l.includes('FAIL'))).toEqual([]);
  expect(run.status).toBe(0);
}, 60_000);
