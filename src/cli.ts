#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { CommanderError } from 'commander';
import { EXIT_USAGE, program } from './commands/program';

// stripe-twin <command> [options]: the commands are declared in
// src/commands/index.ts and parsed by commander (src/commands/program.ts); only
// the module of the command being run is loaded. Exit status: 0 (and help,
// --version), 1 a failure at run time, 2 a usage error; `run` has its own 0/1/2.

const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const argv = process.argv.slice(2);

program(version)
  .parseAsync(argv.length ? argv : ['--help'], { from: 'user' })
  .catch((e) => {
    // Help and --version end with exit code 0; everything else commander refuses is a usage error.
    if (e instanceof CommanderError && e.exitCode === 0) return;
    if (e instanceof CommanderError) process.exit(EXIT_USAGE); // its reason is written already
    process.stderr.write(`stripe-twin: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
