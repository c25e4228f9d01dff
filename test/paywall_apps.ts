import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

// A merchant's app on a free loopback port, for the paywall tests (x402, MPP):
// the same paywall is mounted on each framework a user can mount it on.

export type Adapter = 'node:http' | 'express' | 'hono';
export const ADAPTERS: Adapter[] = ['node:http', 'express', 'hono'];

export interface App {
  url: string;
  close(): Promise<void>;
}

const closeServer = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const appOf = (server: http.Server): App => ({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) });

/** A node:http server (or an express app in one), listening. */
export function listening(server: http.Server): Promise<App> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(appOf(server))));
}

/** A hono app through @hono/node-server, listening. */
export async function listeningHono(fetch: (request: Request) => Response | Promise<Response>): Promise<App> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
  await new Promise((resolve) => (server.listening ? resolve(null) : server.once('listening', resolve)));
  return appOf(server);
}
