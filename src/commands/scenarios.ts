import { catalog, copyCatalog } from '../scenarios/catalog';
import type { Options } from './index';

// stripe-twin scenarios [--copy [dir]]: the bundled catalog, listed or copied.

export async function run(args: Options<'scenarios'>): Promise<void> {
  if (args.copy !== undefined) {
    const { copied, kept } = copyCatalog(args.copy === true ? 'scenarios' : args.copy);
    for (const f of copied) process.stdout.write(`copied ${f}\n`);
    for (const f of kept) process.stdout.write(`kept   ${f} (exists)\n`);
    return;
  }
  const entries = catalog();
  const width = Math.max(...entries.map((e) => e.file.length));
  for (const e of entries) process.stdout.write(`${e.file.padEnd(width)}  ${e.summary}\n`);
  process.stdout.write(`\nRun one: stripe-twin run <file> --agent "<your agent command>"; copy them: stripe-twin scenarios --copy [DIR]\n`);
}
