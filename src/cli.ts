#!/usr/bin/env node
import { Command, CommandName, COMMANDS, parseArgs, synopsis } from './commands/index';

// stripe-twin <command> [options]: the commands and their usage are the table in
// src/commands/index.ts; only the module of the command being run is loaded.

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const command: Command | undefined = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
  if (!command) {
    process.stdout.write(`usage: stripe-twin <command>\n\n${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n\n')}\n`);
    process.exitCode = name === undefined || name === 'help' || name === '--help' ? 0 : 2;
    return;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(rest, command.booleans);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}\n  ${synopsis(name as CommandName)}`);
  }
  await (await command.load()).run(parsed.args, parsed.positional);
}

main().catch((e) => {
  process.stderr.write(`stripe-twin: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
