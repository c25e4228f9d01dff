import path from 'node:path';
import { freshKey, runModuleScript, useHarness } from '../helpers';

// mppx 0.11's real Stripe seller (`mppx/server` stripe.charge with a stripe-node
// client pointed at the twin) and its real buyer (`mppx/client`, minting the SPT
// with the twin's test helper as mppx's CLI does), run unchanged against the twin
// in a child process (mppx is ESM-only): 402, then 200 with a receipt naming the
// PaymentIntent; the same credential again refused because the twin answers
// mppx's Idempotency-Key with Idempotent-Replayed; the same token under a new
// challenge refused by the token's single use (docs/agents.md §2.7, §2.9).

const SCRIPT = path.join(__dirname, 'mppx_stripe_charge.mjs');

describe('mppx seller and buyer against the twin', () => {
  const t = useHarness('http');

  it('charges with an SPT: 200 and a receipt, a replayed credential and a reused token refused', async () => {
    const sellerKey = freshKey('mppx_seller');
    const seller = t.h.stripe(sellerKey);
    const { json } = await t.h.admin('GET', '/__admin__/profile', undefined, sellerKey);
    const profile: string = json.network_business_profile;

    const { result: seen } = await runModuleScript(SCRIPT, { TWIN_URL: t.h.url, SELLER_KEY: sellerKey, BUYER_KEY: t.key, PROFILE: profile });
    expect(seen.error).toBeUndefined();
    expect(seen.unpaid.status).toBe(402);
    expect(seen.unpaid.challenge).toMatch(/^Payment .*method="stripe"/);

    const pis = (await seller.paymentIntents.list()).data;
    expect(pis).toHaveLength(1);
    const [pi] = pis;
    expect(seen.paid).toMatchObject({ status: 200, body: { data: 'paid content' }, receipt: { method: 'stripe', status: 'success', reference: pi.id } });
    expect(pi).toMatchObject({
      amount: 50,
      currency: 'usd',
      status: 'succeeded',
      shared_payment_granted_token: seen.minted[0],
      metadata: { machine_payment: 'true', mpp_intent: 'charge', mpp_sdk: expect.stringMatching(/^mppx\//) },
    });

    expect(seen.replayed.status).toBe(402);
    expect(seen.replayed.body).toMatchObject({ type: 'https://paymentauth.org/problems/verification-failed', detail: expect.stringContaining('already been processed') });
    expect(seen.reused.status).toBe(402);
    expect(seen.reused.body).toMatchObject({ type: 'https://paymentauth.org/problems/verification-failed', detail: expect.stringContaining('already been used') });
    expect(await seller.paymentIntents.list()).toMatchObject({ data: [{ id: pi.id }] });

    // What the twin saw: mppx's request, its key, the preview version, and the replay.
    const { json: log } = await t.h.admin('GET', '/__admin__/requests?path=/v1/payment_intents', undefined, sellerKey);
    const creates = log.data.filter((r: any) => r.method === 'POST');
    // Oldest first: the payment, its replay, then the reused token's refusals (mppx's buyer retries a refused payment).
    const [paid, replay, ...refused] = creates.reverse();
    expect([paid.status, paid.replayed, replay.status, replay.replayed]).toEqual([200, false, 200, true]);
    expect(paid.idempotency_key).toMatch(new RegExp(`^mpp_[A-Za-z0-9_-]+_${seen.minted[0]}$`));
    expect(replay.idempotency_key).toBe(paid.idempotency_key);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r: any) => r.status === 400 && !r.replayed && r.idempotency_key !== paid.idempotency_key)).toBe(true);
  }, 60000);
});
