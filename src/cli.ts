#!/usr/bin/env node
import { COMMANDS } from './commands/index';

// stripe-twin <command> [options]: the commands and their usage are the table in
// src/commands/index.ts; only the module of the command being run is loaded.

function parseArgs(argv: string[]): { args: Record<string, string>; positional: string[] } {
  const args: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([a-z-]+)(?:=(.*))?$/);
    if (!m) positional.push(argv[i]);
    else if (m[2] !== undefined) args[m[1]] = m[2];
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args[m[1]] = argv[++i];
    else args[m[1]] = 'true';
  }
  return { args, positional };
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name as keyof typeof COMMANDS] : undefined;
  if (!command) {
    process.stdout.write(`usage: stripe-twin <command>\n\n${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n\n')}\n`);
    process.exitCode = name === undefined || name === 'help' || name === '--help' ? 0 : 2;
    return;
  }
  const { args, positional } = parseArgs(rest);
  await (await command.load()).run(args, positional);
}

main().catch((e) => {
  process.stderr.write(`stripe-twin: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
