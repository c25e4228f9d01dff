import { World } from '../../engine/world';
import { esc } from '../../server/hosted';
import { TwinResponse } from '../../server/stages';
import { BASE, Flash, InspectorSession } from './auth';

// The inspector's HTML: small functions that build escaped strings, in the
// manner of the hosted pages (src/server/hosted.ts). No script at all (the CSP
// forbids it), no external fonts or files: one inline style sheet.

export { esc };

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1f36;background:#f6f9fc}
header{background:#1a1f36;color:#fff;padding:10px 24px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header a{color:#c9d3ff;text-decoration:none}header a:hover{color:#fff}header .brand{font-weight:700;color:#fff;margin-right:8px}
header form{margin-left:auto}header button{background:transparent;border:1px solid #697386;color:#c9d3ff}
main{max-width:1200px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 10px}
.sub{color:#697386;margin:0 0 18px}.muted{color:#697386}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:18px;margin-bottom:18px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(50,50,93,.12);padding:18px;margin-bottom:18px;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e8ee;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#697386;font-weight:600}
a{color:#0055bc}code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#f6f9fc;border:1px solid #e3e8ee;border-radius:6px;padding:10px 12px;white-space:pre-wrap;word-break:break-all;margin:0 0 12px;max-height:640px;overflow:auto}
.s{color:#0a7a3b}.n{color:#9c3f0f}.k{color:#3c4257}
form.inline{display:inline-flex;gap:6px;align-items:center;margin:0}form.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0}
input,select{font:inherit;padding:5px 8px;border:1px solid #d5dbe1;border-radius:5px;background:#fff;color:#1a1f36}
button{font:inherit;font-weight:600;color:#fff;background:#0074d4;border:0;border-radius:5px;padding:5px 12px;cursor:pointer}
button:hover{background:#0062b4}button.secondary{background:#fff;color:#1a1f36;border:1px solid #d5dbe1}button.danger{background:#df1b41}
.flash{border-radius:6px;padding:10px 14px;margin-bottom:18px}.ok{background:#e6f7ed;border:1px solid #9ad9b5}.err{background:#fff0f3;border:1px solid #f5a3b5}
.flash pre{background:#fff;margin:8px 0 0}.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;background:#e3e8ee}
.pill.good{background:#d7f7e3;color:#0a6b32}.pill.bad{background:#ffe1e8;color:#b3093c}.pill.wait{background:#fcedc7;color:#8a5a00}
.pager{display:flex;gap:12px;margin-top:10px}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dt{color:#697386}dd{margin:0}
.login{max-width:520px;margin:60px auto}.login input{width:100%;margin:8px 0 12px}h1.mono{font-size:20px}h2 button{font-size:13px}`;

/** Headers of every inspector page: HTML, never cached or framed, no script, no Referer to another site (a login URL carries the token; `no-referrer` would also make the browser send `Origin: null` on our own forms). */
const PAGE_HEADERS = [
  'Content-Type', 'text/html; charset=utf-8',
  'Cache-Control', 'no-store',
  'X-Frame-Options', 'DENY',
  'X-Content-Type-Options', 'nosniff',
  'Referrer-Policy', 'same-origin',
  'Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
];

export function html(status: number, body: string, extra: string[] = []): TwinResponse {
  return { status, headers: [...PAGE_HEADERS, ...extra], body };
}

/** A 303 to `location` (after a form, the browser GETs it). */
export function redirect(location: string, extra: string[] = []): TwinResponse {
  return { status: 303, headers: [...PAGE_HEADERS, 'Location', location, ...extra], body: '' };
}

/** A whole page: the bar (with the world's sections when there is one), the flash, the body. */
export function layout(title: string, body: string, session: InspectorSession | null, world?: World): string {
  const w = world ? worldPath(world) : '';
  const nav = world
    ? `<a href="${w}">${esc(world.accountId)}</a><a href="${w}/events">Events</a><a href="${w}/requests">Requests</a><a href="${w}/triggers">Triggers</a>`
    : '';
  const logout = session ? `<form method="post" action="${BASE}/logout">${csrfField(session)}<button class="secondary" type="submit">Log out</button></form>` : '';
  const flash = session?.flash ? flashBox(session.flash, world) : '';
  if (session) session.flash = null;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · stripe-twin inspector</title><style>${STYLE}</style></head>
<body><header><a class="brand" href="${BASE}">stripe-twin inspector</a><a href="${BASE}">Worlds</a>${nav}${logout}</header>
<main>${flash}${body}</main></body></html>`;
}

function flashBox(flash: Flash, world: World | undefined): string {
  const detail = flash.detail === undefined ? '' : `<details${flash.ok ? '' : ' open'}><summary>Answer</summary>${json(flash.detail, world)}</details>`;
  return `<div class="flash ${flash.ok ? 'ok' : 'err'}" role="${flash.ok ? 'status' : 'alert'}"><strong>${esc(flash.text)}</strong>${detail}</div>`;
}

export const csrfField = (session: InspectorSession | null) => (session ? `<input type="hidden" name="csrf" value="${esc(session.csrf)}">` : '');

/** A POST form to one of the world's actions: hidden fields, visible inputs, a button. */
export function actionForm(session: InspectorSession | null, world: World, action: string, hidden: Record<string, string>, inputs: string, label: string, back: string, cls = ''): string {
  const fields = Object.entries({ ...hidden, back }).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return `<form class="inline" method="post" action="${worldPath(world)}/${action}">${csrfField(session)}${fields}${inputs}<button type="submit"${cls ? ` class="${cls}"` : ''}>${esc(label)}</button></form>`;
}

export const worldPath = (world: World) => `${BASE}/w/${encodeURIComponent(world.accountId)}`;
export const objectHref = (world: World, id: string) => `${worldPath(world)}/o/${encodeURIComponent(id)}`;

export function table(head: string[], rows: string[][], empty = 'Nothing yet.'): string {
  if (!rows.length) return `<p class="muted">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Unix seconds as an ISO time (UTC), with the seconds in a tooltip. */
export function time(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '<span class="muted">—</span>';
  return `<span title="${seconds}">${esc(new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'))}</span>`;
}

export function pill(text: string, kind: 'good' | 'bad' | 'wait' | '' = ''): string {
  return `<span class="pill ${kind}">${esc(text)}</span>`;
}

/** A link to an object of the world when `id` names one, else the id as text. */
export function idLink(world: World, id: unknown): string {
  if (typeof id !== 'string') return id === null || id === undefined ? '<span class="muted">—</span>' : esc(String(id));
  return world.get(id) ? `<a class="mono" href="${objectHref(world, id)}">${esc(id)}</a>` : `<span class="mono">${esc(id)}</span>`;
}

const STRING = /"(?:[^"\\]|\\.)*"/g;
/** Shortest and longest strings looked up as ids (an id is a prefix, `_`, and characters). */
const ID_SHAPE = /^[a-z][a-z0-9_.]*_[A-Za-z0-9_:]{4,200}$/;

/**
 * `value` printed as JSON (two-space indentation, as the API prints it), escaped;
 * every string that names an object of `world` links to its page, and request
 * ids link to the request log.
 */
export function json(value: unknown, world?: World): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  let out = '';
  let last = 0;
  for (const m of text.matchAll(STRING)) {
    const at = m.index!;
    out += numbers(text.slice(last, at));
    last = at + m[0].length;
    const literal = m[0];
    const isKey = text[last] === ':';
    const s = JSON.parse(literal) as string;
    let href: string | null = null;
    if (world && !isKey && ID_SHAPE.test(s)) {
      if (world.get(s)) href = objectHref(world, s);
      else if (s.startsWith('req_')) href = `${worldPath(world)}/requests/${encodeURIComponent(s)}`;
    }
    const shown = `<span class="${isKey ? 'k' : 's'}">${esc(literal)}</span>`;
    out += href ? `<a href="${href}">${shown}</a>` : shown;
  }
  out += numbers(text.slice(last));
  return `<pre class="json">${out}</pre>`;
}

/** Between strings: punctuation, numbers, true/false/null. */
const numbers = (text: string) => esc(text).replace(/(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|true|false|null)/g, '<span class="n">$1</span>');

/** A text body (request or response) as JSON with links when it is JSON, else as text. */
export function body(text: string, world: World): string {
  if (!text) return '<p class="muted">(empty)</p>';
  try {
    return json(JSON.parse(text), world);
  } catch {
    return `<pre>${esc(text)}</pre>`;
  }
}
