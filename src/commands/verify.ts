import path from 'node:path';
import { summary, verify, writeReports } from '../contract/verify';
import type { Options } from './index';

export async function run(options: Options<'verify'>): Promise<void> {
  const result = await verify({ captures: options.captures, contracts: options.contracts, only: options.group });
  const dir = options.report;
  writeReports(result, dir);
  process.stdout.write(`${summary(result)}\nreport: ${path.join(dir, 'index.html')}\n`);
  if (result.failures.length) process.exitCode = 1;
}
