import { catalog, copyCatalog } from '../scenarios/catalog';
import type { Args } from './index';

// stripe-twin scenarios [--copy [DIR]]: the bundled catalog, listed or copied.

export async function run(args: Args, positional: string[]): Promise<void> {
  if (positional.length > (args.copy ? 1 : 0)) {
    process.stderr.write('usage: stripe-twin scenarios [--copy [DIR]]\n');
    process.exitCode = 2;
    return;
  }
  if (args.copy) {
    const { copied, kept } = copyCatalog(positional[0] ?? 'scenarios');
    for (const f of copied) process.stdout.write(`copied ${f}\n`);
    for (const f of kept) process.stdout.write(`kept   ${f} (exists)\n`);
    return;
  }
  const entries = catalog();
  const width = Math.max(...entries.map((e) => e.file.length));
  for (const e of entries) process.stdout.write(`${e.file.padEnd(width)}  ${e.summary}\n`);
  process.stdout.write(`\nRun one: stripe-twin run <file> --agent "<your agent command>"; copy them: stripe-twin scenarios --copy [DIR]\n`);
}
