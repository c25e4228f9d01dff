import path from 'node:path';
import { readScenario, seconds } from '../scenarios/parse';
import { ScenarioError } from '../scenarios/errors';
import { summary, writeReport } from '../scenarios/report';
import type { Options } from './index';

// stripe-twin run <scenario.md> --agent "<command>": one scored run (docs/scenarios.md).
// Exit status: 0 the scenario passed, 1 it failed, 2 the command or the scenario cannot be run as given.

// Arguments and options are read by the CLI (src/commands/index.ts), which answers its usage errors with 2 too.

export async function run(args: Options<'run'>, [file]: string[]): Promise<void> {
  try {
    if (!args.agent.trim()) throw new ScenarioError('--agent "<command>" is empty');
    const timeout = args.timeout === undefined ? undefined : seconds(args.timeout, '--timeout');
    const scenario = readScenario(file);
    // The twin (control surface, MCP, x402) is loaded once the scenario is known to be runnable.
    const { runScenario } = await import('../scenarios/run');
    const report = await runScenario(scenario, { agent: args.agent, timeout });
    const dir = args.report ?? path.join('scenario-reports', scenario.name);
    const files = writeReport(report, dir);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report, files));
    process.exitCode = report.pass ? 0 : 1;
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    process.stderr.write(`stripe-twin run: ${e.message}\n(stripe-twin run --help shows its usage)\n`);
    process.exitCode = 2;
  }
}
