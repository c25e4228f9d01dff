import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CommandDecl, COMMANDS } from '../../src/commands/index';
import { program } from '../../src/commands/program';
import { commandTables } from '../../src/commands/reference';
import { controlToken, moment, port, secondsList, wholeNumber } from '../../src/commands/values';
import { SPEC_ARG } from '../../src/contract/schemas';

// The CLI's declarations: usage without loading any command, only the command
// being run loaded, every option well declared, and the values options take
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

describe('stripe-twin command declarations', () => {
  it('loads each command only when it runs', async () => {
    for (const [name, command] of Object.entries(COMMANDS) as [string, CommandDecl][]) {
      expect([name, typeof (await command.load()).run]).toEqual([name, 'function']);
    }
    expect(COMMANDS.schemas.options.spec.flags).toBe(SPEC_ARG);
  });

  it('prints help without loading any command, the engine or the server', () => {
    const loaded = modulesLoadedBy(['--help'], 'Usage: stripe-twin').map((f) => path.relative(path.dirname(CLI), f));
    expect(loaded.filter((f) => !f.startsWith('..')).sort()).toEqual(
      ['cli.js', 'commands/index.js', 'commands/program.js', 'commands/reference.js', 'commands/values.js', 'control/token.js'].map((f) => f.split('/').join(path.sep)),
    );
    expect(loaded.filter((f) => f.startsWith('..') && !f.includes(`node_modules${path.sep}commander${path.sep}`))).toEqual([]);
  });

  it('serves without loading the contract harness, ajv, the stripe SDK or selfsigned', () => {
    const loaded = modulesLoadedBy(['serve', '--port', '0'], 'listening on');
    expect(loaded.some((f) => f.includes(`${path.sep}server${path.sep}http.js`))).toBe(true);
    const heavy = loaded.filter((f) => /[\\/](contract|commands[\\/](?!index|serve|program|reference|values))[\\/]?|node_modules[\\/](ajv|stripe|selfsigned)[\\/]/.test(f));
    expect(heavy).toEqual([]);
  });

  it('declares every option under the name commander gives it, with a description', () => {
    expect(() => program('0.0.0')).not.toThrow();
    for (const [name, command] of Object.entries(COMMANDS) as [string, CommandDecl][]) {
      expect(`${name}: ${command.summary}`).toMatch(/: \S/);
      for (const [key, o] of Object.entries(command.options)) {
        expect(`${name} ${key}: ${o.description}`).toMatch(/: \S/);
        if (o.env) expect(o.env).toMatch(/^(STRIPE_TWIN_[A-Z_]+|STRIPE_SECRET_KEY)$/);
      }
    }
  });

  it("the tables in README.md and docs/cli.md are the declarations' (npm run docs)", () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const { withTables } = require('../../src/control/catalogue') as typeof import('../../src/control/catalogue');
    const tables = commandTables();
    for (const [file, blocks] of [['README.md', tables.readme], ['docs/cli.md', tables.cli]] as const) {
      const text = fs.readFileSync(path.join(__dirname, '..', '..', file), 'utf8');
      expect([file, withTables(text, blocks) === text]).toEqual([file, true]);
    }
  });
});

describe('values options take', () => {
  it('reads ports, seeds, moments, lists and tokens, and says what it expected', () => {
    expect([port('0'), port('12111'), port('65535')]).toEqual([0, 12111, 65535]);
    for (const bad of ['abc', '-1', '65536', '1.5', '']) expect(() => port(bad)).toThrow('A port is a whole number from 0 to 65535');
    expect(wholeNumber('7')).toBe(7);
    expect(() => wholeNumber('x')).toThrow('Expected a whole number');
    expect([moment('1767225600'), moment('2026-01-01T00:00:00Z'), moment('2026-01-01')]).toEqual([1767225600, 1767225600, 1767225600]);
    expect(() => moment('soon')).toThrow('Expected Unix seconds or an ISO date');
    expect([secondsList('60,120'), secondsList('none'), secondsList('')]).toEqual([[60, 120], [], []]);
    expect(() => secondsList('soon')).toThrow('Expected positive seconds separated by commas');
    expect(controlToken('x'.repeat(16))).toBe('x'.repeat(16));
    expect(() => controlToken('short')).toThrow('A control token is 16 to 256 visible ASCII characters (no spaces).');
  });
});
