import { Final, LoggedRequest, parseChecks, score } from '../../src/scenarios/checks';
import { parseScenario } from '../../src/scenarios/parse';
import { planSeed } from '../../src/scenarios/seed';

// The check language of ## Success Criteria (src/scenarios/checks.ts), the Markdown
// form (parse.ts) and brief 000's seed shape (docs/agents.md §8) onto the twin's seed and faults (seed.ts).

const req = (method: string, path: string, status: number | null, extra: Partial<LoggedRequest> = {}): LoggedRequest => ({
  id: `req_${path}`, method, path, status, idempotency_key: null, replayed: false, fault: null, ...extra,
});

const objects: Record<string, Record<string, any>[]> = {
  refund: [
    { id: 're_1', object: 'refund', charge: 'ch_a', amount: 500, status: 'succeeded' },
    { id: 're_2', object: 'refund', charge: 'ch_a', amount: 700, status: 'pending' },
  ],
  event: [
    { id: 'evt_1', type: 'payment_intent.created', data: { object: { id: 'pi_1' } } },
    { id: 'evt_2', type: 'charge.succeeded', data: { object: { id: 'ch_a', payment_intent: 'pi_1' } } },
    { id: 'evt_3', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } },
  ],
};
const final: Final = {
  objects: (type) => objects[type] ?? [],
  get: (id) => Object.values(objects).flat().find((o) => o.id === id),
  requests: [req('POST', '/v1/refunds', null, { fault: { id: 'fault_1' } }), req('POST', '/v1/refunds', 200, { replayed: true }), req('GET', '/v1/charges/ch_a', 200), req('POST', '/v1/refunds', 400)],
  paywall: [],
  output: 'refunded re_1',
};

const run = (yaml: unknown[]) => score(parseChecks(yaml), final).map(({ pass, reason }) => [pass, reason]);

test('objects: counts, where and fields, with operators and dotted paths', () => {
  expect(run([
    { objects: 'refund', where: { charge: 'ch_a' }, count: 1 },
    { objects: 'refund', where: { amount: { gte: 600 } }, count: 1, fields: { status: 'pending' } },
    { objects: 'refund', fields: { status: { in: ['succeeded', 'pending'] }, id: { matches: '^re_' } } },
    { objects: 'refund', count: { max: 1 } },
    { object: 're_1', fields: { amount: { not: 500 } } },
    { object: 're_9', fields: { amount: 1 } },
    { objects: 'event', where: { 'data.object.payment_intent': 'pi_1' }, count: 1 },
  ])).toEqual([
    [false, '2 refund where {"charge":"ch_a"}: re_1, re_2 (expected exactly 1)'],
    [true, '1 refund where {"amount":{"gte":600}}: re_2'],
    [true, '2 refund: re_1, re_2'],
    [false, '2 refund: re_1, re_2 (expected at most 1)'],
    [false, 're_1.amount is 500, expected not 500'],
    [false, 're_9 does not exist'],
    [true, '1 event where {"data.object.payment_intent":"pi_1"}: evt_2'],
  ]);
});

test('events in order, requests with after and in order, output', () => {
  expect(run([
    { events_in_order: ['payment_intent.created', { type: 'charge.succeeded', where: { 'data.object.id': 'ch_a' } }, 'payment_intent.succeeded'] },
    { events_in_order: ['payment_intent.succeeded', 'charge.succeeded'] },
    { events_in_order: ['charge.refunded'] },
    { requests: { method: 'POST', path: '/v1/refunds', status: 'dropped' }, count: 1 },
    { requests: { method: 'POST', path: '/v1/refunds', replayed: false }, after: { status: 'dropped' }, count: 0 },
    { requests: { path: '/v1/charges/*', status: '2xx' } },
    { requests_in_order: [{ faulted: true }, { replayed: true }, { status: 400 }] },
    { requests_in_order: [{ status: 400 }, { method: 'GET' }] },
    { output: 're_\\d' },
  ])).toEqual([
    [true, 'payment_intent.created (evt_1) → charge.succeeded (evt_2) → payment_intent.succeeded (evt_3)'],
    [false, 'charge.succeeded happened, but not after payment_intent.succeeded (evt_3)'],
    [false, 'charge.refunded never happened'],
    [true, '1 request(s) method=POST path=/v1/refunds status=dropped'],
    [false, '1 request(s) method=POST path=/v1/refunds replayed=false after POST /v1/refunds → dropped (fault): POST /v1/refunds → 400 (expected exactly 0)'],
    [true, '1 request(s) path=/v1/charges/* status=2xx'],
    [true, 'POST /v1/refunds → dropped (fault) → POST /v1/refunds → 200 (replayed) → POST /v1/refunds → 400'],
    [false, 'no request method=GET after POST /v1/refunds → 400'],
    [true, "the agent's output matches /re_\\d/"],
  ]);
});

test('criteria that cannot be scored are refused before anything runs', () => {
  const refused = (yaml: unknown) => {
    try {
      parseChecks(yaml);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  expect(refused([])).toMatch(/non-empty list/);
  expect(refused([{ name: 'x' }])).toMatch(/needs exactly one of objects, object/);
  expect(refused([{ objects: 'refund', after: {} }])).toMatch(/"after" does not go with objects/);
  expect(refused([{ requests: { verb: 'GET' } }])).toMatch(/"verb" is not a request filter/);
  expect(refused([{ requests: { status: 'teapot' } }])).toMatch(/status is a status \(402\)/);
  expect(refused([{ objects: 'refund', fields: { amount: { in: 3 } } }])).toMatch(/\{in\} takes a list/);
  expect(refused([{ output: '(' }])).toMatch(/is not a regular expression/);
  expect(refused([{ name: 'a', output: 'x' }, { name: 'a', output: 'y' }])).toMatch(/two checks are named "a"/);
});

test('a Markdown scenario: title, sections in fences or bare, the prompt as written', () => {
  const s = parseScenario(
    ['# Title here', '', 'Some words.', '', '## Config', '', '```yaml', 'timeout: 2m', 'tools: skill', 'setup:', '  - POST /__admin__/clock/advance: { duration: 1d }', '```',
      '## Seed State', '{"api_keys": [{"key": "sk_test_a", "sid": "s1"}]}', '## Prompt', '', 'Do it.', '', '```', '## not a heading', '```', '',
      '## Success Criteria', '- output: done'].join('\n'),
    '/x/99-name.md',
  );
  expect(s).toMatchObject({
    name: '99-name',
    title: 'Title here',
    config: { twins: ['stripe'], timeout: 120, tools: 'skill', setup: [{ method: 'POST', path: '/__admin__/clock/advance', body: { duration: '1d' } }] },
    seed: { api_keys: [{ key: 'sk_test_a', sid: 's1' }] },
    prompt: 'Do it.\n\n```\n## not a heading\n```',
  });
  expect(s.criteria).toHaveLength(1);
});

test("brief 000's seed shape: keys grouped by account, objects as Stripe writes them, failure injection by route", () => {
  const plan = planSeed({
    api_keys: [
      { key: 'sk_test_pome_default', sid: 'default', account_id: 'acct_default' },
      { key: 'rk_test_agent', sid: 'agent', account_id: 'acct_default', permissions: ['rak_refund_write'] },
      { key: 'sk_test_other', account_id: 'acct_other' },
    ],
    payment_intents: [{ id: 'pi_x', object: 'payment_intent', amount: 100, currency: 'usd', status: 'succeeded', payment_method_types: ['crypto'], created: 1 }],
    charges: [{ id: 'ch_x', object: 'charge', amount: 300, currency: 'usd', status: 'succeeded', amount_refunded: 100, payment_intent: 'pi_other' }],
    failure_injection: [{ route: 'POST /v1/refunds', type: 'lost_response', times: 1 }, { resource: 'charges', operation: 'retrieve', fault: { status: 429 } }],
  });
  expect(Object.fromEntries(plan.accounts)).toEqual({ acct_default: 'sk_test_pome_default', acct_other: 'sk_test_other' });
  expect(plan.seed.body).toEqual({
    worlds: {
      sk_test_pome_default: {
        payment_intents: [{ id: 'pi_x', amount: 100, currency: 'usd', payment_method_types: ['crypto'], payment_method_data: { type: 'crypto' }, payment_method_options: { crypto: { mode: 'deposit' } }, confirm: true }],
        charges: [{ payment_method: 'pm_card_visa', id: 'ch_x', amount: 300, currency: 'usd' }],
        refunds: [{ charge: 'ch_x', amount: 100 }],
        keys: [{ key: 'rk_test_agent', permissions: ['rak_refund_write'] }],
      },
      sk_test_other: {},
    },
  });
  expect(plan.api).toEqual([{ key: 'sk_test_pome_default', method: 'POST', path: '/v1/test_helpers/payment_intents/pi_x/simulate_crypto_deposit', params: {} }]);
  expect(plan.faults.map((f) => f.body)).toEqual([
    { key: 'sk_test_pome_default', resource: 'refunds', operation: 'create', fault: { type: 'lost_response' }, times: 1 },
    { key: 'sk_test_pome_default', resource: 'charges', operation: 'retrieve', fault: { status: 429 } },
  ]);
  expect(() => planSeed({ failure_injection: [{ route: 'POST /v1/nothing', type: 'timeout' }] })).toThrow(/POST \/v1\/nothing is not a route of the twin/);
  expect(() => planSeed({ payment_intents: [{ amount: 1, currency: 'usd', status: 'processing' }] })).toThrow(/status "processing" cannot be seeded/);
});
