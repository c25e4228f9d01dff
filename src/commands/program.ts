import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { CommandDecl, COMMANDS, OptionDecl, UsageError } from './index';
import { optionNotes } from './reference';

// The `stripe-twin` program on commander, built from the declarations in
// ./index.ts: help and --version exit 0, usage errors (an unknown command or
// option, with a suggestion; a missing or refused value) exit 2, and a command
// that fails at run time exits 1 (src/cli.ts). A command's module is loaded in
// its action, after its arguments are read.

export const EXIT_USAGE = 2;

function commanderOption(key: string, o: OptionDecl): Option {
  const notes = optionNotes(o);
  const option = new Option(o.flags, notes.length ? `${o.description} (${notes.join('; ')})` : o.description);
  if (option.attributeName() !== key) throw new Error(`option ${o.flags} is declared as "${key}"; its name is "${option.attributeName()}"`);
  if (o.default !== undefined) option.default(o.default);
  if (o.env) option.env(o.env);
  if (o.choices) option.choices(o.choices as readonly string[]);
  if (o.required) option.makeOptionMandatory();
  if (o.implies) option.implies(o.implies);
  const parse = o.parse;
  if (parse) {
    option.argParser((text: string) => {
      try {
        return parse(text);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    });
  }
  return option;
}

function addCommand(program: Command, name: string, decl: CommandDecl): void {
  const command = program
    .command(name)
    .summary(decl.summary)
    .description(decl.description ? `${decl.summary}.\n\n${decl.description}` : `${decl.summary}.`)
    .showHelpAfterError(`(stripe-twin ${name} --help shows its usage)`)
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, `stripe-twin ${name}: `)) });
  for (const a of decl.arguments ?? []) {
    const argument = new Argument(a.name, a.description);
    if (a.choices) argument.choices(a.choices);
    command.addArgument(argument);
  }
  for (const [key, o] of Object.entries(decl.options)) command.addOption(commanderOption(key, o));
  command.action(async () => {
    const module = await decl.load();
    try {
      await module.run(command.opts(), command.processedArgs.filter((a): a is string => a !== undefined));
    } catch (e) {
      if (e instanceof UsageError) command.error(`error: ${e.message}`, { exitCode: EXIT_USAGE, code: 'stripe-twin.usage' });
      throw e;
    }
  });
}

/** The program; `parseAsync` throws a CommanderError for help and --version (exitCode 0) and for usage errors (any other; src/cli.ts exits 2). */
export function program(version: string): Command {
  const root = new Command('stripe-twin')
    .description('A local, deterministic Stripe API twin the official stripe SDK cannot tell from test mode.')
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'print help')
    .helpCommand('help [command]', 'print help for a command')
    // An option's choices, default and environment variable are in its description already (optionNotes).
    .configureHelp({ optionDescription: (o) => o.description })
    .exitOverride()
    .showHelpAfterError('(stripe-twin --help lists the commands)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'stripe-twin: ')) })
    .addHelpText('after', '\n`stripe-twin <command> --help` shows its options. Exit status: 0 done, 1 failed, 2 a usage error (run: 0 pass, 1 fail, 2 not runnable).');
  // Subcommands copy the settings above (help, exit override) when made.
  for (const [name, decl] of Object.entries(COMMANDS)) addCommand(root, name, decl);
  return root;
}
