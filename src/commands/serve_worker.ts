import { runWorker } from '../server/workers';
import { buildTwin } from './serve';
import type { WorkerInit } from './serve_workers';

// One worker of `serve --workers N` (a thread or a child process; ./serve_workers.ts
// starts it): the twin `serve` would run, answering the requests the primary sends.

runWorker((given) => {
  const init = given as WorkerInit;
  const twin = buildTwin(init.options, init.seed, init.token);
  twin.setPublicUrl(init.publicUrl);
  return twin;
}).catch((e) => {
  process.stderr.write(`stripe-twin worker: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
