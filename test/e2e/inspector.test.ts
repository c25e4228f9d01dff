import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import Stripe from 'stripe';
import { createTwin, TwinHandle } from '../../src';
import { cli, stop } from '../helpers';
import { Receiver } from '../webhook_receiver';

// The inspector (src/control/inspector, docs/inspector.md) in a real headless
// browser (Debian's chromium through playwright-core) over a served twin: who may
// use it (the control token once in the URL, then an HttpOnly SameSite=Strict
// session cookie; nothing readable without; a cross-origin POST refused), and
// what it shows and does — worlds, objects with linked JSON, search, events
// with their deliveries and a resend, the request log with an idempotent
// replay, the clock and a test clock, a trigger. Screenshots go to SHOTS.

jest.setTimeout(90_000);

const SHOTS = process.env.INSPECTOR_SHOTS ?? path.join(os.tmpdir(), 'stripe-twin-inspector-shots');
const TOKEN = 'twinctl_inspector_test_token_0123456789';

describe('the inspector in a browser', () => {
  let twin: TwinHandle;
  let url = '';
  let close: () => Promise<void>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: Receiver;
  /** Another origin on this machine (another port of 127.0.0.1: same site, other origin), serving a hostile page. */
  let evil: http.Server;
  let evilUrl = '';
  let evilPage = '';
  const key = 'sk_test_inspector_world';
  let stripe: Stripe;
  let account = '';

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    twin = createTwin({ controlToken: TOKEN });
    const served = await twin.listen(0);
    url = served.url;
    close = served.close;
    const port = Number(new URL(url).port);
    stripe = new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
    await stripe.customers.list({ limit: 1 }); // opens the world
    account = twin.engine.world(key).accountId;
    receiver = await Receiver.start();
    evil = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(evilPage));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await close?.();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(8000);
    page = await context.newPage();
  });
  afterEach(() => context.close());

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const login = async () => {
    await page.goto(`${url}/__inspector__?token=${TOKEN}`);
    expect(page.url()).toBe(`${url}/__inspector__`);
  };
  const world = () => `${url}/__inspector__/w/${account}`;
  /** Clicks a submit button and waits for the page its form leads to. */
  const submit = async (selector: string) => {
    await Promise.all([page.waitForEvent('framenavigated'), page.click(selector)]);
    await page.waitForLoadState('load');
  };
  const flash = () => page.locator('.flash strong').first().innerText();

  it('shows nothing without the control token: a login page, 401, for a missing, wrong or stale credential', async () => {
    const customer = await stripe.customers.create({ email: 'secret@example.com' });
    for (const target of ['/__inspector__', `/__inspector__/w/${account}`, `/__inspector__/w/${account}/o/${customer.id}`, `/__inspector__/w/${account}/requests`]) {
      const res = await page.goto(`${url}${target}`);
      expect(res!.status()).toBe(401);
      const text = await page.locator('main').innerText();
      expect(text).toContain('Control token');
      expect(text).not.toContain(customer.id);
      expect(text).not.toContain('secret@example.com');
    }
    await shot('01-login');
    // A wrong token in the URL: the same page, saying so, and no cookie.
    const wrong = await page.goto(`${url}/__inspector__?token=twinctl_not_the_token_at_all`);
    expect(wrong!.status()).toBe(401);
    expect(await page.locator('[role=alert]').innerText()).toBe("That is not this twin's control token.");
    expect(await context.cookies()).toEqual([]);
    // Pasted into the form: a wrong one is refused, the right one opens the page first asked for.
    await page.goto(`${url}/__inspector__/w/${account}/o/${customer.id}`);
    await page.fill('input[name=token]', 'twinctl_still_not_the_token');
    await submit('#login');
    expect(await page.locator('[role=alert]').innerText()).toBe("That is not this twin's control token.");
    await page.fill('input[name=token]', TOKEN);
    await submit('#login');
    expect(page.url()).toBe(`${url}/__inspector__/w/${account}/o/${customer.id}`);
    expect(await page.locator('h1').innerText()).toBe(customer.id);
    // A made-up cookie, a wrong header: 401. The token in a header (a script) works without a session.
    const plain = (headers: Record<string, string>) => fetch(`${url}/__inspector__/w/${account}`, { headers });
    expect((await plain({ Cookie: 'stripe_twin_inspector=forged' })).status).toBe(401);
    expect((await plain({ 'Stripe-Twin-Control-Token': 'twinctl_wrong_wrong_wrong' })).status).toBe(401);
    expect((await plain({ Authorization: `Bearer ${key}` })).status).toBe(401); // an API key is not the owner's token
    expect((await plain({ 'Stripe-Twin-Control-Token': TOKEN })).status).toBe(200);
    expect((await plain({ Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    // Logging out ends the session: the cookie no longer opens anything.
    const cookie = (await context.cookies())[0];
    await submit('header button');
    expect(await context.cookies()).toEqual([]);
    expect((await plain({ Cookie: `${cookie.name}=${cookie.value}` })).status).toBe(401);
  });

  it('logs in from the URL serve prints: the token leaves the URL, the session cookie is HttpOnly and SameSite=Strict', async () => {
    const res = await fetch(`${url}/__inspector__?token=${TOKEN}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/__inspector__');
    expect(res.headers.get('set-cookie')).toMatch(/^stripe_twin_inspector=[A-Za-z0-9_-]{43}; Path=\/__inspector__; HttpOnly; SameSite=Strict$/);
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    await login();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'stripe_twin_inspector', path: '/__inspector__', httpOnly: true, sameSite: 'Strict' });
    // A browser at / or /__admin__ is shown the way in; API clients get JSON as before.
    await page.goto(`${url}/`);
    expect(page.url()).toBe(`${url}/__inspector__`);
    await page.goto(`${url}/__admin__`);
    expect(page.url()).toBe(`${url}/__inspector__`);
    const api = await fetch(`${url}/`, { headers: { Authorization: `Bearer ${key}` } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as any).error.type).toBe('invalid_request_error');
    const admin = await fetch(`${url}/__admin__`, { headers: { 'Stripe-Twin-Control-Token': TOKEN } });
    expect(((await admin.json()) as any).control.length).toBeGreaterThan(10);
  });

  it('worlds → a world → a type → an object whose JSON links to the objects it names; search', async () => {
    const customer = await stripe.customers.create({ email: 'jenny@example.com', name: 'Jenny Rosen' });
    await stripe.customers.create({ email: 'other@example.com' });
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    await login();
    const row = page.locator('tr', { hasText: account });
    expect(await row.innerText()).toContain('sk_test_');
    expect(await row.innerText()).not.toContain(key); // keys are masked
    await shot('02-worlds');
    await submit(`a:text("${account}")`);
    expect(page.url()).toBe(world());
    await shot('03-world');
    await submit('a:text-is("payment_intent")');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await submit(`a:text("${intent.id}")`);
    expect(await page.locator('h1').innerText()).toBe(intent.id);
    const pretty = await page.locator('pre.json').innerText();
    expect(JSON.parse(pretty)).toMatchObject({ id: intent.id, status: 'succeeded', amount: 2000, customer: customer.id });
    await shot('04-payment-intent');
    // The customer id in the JSON is a link to the customer's page; so is the charge.
    await submit(`pre.json a:has-text('"${customer.id}"')`);
    expect(page.url()).toBe(`${world()}/o/${customer.id}`);
    expect(await page.locator('pre.json').innerText()).toContain('"jenny@example.com"');
    // Search with Stripe's query language, through the Search API's own handler.
    await page.goto(`${world()}/t/customer`);
    expect(await page.locator('tbody tr').count()).toBe(await twin.engine.world(key).count('customer'));
    await page.fill('input[name=q]', 'email:"jenny@example.com"');
    await submit('button:text("Search")');
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody').innerText()).toContain(customer.id);
    await shot('05-search');
    await page.fill('input[name=q]', 'nonsense:"x"');
    await submit('button:text("Search")');
    expect(await page.locator('.flash.err').innerText()).toContain('unsupported search field');
    // Find by id from the world's page.
    await page.goto(world());
    await page.fill('input[name=q]', intent.latest_charge as string);
    await submit('button:text("Open")');
    expect(await page.locator('h1').innerText()).toBe(intent.latest_charge);
  });

  it("an event: its data.object, previous_attributes and webhook deliveries (attempts, responses); resend", async () => {
    let calls = 0;
    receiver.status = () => (++calls === 1 ? 500 : 200); // the first attempt fails, later ones succeed
    const endpoint = await stripe.webhookEndpoints.create({ url: `${receiver.url}/hooks`, enabled_events: ['customer.updated'] });
    const customer = await stripe.customers.create({ email: 'hooks@example.com' });
    await stripe.customers.update(customer.id, { name: 'Hooked' });
    const [event] = (await stripe.events.list({ type: 'customer.updated', limit: 1 })).data;
    await waitFor(() => calls >= 1);
    await login();
    await page.goto(`${world()}/events`);
    expect(await page.locator('tbody tr').first().innerText()).toContain('customer.updated');
    await shot('06-events');
    await submit(`a:text("${event.id}")`);
    expect(await page.locator('h1').innerText()).toBe(event.id);
    const sections = page.locator('section.card pre.json');
    expect(JSON.parse(await sections.nth(0).innerText())).toMatchObject({ id: customer.id, name: 'Hooked' });
    expect(JSON.parse(await sections.nth(1).innerText())).toEqual({ name: null });
    const delivery = page.locator('.delivery');
    expect(await delivery.innerText()).toContain(endpoint.id);
    expect(await delivery.locator('tbody tr').count()).toBe(1);
    expect(await delivery.locator('tbody tr').innerText()).toContain('500');
    expect(await delivery.locator('tbody tr').innerText()).toContain('receiver says 500');
    // Resend: through the control surface's resend, which delivers and waits.
    await submit('.delivery button:text("Resend")');
    expect(await flash()).toBe(`${event.id} resent: ${endpoint.id} succeeded`);
    expect(await delivery.locator('tbody tr').count()).toBe(2);
    expect(await delivery.locator('tbody tr').nth(1).innerText()).toContain('200');
    expect(await delivery.locator('.pill').first().innerText()).toBe('succeeded');
    await shot('07-event-deliveries');
    expect(calls).toBe(2);
    receiver.status = () => 200;
  });

  it('the request log: an idempotent replay with its headers and bodies', async () => {
    const params = { amount: 1500, currency: 'usd', metadata: { order: '42' } };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-42' });
    const again = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-42' });
    expect(again.id).toBe(first.id);
    await login();
    await page.goto(`${world()}/requests`);
    await page.fill('input[name=idempotency_key]', 'order-42');
    await submit('button:text("Filter")');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toContain('replayed');
    expect(await rows.nth(1).innerText()).not.toContain('replayed');
    await shot('08-requests');
    await submit('tbody tr >> nth=0 >> a');
    const text = await page.locator('main').innerText();
    expect(text).toContain('POST /v1/payment_intents');
    expect(text).toContain('Idempotent-Replayed: true');
    expect(text).toContain('amount=1500&currency=usd&metadata[order]=42');
    const response = JSON.parse(await page.locator('section:has(h2:text("Response")) pre.json').innerText());
    expect(response.id).toBe(first.id);
    // The form body decoded, as the parameters the endpoint received.
    expect(JSON.parse(await page.locator('section:has(h2:text("Request")) pre.json').innerText())).toEqual({ amount: '1500', currency: 'usd', metadata: { order: '42' } });
    // The original request the replay names is a link.
    expect(await page.locator('a', { hasText: /^req_/ }).last().getAttribute('href')).toMatch(/\/requests\/req_/);
    // Response headers as the client got them; the request's key masked.
    expect(text).toMatch(/idempotent-replayed\s+true/i);
    expect(text).toMatch(/original-request\s+req_/i);
    const all = (await page.locator('main').textContent())!; // the request's headers are folded away
    expect(all).not.toContain(key);
    expect(all).toMatch(/authorization\s*Bearer sk_test_\*+orld/);
    await shot('09-request');
  });

  it('the clock and a test clock advance; a trigger forces a dispute', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000, name: 'Renewals' });
    const intent = await stripe.paymentIntents.create({ amount: 5000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    await login();
    await page.goto(world());
    const before = (await twin.engine.world(key)).now();
    await page.fill('#clock input[name=duration]', '2d');
    await submit('#advance');
    expect(await flash()).toBe(`The clock is now ${new Date((before + 2 * 86400) * 1000).toISOString()}`);
    expect(twin.engine.world(key).now()).toBe(before + 2 * 86400);
    // A test clock, through the API's own advance route.
    const row = page.locator('#test-clocks tr', { hasText: clock.id });
    await row.locator('input[name=duration]').fill('1w');
    await submit(`#test-clocks tr:has-text("${clock.id}") button`);
    expect(await flash()).toContain(`${clock.id} advanced to ${new Date((1_800_000_000 + 7 * 86400) * 1000).toISOString()}`);
    expect((await stripe.testHelpers.testClocks.retrieve(clock.id)).frozen_time).toBe(1_800_000_000 + 7 * 86400);
    // A bad duration: the control surface's own message.
    await page.fill('#clock input[name=duration]', 'soon');
    await submit('#advance');
    expect(await flash()).toContain('"duration" must be a whole number and a unit');
    await shot('10-clock');
    // Triggers: the charge can be disputed.
    await page.goto(`${world()}/triggers`);
    const dispute = page.locator('section[id="dispute.created"]');
    expect(await dispute.innerText()).toContain(intent.latest_charge as string);
    await shot('11-triggers');
    await submit(`section[id="dispute.created"] tr:has-text("${intent.latest_charge}") button`);
    expect(await flash()).toBe(`dispute.created on ${intent.latest_charge}: charge.updated, charge.dispute.created, charge.dispute.funds_withdrawn`);
    await shot('12-trigger-done');
    const disputes = await stripe.disputes.list({ charge: intent.latest_charge as string });
    expect(disputes.data).toHaveLength(1);
  });

  it('refuses a POST from another origin, and one without the session CSRF token; only its own forms act', async () => {
    await login();
    const now = twin.engine.world(key).now();
    // A page on another port of 127.0.0.1 (the same site, so the SameSite=Strict cookie goes along): its form is refused.
    evilPage = `<!doctype html><form method="post" action="${world()}/advance"><input name="duration" value="30d"><input name="back" value="/__inspector__"><button id="go">Win a prize</button></form>`;
    await page.goto(evilUrl);
    const [refused] = await Promise.all([page.waitForResponse(`${world()}/advance`), page.click('#go')]);
    expect(refused.status()).toBe(403);
    expect(await page.locator('main').innerText()).toContain('cannot act through the inspector');
    await shot('13-csrf-refused');
    // The session's own CSRF token, from a page of another origin that sends no Sec-Fetch-Site (an older browser): the Origin check refuses it.
    await page.goto(world());
    const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value'))!;
    const [cookie] = await context.cookies();
    const other = await fetch(`${world()}/advance`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: `${cookie.name}=${cookie.value}`, Origin: evilUrl, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, duration: '30d' }).toString(),
    });
    expect(other.status).toBe(403);
    expect(await other.text()).toContain(`A page of another origin (${evilUrl}) cannot act`);
    // With the right origin it goes through: the refusals above were about where the form came from.
    const own = await fetch(`${world()}/advance`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: `${cookie.name}=${cookie.value}`, Origin: url, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, duration: '1h' }).toString(),
    });
    expect(own.status).toBe(303);
    expect(twin.engine.world(key).now()).toBe(now + 3600);
    // The same origin with the cookie but no CSRF token (a form the inspector did not give): refused too.
    const forged = await page.request.post(`${world()}/advance`, { form: { duration: '30d' }, headers: { Origin: url } });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('CSRF');
    expect(twin.engine.world(key).now()).toBe(now + 3600);
  });
});

describe('stripe-twin serve and the inspector', () => {
  it('prints the inspector URL; opening it in a browser logs in and drops the token from the address', async () => {
    const run = cli(['serve', '--port', '0', '--control-token', TOKEN]);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const [, printed] = await run.until(/inspect: +(\S+)/);
      expect(printed).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/__inspector__\\?token=${TOKEN}$`));
      const page = await browser.newPage();
      await page.goto(printed);
      expect(page.url()).toBe(printed.replace(/\?token=.*$/, ''));
      expect(await page.locator('h1').innerText()).toBe('Worlds');
    } finally {
      await browser.close();
      await stop(run.child);
    }
  });
});

async function waitFor(done: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
