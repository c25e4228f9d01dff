import path from 'node:path';
import { summary, verify, writeReports } from '../contract/verify';

export async function run(args: Record<string, string>): Promise<void> {
  const result = await verify({ captures: args.captures ?? 'captures', contracts: args.contracts ?? 'contracts', only: args.group });
  const dir = args.report ?? 'verify-report';
  writeReports(result, dir);
  process.stdout.write(`${summary(result)}\nreport: ${path.join(dir, 'index.html')}\n`);
  const undeclared = result.groups.reduce((n, g) => n + g.undeclared, 0);
  if (undeclared || result.missingCaptures.length || result.conflicts.length) process.exitCode = 1;
}
