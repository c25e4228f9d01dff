import fs from 'node:fs';
import path from 'node:path';
import { Polly, PollyConfig } from '@pollyjs/core';
import NodeHttpAdapter from '@pollyjs/adapter-node-http';
import FSPersister from '@pollyjs/persister-fs';
import Stripe from 'stripe';
import { listCaptures, readCapture } from '../../src/contract/capture';
import { captureToHar, pollyRecordingFolder } from '../../src/contract/interop';
import { normalize } from '../../src/contract/normalize';
import { useHarness } from '../helpers';
import {
  CHECKOUT_REQUESTS, expectRecordedRefunds, gate, payRefunds, recordedCheckout, REFUNDS_CAPTURE, refundsCapture, requestsOf, stripeTwin, tmpDir,
} from '../recorder_helpers';

// Polly.js 6 with the node-http adapter and the fs persister, the way a suite
// uses it (docs/recording.md): a capture exported as a Polly recording is
// replayed to the official SDK; Polly's recording of the SDK against the twin
// imports and passes the gate, and a tampered one fails it.

Polly.register(NodeHttpAdapter);
Polly.register(FSPersister);

/** The recipe's config: SDK requests carry fresh idempotency keys and telemetry, so headers are not matched. */
const pollyConfig = (recordingsDir: string, mode: 'record' | 'replay'): PollyConfig => ({
  adapters: ['node-http'],
  persister: 'fs',
  persisterOptions: { fs: { recordingsDir } },
  mode,
  recordIfMissing: false,
  recordFailedRequests: true,
  matchRequestsBy: { headers: false },
  logLevel: 'silent',
});

describe('Polly.js: stripe-twin export → Polly replay → the official SDK', () => {
  it('serves pay\'s recorded PaymentIntent and refunds to stripe-node, and nothing it did not record', async () => {
    const recordings = path.join(tmpDir('polly-replay'), 'recordings');
    const name = 'refunds/increments total refund amount';
    const exported = await stripeTwin(['export', REFUNDS_CAPTURE, '--to', 'har', '--recording-name', name, '--out', recordings]);
    expect(exported.code).toBe(0);
    expect(fs.existsSync(path.join(recordings, pollyRecordingFolder(name), 'recording.har'))).toBe(true);

    const polly = new Polly(name, pollyConfig(recordings, 'replay'));
    try {
      // The SDK as an app makes it: api.stripe.com, nothing pointed anywhere; no network is reached.
      const stripe = new Stripe('sk_test_replayed', { apiVersion: '2025-10-29.clover' as Stripe.LatestApiVersion, maxNetworkRetries: 0 });
      expectRecordedRefunds(await payRefunds(stripe), refundsCapture());
      // A request the recording does not hold is refused, not sent on.
      const unrecorded = await stripe.refunds.create({ charge: 'ch_other', amount: 1 }).catch((e) => e);
      expect(unrecorded).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    } finally {
      await polly.stop();
    }
  });

  it('keys entries as Polly does: query keys out of order, nested and array parameters, a request repeated', async () => {
    const customer = (id: string) => ({ id, object: 'customer', created: 1700000000 });
    const list = (ids: string[]) => ({ object: 'list', url: '/v1/customers', has_more: false, data: ids.map(customer) });
    const get = (params: Record<string, unknown>, body: unknown) => ({
      request: { method: 'GET', path: '/v1/customers', params, headers: { 'Stripe-Version': '2025-10-29.clover' } },
      response: { status: 200, headers: { 'Content-Type': 'application/json', 'Request-Id': 'req_Aa11' }, body },
      recordedAt: Date.UTC(2023, 10, 14) / 1000, // the export's base: times come back as recorded
    });
    const capture = normalize({
      name: 'lists',
      provenance: { source: 'test', format: 'har', recorded: '2023-11-14' },
      interactions: [
        get({ limit: '2', email: 'a b@example.com', created: { gte: '1699999000' }, expand: ['data.tax', 'data.test_clock'] }, list(['cus_Aa1'])),
        get({ limit: '2', email: 'a b@example.com', created: { gte: '1699999000' }, expand: ['data.tax', 'data.test_clock'] }, list(['cus_Aa1', 'cus_Bb2'])),
      ],
    });
    const recordings = tmpDir('polly-keys');
    const file = path.join(recordings, pollyRecordingFolder('lists'), 'recording.har');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(captureToHar(capture)));
    const polly = new Polly('lists', pollyConfig(recordings, 'replay'));
    try {
      const stripe = new Stripe('sk_test_replayed', { maxNetworkRetries: 0 });
      const query = { email: 'a b@example.com', expand: ['data.tax', 'data.test_clock'], limit: 2, created: { gte: 1699999000 } };
      expect((await stripe.customers.list(query)).data.map((c) => c.id)).toEqual(['cus_Aa1']);
      expect((await stripe.customers.list(query)).data.map((c) => c.id)).toEqual(['cus_Aa1', 'cus_Bb2']);
    } finally {
      await polly.stop();
    }
  });

  it('puts the file where Polly looks for each recording name', () => {
    for (const name of ['checkout', 'pay/multiple refunds', '  Suite -- name!/ü/x'.repeat(8), 'a//b']) {
      const polly = new Polly(name, { logLevel: 'silent' });
      expect(pollyRecordingFolder(name)).toBe(polly.recordingId);
      void polly.stop();
    }
  });
});

describe('Polly.js: the SDK against the twin, recorded → stripe-twin import → verify', () => {
  const t = useHarness('http');

  it('imports what Polly recorded and passes the gate; a tampered recording fails it', async () => {
    const dir = tmpDir('polly-record');
    const recordings = path.join(dir, 'recordings');
    const polly = new Polly('checkout', pollyConfig(recordings, 'record'));
    // Polly records every request header, the API key's Authorization too: the recipe drops it.
    polly.server.any().on('beforePersist', (_req, entry) => {
      entry.request.headers = entry.request.headers.filter((h: { name: string }) => h.name !== 'authorization');
    });
    try {
      const run = await recordedCheckout(new Stripe(t.key, { host: '127.0.0.1', port: t.port, protocol: 'http', maxNetworkRetries: 0 }));
      expect(run.pi.status).toBe('succeeded');
      expect(run.declined).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    } finally {
      await polly.stop(); // persists the recording
    }
    const har = path.join(recordings, pollyRecordingFolder('checkout'), 'recording.har');
    expect(JSON.parse(fs.readFileSync(har, 'utf8')).log.creator.name).toBe('Polly.JS');
    expect(fs.readFileSync(har, 'utf8')).not.toContain(t.key);

    // Polly recorded the twin's address: the import is told it is the Stripe API.
    const captures = path.join(dir, 'captures');
    const ignored = await stripeTwin(['import', recordings, '--out', path.join(captures, 'polly')]);
    expect(ignored.out).toMatch(/no traffic to api\.stripe\.com/);
    const imported = await stripeTwin(['import', recordings, '--out', path.join(captures, 'polly'), '--base-url', t.h.url]);
    expect(imported.code).toBe(0);
    const [[, file]] = [...listCaptures(captures)];
    const capture = readCapture(file);
    expect(capture.provenance.format).toBe('har');
    expect(requestsOf(capture)).toEqual(CHECKOUT_REQUESTS);
    expect(capture.interactions[1].request.idempotency_key).toBe('{{idem_2}}');
    expect(JSON.stringify(capture)).not.toContain(t.key);

    const passed = await gate(captures, 'polly');
    expect(passed.out).toMatch(/compared 5 of the 5 recorded interactions/);
    expect(passed.code).toBe(0);

    // What the twin did differently than recorded fails the gate: the refund recorded as 900, not 700.
    const doc = JSON.parse(fs.readFileSync(har, 'utf8'));
    const refund = doc.log.entries.find((e: any) => e.request.url.endsWith('/v1/refunds'));
    refund.response.content.text = refund.response.content.text.replace('"amount": 700', '"amount": 900');
    fs.writeFileSync(har, JSON.stringify(doc));
    fs.rmSync(captures, { recursive: true });
    expect((await stripeTwin(['import', recordings, '--out', path.join(captures, 'polly'), '--base-url', t.h.url])).code).toBe(0);
    const failed = await gate(captures, 'polly');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/POST \/v1\/refunds: state refund amount \(recorded 900, twin 700\)/);
  });
});
