import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { Capture, readCapture } from '../src/contract/capture';
import { cli } from './helpers';

// What the recorder round trips (recorders_polly, recorders_nock) share: the
// built CLI as a user runs it, the committed capture replayed to the SDK, the
// sequence recorded against the twin, and the gate over what was imported.

export const ROOT = path.join(__dirname, '..');

/** Runs `stripe-twin <args>` to its end: exit code and everything it printed. */
export async function stripeTwin(args: string[]): Promise<{ code: number | null; out: string }> {
  const run = cli(args);
  const code = await run.exited;
  return { code, out: run.out.text + run.out.err };
}

export const tmpDir = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `stripe-twin-${label}-`));

/** pay-rails/pay recorded a PaymentIntent confirmed at creation, then two partial refunds of its charge (test mode, 2025-10-29.clover). */
export const REFUNDS_CAPTURE = path.join(ROOT, 'captures', 'pay', 'test_stripe_performing_multiple_refunds_increments_total_refund_amount.yaml');

export const refundsCapture = (): Capture => readCapture(REFUNDS_CAPTURE);

/**
 * The calls pay's test made in REFUNDS_CAPTURE, through the official SDK, with
 * the parameters in the order pay sent them (a recorder that matches bodies
 * byte for byte, as Polly does, needs the same order).
 */
export async function payRefunds(stripe: Stripe) {
  const customer = await stripe.customers.create({ email: 'stripe@example.org', name: 'Stripe User', expand: ['tax', 'invoice_credit_balance'] });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const pi = await stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    customer: customer.id,
    expand: ['latest_charge.balance_transaction', 'latest_charge.payment_intent', 'latest_charge.refunds.data.balance_transaction'],
    return_url: 'http://localhost:3000/',
    confirm: true,
    payment_method: pm.id,
  });
  const charge = pi.latest_charge as Stripe.Charge;
  const payments = await stripe.invoicePayments.list({ payment: { payment_intent: pi.id, type: 'payment_intent' }, status: 'paid' });
  const first = await stripe.refunds.create({ charge: charge.id, amount: 1000 });
  const second = await stripe.refunds.create({ charge: charge.id, amount: 500 });
  return { customer, pm, pi, charge, payments, refunds: [first, second] };
}

/** What a replayed run must have been given: the recorded objects, with the recorded ids. */
export function expectRecordedRefunds(run: Awaited<ReturnType<typeof payRefunds>>, capture: Capture): void {
  const id = (token: string) => capture.ids[`{{${token}}}`];
  expect(run.customer.id).toBe(id('cus_1'));
  expect(run.pm.id).toBe(id('pm_1'));
  expect(run.pi).toMatchObject({ id: id('pi_1'), status: 'succeeded', amount: 3000, amount_received: 3000 });
  expect(run.charge.id).toBe(id('ch_1'));
  expect(run.payments.object).toBe('list');
  expect(run.refunds.map((r) => [r.id, r.amount, r.status, r.charge])).toEqual([
    [id('re_1'), 1000, 'succeeded', id('ch_1')],
    [id('re_2'), 500, 'succeeded', id('ch_1')],
  ]);
  expect(run.refunds[1].lastResponse.requestId).toMatch(/^\{\{req_\d+\}\}$/); // header request ids stay tokens
}

/** A checkout a suite records against the twin: a customer, a confirmed PaymentIntent, a partial refund, a declined card, a list. */
export async function recordedCheckout(stripe: Stripe) {
  const customer = await stripe.customers.create({ email: 'buyer@example.com', name: 'Buyer' });
  const pi = await stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    customer: customer.id,
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 700 });
  const declined = await stripe.paymentIntents
    .create({ amount: 900, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } })
    .catch((e: unknown) => e as Stripe.errors.StripeError);
  const list = await stripe.paymentIntents.list({ customer: customer.id, limit: 3 });
  return { customer, pi, refund, declined, list };
}

/** The requests recordedCheckout makes, as a capture lists them. */
export const CHECKOUT_REQUESTS = [
  'POST /v1/customers 200',
  'POST /v1/payment_intents 200',
  'POST /v1/refunds 200',
  'POST /v1/payment_intents 402',
  'GET /v1/payment_intents 200',
];

export const requestsOf = (c: Capture) => c.interactions.map((i) => `${i.request.method} ${i.request.path} ${i.response.status}`);

/**
 * `stripe-twin verify` over `captures` with one contract claiming `group/*`
 * and declaring nothing: every finding fails it.
 */
export async function gate(captures: string, group: string): Promise<{ code: number | null; out: string }> {
  const dir = tmpDir('gate');
  const contracts = path.join(dir, 'contracts');
  fs.mkdirSync(contracts);
  fs.writeFileSync(path.join(contracts, `${group}.yaml`), `group: ${group}\ndescription: recorded through a test recorder, imported\ncaptures: ["${group}/*"]\ncoverage: 1\n`);
  return stripeTwin(['verify', '--captures', captures, '--contracts', contracts, '--report', path.join(dir, 'report')]);
}
