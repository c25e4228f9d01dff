import express from 'express';
import { Hono } from 'hono';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import Stripe from 'stripe';
import { honoPaymentMiddleware, MppOptions, MppRoute, paymentMiddleware } from '../../src/mpp';
import { freshKey, useHarness } from '../helpers';
import { Adapter, App, listening, listeningHono } from '../paywall_apps';

// The MPP paywall (stripe-twin/mpp), paid by the real mppx client over real HTTP:
// its stripe.charge method mints a Shared Payment Token through the twin's test
// helper (with a buyer's key, naming the seller's profile, as mppx's CLI does);
// the paywall redeems it through a PaymentIntent in the seller's account.

const PREVIEW = { apiVersion: '2026-07-29.preview' };
const ROUTES: Record<string, MppRoute> = {
  'GET /article': { amount: '0.50', description: 'An article' },
  'GET /dear': { amount: '20.00' },
};

async function startApp(adapter: Adapter, options: MppOptions): Promise<App> {
  if (adapter === 'node:http') {
    const mw = paymentMiddleware(ROUTES, options);
    return listening(
      http.createServer((req, res) =>
        mw(req, res, (error) => {
          if (error) return void res.writeHead(500).end(String(error));
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"article":"text"}');
        }),
      ),
    );
  }
  if (adapter === 'express') {
    const app = express();
    app.use(paymentMiddleware(ROUTES, options));
    app.get(['/article', '/dear'], (_req, res) => void res.json({ article: 'text' }));
    return listening(http.createServer(app));
  }
  const app = new Hono();
  app.use(honoPaymentMiddleware(ROUTES, options) as any);
  app.get('/article', (c) => c.json({ article: 'text' }));
  app.get('/dear', (c) => c.json({ article: 'text' }));
  return listeningHono(app.fetch);
}

/** A refusal: its status, content type and problem body. */
const problemOf = async (res: Response) => ({ ...((await res.json()) as any), status: res.status, contentType: res.headers.get('content-type') });
/**
 * mppx's modules, untyped: its declarations pull in ox's TypeScript sources, which
 * need DOM types this project does not compile with.
 */
const mppx = (name: 'mppx' | 'mppx/client'): Promise<any> => import(name);

describe('MPP paywall', () => {
  const t = useHarness('http');
  let seller: { key: string; stripe: Stripe; profile: string };
  let buyer: Stripe;

  beforeEach(async () => {
    seller = { key: t.key, stripe: t.stripe, profile: (await t.h.admin('GET', '/__admin__/profile', undefined, t.key)).json.network_business_profile };
    buyer = t.h.stripe(freshKey('buyer'));
  });

  const options = (extra: Partial<MppOptions> = {}): MppOptions => ({ twinUrl: t.h.url, secretKey: seller.key, networkId: seller.profile, ...extra });

  /** mppx's createToken: a granted token minted through the test helper with the buyer's key, for the profile the challenge names. */
  const mint = async (args: { amount: string; currency: string; networkId: string; expiresAt: number; paymentMethod?: string }, limits: Record<string, unknown> = {}) =>
    ((await buyer.rawRequest(
      'POST',
      '/v1/test_helpers/shared_payment/granted_tokens',
      { payment_method: args.paymentMethod ?? 'pm_card_visa', usage_limits: { currency: args.currency, max_amount: Number(args.amount), expires_at: args.expiresAt, ...limits }, seller_details: { network_id: args.networkId } },
      PREVIEW,
    )) as any).id as string;

  async function client(createToken: (args: any) => Promise<string> = (args) => mint(args), fetchImpl: typeof fetch = fetch) {
    const { Mppx, stripe } = await mppx('mppx/client');
    return Mppx.create({ methods: [stripe.charge({ createToken, paymentMethod: 'pm_card_visa' })], polyfill: false, fetch: fetchImpl });
  }

  describe.each(['node:http', 'express', 'hono'] as Adapter[])('through %s', (adapter) => {
    let app: App;
    beforeEach(async () => (app = await startApp(adapter, options())));
    afterEach(() => app.close());

    it('is paid by mppx: 200 with a Payment-Receipt naming the succeeded PaymentIntent', async () => {
      const res = await (await client()).fetch(`${app.url}/article`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ article: 'text' });
      const { Receipt } = await mppx('mppx');
      const receipt = Receipt.fromResponse(res);
      expect(receipt).toMatchObject({ method: 'stripe', status: 'success', reference: expect.stringMatching(/^pi_/) });
      expect(res.headers.get('cache-control')).toContain('private');
      const pi = await seller.stripe.paymentIntents.retrieve(receipt.reference);
      expect(pi).toMatchObject({ status: 'succeeded', amount: 50, currency: 'usd', metadata: { machine_payment: 'true', mpp_intent: 'charge', mpp_sdk: 'mppx/0.11.0' } });
      expect((pi as any).shared_payment_granted_token).toMatch(/^spt_/);
      expect(pi.metadata.mpp_challenge_id).toEqual(expect.any(String));
    });
  });

  describe('refusals', () => {
    let app: App;
    beforeEach(async () => (app = await startApp('express', options())));
    afterEach(() => app.close());

    it("answers 402 with a challenge mppx parses and whose id is mppx's HMAC, and a problem+json body", async () => {
      const res = await fetch(`${app.url}/article`);
      expect(res.status).toBe(402);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const { Challenge } = await mppx('mppx');
      const challenge = Challenge.fromResponse(res);
      expect(challenge).toMatchObject({ realm: '127.0.0.1', method: 'stripe', intent: 'charge', description: 'An article' });
      expect(challenge.request).toEqual({ amount: '50', currency: 'usd', description: 'An article', methodDetails: { networkId: seller.profile, paymentMethodTypes: ['card'] } });
      const expires = new Date(challenge.expires!).getTime();
      expect(expires - Date.now()).toBeGreaterThan(290_000);
      expect(expires - Date.now()).toBeLessThanOrEqual(300_000);
      const secret = createHmac('sha256', seller.key).update('mpp-challenge-signing').digest('base64');
      expect(Challenge.verify(challenge, { secretKey: secret })).toBe(true);
      expect(Challenge.verify(challenge, { secretKey: 'another secret' })).toBe(false);
      expect(await problemOf(res)).toEqual({
        status: 402,
        contentType: 'application/problem+json',
        type: 'https://paymentauth.org/problems/payment-required',
        title: 'Payment Required',
        detail: 'Payment is required (An article).',
        hint: expect.stringContaining('https://mpp.dev'),
        challengeId: challenge.id,
      });
    });

    it('refuses a reused credential: Stripe replays the PaymentIntent, so verification fails', async () => {
      const sent: string[] = [];
      const recording = (async (input: string | URL | Request, init?: RequestInit) => {
        const auth = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('authorization');
        if (auth) sent.push(auth);
        return fetch(input, init);
      }) as typeof fetch;
      expect((await (await client(undefined, recording)).fetch(`${app.url}/article`)).status).toBe(200);
      expect(sent).toHaveLength(1);
      const again = await fetch(`${app.url}/article`, { headers: { Authorization: sent[0] } });
      expect(await problemOf(again)).toMatchObject({ status: 402, contentType: 'application/problem+json', type: 'https://paymentauth.org/problems/verification-failed', title: 'Verification Failed', detail: 'Payment verification failed: Payment has already been processed..' });
      expect(again.headers.get('www-authenticate')).toMatch(/^Payment id="/);
      expect((await seller.stripe.paymentIntents.list()).data).toHaveLength(1);
    });

    /** A credential built with mppx's own functions for the challenge of a fresh 402, with `spt`. */
    async function credentialFor(path: string, change: (challenge: any) => any = (c) => c, spt?: string) {
      const { Challenge, Credential } = await mppx('mppx');
      const challenge = Challenge.fromResponse(await fetch(`${app.url}${path}`));
      const token = spt ?? (await mint({ amount: String(challenge.request.amount), currency: 'usd', networkId: seller.profile, expiresAt: Math.floor(Date.now() / 1000) + 600 }));
      return Credential.serialize({ challenge: change(challenge), payload: { spt: token } });
    }

    it('refuses a tampered challenge (a lower amount) as invalid-challenge', async () => {
      const credential = await credentialFor('/article', (c) => ({ ...c, request: { ...c.request, amount: '1' } }));
      const res = await fetch(`${app.url}/article`, { headers: { Authorization: credential } });
      expect(await problemOf(res)).toMatchObject({ status: 402, type: 'https://paymentauth.org/problems/invalid-challenge', title: 'Invalid Challenge', detail: expect.stringMatching(/^Challenge ".+" is invalid: challenge was not issued by this server\.$/) });
      expect((await seller.stripe.paymentIntents.list()).data).toEqual([]);
    });

    it("refuses a challenge of another route (the amount is not this route's)", async () => {
      const credential = await credentialFor('/article');
      const res = await fetch(`${app.url}/dear`, { headers: { Authorization: credential } });
      expect(await problemOf(res)).toMatchObject({ title: 'Invalid Challenge', detail: expect.stringContaining("credential amount does not match this route's requirements") });
    });

    it('refuses an expired challenge as payment-expired', async () => {
      const short = await startApp('express', options({ expiresIn: 1 }));
      try {
        const { Challenge, Credential } = await mppx('mppx');
        const challenge = Challenge.fromResponse(await fetch(`${short.url}/article`));
        const spt = await mint({ amount: '50', currency: 'usd', networkId: seller.profile, expiresAt: Math.floor(Date.now() / 1000) + 600 });
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const res = await fetch(`${short.url}/article`, { headers: { Authorization: Credential.serialize({ challenge, payload: { spt } }) } });
        expect(await problemOf(res)).toMatchObject({ status: 402, type: 'https://paymentauth.org/problems/payment-expired', title: 'Payment Expired', detail: `Payment expired at ${challenge.expires}.` });
        expect((await seller.stripe.paymentIntents.list()).data).toEqual([]);
      } finally {
        await short.close();
      }
    });

    it('refuses a malformed credential and one without an spt', async () => {
      const malformed = await fetch(`${app.url}/article`, { headers: { Authorization: 'Payment !!!' } });
      expect(await problemOf(malformed)).toMatchObject({ title: 'Malformed Credential' });
      const { Challenge, Credential } = await mppx('mppx');
      const challenge = Challenge.fromResponse(await fetch(`${app.url}/article`));
      const noSpt = await fetch(`${app.url}/article`, { headers: { Authorization: Credential.serialize({ challenge, payload: {} }) } });
      expect(await problemOf(noSpt)).toMatchObject({ title: 'Invalid Payload', detail: 'Credential payload is invalid.' });
    });

    it("refuses a token granted to another seller, with Stripe's message", async () => {
      const other = (await t.h.admin('GET', '/__admin__/profile', undefined, freshKey('other'))).json.network_business_profile;
      const res = await (await client((args) => mint({ ...args, networkId: other }))).fetch(`${app.url}/article`);
      expect(await problemOf(res)).toMatchObject({ status: 402, title: 'Verification Failed', detail: expect.stringMatching(/^Payment verification failed: Stripe PaymentIntent failed: No such shared_payment\.granted_token: 'spt_\w+'\.$/) });
    });

    it("refuses a token whose limit is below the price, with Stripe's message", async () => {
      const res = await (await client((args) => mint(args, { max_amount: 10 }))).fetch(`${app.url}/article`);
      expect(await problemOf(res)).toMatchObject({ title: 'Verification Failed', detail: expect.stringMatching(/^Payment verification failed: Stripe PaymentIntent failed: The amount .+ exceeds what is left of the SharedPaymentGrantedToken spt_\w+'s limit/) });
      expect((await seller.stripe.paymentIntents.list()).data).toEqual([]);
    });

    it("refuses a token that expired before it was redeemed, with Stripe's message", async () => {
      const payer = await client(async (args: any) => {
        const now = (await seller.stripe.customers.create()).created;
        const spt = await mint(args, { expires_at: now + 60 });
        await t.h.admin('POST', '/__admin__/clock/advance', { seconds: 120 }, seller.key);
        return spt;
      });
      const res = await payer.fetch(`${app.url}/article`);
      expect(await problemOf(res)).toMatchObject({ title: 'Verification Failed', detail: expect.stringMatching(/^Payment verification failed: Stripe PaymentIntent failed: The SharedPaymentGrantedToken spt_\w+ expired at \d+ and can no longer be used\.\.$/) });
    });
  });
});
