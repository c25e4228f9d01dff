import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command, CommandName, COMMANDS, parseArgs } from '../../src/commands/index';
import { SPEC_ARG } from '../../src/contract/schemas';

// The CLI's command table: usage without loading any command, only the command
// being run loaded, and arguments parsed knowing which flags take no value
// (the built CLI; `npm test` builds first).

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

/** The modules `stripe-twin <argv>` has loaded once it prints `marker`. */
function modulesLoadedBy(argv: string[], marker: string): string[] {
  const probe = `
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk) => {
      if (String(chunk).includes(${JSON.stringify(marker)})) {
        write(JSON.stringify(Object.keys(require.cache)) + '\\n');
        process.exit(0);
      }
      return true;
    };
    process.argv = [process.argv[0], ${JSON.stringify(CLI)}, ...${JSON.stringify(argv)}];
    require(${JSON.stringify(CLI)});`;
  const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 20_000 });
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as string[];
}

describe('stripe-twin command table', () => {
  it('loads each command only when it runs', async () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      expect([name, typeof (await command.load()).run]).toEqual([name, 'function']);
    }
    expect(COMMANDS.schemas.usage).toContain(`schemas ${SPEC_ARG} [`);
  });

  it('prints the usage of every command without loading any', () => {
    const loaded = modulesLoadedBy(['help'], 'usage: stripe-twin');
    expect(loaded.map((f) => path.relative(path.dirname(CLI), f)).sort()).toEqual(['cli.js', path.join('commands', 'index.js')]);
  });

  it('serves without loading the contract harness, ajv or the stripe SDK', () => {
    const loaded = modulesLoadedBy(['serve', '--port', '0'], 'listening on');
    expect(loaded.some((f) => f.includes(`${path.sep}server${path.sep}http.js`))).toBe(true);
    const heavy = loaded.filter((f) => /[\\/](contract|commands[\\/](?!index|serve))[\\/]?|node_modules[\\/](ajv|stripe)[\\/]/.test(f));
    expect(heavy).toEqual([]);
  });
});

describe('stripe-twin arguments', () => {
  const booleansOf = (name: CommandName) => (COMMANDS[name] as Command).booleans;
  const exportArgs = (...argv: string[]) => parseArgs(argv, booleansOf('export'));

  it('never gives a boolean flag the next word', () => {
    expect(exportArgs('--match-version', 'cap.yaml', '--to', 'nock')).toEqual({ args: { 'match-version': true, to: 'nock' }, positional: ['cap.yaml'] });
    expect(exportArgs('cap.yaml', '--match-version', '--to=har')).toEqual({ args: { 'match-version': true, to: 'har' }, positional: ['cap.yaml'] });
    expect(exportArgs('cap.yaml', '--match-version=false')).toEqual({ args: { 'match-version': false }, positional: ['cap.yaml'] });
    expect(exportArgs('cap.yaml', '--match-version=true')).toEqual({ args: { 'match-version': true }, positional: ['cap.yaml'] });
    expect(() => exportArgs('cap.yaml', '--match-version=yes')).toThrow('--match-version takes no value (got "yes")');
    expect(parseArgs(['--scrub-emails', 'src', '--out', 'captures/x'], booleansOf('import'))).toEqual({ args: { 'scrub-emails': true, out: 'captures/x' }, positional: ['src'] });
    expect(parseArgs(['s.yaml', '--scrub-emails', '--key', 'sk_test_1'], booleansOf('record'))).toEqual({ args: { 'scrub-emails': true, key: 'sk_test_1' }, positional: ['s.yaml'] });
  });

  it('gives other flags a value, inline or next, and refuses one without', () => {
    expect(exportArgs('--out=', '--base', '1700000000', 'cap.yaml')).toEqual({ args: { out: '', base: '1700000000' }, positional: ['cap.yaml'] });
    expect(exportArgs('--out=a=b.json')).toEqual({ args: { out: 'a=b.json' }, positional: [] });
    expect(() => exportArgs('cap.yaml', '--out')).toThrow('--out needs a value');
    expect(() => exportArgs('--out', '--to', 'nock')).toThrow('--out needs a value');
    // serve has no boolean flags: a bare --seed is not "true".
    expect(() => parseArgs(['--seed'], booleansOf('serve'))).toThrow('--seed needs a value');
  });

  it('runs export --match-version <capture> as asked', () => {
    const capture = path.join(__dirname, '..', '..', 'captures', 'pay', 'test_refund.yaml');
    const run = spawnSync(process.execPath, [CLI, 'export', '--match-version', capture, '--to', 'nock'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const fixture = JSON.parse(run.stdout) as Array<{ reqheaders?: Record<string, string> }>;
    expect(fixture.length).toBeGreaterThan(0);
    expect(fixture.every((d) => typeof d.reqheaders?.['stripe-version'] === 'string')).toBe(true);
    const bare = spawnSync(process.execPath, [CLI, 'export', capture, '--to', 'nock', '--out'], { encoding: 'utf8' });
    expect([bare.status, bare.stdout, bare.stderr]).toEqual([1, '', `stripe-twin: export: --out needs a value\n  ${COMMANDS.export.usage.split('\n')[0]}\n`]);
  });
});
