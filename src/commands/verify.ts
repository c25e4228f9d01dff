import path from 'node:path';
import { summary, verify, writeReports } from '../contract/verify';

export async function run(args: Record<string, string>): Promise<void> {
  const result = await verify({ captures: args.captures ?? 'captures', contracts: args.contracts ?? 'contracts', only: args.group });
  const dir = args.report ?? 'verify-report';
  writeReports(result, dir);
  process.stdout.write(`${summary(result)}\nreport: ${path.join(dir, 'index.html')}\n`);
  if (result.failures.length) process.exitCode = 1;
}
