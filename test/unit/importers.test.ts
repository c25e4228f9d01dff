import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Capture, listCaptures, readCapture } from '../../src/contract/capture';
import { importPath } from '../../src/contract/importers';
import { importHar } from '../../src/contract/importers/har';
import { importJson } from '../../src/contract/importers/json';
import { importNock } from '../../src/contract/importers/nock';
import { importVcr } from '../../src/contract/importers/vcr';
import { normalize, RawCapture, renormalize } from '../../src/contract/normalize';
import * as importCommand from '../../src/commands/import';

const PROV = { source: 'test', format: 'vcr' as const };
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Patterns no capture may hold: live secrets, whatever else is scrubbed. */
const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['API key', /\b(sk|pk|rk|ek)_(test|live)_(?!\{\{secret\}\})[A-Za-z0-9]/],
  ['webhook secret', /\bwhsec_(?!\{\{secret\}\})[A-Za-z0-9]/],
  ['client secret', /_secret_(?!\{\{secret\}\})[A-Za-z0-9]/],
  ['bearer token', /Bearer\s+(sk|rk)_/],
  ['id before a client secret', /[a-z]+_[A-Za-z0-9]*[0-9][A-Za-z0-9]*_secret_/],
];
const secretsIn = (text: string) => SECRET_PATTERNS.filter(([, re]) => re.test(text)).map(([name]) => name);

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-import-'));
}

const VCR = `---
http_interactions:
- request:
    method: post
    uri: https://api.stripe.com/v1/customers
    body:
      encoding: UTF-8
      string: email=jenny%40example.com&metadata[order]=6735&expand[0]=default_source
    headers:
      Authorization:
      - Bearer sk_test_51HxYzAbCdEfGhIjKlMnOpQr
      Stripe-Version:
      - '2020-08-27'
      Idempotency-Key:
      - 7d3c1a5e-0000-4000-8000-000000000001
      X-Stripe-Client-Telemetry:
      - '{"last_request_metrics":{"request_id":"req_prevAbC123"}}'
  response:
    status:
      code: 200
    headers:
      Date:
      - Tue, 01 Sep 2020 00:50:01 GMT
      Request-Id:
      - req_3kuBQYXI0CtXHC
      Idempotency-Key:
      - 7d3c1a5e-0000-4000-8000-000000000001
      Stripe-Version:
      - '2020-08-27'
    body:
      encoding: UTF-8
      string: '{"id":"cus_HwGD4rIfFi5R4g","object":"customer","created":1598921401,"email":"jenny@example.com","default_source":null}'
  recorded_at: Tue, 01 Sep 2020 00:50:01 GMT
- request:
    method: get
    uri: https://example.com/unrelated
    body: {encoding: UTF-8, string: ''}
  response: {status: {code: 200}, body: {string: 'hi'}}
  recorded_at: Tue, 01 Sep 2020 00:50:02 GMT
- request:
    method: get
    uri: https://api.stripe.com/v1/customers/cus_HwGD4rIfFi5R4g?expand%5B%5D=subscriptions
    body: {encoding: US-ASCII, string: ''}
  response:
    status: {code: 404}
    headers: {Request-Id: [req_second1AbC]}
    body: {string: '{"error":{"type":"invalid_request_error","code":"resource_missing"}}'}
  recorded_at: Tue, 01 Sep 2020 00:50:05 GMT
`;

describe('importers', () => {
  it('VCR: keeps api.stripe.com only, decodes form bodies and query strings, reads recorded_at', () => {
    const raw = importVcr(VCR, 'x/vcr', PROV);
    expect(raw.interactions).toHaveLength(2);
    const [create, get] = raw.interactions;
    expect(create.request).toMatchObject({ method: 'POST', path: '/v1/customers' });
    expect(plain(create.request.params)).toEqual({ email: 'jenny@example.com', metadata: { order: '6735' }, expand: ['default_source'] });
    expect(plain(get.request.params)).toEqual({ expand: ['subscriptions'] });
    expect(create.recordedAt).toBe(Date.parse('2020-09-01T00:50:01Z') / 1000);
    expect(raw.provenance).toMatchObject({ format: 'vcr', recorded: '2020-09-01' });

    const c = normalize(raw);
    expect(c.interactions[0].request).toMatchObject({ stripe_version: '2020-08-27', idempotency_key: '{{idem_1}}', stripe_account: null });
    expect(c.interactions[0].response.headers).toEqual({ 'Idempotency-Key': '{{idem_1}}', 'Request-Id': '{{req_1}}', 'Stripe-Version': '2020-08-27' });
    expect(c.interactions.map((i) => i.at)).toEqual([0, 4]);
    // telemetry and authorization are not kept anywhere
    expect(JSON.stringify(c)).not.toMatch(/req_prevAbC123|sk_test_51|Telemetry|Authorization/);
  });

  it('VCR: base64 bodies decoded by their Content-Encoding, GET bodies ignored, bad URIs, forms and dates tolerated', () => {
    const gz = zlib.gzipSync('{"id":"cus_Gz1pPedAbC","object":"customer","created":1598921401}').toString('base64');
    const cassette = `---
http_interactions:
- request:
    method: get
    uri: https://api.stripe.com/v1/customers/cus_Gz1pPedAbC?expand%5B%5D=tax
    body: {encoding: UTF-8, string: 'invoice_settings[default_payment_method]=pm_1KgWRVQK2ZHS99Rk'}
  response:
    status: {code: 200}
    headers: {Content-Encoding: [gzip], Content-Type: [application/json]}
    body: {encoding: ASCII-8BIT, base64_string: '${gz}'}
  recorded_at: not a date
- request: {method: get, uri: 'not a url at all', body: {string: ''}}
  response: {status: {code: 200}, body: {string: 'x'}}
  recorded_at: Tue, 01 Sep 2020 00:50:02 GMT
- request:
    method: post
    uri: https://api.stripe.com/v1/customers
    body: {encoding: UTF-8, string: 'a[=1&b]=%E0%A4%A'}
  response:
    status: {code: 400}
    body: {string: ''}
  recorded_at: Tue, 01 Sep 2020 00:50:05 GMT
`;
    const raw = importVcr(cassette, 'x/vcr', PROV);
    expect(raw.interactions).toHaveLength(2);
    const [get, post] = raw.interactions;
    expect(plain(get.request.params)).toEqual({ expand: ['tax'] });
    expect(get.response.body).toEqual({ id: 'cus_Gz1pPedAbC', object: 'customer', created: 1598921401 });
    expect(get.recordedAt).toBeUndefined();
    expect(plain(post.request.params)).toEqual({});
    expect(post.response.body).toBeNull();
    expect(raw.provenance.recorded).toBe('2020-09-01');
    const c = normalize(raw);
    expect(JSON.stringify(c)).not.toContain('NaN');
    expect(c.interactions.map((i) => i.at)).toEqual([undefined, 0]);
    expect(renormalize(c)).toEqual(c);
  });

  it('HAR (Polly): entries in order, postData as form, base64 and gzipped content, startedDateTime as the time', () => {
    const gz = zlib.gzipSync(JSON.stringify({ object: 'list', data: [{ id: 'pi_3Abc123XyZ', object: 'payment_intent' }] })).toString('base64');
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'Polly.JS', version: '6.0.6' },
        entries: [
          {
            startedDateTime: '2024-05-01T10:00:00.000Z',
            request: {
              method: 'POST',
              url: 'https://api.stripe.com/v1/payment_intents',
              headers: [
                { name: 'stripe-version', value: '2024-04-10' },
                { name: 'idempotency-key', value: 'stripe-node-retry-0b7c' },
                { name: 'stripe-account', value: 'acct_1Hq2w3E4r5T6y7U8' },
              ],
              postData: { mimeType: 'application/x-www-form-urlencoded', text: 'amount=2000&currency=usd&payment_method_types[0]=card' },
            },
            response: {
              status: 200,
              headers: [{ name: 'request-id', value: 'req_AbCdEf123456' }, { name: 'content-type', value: 'application/json' }],
              content: { mimeType: 'application/json', text: '{"id":"pi_3Abc123XyZ","object":"payment_intent","amount":2000,"created":1714557600}' },
            },
          },
          {
            startedDateTime: '2024-05-01T10:00:01.000Z',
            request: { method: 'GET', url: 'https://api.segment.io/v1/t', headers: [] },
            response: { status: 200, headers: [], content: { text: '' } },
          },
          {
            startedDateTime: '2024-05-01T10:00:03.000Z',
            request: { method: 'GET', url: 'https://api.stripe.com/v1/payment_intents?limit=3&customer=cus_Q1w2E3r4', headers: [] },
            response: { status: 200, headers: [{ name: 'Content-Encoding', value: 'gzip' }], content: { encoding: 'base64', text: gz } },
          },
        ],
      },
    };
    const c = normalize(importHar(har, 'x/har', PROV));
    expect(c.provenance.format).toBe('har');
    expect(c.interactions.map((i) => [i.request.method, i.request.path, i.at])).toEqual([
      ['POST', '/v1/payment_intents', 0],
      ['GET', '/v1/payment_intents', 3],
    ]);
    expect(c.interactions[0].request).toMatchObject({
      params: { amount: '2000', currency: 'usd', payment_method_types: ['card'] },
      stripe_version: '2024-04-10',
      idempotency_key: '{{idem_1}}',
      stripe_account: '{{acct_1}}',
    });
    expect(c.interactions[1].request.params).toEqual({ limit: '3', customer: '{{cus_1}}' });
    expect(c.interactions[1].response.body).toEqual({ object: 'list', data: [{ id: '{{pi_1}}', object: 'payment_intent' }] });
    expect(c.interactions[0].response.body).toMatchObject({ id: '{{pi_1}}', created: '{{t+0}}' });
  });

  it("a twin's address counts as Stripe's only when named (--base-url): that origin, not another port or host", () => {
    const entry = (url: string) => ({ request: { method: 'GET', url, headers: [] }, response: { status: 200, headers: [], content: { text: '{"object":"list","data":[]}' } } });
    const har = { log: { entries: ['http://127.0.0.1:12111/v1/customers', 'http://127.0.0.1:3000/v1/customers', 'http://localhost:12111/v1/charges'].map(entry) } };
    expect(importHar(har, 'x/har', PROV).interactions).toEqual([]);
    expect(importHar(har, 'x/har', PROV, { baseUrl: 'http://127.0.0.1:12111' }).interactions.map((i) => i.request.path)).toEqual(['/v1/customers']);
    const defs = [{ scope: 'http://127.0.0.1:12111', method: 'GET', path: '/v1/charges?limit=1', status: 200, response: { object: 'list', data: [] } }];
    expect(importNock(defs, 'x/nock', PROV).interactions).toEqual([]);
    expect(importNock(defs, 'x/nock', PROV, { baseUrl: 'http://127.0.0.1:12111/' }).interactions[0].request).toMatchObject({ path: '/v1/charges', params: { limit: '1' } });
  });

  it('nock: flat rawHeaders or a headers object, path with query, form body, hex-gzipped responses, Date as the time', () => {
    const gzHex = zlib.gzipSync(JSON.stringify({ id: 'cus_Nk1AbC2dEf3', object: 'customer', deleted: true })).toString('hex');
    const defs = [
      {
        scope: 'https://api.stripe.com:443',
        method: 'POST',
        path: '/v1/customers',
        body: 'email=a%40b.co&name=Jane%20Doe&metadata[plan]=gold',
        status: 200,
        response: { id: 'cus_Nk1AbC2dEf3', object: 'customer', created: 1700000000 },
        rawHeaders: ['Date', 'Tue, 14 Nov 2023 22:13:20 GMT', 'Request-Id', 'req_N1ockAbC', 'Stripe-Version', '2023-10-16'],
        responseIsBinary: false,
      },
      {
        scope: 'https://api.stripe.com:443',
        method: 'GET',
        path: '/v1/customers/cus_Nk1AbC2dEf3?expand[0]=default_source',
        body: '',
        status: 200,
        response: { id: 'cus_Nk1AbC2dEf3', object: 'customer' },
        headers: { 'request-id': 'req_N2ockDeF', date: 'Tue, 14 Nov 2023 22:13:22 GMT' },
        reqheaders: { 'stripe-account': 'acct_1NkAbCdEfGhIjK' },
      },
      { scope: 'https://hooks.slack.com:443', method: 'POST', path: '/services/x', body: 'text=hi', status: 200, response: 'ok' },
      {
        scope: 'https://api.stripe.com:443',
        method: 'DELETE',
        path: '/v1/customers/cus_Nk1AbC2dEf3',
        status: 200,
        response: [gzHex],
        rawHeaders: ['Content-Encoding', 'gzip', 'Date', 'Tue, 14 Nov 2023 22:13:25 GMT'],
      },
    ];
    const c = normalize(importNock(defs, 'x/nock', PROV));
    expect(c.provenance.format).toBe('nock');
    expect(c.interactions.map((i) => [i.request.method, i.request.path, i.at])).toEqual([
      ['POST', '/v1/customers', 0],
      ['GET', '/v1/customers/{{cus_1}}', 2],
      ['DELETE', '/v1/customers/{{cus_1}}', 5],
    ]);
    expect(c.interactions[0].request.params).toEqual({ email: 'a@b.co', name: 'Jane Doe', metadata: { plan: 'gold' } });
    expect(c.interactions[0].request.stripe_version).toBe('2023-10-16'); // from the response, as recorded
    expect(c.interactions[0].response.body).toEqual({ id: '{{cus_1}}', object: 'customer', created: '{{t+0}}' });
    expect(c.interactions[1].request.params).toEqual({ expand: ['default_source'] });
    expect(c.interactions[1].request.stripe_account).toBe('{{acct_1}}');
    expect(c.interactions[1].response.headers).toEqual({ 'Request-Id': '{{req_2}}' });
    expect(c.interactions[2].response.body).toEqual({ id: '{{cus_1}}', object: 'customer', deleted: true });
  });

  it('loose JSON: an object becomes objects: [it]; an event also lists its type and API version', () => {
    const customer = { id: 'cus_4QWKsZuuTHcs7X', object: 'customer', created: 1557995167, email: 'john.doe@example.com' };
    const c1 = normalize(importJson(customer, 'x/customer', { ...PROV, api_versions: ['2020-08-27'] }));
    expect(c1).toMatchObject({ interactions: [], objects: [{ id: '{{cus_1}}', created: '{{t+0}}' }], ids: { '{{cus_1}}': 'cus_4QWKsZuuTHcs7X' } });
    expect(c1.provenance).toMatchObject({ format: 'json', api_versions: ['2020-08-27'] });
    expect(c1.events).toBeUndefined();

    const event = {
      id: 'evt_1IlYUUJDPojXS6LN7NEWYSm2',
      object: 'event',
      api_version: '2020-03-02',
      created: 1619701111,
      type: 'charge.captured',
      data: { object: { id: 'ch_3KtoMeJDPojXS6LN0igeffJ6', object: 'charge', created: 1619701000, customer: 'cus_J7Mkgr8mvbl1eK' } },
    };
    const c2 = normalize(importJson(event, 'x/event', PROV));
    expect(c2.events).toEqual(['charge.captured']);
    expect(c2.provenance.api_versions).toEqual(['2020-03-02']);
    expect(c2.objects![0]).toMatchObject({ id: '{{evt_1}}', created: '{{t+111}}', data: { object: { id: '{{ch_1}}', created: '{{t+0}}', customer: '{{cus_1}}' } } });
    expect(() => importJson({ hello: 'world' }, 'x/y', PROV)).toThrow(/not a Stripe object/);
  });
});

describe('normalization', () => {
  const raw = (body: unknown, extra: Partial<RawCapture['interactions'][0]> = {}, params: Record<string, unknown> = {}): RawCapture => ({
    name: 'x/n',
    provenance: PROV,
    interactions: [{ request: { method: 'POST', path: '/v1/things', params, headers: {} }, response: { status: 200, headers: {}, body }, ...extra }],
  });

  it('assigns tokens per prefix in order of first appearance, keeps originals in ids, leaves words and test values alone', () => {
    const c = normalize({
      name: 'x/order',
      provenance: PROV,
      interactions: [
        {
          request: { method: 'POST', path: '/v1/customers/cus_B2b2B2b2', params: { payment_method: 'pm_card_visa', source: 'tok_visa' }, headers: {} },
          response: {
            status: 200,
            headers: {},
            body: { id: 'cus_B2b2B2b2', status: 'in_progress', invoice_settings: { default_payment_method: 'pm_1Zz9Zz9' }, other: 'cus_A1a1A1a1' },
          },
        },
        {
          request: { method: 'GET', path: '/v1/customers/cus_A1a1A1a1', params: {}, headers: {} },
          response: { status: 200, headers: {}, body: { id: 'cus_A1a1A1a1', group: 'group_pi_3Q1w2E3r4T' } },
        },
      ],
    });
    expect(c.interactions[0].request.path).toBe('/v1/customers/{{cus_1}}');
    expect(c.interactions[0].request.params).toEqual({ payment_method: 'pm_card_visa', source: 'tok_visa' });
    expect(c.interactions[0].response.body).toEqual({
      id: '{{cus_1}}',
      status: 'in_progress',
      invoice_settings: { default_payment_method: '{{pm_1}}' },
      other: '{{cus_2}}',
    });
    expect(c.interactions[1].request.path).toBe('/v1/customers/{{cus_2}}');
    expect(c.interactions[1].response.body).toEqual({ id: '{{cus_2}}', group: 'group_{{pi_1}}' });
    expect(c.ids).toEqual({ '{{cus_1}}': 'cus_B2b2B2b2', '{{pm_1}}': 'pm_1Zz9Zz9', '{{cus_2}}': 'cus_A1a1A1a1', '{{pi_1}}': 'pi_3Q1w2E3r4T' });
    expect(Object.keys(c)).toEqual(['format', 'name', 'provenance', 'interactions', 'ids']);
  });

  it('scrubs API keys, webhook secrets, client secrets (keeping their ids as tokens) and capability links', () => {
    const c = normalize(
      raw(
        {
          id: 'pi_3TGnFMKXBGcbgpbZ1QIugONj',
          client_secret: 'pi_3TGnFMKXBGcbgpbZ1QIugONj_secret_Abc123DEF456',
          setup: 'seti_1MLlgdJDPojXS6LNif6Sm0pX_secret_N9x8Y7z6',
          source: 'src_client_secret_F5psHouOOldEtvBHgyz6y3FC',
          order: 'order_1L3Hf7JSZQ_secret_CQ2wCUrrDiDjp5Yy',
          already: 'pi_3AbcDef123_secret_{{secret}}',
          keys: ['sk_test_51HxYzAbCdEfGh', 'pk_live_51HxYzAbCdEfGh', 'rk_test_51HxYz', 'ek_test_YWNjdF8x'],
          webhook: { secret: 'whsec_Ab12Cd34Ef56' },
          ephemeral: { secret: 'some-opaque-value' },
          empty: { secret: '' },
          url: 'https://hooks.stripe.com/3d_secure_2/hosted?payment_intent_client_secret=pi_3TGnFMKXBGcbgpbZ1QIugONj_secret_Zz9&publishable_key=pk_test_51Abc',
          portal: 'https://billing.stripe.com/p/session/test_YWNjdF8xRTRiZm5LWEJHY2JncGJaLF9VRkhwUkFIeGIx',
          invoice: 'https://invoice.stripe.com/i/acct_1E4bfnKXBGcbgpbZ/test_YWNjdF8xRTRiZm5LWEJHY2Jn?s=ap',
          checkout: 'https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4#fidkdWxOYHwnPyd1blpxYHZxWjA0T2JcZ2Y',
          docs: 'https://stripe.com/docs/error-codes/card-declined#declines',
        },
        {},
        { client_secret: 'seti_1MLlgdJDPojXS6LNif6Sm0pX_secret_N9x8Y7z6' },
      ),
    );
    const body = c.interactions[0].response.body as Record<string, any>;
    expect(body.client_secret).toBe('{{pi_1}}_secret_{{secret}}');
    expect(body.setup).toBe('{{seti_1}}_secret_{{secret}}');
    expect(body.source).toBe('src_client_secret_{{secret}}');
    expect(body.order).toBe('{{order_1}}_secret_{{secret}}');
    expect(body.already).toBe('{{pi_2}}_secret_{{secret}}');
    expect(body.keys).toEqual(['sk_test_{{secret}}', 'pk_live_{{secret}}', 'rk_test_{{secret}}', 'ek_test_{{secret}}']);
    expect(body.webhook).toEqual({ secret: 'whsec_{{secret}}' });
    expect(body.ephemeral).toEqual({ secret: '{{secret}}' });
    expect(body.empty).toEqual({ secret: '' });
    expect(body.url).toBe(
      'https://hooks.stripe.com/3d_secure_2/hosted?payment_intent_client_secret={{pi_1}}_secret_{{secret}}&publishable_key=pk_test_{{secret}}',
    );
    expect(body.portal).toBe('https://billing.stripe.com/p/session/test_{{secret}}');
    expect(body.invoice).toBe('https://invoice.stripe.com/i/{{acct_1}}/test_{{secret}}?s=ap');
    expect(body.checkout).toBe('https://checkout.stripe.com/c/pay/{{cs_test_1}}#{{secret}}');
    expect(body.docs).toBe('https://stripe.com/docs/error-codes/card-declined#declines');
    expect(c.interactions[0].request.params).toEqual({ client_secret: '{{seti_1}}_secret_{{secret}}' });
    expect(secretsIn(JSON.stringify(c))).toEqual([]);
    expect(renormalize(c)).toEqual(c);
  });

  it('scrubs emails only when asked, as {{email_N}} tokens not kept in ids', () => {
    const r = raw({ email: 'jenny.rosen+1@example.com', name: 'Jenny', receipt_email: 'JR@example.co.uk' }, {}, { email: 'jenny.rosen+1@example.com' });
    const kept = normalize(r);
    expect((kept.interactions[0].response.body as any).email).toBe('jenny.rosen+1@example.com');
    const scrubbed = normalize(r, { scrubEmails: true });
    expect(scrubbed.interactions[0].response.body).toEqual({ email: '{{email_1}}', name: 'Jenny', receipt_email: '{{email_2}}' });
    expect(scrubbed.interactions[0].request.params).toEqual({ email: '{{email_1}}' });
    expect(Object.values(scrubbed.ids)).not.toContain('jenny.rosen+1@example.com');
    expect(JSON.stringify(scrubbed)).not.toContain('@example');
    expect(renormalize(scrubbed, { scrubEmails: true })).toEqual(scrubbed);
  });

  it('makes timestamps relative to the first recorded request, in bodies, URLs and request parameters', () => {
    const t0 = 1700000000;
    const c = normalize({
      name: 'x/t',
      provenance: PROV,
      interactions: [
        {
          request: {
            method: 'POST',
            path: '/v1/subscriptions/sub_1Ab2Cd3',
            params: { pause_collection: { resumes_at: String(t0 + 86400) }, created: { gte: String(t0 - 60) }, quantity: '1700000000' },
            headers: {},
          },
          response: {
            status: 200,
            headers: {},
            body: {
              created: t0 + 2,
              plan: { created: t0 - 1000 },
              current_period_end: t0 + 2592000,
              updated: t0 + 5,
              amount: 1700000000,
              log: `https://dashboard.stripe.com/test/logs/req_Ab12?t=${t0 + 1}`,
            },
          },
          recordedAt: t0,
        },
        { request: { method: 'GET', path: '/v1/balance', params: {}, headers: {} }, response: { status: 200, headers: {}, body: {} }, recordedAt: t0 + 7 },
      ],
    });
    expect(c.interactions[0].request.params).toEqual({
      pause_collection: { resumes_at: '{{t+86400}}' },
      created: { gte: '{{t-60}}' },
      quantity: '1700000000',
    });
    expect(c.interactions[0].response.body).toEqual({
      created: '{{t+2}}',
      plan: { created: '{{t-1000}}' },
      current_period_end: '{{t+2592000}}',
      updated: '{{t+5}}',
      amount: 1700000000,
      log: 'https://dashboard.stripe.com/test/logs/{{req_1}}?t={{t+1}}',
    });
    expect(c.interactions.map((i) => i.at)).toEqual([0, 7]);

    // Without recording times, the smallest timestamp mentioned is the base.
    const objects = normalize({ name: 'x/o', provenance: PROV, interactions: [], objects: [{ object: 'plan', created: t0 + 10, trial_end: t0 }] });
    expect(objects.objects).toEqual([{ object: 'plan', created: '{{t+10}}', trial_end: '{{t+0}}' }]);
  });

  it('normalizing twice changes nothing', () => {
    const c = normalize(importVcr(VCR, 'x/vcr', PROV), { scrubEmails: true });
    expect(renormalize(c, { scrubEmails: true })).toEqual(c);
  });
});

describe('importPath', () => {
  const fixtures = (dir: string) => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'create_customer.yml'), VCR);
    fs.writeFileSync(path.join(dir, 'event_charge.json'), JSON.stringify({ id: 'evt_1Ab2', object: 'event', type: 'charge.succeeded', created: 1600000000, data: { object: {} } }));
    fs.writeFileSync(
      path.join(dir, 'sub', 'recording.har'),
      JSON.stringify({ log: { entries: [{ startedDateTime: '2024-01-01T00:00:00Z', request: { method: 'GET', url: 'https://api.stripe.com/v1/balance' }, response: { status: 200, content: { text: '{}' } } }] } }),
    );
    fs.writeFileSync(
      path.join(dir, 'sub', 'nock.json'),
      JSON.stringify([{ scope: 'https://api.stripe.com:443', method: 'GET', path: '/v1/balance', status: 200, response: { object: 'balance' } }]),
    );
    fs.writeFileSync(path.join(dir, 'README.md'), '# not a recording');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x' }));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"id": ');
    fs.writeFileSync(path.join(dir, 'config.yml'), 'foo: bar\n');
    fs.writeFileSync(path.join(dir, 'other_host.yml'), 'http_interactions:\n- request: {method: get, uri: "https://example.com/"}\n  response: {status: {code: 200}}\n');
  };

  it('reads a folder recursively, detects each format, names captures <prefix>/<path under the folder>, warns and goes on past the rest', () => {
    const src = path.join(tmpdir(), 'mixed');
    const out = tmpdir();
    fixtures(src);
    const warnings: string[] = [];
    const progress: number[] = [];
    const { folder, files: written } = importPath(src, {
      out,
      provenance: { repository: 'acme/app', path: 'test/fixtures', commit: 'abc123', license: 'MIT' },
      onWarning: (file, reason) => warnings.push(`${path.basename(file)}: ${reason}`),
      onProgress: (done, total) => progress.push(done / total),
    });
    // No name given: the source folder's.
    expect(folder).toBe(path.join(out, 'mixed'));
    expect(written.map((f) => path.relative(out, f)).sort()).toEqual(
      ['mixed/create_customer.yaml', 'mixed/event_charge.yaml', 'mixed/sub/nock.yaml', 'mixed/sub/recording.yaml'].map((p) => p.split('/').join(path.sep)),
    );
    expect(warnings.map((w) => w.split(':')[0]).sort()).toEqual(['README.md', 'broken.json', 'config.yml', 'other_host.yml', 'package.json']);
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress).toHaveLength(9);

    const caps = listCaptures(out);
    const vcr = readCapture(caps.get('mixed/create_customer')!);
    expect(vcr.provenance).toEqual({
      source: 'acme/app: test/fixtures/create_customer.yml',
      repository: 'acme/app',
      path: 'test/fixtures/create_customer.yml',
      commit: 'abc123',
      license: 'MIT',
      format: 'vcr',
      api_versions: ['2020-08-27'],
      recorded: '2020-09-01',
    });
    expect(readCapture(caps.get('mixed/sub/recording')!).provenance).toMatchObject({ format: 'har', path: 'test/fixtures/sub/recording.har' });
    expect(readCapture(caps.get('mixed/sub/nock')!).provenance.format).toBe('nock');
    expect(readCapture(caps.get('mixed/event_charge')!)).toMatchObject({ events: ['charge.succeeded'], provenance: { format: 'json' } });
  });

  it('takes a single file, and a name prefix; scrubs emails only when asked', () => {
    const src = path.join(tmpdir(), 'one');
    fixtures(src);
    const out = tmpdir();
    const one = importPath(path.join(src, 'create_customer.yml'), { out, name: 'cassettes', provenance: {}, scrubEmails: true });
    expect(one.folder).toBe(path.join(out, 'cassettes'));
    const [file] = one.files;
    expect(path.relative(out, file)).toBe(path.join('cassettes', 'create_customer.yaml'));
    const c = readCapture(file);
    expect(c.interactions[0].request.params.email).toBe('{{email_1}}');
    expect(c.provenance.source).toBe('imported from create_customer.yml');
    const [kept] = importPath(path.join(src, 'create_customer.yml'), { out, name: 'kept', provenance: {} }).files;
    expect(readCapture(kept).interactions[0].request.params.email).toBe('jenny@example.com');
    // A single file without a name: its folder's.
    expect(importPath(path.join(src, 'create_customer.yml'), { out, provenance: {} })).toEqual({ folder: path.join(out, 'one'), files: [path.join(out, 'one', 'create_customer.yaml')] });
    expect(() => importPath(path.join(src, 'nothing.yml'), { out, provenance: {} })).toThrow(`${path.join(src, 'nothing.yml')} does not exist`);
  });

  it('names every capture by its path under the folder, so files sharing a base name stay apart', () => {
    const src = tmpdir();
    for (const d of ['a', 'b']) {
      fs.mkdirSync(path.join(src, d));
      fs.writeFileSync(path.join(src, d, 'customer.json'), JSON.stringify({ id: `cus_${d}1B2`, object: 'customer' }));
    }
    fs.writeFileSync(path.join(src, 'plan.json'), JSON.stringify({ id: 'gold', object: 'plan' }));
    const out = tmpdir();
    const names = importPath(src, { out, name: 'p', provenance: {} }).files.map((f) => path.relative(out, f).split(path.sep).join('/'));
    expect(names.sort()).toEqual(['p/a/customer.yaml', 'p/b/customer.yaml', 'p/plan.yaml']);
  });
});

describe('stripe-twin import', () => {
  let writes: string[];
  let errors: string[];
  beforeEach(() => {
    writes = [];
    errors = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => (writes.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => (errors.push(String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  const folder = (n: number) => {
    const src = tmpdir();
    for (let i = 0; i < n; i++) {
      fs.writeFileSync(path.join(src, `obj_${String(i).padStart(2, '0')}.json`), JSON.stringify({ id: `cus_${i}Xy`, object: 'customer', created: 1600000000 + i }));
    }
    return src;
  };

  it('prints a line per 10% on more than 20 files when not on a terminal, then a summary', async () => {
    const src = folder(25);
    fs.writeFileSync(path.join(src, 'notes.txt'), 'hello');
    const out = path.join(tmpdir(), 'captures', 'acme');
    const tty = process.stdout.isTTY;
    (process.stdout as any).isTTY = false;
    try {
      await importCommand.run({ out, repository: 'acme/app', commit: 'c0ffee', license: 'MIT', path: 'fixtures/', apiVersion: '2020-08-27' }, [src]);
    } finally {
      (process.stdout as any).isTTY = tty;
    }
    const lines = writes.join('').trim().split('\n');
    const progress = lines.filter((l) => l.startsWith('importing'));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress.length).toBeLessThanOrEqual(11);
    expect(progress[progress.length - 1]).toMatch(/26\/26 files \(100%\)$/);
    expect(lines[lines.length - 1]).toBe(`imported 25 captures into ${out}/ (0 interactions, 25 objects); skipped 1 file`);
    expect(errors.join('')).toMatch(/warning: skipped .*notes\.txt/);
    const c = readCapture(path.join(out, 'obj_07.yaml'));
    expect(c.name).toBe('acme/obj_07');
    expect(c.provenance).toMatchObject({ repository: 'acme/app', commit: 'c0ffee', license: 'MIT', path: 'fixtures/obj_07.json', api_versions: ['2020-08-27'] });
  });

  it('rewrites one progress line with \\r on a terminal, and prints none for 20 files or fewer', async () => {
    const tty = process.stdout.isTTY;
    (process.stdout as any).isTTY = true;
    try {
      await importCommand.run({ out: path.join(tmpdir(), 'big') }, [folder(21)]);
      const big = writes.join('');
      expect(big.match(/\rimporting/g)).toHaveLength(21);
      expect(big).toMatch(/21\/21 files \(100%\)\n/);
      writes.length = 0;
      const small = path.join(tmpdir(), 'small');
      await importCommand.run({ out: `${small}/` }, [folder(20)]);
      expect(writes.join('')).not.toMatch(/importing/);
      expect(writes.join('')).toBe(`imported 20 captures into ${small}/ (0 interactions, 20 objects)\n`);
      await expect(importCommand.run({}, [path.join(small, 'nothing')])).rejects.toThrow(`import: ${path.join(small, 'nothing')} does not exist`);
    } finally {
      (process.stdout as any).isTTY = tty;
    }
  });
});

describe('the committed captures', () => {
  const root = path.join(__dirname, '..', '..', 'captures');
  const files = [...listCaptures(root)];
  const read = new Map<string, Capture>(files.map(([name, file]) => [name, readCapture(file)]));

  it('hold the three imported sources', () => {
    const count = (prefix: string) => files.filter(([name]) => name.startsWith(`${prefix}/`)).length;
    expect(count('pay')).toBe(116);
    expect(count('dj-stripe')).toBe(62);
    expect(count('stripe-sync-engine')).toBe(71);
    expect([...read.values()].reduce((n, c) => n + c.interactions.length, 0)).toBeGreaterThanOrEqual(583);
  });

  it('are already normalized: renormalizing each changes nothing', () => {
    const changed = [...read].filter(([, c]) => JSON.stringify(renormalize(c)) !== JSON.stringify(c)).map(([name]) => name);
    expect(changed).toEqual([]);
  });

  it('hold no secret: no API key, webhook secret or client secret survives', () => {
    const leaks = files.flatMap(([name, file]) => secretsIn(fs.readFileSync(file, 'utf8')).map((what) => `${name}: ${what}`));
    expect(leaks).toEqual([]);
  });

  it('name their provenance', () => {
    for (const [name, c] of read) {
      expect(c.name).toBe(name);
      expect(c.provenance).toMatchObject({ repository: expect.any(String), commit: expect.stringMatching(/^[0-9a-f]{40}$/), license: expect.any(String) });
    }
  });
});
