import { diffCapture } from '../../src/contract/diff';
import { loadScenario, record, resolveReferences } from '../../src/transport/record';
import { freshKey, useHarness } from '../helpers';

// The recorder's round trip: record a scenario against a twin over HTTP through
// the official SDK, then verify the recording against a fresh twin — it must be clean.

describe('stripe-twin record', () => {
  const t = useHarness('http');

  it('records a scenario with its events, and verifying the recording is clean', async () => {
    const scenario = loadScenario(`${__dirname}/../../scenarios/payments.yaml`);
    const capture = await record(scenario, { key: freshKey('rec'), baseUrl: t.h.url });
    expect(capture.interactions.map((i) => `${i.request.method} ${i.request.path} ${i.response.status}`)).toEqual([
      'POST /v1/customers 200',
      'POST /v1/payment_methods/pm_card_visa/attach 200',
      'POST /v1/payment_intents 200',
      'POST /v1/refunds 200',
      'POST /v1/payment_intents 402',
      'GET /v1/payment_intents/{{pi_1}} 200',
      'GET /v1/charges 200',
    ]);
    expect(capture.interactions[1].request.params).toEqual({ customer: '{{cus_1}}' });
    expect(capture.events).toEqual(
      expect.arrayContaining(['customer.created', 'payment_method.attached', 'payment_intent.succeeded', 'charge.refunded', 'refund.created', 'charge.failed']),
    );
    expect(JSON.stringify(capture)).not.toMatch(/sk_test_rec|_secret_[A-Za-z0-9]{10}/);

    const result = await diffCapture(capture);
    expect(result.outcome).toBe('ran');
    expect(result.findings).toEqual([]);
    expect(result.interactions.map((i) => i.verdict).every((v) => v === 'exact' || v === 'shape-equal')).toBe(true);
  });

  it('refuses live keys', async () => {
    await expect(record({ name: 'x', steps: [{ path: '/v1/customers' }] }, { key: 'sk_live_123', baseUrl: t.h.url })).rejects.toThrow(/refuses live-mode keys/);
  });

  it('resolves ${step:json.path} references, whole values keeping their type', () => {
    const responses = new Map<string, unknown>([['pay', { id: 'pi_1', amount: 500, charges: { data: [{ id: 'ch_1' }] } }]]);
    expect(resolveReferences({ a: '${pay:amount}', b: 'x-${pay:id}', c: ['${pay:charges.data.0.id}'] }, responses)).toEqual({ a: 500, b: 'x-pi_1', c: ['ch_1'] });
    expect(() => resolveReferences('${nope:id}', responses)).toThrow(/unknown step/);
  });
});
