import { registerExactEvmScheme } from '@x402/evm/exact/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment as wrapV2, x402Client } from '@x402/fetch';
import express from 'express';
import { Hono } from 'hono';
import http from 'node:http';
import Stripe from 'stripe';
import { privateKeyToAccount } from 'viem/accounts';
import { wrapFetchWithPayment as wrapV1 } from 'x402-fetch';
import { honoPaymentMiddleware, paymentMiddleware, X402Options, X402Route } from '../../src/x402';
import { useHarness } from '../helpers';
import { ADAPTERS, Adapter, App, listening, listeningHono } from '../paywall_apps';

// The x402 paywall (stripe-twin/x402) and the twin's facilitator (/x402), paid by
// the real clients over real HTTP: x402-fetch (v1) and @x402/fetch with @x402/evm
// (v2), through each adapter (node:http, express, hono). Payments land in
// crypto-deposit PaymentIntents on the twin.

// A well-known development key (Hardhat/Anvil account 0); it holds nothing anywhere that matters.
const PAYER = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const OTHER = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a7412f4603b6b4690d2');
const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';

const ROUTES: Record<string, X402Route> = {
  'GET /weather': { price: '$0.01', description: 'Weather report', mimeType: 'application/json' },
  'GET /broken': { price: '$0.02' },
  'GET /hurried': { price: '$0.01', maxTimeoutSeconds: 3 },
};

/** A merchant's app with the paywall in front of /weather (200), /broken (500) and /hurried, served through `adapter`. */
async function startApp(adapter: Adapter, options: X402Options): Promise<App> {
  if (adapter === 'node:http') {
    const mw = paymentMiddleware(ROUTES, options);
    return listening(
      http.createServer((req, res) =>
        mw(req, res, (error) => {
          if (error) return void res.writeHead(500).end(String(error));
          const broken = req.url === '/broken';
          res.writeHead(broken ? 500 : 200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(broken ? { error: 'down' } : { weather: 'sunny' }));
        }),
      ),
    );
  }
  if (adapter === 'express') {
    const app = express();
    app.use(paymentMiddleware(ROUTES, options));
    app.get('/weather', (_req, res) => void res.json({ weather: 'sunny' }));
    app.get('/hurried', (_req, res) => void res.json({ weather: 'sunny' }));
    app.get('/broken', (_req, res) => void res.status(500).json({ error: 'down' }));
    return listening(http.createServer(app));
  }
  const app = new Hono();
  app.use(honoPaymentMiddleware(ROUTES, options) as any);
  app.get('/weather', (c) => c.json({ weather: 'sunny' }));
  app.get('/hurried', (c) => c.json({ weather: 'sunny' }));
  app.get('/broken', (c) => c.json({ error: 'down' }, 500));
  return listeningHono(app.fetch);
}

/** A fetch that remembers the payment header each request carried. */
function recordingFetch(): { fetch: typeof fetch; sent: string[] } {
  const sent: string[] = [];
  const recording = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    const payment = headers.get('payment-signature') ?? headers.get('x-payment');
    if (payment) sent.push(payment);
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: recording, sent };
}

const clients = {
  v1: (base: typeof fetch) => wrapV1(base, PAYER as any),
  v2: (base: typeof fetch) => {
    const client = new x402Client();
    registerExactEvmScheme(client, { signer: PAYER });
    return wrapV2(base, client);
  },
};
type Version = keyof typeof clients;

const decode = (value: string | null) => (value ? JSON.parse(Buffer.from(value, 'base64').toString('utf8')) : undefined);

/** The reason a refused payment's 402 gives: v1 in the JSON body, v2 in PAYMENT-REQUIRED. */
async function reasonOf(res: Response, version: Version): Promise<string> {
  expect(res.status).toBe(402);
  const body: any = await res.json();
  if (version === 'v1') expect(body).toMatchObject({ x402Version: 1, accepts: [expect.objectContaining({ scheme: 'exact' })] });
  return version === 'v1' ? body.error : decode(res.headers.get('payment-required')).error;
}

describe.each(ADAPTERS)('x402 paywall through %s', (adapter) => {
  const t = useHarness('http');
  let app: App;
  let merchant: Stripe;

  beforeEach(async () => {
    merchant = t.stripe;
    app = await startApp(adapter, { twinUrl: t.h.url, secretKey: t.key });
  });
  afterEach(() => app.close());

  const succeeded = async () => (await merchant.paymentIntents.list({ limit: 100 })).data.filter((pi) => pi.status === 'succeeded');

  it('answers 402 with the v1 body and the v2 header, both offering a deposit address of a new PaymentIntent', async () => {
    const res = await fetch(`${app.url}/weather`);
    expect(res.status).toBe(402);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const v1: any = await res.json();
    const v2 = decode(res.headers.get('payment-required'));
    expect(v1).toEqual({
      x402Version: 1,
      error: 'X-PAYMENT header is required',
      accepts: [
        {
          scheme: 'exact',
          network: 'base-sepolia',
          maxAmountRequired: '10000',
          resource: `${app.url}/weather`,
          description: 'Weather report',
          mimeType: 'application/json',
          payTo: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
          maxTimeoutSeconds: 60,
          asset: BASE_SEPOLIA_USDC,
          extra: { name: 'USDC', version: '2' },
        },
      ],
    });
    expect(v2).toEqual({
      x402Version: 2,
      error: 'Payment required',
      resource: { url: `${app.url}/weather`, description: 'Weather report', mimeType: 'application/json' },
      accepts: [{ scheme: 'exact', network: 'eip155:84532', amount: '10000', payTo: v1.accepts[0].payTo, maxTimeoutSeconds: 60, asset: BASE_SEPOLIA_USDC, extra: { name: 'USDC', version: '2' } }],
    });
    const [pi] = (await merchant.paymentIntents.list()).data;
    expect(pi).toMatchObject({ status: 'requires_action', amount: 1, currency: 'usd', metadata: { x402_resource: `${app.url}/weather` } });
    expect((pi.next_action as any).crypto_display_details.deposit_addresses.base.address).toBe(v1.accepts[0].payTo.toLowerCase());
  });

  it('lets an unprotected route through', async () => {
    const res = await fetch(`${app.url}/free`);
    expect(res.status).not.toBe(402);
  });

  describe.each(['v1', 'v2'] as Version[])('paid by the %s client', (version) => {
    const header = version === 'v1' ? 'x-payment-response' : 'payment-response';

    it('pays: 200 with the settlement header, the PaymentIntent succeeded with its charge and events', async () => {
      const pay = clients[version](fetch);
      const res = await pay(`${app.url}/weather`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ weather: 'sunny' });
      const settlement = version === 'v2' ? decodePaymentResponseHeader(res.headers.get(header)!) : decode(res.headers.get(header));
      expect(settlement).toMatchObject({ success: true, payer: PAYER.address, network: version === 'v1' ? 'base-sepolia' : 'eip155:84532', transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
      const [pi] = await succeeded();
      expect(pi).toMatchObject({ amount: 1, amount_received: 1, status: 'succeeded' });
      const charge = await merchant.charges.retrieve(pi.latest_charge as string);
      expect(charge).toMatchObject({ status: 'succeeded', paid: true, payment_intent: pi.id });
      expect((charge.payment_method_details as any).crypto).toEqual({ buyer_address: PAYER.address.toLowerCase(), network: 'base', token_currency: 'usdc', transaction_hash: settlement.transaction });
      expect(charge.balance_transaction).toEqual(expect.stringMatching(/^txn_/));
      const types = (await merchant.events.list({ limit: 100 })).data.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['payment_intent.processing', 'payment_intent.succeeded', 'charge.succeeded']));
    });

    it('refuses the same payment header sent again (nonce reuse)', async () => {
      const { fetch: recording, sent } = recordingFetch();
      expect((await clients[version](recording)(`${app.url}/weather`)).status).toBe(200);
      expect(sent).toHaveLength(1);
      const replay = await fetch(`${app.url}/weather`, { headers: { [version === 'v1' ? 'X-PAYMENT' : 'PAYMENT-SIGNATURE']: sent[0] } });
      expect(await reasonOf(replay, version)).toBe(version === 'v1' ? 'invalid_transaction_state' : 'invalid_exact_evm_nonce_already_used');
      expect(await succeeded()).toHaveLength(1);
    });

    it('refuses an authorization that expires too soon (validBefore < now + 6 s)', async () => {
      const res = await clients[version](fetch)(`${app.url}/hurried`);
      expect(await reasonOf(res, version)).toBe('invalid_exact_evm_payload_authorization_valid_before');
      expect(await succeeded()).toHaveLength(0);
    });

    it('settles nothing when the handler fails', async () => {
      const res = await clients[version](fetch)(`${app.url}/broken`);
      expect(res.status).toBe(500);
      expect(res.headers.get(header)).toBeNull();
      expect(await succeeded()).toHaveLength(0);
    });
  });
});

describe('x402: tampered payments', () => {
  const t = useHarness('http');
  let app: App;
  beforeEach(async () => (app = await startApp('express', { twinUrl: t.h.url, secretKey: t.key })));
  afterEach(() => app.close());

  /** The header the real client would send for /weather, decoded (the client's request is held back). */
  async function signed(version: Version): Promise<any> {
    const sent: string[] = [];
    const capture = (async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(input instanceof Request ? input.headers : undefined);
      new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
      const payment = headers.get('payment-signature') ?? headers.get('x-payment');
      if (payment) {
        sent.push(payment);
        return new Response('{}', { status: 499 });
      }
      return fetch(input, init);
    }) as typeof fetch;
    await clients[version](capture)(`${app.url}/weather`).catch(() => undefined);
    return decode(sent[0]);
  }

  /** Re-signs `payload`'s authorization with `changes` (a signer other than the payer, if given). */
  async function resign(version: Version, payload: any, changes: Record<string, string>, signer = PAYER) {
    const authorization = { ...payload.payload.authorization, ...changes };
    const signature = await signer.signTypedData({
      domain: { name: 'USDC', version: '2', chainId: 84532, verifyingContract: BASE_SEPOLIA_USDC },
      types: {
        TransferWithAuthorization: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'validAfter', type: 'uint256' },
          { name: 'validBefore', type: 'uint256' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'TransferWithAuthorization',
      message: { ...authorization, value: BigInt(authorization.value), validAfter: BigInt(authorization.validAfter), validBefore: BigInt(authorization.validBefore) },
    });
    return { ...payload, payload: { signature, authorization } };
  }

  const send = (version: Version, payload: unknown) =>
    fetch(`${app.url}/weather`, { headers: { [version === 'v1' ? 'X-PAYMENT' : 'PAYMENT-SIGNATURE']: Buffer.from(JSON.stringify(payload)).toString('base64') } });

  const REASONS = {
    v1: { value: 'invalid_exact_evm_payload_authorization_value', recipient: 'invalid_exact_evm_payload_recipient_mismatch', signature: 'invalid_exact_evm_payload_signature', after: 'invalid_exact_evm_payload_authorization_valid_after' },
    v2: { value: 'invalid_exact_evm_payload_authorization_value_mismatch', recipient: 'invalid_exact_evm_recipient_mismatch', signature: 'invalid_exact_evm_signature', after: 'invalid_exact_evm_payload_authorization_valid_after' },
  };

  describe.each(['v1', 'v2'] as Version[])('%s', (version) => {
    it('refuses a lower amount, even signed', async () => {
      const payload = await resign(version, await signed(version), { value: '9999' });
      expect(await reasonOf(await send(version, payload), version)).toBe(REASONS[version].value);
    });

    it('refuses an amount changed after signing (the signature no longer matches)', async () => {
      const payload = await signed(version);
      payload.payload.authorization.value = '20000';
      expect(await reasonOf(await send(version, payload), version)).toBe(REASONS[version].signature);
    });

    it('refuses a signature by someone other than `from`', async () => {
      const payload = await resign(version, await signed(version), {}, OTHER);
      expect(await reasonOf(await send(version, payload), version)).toBe(REASONS[version].signature);
    });

    it('refuses another recipient than the offered deposit address', async () => {
      const payload = await resign(version, await signed(version), { to: OTHER.address });
      expect(await reasonOf(await send(version, payload), version)).toBe(REASONS[version].recipient);
    });

    it('refuses an authorization not valid yet', async () => {
      const payload = await resign(version, await signed(version), { validAfter: String(Math.floor(Date.now() / 1000) + 3600) });
      expect(await reasonOf(await send(version, payload), version)).toBe(REASONS[version].after);
    });
  });
});
