import { DurableStore } from '../server/durable';
import { runWorker } from '../server/workers';
import { buildTwin } from './serve';
import type { WorkerInit } from './serve_workers';

// One worker of `serve --workers N` (a thread or a child process; ./serve_workers.ts
// starts it): the twin `serve` would run, answering the requests the primary sends,
// with its worlds kept in its own directory under --data.

runWorker((given) => {
  const init = given as WorkerInit;
  const twin = buildTwin(init.options, init.seed, init.token, init.time);
  twin.setPublicUrl(init.publicUrl);
  if (init.data !== null) {
    DurableStore.open(init.data, twin, { foldBytes: init.options.foldAt });
    twin.kickWebhooks(); // deliveries pending when it stopped go out again
  }
  return twin;
}).catch((e) => {
  process.stderr.write(`stripe-twin worker: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
