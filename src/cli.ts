#!/usr/bin/env node
import * as serve from './commands/serve';
import * as record from './commands/record';
import * as verify from './commands/verify';
import * as importCommand from './commands/import';
import * as exportCommand from './commands/export';
import * as schemas from './commands/schemas';
import * as listen from './commands/listen';

// stripe-twin <command> [options]: each command is a module in src/commands
// exporting `usage` and `run(args, positional)`.

interface Command {
  usage: string;
  run(args: Record<string, string>, positional: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = { serve, verify, record, import: importCommand, export: exportCommand, schemas, listen };

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
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stdout.write(`usage: stripe-twin <command>\n\n${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n\n')}\n`);
    process.exitCode = name === undefined || name === 'help' || name === '--help' ? 0 : 2;
    return;
  }
  const { args, positional } = parseArgs(rest);
  await command.run(args, positional);
}

main().catch((e) => {
  process.stderr.write(`stripe-twin: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
