import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import Stripe from 'stripe';
import { listCaptures, readCapture } from '../../src/contract/capture';
import { useHarness } from '../helpers';
import {
  CHECKOUT_REQUESTS, expectRecordedRefunds, gate, payRefunds, recordedCheckout, REFUNDS_CAPTURE, refundsCapture, requestsOf, stripeTwin, tmpDir,
} from '../recorder_helpers';

// nock 14 the way a suite uses it (docs/recording.md): a capture exported as a
// nock fixture serves the official SDK through nock.define() and through
// nock-back in lockdown; what nock's recorder and nock-back's record mode make
// of the SDK against the twin imports and passes the gate, and a tampered
// recording fails it.

const back = nock.back;

afterEach(() => {
  back.setMode('dryrun');
  nock.cleanAll();
  nock.enableNetConnect();
});
afterAll(() => nock.restore()); // nock activates on import; leave node's http as it was

/** The SDK as an app makes it: api.stripe.com, nothing pointed anywhere. */
const appStripe = () => new Stripe('sk_test_replayed', { apiVersion: '2025-10-29.clover' as Stripe.LatestApiVersion, maxNetworkRetries: 0 });

describe('nock: stripe-twin export → nock.define() and nock-back → the official SDK', () => {
  let fixtures: string;
  beforeAll(async () => {
    fixtures = tmpDir('nock-fixtures');
    const exported = await stripeTwin(['export', REFUNDS_CAPTURE, '--to', 'nock', '--out', path.join(fixtures, 'refunds.json')]);
    expect(exported.code).toBe(0);
  });

  it('nock.define() serves pay\'s recorded PaymentIntent and refunds, and nothing it did not record', async () => {
    nock.disableNetConnect();
    const scopes = nock.define(nock.loadDefs(path.join(fixtures, 'refunds.json')));
    expectRecordedRefunds(await payRefunds(appStripe()), refundsCapture());
    expect(scopes.every((s) => s.isDone())).toBe(true);
    // Nothing else would be served: no interceptor is left. (Sending an unrecorded request instead is
    // racy: nock can emit its no-match error on the socket before Node's request listens there.)
    expect(nock.activeMocks()).toEqual([]);
  });

  it('nock-back in lockdown serves the fixture and every recorded call is made', async () => {
    back.fixtures = fixtures;
    back.setMode('lockdown');
    const { nockDone, context } = await back('refunds.json');
    try {
      expectRecordedRefunds(await payRefunds(appStripe()), refundsCapture());
      context.assertScopesFinished();
    } finally {
      nockDone();
    }
  });
});

describe('nock: the SDK against the twin, recorded → stripe-twin import → verify', () => {
  const t = useHarness('http');
  const twinStripe = () => new Stripe(t.key, { host: '127.0.0.1', port: t.port, protocol: 'http', maxNetworkRetries: 0 });

  /** Imports `recordings` (recorded against the twin) into a fresh captures folder and runs the gate over it. */
  async function importAndVerify(recordings: string, group: string) {
    const captures = path.join(tmpDir(`${group}-captures`), 'captures');
    const imported = await stripeTwin(['import', recordings, '--out', path.join(captures, group), '--base-url', t.h.url]);
    expect(imported.code).toBe(0);
    const [[, file]] = [...listCaptures(captures)];
    return { capture: readCapture(file), verified: await gate(captures, group) };
  }

  /** The recorded refund's amount, 700, changed to 900: the twin would not have answered that. */
  function tamper(file: string) {
    const defs = JSON.parse(fs.readFileSync(file, 'utf8'));
    const refund = defs.find((d: nock.Definition) => d.path === '/v1/refunds');
    expect(refund.response.amount).toBe(700);
    refund.response.amount = 900;
    fs.writeFileSync(file, JSON.stringify(defs));
  }

  it("nock's recorder: the import passes the gate; a tampered recording fails it", async () => {
    nock.recorder.rec({ output_objects: true, dont_print: true });
    let defs: nock.Definition[];
    try {
      const run = await recordedCheckout(twinStripe());
      expect(run.declined).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    } finally {
      defs = nock.recorder.play() as nock.Definition[];
      nock.restore(); // ends the recording (and nock's interception)
      nock.recorder.clear();
      nock.activate();
    }
    expect(defs.map((d) => d.scope)).toEqual(Array(5).fill(t.h.url));
    const recordings = tmpDir('nock-recorder');
    const file = path.join(recordings, 'checkout.json');
    fs.writeFileSync(file, JSON.stringify(defs, null, 2));

    const { capture, verified } = await importAndVerify(recordings, 'nock');
    expect(capture.provenance.format).toBe('nock');
    expect(requestsOf(capture)).toEqual(CHECKOUT_REQUESTS);
    expect(verified.out).toMatch(/compared 5 of the 5 recorded interactions/);
    expect(verified.code).toBe(0);

    tamper(file);
    const failed = (await importAndVerify(recordings, 'nock')).verified;
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/POST \/v1\/refunds: state refund amount \(recorded 900, twin 700\)/);
  });

  it('nock-back in record mode: its fixture imports and passes the gate; tampered, it fails', async () => {
    const recordings = tmpDir('nock-back');
    back.fixtures = recordings;
    back.setMode('record');
    const { nockDone } = await back('checkout.json');
    try {
      await recordedCheckout(twinStripe());
    } finally {
      nockDone(); // writes the fixture
    }
    const file = path.join(recordings, 'checkout.json');
    const { capture, verified } = await importAndVerify(recordings, 'nockback');
    expect(requestsOf(capture)).toEqual(CHECKOUT_REQUESTS);
    expect(verified.code).toBe(0);

    tamper(file);
    expect((await importAndVerify(recordings, 'nockback')).verified.code).toBe(1);
  });
});
