import { maskKey } from '../../engine/errors';
import { eventTypes, StripeEvent } from '../../engine/events';
import { candidates, positions } from '../../engine/list';
import { Twin } from '../../engine/twin';
import { Delivery, DELIVERY, ENDPOINT, LISTENER, WebhookEndpoint } from '../../engine/webhooks';
import { controlCtx } from '../surface';
import { StripeObject, World } from '../../engine/world';
import { modeledRoutes } from '../../resources';
import { StripeError } from '../../engine/errors';
import { decodeForm, formToPlain } from '../../engine/form';
import { BASE, InspectorSession } from './auth';
import { actionForm, body, esc, idLink, json, layout, pill, table, time, worldPath } from './html';

// The inspector's pages. They read the engine's structures directly (read-only)
// and, where the control surface keeps the data (the request log, what can be
// triggered), its routes; every button posts to an action (./index.ts), which
// runs the control surface's route. Lists walk newest first from a position,
// one page at a time: a page costs the same however large the world grows.

export const PAGE_SIZE = 50;
/** Events an object's page looks through for events about it (there is no index by object): the newest this many. */
export const EVENT_SCAN = 5_000;

/** A control-surface call on the world (see ./index.ts). */
export type Control = (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>, query?: Record<string, string>) => Promise<{ status: number; json: any }>;

export interface View {
  twin: Twin;
  session: InspectorSession | null;
  /** The page's own path and query: where its forms come back to. */
  here: string;
  query: URLSearchParams;
}

export interface WorldView extends View {
  world: World;
  control: Control;
}

// --- worlds ---

export function worldsPage(v: View): string {
  const worlds = v.twin.allWorlds().reverse(); // most recently used first
  const row = (w: World, connected = false) => [
    `${connected ? '↳ ' : ''}<a class="mono" href="${worldPath(w)}">${esc(w.accountId)}</a>`,
    connected ? '<span class="muted">connected account</span>' : keysOf(v.twin, w),
    esc(w.config.defaultApiVersion),
    time(w.now()),
    String(w.count('customer')),
    String(w.count('payment_intent')),
    String(w.count('event')),
  ];
  const rows: string[][] = [];
  for (const w of worlds.slice(0, 200)) {
    rows.push(row(w));
    for (const c of w.connected.values()) rows.push(row(c, true));
  }
  const more = worlds.length > 200 ? `<p class="muted">The 200 most recently used of ${worlds.length} worlds.</p>` : '';
  return layout(
    'Worlds',
    `<h1>Worlds</h1><p class="sub">Each API key opens its own world (account). ${worlds.length} open.</p>
<div class="card">${table(['Account', 'Keys', 'API version', 'Clock', 'Customers', 'PaymentIntents', 'Events'], rows, 'No world yet: make an API request with any sk_test_… key.')}${more}</div>`,
    v.session,
  );
}

/** An account's keys, masked as Stripe's errors print them. */
function keysOf(twin: Twin, world: World): string {
  const keys = twin.keysOf(world);
  return keys.map((k) => `<code>${esc(maskKey(k.key))}</code>${k.kind === 'restricted' ? ' ' + pill('restricted') : ''}`).join('<br>') || '<span class="muted">—</span>';
}

// --- a world ---

export function worldPage(v: WorldView): string {
  const { world, session, here } = v;
  const types = world
    .objectTypes()
    .sort()
    .map((t) => [`<a href="${worldPath(world)}/t/${encodeURIComponent(t)}">${esc(t)}</a>`, String(world.count(t))]);
  const clocks = world
    .idsOf('test_helpers.test_clock')
    .map((id) => world.get(id)!)
    .filter((c) => !c.deleted)
    .map((c) => [
      idLink(world, c.id),
      esc(c.name ?? ''),
      time(c.frozen_time),
      pill(String(c.status), c.status === 'ready' ? 'good' : 'wait'),
      actionForm(session, world, 'test_clock', { clock: c.id }, '<input name="duration" value="1d" size="6" aria-label="Advance by">', 'Advance', here),
    ]);
  const endpoints = [...world.idsOf(ENDPOINT), ...world.idsOf(LISTENER)]
    .map((id) => world.get<WebhookEndpoint>(id)!)
    .filter((e) => !e.deleted)
    .map((e) => [idLink(world, e.id), `<span class="mono">${esc(e.url)}</span>`, pill(e.status, e.status === 'enabled' ? 'good' : 'bad'), esc(e.enabled_events.join(', '))]);
  const platform = world.platform ? `<p class="sub">Connected account of <a href="${worldPath(world.platform)}">${esc(world.platform.accountId)}</a></p>` : '';
  const connected = world.connected.size
    ? `<p>Connected accounts: ${[...world.connected.values()].map((c) => `<a class="mono" href="${worldPath(c)}">${esc(c.accountId)}</a>`).join(', ')}</p>`
    : '';
  const reset = world.platform ? '' : actionForm(session, world, 'reset', {}, '', 'Reset this world', `${BASE}`, 'danger');
  return layout(
    world.accountId,
    `<h1 class="mono">${esc(world.accountId)}</h1>${platform}
<p class="sub">API version ${esc(world.config.defaultApiVersion)} · keys ${world.platform ? '(its platform\'s)' : keysOf(v.twin, world)}</p>
<div class="grid">
  <section class="card" id="clock"><h2>Clock</h2><dl><dt>Now</dt><dd>${time(world.now())} <span class="muted">(${world.now()})</span></dd><dt>Pending work</dt><dd>${world.pendingTasks()} scheduled task${world.pendingTasks() === 1 ? '' : 's'}</dd></dl>
    <form class="row" method="post" action="${worldPath(world)}/advance">${hidden(session, here)}<label>Advance by <input name="duration" value="1d" size="6"></label><button type="submit" id="advance">Advance the clock</button></form>
    <p class="muted">A duration: 90s, 30m, 2h, 32d, 1w. Everything that falls due runs, in order.</p></section>
  <section class="card"><h2>Find</h2><form class="row" method="get" action="${worldPath(world)}/find"><input name="q" placeholder="an id: cus_…, pi_…, evt_…" size="34" aria-label="Id"><button type="submit">Open</button></form>
    <p>${actionForm(session, world, 'drain', {}, '', 'Deliver due webhooks', here, 'secondary')} ${reset}</p>${connected}</section>
</div>
<section class="card"><h2>Objects</h2>${table(['Type', 'Count'], types, 'No objects yet.')}</section>
<section class="card" id="test-clocks"><h2>Test clocks</h2>${table(['Test clock', 'Name', 'Frozen time', 'Status', ''], clocks, 'No test clocks.')}</section>
<section class="card"><h2>Webhook endpoints and listen sessions</h2>${table(['Endpoint', 'URL', 'Status', 'Events'], endpoints, 'None.')}</section>`,
    session,
    world,
  );
}

const hidden = (session: InspectorSession | null, back: string) =>
  `${session ? `<input type="hidden" name="csrf" value="${esc(session.csrf)}">` : ''}<input type="hidden" name="back" value="${esc(back)}">`;

// --- objects of a type ---

/** The Search API route of a type, when it has one. */
function searchRoute(type: string) {
  return modeledRoutes.find((r) => r.method === 'GET' && r.list && r.response === type && r.path.endsWith('/search'));
}

/** What a row shows of an object besides its id: the first of the fields that usually say what it is. */
function summary(obj: StripeObject): string {
  const parts: string[] = [];
  if (obj.deleted) parts.push(pill('deleted', 'bad'));
  if (typeof obj.type === 'string') parts.push(esc(obj.type));
  if (typeof obj.status === 'string') parts.push(pill(obj.status, /succeeded|paid|active|complete|ready|enabled/.test(obj.status) ? 'good' : /fail|cancel|void|uncollectible/.test(obj.status) ? 'bad' : 'wait'));
  if (typeof obj.amount === 'number' && typeof obj.currency === 'string') parts.push(esc(`${(obj.amount / 100).toFixed(2)} ${obj.currency.toUpperCase()}`));
  for (const f of ['email', 'name', 'description', 'nickname', 'url']) if (typeof obj[f] === 'string' && obj[f]) parts.push(esc(String(obj[f]).slice(0, 80)));
  return parts.join(' ');
}

const objectRow = (world: World, obj: StripeObject) => [idLink(world, obj.id), time(obj.created), summary(obj)];

export function typePage(v: WorldView, type: string): string {
  const { world, query } = v;
  const q = query.get('q')?.trim() ?? '';
  const search = searchRoute(type);
  let rows: string[][] = [];
  let pager = '';
  let note = '';
  if (q) {
    // The Search API's own handler and query language (newest first, its cursor as the page).
    if (!search) note = `<p class="muted">${esc(type)} has no Search API; open an id from the world's page.</p>`;
    else {
      try {
        const params: Record<string, unknown> = { query: q, limit: PAGE_SIZE, ...(query.get('page') ? { page: query.get('page') } : {}) };
        const found = search.handler(controlCtx(world), params, {}) as { data: StripeObject[]; next_page: string | null };
        rows = found.data.map((o) => objectRow(world, o));
        if (found.next_page) pager = `<div class="pager"><a href="?q=${encodeURIComponent(q)}&amp;page=${encodeURIComponent(found.next_page)}">Older →</a></div>`;
      } catch (e) {
        note = `<p class="flash err">${esc(e instanceof StripeError ? e.message : String(e))}</p>`;
      }
    }
  } else {
    const count = world.count(type);
    const before = Number(query.get('before') ?? count);
    const start = Number.isInteger(before) ? Math.min(Math.max(before, 0), count) : count;
    for (let p = start - 1; p >= 0 && p >= start - PAGE_SIZE; p--) rows.push(objectRow(world, world.at(type, p)));
    const links = [];
    if (start < count) links.push(`<a href="?before=${Math.min(count, start + PAGE_SIZE)}">← Newer</a>`);
    if (start - PAGE_SIZE > 0) links.push(`<a href="?before=${start - PAGE_SIZE}">Older →</a>`);
    pager = `<div class="pager">${links.join('')}<span class="muted">${Math.max(0, start - PAGE_SIZE) + 1}–${start} of ${count}, newest first</span></div>`;
  }
  const form = search
    ? `<form class="row" method="get"><input name="q" value="${esc(q)}" size="50" placeholder="${esc(searchHint(type))}" aria-label="Search query"><button type="submit">Search</button>${q ? '<a href="?">clear</a>' : ''}</form>
<p class="muted">Stripe's search query language: <code>field:"value"</code>, <code>field~"part"</code>, <code>metadata["key"]:"value"</code>, AND / OR.</p>`
    : '';
  return layout(type, `<h1>${esc(type)}</h1><p class="sub"><a href="${worldPath(world)}">${esc(world.accountId)}</a></p><section class="card">${form}${note}${table(['Id', 'Created', ''], rows, q ? 'No match.' : 'None.')}${pager}</section>`, v.session, world);
}

function searchHint(type: string): string {
  return type === 'customer' ? 'email:"jenny@example.com"' : type === 'payment_intent' || type === 'charge' ? 'status:"succeeded" AND amount>1000' : 'metadata["order"]:"42"';
}

// --- one object ---

export function objectPage(v: WorldView, obj: StripeObject): string {
  const { world } = v;
  if (obj.object === 'event') return eventPage(v, obj as StripeEvent);
  const events = `<a href="${worldPath(world)}/events?object=${encodeURIComponent(obj.id)}">Events about it</a>`;
  const triggers = `<a href="${worldPath(world)}/triggers">Triggers</a>`;
  return layout(
    obj.id,
    `<h1 class="mono">${esc(obj.id)}</h1><p class="sub">${esc(obj.object)} · created ${time(obj.created)} · <a href="${worldPath(world)}/t/${encodeURIComponent(obj.object)}">all ${esc(obj.object)}</a> · ${events} · ${triggers}</p>
<section class="card">${json(obj, world)}</section>`,
    v.session,
    world,
  );
}

/** The deliveries of an event: one per endpoint it went to, kept where the endpoint lives (a Connect endpoint's, by its platform). */
function deliveriesOfEvent(world: World, eventId: string): { home: World; delivery: Delivery }[] {
  const out: { home: World; delivery: Delivery }[] = [];
  for (const home of world.platform ? [world, world.platform] : [world]) {
    for (const endpoint of [...home.idsOf(ENDPOINT), ...home.idsOf(LISTENER)]) {
      const d = home.get<Delivery>(`${eventId}:${endpoint}`);
      if (d && d.object === DELIVERY) out.push({ home, delivery: d });
    }
  }
  return out;
}

function eventPage(v: WorldView, event: StripeEvent): string {
  const { world, session, here } = v;
  const deliveries = deliveriesOfEvent(world, event.id).map(({ home, delivery: d }) => {
    const endpoint = home.get<WebhookEndpoint>(d.endpoint);
    const attempts = d.attempts.map((a) => [
      String(a.attempt),
      time(a.at),
      a.status === null ? pill('no response', 'bad') : pill(String(a.status), a.status < 300 ? 'good' : 'bad'),
      `${a.latency_ms} ms`,
      a.error ? esc(a.error) : a.response ? `<pre>${esc(a.response)}</pre>` : '<span class="muted">(empty)</span>',
    ]);
    const resend = home === world ? actionForm(session, world, 'resend', { event: event.id, endpoint: d.endpoint }, '', 'Resend', here, 'secondary') : '';
    return `<div class="delivery card"><h2><span class="mono">${idLink(home, d.endpoint)}</span> ${pill(d.state, d.state === 'succeeded' ? 'good' : d.state === 'failed' ? 'bad' : 'wait')} ${resend}</h2>
<p class="muted">${esc(endpoint?.url ?? '')}${d.next_attempt_at !== null ? ` · next attempt ${time(d.next_attempt_at)}` : ''}</p>
${table(['Attempt', 'At', 'Status', 'Latency', 'Response'], attempts, 'Not attempted yet.')}</div>`;
  });
  const previous = event.data.previous_attributes ? `<section class="card"><h2>data.previous_attributes</h2>${json(event.data.previous_attributes, world)}</section>` : '';
  const request = event.request as { id: string | null; idempotency_key: string | null } | undefined;
  return layout(
    event.id,
    `<h1 class="mono">${esc(event.id)}</h1>
<p class="sub">${esc(event.type)} · ${time(event.created)} · object ${idLink(world, event.data.object.id)}</p>
<section class="card"><dl><dt>Request</dt><dd>${request?.id ? `<a class="mono" href="${worldPath(world)}/requests/${encodeURIComponent(request.id)}">${esc(request.id)}</a>` : '<span class="muted">none (automatic)</span>'}</dd>
<dt>Idempotency key</dt><dd class="mono">${esc(request?.idempotency_key ?? '—')}</dd><dt>API version</dt><dd>${esc(String(event.api_version))}</dd><dt>Pending webhooks</dt><dd>${event.pending_webhooks}</dd></dl></section>
<section class="card"><h2>data.object</h2>${json(event.data.object, world)}</section>${previous}
<h2>Webhook deliveries</h2>${deliveries.join('') || '<p class="muted card">Not delivered to any endpoint (none was listening for it).</p>'}
<details class="card"><summary>The whole event</summary>${json(event, world)}</details>`,
    session,
    world,
  );
}

// --- events ---

export function eventsPage(v: WorldView): string {
  const { world, query } = v;
  const type = query.get('type')?.trim() || null;
  const object = query.get('object')?.trim() || null;
  const named = type ? eventTypes(world, type) : null;
  const source = candidates(world, 'event', { type: named?.types });
  const before = Number(query.get('before'));
  const start = Number.isInteger(before) && query.get('before') !== null ? before - 1 : source.to;
  const rows: string[][] = [];
  let visited = 0;
  let next: number | null = null;
  for (const p of positions(source, start, true)) {
    if (object && ++visited > EVENT_SCAN) break;
    const e = world.at<StripeEvent>('event', p);
    if (named && !named.keep.test(e.type)) continue;
    if (object && e.data.object.id !== object) continue;
    if (rows.length === PAGE_SIZE) {
      next = p + 1;
      break;
    }
    rows.push([
      idLink(world, e.id),
      esc(e.type),
      time(e.created),
      idLink(world, e.data.object.id),
      e.request?.id ? `<a class="mono" href="${worldPath(world)}/requests/${encodeURIComponent(e.request.id)}">${esc(e.request.id)}</a>` : '<span class="muted">—</span>',
      e.pending_webhooks ? pill(`${e.pending_webhooks} pending`, 'wait') : '<span class="muted">none pending</span>',
    ]);
  }
  const keep = new URLSearchParams({ ...(type ? { type } : {}), ...(object ? { object } : {}) });
  const pager = next !== null ? `<div class="pager"><a href="?${keep}${keep.size ? '&amp;' : ''}before=${next}">Older →</a></div>` : '';
  const scanned = object ? `<p class="muted">Events about one object are looked for among the newest ${EVENT_SCAN} events${type ? ' of that type' : ''}.</p>` : '';
  return layout(
    'Events',
    `<h1>Events</h1><p class="sub">Newest first.</p><section class="card">
<form class="row" method="get"><input name="type" value="${esc(type ?? '')}" placeholder="type: payment_intent.*" aria-label="Event type"><input name="object" value="${esc(object ?? '')}" placeholder="object id" aria-label="Object id"><button type="submit">Filter</button></form>${scanned}
${table(['Event', 'Type', 'Created', 'Object', 'Request', 'Webhooks'], rows, 'No events.')}${pager}</section>`,
    v.session,
    world,
  );
}

// --- the request log ---

const REQUEST_FILTERS = ['method', 'path', 'status', 'idempotency_key', 'replayed'];

export async function requestsPage(v: WorldView): Promise<string> {
  const { world, query, control } = v;
  const filters: Record<string, string> = { limit: '100' };
  for (const f of REQUEST_FILTERS) if (query.get(f)) filters[f] = query.get(f)!.trim();
  const answer = await control('GET', '/__admin__/requests', undefined, filters);
  const error = answer.status === 200 ? '' : `<p class="flash err">${esc(answer.json.error?.message ?? 'The log could not be read')}</p>`;
  const rows = (answer.json.data ?? []).map((e: any) => [
    `<a class="mono" href="${worldPath(world)}/requests/${encodeURIComponent(e.id)}">${esc(e.id)}</a>`,
    time(e.created),
    esc(e.method),
    `<span class="mono">${esc(e.path)}</span>`,
    e.status === null ? pill('dropped', 'bad') : pill(String(e.status), e.status < 300 ? 'good' : 'bad'),
    `<span class="mono">${esc(e.idempotency_key ?? '')}</span>`,
    e.replayed ? pill('replayed', 'wait') : '',
    e.fault ? pill(e.fault.type, 'bad') : '',
  ]);
  const input = (name: string, placeholder: string) => `<input name="${name}" value="${esc(query.get(name) ?? '')}" placeholder="${esc(placeholder)}" aria-label="${name}">`;
  const select = `<select name="replayed" aria-label="replayed"><option value="">replayed or not</option>${['true', 'false'].map((b) => `<option${query.get('replayed') === b ? ' selected' : ''} value="${b}">${b === 'true' ? 'replays only' : 'no replays'}</option>`).join('')}</select>`;
  return layout(
    'Requests',
    `<h1>Request log</h1><p class="sub">The newest 100 matching API requests of ${answer.json.total ?? 0} (the log keeps the last 10,000; headers and bodies for the newest 200).</p>
<section class="card"><form class="row" method="get">${input('method', 'POST')}${input('path', '/v1/payment_intents*')}${input('status', '402 or 4xx')}${input('idempotency_key', 'Idempotency-Key')}${select}<button type="submit">Filter</button></form>${error}
${table(['Request', 'At', 'Method', 'Path', 'Status', 'Idempotency key', '', ''], rows, 'No requests.')}</section>`,
    v.session,
    world,
  );
}

export async function requestPage(v: WorldView, id: string): Promise<string | null> {
  const { world, control } = v;
  const answer = await control('GET', `/__admin__/requests/${encodeURIComponent(id)}`);
  if (answer.status === 404) return null;
  const e = answer.json;
  const x = e.exchange;
  const value = (val: string) => (/^req_[A-Za-z0-9]+$/.test(val) ? `<a class="mono" href="${worldPath(world)}/requests/${val}">${val}</a>` : `<span class="mono">${esc(val)}</span>`);
  const headers = (h: Record<string, string>) => table(['Header', 'Value'], Object.entries(h).map(([k, val]) => [`<span class="mono">${esc(k)}</span>`, value(val)]), 'None.');
  // A form body is also shown decoded, as the parameters the endpoint received.
  const params = (text: string) => (text && !text.trimStart().startsWith('{') ? `<details open><summary>Parameters</summary>${json(formToPlain(decodeForm(text)), world)}</details>` : '');
  const replay = e.idempotency_key
    ? `<a href="${worldPath(world)}/requests?idempotency_key=${encodeURIComponent(e.idempotency_key)}">every request with this key</a>`
    : '';
  const exchange = x
    ? `<div class="grid"><section class="card"><h2>Request</h2>${x.query ? `<p class="mono">?${esc(x.query)}</p>` : ''}${body(x.request_body, world)}${params(x.request_body || x.query)}<details><summary>Headers</summary>${headers(x.request_headers)}</details></section>
<section class="card"><h2>Response</h2>${body(x.response_body, world)}<details open><summary>Headers</summary>${headers(x.response_headers)}</details></section></div>`
    : '<p class="card muted">Its headers and bodies are no longer kept (only the newest 200 are).</p>';
  return layout(
    id,
    `<h1 class="mono">${esc(e.method)} ${esc(e.path)}</h1>
<section class="card"><dl><dt>Request id</dt><dd class="mono">${esc(e.id)}</dd><dt>Status</dt><dd>${e.status === null ? pill('dropped', 'bad') : pill(String(e.status), e.status < 300 ? 'good' : 'bad')}</dd>
<dt>At</dt><dd>${time(e.created)} · ${esc(String(e.latency_ms))} ms</dd><dt>Idempotency key</dt><dd><span class="mono">${esc(e.idempotency_key ?? '—')}</span> ${replay}</dd>
<dt>Replayed</dt><dd>${e.replayed ? pill('Idempotent-Replayed: true', 'wait') : 'no'}</dd><dt>Fault</dt><dd>${e.fault ? esc(`${e.fault.type} (${e.fault.id})`) : 'none'}</dd></dl></section>
${exchange}`,
    v.session,
    world,
  );
}

// --- triggers ---

export async function triggersPage(v: WorldView): Promise<string> {
  const { world, session, here, control } = v;
  const [next, catalogue] = await Promise.all([control('GET', '/__admin__/world/next'), control('GET', '/__admin__/world/triggers')]);
  const specs = new Map<string, any>((catalogue.json.triggers ?? []).map((t: any) => [t.trigger, t]));
  const sections = (next.json.triggers ?? []).map((t: any) => {
    const spec = specs.get(t.trigger);
    const selects = Object.entries<any>(spec?.params ?? {})
      .map(([name, p]) => {
        const values: string[] = p.values === 'boolean' ? ['false', 'true'] : p.values;
        const options = values.map((x) => `<option${String(p.default) === x ? ' selected' : ''}>${esc(x)}</option>`).join('');
        return `<label>${esc(name)} <select name="${esc(name)}">${p.required ? '' : '<option value="">(default)</option>'}${options}</select></label>`;
      })
      .join(' ');
    const rows = t.objects.map((o: Record<string, string>) => {
      const [on, id] = Object.entries(o).find(([k]) => k !== 'status')!;
      return [idLink(world, id), esc(o.status), actionForm(session, world, 'trigger', { trigger: t.trigger, on, id }, selects, `Run ${t.trigger}`, here)];
    });
    return `<section class="card trigger" id="${esc(t.trigger)}"><h2>${esc(t.trigger)}</h2><p class="muted">${esc(spec?.description ?? '')}</p>
${table(['Object', 'Now', ''], rows)}${t.has_more ? '<p class="muted">Newest 10 shown.</p>' : ''}</section>`;
  });
  const armed = (next.json.armed ?? []).map((a: any) => [esc(a.trigger), idLink(world, a.payment_intent ?? a.setup_intent), esc(a.decline_code ?? '')]);
  return layout(
    'Triggers',
    `<h1>Triggers</h1><p class="sub">Force a branch, as the test value it stands for would (the control surface's <code>POST /__admin__/world/trigger</code>). Listed: what applies now, newest objects first.</p>
${sections.join('') || '<p class="card muted">Nothing to trigger yet: make a PaymentIntent, a charge, a refund or a subscription.</p>'}
<section class="card"><h2>Armed, not yet taken</h2>${table(['Trigger', 'Intent', 'Decline code'], armed, 'None.')}</section>`,
    session,
    world,
  );
}
