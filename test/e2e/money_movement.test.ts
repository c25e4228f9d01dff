import Stripe from 'stripe';
import { keyOf, MODES, stripeError, useHarness } from '../helpers';

// Charges (docs/stripe-facts.md §5), refunds (§6), balance (§7) and disputes (§8) through the SDK.

describe.each(MODES)('charges, refunds, balance and disputes (%s)', (mode) => {
  const t = useHarness(mode);
  const pay = (amount: number, pm = 'pm_card_visa', extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
    t.stripe.paymentIntents.create({ amount, currency: 'usd', payment_method: pm, confirm: true, allowed_payment_method_types: ['card'], capture_method: 'automatic', ...extra });
  const advance = (duration: string) => t.h.admin('POST', '/__admin__/clock/advance', { duration }, keyOf(t.stripe));

  it('shapes a succeeded charge like recorded traffic', async () => {
    const pi = await pay(2500, 'pm_card_visa', { description: 'Order 7', metadata: { order: '7' } });
    const charge = await t.stripe.charges.retrieve(pi.latest_charge as string);
    expect(Object.keys(charge)).toEqual([
      'id', 'object', 'amount', 'amount_captured', 'amount_refunded', 'application', 'application_fee', 'application_fee_amount',
      'balance_transaction', 'billing_details', 'calculated_statement_descriptor', 'captured', 'created', 'currency', 'customer',
      'description', 'destination', 'dispute', 'disputed', 'failure_balance_transaction', 'failure_code', 'failure_message',
      'fraud_details', 'livemode', 'metadata', 'on_behalf_of', 'order', 'outcome', 'paid', 'payment_intent', 'payment_method',
      'payment_method_details', 'radar_options', 'receipt_email', 'receipt_number', 'receipt_url', 'refunded', 'review', 'shipping',
      'source', 'source_transfer', 'statement_descriptor', 'statement_descriptor_suffix', 'status', 'transfer_data', 'transfer_group',
    ]);
    expect(charge).toMatchObject({ description: 'Order 7', metadata: { order: '7' }, paid: true, receipt_url: expect.stringMatching(/^https:\/\/pay\.stripe\.com\/receipts\/payment\//) });
    expect(charge.payment_method_details!.card).toMatchObject({ brand: 'visa', last4: '4242', amount_authorized: 2500, network: 'visa', authorization_code: expect.stringMatching(/^\d{6}$/) });
    const bt = await t.stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    expect(bt).toMatchObject({ amount: 2500, fee: 103, net: 2397, currency: 'usd', type: 'charge', balance_type: 'payments', status: 'pending' });
    expect(bt.fee_details).toEqual([{ amount: 103, application: null, currency: 'usd', description: 'Stripe processing fees', type: 'stripe_fee' }]);
    expect(bt.available_on).toBe((Math.floor(bt.created / 86400) + 7) * 86400);
  });

  it('updates charges with charge.updated and lists them by payment_intent', async () => {
    const pi = await pay(1000);
    const updated = await t.stripe.charges.update(pi.latest_charge as string, { description: 'new', metadata: { k: 'v' } });
    expect(updated).toMatchObject({ description: 'new', metadata: { k: 'v' } });
    const event = (await t.stripe.events.list({ type: 'charge.updated' })).data[0];
    expect(event.data.previous_attributes).toEqual({ description: null, metadata: { k: null } });
    await pay(1100);
    expect((await t.stripe.charges.list({ payment_intent: pi.id })).data.map((c) => c.id)).toEqual([pi.latest_charge]);
    expect((await t.stripe.charges.list()).data).toHaveLength(2);
  });

  it('refunds partially then fully, on a PaymentIntent or a charge, with Stripe’s errors after', async () => {
    const pi = await pay(2000);
    const charge = pi.latest_charge as string;
    const r1 = await t.stripe.refunds.create({ payment_intent: pi.id, amount: 500, reason: 'requested_by_customer' });
    expect(Object.keys(r1)).toEqual([
      'id', 'object', 'amount', 'balance_transaction', 'charge', 'created', 'currency', 'customer', 'customer_account', 'destination_details',
      'metadata', 'payment_intent', 'payment_method', 'reason', 'receipt_number', 'source_transfer_reversal', 'status', 'transfer_reversal',
    ]);
    expect(r1).toMatchObject({ amount: 500, charge, status: 'succeeded', reason: 'requested_by_customer', destination_details: { card: { reference_status: 'pending', type: 'refund' }, type: 'card' } });
    expect(r1.id).toMatch(/^re_3/);
    const tooMuch = await stripeError(t.stripe.refunds.create({ charge, amount: 1600 }));
    expect(tooMuch).toMatchObject({ statusCode: 400, param: 'amount', message: 'Refund amount ($16.00) is greater than unrefunded amount on charge ($15.00)' });
    const r2 = await t.stripe.refunds.create({ charge });
    expect(r2.amount).toBe(1500);
    const c = await t.stripe.charges.retrieve(charge, { expand: ['refunds'] });
    expect(c).toMatchObject({ amount_refunded: 2000, refunded: true });
    expect(c.refunds).toMatchObject({ object: 'list', total_count: 2, has_more: false, url: `/v1/charges/${charge}/refunds` });
    expect(c.refunds!.data.map((r) => r.id)).toEqual([r2.id, r1.id]);
    const twice = await stripeError(t.stripe.refunds.create({ charge }));
    expect(twice).toMatchObject({ code: 'charge_already_refunded', message: `Charge ${charge} has already been refunded.` });
    expect((await t.stripe.paymentIntents.retrieve(pi.id))).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    const bt = await t.stripe.balanceTransactions.retrieve(r1.balance_transaction as string);
    expect(bt).toMatchObject({ amount: -500, fee: 0, net: -500, type: 'refund', reporting_category: 'refund', source: r1.id });
    const types = (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();
    expect(types.slice(-4)).toEqual(['charge.refunded', 'refund.created', 'charge.refunded', 'refund.created']);
    const refunded = (await t.stripe.events.list({ type: 'charge.refunded' })).data[0];
    expect(refunded.data.previous_attributes).toEqual({ amount_refunded: 500, refunded: false });
    expect((await t.stripe.refunds.list({ charge })).data).toHaveLength(2);
    const noCharge = await t.stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    expect((await stripeError(t.stripe.refunds.create({ payment_intent: noCharge.id }))).statusCode).toBe(400);
  });

  it('updates refund metadata with refund.updated and charge.refund.updated', async () => {
    const pi = await pay(1000);
    const r = await t.stripe.refunds.create({ payment_intent: pi.id });
    await t.stripe.refunds.update(r.id, { metadata: { order_id: '6735' } });
    const events = (await t.stripe.events.list({ types: ['refund.updated', 'charge.refund.updated'] })).data;
    expect(events.map((e) => e.type).sort()).toEqual(['charge.refund.updated', 'refund.updated']);
    expect(events[0].data.previous_attributes).toEqual({ metadata: { order_id: null } });
  });

  it('moves pending funds to available on the world clock and announces balance.available', async () => {
    await pay(1000);
    await pay(2000, 'pm_card_bypassPending');
    let balance = await t.stripe.balance.retrieve();
    expect(balance).toMatchObject({ object: 'balance', livemode: false });
    expect(balance.available).toEqual([{ amount: 1912, currency: 'usd', source_types: { card: 1912 } }]);
    expect(balance.pending).toEqual([{ amount: 941, currency: 'usd', source_types: { card: 941 } }]);
    await advance('8d');
    balance = await t.stripe.balance.retrieve();
    expect(balance.available[0].amount).toBe(2853);
    expect(balance.pending[0].amount).toBe(0);
    const event = (await t.stripe.events.list({ type: 'balance.available' })).data[0];
    expect((event.data.object as any).available[0].amount).toBe(2853);
    expect(event.request).toEqual({ id: null, idempotency_key: null });
    const txns = await t.stripe.balanceTransactions.list({ type: 'charge' });
    expect(txns.data.every((t) => t.status === 'available')).toBe(true);
  });

  it('releases a manual authorization after 7 days as charge.expired and payment_intent.canceled', async () => {
    const pi = await pay(1500, 'pm_card_visa', { capture_method: 'manual' });
    await advance('7d');
    expect(await t.stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ status: 'canceled', cancellation_reason: 'automatic' });
    const refunds = await t.stripe.refunds.list({ payment_intent: pi.id });
    expect(refunds.data[0]).toMatchObject({ reason: 'expired_uncaptured_charge', amount: 1500 });
    const types = (await t.stripe.events.list()).data.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['payment_intent.canceled', 'charge.expired']);
  });

  it('settles the pending-refund card later and fails the refund-fail card later (docs/stripe-facts.md §4.6)', async () => {
    const pending = await t.stripe.refunds.create({ payment_intent: (await pay(1000, 'pm_card_pendingRefund')).id });
    const failing = await t.stripe.refunds.create({ payment_intent: (await pay(1000, 'pm_card_refundFail')).id });
    expect(pending.status).toBe('pending');
    expect(failing.status).toBe('succeeded');
    await advance('2m');
    expect((await t.stripe.refunds.retrieve(pending.id)).status).toBe('succeeded');
    const failed = await t.stripe.refunds.retrieve(failing.id);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card', failure_balance_transaction: expect.stringMatching(/^txn_/) });
    expect((await t.stripe.charges.retrieve(failed.charge as string))).toMatchObject({ amount_refunded: 0, refunded: false });
    const types = (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['refund.failed', 'charge.refund.updated', 'refund.updated']));
  });

  it('releases an authorization on the refund cards as a reversal that neither waits nor fails (docs/stripe-facts.md §3.3 T9, §4.6, §6)', async () => {
    const held = await pay(1000, 'pm_card_pendingRefund', { capture_method: 'manual' });
    const doomed = await pay(1200, 'pm_card_refundFail', { capture_method: 'manual' });
    await t.stripe.paymentIntents.cancel(held.id);
    await t.stripe.paymentIntents.cancel(doomed.id);
    const [reversal] = (await t.stripe.refunds.list({ payment_intent: held.id })).data;
    const [kept] = (await t.stripe.refunds.list({ payment_intent: doomed.id })).data;
    expect(reversal).toMatchObject({ amount: 1000, status: 'succeeded', balance_transaction: null, destination_details: { card: { type: 'reversal' }, type: 'card' } });
    expect(kept).toMatchObject({ amount: 1200, status: 'succeeded', balance_transaction: null });
    await advance('2m');
    expect(await t.stripe.refunds.retrieve(reversal.id)).toMatchObject({ status: 'succeeded' });
    const after = await t.stripe.refunds.retrieve(kept.id);
    expect(after.status).toBe('succeeded');
    expect(after).not.toHaveProperty('failure_reason');
    expect(await t.stripe.charges.retrieve(doomed.latest_charge as string)).toMatchObject({ amount_refunded: 1200, refunded: true, captured: false });
    const types = (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    expect(types).not.toContain('refund.failed');
    expect(types).not.toContain('refund.updated');
    expect((await t.stripe.balanceTransactions.list({ type: 'refund_failure' as any })).data).toEqual([]);
  });

  it('opens a dispute on the dispute cards, withdraws funds, and resolves it on evidence', async () => {
    const pi = await pay(3000, 'pm_card_createDispute');
    const list = await t.stripe.disputes.list({ payment_intent: pi.id });
    expect(list.data).toHaveLength(1);
    const dispute = list.data[0];
    expect(dispute).toMatchObject({ amount: 3000, status: 'needs_response', reason: 'fraudulent', charge: pi.latest_charge, is_charge_refundable: false });
    expect(dispute.balance_transactions[0]).toMatchObject({ amount: -3000, fee: 2000, net: -5000, type: 'adjustment', reporting_category: 'dispute', description: `Chargeback withdrawal for ${pi.latest_charge}` });
    expect((await t.stripe.charges.retrieve(pi.latest_charge as string)).disputed).toBe(true);
    const refused = await stripeError(t.stripe.refunds.create({ payment_intent: pi.id }));
    expect(refused).toMatchObject({ code: 'charge_disputed', message: `Charge ${pi.latest_charge} has been charged back; cannot issue a refund.` });
    // Evidence files name File uploads, which the twin never has: Stripe's resource_missing, nothing submitted.
    const file = await stripeError(t.stripe.disputes.update(dispute.id, { evidence: { receipt: 'file_missing' }, submit: true }));
    expect(file).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'evidence[receipt]', message: "No such file upload: 'file_missing'" });
    expect((await t.stripe.disputes.retrieve(dispute.id)).status).toBe('needs_response');
    const submitted = await t.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' }, submit: true });
    expect(submitted.status).toBe('under_review');
    const won = await t.stripe.disputes.retrieve(dispute.id);
    expect(won.status).toBe('won');
    expect(won.balance_transactions).toHaveLength(2);
    const types = (await t.stripe.events.list({ type: 'charge.dispute.*' })).data.map((e) => e.type).reverse();
    expect(types).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_reinstated']);

    const inquiry = await pay(1000, 'pm_card_createDisputeInquiry');
    const [warning] = (await t.stripe.disputes.list({ payment_intent: inquiry.id })).data;
    expect(warning).toMatchObject({ status: 'warning_needs_response', balance_transactions: [] });
    const lost = await pay(1000, 'pm_card_createDisputeProductNotReceived');
    const [pnr] = (await t.stripe.disputes.list({ payment_intent: lost.id })).data;
    expect(pnr.reason).toBe('product_not_received');
    expect((await t.stripe.disputes.close(pnr.id)).status).toBe('lost');
  });
});
