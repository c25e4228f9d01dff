// mppx 0.11's Stripe side of its crypto rails against a running twin (ESM-only,
// so test/e2e/crypto_deposit_addresses.test.ts runs this as a child process):
// findOrCreateDepositAddress (list, then create) and the recorder its
// stripe.create() calls after an on-chain payment (a transaction_verification
// PaymentIntent, Idempotency-Key = the transaction hash). The recorder is not in
// mppx's public exports, so it is imported by file. Prints one JSON line.
//
// env: TWIN_URL, KEY, HASH
import Stripe from 'stripe';
import { stripe } from 'mppx/server';
import { recordCryptoPayment } from '../../node_modules/mppx/dist/stripe/server/internal/record-payment.js';

const { TWIN_URL, KEY, HASH } = process.env;
const twin = new URL(TWIN_URL);
const client = () => new Stripe(KEY, { host: twin.hostname, port: Number(twin.port), protocol: 'http', maxNetworkRetries: 0 });

const out = {};
try {
  // A fresh client each time: mppx caches addresses per client.
  out.created = await stripe.findOrCreateDepositAddress(client(), 'base');
  out.found = await stripe.findOrCreateDepositAddress(client(), 'base');
  const seller = client();
  const payment = { network: 'base', reference: HASH, amount: '500000', analyticsMetadata: { machine_payment: 'true', mpp_sdk: 'mppx/0.11.0' } };
  await recordCryptoPayment(seller, payment);
  await recordCryptoPayment(seller, payment); // a retry: the same Idempotency-Key
} catch (e) {
  out.error = String(e?.stack ?? e);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
