import { writeCapture } from '../contract/capture';
import { loadScenario, record } from '../transport/record';
import type { Options } from './index';

export async function run(options: Options<'record'>, [file]: string[]): Promise<void> {
  const scenario = loadScenario(file);
  const capture = await record(scenario, { key: options.key, baseUrl: options.baseUrl, scrubEmails: options.scrubEmails === true });
  const out = writeCapture(options.out, capture);
  process.stdout.write(`recorded ${capture.interactions.length} interactions and ${capture.events?.length ?? 0} event types → ${out}\n`);
}
