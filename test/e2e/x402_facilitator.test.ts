import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { wrapFetchWithPayment, x402Client } from '@x402/fetch';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { privateKeyToAccount } from 'viem/accounts';
import { raw, useHarness } from '../helpers';

// The twin's x402 facilitator (/x402/verify, /x402/settle, /x402/supported) on its
// own: the real @x402/express resource server syncs /supported at start-up and
// pays through it into a deposit PaymentIntent made beforehand; the facilitator's
// answers to what is not a payment.

const PAYER = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

describe('x402 facilitator on the twin', () => {
  const t = useHarness('http');

  it('lists the v1 and v2 kinds, extensions and signers, without a key', async () => {
    const res = await raw(t.h.url, 'GET', '/x402/supported', { key: null });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      kinds: [
        { x402Version: 1, scheme: 'exact', network: 'base-sepolia' },
        { x402Version: 1, scheme: 'exact', network: 'base' },
        { x402Version: 2, scheme: 'exact', network: 'eip155:84532' },
        { x402Version: 2, scheme: 'exact', network: 'eip155:8453' },
      ],
      extensions: [],
      signers: { 'eip155:*': [] },
    });
  });

  it('needs a key for verify and settle, and JSON', async () => {
    const noKey = await raw(t.h.url, 'POST', '/x402/verify', { key: null, body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(noKey.status).toBe(401);
    expect(noKey.json.error.type).toBe('invalid_request_error');
    const notJson = await raw(t.h.url, 'POST', '/x402/settle', { key: t.key, body: 'nope', headers: { 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const empty = await raw(t.h.url, 'POST', '/x402/verify', { key: t.key, body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(empty.json).toEqual({ isValid: false, invalidReason: 'invalid_x402_version', payer: '' });
    expect((await raw(t.h.url, 'GET', '/x402/nothing', { key: null })).status).toBe(404);
  });

  it('serves the real @x402/express middleware: start-up sync, verify, settle into the PaymentIntent', async () => {
    const pi = await t.stripe.paymentIntents.create({
      amount: 5,
      currency: 'usd',
      allowed_payment_method_types: ['crypto'],
      payment_method_data: { type: 'crypto' },
      payment_method_options: { crypto: { mode: 'deposit' } },
      confirm: true,
    } as unknown as Stripe.PaymentIntentCreateParams);
    const payTo = (pi.next_action as any).crypto_display_details.deposit_addresses.base.address;
    const auth = { Authorization: `Bearer ${t.key}` };
    const facilitator = new HTTPFacilitatorClient({ url: `${t.h.url}/x402`, createAuthHeaders: async () => ({ verify: auth, settle: auth, supported: auth }) });
    const server = new x402ResourceServer(facilitator).register('eip155:84532', new ExactEvmScheme());
    const app = express();
    app.use(paymentMiddleware({ 'GET /report': { accepts: [{ scheme: 'exact', price: '$0.05', network: 'eip155:84532', payTo }], description: 'Report' } }, server));
    app.get('/report', (_req, res) => void res.json({ report: 'ok' }));
    const listener = http.createServer(app);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/report`;
      const client = new x402Client();
      registerExactEvmScheme(client, { signer: PAYER });
      const res = await wrapFetchWithPayment(fetch, client)(url);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ report: 'ok' });
      const settled = await t.stripe.paymentIntents.retrieve(pi.id);
      expect(settled).toMatchObject({ status: 'succeeded', amount_received: 5 });
    } finally {
      listener.closeAllConnections();
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
