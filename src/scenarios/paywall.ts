import http from 'node:http';
import { listen } from '../server/http';
import { paymentMiddleware } from '../x402';
import { PaywallRequest } from './checks';
import { PaywallConfig } from './parse';

// The paid resource a scenario declares (`paywall:` in ## Config): the twin's
// x402 paywall (stripe-twin/x402 paymentMiddleware, paying into the scenario
// account's crypto-deposit PaymentIntents through the twin's facilitator), served
// on a port of its own beside the twin while the agent runs — the merchant's
// site, not Stripe's. Each request to it is logged for the `paywall` checks.

/**
 * The buyer's wallet handed to the agent: a widely published development key
 * (the first account of Hardhat and Anvil), holding nothing on any real chain.
 * Twin choice: the twin's facilitator pays from a fake balance, so any key works.
 */
export const WALLET_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface ServedPaywall {
  env: Record<string, string>;
  log: PaywallRequest[];
  close(): Promise<void>;
}

export async function servePaywall(config: PaywallConfig, twinUrl: string, merchantKey: string): Promise<ServedPaywall> {
  const log: PaywallRequest[] = [];
  const gate = paymentMiddleware({ [config.path]: { price: config.price, network: config.network, description: config.description ?? '', mimeType: 'application/json' } }, { twinUrl, secretKey: merchantKey });
  const body = JSON.stringify(config.body ?? { resource: config.path, paid: true });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const payment = Boolean(req.headers['x-payment'] || req.headers['payment-signature']);
    res.on('finish', () => log.push({ method: req.method ?? 'GET', path, status: res.statusCode, payment }));
    gate(req, res, (error) => {
      if (error) {
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
        return;
      }
      const found = path === config.path;
      res.writeHead(found ? 200 : 404, { 'Content-Type': 'application/json' }).end(found ? body : '{"error":"not found"}');
    });
  });
  const { url } = await listen(server, 0, '127.0.0.1');
  return {
    env: { STRIPE_TWIN_PAYWALL_URL: `${url}${config.path}`, STRIPE_TWIN_WALLET_PRIVATE_KEY: WALLET_PRIVATE_KEY },
    log,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
