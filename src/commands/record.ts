import path from 'node:path';
import { writeCapture } from '../contract/capture';
import { loadScenario, record } from '../contract/record';

export const usage = `record <scenario.yaml> --key sk_test_… [--base-url https://api.stripe.com] [--out captures/recorded] [--scrub-emails]
    Runs a scenario (ordered steps: method, path, params, with \${step:json.path}
    references to earlier responses) through the official SDK against Stripe
    test mode, or a twin with --base-url, and writes the normalized capture,
    with the events the scenario caused. Refuses live keys.`;

export async function run(args: Record<string, string>, positional: string[]): Promise<void> {
  const file = positional[0];
  if (!file) throw new Error(`usage: stripe-twin ${usage.split('\n')[0]}`);
  const key = args.key ?? process.env.STRIPE_SECRET_KEY;
  if (!key) throw new Error('record needs --key sk_test_… (or STRIPE_SECRET_KEY)');
  const scenario = loadScenario(file);
  const capture = await record(scenario, { key, baseUrl: args['base-url'], scrubEmails: args['scrub-emails'] === 'true' });
  const out = writeCapture(args.out ?? path.join('captures', 'recorded'), capture);
  process.stdout.write(`recorded ${capture.interactions.length} interactions and ${capture.events?.length ?? 0} event types → ${out}\n`);
}
