// mppx's real Stripe seller and buyer against a running twin (mppx is ESM-only,
// so test/e2e/shared_payment_tokens_mppx.test.ts runs this as a child process).
// The seller is `mppx/server`'s stripe.charge with a stripe-node client pointed
// at the twin; the buyer is `mppx/client`'s stripe.charge, minting its SPT with
// the twin's test helper as mppx's CLI does. Prints one JSON line of what it saw.
//
// env: TWIN_URL, SELLER_KEY, BUYER_KEY, PROFILE (the seller's network business profile)
import http from 'node:http';
import Stripe from 'stripe';
import { Mppx as ClientMppx, stripe as clientStripe } from 'mppx/client';
import { Mppx as ServerMppx, stripe as serverStripe } from 'mppx/server';

const { TWIN_URL, SELLER_KEY, BUYER_KEY, PROFILE } = process.env;
const twin = new URL(TWIN_URL);
const stripeAt = (key) => new Stripe(key, { host: twin.hostname, port: Number(twin.port), protocol: 'http', maxNetworkRetries: 0 });

// --- the seller: a paid route -------------------------------------------------------
const seller = ServerMppx.create({
  methods: [serverStripe.charge({ client: stripeAt(SELLER_KEY), networkId: PROFILE, paymentMethodTypes: ['card'], currency: 'usd', decimals: 2 })],
  secretKey: 'stripe-twin-test-secret-key-of-32-bytes-or-more',
});

const server = http.createServer(async (req, res) => {
  const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers });
  const result = await seller.charge({ amount: '0.50' })(request);
  const response = result.status === 402 ? result.challenge : result.withReceipt(Response.json({ data: 'paid content' }));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/paid`;

// --- the buyer: mints an SPT for the seller's profile, pays --------------------------
const minted = [];
async function mint({ amount, currency, networkId, expiresAt, metadata, paymentMethod }) {
  const token = await stripeAt(BUYER_KEY).rawRequest(
    'POST',
    '/v1/test_helpers/shared_payment/granted_tokens',
    {
      payment_method: paymentMethod,
      usage_limits: { currency, max_amount: Number(amount), expires_at: expiresAt },
      seller_details: { network_id: networkId },
      ...(metadata ? { metadata } : {}),
    },
    { apiVersion: '2026-07-29.preview' },
  );
  minted.push(token.id);
  return token.id;
}

const sent = [];
const recordingFetch = async (input, init = {}) => {
  const authorization = new Headers(init.headers).get('authorization');
  if (authorization) sent.push(authorization);
  return fetch(input, init);
};

const buyer = ClientMppx.create({ methods: [clientStripe.charge({ paymentMethod: 'pm_card_visa', createToken: mint })], polyfill: false, fetch: recordingFetch });

const decode = (value) => (value ? JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) : null);
const summary = async (response) => ({
  status: response.status,
  receipt: decode(response.headers.get('payment-receipt')),
  body: response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text(),
});

const out = {};
try {
  const unpaid = await fetch(url);
  out.unpaid = { status: unpaid.status, challenge: unpaid.headers.get('www-authenticate') };
  out.paid = await summary(await buyer.fetch(url));
  out.minted = minted;
  // The same credential again: mppx keeps no record; the twin's idempotent replay refuses it.
  out.replayed = await summary(await fetch(url, { headers: { Authorization: sent[sent.length - 1] } }));
  // The same token with a fresh challenge: a new Idempotency-Key, so the twin's own check refuses it.
  const reuser = ClientMppx.create({ methods: [clientStripe.charge({ paymentMethod: 'pm_card_visa', createToken: async () => minted[0] })], polyfill: false });
  out.reused = await summary(await reuser.fetch(url));
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  server.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
