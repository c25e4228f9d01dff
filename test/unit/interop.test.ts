import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import Stripe from 'stripe';
import { Capture, Interaction, listCaptures, readCapture } from '../../src/contract/capture';
import { importHar } from '../../src/contract/importers/har';
import { importNock } from '../../src/contract/importers/nock';
import { captureToHar, captureToNock } from '../../src/contract/interop';
import { encodeForm } from '../../src/engine/form';
import { normalize } from '../../src/contract/normalize';
import * as exportCommand from '../../src/commands/export';

const CAPTURES = path.join(__dirname, '..', '..', 'captures');
const json = <T>(v: T): any => JSON.parse(JSON.stringify(v));

/** A small capture made the way importers make them: create, list with a query, a decline on a connected account. */
function sample(): Capture {
  const t0 = 1700000000;
  return normalize({
    name: 'sample/customer_and_decline',
    provenance: { source: 'test', format: 'vcr', recorded: '2023-11-14' },
    interactions: [
      {
        request: {
          method: 'POST',
          path: '/v1/customers',
          params: { name: "O'Brien (test)!", email: 'ob@example.com', metadata: { plan: 'gold tier' }, expand: ['tax'] },
          headers: { 'Stripe-Version': '2023-10-16', 'Idempotency-Key': 'key-1' },
        },
        response: {
          status: 200,
          headers: { 'Content-Type': 'application/json', 'Request-Id': 'req_Aa11Bb22', 'Idempotency-Key': 'key-1', 'Stripe-Version': '2023-10-16', Date: 'x' },
          body: { id: 'cus_P1aB2cD3', object: 'customer', created: t0 + 1, name: "O'Brien (test)!", email: 'ob@example.com', metadata: { plan: 'gold tier' } },
        },
        recordedAt: t0,
      },
      {
        request: { method: 'GET', path: '/v1/customers', params: { limit: '2', email: 'ob@example.com' }, headers: { 'Stripe-Version': '2023-10-16' } },
        response: {
          status: 200,
          headers: { 'Content-Type': 'application/json', 'Request-Id': 'req_Cc33Dd44', 'Stripe-Version': '2023-10-16' },
          body: { object: 'list', url: '/v1/customers', has_more: false, data: [{ id: 'cus_P1aB2cD3', object: 'customer', created: t0 + 1 }] },
        },
        recordedAt: t0 + 2,
      },
      {
        request: {
          method: 'POST',
          path: '/v1/payment_methods/pm_card_chargeDeclined/attach',
          params: { customer: 'cus_Q9zY8xW7' },
          headers: { 'Stripe-Version': '2023-10-16', 'Stripe-Account': 'acct_1Conn3cted' },
        },
        response: {
          status: 402,
          headers: { 'Content-Type': 'application/json', 'Request-Id': 'req_Ee55Ff66', 'Stripe-Account': 'acct_1Conn3cted', 'Stripe-Version': '2023-10-16' },
          body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', request_log_url: `https://dashboard.stripe.com/test/logs/req_Ee55Ff66?t=${t0 + 5}` } },
        },
        recordedAt: t0 + 5,
      },
    ],
  });
}

/** What an export must keep: everything of each interaction. */
const interactions = (c: Capture): Interaction[] => json(c.interactions);

describe('captureToNock', () => {
  it('writes nock definitions with the recorded ids, form bodies as stripe-node encodes them and Unix timestamps', () => {
    const c = sample();
    const base = Date.UTC(2023, 10, 14) / 1000;
    const defs = json(captureToNock(c));
    expect(defs).toHaveLength(3);
    expect(defs[0]).toMatchObject({
      scope: 'https://api.stripe.com:443',
      method: 'POST',
      path: '/v1/customers',
      body: 'name=O%27Brien%20%28test%29%21&email=ob%40example.com&metadata[plan]=gold%20tier&expand[0]=tax',
      status: 200,
      response: { id: 'cus_P1aB2cD3', object: 'customer', created: base + 1 },
      _recordedRequestHeaders: { 'Stripe-Version': '2023-10-16', 'Idempotency-Key': '{{idem_1}}' },
    });
    expect(defs[0].rawHeaders).toEqual([
      'Content-Type', 'application/json', 'Idempotency-Key', '{{idem_1}}', 'Request-Id', '{{req_1}}', 'Stripe-Version', '2023-10-16',
      'Date', new Date(base * 1000).toUTCString(),
    ]);
    expect(defs[0].reqheaders).toBeUndefined();
    expect(defs[1]).toMatchObject({ method: 'GET', path: '/v1/customers?limit=2&email=ob%40example.com' });
    expect(defs[1].body).toBeUndefined();
    expect(defs[2]).toMatchObject({
      path: '/v1/payment_methods/pm_card_chargeDeclined/attach',
      body: 'customer=cus_Q9zY8xW7',
      status: 402,
      reqheaders: { 'stripe-account': 'acct_1Conn3cted' },
    });
    expect(defs[2].response.error.request_log_url).toBe(`https://dashboard.stripe.com/test/logs/{{req_3}}?t=${base + 5}`);
    expect(json(captureToNock(c, { matchVersion: true, base: 0 }))[1].reqheaders).toEqual({ 'stripe-version': '2023-10-16' });
  });

  it('round-trips: importing the export and normalizing gives the same interactions and ids', () => {
    const c = sample();
    const back = normalize(importNock(json(captureToNock(c)), c.name, c.provenance));
    expect(interactions(back)).toEqual(interactions(c));
    expect(back.ids).toEqual(c.ids);
  });

  it('serves stripe-node: an exported pay capture answers the same calls, decline included', async () => {
    const capture = readCapture(path.join(CAPTURES, 'pay', 'test_handles_stripe_card_declined.yaml'));
    nock.disableNetConnect();
    const scopes = nock.define(captureToNock(capture, { matchVersion: true }) as any);
    try {
      const stripe = new Stripe('sk_test_nock', { maxNetworkRetries: 0, apiVersion: '2020-08-27' as any });
      const first = await stripe.customers.create({ email: 'johnny@appleseed.com' });
      expect(first.id).toBe(capture.ids['{{cus_1}}']);
      expect(first.created).toEqual(expect.any(Number));
      expect(first.lastResponse.requestId).toBe('{{req_1}}');
      const plan = await stripe.plans.retrieve('small-monthly');
      expect(plan).toMatchObject({ id: 'small-monthly', amount: 2500, interval: 'month' });
      const second = await stripe.customers.create({ email: 'johnny@appleseed.com', description: '' });
      expect(second.id).toBe(capture.ids['{{cus_2}}']);
      const declined = await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: second.id }).catch((e) => e);
      expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
      expect(scopes.every((s) => s.isDone())).toBe(true);
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });

  it('serves the sample through stripe-node too: quoting, nested params, queries and Stripe-Account match', async () => {
    const c = sample();
    nock.disableNetConnect();
    const scopes = nock.define(captureToNock(c) as any);
    try {
      const stripe = new Stripe('sk_test_nock', { maxNetworkRetries: 0 });
      const customer = await stripe.customers.create({ name: "O'Brien (test)!", email: 'ob@example.com', metadata: { plan: 'gold tier' }, expand: ['tax'] });
      expect(customer).toMatchObject({ id: 'cus_P1aB2cD3', name: "O'Brien (test)!" });
      const list = await stripe.customers.list({ limit: 2, email: 'ob@example.com' });
      expect(list.data.map((x) => x.id)).toEqual(['cus_P1aB2cD3']);
      const err = await stripe.paymentMethods
        .attach('pm_card_chargeDeclined', { customer: 'cus_Q9zY8xW7' }, { stripeAccount: 'acct_1Conn3cted' })
        .catch((e) => e);
      expect(err).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
      expect(scopes.every((s) => s.isDone())).toBe(true);
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });

  it('does not match a request made for another connected account', async () => {
    nock.disableNetConnect();
    nock.define(captureToNock(sample()).slice(2) as any);
    try {
      const stripe = new Stripe('sk_test_nock', { maxNetworkRetries: 0 });
      const err = await stripe.paymentMethods
        .attach('pm_card_chargeDeclined', { customer: 'cus_Q9zY8xW7' }, { stripeAccount: 'acct_1Other' })
        .catch((e) => e);
      expect(err.type).toBe('StripeConnectionError');
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});

describe('captureToHar', () => {
  it('writes a Polly-style HAR 1.2 log', () => {
    const har = json(captureToHar(sample()));
    expect(har.log).toMatchObject({ version: '1.2', _recordingName: 'sample/customer_and_decline', pages: [], creator: { name: 'Polly.JS' } });
    const [create, list, attach] = har.log.entries;
    expect(create.request).toMatchObject({
      method: 'POST',
      url: 'https://api.stripe.com/v1/customers',
      postData: { mimeType: 'application/x-www-form-urlencoded', text: expect.stringContaining('email=ob%40example.com') },
    });
    expect(create.request.headers).toEqual(
      expect.arrayContaining([{ name: 'Stripe-Version', value: '2023-10-16' }, { name: 'Idempotency-Key', value: '{{idem_1}}' }]),
    );
    expect(JSON.parse(create.response.content.text)).toMatchObject({ id: 'cus_P1aB2cD3', created: Date.UTC(2023, 10, 14) / 1000 + 1 });
    expect(create.startedDateTime).toBe('2023-11-14T00:00:00.000Z');
    expect(list.request.queryString).toEqual([{ name: 'limit', value: '2' }, { name: 'email', value: 'ob@example.com' }]);
    expect(list.request.url).toBe('https://api.stripe.com/v1/customers?limit=2&email=ob%40example.com');
    expect(attach.response).toMatchObject({ status: 402, statusText: 'Payment Required' });
    expect(attach.startedDateTime).toBe('2023-11-14T00:00:05.000Z');
    for (const e of har.log.entries) expect(e).toEqual(expect.objectContaining({ _id: expect.stringMatching(/^[0-9a-f]{32}$/), _order: 0 }));
  });

  it('round-trips: importing the export and normalizing gives the same interactions and ids', () => {
    const c = sample();
    const back = normalize(importHar(json(captureToHar(c)), c.name, c.provenance));
    expect(interactions(back)).toEqual(interactions(c));
    expect(back.ids).toEqual(c.ids);
  });
});

describe('every committed capture', () => {
  const all = [...listCaptures(CAPTURES)].map(([, file]) => readCapture(file)).filter((c) => c.interactions.length);

  it('exists (the round trips below are not vacuous)', () => {
    expect(all.length).toBeGreaterThanOrEqual(100);
  });

  it.each(['nock', 'har'] as const)('round-trips through %s', (to) => {
    const failures: string[] = [];
    for (const c of all) {
      const doc = json(to === 'nock' ? captureToNock(c) : captureToHar(c));
      const back = normalize(to === 'nock' ? importNock(doc, c.name, c.provenance) : importHar(doc, c.name, c.provenance));
      if (JSON.stringify(interactions(back)) !== JSON.stringify(interactions(c)) || JSON.stringify(back.ids) !== JSON.stringify(c.ids)) failures.push(c.name);
    }
    expect(failures).toEqual([]);
  });
});

describe('encodeForm', () => {
  it('encodes as stripe-node does, so nock matches exported bodies', () => {
    expect(encodeForm({ a: "it's (1)!*", b: ['x', 'y'], c: { d: 'e f' }, n: null })).toBe('a=it%27s%20%281%29%21%2A&b[0]=x&b[1]=y&c[d]=e%20f&n=');
  });
});

describe('stripe-twin export', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes a nock fixture or a HAR file that imports back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-export-'));
    const file = path.join(CAPTURES, 'pay', 'test_handles_stripe_card_declined.yaml');
    const c = readCapture(file);
    const writes: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => (writes.push(String(s)), true));
    await exportCommand.run({ to: 'nock', out: path.join(dir, 'fixture.json') }, [file]);
    await exportCommand.run({ to: 'har', out: path.join(dir, 'rec', 'recording.har') }, [file]);
    expect(writes.join('')).toMatch(/wrote 4 interactions of pay\/test_handles_stripe_card_declined to .*fixture\.json \(nock\)/);
    const nockBack = normalize(importNock(JSON.parse(fs.readFileSync(path.join(dir, 'fixture.json'), 'utf8')), c.name, c.provenance));
    const harBack = normalize(importHar(JSON.parse(fs.readFileSync(path.join(dir, 'rec', 'recording.har'), 'utf8')), c.name, c.provenance));
    expect(interactions(nockBack)).toEqual(interactions(c));
    expect(interactions(harBack)).toEqual(interactions(c));
    await expect(exportCommand.run({ to: 'nock', recordingName: 'x' }, [file])).rejects.toThrow(/--recording-name is for --to har/);
  });
});
