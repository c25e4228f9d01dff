import Stripe from 'stripe';
import { cli, CliRun, freePort, raw, stop } from '../helpers';
import { Receiver } from '../webhook_receiver';

// `stripe-twin listen` end to end, as a user runs it: `serve` and `listen` are
// child processes of the built CLI (`npm test` builds first); the app's receiver
// verifies what listen forwards with the official SDK.

describe('stripe-twin listen', () => {
  let serve: CliRun;
  let url: string;
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start();
    serve = cli(['serve', '--port', '0', '--seed', '3']);
    url = (await serve.until(/listening on (http:\/\/\S+)/))[1];
  });
  afterAll(async () => {
    await stop(serve.child);
    await rx.close();
  });

  it('prints the secret, forwards matching events signed, prints a line per delivery, and unregisters on ^C', async () => {
    const key = `sk_test_listen_${process.pid}`;
    const listen = cli(['listen', '--url', url, '--forward-to', `${rx.url}/webhook`, '--events', 'customer.created,customer.updated'], {
      STRIPE_SECRET_KEY: key,
    });
    try {
      const [, version, secret] = await listen.until(/^> Ready! You are using Stripe API Version \[(\S+)\]\. Your webhook signing secret is (whsec_[0-9a-f]{64}) \(\^C to quit\)$/m);
      expect(version).toBe('2026-10-28.endive');
      const { port, hostname } = new URL(url);
      const stripe = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
      const customer = await stripe.customers.create({ email: 'jane@example.com' });
      await stripe.customers.update(customer.id, { name: 'Jane' });
      await stripe.paymentIntents.create({ amount: 500, currency: 'usd', allowed_payment_method_types: ['card'] }); // not listened to
      await rx.waitFor(2);
      const events = rx.events('/webhook', secret);
      expect(events.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
      expect((events[0].data.object as Stripe.Customer).id).toBe(customer.id);
      const [created, updated] = events.map((e) => e.id);
      await listen.until(new RegExp(`<--  \\[200\\] POST ${rx.url}/webhook \\[${updated}\\]`));
      const lines = listen.out.text.trim().split('\n').slice(1);
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d   --> customer\\.created \\[${created}\\]$`)),
        expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  <--  \\[200\\] POST ${rx.url}/webhook \\[${created}\\]$`)),
        expect.stringMatching(/ {3}--> customer\.updated /),
        expect.stringMatching(/ {2}<-- {2}\[200\] POST /),
      ]);
      // The listen session is not a webhook endpoint of the account, but the twin sees it.
      expect((await stripe.webhookEndpoints.list()).data).toEqual([]);
      const sessions = (await raw(url, 'GET', '/__admin__/webhooks/endpoints', { key })).json.endpoints;
      expect(sessions).toEqual([expect.objectContaining({ listener: true, secret, enabled_events: ['customer.created', 'customer.updated'] })]);
      // The receiver's status reaches the twin's delivery log.
      rx.status = () => 500;
      await stripe.customers.update(customer.id, { name: 'Janet' });
      await listen.until(/<-- {2}\[500\] POST /);
      await raw(url, 'POST', '/__admin__/webhooks/drain', { key }); // the twin has recorded the answer
      const log = (await raw(url, 'GET', '/__admin__/webhooks/deliveries', { key })).json.deliveries;
      expect(log[0]).toMatchObject({ type: 'customer.updated', state: 'pending', attempts: [expect.objectContaining({ status: 500 })] });
      rx.status = () => 200;

      listen.child.kill('SIGINT');
      expect(await listen.exited).toBe(0);
      expect((await raw(url, 'GET', '/__admin__/webhooks/endpoints', { key })).json.endpoints).toEqual([]);
    } finally {
      await stop(listen.child);
    }
  });

  it('prints the error when the app is down, and fails clearly when the twin is not running', async () => {
    const closed = await freePort();
    const key = `sk_test_listen_down_${process.pid}`;
    const listen = cli(['listen', '--url', url, '--forward-to', `localhost:${closed}/hook`, '--api-key', key]);
    try {
      await listen.until(/Ready!/);
      const { port, hostname } = new URL(url);
      const stripe = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http' });
      // The same receiver, down, as an endpoint the twin delivers to itself.
      const direct = await stripe.webhookEndpoints.create({ url: `http://127.0.0.1:${closed}/hook`, enabled_events: ['customer.created'] });
      await stripe.customers.create();
      await listen.until(/\[ERROR\] Failed to POST: Post "http:\/\/localhost:\d+\/hook": .*ECONNREFUSED/);
      await raw(url, 'POST', '/__admin__/webhooks/drain', { key });
      const log = (await raw(url, 'GET', '/__admin__/webhooks/deliveries', { key })).json.deliveries;
      // No answer reached the relay, so none reaches the twin: it records a connection
      // error, as for its own delivery to the receiver, and retries both alike.
      const viaListen = log.find((d: any) => d.endpoint !== direct.id);
      const viaTwin = log.find((d: any) => d.endpoint === direct.id);
      expect(log).toHaveLength(2);
      expect(viaListen.attempts).toEqual([{ attempt: 1, at: expect.any(Number), status: null, latency_ms: expect.any(Number), response: null, error: 'socket hang up' }]);
      expect(viaTwin.attempts).toEqual([{ ...viaListen.attempts[0], latency_ms: expect.any(Number), error: expect.stringMatching(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/) }]);
      const alike = ({ id, endpoint, attempts, ...rest }: any) => rest;
      expect(alike(viaListen)).toEqual(alike(viaTwin));
      expect(viaListen.state).toBe('pending');
    } finally {
      await stop(listen.child);
    }
    const nowhere = cli(['listen', '--url', `http://127.0.0.1:${closed}`, '--forward-to', 'localhost:3000/webhook']);
    expect(await nowhere.exited).toBe(1);
    expect(nowhere.out.err).toMatch(/^stripe-twin: cannot reach the twin at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\); start it with `stripe-twin serve`\n$/);
    // A session the twin refuses: its reason, and nothing left registered.
    const refused = cli(['listen', '--url', url, '--events', 'customer.nonsense', '--api-key', key]);
    expect(await refused.exited).toBe(1);
    expect(refused.out.err).toBe('stripe-twin: POST /__admin__/webhooks/listeners: Unknown event type: customer.nonsense\n');
    expect((await raw(url, 'GET', '/__admin__/webhooks/endpoints', { key })).json.endpoints.filter((e: any) => e.listener)).toEqual([]);
  });
});

describe('stripe-twin serve --webhook-retries', () => {
  it('retries failed deliveries on the schedule given, in world time', async () => {
    const rx = await Receiver.start();
    const serve = cli(['serve', '--port', '0', '--seed', '4', '--webhook-retries', '60,120']);
    try {
      const url = (await serve.until(/listening on (http:\/\/\S+)/))[1];
      const key = 'sk_test_retries';
      const { port, hostname } = new URL(url);
      const stripe = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
      await stripe.webhookEndpoints.create({ url: `${rx.url}/r`, enabled_events: ['customer.created'] });
      rx.status = () => 500;
      await stripe.customers.create();
      await raw(url, 'POST', '/__admin__/webhooks/drain', { key });
      await raw(url, 'POST', '/__admin__/clock/advance', { key, body: '{"duration": "1h"}', headers: { 'Content-Type': 'application/json' } });
      const [d] = (await raw(url, 'GET', '/__admin__/webhooks/deliveries', { key })).json.deliveries;
      expect(d.state).toBe('failed');
      expect(d.attempts.map((a: any) => a.at - d.attempts[0].at)).toEqual([0, 60, 180]);
      expect(rx.received).toHaveLength(3);
      expect((await cli(['serve', '--port', '0', '--webhook-retries', 'soon']).exited)).toBe(2);
    } finally {
      await stop(serve.child);
      await rx.close();
    }
  });
});
