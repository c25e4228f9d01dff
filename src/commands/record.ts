import path from 'node:path';
import { writeCapture } from '../contract/capture';
import { loadScenario, record } from '../transport/record';
import { synopsis } from './index';

type RecordArgs = { key?: string; 'base-url'?: string; out?: string; 'scrub-emails'?: boolean };

export async function run(args: RecordArgs, positional: string[]): Promise<void> {
  const file = positional[0];
  if (!file) throw new Error(`usage: stripe-twin ${synopsis('record')}`);
  const key = args.key ?? process.env.STRIPE_SECRET_KEY;
  if (!key) throw new Error('record needs --key sk_test_… (or STRIPE_SECRET_KEY)');
  const scenario = loadScenario(file);
  const capture = await record(scenario, { key, baseUrl: args['base-url'], scrubEmails: args['scrub-emails'] === true });
  const out = writeCapture(args.out ?? path.join('captures', 'recorded'), capture);
  process.stdout.write(`recorded ${capture.interactions.length} interactions and ${capture.events?.length ?? 0} event types → ${out}\n`);
}
