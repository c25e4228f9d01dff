// `stripe-twin/jest/globalTeardown`: stops the server `stripe-twin/jest/globalSetup` started.

const SERVER = Symbol.for('stripe-twin.jest.server');

async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<symbol, { close(): Promise<void> } | undefined>;
  const running = g[SERVER];
  if (!running) return;
  g[SERVER] = undefined;
  await running.close();
}

export = globalTeardown;
