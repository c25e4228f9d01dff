import { Capture } from '../../src/contract/capture';
import { diffCapture } from '../../src/contract/diff';
import { loadScenario, record } from '../../src/transport/record';
import { SHAPE_SCHEMAS_DIR, ShapeValidator, schemaDirLoader } from '../../src/contract/shapes';
import { DEFAULT_START_TIME } from '../../src/engine/twin';
import { freshKey, useHarness } from '../helpers';

// The diff engine must find drift: a clean recording, then the same recording
// altered the ways real Stripe could differ from the twin.

describe('diff engine', () => {
  const t = useHarness('http');
  let clean: Capture;
  beforeAll(async () => {
    clean = await record(loadScenario(`${__dirname}/../../scenarios/payments.yaml`), { key: freshKey('diff'), baseUrl: t.h.url });
  });
  const altered = (change: (c: Capture) => void): Capture => {
    const copy = JSON.parse(JSON.stringify(clean)) as Capture;
    change(copy);
    return copy;
  };
  const kinds = async (c: Capture) => (await diffCapture(c)).findings.map((f) => `${f.kind} ${f.object ?? ''} ${f.field ?? ''}`.trim());

  it('finds nothing in a clean recording', async () => {
    expect(await kinds(clean)).toEqual([]);
  });

  it('reports missing and extra keys, types, null-vs-value and enum-free value changes separately', async () => {
    const c = altered((c) => {
      const customer = c.interactions[0].response.body as any;
      customer.loyalty_tier = 'gold'; // Stripe had a key the twin lacks
      delete customer.preferred_locales; // the twin has a key Stripe lacked
      customer.balance = '0'; // a type change
      customer.description = 'set'; // null vs value
      customer.email = 'other@example.com'; // a value change only
    });
    const result = await diffCapture(c);
    expect(result.findings.map((f) => `${f.kind} ${f.field}`).sort()).toEqual(
      ['extra-key preferred_locales', 'missing-key loyalty_tier', 'null-vs-value description', 'type balance'].sort(),
    );
    expect(result.interactions[0].verdict).toBe('drifted');
    expect(result.interactions[0].valueDiffs.map((d) => d.field)).toContain('email');
  });

  it('compares state by value: a twin answering another status than Stripe drifts, though the shape agrees', async () => {
    const c = altered((c) => {
      const pi = c.interactions.find((i) => (i.response.body as any)?.object === 'payment_intent' && (i.response.body as any).status === 'succeeded')!;
      (pi.response.body as any).status = 'processing';
    });
    const result = await diffCapture(c);
    expect(result.findings.map((f) => `${f.kind} ${f.object} ${f.field} ${f.expected} ${f.actual}`)).toEqual(['state payment_intent status processing succeeded']);
    expect(result.interactions.filter((i) => i.verdict === 'drifted')).toHaveLength(1);
  });

  it('seeds the objects a capture names but did not make, as its responses show them, instead of skipping as needs state', async () => {
    // The recording began after the customer existed: its first request updates it.
    const customer = (clean.interactions[0].response.body as any).id as string;
    const c = altered((c) => {
      c.interactions[0].request.path = `/v1/customers/${customer}`;
      c.interactions[0].request.params = { metadata: { plan: 'pro' } };
    });
    const result = await diffCapture(c);
    expect(result.interactions.map((i) => i.verdict)).not.toContain('needs-state');
    expect(result.findings).toEqual([]);
    // Seeded under the recorded id, with the fields the recording showed (the update sent none of them).
    expect(result.interactions[0].twin).toMatchObject({ id: c.ids[customer], email: 'jane@example.com', name: 'Jane Doe', metadata: { plan: 'pro' } });
    expect(result.interactions[1].twin).toMatchObject({ object: 'payment_method', customer: c.ids[customer] });
  });

  it('reports status changes, error envelope differences and header differences', async () => {
    const c = altered((c) => {
      const declined = c.interactions[4].response;
      (declined.body as any).error.decline_code = 'insufficient_funds';
      (declined.body as any).error.message = 'Your card has insufficient funds.';
      delete declined.headers['Stripe-Should-Retry'];
      c.interactions[3].response.status = 201;
    });
    expect((await kinds(c)).sort()).toEqual(['error-field error error.decline_code', 'error-field error error.message', 'header  Stripe-Should-Retry', 'status'].sort());
  });

  it('reports a reference to the wrong object, and events that differ', async () => {
    const c = altered((c) => {
      // The refund names another PaymentIntent than the one the sequence created.
      (c.interactions[3].response.body as any).payment_intent = '{{pi_9}}';
      (c.interactions[5].response.body as any).id = '{{pi_9}}';
      c.events = [...(c.events ?? []).filter((e) => e !== 'refund.created'), 'charge.dispute.created'];
    });
    const found = await kinds(c);
    expect(found).toContain('reference refund payment_intent');
    expect(found).toContain('events');
  });

  it('sends a {{t±N}} request parameter as a timestamp of the twin\'s world time', async () => {
    const list = (gte: string) =>
      altered((c) => {
        c.interactions[6].request.params = { created: { gte } };
      });
    // The customer of the sequence was created at {{t+0}}: a filter from a minute before finds it.
    const found = await diffCapture(list('{{t-60}}'));
    expect((found.interactions[6].twin as any).data.length).toBeGreaterThan(0);
    const none = await diffCapture(list('{{t+60}}'));
    expect((none.interactions[6].twin as any).data).toEqual([]);
  });

  it('starts the twin at midnight UTC of the recording day, or at its default start', async () => {
    expect(clean.provenance.recorded).toMatch(/^\d{4}-\d\d-\d\d$/);
    const created = async (recorded: string | undefined) => {
      const result = await diffCapture(altered((c) => (c.provenance.recorded = recorded)));
      expect(result.findings).toEqual([]);
      return (result.interactions[0].twin as any).created;
    };
    expect(await created('2025-04-17')).toBe(Date.UTC(2025, 3, 17) / 1000);
    expect(await created(undefined)).toBe(DEFAULT_START_TIME);
    expect(await created('not a date')).toBe(DEFAULT_START_TIME);
  });

  it('compares requests with scrubbed emails, sending the twin a real address for {{email_N}}', async () => {
    const scrubbed = await record(loadScenario(`${__dirname}/../../scenarios/payments.yaml`), { key: freshKey('diffemail'), baseUrl: t.h.url, scrubEmails: true });
    expect(scrubbed.interactions[0].request).toMatchObject({ method: 'POST', path: '/v1/customers', params: { email: '{{email_1}}' } });
    expect((scrubbed.interactions[0].response.body as any).email).toBe('{{email_1}}');
    const result = await diffCapture(scrubbed);
    // Compared, not needs-state: every interaction, the customer's creation first, is exact.
    expect(result.interactions.map((i) => i.verdict)).toEqual(scrubbed.interactions.map(() => 'exact'));
    expect((result.interactions[0].twin as any).email).toBe('replay1@example.com');
    expect(result.interactions[0].valueDiffs.map((d) => d.field)).not.toContain('email');
    expect(result.findings).toEqual([]);
    // The twin must give back the address it was sent for that token, not just any string.
    const other = JSON.parse(JSON.stringify(scrubbed)) as Capture;
    (other.interactions[0].response.body as any).email = '{{email_2}}';
    const swapped = await diffCapture(other);
    expect(swapped.interactions[0].valueDiffs).toContainEqual({ field: 'email', expected: '{{email_2}}', actual: 'replay1@example.com' });
  });

  it('reports twin values outside the schema\'s enum, which no single recording shows', async () => {
    // The committed schemas, except that a PaymentIntent's status may no longer be "succeeded".
    const files = schemaDirLoader(SHAPE_SCHEMAS_DIR);
    const load = (name: string) => {
      const doc = files(name)!;
      if (name === 'payment_intent') {
        const status = doc.properties.status;
        status.enum = status.enum.filter((v: unknown) => v !== 'succeeded');
        delete status['x-seen-enum'];
      }
      return doc;
    };
    const narrowed = new ShapeValidator({ load });
    const result = await diffCapture(clean, { shapes: (body) => narrowed.validate(body) });
    // The confirmed PaymentIntent and its reread; the decline is an error envelope.
    expect(result.findings.map((f) => `${f.interaction} ${f.kind} ${f.object} ${f.field} ${f.actual}`)).toEqual([
      '2 enum payment_intent status succeeded',
      '5 enum payment_intent status succeeded',
    ]);
    expect((await diffCapture(clean)).findings).toEqual([]);
  });

  it('does not run versions it cannot shape, and reports unsupported routes and what depends on them', async () => {
    const old = altered((c) => c.interactions.forEach((i) => (i.request.stripe_version = '2019-12-03'))); // older than the floor, 2020-08-27
    const r = await diffCapture(old);
    expect(r.outcome).toBe('cannot-shape');
    expect(r.interactions.every((i) => i.verdict === 'cannot-shape')).toBe(true);
    const unmodeled = altered((c) => {
      c.interactions[0].request.path = '/v1/climate/orders';
    });
    const u = await diffCapture(unmodeled);
    // Everything that uses the customer the unsupported call made is unsupported too; the decline runs.
    expect(u.interactions.map((i) => i.verdict)).toEqual(['unsupported', 'unsupported', 'unsupported', 'unsupported', expect.stringMatching(/exact|shape-equal/), 'unsupported', 'unsupported']);
  });
});
