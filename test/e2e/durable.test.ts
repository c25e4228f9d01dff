import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { cli, CliRun, freePort } from '../helpers';
import { TwinControl } from '../../src/control/client';
import { Receiver } from '../webhook_receiver';

// `serve --data DIR` (docs/durability.md): a served twin killed with SIGKILL in
// the middle of a load and started again on the same directory has every object
// it acknowledged, replays a retried Idempotency-Key, and never issues an id twice.

jest.setTimeout(90_000);

const KEY = 'sk_test_durable';
const TOKEN = 'twinctl_durable_test_token_0123456789';

/** Every twin started here, so a failing test still leaves no process behind (one would hold jest open). */
const started: CliRun[] = [];

async function serve(dir: string, port: number, extra: string[]): Promise<CliRun> {
  const twin = cli(['serve', '--port', String(port), '--data', dir, '--control-token', TOKEN, ...extra]);
  started.push(twin);
  await twin.until(/listening on/, 30_000);
  return twin;
}

/** Each test's data directory. */
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-data-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((twin) => killed(twin)));
  fs.rmSync(dir, { recursive: true, force: true });
});

const clientFor = (port: number) => new Stripe(KEY, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, timeout: 10_000 });

function killed(twin: CliRun): Promise<unknown> {
  twin.child.kill('SIGKILL');
  return twin.exited;
}

async function allPaymentIntents(stripe: Stripe): Promise<string[]> {
  const ids: string[] = [];
  for await (const pi of stripe.paymentIntents.list({ limit: 100 })) ids.push(pi.id);
  return ids;
}

/** The newest journal's generation: each fold starts the next (the start's fold makes 1). */
const journalGeneration = (dir: string): number => Math.max(...fs.readdirSync(dir).map((name) => Number(/^journal\.(\d+)\.log$/.exec(name)?.[1] ?? 0)));

describe.each([
  ['random seed, wall clock', [] as string[]],
  ['--seed 1', ['--seed', '1']],
  // Folding considered from 20 KB of journal: a world forgotten before the load leaves most of the files superseded, so a fold runs on a worker thread while the load goes on.
  ['--seed 1, folding as it goes', ['--seed', '1', '--fold-at', '0.02']],
])('serve --data (%s)', (_label, seedArgs) => {
  it('keeps every acknowledged object through kill -9 mid-load; a retried pre-crash key replays; ids never repeat', async () => {
    const port = await freePort();
    let twin = await serve(dir, port, seedArgs);
    const stripe = clientFor(port);
    const keyed = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd' }, { idempotencyKey: 'pre-crash' });
    await stripe.paymentIntents.update(keyed.id, { metadata: { changed: 'after the answer' } });
    const customer = await stripe.customers.create({ email: 'kept@example.com' });
    const confirmed = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', payment_method: 'pm_card_visa', allowed_payment_method_types: ['card'], confirm: true } as Stripe.PaymentIntentCreateParams);
    const events = (await stripe.events.list({ limit: 20 })).data;
    expect(events.length).toBeGreaterThan(3);
    const folding = seedArgs.includes('--fold-at');
    if (folding) {
      const scratch = new Stripe('sk_test_scratch', { host: '127.0.0.1', port, protocol: 'http' });
      for (let i = 0; i < 40; i++) await scratch.customers.create({ email: `${i}@example.com` });
      await new TwinControl({ url: `http://127.0.0.1:${port}`, key: 'sk_test_scratch', token: TOKEN }).reset();
    }

    // A bounded load of concurrent creates; SIGKILL once 150 are acknowledged, with others in flight.
    const acknowledged: string[] = [];
    const failed: unknown[] = [];
    let kill: Promise<unknown> | null = null;
    const worker = async (w: number) => {
      for (let i = 0; i < 60; i++) {
        try {
          const pi = await stripe.paymentIntents.create({ amount: 100 + i, currency: 'usd', customer: customer.id, metadata: { w: String(w), i: String(i) } });
          acknowledged.push(pi.id);
          if (acknowledged.length === 150) kill = killed(twin);
        } catch (e) {
          failed.push(e);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    expect(kill).not.toBeNull();
    await kill;
    expect(failed.length).toBeGreaterThan(0); // requests were in flight when it died
    if (folding) expect(journalGeneration(dir)).toBeGreaterThanOrEqual(2); // a fold began while serving (the kill may land while it runs)

    twin = await serve(dir, port, seedArgs);
    try {
      // Every acknowledged object is there.
      const kept = new Set(await allPaymentIntents(stripe));
      expect(acknowledged.filter((id) => !kept.has(id))).toEqual([]);
      expect(kept.has(keyed.id)).toBe(true);
      expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).email).toBe('kept@example.com');
      // Objects and events come back as they were answered (an event's object, written by reference, included).
      const { lastResponse: _l, ...confirmedAgain } = await stripe.paymentIntents.retrieve(confirmed.id);
      const { lastResponse: _m, ...confirmedBefore } = confirmed;
      expect(confirmedAgain).toEqual(confirmedBefore);
      for (const event of events) expect(JSON.stringify(await stripe.events.retrieve(event.id))).toBe(JSON.stringify(event));
      // The retried key replays the first answer, as it was (the object changed since).
      const retried = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd' }, { idempotencyKey: 'pre-crash' });
      expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
      const { lastResponse: _r, ...replayed } = retried;
      const { lastResponse: _k, ...answered } = keyed;
      expect(replayed).toEqual(answered);
      expect(replayed.metadata).toEqual({});
      // New objects get new ids.
      const fresh = await Promise.all(Array.from({ length: 20 }, () => stripe.paymentIntents.create({ amount: 100, currency: 'usd' })));
      expect(fresh.filter((pi) => kept.has(pi.id))).toEqual([]);
      const again = await stripe.customers.create({ email: 'new@example.com' });
      expect(again.id).not.toBe(customer.id);

      // Once more, after the restart folded the journal into a snapshot: kill -9 and start again.
      await killed(twin);
      twin = await serve(dir, port, seedArgs);
      const after = new Set(await allPaymentIntents(stripe));
      expect([...kept, ...fresh.map((pi) => pi.id)].filter((id) => !after.has(id))).toEqual([]);
    } finally {
      await killed(twin);
    }
  });
});

describe('serve --data', () => {
  it('keeps world time, test clocks with their scheduled renewals, and pending webhook deliveries, which retry after the restart', async () => {
    const port = await freePort();
    const receiver = await Receiver.start();
    let twin = await serve(dir, port, ['--seed', '7', '--webhook-retries', '60']);
    try {
      const stripe = clientFor(port);
      const control = new TwinControl({ url: `http://127.0.0.1:${port}`, key: KEY, token: TOKEN });
      // A delivery that fails (a closed port), waiting to be retried.
      const closed = await freePort();
      await stripe.webhookEndpoints.create({ url: `http://127.0.0.1:${closed}/hook`, enabled_events: ['customer.created'] });
      const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.created'] });
      await control.clock.advance(3600);
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1767225600 });
      const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } } as Stripe.CustomerCreateParams);
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Plan' } });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      await control.webhooks.drain();
      const pending = (await control.webhooks.deliveries({ state: 'pending' })).deliveries;
      expect(pending.length).toBe(1);
      const now = (await control.clock.get()).now;

      await killed(twin);
      twin = await serve(dir, port, ['--seed', '7', '--webhook-retries', '60']);

      expect((await control.clock.get()).now).toBe(now);
      // The failed delivery is retried (to the endpoint that works now, by pointing it there).
      const failing = pending[0].endpoint;
      await stripe.webhookEndpoints.update(failing, { url: receiver.url });
      await control.clock.advance(60);
      await control.webhooks.drain();
      expect((await control.webhooks.deliveries({ endpoint: failing })).deliveries[0].state).toBe('succeeded');
      expect(receiver.received.filter((r) => JSON.parse(r.body).type === 'customer.created').length).toBeGreaterThanOrEqual(2);
      expect(endpoint.id).not.toBe(failing);
      // The renewal scheduled on the test clock runs when the clock advances.
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1767225600 + 32 * 86400 });
      expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(2);
    } finally {
      await killed(twin);
      await receiver.close();
    }
  });

  it('refuses another seed than the directory was made with', async () => {
    const port = await freePort();
    const twin = await serve(dir, port, ['--seed', '1']);
    await killed(twin);
    const other = cli(['serve', '--port', String(port), '--data', dir, '--seed', '2']);
    expect(await other.exited).not.toBe(0);
    expect(other.out.err).toContain('seeded "1"');
  });
});
