import { Twin } from '../../engine/twin';
import { StripeObject, World } from '../../engine/world';
import { handleRequest } from '../../server/pipeline';
import { MAX_BODY_BYTES, TwinRequest, TwinResponse } from '../../server/stages';
import { durationSeconds } from '../clock';
import { ControlSurface } from '../surface';
import { CONTROL_TOKEN_HEADER, controlTokenOf, isControlToken } from '../token';
import { BASE, clearedCookie, closeSession, foreign, headerToken, InspectorSession, openSession, same, sessionCookie, sessionOf } from './auth';
import { esc, html, layout, redirect, worldPath } from './html';
import { Control, eventsPage, objectPage, requestPage, requestsPage, triggersPage, typePage, View, worldPage, worldsPage, WorldView } from './pages';

// The inspector (docs/inspector.md): a small server-rendered web app at
// /__inspector__ for the twin's owner — worlds, objects, events and their
// webhook deliveries, the request log, clocks, triggers. Pages are GETs; every
// action is a POST form that runs a control-surface route (the same handler
// /__admin__ answers with), or for a test clock the API's own advance route.

/** The inspector's request handler, over the control surface its actions call. */
export function inspector(surface: ControlSurface) {
  return (twin: Twin, req: TwinRequest, path: string, query: string) => new Inspector(twin, surface, req, path, new URLSearchParams(query)).answer();
}

class Inspector {
  private session: InspectorSession | null = null;
  private readonly post: boolean;

  constructor(
    private readonly twin: Twin,
    private readonly surface: ControlSurface,
    private readonly req: TwinRequest,
    private readonly path: string,
    private readonly query: URLSearchParams,
  ) {
    this.post = req.method.toUpperCase() === 'POST';
  }

  async answer(): Promise<TwinResponse> {
    const method = this.req.method.toUpperCase();
    const refused = foreign(this.twin, this.req, this.post);
    if (refused) return message(403, 'Refused', refused);
    // A browser's visit to / or /__admin__: the way in.
    if (!this.path.startsWith(BASE)) return redirect(BASE);
    if (method !== 'GET' && method !== 'POST') return message(405, 'Not allowed', `The inspector answers GET and POST, not ${method}.`);
    const rest = this.path.slice(BASE.length).replace(/\/+$/, '');
    const form = this.post ? await readForm(this.req) : new URLSearchParams();
    if (form === null) return message(413, 'Too large', 'The form is too large.');
    if (rest === '/login' && this.post) return this.login(form.get('token') ?? '', form.get('next'));

    // Who: the token once in the URL (then a session), a session's cookie, or the token in a header.
    const given = this.query.get('token');
    if (given !== null && method === 'GET') return this.login(given, this.here(true));
    const session = sessionOf(this.twin, this.req);
    const token = headerToken(this.req);
    const byHeader = token !== undefined && isControlToken(this.twin, token);
    if (!session && !byHeader) {
      const wrong = token !== undefined ? `That ${CONTROL_TOKEN_HEADER} is not this twin's control token.` : null;
      return loginPage(401, wrong, this.here(false));
    }
    this.session = session ?? null;
    if (this.post && !byHeader && !same(form.get('csrf') ?? '', session!.csrf)) {
      return message(403, 'Refused', 'This form is not one the inspector gave this session (a missing or stale CSRF token). Reload the page and try again.');
    }

    if (rest === '/logout' && this.post) {
      if (session) closeSession(this.twin, session);
      return redirect(BASE, ['Set-Cookie', clearedCookie]);
    }
    const view: View = { twin: this.twin, session: this.session, here: this.here(false), query: this.query };
    if (rest === '' && !this.post) return page(worldsPage(view));
    const m = rest.match(/^\/w\/([^/]+)(?:\/(.*))?$/);
    const world = m ? this.worldOf(decode(m[1])) : undefined;
    if (!world) return this.notFound('No such world: it may have been reset, or never opened.');
    const worldView: WorldView = { ...view, world, control: this.control(world) };
    const sub = m![2] ?? '';
    if (this.post) return this.act(world, sub, form);
    let found: RegExpMatchArray | null;
    if (sub === '') return page(worldPage(worldView));
    if (sub === 'events') return page(eventsPage(worldView));
    if (sub === 'requests') return page(await requestsPage(worldView));
    if (sub === 'triggers') return page(await triggersPage(worldView));
    if (sub === 'find') {
      const id = this.query.get('q')?.trim() ?? '';
      if (world.get(id)) return redirect(`${worldPath(world)}/o/${encodeURIComponent(id)}`);
      if (id.startsWith('req_')) return redirect(`${worldPath(world)}/requests/${encodeURIComponent(id)}`);
      return this.notFound(`No object ${id} in this world.`, world);
    }
    if ((found = sub.match(/^t\/([^/]+)$/))) return page(typePage(worldView, decode(found[1]) ?? ''));
    if ((found = sub.match(/^o\/([^/]+)$/))) {
      const obj = world.get(decode(found[1]) ?? '');
      return obj ? page(objectPage(worldView, obj as StripeObject)) : this.notFound('No such object in this world.', world);
    }
    if ((found = sub.match(/^requests\/([^/]+)$/))) {
      const shown = await requestPage(worldView, decode(found[1]) ?? '');
      return shown ? page(shown) : this.notFound('That request is not in the log (it keeps the last 10,000 per world).', world);
    }
    return this.notFound('No such page.', world);
  }

  /** The path and query asked for (without the token when `dropToken`): where forms and the login lead back to. */
  private here(dropToken: boolean): string {
    const query = new URLSearchParams(this.query);
    if (dropToken) query.delete('token');
    const q = query.toString();
    return `${this.path}${q ? `?${q}` : ''}`;
  }

  private login(token: string, next: string | null): TwinResponse {
    if (!isControlToken(this.twin, token.trim())) return loginPage(401, "That is not this twin's control token.", next);
    const session = openSession(this.twin, token.trim());
    return redirect(safeNext(next), ['Set-Cookie', sessionCookie(session)]);
  }

  /** A world by account id (a connected account included). */
  private worldOf(id: string | null): World | undefined {
    if (!id || !/^acct_[A-Za-z0-9]{10,}$/.test(id)) return undefined;
    const world = this.twin.accountByBlock(id.slice(-10));
    return world?.accountId === id ? world : undefined;
  }

  /**
   * A call of a control route on `world`, through the control surface's own
   * handler, as the twin's owner: the world named by its key (a connected account
   * by its platform's key and `account`), the body as JSON.
   */
  private control(world: World): Control {
    return async (method, path, body, query = {}) => {
      const platform = world.platform ?? world;
      const search = new URLSearchParams({ ...query, key: keyOf(this.twin, platform), ...(world.platform ? { account: world.accountId } : {}) });
      const headers = { [CONTROL_TOKEN_HEADER.toLowerCase()]: controlTokenOf(this.twin), 'content-type': 'application/json' };
      const bytes = Buffer.from(JSON.stringify(body ?? {}));
      const res = await this.surface.handle(this.twin, { method, url: path, headers, readBody: async () => bytes }, path, search.toString());
      this.twin.kickWebhooks();
      return { status: res.status, json: JSON.parse(res.body) };
    };
  }

  /** A form's action: run it, keep what it came to for the next page, go back. */
  private async act(world: World, action: string, form: URLSearchParams): Promise<TwinResponse> {
    const control = this.control(world);
    const back = safeNext(form.get('back'), worldPath(world));
    let outcome: { status: number; json: any };
    let text: string;
    switch (action) {
      case 'advance':
        outcome = await control('POST', '/__admin__/clock/advance', { duration: form.get('duration')?.trim() });
        text = outcome.status === 200 ? `The clock is now ${outcome.json.iso}` : '';
        break;
      case 'test_clock':
        outcome = await this.advanceTestClock(world, form.get('clock') ?? '', form.get('duration')?.trim() ?? '');
        text = outcome.status === 200 ? `${outcome.json.id} advanced to ${new Date(outcome.json.status_details?.advancing?.target_frozen_time * 1000).toISOString()}` : '';
        break;
      case 'resend': {
        const event = form.get('event') ?? '';
        const endpoint = form.get('endpoint') || undefined;
        outcome = await control('POST', `/__admin__/events/${encodeURIComponent(event)}/resend`, endpoint ? { endpoint } : {});
        text = outcome.status === 200 ? `${event} resent: ${outcome.json.deliveries.map((d: any) => `${d.endpoint} ${d.state}`).join(', ')}` : '';
        break;
      }
      case 'trigger': {
        const trigger = form.get('trigger') ?? '';
        const body: Record<string, unknown> = { trigger, [form.get('on') ?? 'object']: form.get('id') ?? '' };
        for (const [name, value] of form) {
          if (['csrf', 'back', 'trigger', 'on', 'id'].includes(name) || value === '') continue;
          body[name] = value === 'true' ? true : value === 'false' ? false : value;
        }
        outcome = await control('POST', '/__admin__/world/trigger', body);
        text = outcome.status === 200 ? `${trigger} on ${form.get('id')}: ${outcome.json.events.map((e: any) => e.type).join(', ') || (outcome.json.armed ? 'armed for the next confirmation' : 'done')}` : '';
        break;
      }
      case 'drain':
        outcome = await control('POST', '/__admin__/webhooks/drain');
        text = outcome.status === 200 ? `Deliveries: ${outcome.json.succeeded} succeeded, ${outcome.json.failed} failed, ${outcome.json.pending} pending` : '';
        break;
      case 'reset':
        outcome = await control('POST', '/__admin__/reset');
        text = outcome.status === 200 ? `${world.accountId} was reset` : '';
        break;
      default:
        return this.notFound('No such action.', world);
    }
    const ok = outcome.status === 200;
    if (this.session) this.session.flash = { ok, text: ok ? text : outcome.json.error?.message ?? `Failed (${outcome.status})`, detail: outcome.json };
    return redirect(action === 'reset' && ok ? BASE : back);
  }

  /** A test clock moves through the API's own route (POST /v1/test_helpers/test_clocks/{id}/advance), as the Dashboard's button does. */
  private async advanceTestClock(world: World, id: string, duration: string): Promise<{ status: number; json: any }> {
    const clock = world.get(id);
    if (!clock || clock.object !== 'test_helpers.test_clock' || clock.deleted) return { status: 404, json: { error: { message: `No test clock ${id} in this world` } } };
    const seconds = durationSeconds(duration);
    if (seconds === null || seconds === 0) return { status: 400, json: { error: { message: `"${duration}" is not a duration like 90s, 2h, 32d` } } };
    const platform = world.platform ?? world;
    const headers: Record<string, string> = { authorization: `Bearer ${keyOf(this.twin, platform)}`, 'content-type': 'application/x-www-form-urlencoded' };
    if (world.platform) headers['stripe-account'] = world.accountId;
    const bytes = Buffer.from(`frozen_time=${clock.frozen_time + seconds}`);
    const res = await handleRequest(this.twin, { method: 'POST', url: `/v1/test_helpers/test_clocks/${encodeURIComponent(id)}/advance`, headers, readBody: async () => bytes });
    return { status: res.status, json: JSON.parse(res.body) };
  }

  private notFound(text: string, world?: World): TwinResponse {
    return html(404, layout('Not found', `<div class="card"><h1>Not found</h1><p>${esc(text)}</p></div>`, this.session, world));
  }
}

/** The key control calls name a world by: the first of its account's keys (the one that opened it). */
function keyOf(twin: Twin, platform: World): string {
  return twin.keysOf(platform)[0]?.key ?? platform.key;
}

/** Where a form or a login may lead: an inspector path, else `fallback` (never another site). */
function safeNext(next: string | null, fallback = BASE): string {
  return next && (next === BASE || next.startsWith(`${BASE}/`) || next.startsWith(`${BASE}?`)) && !next.includes('//') ? next : fallback;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

async function readForm(req: TwinRequest): Promise<URLSearchParams | null> {
  const bytes = await req.readBody();
  if (bytes.length > MAX_BODY_BYTES) return null;
  return new URLSearchParams(Buffer.from(bytes).toString('utf8'));
}

const page = (text: string) => html(200, text);

function message(status: number, title: string, text: string): TwinResponse {
  return html(status, layout(title, `<div class="card login"><h1>${esc(title)}</h1><p>${esc(text)}</p></div>`, null));
}

/** The way in without a session: paste the control token `stripe-twin serve` printed. */
function loginPage(status: number, error: string | null, next: string | null): TwinResponse {
  const body = `<div class="card login"><h1>stripe-twin inspector</h1>
<p>This twin is running. Its inspector shows every world's objects, events, webhook deliveries and request log, and can move clocks, resend events and run triggers — so it is for the twin's owner: paste the control token <code>stripe-twin serve</code> printed (or open the inspector URL it printed).</p>
${error ? `<p class="flash err" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="${BASE}/login"><input type="hidden" name="next" value="${esc(safeNext(next))}">
<label>Control token<input name="token" type="password" autocomplete="off" placeholder="twinctl_…" autofocus></label><button type="submit" id="login">Open the inspector</button></form>
<p class="muted">API clients: <code>/v1/…</code> with any <code>sk_test_…</code> key · control surface: <code>/__admin__</code> · health: <code>/healthz</code></p></div>`;
  return html(status, layout('Log in', body, null));
}
