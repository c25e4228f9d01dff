import Stripe from 'stripe';
import { freshKey, MODES, stripeError, useHarness } from '../helpers';
import { errorBody, maskCard, pair, worldOf } from './trigger_world';

// Pinned exogenous values: the network's and Radar's verdict, the card the
// customer holds, the issuer's decline reason and opening balances, fixed per
// world or per object and bound when the engine reaches them — never ids,
// statuses, totals or timestamps.

describe.each(MODES)('pinned exogenous values (%s)', (mode) => {
  const t = useHarness(mode);
  const pin = (key: string, body: Record<string, unknown>) => t.h.admin('POST', '/__admin__/exogenous', body, key);
  const pinned = async (key: string) => (await t.h.admin('GET', '/__admin__/exogenous', undefined, key)).json.pins;
  const card = { allowed_payment_method_types: ['card'] };
  const pay = (stripe: Stripe, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
    stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...card, payment_method: 'pm_card_visa', confirm: true, expand: ['latest_charge'], ...extra });
  const outcomeOf = (pi: Stripe.PaymentIntent) => (pi.latest_charge as Stripe.Charge).outcome!;

  describe('charge.outcome.*', () => {
    it('binds on the next charge, for the world or one object, the most specific scope winning', async () => {
      const key = freshKey('outcome');
      const stripe = t.h.stripe(key);
      const customer = await stripe.customers.create();
      expect((await pin(key, { pins: { 'charge.outcome.risk_score': 92, 'charge.outcome.risk_level': 'elevated' } })).status).toBe(200);
      expect(outcomeOf(await pay(stripe))).toEqual({
        advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network',
        reason: null, risk_level: 'elevated', risk_score: 92, seller_message: 'Payment complete.', type: 'authorized',
      });
      await pin(key, { scope: customer.id, pins: { 'charge.outcome.risk_score': 11 } });
      const open = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...card, customer: customer.id });
      await pin(key, { scope: open.id, pins: { 'charge.outcome.seller_message': 'Checked by hand.' } });
      const mine = await stripe.paymentIntents.confirm(open.id, { payment_method: 'pm_card_visa', expand: ['latest_charge'] });
      expect(outcomeOf(mine)).toMatchObject({ risk_score: 11, risk_level: 'elevated', seller_message: 'Checked by hand.' });
      expect(outcomeOf(await pay(stripe, { customer: customer.id }))).toMatchObject({ risk_score: 11, seller_message: 'Payment complete.' });
      expect(outcomeOf(await pay(stripe))).toMatchObject({ risk_score: 92 });
      expect(await pinned(key)).toEqual([
        { scope: 'world', path: 'charge.outcome.risk_score', value: 92 },
        { scope: 'world', path: 'charge.outcome.risk_level', value: 'elevated' },
        ...[
          { scope: customer.id, path: 'charge.outcome.risk_score', value: 11 },
          { scope: open.id, path: 'charge.outcome.seller_message', value: 'Checked by hand.' },
        ].sort((a, b) => (a.scope < b.scope ? -1 : 1)),
      ]);
    });

    it('never changes ids, statuses, amounts or times', async () => {
      const key = freshKey('same');
      const flow = (pins: boolean) => async (stripe: Stripe) => {
        if (pins) await pin(key, { pins: { 'charge.outcome.risk_score': 3, 'payment_method.card.fingerprint': 'Pinned0000000001' } });
        const pi = await pay(stripe);
        const declined = errorBody(await stripeError(pay(stripe, { payment_method: 'pm_card_chargeDeclined' })));
        return { pi, declined };
      };
      const [withPins, without] = await pair(t.h, key, flow(true), flow(false));
      expect(outcomeOf(withPins.result.pi).risk_score).toBe(3);
      expect(maskCard(withPins, ['risk_score', 'fingerprint'])).toEqual(maskCard(without, ['risk_score', 'fingerprint']));
    });
  });

  describe('payment_method.card.*', () => {
    it('binds on PaymentMethods created from then on, and on their charges', async () => {
      const key = freshKey('card');
      const stripe = t.h.stripe(key);
      const before = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
      const pins = {
        'payment_method.card.brand': 'mastercard', 'payment_method.card.last4': '4444', 'payment_method.card.fingerprint': 'Jane0Visa0Card01',
        'payment_method.card.country': 'US', 'payment_method.card.funding': 'debit', 'payment_method.card.exp_month': 9, 'payment_method.card.exp_year': 2031,
      };
      expect((await pin(key, { pins })).status).toBe(200);
      const created = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
      const expected = { brand: 'mastercard', display_brand: 'mastercard', last4: '4444', fingerprint: 'Jane0Visa0Card01', country: 'US', funding: 'debit', exp_month: 9, exp_year: 2031, networks: { available: ['mastercard'], preferred: null } };
      expect(created.card).toMatchObject(expected);
      const pi = await pay(stripe, { payment_method: 'pm_card_visa' });
      const details = (pi.latest_charge as Stripe.Charge).payment_method_details!.card!;
      expect(details).toMatchObject({ brand: 'mastercard', last4: '4444', fingerprint: 'Jane0Visa0Card01', funding: 'debit', exp_month: 9, exp_year: 2031, network: 'mastercard' });
      // Already-created PaymentMethods keep what they were made with.
      expect((await stripe.paymentMethods.retrieve(before.id)).card).toMatchObject({ brand: 'visa', last4: '4242' });
      // Cleared, the test card shows again.
      const cleared = await t.h.admin('DELETE', '/__admin__/exogenous?path=payment_method.card', undefined, key);
      expect(cleared.json).toEqual({ cleared: 7, pins: [] });
      expect((await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } })).card).toMatchObject({ brand: 'visa', last4: '4242', funding: 'credit' });
    });

    it('changes what is shown, not how the test card behaves', async () => {
      const key = freshKey('behaves');
      const stripe = t.h.stripe(key);
      await pin(key, { pins: { 'payment_method.card.last4': '4242' } });
      const e = await stripeError(pay(stripe, { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }));
      expect(errorBody(e)).toMatchObject({ decline_code: 'insufficient_funds', payment_method: { card: { last4: '4242' } } });
    });
  });

  describe('last_payment_error.decline_code', () => {
    it('names the decline of the next failing charge, as the card with that decline gives it', async () => {
      const key = freshKey('declinepin');
      const flow = (pinned: boolean) => async (stripe: Stripe) => {
        if (pinned) await pin(key, { pins: { 'last_payment_error.decline_code': 'insufficient_funds' } });
        const paid = await pay(stripe);
        const declined = errorBody(await stripeError(pay(stripe, { payment_method: pinned ? 'pm_card_chargeDeclined' : 'pm_card_visa_chargeDeclinedInsufficientFunds' })));
        return { paid, declined };
      };
      const [withPin, carded] = await pair(t.h, key, flow(true), flow(false));
      expect(withPin.result.paid.last_payment_error).toBeNull();
      expect(withPin.result.declined).toMatchObject({
        code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.', network_decline_code: '51',
        payment_intent: { last_payment_error: { decline_code: 'insufficient_funds' } },
      });
      expect(maskCard(withPin)).toEqual(maskCard(carded));
    });

    it('can be pinned for one PaymentMethod', async () => {
      const key = freshKey('declinepm');
      const stripe = t.h.stripe(key);
      const pm = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_chargeDeclined' } });
      await pin(key, { scope: pm.id, pins: { 'last_payment_error.decline_code': 'card_velocity_exceeded', 'charge.outcome.risk_score': 64 } });
      const e = errorBody(await stripeError(pay(stripe, { payment_method: pm.id })));
      expect(e).toMatchObject({ decline_code: 'card_velocity_exceeded', network_decline_code: '61', payment_intent: { last_payment_error: { decline_code: 'card_velocity_exceeded' } } });
      expect((await stripe.charges.retrieve(e.charge as string)).outcome).toMatchObject({ reason: 'card_velocity_exceeded', risk_score: 64 });
      expect(errorBody(await stripeError(pay(stripe, { payment_method: 'pm_card_chargeDeclined' })))).toMatchObject({ decline_code: 'generic_decline' });
    });

    it('gives way to a decline a trigger forces, and leaves Radar blocks and authentication alone', async () => {
      const key = freshKey('declineorder');
      const stripe = t.h.stripe(key);
      await pin(key, { pins: { 'last_payment_error.decline_code': 'lost_card' } });
      const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...card, payment_method: 'pm_card_visa' });
      await t.h.admin('POST', '/__admin__/world/trigger', { trigger: 'payment.declined', payment_intent: pi.id, decline_code: 'expired_card' }, key);
      expect(errorBody(await stripeError(stripe.paymentIntents.confirm(pi.id)))).toMatchObject({ decline_code: 'expired_card' });
      expect(errorBody(await stripeError(pay(stripe, { payment_method: 'pm_card_radarBlock' })))).toMatchObject({ decline_code: 'fraudulent' });
      expect(errorBody(await stripeError(pay(stripe, { payment_method: 'pm_card_authenticationRequired', off_session: true })))).toMatchObject({ decline_code: 'authentication_required' });
      expect(errorBody(await stripeError(pay(stripe, { payment_method: 'pm_card_chargeDeclined' })))).toMatchObject({ decline_code: 'lost_card' });
    });
  });

  describe('opening balances', () => {
    it('shows in /v1/balance, and movements add to them', async () => {
      const key = freshKey('opening');
      const stripe = t.h.stripe(key);
      expect((await pin(key, { pins: { 'balance.available': { usd: 10000, EUR: 2500 }, 'balance.pending.usd': 700 } })).status).toBe(200);
      expect(await stripe.balance.retrieve()).toEqual({
        object: 'balance',
        available: [{ amount: 10000, currency: 'usd', source_types: { card: 10000 } }, { amount: 2500, currency: 'eur', source_types: { card: 2500 } }],
        connect_reserved: [{ amount: 0, currency: 'usd' }, { amount: 0, currency: 'eur' }],
        livemode: false,
        pending: [{ amount: 700, currency: 'usd', source_types: { card: 700 } }, { amount: 0, currency: 'eur', source_types: { card: 0 } }],
      });
      const pi = await pay(stripe, { capture_method: 'automatic' });
      const net = 2000 - 88;
      expect((await stripe.balance.retrieve()).pending[0].amount).toBe(700 + net);
      await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
      expect((await stripe.balance.retrieve()).available[0].amount).toBe(10000 - 500);
      await t.h.admin('POST', '/__admin__/clock/advance', { duration: '8d' }, key);
      const after = await stripe.balance.retrieve();
      expect(after.available[0].amount).toBe(10000 - 500 + net);
      expect(after.pending[0].amount).toBe(700);
      expect((await stripe.balanceTransactions.list()).data).toHaveLength(2);
    });
  });

  describe('bad input', () => {
    it('is a plain control error and changes nothing', async () => {
      const key = freshKey('badpin');
      const stripe = t.h.stripe(key);
      const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...card });
      const before = await worldOf(stripe);
      const cases: [Record<string, unknown>, number, string][] = [
        [{}, 400, '"pins" must be an object of path → value, e.g. {"charge.outcome.risk_score": 92}'],
        [{ pins: { 'charge.amount': 5 } }, 400, '"charge.amount" cannot be pinned; pinnable: charge.outcome.advice_code, '],
        [{ pins: { 'charge.outcome.risk_score': 101 } }, 400, '"charge.outcome.risk_score" must be an integer from 0 to 100 (got 101)'],
        [{ pins: { 'charge.outcome.risk_score': '9' } }, 400, '"charge.outcome.risk_score" must be an integer from 0 to 100 (got "9")'],
        [{ pins: { 'charge.outcome.risk_level': 'spicy' } }, 400, '"charge.outcome.risk_level" must be one of normal, elevated, highest, not_assessed, unknown (got "spicy")'],
        [{ pins: { 'charge.outcome.network_status': 'maybe' } }, 400, '"charge.outcome.network_status" must be one of approved_by_network, declined_by_network, not_sent_to_network, reversed_after_approval, null (got "maybe")'],
        [{ pins: { 'charge.outcome.type': 'authorized', 'payment_method.card.brand': 'visa-ish' } }, 400, '"payment_method.card.brand" must be one of amex, cartes_bancaires, '],
        [{ pins: { 'payment_method.card.last4': '42' } }, 400, '"payment_method.card.last4" must be four digits (got "42")'],
        [{ pins: { 'payment_method.card.country': 'usa' } }, 400, '"payment_method.card.country" must be a two-letter ISO country code in capitals (got "usa")'],
        [{ pins: { 'payment_method.card.exp_month': 13 } }, 400, '"payment_method.card.exp_month" must be an integer from 1 to 12 (got 13)'],
        [{ pins: { 'last_payment_error.decline_code': 'do_not_honor' } }, 400, '"last_payment_error.decline_code" must be one of generic_decline, insufficient_funds, '],
        [{ pins: { 'balance.available.xyz': 5 } }, 400, '"balance.available.xyz" cannot be pinned'],
        [{ pins: { 'balance.pending': { usd: 1.5 } } }, 400, '"balance.pending.usd" must be an integer amount in minor units (got 1.5)'],
        [{ scope: 'pi_missing', pins: { 'charge.outcome.risk_score': 5 } }, 404, 'No object pi_missing in this world to scope pins to'],
        [{ scope: pi.id, pins: { 'payment_method.card.last4': '1234' } }, 400, `"payment_method.card.last4" can be pinned for the world only, not a payment_intent (${pi.id})`],
        [{ scope: pi.id, pins: { 'balance.available.usd': 5 } }, 400, '"balance.available.usd" can be pinned for the world only'],
        [{ scope: 'world', pins: { 'charge.outcome.risk_score': 5 }, when: 'now' }, 400, 'Unknown field "when"; give "scope" and "pins"'],
      ];
      for (const [body, status, message] of cases) {
        const res = await pin(key, body);
        expect([res.status, res.json.error?.message.slice(0, message.length)]).toEqual([status, message]);
        expect(Object.keys(res.json)).toEqual(['error']);
      }
      expect(await pinned(key)).toEqual([]);
      expect(await worldOf(stripe)).toEqual(before);
    });
  });

  describe('listing and clearing', () => {
    it('clears by path (or a path above it), by scope, or everything', async () => {
      const key = freshKey('clear');
      const stripe = t.h.stripe(key);
      const customer = await stripe.customers.create();
      await pin(key, { pins: { 'charge.outcome.risk_score': 1, 'charge.outcome.type': 'authorized', 'balance.available.usd': 5 } });
      await pin(key, { scope: customer.id, pins: { 'charge.outcome.risk_score': 2 } });
      const clear = async (query: string) => (await t.h.admin('DELETE', `/__admin__/exogenous${query}`, undefined, key)).json;
      expect(await clear('?path=charge.outcome.type')).toMatchObject({ cleared: 1 });
      expect(await clear(`?scope=${customer.id}`)).toEqual({
        cleared: 1,
        pins: [{ scope: 'world', path: 'charge.outcome.risk_score', value: 1 }, { scope: 'world', path: 'balance.available.usd', value: 5 }],
      });
      expect(await clear('')).toEqual({ cleared: 2, pins: [] });
      const typo = await t.h.admin('DELETE', '/__admin__/exogenous?path=charge.outcom', undefined, key);
      expect([typo.status, typo.json.error.message]).toEqual([400, expect.stringMatching(/^"charge\.outcom" is no pinnable path nor a part of one; pinnable: /)]);
      expect((await t.h.admin('DELETE', '/__admin__/exogenous?scope=cus_nobody', undefined, key)).status).toBe(404);
    });
  });

  describe('seed', () => {
    it('seeds opening balances and pins, bound on the seeded objects', async () => {
      const key = freshKey('seedpins');
      const res = await t.h.admin('POST', '/__admin__/seed', {
        worlds: {
          [key]: {
            customers: [{ id: 'cus_pinned' }],
            payment_methods: [{ id: 'pm_pinned', test_value: 'pm_card_visa', customer: 'cus_pinned' }],
            charges: [{ id: 'ch_pinned', amount: 3000, currency: 'usd', customer: 'cus_pinned', payment_method: 'pm_pinned' }],
            balance: { available: { usd: 50000 } },
            pins: [
              { pins: { 'charge.outcome.risk_score': 42, 'payment_method.card.last4': '0005' } },
              { scope: 'cus_pinned', pins: { 'charge.outcome.risk_level': 'elevated' } },
            ],
          },
        },
      });
      expect(res.status).toBe(200);
      const stripe = t.h.stripe(key);
      expect((await stripe.paymentMethods.retrieve('pm_pinned')).card).toMatchObject({ last4: '0005' });
      expect((await stripe.charges.retrieve('ch_pinned')).outcome).toMatchObject({ risk_score: 42, risk_level: 'normal' });
      expect(outcomeOf(await pay(stripe, { customer: 'cus_pinned', payment_method: 'pm_pinned' }))).toMatchObject({ risk_score: 42, risk_level: 'elevated' });
      expect((await stripe.balance.retrieve()).available[0].amount).toBe(50000);
    });

    it('is all or nothing', async () => {
      const key = freshKey('seedbad');
      const res = await t.h.admin('POST', '/__admin__/seed', { worlds: { [key]: { customers: [{ id: 'cus_x' }], pins: [{ scope: 'cus_x', pins: { 'charge.outcome.risk_score': -1 } }] } } });
      expect(res).toEqual({ status: 400, json: { error: { message: '"charge.outcome.risk_score" must be an integer from 0 to 100 (got -1)', at: `${key}.pins[0]` } } });
      expect((await t.h.admin('POST', '/__admin__/seed', { worlds: { [key]: { balance: { reserved: { usd: 1 } } } } })).json.error).toEqual({ message: 'Unknown balance "reserved"; use available or pending', at: `${key}.balance` });
      expect((await t.h.stripe(key).customers.list()).data).toEqual([]);
      expect(await pinned(key)).toEqual([]);
    });
  });
});
