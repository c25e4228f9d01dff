import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { COMMANDS } from '../../src/commands/index';
import { DEFAULT_SPEC } from '../../src/contract/schemas';

// The CLI's command table: usage without loading any command, and only the
// command being run loaded (the built CLI; `npm test` builds first).

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
    expect(COMMANDS.schemas.usage).toContain(`--spec ${DEFAULT_SPEC}]`);
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
