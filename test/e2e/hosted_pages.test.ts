import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, chromium, Page } from 'playwright-core';
import Stripe from 'stripe';
import { useHarness } from '../helpers';

// The pages the twin serves (src/server/hosted.ts), driven by a real headless
// browser over HTTP: Checkout (success, decline then success, 3D Secure), a
// Payment Link purchase, and the customer portal adding a card. One screenshot
// per page goes to /tmp/shots/.

jest.setTimeout(60_000);

const SHOTS = '/tmp/shots';

describe('hosted pages in a browser', () => {
  const t = useHarness('http');
  let browser: Browser;
  /** The merchant's site: where success_url and cancel_url point; records what it was sent. */
  let shop: http.Server;
  let shopUrl = '';
  const visits: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    shop = http.createServer((req, res) => {
      visits.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Shop</title><h1 style="font-family:sans-serif">Order confirmed</h1>');
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => shop?.close(resolve));
  });

  let page: Page;
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  });
  afterEach(() => page.close());

  /** The text of the first element `selector` matches. */
  const text = (selector: string) => page.locator(selector).first().innerText();
  /** Clicks a submit button and waits for the page the form leads to. */
  const submit = async (selector = '#submit') => {
    await Promise.all([page.waitForEvent('framenavigated'), page.click(selector)]);
    await page.waitForLoadState('load');
  };
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const typeCard = async (number: string) => {
    await page.fill('input[name=cardNumber]', number);
    await page.fill('input[name=cardExpiry]', '12 / 34');
    await page.fill('input[name=cardCvc]', '123');
  };
  const types = async (stripe: Stripe) => (await stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();
  const session = async (extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) => {
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 1500, product_data: { name: 'Twin T-shirt' } });
    return t.stripe.checkout.sessions.create({
      mode: 'payment',
      success_url: `${shopUrl}/thanks?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${shopUrl}/cart`,
      line_items: [{ price: price.id, quantity: 2 }],
      ...extra,
    });
  };

  it('pays with 4242 and lands on success_url with the session id put in', async () => {
    const s = await session();
    await page.goto(s.url!);
    expect(await text('.big')).toBe('$30.00');
    expect(await page.locator('.items').innerText()).toContain('Twin T-shirt');
    expect(await page.getAttribute('a.back', 'href')).toBe(`${shopUrl}/cart`);
    await shot('checkout');
    await page.fill('input[name=email]', 'jane@example.com');
    await typeCard('4242 4242 4242 4242');
    await page.fill('input[name=billingName]', 'Jane Doe');
    await submit();
    await page.waitForURL(`${shopUrl}/thanks?session_id=${s.id}`);
    await shot('success');
    expect(visits).toContain(`/thanks?session_id=${s.id}`);
    const done = await t.stripe.checkout.sessions.retrieve(s.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', url: null, customer_details: { email: 'jane@example.com', name: 'Jane Doe' } });
    expect(await types(t.stripe)).toEqual([
      'product.created', 'price.created', 'payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed', 'charge.updated',
    ]);
    // Coming back to a completed or an expired session finds a plain message.
    await page.goto(s.url!);
    expect(await text('h1')).toBe('Payment complete');
    const expired = await session();
    await t.stripe.checkout.sessions.expire(expired.id);
    await page.goto(expired.url!);
    expect(await text('h1')).toBe('This Checkout Session has expired');
    await shot('expired');
  });

  it("shows Stripe's decline message, then succeeds with another card on the same session", async () => {
    const s = await session();
    await page.goto(s.url!);
    await page.fill('input[name=email]', 'pat@example.com');
    await typeCard('4000 0000 0000 0002');
    await submit();
    expect(await text('.error')).toBe('Your card was declined.');
    await shot('declined');
    expect((await t.stripe.checkout.sessions.retrieve(s.id)).status).toBe('open');
    await typeCard('4000 0000 0000 9995');
    await submit();
    expect(await text('.error')).toBe('Your card has insufficient funds.');
    await typeCard('4242424242424242');
    await submit();
    await page.waitForURL(`${shopUrl}/thanks?session_id=${s.id}`);
    const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent.latest_charge'] });
    expect(done.status).toBe('complete');
    expect(((done.payment_intent as Stripe.PaymentIntent).latest_charge as Stripe.Charge).payment_method_details!.card!.last4).toBe('4242');
    expect((await t.stripe.charges.list({ payment_intent: (done.payment_intent as Stripe.PaymentIntent).id })).data.map((c) => c.status)).toEqual(['succeeded', 'failed', 'failed']);
  });

  it('a subscription: the page shows the recurring price, a declined card first, then the subscription is made and active', async () => {
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 2500, recurring: { interval: 'month' }, product_data: { name: 'Twin Pro' } });
    const s = await t.stripe.checkout.sessions.create({ mode: 'subscription', success_url: `${shopUrl}/welcome?session_id={CHECKOUT_SESSION_ID}`, line_items: [{ price: price.id, quantity: 1 }] });
    await page.goto(s.url!);
    expect(await page.locator('.items').innerText()).toContain('Twin Pro');
    await page.fill('input[name=email]', 'sub@example.com');
    await typeCard('4000 0000 0000 0002');
    await submit();
    expect(await text('.error')).toBe('Your card was declined.');
    await shot('subscription');
    await typeCard('4242 4242 4242 4242');
    await submit();
    await page.waitForURL(`${shopUrl}/welcome?session_id=${s.id}`);
    const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription', 'invoice'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', mode: 'subscription' });
    expect(done.subscription).toMatchObject({ status: 'active', customer: done.customer });
    expect(done.invoice).toMatchObject({ status: 'paid', amount_paid: 2500, billing_reason: 'subscription_create' });
    expect((await t.stripe.customers.retrieve(done.customer as string)) as Stripe.Customer).toMatchObject({ email: 'sub@example.com' });
  });

  it('takes a 3D Secure card through the challenge page: failing returns to the form with the reason, completing pays', async () => {
    const s = await session();
    await page.goto(s.url!);
    await page.fill('input[name=email]', 'sca@example.com');
    await typeCard('4000 0027 6000 3184');
    await submit();
    await page.waitForURL(`**/c/pay/${s.id}/authenticate`);
    expect(await text('h1')).toBe('3D Secure 2 test page');
    await shot('challenge');
    await submit('#fail');
    expect(await text('.error')).toContain('failed authentication');
    await shot('challenge_failed');
    await typeCard('4000 0027 6000 3184');
    await submit();
    await page.waitForURL(`**/c/pay/${s.id}/authenticate`);
    await submit('#complete');
    await page.waitForURL(`${shopUrl}/thanks?session_id=${s.id}`);
    const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const charges = await t.stripe.charges.list({ payment_intent: (done.payment_intent as Stripe.PaymentIntent).id });
    expect(charges.data[0].payment_method_details!.card!.three_d_secure).toMatchObject({ result: 'authenticated' });
  });

  it('buys through a Payment Link: a new session with payment_link set, then its confirmation', async () => {
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 2500, product_data: { name: 'Twin hoodie' } });
    const link = await t.stripe.paymentLinks.create({
      line_items: [{ price: price.id, quantity: 1 }],
      after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Thanks! Your hoodie ships <soon>.' } },
    });
    await page.goto(link.url);
    await page.waitForURL(/\/c\/pay\/cs_test_a1/);
    expect(await text('.big')).toBe('$25.00');
    await shot('payment_link_checkout');
    const sessionId = new URL(page.url()).pathname.split('/').pop()!;
    await page.fill('input[name=email]', 'lee@example.com');
    await typeCard('4242 4242 4242 4242');
    await submit();
    expect(await text('h1')).toBe('Payment complete');
    expect(await page.locator('.card p').last().innerText()).toBe('Thanks! Your hoodie ships <soon>.');
    await shot('payment_link_confirmation');
    expect(await t.stripe.checkout.sessions.retrieve(sessionId)).toMatchObject({ payment_link: link.id, status: 'complete', payment_status: 'paid' });
    await t.stripe.paymentLinks.update(link.id, { active: false });
    await page.goto(link.url);
    expect(await text('h1')).toBe('This link is inactive');
    await shot('payment_link_inactive');
  });

  it('adds a card in the customer portal and makes it the default; the return link goes back', async () => {
    const customer = await t.stripe.customers.create({ email: 'kim@example.com', name: 'Kim <Admin>' });
    await t.stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
    const portal = await t.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: `${shopUrl}/account` });
    await page.goto(portal.url);
    expect(await text('.big')).toBe('Kim <Admin>');
    expect(await page.locator('.items').first().innerText()).toContain('Mastercard •••• 4444');
    await shot('portal');
    await typeCard('4000 0000 0000 0002');
    await submit();
    expect(await text('.error')).toBe('Your card was declined.');
    await typeCard('4242 4242 4242 4242');
    await page.fill('input[name=billingName]', 'Kim');
    await submit();
    expect(await text('.items li')).toContain('Visa •••• 4242');
    expect(await text('.items li')).toContain('Default');
    await shot('portal_card_added');
    const updated = await t.stripe.customers.retrieve(customer.id);
    const pms = await t.stripe.customers.listPaymentMethods(customer.id);
    expect(pms.data.map((pm) => pm.card!.last4).sort()).toEqual(['4242', '4444']);
    expect((updated as Stripe.Customer).invoice_settings.default_payment_method).toBe(pms.data.find((pm) => pm.card!.last4 === '4242')!.id);
    await page.click('a.back');
    await page.waitForURL(`${shopUrl}/account`);
    expect((await types(t.stripe)).filter((e) => e.startsWith('payment_method') || e === 'customer.updated')).toEqual([
      'payment_method.attached', 'payment_method.attached', 'customer.updated',
    ]);
  });
  it('cancels a subscription from the customer portal at the end of its period', async () => {
    const customer = await t.stripe.customers.create({ email: 'lee@example.com', name: 'Lee' });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const price = await t.stripe.prices.create({ currency: 'usd', unit_amount: 900, recurring: { interval: 'month' }, nickname: 'Basic', product_data: { name: 'Basic' } });
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const portal = await t.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: `${shopUrl}/account` });
    await page.goto(portal.url);
    expect(await page.locator('.items').nth(1).innerText()).toContain('Basic ×1');
    await shot('portal_subscription');
    await submit(`#cancel-${sub.id}`);
    expect(await page.locator('.items').nth(1).innerText()).toContain('cancels at period end');
    const after = await t.stripe.subscriptions.retrieve(sub.id);
    expect(after).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: sub.items.data[0].current_period_end, cancellation_details: { reason: 'cancellation_requested' } });
  });
});
