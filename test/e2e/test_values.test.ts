import Stripe from 'stripe';
import { keyOf, MODES, stripeError, useHarness } from '../helpers';

// Every documented Stripe test value produces its documented outcome
// (docs/stripe-facts.md §4). The expectations below are transcribed from the
// reference tables, not read from the twin's own table.

describe.each(MODES)('test values (%s)', (mode) => {
  const t = useHarness(mode);
  const confirm = (payment_method: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
    t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method, confirm: true, allowed_payment_method_types: ['card'], ...extra });

  // docs/stripe-facts.md §4.2 successful cards: [magic PaymentMethod, token, brand, last4, funding, country, display_brand]
  const BRANDS: [string, string | null, string, string, string, string, string?][] = [
    ['pm_card_visa', 'tok_visa', 'visa', '4242', 'credit', 'US'],
    ['pm_card_visa_debit', 'tok_visa_debit', 'visa', '5556', 'debit', 'US'],
    ['pm_card_mastercard', 'tok_mastercard', 'mastercard', '4444', 'credit', 'US'],
    ['pm_card_mastercard_debit', 'tok_mastercard_debit', 'mastercard', '8210', 'debit', 'US'],
    ['pm_card_mastercard_prepaid', 'tok_mastercard_prepaid', 'mastercard', '5100', 'prepaid', 'US'],
    ['pm_card_amex', 'tok_amex', 'amex', '0005', 'credit', 'US'],
    ['pm_card_discover', 'tok_discover', 'discover', '1117', 'credit', 'US'],
    ['pm_card_diners', 'tok_diners', 'diners', '0004', 'credit', 'US'],
    ['pm_card_jcb', 'tok_jcb', 'jcb', '0505', 'credit', 'US'],
    ['pm_card_unionpay', 'tok_unionpay', 'unionpay', '0005', 'credit', 'US'],
    ['pm_card_visa_cartesBancaires', 'tok_visa_cartesBancaires', 'visa', '1001', 'credit', 'FR', 'cartes_bancaires'],
    ['pm_card_mastercard_cartesBancaires', 'tok_mastercard_cartesBancaires', 'mastercard', '1001', 'credit', 'FR', 'cartes_bancaires'],
    ['pm_card_visa_debit_eftposAuCoBranded', 'tok_visa_debit_eftposAuCoBranded', 'visa', '0001', 'debit', 'AU', 'eftpos_au'],
    ['pm_card_mastercard_debit_eftposAuCoBranded', 'tok_mastercard_debit_eftposAuCoBranded', 'mastercard', '0080', 'debit', 'AU', 'eftpos_au'],
    ['pm_card_debit_visaFsaProductCode', null, 'visa', '0072', 'debit', 'US'],
    ['pm_card_debit_visaHsaProductCode', null, 'visa', '0072', 'debit', 'US'],
    ['pm_card_mastercard_debit_mastercardFsaProductCode', null, 'mastercard', '8897', 'debit', 'US'],
  ];

  describe('docs/stripe-facts.md §4.2 cards by brand', () => {
    // Rows are padded to full length: jest passes `done` in place of a missing trailing argument.
    it.each(BRANDS.map((r) => [...r, r[6] ?? null] as const))('%s / %s → %s …%s, charged successfully', async (pm, tok, brand, last4, funding, country, display) => {
      const pi = await confirm(pm, { expand: ['payment_method'] });
      expect(pi.status).toBe('succeeded');
      expect((pi.payment_method as Stripe.PaymentMethod).card).toMatchObject({ brand, last4, funding, country, display_brand: display ?? brand });
      if (tok) {
        const fromToken = await t.stripe.paymentMethods.create({ type: 'card', card: { token: tok } });
        expect(fromToken.card).toMatchObject({ brand, last4, funding, country });
        expect(fromToken.card!.fingerprint).toBe((pi.payment_method as Stripe.PaymentMethod).card!.fingerprint);
      }
    });

    it.each([
      ['4242424242424242', 'visa'], ['5555555555554444', 'mastercard'], ['2223003122003222', 'mastercard'], ['378282246310005', 'amex'],
      ['371449635398431', 'amex'], ['6011111111111117', 'discover'], ['6011000990139424', 'discover'], ['6011981111111113', 'discover'],
      ['3056930009020004', 'diners'], ['36227206271667', 'diners'], ['3566002020360505', 'jcb'], ['6200000000000005', 'unionpay'],
      ['6200000000000047', 'unionpay'], ['6205500000000000004', 'unionpay'],
    ])('raw number %s → %s', async (number, brand) => {
      const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { number, exp_month: 12, exp_year: 2035, cvc: number.startsWith('3') && number.length === 15 ? '1234' : '123' } });
      expect(pm.card).toMatchObject({ brand, last4: number.slice(-4) });
      expect((await confirm(pm.id)).status).toBe('succeeded');
    });

    it.each([['pm_card_fr', 'tok_fr', 'FR'], ['pm_card_de', 'tok_de', 'DE'], ['pm_card_gb', 'tok_gb', 'GB'], ['pm_card_jp', 'tok_jp', 'JP'], ['pm_card_br', 'tok_br', 'BR'], ['pm_card_in', 'tok_in', 'IN']])(
      'cards by country: %s / %s → %s',
      async (pm, tok, country) => {
        expect((await t.stripe.paymentMethods.retrieve(pm)).card!.country).toBe(country);
        expect((await t.stripe.paymentMethods.create({ type: 'card', card: { token: tok } })).card!.country).toBe(country);
      },
    );
  });

  // docs/stripe-facts.md §4.3 declines: [magic PaymentMethod, token, code, decline_code, message, param?]
  const DECLINES: [string, string, string, string, string, string?][] = [
    ['pm_card_visa_chargeDeclined', 'tok_visa_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['pm_card_chargeDeclined', 'tok_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'tok_visa_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'tok_visa_debit_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['pm_card_visa_chargeDeclinedLostCard', 'tok_visa_chargeDeclinedLostCard', 'card_declined', 'lost_card', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'tok_visa_chargeDeclinedStolenCard', 'card_declined', 'stolen_card', 'Your card was declined.'],
    ['pm_card_chargeDeclinedExpiredCard', 'tok_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.', 'exp_month'],
    ['pm_card_visa_chargeDeclinedExpiredCard', 'tok_visa_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.', 'exp_month'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'tok_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect.", 'cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'tok_chargeDeclinedProcessingError', 'processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'],
    ['pm_card_visa_chargeDeclinedVelocityLimitExceeded', 'tok_visa_chargeDeclinedVelocityLimitExceeded', 'card_declined', 'card_velocity_exceeded', 'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.'],
    ['pm_card_chargeCustomerFail', 'tok_chargeCustomerFail', 'card_declined', 'generic_decline', 'Your card was declined.'],
  ];
  // Advice and network codes recorded with each decline (docs/stripe-facts.md §4.3).
  const NETWORK: Record<string, [string, string, string | undefined]> = {
    generic_decline: ['try_again_later', '01', undefined],
    insufficient_funds: ['try_again_later', '51', '02'],
    lost_card: ['do_not_try_again', '41', '01'],
    stolen_card: ['do_not_try_again', '43', '01'],
    card_velocity_exceeded: ['try_again_later', '61', '02'],
    expired_card: ['confirm_card_data', '54', '03'],
    incorrect_cvc: ['confirm_card_data', 'N7', '03'],
    processing_error: ['try_again_later', '06', undefined],
  };

  describe('docs/stripe-facts.md §4.3 declines', () => {
    it.each(DECLINES.map(([pm, tok, code, decline, message, param]) => [pm, tok, code, decline, message, param ?? null] as const))('%s / %s → 402 %s (%s)', async (pm, tok, code, decline, message, param) => {
      const [advice, network, networkAdvice] = NETWORK[decline];
      for (const paymentMethod of [pm, (await t.stripe.paymentMethods.create({ type: 'card', card: { token: tok } })).id]) {
        const e = await stripeError(confirm(paymentMethod));
        expect(e.statusCode).toBe(402);
        expect(e.raw).toMatchObject({ type: 'card_error', code, decline_code: decline, message, advice_code: advice, network_decline_code: network });
        expect(e.raw.network_advice_code).toBe(networkAdvice);
        expect(e.raw.param).toBe(param ?? undefined);
        expect(e.raw.payment_intent.status).toBe('requires_payment_method');
        const charge = await t.stripe.charges.retrieve(e.raw.charge);
        expect(charge).toMatchObject({ status: 'failed', failure_code: code, failure_message: message });
      }
    });

    it('attaching a decline card fails with the decline, except …0341 which attaches and fails every charge', async () => {
      const c = await t.stripe.customers.create();
      for (const [pm, , code] of DECLINES.filter(([pm]) => pm !== 'pm_card_chargeCustomerFail')) {
        expect((await stripeError(t.stripe.paymentMethods.attach(pm, { customer: c.id }))).raw).toMatchObject({ code, param: '' });
      }
      const attached = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: c.id });
      expect((await stripeError(confirm(attached.id, { customer: c.id }))).raw.decline_code).toBe('generic_decline');
    });

    it('tok_visa_chargeDeclinedFraudulent declines as fraudulent; 4242424242424241 fails at creation', async () => {
      const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa_chargeDeclinedFraudulent' } });
      expect((await stripeError(confirm(pm.id))).raw).toMatchObject({ code: 'card_declined', decline_code: 'fraudulent' });
      const bad = await stripeError(t.stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424241', exp_month: 1, exp_year: 2035 } }));
      expect(bad.raw).toMatchObject({ code: 'incorrect_number', param: 'number', message: 'Your card number is incorrect.' });
    });
  });

  describe('docs/stripe-facts.md §4.4 Radar', () => {
    it.each(['pm_card_radarBlock', 'pm_card_riskLevelHighest'])('%s is blocked before the network', async (pm) => {
      const e = await stripeError(confirm(pm));
      expect(e.raw).toMatchObject({ code: 'card_declined' });
      const charge = await t.stripe.charges.retrieve(e.raw.charge);
      expect(charge.outcome).toMatchObject({ type: 'blocked', network_status: 'not_sent_to_network', risk_level: 'highest' });
    });

    it('elevated risk cards succeed with risk_level elevated; check cards fail their checks', async () => {
      for (const pm of ['pm_card_riskLevelElevated', 'pm_card_cvcCheckFailElevatedRisk', 'pm_card_avsZipFailElevatedRisk']) {
        const charge = await t.stripe.charges.retrieve((await confirm(pm)).latest_charge as string);
        expect([pm, charge.outcome!.risk_level, charge.status]).toEqual([pm, 'elevated', 'succeeded']);
      }
      const cvc = await t.stripe.charges.retrieve((await confirm('pm_card_cvcCheckFail')).latest_charge as string);
      expect(cvc.payment_method_details!.card!.checks!.cvc_check).toBe('fail');
      const zip = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_avsZipFail' }, billing_details: { address: { line1: '1 Main', postal_code: '12345' } } });
      const zipCharge = await t.stripe.charges.retrieve((await confirm(zip.id)).latest_charge as string);
      expect(zipCharge.payment_method_details!.card!.checks).toMatchObject({ address_postal_code_check: 'fail', address_line1_check: 'pass' });
      const line1 = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_avsLine1Fail' }, billing_details: { address: { line1: '1 Main', postal_code: '12345' } } });
      expect((await t.stripe.charges.retrieve((await confirm(line1.id)).latest_charge as string)).payment_method_details!.card!.checks).toMatchObject({ address_line1_check: 'fail', address_postal_code_check: 'pass' });
      const both = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_avsFail' }, billing_details: { address: { line1: '1 Main', postal_code: '12345' } } });
      expect((await t.stripe.charges.retrieve((await confirm(both.id)).latest_charge as string)).payment_method_details!.card!.checks).toMatchObject({ address_line1_check: 'fail', address_postal_code_check: 'fail' });
      const unchecked = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_avsUnchecked' }, billing_details: { address: { line1: '1 Main', postal_code: '12345' } } });
      expect((await t.stripe.charges.retrieve((await confirm(unchecked.id)).latest_charge as string)).payment_method_details!.card!.checks).toMatchObject({ address_line1_check: 'unavailable', address_postal_code_check: 'unavailable' });
    });
  });

  describe('docs/stripe-facts.md §4.5 disputes, §4.7 balance', () => {
    it.each([
      ['pm_card_createDispute', 'needs_response', 'fraudulent'],
      ['pm_card_createDisputeProductNotReceived', 'needs_response', 'product_not_received'],
      ['pm_card_createDisputeInquiry', 'warning_needs_response', 'fraudulent'],
      ['pm_card_createMultipleDisputes', 'needs_response', 'fraudulent'],
      ['pm_card_createCe3EligibleDispute', 'needs_response', 'fraudulent'],
      ['pm_card_createComplianceDispute', 'needs_response', 'noncompliant'],
    ])('%s → the charge succeeds, then a %s dispute (%s)', async (pm, status, reason) => {
      const pi = await confirm(pm);
      expect(pi.status).toBe('succeeded');
      const [dispute] = (await t.stripe.disputes.list({ payment_intent: pi.id })).data;
      expect(dispute).toMatchObject({ status, reason });
    });

    it('bypassPending cards land straight in the available balance; ordinary cards wait', async () => {
      for (const pm of ['pm_card_bypassPending', 'pm_card_bypassPendingInternational']) {
        const charge = await t.stripe.charges.retrieve((await confirm(pm, { capture_method: 'automatic' })).latest_charge as string, { expand: ['balance_transaction'] });
        expect((charge.balance_transaction as Stripe.BalanceTransaction).status).toBe('available');
      }
      const normal = await t.stripe.charges.retrieve((await confirm('pm_card_visa', { capture_method: 'automatic' })).latest_charge as string, { expand: ['balance_transaction'] });
      expect((normal.balance_transaction as Stripe.BalanceTransaction).status).toBe('pending');
    });
  });

  describe('docs/stripe-facts.md §4.8 3D Secure', () => {
    // [magic PaymentMethod, on-session outcome, off-session outcome]
    it.each([
      ['pm_card_authenticationRequiredOnSetup', 'requires_action', 'authentication_required'],
      ['pm_card_authenticationRequired', 'requires_action', 'authentication_required'],
      ['pm_card_authenticationRequiredSetupForOffSession', 'requires_action', 'succeeded'],
      ['pm_card_authenticationRequiredChargeDeclinedInsufficientFunds', 'requires_action', 'authentication_required'],
      ['pm_card_threeDSecure2Required', 'requires_action', 'authentication_required'],
      ['pm_card_threeDSecureRequiredChargeDeclined', 'requires_action', 'authentication_required'],
      ['pm_card_threeDSecureRequiredProcessingError', 'requires_action', 'authentication_required'],
      ['pm_card_threeDSecureOptional', 'succeeded', 'succeeded'],
      ['pm_card_threeDSecureOptionalProcessingError', 'succeeded', 'succeeded'],
      ['pm_card_visa', 'succeeded', 'succeeded'],
      ['pm_card_amex_threeDSecureNotSupported', 'succeeded', 'succeeded'],
    ])('%s: on-session %s, off-session %s', async (pm, on, off) => {
      expect((await confirm(pm)).status).toBe(on);
      const offSession = await confirm(pm, { off_session: true }).then(
        (pi) => pi.status,
        (e) => e.raw.code,
      );
      expect(offSession).toBe(off);
    });

    it('declines after authentication on the decline-after-3DS cards', async () => {
      for (const [pm, decline] of [
        ['pm_card_authenticationRequiredChargeDeclinedInsufficientFunds', 'insufficient_funds'],
        ['pm_card_threeDSecureRequiredChargeDeclined', 'generic_decline'],
      ]) {
        const pi = await confirm(pm);
        const res = await t.h.admin('POST', `/__admin__/intents/${pi.id}/authenticate`, { outcome: 'succeed' }, keyOf(t.stripe));
        expect(res.json).toMatchObject({ status: 'requires_payment_method', last_payment_error: { decline_code: decline } });
        const charge = await t.stripe.charges.retrieve(res.json.latest_charge);
        expect(charge.payment_method_details!.card!.three_d_secure).toMatchObject({ result: 'authenticated' });
      }
    });

    it('request_three_d_secure=any asks for authentication even for pm_card_visa', async () => {
      const pi = await confirm('pm_card_visa', { payment_method_options: { card: { request_three_d_secure: 'any' } } });
      expect(pi.status).toBe('requires_action');
    });
  });

  describe('unknown test values fail loudly', () => {
    it.each(['pm_card_visa_typo', 'pm_card_chargeDeclinedMaybe'])('%s', async (pm) => {
      expect(await stripeError(confirm(pm))).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'payment_method' });
    });
    it('tok_unknown', async () => {
      expect(await stripeError(t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_unknown' } }))).toMatchObject({ code: 'resource_missing' });
    });
  });
});
