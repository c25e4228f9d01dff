import { ArgumentDecl, CommandDecl, COMMANDS, OptionDecl } from './index';

// The commands as documentation, from the same declarations as `--help`: the
// README's command table and docs/cli.md's options (npm run docs writes both).

/** What help and the docs add to an option's description: its choices, default and environment variable. */
export function optionNotes(o: OptionDecl): string[] {
  const notes: string[] = o.required ? ['required'] : [];
  if (o.choices) notes.push(`choices: ${o.choices.join(', ')}`);
  const shown = o.defaultText ?? (o.default === undefined ? undefined : String(o.default));
  if (shown !== undefined) notes.push(`default: ${shown}`);
  if (o.env) notes.push(`env: ${o.env}`);
  return notes;
}

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
const commands = () => Object.entries(COMMANDS) as [string, CommandDecl][];
const usage = (name: string, args: readonly ArgumentDecl[] = []) => ['stripe-twin', name, ...args.map((a) => a.name)].join(' ');

/** The README's table: each command, what it does, its options. */
function commandTable(): string {
  const rows = ['| command | does | options |', '| --- | --- | --- |'];
  for (const [name, c] of commands()) {
    const options = Object.values(c.options).map((o) => code(o.flags.split(' ')[0]));
    rows.push(`| ${code(usage(name, c.arguments))} | ${cell(c.summary)} | ${options.join(' ') || '—'} |`);
  }
  return rows.join('\n');
}

/** docs/cli.md's reference: per command, its arguments and options with defaults and environment variables. */
function optionReference(): string {
  const parts: string[] = [];
  for (const [name, c] of commands()) {
    const rows = ['| option | meaning | default | env |', '| --- | --- | --- | --- |'];
    for (const a of c.arguments ?? []) rows.push(`| ${code(a.name)} | ${cell(a.description)}${a.choices ? ` (${a.choices.join(', ')})` : ''} | ${a.name.startsWith('<') ? 'required' : '—'} | — |`);
    for (const o of Object.values(c.options)) {
      const shown = o.defaultText ?? (o.default === undefined ? undefined : String(o.default));
      const meaning = `${o.description}${o.choices ? ` (${o.choices.join(', ')})` : ''}`;
      rows.push(`| ${code(o.flags)} | ${cell(meaning)} | ${o.required ? 'required' : shown === undefined ? '—' : cell(shown)} | ${o.env ? code(o.env) : '—'} |`);
    }
    parts.push(`### ${code(usage(name, c.arguments))}\n\n${cell(c.summary)}.\n\n${rows.join('\n')}`);
  }
  return parts.join('\n\n');
}

/** Generated blocks by file: README.md's `commands`, docs/cli.md's `cli-options`. */
export function commandTables(): { readme: Record<string, string>; cli: Record<string, string> } {
  return { readme: { commands: commandTable() }, cli: { 'cli-options': optionReference() } };
}
