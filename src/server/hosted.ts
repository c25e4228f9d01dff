import { StripeError } from '../engine/errors';
import { formatAmount } from '../engine/money';
import { Twin } from '../engine/twin';
import { Ctx, StripeObject, World } from '../engine/world';
import { lineItemsOf } from '../resources/checkout/line_items';
import { addPortalCard, cancelPortalSubscription, CardForm, payWithCard, portalView } from '../resources/checkout/pages';
import { accountBlockOfLinkToken, PaymentLink, paymentLinkByToken, sessionFromLink } from '../resources/checkout/payment_links';
import { accountBlockOfPortalToken, PortalSession, portalSessionByToken } from '../resources/checkout/portal';
import { CheckoutSession } from '../resources/checkout/session_state';
import { accountBlockOfSession, authenticateSession, displayName, pendingChallenge, recoverSession } from '../resources/checkout/sessions';
import { MAX_BODY_BYTES, TwinRequest, TwinResponse } from './stages';

// The pages the twin serves itself, as Stripe serves checkout.stripe.com,
// buy.stripe.com and billing.stripe.com: plain HTML with inline CSS, forms that
// post back here, no script. Objects' `url` fields point at them (WorldConfig.publicUrl).
//
//   GET/POST /c/pay/{cs_…}               a Checkout Session: pay or set up with a test card
//   GET/POST /c/pay/{cs_…}/authenticate  the 3D Secure challenge of a test card (complete / fail)
//   GET      /b/{token}                  a Payment Link: a new session, then its page
//   GET      /r/{cs_…}                   an expired session's recovery URL: a new session, then its page
//   GET/POST /p/session/{token}          a customer portal session: payment methods, add a card
//
// The id or token in the URL names the account (its id block), as Stripe's do. What
// the pages change runs as the customer's browser would make it happen on Stripe:
// in a transaction, with events that carry no API request. Everything a user or
// merchant gave (names, emails, URLs, messages) is HTML-escaped.

/** Paths the hosted pages answer. */
export const isHostedPath = (path: string) => /^\/(c\/pay|b|r|p\/session)\//.test(path);

/** The account block a page's path carries (its session id or token names its account), or null: how a router places a page (docs/scaling.md). */
export function pageAccountBlock(path: string): string | null {
  let m: RegExpMatchArray | null;
  if ((m = path.match(/^\/(?:c\/pay|r)\/([A-Za-z0-9_]+)/))) return accountBlockOfSession(m[1]);
  if ((m = path.match(/^\/b\/([A-Za-z0-9_]+)/))) return accountBlockOfLinkToken(m[1]);
  if ((m = path.match(/^\/p\/session\/([A-Za-z0-9_+/]+?)\/?$/))) return accountBlockOfPortalToken(m[1]);
  return null;
}

export async function hostedPage(twin: Twin, req: TwinRequest, path: string): Promise<TwinResponse> {
  const method = req.method.toUpperCase();
  let world: World | undefined;
  try {
    const form = method === 'POST' ? await readForm(req) : new URLSearchParams();
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/c\/pay\/([A-Za-z0-9_]+)(\/authenticate)?\/?$/))) {
      world = accountOf(twin, accountBlockOfSession(m[1]));
      const page = m[2] ? challengePage : checkoutPage;
      return world ? page(world, m[1], method, form) : notFound();
    }
    if ((m = path.match(/^\/b\/([A-Za-z0-9_]+)\/?$/)) && method === 'GET') {
      world = accountOf(twin, accountBlockOfLinkToken(m[1]));
      return world ? linkPage(world, m[1]) : notFound();
    }
    if ((m = path.match(/^\/r\/([A-Za-z0-9_]+)\/?$/)) && method === 'GET') {
      world = accountOf(twin, accountBlockOfSession(m[1]));
      return world ? recoveryPage(world, m[1]) : notFound();
    }
    if ((m = path.match(/^\/p\/session\/([A-Za-z0-9_+/]+)\/?$/))) {
      world = accountOf(twin, accountBlockOfPortalToken(m[1]));
      return world ? portalPage(world, m[1], method, form) : notFound();
    }
    return notFound();
  } catch (e) {
    // A page never answers with the API's JSON: an unexpected error (its transaction rolled back) is a plain 500 page.
    const [status, text] = e instanceof PageError ? [e.status, e.message] : [500, 'An unexpected error occurred. Nothing was charged.'];
    if (!(e instanceof PageError)) process.stderr.write(`stripe-twin: page ${path}: ${e instanceof Error ? e.stack : String(e)}\n`);
    return html(status, page('Something went wrong', `<div class="card narrow"><h1>Something went wrong</h1><p>${esc(text)}</p></div>`));
  } finally {
    if (world) twin.kickWebhooks(world); // events the page caused are delivered after it answers
  }
}

class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function accountOf(twin: Twin, block: string | null): World | undefined {
  return block ? twin.accountByBlock(block) : undefined;
}

async function readForm(req: TwinRequest): Promise<URLSearchParams> {
  const bytes = await req.readBody();
  if (bytes.length > MAX_BODY_BYTES) throw new PageError(413, 'The form is too large.');
  return new URLSearchParams(Buffer.from(bytes).toString('utf8'));
}

/** What a page does to its world: due work first, then `fn` in a transaction (a Stripe error keeps what ran, as on Stripe). */
function act<T>(world: World, fn: (ctx: Ctx) => T): T {
  const ctx: Ctx = { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
  world.runDue(ctx);
  return world.transaction(() => fn(ctx));
}

/** Runs `fn`; a Stripe error (a decline, a wrong card number) becomes its message for the page. */
function attempt(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof StripeError) return e.message;
    throw e;
  }
}

// --- Checkout ----------------------------------------------------------------------

function checkoutPage(world: World, id: string, method: string, form: URLSearchParams): TwinResponse {
  const found = act(world, (ctx) => ctx.world.get<CheckoutSession>(id));
  if (!found || found.object !== 'checkout.session') return notFound();
  let session = found;
  let error: string | null = null;
  if (method === 'POST' && session.status === 'open') {
    error = attempt(() => act(world, (ctx) => payWithCard(ctx, ctx.world.get<CheckoutSession>(id)!, cardForm(form))));
    session = world.get<CheckoutSession>(id)!;
    if (!error && pendingChallenge(world, session)) return redirect(`/c/pay/${id}/authenticate`);
  } else if (method !== 'GET' && method !== 'POST') return notFound();
  // Right after paying the customer is sent on; coming back later finds a plain message.
  if (session.status === 'complete') return finished(world, session, method === 'POST');
  if (session.status === 'expired') return message(session, 'This Checkout Session has expired', 'Start again from the page that sent you here.', 410);
  return html(error ? 402 : 200, checkoutHtml(world, session, form, error));
}

/** A completed session: just paid, its success URL (with the session id put in, as Stripe does); else a confirmation. */
function finished(world: World, session: CheckoutSession, justPaid: boolean): TwinResponse {
  if (justPaid && session.success_url) return redirect(session.success_url.split('{CHECKOUT_SESSION_ID}').join(session.id));
  const link = session.payment_link ? world.get<PaymentLink>(session.payment_link) : undefined;
  const custom = link?.after_completion.hosted_confirmation?.custom_message;
  const thanks = session.mode === 'setup' ? 'Your payment method has been saved.' : 'Thanks for your payment.';
  return message(session, session.mode === 'setup' ? 'Saved' : 'Payment complete', custom || thanks, 200);
}

function cardForm(form: URLSearchParams): CardForm {
  return {
    number: form.get('cardNumber') ?? '',
    expiry: form.get('cardExpiry') ?? '',
    cvc: form.get('cardCvc') ?? '',
    name: form.get('billingName') ?? '',
    email: form.get('email') ?? '',
  };
}

function checkoutHtml(world: World, session: CheckoutSession, form: URLSearchParams, error: string | null): string {
  const items = lineItemsOf(world, session.id);
  const currency = session.currency ?? 'usd';
  const rows = items
    .map((item) => {
      const interval = item.price.recurring ? ` <span class="muted">per ${esc(item.price.recurring.interval)}</span>` : '';
      return `<li><span>${esc(item.description ?? 'Item')}${item.quantity > 1 ? ` <span class="muted">× ${item.quantity}</span>` : ''}${interval}</span><span>${esc(formatAmount(item.amount_total, item.currency))}</span></li>`;
    })
    .join('');
  const total = session.amount_total ?? 0;
  const summary =
    session.mode === 'setup'
      ? `<p class="big">Save a payment method</p><p class="muted">You won’t be charged now.</p>`
      : `<p class="muted">${session.mode === 'subscription' ? 'Subscribe' : 'Pay'} ${esc(name(session))}</p><p class="big">${esc(formatAmount(total, currency))}</p><ul class="items">${rows}</ul><div class="total"><span>Total due today</span><span>${esc(formatAmount(total, currency))}</span></div>`;
  const action = session.mode === 'setup' ? 'Save card' : session.mode === 'subscription' ? 'Subscribe' : `Pay ${formatAmount(total, currency)}`;
  const email = form.get('email') ?? session.customer_details?.email ?? session.customer_email ?? '';
  const back = session.cancel_url ? `<a class="back" href="${esc(session.cancel_url)}">← Back</a>` : '';
  const body = `
<div class="columns">
  <section class="summary">${back}<p class="merchant">${esc(name(session))} <span class="badge">TEST MODE</span></p>${summary}</section>
  <section class="card">
    <form method="post" action="/c/pay/${esc(session.id)}" autocomplete="off">
      <label>Email<input name="email" type="email" value="${esc(email)}" placeholder="you@example.com"></label>
      <fieldset><legend>Card information</legend>
        <input name="cardNumber" inputmode="numeric" placeholder="1234 1234 1234 1234" aria-label="Card number">
        <div class="pair"><input name="cardExpiry" placeholder="MM / YY" aria-label="Expiration"><input name="cardCvc" inputmode="numeric" placeholder="CVC" aria-label="CVC"></div>
      </fieldset>
      <label>Cardholder name<input name="billingName" value="${esc(form.get('billingName') ?? '')}" placeholder="Full name on card"></label>
      ${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
      <button id="submit" type="submit">${esc(action)}</button>
    </form>
    <details class="hint"><summary>Test cards</summary><ul>
      <li><code>4242 4242 4242 4242</code> succeeds</li>
      <li><code>4000 0000 0000 0002</code> is declined</li>
      <li><code>4000 0000 0000 9995</code> has insufficient funds</li>
      <li><code>4000 0027 6000 3184</code> asks for 3D Secure</li>
      <li>any future expiry, any 3-digit CVC</li></ul></details>
  </section>
</div>`;
  return page(`${name(session)} – Checkout`, body);
}

/** The business name Checkout shows (branding_settings.display_name). */
const name = (session: CheckoutSession) => session.branding_settings?.display_name ?? 'Stripe Twin';

function challengePage(world: World, id: string, method: string, form: URLSearchParams): TwinResponse {
  const session = world.get<CheckoutSession>(id);
  if (!session || session.object !== 'checkout.session') return notFound();
  if (session.status !== 'open' || !pendingChallenge(world, session)) return redirect(`/c/pay/${id}`);
  if (method === 'POST') {
    const outcome = form.get('outcome');
    if (outcome !== 'complete' && outcome !== 'fail') throw new PageError(400, 'Choose whether to complete or fail the authentication.');
    act(world, (ctx) => authenticateSession(ctx, ctx.world.get<CheckoutSession>(id)!, outcome === 'complete'));
    const after = world.get<CheckoutSession>(id)!;
    if (after.status === 'complete') return finished(world, after, true);
    // Failed, or declined after passing: back to the payment page, which shows why.
    const intent = world.get(session.mode === 'setup' ? session.setup_intent! : session.payment_intent!)!;
    const why = (intent.last_payment_error ?? intent.last_setup_error)?.message ?? 'Authentication failed.';
    return html(402, checkoutHtml(world, after, new URLSearchParams({ email: after.customer_details?.email ?? '' }), why));
  }
  const amount = session.amount_total != null && session.currency ? formatAmount(session.amount_total, session.currency) : '';
  const body = `
<div class="card narrow challenge">
  <p class="badge">TEST MODE</p>
  <h1>3D Secure 2 test page</h1>
  <p>${esc(name(session))} asks your bank to confirm ${amount ? `a payment of <strong>${esc(amount)}</strong>` : 'this card'}.</p>
  <p class="muted">This is the twin's stand-in for the bank's challenge: choose what the cardholder does.</p>
  <form method="post" action="/c/pay/${esc(id)}/authenticate" class="buttons">
    <button name="outcome" value="complete" id="complete" type="submit">Complete authentication</button>
    <button name="outcome" value="fail" id="fail" type="submit" class="secondary">Fail authentication</button>
  </form>
</div>`;
  return html(200, page('3D Secure 2 – test', body));
}

function message(session: CheckoutSession, title: string, text: string, status: number): TwinResponse {
  return html(status, page(title, `<div class="card narrow"><p class="merchant">${esc(name(session))}</p><h1>${esc(title)}</h1><p>${esc(text)}</p></div>`));
}

// --- Payment Links and recovery -----------------------------------------------------

function linkPage(world: World, token: string): TwinResponse {
  const link = act(world, (ctx) => paymentLinkByToken(ctx.world, token));
  if (!link) return notFound();
  if (!link.active) {
    const text = link.inactive_message || 'This link is no longer active. Contact the business that sent it to you.';
    return html(410, page('Link inactive', `<div class="card narrow"><h1>This link is inactive</h1><p>${esc(text)}</p></div>`));
  }
  const session = act(world, (ctx) => sessionFromLink(ctx, ctx.world.get<PaymentLink>(link.id)!));
  return redirect(`/c/pay/${session.id}`);
}

function recoveryPage(world: World, id: string): TwinResponse {
  const expired = world.get<CheckoutSession>(id);
  if (!expired || expired.object !== 'checkout.session') return notFound();
  let session: CheckoutSession | undefined;
  const error = attempt(() => {
    session = act(world, (ctx) => recoverSession(ctx, ctx.world.get<CheckoutSession>(id)!));
  });
  if (error || !session) return html(410, page('Link expired', `<div class="card narrow"><h1>This link has expired</h1><p>${esc(error ?? '')}</p></div>`));
  return redirect(`/c/pay/${session.id}`);
}

// --- the customer portal ----------------------------------------------------------

function portalPage(world: World, token: string, method: string, form: URLSearchParams): TwinResponse {
  const session = act(world, (ctx) => portalSessionByToken(ctx.world, token));
  if (!session) return notFound();
  let error: string | null = null;
  if (method === 'POST') {
    const cancel = form.get('cancel');
    error = attempt(() =>
      act(world, (ctx) => {
        const current = ctx.world.get<PortalSession>(session.id)!;
        if (cancel) cancelPortalSubscription(ctx, current, cancel);
        else addPortalCard(ctx, current, cardForm(form), form.get('makeDefault') === 'on');
      }),
    );
    if (!error) return redirect(`/p/session/${token}`);
  } else if (method !== 'GET') return notFound();
  return html(error ? 402 : 200, portalHtml(world, session, token, error));
}

function portalHtml(world: World, session: PortalSession, token: string, error: string | null): string {
  const { customer, config, paymentMethods, defaultId, subscriptions } = portalView(world, session);
  const merchant = displayName(world);
  const cards = paymentMethods.length
    ? paymentMethods
        .map((pm) => {
          const card = pm.card;
          const label = card ? `${brandName(card.display_brand ?? card.brand)} •••• ${card.last4}` : pm.type;
          const expiry = card ? `Expires ${String(card.exp_month).padStart(2, '0')}/${card.exp_year}` : '';
          return `<li><span>${esc(label)}${pm.id === defaultId ? ' <span class="badge">Default</span>' : ''}</span><span class="muted">${esc(expiry)}</span></li>`;
        })
        .join('')
    : '<li class="muted">No payment methods yet.</li>';
  const canUpdate = config.features.payment_method_update.enabled;
  const addForm = canUpdate
    ? `<form method="post" action="/p/session/${esc(token)}" autocomplete="off">
        <fieldset><legend>Add a card</legend>
          <input name="cardNumber" inputmode="numeric" placeholder="1234 1234 1234 1234" aria-label="Card number">
          <div class="pair"><input name="cardExpiry" placeholder="MM / YY" aria-label="Expiration"><input name="cardCvc" inputmode="numeric" placeholder="CVC" aria-label="CVC"></div>
        </fieldset>
        <label>Cardholder name<input name="billingName" placeholder="Full name on card"></label>
        <label class="check"><input type="checkbox" name="makeDefault" checked> Use as default payment method</label>
        ${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
        <button id="submit" type="submit">Add card</button>
      </form>`
    : '<p class="muted">Updating payment methods is turned off for this portal.</p>';
  // Subscriptions appear once the account has any; each live one has a cancel
  // button when the configuration allows it (at period end unless it says immediately).
  const canCancel = config.features.subscription_cancel.enabled;
  const subscriptionRow = (s: StripeObject) => {
    const live = s.status !== 'canceled' && s.status !== 'incomplete_expired';
    const note = s.cancel_at_period_end ? 'cancels at period end' : String(s.status ?? '');
    const button = live && canCancel && !s.cancel_at_period_end
      ? `<form method="post" action="/p/session/${esc(token)}"><input type="hidden" name="cancel" value="${esc(s.id)}"><button type="submit" class="secondary small" id="cancel-${esc(s.id)}">Cancel</button></form>`
      : '';
    const item = s.items?.data?.[0];
    const what = item ? `${item.price?.nickname ?? item.price?.id ?? ''} ×${item.quantity ?? 1}` : s.id;
    return `<li><span>${esc(what)} <span class="muted">${esc(note)}</span></span>${button}</li>`;
  };
  const subs = subscriptions.length
    ? `<section class="card"><h2>Subscriptions</h2><ul class="items">${subscriptions.map(subscriptionRow).join('')}</ul></section>`
    : '';
  const back = session.return_url ? `<a class="back" href="${esc(session.return_url)}">← Return to ${esc(merchant)}</a>` : '';
  const body = `
<div class="columns">
  <section class="summary">${back}<p class="merchant">${esc(merchant)} <span class="badge">TEST MODE</span></p>
    <p class="big">${esc(customer.name ?? customer.email ?? customer.id)}</p>${customer.email && customer.name ? `<p class="muted">${esc(customer.email)}</p>` : ''}</section>
  <div class="stack">
    <section class="card"><h2>Payment methods</h2><ul class="items">${cards}</ul>${addForm}</section>
    ${subs}
  </div>
</div>`;
  return page(`${merchant} – Billing`, body);
}

/** `visa` → `Visa`, `cartes_bancaires` → `Cartes Bancaires`, `amex` → `American Express`. */
const brandName = (brand: string) => (brand === 'amex' ? 'American Express' : brand.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()));

// --- HTML ------------------------------------------------------------------------

/** HTML-escapes text for element content and quoted attributes. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1f36;background:#f6f9fc}
main{max-width:960px;margin:0 auto;padding:48px 24px}.columns{display:flex;flex-wrap:wrap;gap:48px;align-items:flex-start}
.summary{flex:1 1 320px}.card,.stack{flex:1 1 380px}.stack{display:flex;flex-direction:column;gap:24px}.stack>.card{flex:none}
.card{background:#fff;border-radius:10px;box-shadow:0 2px 5px rgba(50,50,93,.1),0 1px 2px rgba(0,0,0,.07);padding:28px}
.narrow{max-width:460px;margin:40px auto}h1{font-size:22px;margin:.2em 0 .6em}h2{font-size:17px;margin:0 0 12px}
.merchant{font-weight:600;margin:0 0 8px}.big{font-size:34px;font-weight:600;margin:0 0 16px}.muted{color:#697386}
.badge{display:inline-block;font-size:11px;font-weight:600;letter-spacing:.03em;color:#9c3f0f;background:#fde8d7;border-radius:4px;padding:1px 6px;vertical-align:middle}
.items{list-style:none;padding:0;margin:0 0 12px}.items li{display:flex;justify-content:space-between;gap:12px;padding:10px 0;border-bottom:1px solid #e3e8ee}
.total{display:flex;justify-content:space-between;font-weight:600;padding-top:6px}
label{display:block;font-size:13px;color:#3c4257;margin:0 0 14px}label input{margin-top:6px}
fieldset{border:0;padding:0;margin:0 0 14px}legend{font-size:13px;color:#3c4257;margin-bottom:6px;padding:0}
input{display:block;width:100%;font:inherit;padding:10px 12px;border:1px solid #d5dbe1;border-radius:6px;background:#fff;color:#1a1f36}
fieldset>input{border-radius:6px 6px 0 0}.pair{display:flex}.pair input{border-top:0;border-radius:0 0 0 6px}.pair input+input{border-left:0;border-radius:0 0 6px 0}
input:focus{outline:2px solid #0074d4;outline-offset:-1px;position:relative}.check{display:flex;gap:8px;align-items:center}.check input{width:auto;margin:0}
button{display:block;width:100%;font:inherit;font-weight:600;color:#fff;background:#0074d4;border:0;border-radius:6px;padding:12px;cursor:pointer}
button:hover{background:#0062b4}button.secondary{background:#fff;color:#1a1f36;border:1px solid #d5dbe1}button.small{width:auto;padding:4px 12px;font-size:13px}
button:disabled{opacity:.5;cursor:not-allowed}.buttons{display:flex;flex-direction:column;gap:10px;margin-top:20px}
.error{color:#df1b41;background:#fff0f3;border-radius:6px;padding:10px 12px;margin:0 0 14px}
.back{display:inline-block;color:#697386;text-decoration:none;margin-bottom:18px}.back:hover{color:#1a1f36}
.hint{margin-top:18px;font-size:13px;color:#697386}.hint ul{padding-left:18px;margin:8px 0 0}code{font-size:12px;background:#f6f9fc;padding:1px 4px;border-radius:3px}
footer{text-align:center;font-size:12px;color:#8792a2;padding:24px}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main><footer>Served by stripe-twin · test mode · no real payment is made</footer></body></html>`;
}

/** Headers of every page: HTML, never cached, never framed, no script at all. */
const PAGE_HEADERS = ['Content-Type', 'text/html; charset=utf-8', 'Cache-Control', 'no-store', 'X-Frame-Options', 'DENY', 'Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'"];

function html(status: number, body: string): TwinResponse {
  return { status, headers: [...PAGE_HEADERS], body };
}

/** A 303 to `location` (after a form post the browser then GETs it). */
function redirect(location: string): TwinResponse {
  return { status: 303, headers: [...PAGE_HEADERS, 'Location', location], body: '' };
}

function notFound(): TwinResponse {
  return html(404, page('Not found', '<div class="card narrow"><h1>Page not found</h1><p>This link is not valid, or the account it belongs to is gone.</p></div>'));
}
