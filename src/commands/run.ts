import path from 'node:path';
import { readScenario, seconds } from '../scenarios/parse';
import { ScenarioError } from '../scenarios/errors';
import { summary, writeReport } from '../scenarios/report';
import type { Args } from './index';

// stripe-twin run <scenario.md> --agent "<command>": one scored run (docs/scenarios.md).
// Exit status: 0 the scenario passed, 1 it failed, 2 the command or the scenario cannot be run as given.

const USAGE = 'usage: stripe-twin run <scenario.md> --agent "<command>" [--timeout 120s] [--report DIR] [--json]';

export async function run(args: Args, positional: string[]): Promise<void> {
  try {
    if (positional.length !== 1) throw new ScenarioError(positional.length ? `one scenario at a time (got ${positional.join(', ')})` : 'name the scenario file');
    if (typeof args.agent !== 'string' || !args.agent.trim()) throw new ScenarioError('--agent "<command>" is required');
    const unknown = Object.keys(args).find((k) => !['agent', 'timeout', 'report', 'json'].includes(k));
    if (unknown) throw new ScenarioError(`unknown flag --${unknown}`);
    const timeout = args.timeout === undefined ? undefined : seconds(args.timeout, '--timeout');
    const scenario = readScenario(positional[0]);
    // The twin (control surface, MCP, x402) is loaded once the scenario is known to be runnable.
    const { runScenario } = await import('../scenarios/run');
    const report = await runScenario(scenario, { agent: args.agent, timeout });
    const dir = typeof args.report === 'string' ? args.report : path.join('scenario-reports', scenario.name);
    const files = writeReport(report, dir);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report, files));
    process.exitCode = report.pass ? 0 : 1;
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    process.stderr.write(`stripe-twin run: ${e.message}\n${USAGE}\n`);
    process.exitCode = 2;
  }
}
