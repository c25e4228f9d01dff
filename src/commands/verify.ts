import path from 'node:path';
import { summary, verify, writeReports } from '../contract/verify';
import type { Options } from './index';

/** The corpus the package ships (dist/commands/ → the package's root): what `verify` checks unless told otherwise. */
const PACKAGE_ROOT = path.join(__dirname, '..', '..');

export async function run(options: Options<'verify'>): Promise<void> {
  const captures = options.captures ?? path.join(PACKAGE_ROOT, 'captures');
  const contracts = options.contracts ?? path.join(PACKAGE_ROOT, 'contracts');
  const result = await verify({ captures, contracts, only: options.group });
  const dir = options.report;
  writeReports(result, dir);
  process.stdout.write(`${summary(result)}\nreport: ${path.join(dir, 'index.html')}\n`);
  if (result.failures.length) process.exitCode = 1;
}
