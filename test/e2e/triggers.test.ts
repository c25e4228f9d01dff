import Stripe from 'stripe';
import { expectSameRuns, freshKey, MODES, stripeError, useHarness } from '../helpers';
import { errorBody, maskCard, pair, worldOf } from './trigger_world';

// Force a branch: every world trigger leaves the same state and events as the
// Stripe test value it stands for (README "Force a branch") — each flow is run once with a
// plain card and the trigger and once with the test card, on the same key and
// seed, and the two worlds must be equal up to the card's last4 and fingerprint.

/** The test card for each decline code (docs/stripe-facts.md §4.3), as a PaymentMethod or (token-only) a token. */
const DECLINE_CARDS: Record<string, { pm?: string; tok?: string }> = {
  generic_decline: { pm: 'pm_card_visa_chargeDeclined' },
  insufficient_funds: { pm: 'pm_card_visa_chargeDeclinedInsufficientFunds' },
  lost_card: { pm: 'pm_card_visa_chargeDeclinedLostCard' },
  stolen_card: { pm: 'pm_card_visa_chargeDeclinedStolenCard' },
  expired_card: { pm: 'pm_card_chargeDeclinedExpiredCard' },
  incorrect_cvc: { pm: 'pm_card_chargeDeclinedIncorrectCvc' },
  processing_error: { pm: 'pm_card_chargeDeclinedProcessingError' },
  card_velocity_exceeded: { pm: 'pm_card_visa_chargeDeclinedVelocityLimitExceeded' },
  fraudulent: { tok: 'tok_visa_chargeDeclinedFraudulent' },
};

describe.each(MODES)('world triggers (%s)', (mode) => {
  const t = useHarness(mode);
  const trigger = (key: string, body: Record<string, unknown>) => t.h.admin('POST', '/__admin__/world/trigger', body, key);
  const ok = async (key: string, body: Record<string, unknown>) => {
    const res = await trigger(key, body);
    expect(res).toMatchObject({ status: 200 });
    return res.json;
  };
  const next = (key: string, options?: { limit?: number }) => t.h.control(key).world.next(options);
  const card = { allowed_payment_method_types: ['card'] };

  describe('payment.declined ≡ the decline cards', () => {
    it.each(Object.entries(DECLINE_CARDS))('%s', async (code, testValue) => {
      const key = freshKey('decline');
      const flow = (value: { pm?: string; tok?: string }, forced: boolean) => async (stripe: Stripe) => {
        const pm = value.pm ?? (await stripe.paymentMethods.create({ type: 'card', card: { token: value.tok! } })).id;
        const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...card, payment_method: pm });
        let armed: unknown = null;
        if (forced) armed = await ok(key, { trigger: 'payment.declined', payment_intent: pi.id, decline_code: code });
        const declined = errorBody(await stripeError(stripe.paymentIntents.confirm(pi.id)));
        // The branch is for one confirmation: the next one, with a good card, succeeds.
        const retried = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
        return { armed, declined, retried };
      };
      const [triggered, carded] = await pair(t.h, key, flow(testValue.pm ? { pm: 'pm_card_visa' } : { tok: 'tok_visa' }, true), flow(testValue, false));
      expect(triggered.result.armed).toMatchObject({
        trigger: 'payment.declined',
        armed: { decline_code: code },
        object: { status: 'requires_confirmation' },
        events: [],
      });
      expect(triggered.result.declined).toMatchObject({ statusCode: 402, decline_code: code, charge: expect.stringMatching(/^ch_/) });
      expect(triggered.result.retried.status).toBe('succeeded');
      const left = (run: typeof triggered) => ({ declined: run.result.declined, retried: run.result.retried, world: run.world });
      expect(maskCard(left(triggered))).toEqual(maskCard(left(carded)));
    });

    it('declines after a successful challenge on a 3D Secure card, as …1629 does', async () => {
      const key = freshKey('decline3ds');
      const flow = (pm: string, forced: boolean) => async (stripe: Stripe) => {
        const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', ...card, payment_method: pm });
        const waiting = await stripe.paymentIntents.confirm(pi.id, { return_url: 'https://example.com/back' });
        if (forced) await ok(key, { trigger: 'payment.declined', payment_intent: pi.id, decline_code: 'generic_decline' });
        const done = await ok(key, { trigger: 'authentication.succeeded', payment_intent: pi.id });
        return { waiting, done: done.object, events: done.events };
      };
      const [triggered, carded] = await pair(t.h, key, flow('pm_card_threeDSecure2Required', true), flow('pm_card_threeDSecureRequiredChargeDeclined', false));
      expect(triggered.result.done).toMatchObject({ status: 'requires_payment_method', last_payment_error: { decline_code: 'generic_decline' } });
      expect(triggered.result.events.map((e: any) => e.type)).toEqual(['charge.failed', 'payment_intent.payment_failed']);
      expect(maskCard(triggered)).toEqual(maskCard(carded));
    });
  });

  describe('payment.requires_action ≡ the always-authenticate cards', () => {
    const flow = <R>(key: string, pm: string, forced: boolean, steps: (stripe: Stripe, pi: Stripe.PaymentIntent) => Promise<R>) => async (stripe: Stripe) => {
      const pi = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd', ...card, payment_method: pm });
      if (forced) {
        expect(await ok(key, { trigger: 'payment.requires_action', payment_intent: pi.id })).toMatchObject({ armed: { authentication: 'always' } });
      }
      return steps(stripe, pi);
    };

    it('on session: requires_action with next_action, then the challenge succeeds', async () => {
      const key = freshKey('3ds');
      const steps = async (stripe: Stripe, pi: Stripe.PaymentIntent) => {
        const waiting = await stripe.paymentIntents.confirm(pi.id, { return_url: 'https://example.com/back' });
        const done = await ok(key, { trigger: 'authentication.succeeded', payment_intent: pi.id });
        return { waiting, done: done.object };
      };
      const [triggered, carded] = await pair(t.h, key, flow(key, 'pm_card_visa', true, steps), flow(key, 'pm_card_threeDSecure2Required', false, steps));
      expect(triggered.result.waiting).toMatchObject({ status: 'requires_action', next_action: { type: 'redirect_to_url' } });
      expect(triggered.result.done).toMatchObject({ status: 'succeeded' });
      expect(triggered.world.charges[0].payment_method_details!.card!.three_d_secure).toMatchObject({ result: 'authenticated' });
      expect(maskCard(triggered)).toEqual(maskCard(carded));
    });

    it('off session: declines with authentication_required', async () => {
      const key = freshKey('3dsoff');
      const steps = async (stripe: Stripe, pi: Stripe.PaymentIntent) => errorBody(await stripeError(stripe.paymentIntents.confirm(pi.id, { off_session: true })));
      const [triggered, carded] = await pair(t.h, key, flow(key, 'pm_card_visa', true, steps), flow(key, 'pm_card_threeDSecure2Required', false, steps));
      expect(triggered.result).toMatchObject({ statusCode: 402, code: 'authentication_required', decline_code: 'authentication_required' });
      expect(maskCard(triggered)).toEqual(maskCard(carded));
    });

    it('on a SetupIntent: requires_action, then the challenge fails', async () => {
      const key = freshKey('3dssi');
      const setup = (pm: string, forced: boolean) => async (stripe: Stripe) => {
        const si = await stripe.setupIntents.create({ ...card, payment_method: pm });
        if (forced) await ok(key, { trigger: 'payment.requires_action', setup_intent: si.id });
        const waiting = await stripe.setupIntents.confirm(si.id);
        const failed = await ok(key, { trigger: 'authentication.failed', setup_intent: si.id });
        return { waiting, failed };
      };
      const [triggered, carded] = await pair(t.h, key, setup('pm_card_visa', true), setup('pm_card_threeDSecure2Required', false));
      expect(triggered.result.waiting).toMatchObject({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } });
      expect(triggered.result.failed).toMatchObject({ object: { status: 'requires_payment_method' }, events: [{ type: 'setup_intent.setup_failed' }] });
      expect(maskCard(triggered)).toEqual(maskCard(carded));
    });
  });

  describe('authentication.succeeded / failed', () => {
    it('is what /__admin__/intents/:id/authenticate does (one code path)', async () => {
      const key = freshKey('auth');
      const flow = (viaTrigger: boolean) => async (stripe: Stripe) => {
        const pi = await stripe.paymentIntents.create({ amount: 1200, currency: 'usd', ...card, payment_method: 'pm_card_threeDSecure2Required', confirm: true });
        expect(pi.status).toBe('requires_action');
        expect((await next(key)).triggers.map((x) => x.trigger)).toEqual(['payment.declined', 'authentication.succeeded', 'authentication.failed']);
        if (viaTrigger) {
          const res = await ok(key, { trigger: 'authentication.failed', payment_intent: pi.id });
          expect(res.events.map((e: any) => e.type)).toEqual(['payment_intent.payment_failed']);
          return res.object;
        }
        return (await t.h.admin('POST', `/__admin__/intents/${pi.id}/authenticate`, { outcome: 'fail' }, key)).json;
      };
      const [triggered, legacy] = await pair(t.h, key, flow(true), flow(false));
      expect(triggered.result).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'payment_intent_authentication_failure' } });
      expect(maskCard(triggered, [])).toEqual(maskCard(legacy, []));
    });
  });

  describe('dispute.created ≡ the dispute cards', () => {
    it.each([
      ['pm_card_createDispute', {}],
      ['pm_card_createDisputeProductNotReceived', { reason: 'product_not_received' }],
      ['pm_card_createDisputeInquiry', { inquiry: true }],
    ])('%s', async (testValue, args) => {
      const key = freshKey('dispute');
      const flow = (pm: string, forced: boolean) => async (stripe: Stripe) => {
        const pi = await stripe.paymentIntents.create({ amount: 5000, currency: 'usd', ...card, payment_method: pm, confirm: true });
        if (!forced) return null;
        return ok(key, { trigger: 'dispute.created', charge: pi.latest_charge, ...args });
      };
      const [triggered, carded] = await pair(t.h, key, flow('pm_card_visa', true), flow(testValue, false));
      const inquiry = 'inquiry' in args;
      expect(triggered.result).toMatchObject({
        object: { object: 'dispute', status: inquiry ? 'warning_needs_response' : 'needs_response', reason: (args as any).reason ?? 'fraudulent' },
        events: [{ type: 'charge.updated' }, { type: 'charge.dispute.created' }, ...(inquiry ? [] : [{ type: 'charge.dispute.funds_withdrawn' }])],
      });
      expect(triggered.world.charges[0].disputed).toBe(true);
      expect(maskCard(triggered.world)).toEqual(maskCard(carded.world));
    });
  });

  describe('refund.failed ≡ the failing-refund card', () => {
    it('fails a succeeded refund as …5126 does', async () => {
      const key = freshKey('refund');
      const flow = (pm: string, forced: boolean) => async (stripe: Stripe) => {
        const pi = await stripe.paymentIntents.create({ amount: 4000, currency: 'usd', ...card, payment_method: pm, confirm: true });
        const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 1500 });
        await t.h.admin('POST', '/__admin__/clock/advance', { seconds: 60 }, key);
        return forced ? ok(key, { trigger: 'refund.failed', refund: refund.id }) : null;
      };
      const [triggered, carded] = await pair(t.h, key, flow('pm_card_visa', true), flow('pm_card_refundFail', false));
      expect(triggered.result).toMatchObject({
        object: { status: 'failed', failure_reason: 'expired_or_canceled_card', failure_balance_transaction: expect.stringMatching(/^txn_/) },
        events: [{ type: 'refund.failed' }, { type: 'refund.updated' }, { type: 'charge.refund.updated' }],
      });
      expect(maskCard(triggered.world)).toEqual(maskCard(carded.world));
    });

    it('fails a pending refund for good, with the reason given', async () => {
      const key = freshKey('pending');
      const stripe = t.h.stripe(key);
      const pi = await stripe.paymentIntents.create({ amount: 4000, currency: 'usd', ...card, payment_method: 'pm_card_pendingRefund', confirm: true });
      const refund = await stripe.refunds.create({ payment_intent: pi.id });
      expect(refund.status).toBe('pending');
      expect(await ok(key, { trigger: 'refund.failed', refund: refund.id, failure_reason: 'lost_or_stolen_card' })).toMatchObject({ object: { status: 'failed', failure_reason: 'lost_or_stolen_card' } });
      const events = (await stripe.events.list({ limit: 100 })).data.length;
      await t.h.admin('POST', '/__admin__/clock/advance', { seconds: 120 }, key);
      expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({ status: 'failed' });
      expect((await stripe.events.list({ limit: 100 })).data).toHaveLength(events);
      expect(await stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({ amount_refunded: 0, refunded: false });
      expect((await trigger(key, { trigger: 'refund.failed', refund: refund.id })).status).toBe(409);
    });
  });

  describe('GET /__admin__/world/next', () => {
    it('lists the triggers whose preconditions hold, with their objects, newest first', async () => {
      const key = freshKey('next');
      const stripe = t.h.stripe(key);
      expect(await next(key)).toEqual({ now: expect.any(Number), triggers: [], armed: [] });
      const open = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card });
      const withPm = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card, payment_method: 'pm_card_visa' });
      const si = await stripe.setupIntents.create({ ...card, payment_method: 'pm_card_visa' });
      let now = await next(key);
      expect(now.triggers).toEqual([
        {
          trigger: 'payment.declined',
          objects: [{ payment_intent: withPm.id, status: 'requires_confirmation' }, { payment_intent: open.id, status: 'requires_payment_method' }],
          has_more: false,
        },
        {
          trigger: 'payment.requires_action',
          objects: [
            { payment_intent: withPm.id, status: 'requires_confirmation' },
            { payment_intent: open.id, status: 'requires_payment_method' },
            { setup_intent: si.id, status: 'requires_confirmation' },
          ],
          has_more: false,
        },
      ]);
      // Bounded: the newest N per trigger, and has_more.
      now = await next(key, { limit: 1 });
      expect(now.triggers[0]).toMatchObject({ objects: [{ payment_intent: withPm.id }], has_more: true });
      expect(now.triggers[1]).toMatchObject({ objects: [{ payment_intent: withPm.id }], has_more: true });
      for (const limit of ['0', '101', '1.5', 'ten']) {
        expect(await t.h.admin('GET', `/__admin__/world/next?limit=${limit}`, undefined, key)).toEqual({
          status: 400,
          json: { error: { message: '"limit" must be an integer from 1 to 100', at: 'limit' } },
        });
      }

      await ok(key, { trigger: 'payment.declined', payment_intent: withPm.id, decline_code: 'lost_card' });
      await ok(key, { trigger: 'payment.requires_action', setup_intent: si.id });
      expect((await next(key)).armed).toEqual([
        { trigger: 'payment.declined', payment_intent: withPm.id, decline_code: 'lost_card' },
        { trigger: 'payment.requires_action', setup_intent: si.id },
      ]);
      await stripeError(stripe.paymentIntents.confirm(withPm.id));
      await stripe.setupIntents.confirm(si.id);
      const paid = await stripe.paymentIntents.confirm(open.id, { payment_method: 'pm_card_visa' });
      now = await next(key);
      expect(now.armed).toEqual([]);
      expect(now.triggers.map((x) => [x.trigger, x.objects])).toEqual([
        ['payment.declined', [{ payment_intent: withPm.id, status: 'requires_payment_method' }]],
        ['payment.requires_action', [{ payment_intent: withPm.id, status: 'requires_payment_method' }]],
        ['authentication.succeeded', [{ setup_intent: si.id, status: 'requires_action' }]],
        ['authentication.failed', [{ setup_intent: si.id, status: 'requires_action' }]],
        ['dispute.created', [{ charge: paid.latest_charge, status: 'succeeded' }]],
      ]);
      const refund = await stripe.refunds.create({ payment_intent: paid.id, amount: 100 });
      expect((await next(key)).triggers.find((x) => x.trigger === 'refund.failed')).toEqual({
        trigger: 'refund.failed',
        objects: [{ refund: refund.id, status: 'succeeded' }],
        has_more: false,
      });
      await ok(key, { trigger: 'dispute.created', charge: paid.latest_charge });
      const after = (await next(key)).triggers.map((x) => x.trigger);
      expect(after).not.toContain('dispute.created');
      expect(after).toContain('refund.failed');
    });

    it('sees due work first: a dispute card’s charge is already disputed', async () => {
      const key = freshKey('nextdue');
      const stripe = t.h.stripe(key);
      await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card, payment_method: 'pm_card_createDispute', confirm: true });
      expect((await next(key)).triggers).toEqual([]);
    });

    it('describes every trigger in a catalogue', async () => {
      const res = await t.h.admin('GET', '/__admin__/world/triggers');
      expect(res.json.triggers.map((x: any) => x.trigger)).toEqual([
        'payment.declined', 'payment.requires_action', 'authentication.succeeded', 'authentication.failed', 'dispute.created', 'refund.failed',
      ]);
      expect(res.json.triggers[0].params.decline_code).toMatchObject({ required: false, default: 'generic_decline', values: expect.arrayContaining(['insufficient_funds', 'fraudulent']) });
    });
  });

  describe('bad input', () => {
    it('answers a plain control error and leaves the world as it was', async () => {
      const key = freshKey('bad');
      const stripe = t.h.stripe(key);
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card, payment_method: 'pm_card_visa' });
      const paid = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card, payment_method: 'pm_card_visa', confirm: true });
      const failed = await stripeError(stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card, payment_method: 'pm_card_chargeDeclined', confirm: true }));
      const before = await worldOf(stripe);
      const cases: [Record<string, unknown>, number, string | RegExp][] = [
        [{}, 400, /^Give "trigger": one of payment\.declined, /],
        [{ trigger: 'payment.exploded' }, 400, /^Unknown trigger "payment\.exploded"; use one of /],
        [{ trigger: 'payment.declined', decline_code: 'lost_card' }, 400, 'payment.declined needs "payment_intent" or "subscription": the id of the object it acts on'],
        [{ trigger: 'payment.declined', payment_intent: pi.id, decline_code: 'do_not_honor' }, 400, /^Unknown decline_code "do_not_honor" for payment\.declined; use one of generic_decline, /],
        [{ trigger: 'payment.declined', payment_intent: pi.id, decline_code: 'lost_card', when: 'now' }, 400, 'Unknown parameter "when" for payment.declined; it takes "payment_intent", "subscription", "decline_code", "at"'],
        [{ trigger: 'payment.requires_action', payment_intent: pi.id, setup_intent: 'seti_x' }, 400, 'payment.requires_action takes only one of "payment_intent" or "setup_intent"'],
        [{ trigger: 'payment.declined', payment_intent: 'pi_missing', decline_code: 'lost_card' }, 404, 'No PaymentIntent pi_missing in this world'],
        [{ trigger: 'payment.declined', payment_intent: paid.latest_charge, decline_code: 'lost_card' }, 404, `No PaymentIntent ${paid.latest_charge} in this world`],
        [{ trigger: 'payment.declined', payment_intent: paid.id, decline_code: 'lost_card' }, 409, `payment.declined applies to a PaymentIntent in requires_payment_method, requires_confirmation, requires_action, or a subscription that renews (active, trialing, past_due) with at: next_renewal; ${paid.id} is succeeded`],
        [{ trigger: 'authentication.succeeded', payment_intent: pi.id }, 409, /requires_action with a pending challenge; pi_\w+ is requires_confirmation$/],
        [{ trigger: 'dispute.created', charge: failed.raw.charge }, 409, `dispute.created applies to a succeeded, captured charge with no dispute; ${failed.raw.charge} is failed`],
        [{ trigger: 'dispute.created', charge: paid.latest_charge, reason: 'boredom' }, 400, /^Unknown reason "boredom" for dispute\.created; use one of bank_cannot_process, /],
        [{ trigger: 'dispute.created', charge: paid.latest_charge, inquiry: 'yes' }, 400, '"inquiry" must be true or false'],
        [{ trigger: 'refund.failed', refund: 're_missing' }, 404, 'No Refund re_missing in this world'],
      ];
      for (const [body, status, message] of cases) {
        const res = await trigger(key, body);
        expect(res.status).toBe(status);
        expect(Object.keys(res.json)).toEqual(['error']);
        expect(Object.keys(res.json.error)).toEqual(['message']);
        expect(res.json.error.message).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
      }
      expect(await worldOf(stripe)).toEqual(before);
      expect((await next(key)).armed).toEqual([]);
    });

    it('keeps the /__admin__/intents/:id/authenticate errors', async () => {
      const key = freshKey('legacy');
      const stripe = t.h.stripe(key);
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', ...card, payment_method: 'pm_card_visa' });
      const si = await stripe.setupIntents.create({ ...card, payment_method: 'pm_card_visa' });
      const authenticate = (id: string, outcome: string) => t.h.admin('POST', `/__admin__/intents/${id}/authenticate`, { outcome }, key);
      expect(await authenticate(pi.id, 'maybe')).toEqual({ status: 400, json: { error: { message: '"outcome" must be "succeed" or "fail"' } } });
      expect(await authenticate('pi_nope', 'succeed')).toEqual({ status: 404, json: { error: { message: 'No PaymentIntent pi_nope in this world' } } });
      expect(await authenticate('seti_nope', 'fail')).toEqual({ status: 404, json: { error: { message: 'No SetupIntent seti_nope in this world' } } });
      expect(await authenticate('cus_nope', 'fail')).toEqual({ status: 404, json: { error: { message: 'No PaymentIntent cus_nope in this world' } } });
      expect(await authenticate(pi.id, 'succeed')).toEqual({
        status: 409,
        json: { error: { message: `authentication.succeeded applies to a PaymentIntent or SetupIntent in requires_action with a pending challenge; ${pi.id} is requires_confirmation` } },
      });
      expect(await authenticate(si.id, 'fail')).toEqual({
        status: 409,
        json: { error: { message: `authentication.failed applies to a PaymentIntent or SetupIntent in requires_action with a pending challenge; ${si.id} is requires_confirmation` } },
      });
    });
  });
});

describe('triggers and pins are deterministic', () => {
  it('gives the same bytes for the same seed and calls, over HTTP and in-process alike', async () => {
    await expectSameRuns({ seed: 'triggers' }, async (h, record) => {
      const key = 'sk_test_trigger_determinism';
      const stripe = h.stripe(key);
      record((await h.admin('POST', '/__admin__/exogenous', { pins: { 'charge.outcome.risk_score': 7, 'payment_method.card.last4': '1881', 'balance.pending': { usd: 500 } } }, key)).json);
      // Idempotency keys given, since stripe-node makes up random ones.
      const a = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', allowed_payment_method_types: ['card'] }, { idempotencyKey: 'd1' });
      record((await h.admin('POST', '/__admin__/world/trigger', { trigger: 'payment.declined', payment_intent: a.id, decline_code: 'stolen_card' }, key)).json);
      record(errorBody(await stripeError(stripe.paymentIntents.confirm(a.id, {}, { idempotencyKey: 'd2' }))));
      const b = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', allowed_payment_method_types: ['card'], confirm: true }, { idempotencyKey: 'd3' });
      record((await h.admin('POST', '/__admin__/world/trigger', { trigger: 'dispute.created', charge: b.latest_charge }, key)).json);
      record((await h.admin('GET', '/__admin__/world/next', undefined, key)).json);
      record(await worldOf(stripe));
    });
  });
});
