import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { createTwin } from '../../src';
import { Capture, captureToYaml, CAPTURE_FORMAT } from '../../src/contract/capture';
import { importVcr } from '../../src/contract/importers/vcr';
import { normalize } from '../../src/contract/normalize';
import { createReplayClient, REPLAY_SECRET, ReplayHttpClient, ReplayOptions } from '../../src/transport/replay';
import { recordWithTwin } from '../fixtures/recording';

// The replay transport through the real SDK: captures recorded from the twin
// (normalized like any capture) and a real pay-rails VCR cassette.

const sdk = (client: ReplayHttpClient) => new Stripe('sk_test_replay', { httpClient: client, maxNetworkRetries: 0 });

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** create → retrieve → confirm → retrieve, where the two retrieves are the same request. */
async function recordConfirmFlow(): Promise<Capture> {
  return recordWithTwin('confirm-flow', async (stripe) => {
    const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    await stripe.paymentIntents.retrieve(pi.id);
    await stripe.paymentIntents.confirm(pi.id);
    await stripe.paymentIntents.retrieve(pi.id);
  });
}

function expectError(e: unknown): Stripe.errors.StripeError {
  expect(e).toBeInstanceOf(Stripe.errors.StripeError);
  return e as Stripe.errors.StripeError;
}

async function failure(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (e) {
    return expectError(e);
  }
  throw new Error('expected the call to fail');
}

describe('replay: matching', () => {
  test('serves recorded responses in order; a repeated identical request gets the next recording', async () => {
    const capture = await recordConfirmFlow();
    expect(capture.interactions.map((i) => `${i.request.method} ${i.request.path}`)).toEqual([
      'POST /v1/payment_intents',
      'GET /v1/payment_intents/{{pi_1}}',
      'POST /v1/payment_intents/{{pi_1}}/confirm',
      'GET /v1/payment_intents/{{pi_1}}',
    ]);
    const client = createReplayClient(capture);
    const stripe = sdk(client);
    const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    expect(pi.status).toBe('requires_confirmation');
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_confirmation');
    expect((await stripe.paymentIntents.confirm(pi.id)).status).toBe('succeeded');
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    expect(client.remaining()).toEqual([]);
    // Past the end of the recordings of a request, the last one answers again.
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    expect(client.unmatched).toEqual([]);
  });

  test('idempotency keys, telemetry, user agent and parameter order do not matter', async () => {
    const capture = await recordWithTwin('customer', async (stripe) => {
      await stripe.customers.create({ email: 'a@example.com', metadata: { a: '1', b: '2' } }, { idempotencyKey: 'first-key' });
    });
    const stripe = new Stripe('sk_test_other', {
      httpClient: createReplayClient(capture),
      appInfo: { name: 'some-app', version: '9.9.9' },
      telemetry: true,
    });
    const c = await stripe.customers.create({ metadata: { b: '2', a: '1' }, email: 'a@example.com' }, { idempotencyKey: 'another-key' });
    expect(c.email).toBe('a@example.com');
  });

  test('strict mode: requests must come in recorded order and nothing is served twice', async () => {
    const capture = await recordConfirmFlow();
    const client = createReplayClient(capture, { strict: true });
    const stripe = sdk(client);
    const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    const err = await failure(stripe.paymentIntents.confirm(pi.id));
    expect(err.message).toContain('Strict replay expects #2 of 4 next: GET /v1/payment_intents/');
    expect(err.message).toContain('It matches #3, recorded later: the requests came out of recorded order.');
    await stripe.paymentIntents.retrieve(pi.id);
    await stripe.paymentIntents.confirm(pi.id);
    await stripe.paymentIntents.retrieve(pi.id);
    const again = await failure(stripe.paymentIntents.retrieve(pi.id));
    expect(again.message).toContain('all 4 recorded interactions have been served');
  });
});

describe('replay: tokens', () => {
  test('a recorded create-then-retrieve-by-id sequence replays with the recorded ids, times and fixed secrets', async () => {
    const capture = await recordWithTwin('ids', async (stripe) => {
      const customer = await stripe.customers.create({ email: 'jane@example.com' });
      await stripe.customers.retrieve(customer.id);
      const pi = await stripe.paymentIntents.create({
        amount: 2000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      });
      await stripe.charges.retrieve(pi.latest_charge as string);
    });
    // Make the recorded ids differ from anything the twin would mint: the
    // replayed responses must carry these, and later requests must use them.
    capture.ids['{{cus_1}}'] = 'cus_RecordedJane01';
    capture.ids['{{pi_1}}'] = 'pi_3RecordedPayment01';
    capture.ids['{{ch_1}}'] = 'ch_3RecordedCharge01';
    // A capture holds tokens, not ids.
    expect(JSON.stringify(capture.interactions)).not.toMatch(/cus_[A-Za-z0-9]{6,}/);

    const client = createReplayClient(capture, { baseTime: 1_700_000_000 });
    const stripe = sdk(client);
    const customer = await stripe.customers.create({ email: 'jane@example.com' });
    expect(customer.id).toBe('cus_RecordedJane01');
    expect(customer.created).toBe(1_700_000_000);
    expect((await stripe.customers.retrieve(customer.id)).id).toBe('cus_RecordedJane01');
    const pi = await stripe.paymentIntents.create({
      amount: 2000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(pi.id).toBe('pi_3RecordedPayment01');
    expect(pi.customer).toBe('cus_RecordedJane01');
    expect(pi.status).toBe('succeeded');
    expect(pi.client_secret).toBe(`pi_3RecordedPayment01_secret_${REPLAY_SECRET}`);
    expect(pi.latest_charge).toBe('ch_3RecordedCharge01');
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.payment_intent).toBe('pi_3RecordedPayment01');
    expect(typeof charge.created).toBe('number');
    // The twin's own ids never show through.
    expect(client.unmatched).toEqual([]);
    expect(client.remaining()).toEqual([]);
  });

  test('an id token the capture did not keep still gets one stable id, used consistently', async () => {
    const capture = await recordWithTwin('lost-ids', async (stripe) => {
      const c = await stripe.customers.create({ email: 'x@example.com' });
      await stripe.customers.update(c.id, { name: 'X' });
    });
    delete capture.ids['{{cus_1}}'];
    const stripe = sdk(createReplayClient(capture));
    const c = await stripe.customers.create({ email: 'x@example.com' });
    expect(c.id).toBe('cus_Replay0000000001');
    expect((await stripe.customers.update(c.id, { name: 'X' })).name).toBe('X');
  });

  test('timestamps and secrets in recorded requests match any value', async () => {
    const capture: Capture = {
      format: CAPTURE_FORMAT,
      name: 'wild',
      provenance: { source: 'hand-written', format: 'json', api_versions: [] },
      ids: {},
      interactions: [
        {
          request: {
            method: 'GET', path: '/v1/events', params: { created: { gte: '{{t+60}}' }, limit: 3 },
            stripe_version: null, idempotency_key: null, stripe_account: null,
          },
          response: { status: 200, headers: {}, body: { object: 'list', data: [], has_more: false, url: '/v1/events' } },
        },
      ],
    };
    const stripe = sdk(createReplayClient(capture));
    const list = await stripe.events.list({ created: { gte: 1_234_567_890 }, limit: 3 });
    expect(list.data).toEqual([]);
    // The number of items is not a timestamp: it must be equal.
    const err = await failure(stripe.events.list({ created: { gte: 1_234_567_890 }, limit: 4 }));
    expect(err.message).toContain('params.limit: recorded 3, got "4"');
  });
});

describe('replay: unmatched requests', () => {
  test('fail with a message that shows the closest recorded request and how it differs', async () => {
    const capture = await recordWithTwin('two-customers', async (stripe) => {
      await stripe.customers.create({ email: 'a@example.com', name: 'Ann', metadata: { plan: 'gold' } });
      await stripe.balance.retrieve();
    });
    const client = createReplayClient(capture);
    const stripe = new Stripe('sk_test_x', { httpClient: client }); // default retries: must not retry this
    const err = await failure(stripe.customers.create({ email: 'b@example.com', name: 'Ann', metadata: { plan: 'silver' }, phone: '1' }));
    expect(err.type).toBe('StripeInvalidRequestError');
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('replay_unmatched');
    expect(err.message).toBe(
      [
        'stripe-twin replay (two-customers): no recorded interaction matches POST /v1/customers {"email":"b@example.com","name":"Ann","metadata":{"plan":"silver"},"phone":"1"}.',
        'Closest recorded request, #1 of 2: POST /v1/customers {"email":"a@example.com","name":"Ann","metadata":{"plan":"gold"}}',
        '  params.email: recorded "a@example.com", got "b@example.com"',
        '  params.metadata.plan: recorded "gold", got "silver"',
        '  params.phone: not in the recording (got "1")',
      ].join('\n'),
    );
    expect(client.unmatched).toHaveLength(1);
    expect(client.unmatched[0]).toMatchObject({ closest: 0, fellBack: false, request: { method: 'POST', path: '/v1/customers' } });

    const wrongPath = await failure(stripe.customers.retrieve('cus_nope'));
    expect(wrongPath.message).toContain('no recorded interaction matches GET /v1/customers/cus_nope.');
    expect(wrongPath.message).toContain('Closest recorded request, #1 of 2: POST /v1/customers');
    expect(wrongPath.message).toContain('  method: recorded POST, got GET');
    expect(wrongPath.message).toContain('  path: recorded "/v1/customers", got "/v1/customers/cus_nope"');
  });

  test('with a fallback twin, unmatched requests are answered by the twin in-process', async () => {
    const capture = await recordWithTwin('one-customer', async (stripe) => {
      await stripe.customers.create({ email: 'a@example.com' });
    });
    capture.ids['{{cus_1}}'] = 'cus_FromRecording1';
    const twin = createTwin({ seed: 3 });
    const seen: string[] = [];
    const options: ReplayOptions = { fallback: twin, onUnmatched: (u) => seen.push(`${u.request.method} ${u.request.path}`) };
    const client = createReplayClient(capture, options);
    const stripe = sdk(client);
    expect((await stripe.customers.create({ email: 'a@example.com' })).id).toBe('cus_FromRecording1');
    const other = await stripe.customers.create({ email: 'b@example.com' });
    expect(other.id).not.toBe('cus_FromRecording1');
    expect(((await stripe.customers.retrieve(other.id)) as Stripe.Customer).email).toBe('b@example.com');
    const pi = await stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    expect(pi.status).toBe('succeeded');
    expect(seen).toEqual(['POST /v1/customers', `GET /v1/customers/${other.id}`, 'POST /v1/payment_intents']);
    expect(client.unmatched.every((u) => u.fellBack)).toBe(true);
    // The twin kept them: its world for this key has the fallback objects only.
    const listed = await twin.stripe('sk_test_replay').customers.list();
    expect(listed.data.map((c) => c.email)).toEqual(['b@example.com']);
    // The engine alone works as a fallback too.
    const engineOnly = sdk(createReplayClient(capture, { fallback: twin.engine }));
    expect((await engineOnly.balance.retrieve()).object).toBe('balance');
  });
});

describe('replay: captures on disk and recorded by others', () => {
  test('reads a capture from its YAML file', async () => {
    const capture = await recordConfirmFlow();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-replay-'));
    const file = path.join(dir, 'confirm-flow.yaml');
    fs.writeFileSync(file, captureToYaml(capture));
    try {
      const stripe = sdk(createReplayClient(file));
      const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
      expect(pi.id).toBe(capture.ids['{{pi_1}}']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a real VCR cassette (pay-rails) replays through stripe-node, ids flowing from step to step", async () => {
    const file = path.join(__dirname, '../fixtures/vcr/test_can_create_a_charge.yml');
    const raw = importVcr(fs.readFileSync(file, 'utf8'), 'pay/test_can_create_a_charge', {
      source: 'pay-rails/pay test/vcr_cassettes', format: 'vcr',
    });
    const capture = normalize(raw);
    const client = createReplayClient(clone(capture), { strict: true });
    const stripe = sdk(client);
    // What pay does, written with stripe-node.
    const customer = await stripe.customers.create({ email: 'stripe@example.org', name: 'Stripe User' });
    expect(customer.id).toBe('cus_JyYFhtrM35717e');
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const pi = await stripe.paymentIntents.create({
      amount: 2900, confirm: true, confirmation_method: 'automatic', currency: 'usd', customer: customer.id, payment_method: pm.id,
    });
    expect(pi.status).toBe('succeeded');
    expect(pi.payment_method).toBe(pm.id);
    // Times come back relative to the recorded day (the capture keeps offsets, not the original base).
    const day = Date.parse('2021-08-04T00:00:00Z') / 1000;
    expect(pi.created).toBeGreaterThanOrEqual(day);
    expect(pi.created).toBeLessThan(day + 86400);
    expect(client.remaining()).toEqual([]);
  });
});
