import Stripe from 'stripe';
import { freshKey, keyOf, MODES, stripeError, useHarness } from '../helpers';

// Payment methods beyond cards (src/resources/payments/bank_debits.ts,
// cash_balance.ts; docs/bank-payments.md): ACH and SEPA debits that process and
// then settle or fail on the world clock, microdeposit verification, mandates,
// and bank transfers into a customer's cash balance.

describe.each(MODES)('bank debits (%s)', (mode) => {
  const t = useHarness(mode);

  const advance = (seconds: number) => t.h.control(keyOf(t.stripe)).clock.advance(seconds);

  /** Event types of objects tied to `piId` (the intent, its charges, disputes), oldest first. */
  const typesOf = async (piId: string) =>
    (await t.stripe.events.list({ limit: 100 })).data
      .filter((e) => {
        const o = e.data.object as any;
        return o.id === piId || o.payment_intent === piId;
      })
      .map((e) => e.type)
      .reverse();

  const ach = (pm: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
    t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', allowed_payment_method_types: ['us_bank_account'], payment_method: pm, confirm: true, ...extra });

  it('an ACH debit processes, then succeeds on the clock with its balance transaction', async () => {
    const pi = await ach('pm_usBankAccount_success');
    expect(pi).toMatchObject({ status: 'processing', amount_received: 0, next_action: null, last_payment_error: null });
    const pending = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(pending).toMatchObject({ status: 'pending', paid: false, captured: false, balance_transaction: null, payment_method_details: { type: 'us_bank_account' } });
    const details = pending.payment_method_details!.us_bank_account!;
    expect(details).toMatchObject({ last4: '6789', routing_number: '110000000', account_type: 'checking' });
    const mandate = await t.stripe.mandates.retrieve(details.mandate as string);
    expect(mandate).toMatchObject({ object: 'mandate', status: 'active', type: 'multi_use', payment_method: pi.payment_method, payment_method_details: { type: 'us_bank_account' } });
    // Still processing until the clock moves.
    expect((await t.stripe.paymentIntents.retrieve(pi.id)).status).toBe('processing');
    await advance(60);
    const done = await t.stripe.paymentIntents.retrieve(pi.id);
    expect(done).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount_captured: 2000 });
    const bt = await t.stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    expect(bt).toMatchObject({ type: 'payment', amount: 2000, fee: 16 });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.pending', 'payment_intent.processing', 'charge.succeeded', 'payment_intent.succeeded']);
  });

  it.each([
    ['pm_usBankAccount_accountClosed', 'account_closed'],
    ['pm_usBankAccount_noAccount', 'no_account'],
    ['pm_usBankAccount_insufficientFunds', 'insufficient_funds'],
    ['pm_usBankAccount_debitNotAuthorized', 'debit_not_authorized'],
    ['pm_usBankAccount_invalidCurrency', 'invalid_currency'],
    ['pm_usBankAccount_weeklyLimitExceeded', 'charge_exceeds_weekly_limit'],
    ['pm_usBankAccount_riskLevelHighest', 'payment_method_provider_decline'],
  ])('%s: the confirm answers processing; the failure comes later on the clock (%s)', async (pm, code) => {
    const pi = await ach(pm);
    expect(pi.status).toBe('processing');
    await advance(60);
    const failed = await t.stripe.paymentIntents.retrieve(pi.id);
    expect(failed).toMatchObject({ status: 'requires_payment_method', payment_method: null, amount_received: 0 });
    expect(failed.last_payment_error).toMatchObject({ code, type: 'invalid_request_error', payment_method: { type: 'us_bank_account' } });
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ status: 'failed', failure_code: code, paid: false, balance_transaction: null });
    expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.pending', 'payment_intent.processing', 'charge.failed', 'payment_intent.payment_failed']);
  });

  it('pm_usBankAccount_processing stays processing however far the clock moves, and can be canceled', async () => {
    const pi = await ach('pm_usBankAccount_processing');
    await advance(30 * 86400);
    expect((await t.stripe.paymentIntents.retrieve(pi.id)).status).toBe('processing');
    const canceled = await t.stripe.paymentIntents.cancel(pi.id);
    expect(canceled.status).toBe('canceled');
  });

  it('pm_usBankAccount_dispute succeeds, then is disputed', async () => {
    const pi = await ach('pm_usBankAccount_dispute');
    await advance(60);
    expect((await t.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    const disputes = await t.stripe.disputes.list({ payment_intent: pi.id });
    expect(disputes.data).toHaveLength(1);
    expect(disputes.data[0]).toMatchObject({ reason: 'debit_not_authorized', status: 'needs_response', amount: 2000 });
    expect((await typesOf(pi.id)).slice(-4)).toEqual(['payment_intent.succeeded', 'charge.updated', 'charge.dispute.created', 'charge.dispute.funds_withdrawn']);
  });

  it('a settled ACH payment refunds like any charge', async () => {
    const pi = await ach('pm_usBankAccount_success');
    await advance(60);
    const refund = await t.stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    expect(refund).toMatchObject({ amount: 500, charge: pi.latest_charge });
    expect(await t.stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({ amount_refunded: 500, refunded: false });
  });

  it('restricted keys: mandates need rak_mandate_read, the funding helper rak_customer_write', async () => {
    const owner = freshKey('owner');
    const secret = t.h.stripe(owner);
    const pi = await secret.paymentIntents.create({ amount: 2000, currency: 'usd', allowed_payment_method_types: ['us_bank_account'], payment_method: 'pm_usBankAccount_success', confirm: true });
    const charge = await secret.charges.retrieve(pi.latest_charge as string);
    const customer = await secret.customers.create({});
    const { key } = await t.h.control(owner).keys.create({ kind: 'restricted', permissions: ['rak_customer_read', 'rak_charge_read'] });
    const rk = t.h.stripe(key);
    const mandate = charge.payment_method_details!.us_bank_account!.mandate as string;
    expect((await stripeError(rk.mandates.retrieve(mandate))).message).toContain("'rak_mandate_read'");
    expect((await stripeError(rk.testHelpers.customers.fundCashBalance(customer.id, { amount: 100, currency: 'usd' }))).message).toContain("'rak_customer_write'");
    expect((await rk.customers.retrieveCashBalance(customer.id)).object).toBe('cash_balance');
    const { key: reader } = await t.h.control(owner).keys.create({ kind: 'restricted', permissions: ['rak_mandate_read'] });
    expect((await t.h.stripe(reader).mandates.retrieve(mandate)).id).toBe(mandate);
  });

  it('an invoice paid by ACH stays open while the debit processes and is paid when it settles', async () => {
    const customer = await t.stripe.customers.create({});
    const pm = await t.stripe.paymentMethods.attach('pm_usBankAccount_success', { customer: customer.id });
    await t.stripe.invoiceItems.create({ customer: customer.id, amount: 3000, currency: 'usd' });
    const invoice = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    await t.stripe.invoices.finalizeInvoice(invoice.id!);
    const paying = await t.stripe.invoices.pay(invoice.id!, { payment_method: pm.id });
    expect(paying.status).toBe('open');
    await advance(60);
    expect((await t.stripe.invoices.retrieve(invoice.id!)).status).toBe('paid');
  });

  describe('microdeposits', () => {
    const manual = (account: string) =>
      t.stripe.paymentIntents.create({
        amount: 1500,
        currency: 'usd',
        allowed_payment_method_types: ['us_bank_account'],
        payment_method_data: {
          type: 'us_bank_account',
          us_bank_account: { account_number: account, routing_number: '110000000', account_holder_type: 'individual' },
          billing_details: { name: 'Jenny Rosen' },
        },
        confirm: true,
      });

    it('an account typed in waits for verification; SM11AA verifies it and the debit starts', async () => {
      const pi = await manual('000123456789');
      expect(pi.status).toBe('requires_action');
      expect(pi.next_action).toMatchObject({
        type: 'verify_with_microdeposits',
        verify_with_microdeposits: { microdeposit_type: 'descriptor_code', hosted_verification_url: expect.stringMatching(/^https:\/\/payments\.stripe\.com\/microdeposit\/pacs_test_/) },
      });
      expect(pi.latest_charge).toBeNull();
      const mismatch = await stripeError(t.stripe.paymentIntents.verifyMicrodeposits(pi.id, { descriptor_code: 'SM00XX' }));
      expect(mismatch).toMatchObject({ statusCode: 400, code: 'payment_method_microdeposit_verification_descriptor_code_mismatch' });
      const verified = await t.stripe.paymentIntents.verifyMicrodeposits(pi.id, { descriptor_code: 'SM11AA' });
      expect(verified).toMatchObject({ status: 'processing', next_action: null });
      await advance(60);
      expect((await t.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
      expect(await typesOf(pi.id)).toEqual([
        'payment_intent.created', 'payment_intent.requires_action', 'charge.pending', 'payment_intent.processing', 'charge.succeeded', 'payment_intent.succeeded',
      ]);
    });

    it('amounts 32 and 45 verify; 10 and 11 exceed the attempts and fail the intent', async () => {
      const ok = await manual('000123456789');
      expect((await t.stripe.paymentIntents.verifyMicrodeposits(ok.id, { amounts: [32, 45] })).status).toBe('processing');
      const bad = await manual('000123456789');
      const invalid = await stripeError(t.stripe.paymentIntents.verifyMicrodeposits(bad.id, { amounts: [32] }));
      expect(invalid.code).toBe('payment_method_microdeposit_verification_amounts_invalid');
      const exceeded = await stripeError(t.stripe.paymentIntents.verifyMicrodeposits(bad.id, { amounts: [10, 11] }));
      expect(exceeded).toMatchObject({ statusCode: 400, code: 'payment_method_microdeposit_verification_attempts_exceeded' });
      const after = await t.stripe.paymentIntents.retrieve(bad.id);
      expect(after).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'payment_method_microdeposit_verification_attempts_exceeded' } });
    });

    it('000666666661: microdeposits cannot be sent, the intent fails on the clock', async () => {
      const pi = await manual('000666666661');
      await advance(60);
      const failed = await t.stripe.paymentIntents.retrieve(pi.id);
      expect(failed).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'payment_method_microdeposit_failed' } });
    });

    it('a SetupIntent verifies by microdeposits, attaches the account and names its mandate', async () => {
      const customer = await t.stripe.customers.create({});
      const pm = await t.stripe.paymentMethods.create({
        type: 'us_bank_account',
        us_bank_account: { account_number: '000123456789', routing_number: '110000000', account_holder_type: 'company' },
        billing_details: { name: 'Acme' },
      });
      expect(pm).toMatchObject({ type: 'us_bank_account', us_bank_account: { last4: '6789', account_holder_type: 'company', routing_number: '110000000' } });
      const si = await t.stripe.setupIntents.create({ customer: customer.id, payment_method: pm.id, allowed_payment_method_types: ['us_bank_account'], confirm: true });
      expect(si.status).toBe('requires_action');
      const done = await t.stripe.setupIntents.verifyMicrodeposits(si.id, { amounts: [32, 45] });
      expect(done).toMatchObject({ status: 'succeeded', mandate: expect.stringMatching(/^mandate_/) });
      expect((await t.stripe.paymentMethods.retrieve(pm.id)).customer).toBe(customer.id);
    });
  });

  describe('SEPA', () => {
    const sepa = async (iban: string) => {
      const pm = await t.stripe.paymentMethods.create({ type: 'sepa_debit', sepa_debit: { iban }, billing_details: { name: 'Bob', email: 'bob@example.com' } });
      return t.stripe.paymentIntents.create({
        payment_method: pm.id,
        allowed_payment_method_types: ['sepa_debit'],
        amount: 1000,
        currency: 'eur',
        confirm: true,
        mandate_data: { customer_acceptance: { accepted_at: 1590590577, type: 'offline' } },
      });
    };

    it('AT611904300234573201 processes then succeeds; the mandate records the offline acceptance', async () => {
      const pi = await sepa('AT611904300234573201');
      expect(pi.status).toBe('processing');
      const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
      expect(charge.payment_method_details).toMatchObject({ type: 'sepa_debit', sepa_debit: { country: 'AT', last4: '3201' } });
      const mandate = await t.stripe.mandates.retrieve(charge.payment_method_details!.sepa_debit!.mandate as string);
      expect(mandate.customer_acceptance).toEqual({ accepted_at: 1590590577, offline: {}, type: 'offline' });
      expect(mandate.payment_method_details.sepa_debit).toMatchObject({ reference: expect.any(String), url: expect.stringContaining('https://') });
      await advance(60);
      expect((await t.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    });

    it('AT321904300235473204 takes at least three minutes; AT051904300235473205 fails after them', async () => {
      const slow = await sepa('AT321904300235473204');
      const slowFail = await sepa('AT051904300235473205');
      await advance(120);
      expect((await t.stripe.paymentIntents.retrieve(slow.id)).status).toBe('processing');
      expect((await t.stripe.paymentIntents.retrieve(slowFail.id)).status).toBe('processing');
      await advance(61);
      expect((await t.stripe.paymentIntents.retrieve(slow.id)).status).toBe('succeeded');
      expect(await t.stripe.paymentIntents.retrieve(slowFail.id)).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'insufficient_funds' } });
    });

    it.each([
      ['AT861904300235473202', 'insufficient_funds'],
      ['AT981904300000343434', 'charge_exceeds_source_limit'],
      ['AT601904300000121212', 'charge_exceeds_weekly_limit'],
      ['DE65370400440002222227', 'insufficient_funds'],
    ])('%s fails on the clock with %s', async (iban, code) => {
      const pi = await sepa(iban);
      await advance(60);
      const failed = await t.stripe.paymentIntents.retrieve(pi.id);
      expect(failed).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code } });
      expect(await typesOf(pi.id)).toEqual(['payment_intent.created', 'charge.pending', 'payment_intent.processing', 'charge.failed', 'payment_intent.payment_failed']);
    });

    it('AT591904300235473203 succeeds and is disputed; a pm_sepaDebit_ test value works like its IBAN', async () => {
      const pi = await sepa('AT591904300235473203');
      await advance(60);
      expect((await t.stripe.disputes.list({ payment_intent: pi.id })).data).toHaveLength(1);
      const viaToken = await t.stripe.paymentIntents.create({ amount: 500, currency: 'eur', allowed_payment_method_types: ['sepa_debit'], payment_method: 'pm_sepaDebit_failed_de', confirm: true });
      await advance(60);
      expect((await t.stripe.paymentIntents.retrieve(viaToken.id)).status).toBe('requires_payment_method');
    });

    it('refuses an intent in a currency SEPA does not debit', async () => {
      const err = await stripeError(t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', allowed_payment_method_types: ['sepa_debit'] }));
      expect(err).toMatchObject({ statusCode: 400, message: 'The currency provided (usd) is invalid. Payments with sepa_debit support the following currencies: eur.' });
    });

    it('refuses an IBAN whose check digits are wrong', async () => {
      const err = await stripeError(t.stripe.paymentMethods.create({ type: 'sepa_debit', sepa_debit: { iban: 'AT611904300234573202' } }));
      expect(err).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'sepa_debit[iban]' });
    });

    it('a SEPA SetupIntent succeeds at once with a mandate', async () => {
      const customer = await t.stripe.customers.create({});
      const si = await t.stripe.setupIntents.create({
        customer: customer.id,
        allowed_payment_method_types: ['sepa_debit'],
        payment_method_data: { type: 'sepa_debit', sepa_debit: { iban: 'DE89370400440532013000' }, billing_details: { name: 'Jenny Rosen', email: 'jenny@example.com' } },
        confirm: true,
        mandate_data: { customer_acceptance: { type: 'online', online: { ip_address: '127.0.0.1', user_agent: 'jest' } } },
      });
      expect(si).toMatchObject({ status: 'succeeded', mandate: expect.stringMatching(/^mandate_/) });
    });
  });
});

describe.each(MODES)('bank transfers and cash balances (%s)', (mode) => {
  const t = useHarness(mode);

  const fund = (customer: string, amount: number, currency: string, reference?: string) =>
    t.stripe.testHelpers.customers.fundCashBalance(customer, { amount, currency, ...(reference ? { reference } : {}) });

  const transfer = (customer: string, amount: number, currency = 'jpy') =>
    t.stripe.paymentIntents.create({
      amount,
      currency,
      customer,
      allowed_payment_method_types: ['customer_balance'],
      payment_method_data: { type: 'customer_balance' },
      payment_method_options: { customer_balance: { funding_type: 'bank_transfer', bank_transfer: { type: currency === 'jpy' ? 'jp_bank_transfer' : 'us_bank_transfer' } } },
      confirm: true,
    });

  const types = async () => (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();

  it('an intent waits with bank transfer instructions; a part funded leaves it partially funded, the rest pays it', async () => {
    const customer = await t.stripe.customers.create({});
    const pi = await transfer(customer.id, 20000);
    expect(pi.status).toBe('requires_action');
    const shown = pi.next_action!.display_bank_transfer_instructions!;
    expect(shown).toMatchObject({ amount_remaining: 20000, currency: 'jpy', type: 'jp_bank_transfer', reference: expect.any(String) });
    expect(shown.financial_addresses![0]).toMatchObject({ type: 'zengin', supported_networks: ['zengin'], zengin: { account_type: 'futsu' } });

    const funded = await fund(customer.id, 10000, 'jpy');
    expect(funded).toMatchObject({ object: 'customer_cash_balance_transaction', type: 'funded', net_amount: 10000, ending_balance: 10000, currency: 'jpy', customer: customer.id });
    expect(funded.funded!.bank_transfer.type).toBe('jp_bank_transfer');
    const partial = await t.stripe.paymentIntents.retrieve(pi.id);
    expect(partial.status).toBe('requires_action');
    expect(partial.next_action!.display_bank_transfer_instructions!.amount_remaining).toBe(10000);
    expect(await t.stripe.customers.retrieveCashBalance(customer.id)).toMatchObject({ object: 'cash_balance', available: { jpy: 0 }, settings: { reconciliation_mode: 'automatic' } });

    await fund(customer.id, 10000, 'jpy');
    const paid = await t.stripe.paymentIntents.retrieve(pi.id);
    expect(paid).toMatchObject({ status: 'succeeded', amount_received: 20000, next_action: null });
    const charge = await t.stripe.charges.retrieve(paid.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', amount: 20000, payment_method_details: { type: 'customer_balance' } });

    const ledger = await t.stripe.customers.listCashBalanceTransactions(customer.id);
    expect(ledger.data.map((x) => [x.type, x.net_amount, x.ending_balance])).toEqual([
      ['applied_to_payment', -10000, 0],
      ['funded', 10000, 10000],
      ['applied_to_payment', -10000, 0],
      ['funded', 10000, 10000],
    ]);
    expect(await t.stripe.customers.retrieveCashBalanceTransaction(customer.id, ledger.data[0].id)).toEqual(ledger.data[0]);
    expect((await types()).filter((x) => x !== 'customer.created')).toEqual([
      'payment_intent.created', 'payment_intent.requires_action',
      'customer_cash_balance_transaction.created', 'cash_balance.funds_available', 'customer_cash_balance_transaction.created', 'payment_intent.partially_funded',
      'customer_cash_balance_transaction.created', 'cash_balance.funds_available', 'customer_cash_balance_transaction.created', 'charge.succeeded', 'payment_intent.succeeded',
    ]);
  });

  it('funds no intent waits for stay in the cash balance and pay the next confirmation at once', async () => {
    const customer = await t.stripe.customers.create({});
    await fund(customer.id, 5000, 'usd');
    const withCash = await t.stripe.customers.retrieve(customer.id, { expand: ['cash_balance'] });
    expect((withCash as Stripe.Customer).cash_balance).toMatchObject({ available: { usd: 5000 } });
    const pi = await transfer(customer.id, 3000, 'usd');
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 3000, next_action: null });
    const events = (await t.stripe.events.list({ limit: 100 })).data.filter((e) => (e.data.object as any).id === pi.id).map((e) => e.type).reverse();
    expect(events).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
    expect(await t.stripe.customers.retrieveCashBalance(customer.id)).toMatchObject({ available: { usd: 2000 } });
  });

  it('a transfer naming an intent\'s reference pays that intent first', async () => {
    const customer = await t.stripe.customers.create({});
    const first = await transfer(customer.id, 1000, 'usd');
    const second = await transfer(customer.id, 1000, 'usd');
    await fund(customer.id, 1000, 'usd', second.next_action!.display_bank_transfer_instructions!.reference!);
    expect((await t.stripe.paymentIntents.retrieve(second.id)).status).toBe('succeeded');
    expect((await t.stripe.paymentIntents.retrieve(first.id)).status).toBe('requires_action');
  });

  it('refuses a customer_balance intent without a customer, and funding an unknown customer', async () => {
    const err = await stripeError(
      t.stripe.paymentIntents.create({
        amount: 1000, currency: 'usd', allowed_payment_method_types: ['customer_balance'], payment_method_data: { type: 'customer_balance' },
        payment_method_options: { customer_balance: { funding_type: 'bank_transfer', bank_transfer: { type: 'us_bank_transfer' } } }, confirm: true,
      }),
    );
    expect(err).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(await stripeError(fund('cus_missing', 100, 'usd'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});
