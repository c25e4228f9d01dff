import type { GroupSummary, VerifyResult } from './verify';

// The static HTML report of `stripe-twin verify`: group and score tables, then
// each sequence's interactions with their findings and the recorded and twin
// responses side by side.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const json = (v: unknown) => esc(JSON.stringify(v, null, 2) ?? 'undefined');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function rows(cells: (string | number)[][]): string {
  return cells.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('\n');
}

/** Interactions compared (run and diffed), of a group. */
export const comparedOf = (g: Pick<GroupSummary, 'exact' | 'shapeEqual' | 'drifted'>) => g.exact + g.shapeEqual + g.drifted;

/** The per-group table of the printed summary and the HTML report; the interaction verdicts add up to `interactions`. */
export const GROUP_COLUMNS: [string, (g: GroupSummary) => string | number][] = [
  ['group', (g) => g.group],
  ['sequences', (g) => g.sequences],
  ['objects only', (g) => g.noRequests],
  ['interactions', (g) => g.interactions],
  ['compared', (g) => (g.interactions ? `${comparedOf(g)} (${((comparedOf(g) / g.interactions) * 100).toFixed(0)}%)` : '-')],
  ['exact', (g) => g.exact],
  ['shape-equal', (g) => g.shapeEqual],
  ['drifted', (g) => g.drifted],
  ['unsupported', (g) => g.unsupported],
  ['needs state', (g) => g.needsState],
  ['cannot shape', (g) => g.cannotShape],
  ['undeclared', (g) => g.undeclared],
];

export function renderHtmlReport(result: VerifyResult): string {
  const groups = rows(result.groups.map((g) => GROUP_COLUMNS.map(([, cell]) => cell(g))));
  const scores = rows(Object.entries(result.scores).map(([t, s]) => [t, s.compared, s.agreed, pct(s.score)]));
  const sequences = result.sequences
    .map((s) => {
      const interactions = s.interactions
        .map((i) => {
          const declared = i.findings.filter((f) => !s.undeclared.includes(f)).length;
          const findings = i.findings
            .map((f) => `<li class="${s.undeclared.includes(f) ? 'undeclared' : 'declared'}">${esc(f.kind)} ${esc(f.object ?? '')} <code>${esc(f.field ?? '')}</code> recorded <code>${esc(JSON.stringify(f.expected) ?? '')}</code> twin <code>${esc(JSON.stringify(f.actual) ?? '')}</code></li>`)
            .join('');
          const values = i.valueDiffs
            .map((d) => `<li class="value"><code>${esc(d.field)}</code> recorded <code>${esc(JSON.stringify(d.expected) ?? '')}</code> twin <code>${esc(JSON.stringify(d.actual) ?? '')}</code></li>`)
            .join('');
          return `<details class="${i.verdict}"${i.findings.length ? ' open' : ''}><summary>#${i.index} <b>${esc(i.request)}</b> — ${i.verdict} (recorded ${i.recordedStatus}, twin ${i.twinStatus})${declared ? `, ${declared} declared` : ''}</summary>
<ul>${findings}${values}</ul>
<div class="side"><div><h4>recorded</h4><pre>${json(i.recorded)}</pre></div><div><h4>twin</h4><pre>${json(i.twin)}</pre></div></div></details>`;
        })
        .join('\n');
      const head = `${esc(s.name)} <small>${esc(s.group)} · ${esc(s.versions.join(', '))} · ${s.outcome}${s.undeclared.length ? ` · <span class="undeclared">${s.undeclared.length} undeclared</span>` : ''}</small>`;
      return `<section><h3>${head}</h3>${s.outcome === 'cannot-shape' ? '<p>Recorded at a version the twin cannot shape yet: not run.</p>' : interactions}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>stripe-twin verify</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222} table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:2px 8px;text-align:right} td:first-child,th:first-child{text-align:left}
details{margin:.3em 0;border-left:4px solid #ccc;padding-left:.6em} details.exact{border-color:#2a2} details.shape-equal{border-color:#8c8} details.drifted{border-color:#d70} details.unsupported,details.needs-state{border-color:#888}
.side{display:flex;gap:1em} .side>div{flex:1;min-width:0} pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:30em;font-size:12px}
.undeclared{color:#b00;font-weight:bold} li.declared{color:#777} li.value{color:#555} section{margin-top:1.5em}
</style></head><body>
<h1>stripe-twin verify</h1>
<p>Coverage: compared <b>${result.coverage.compared}</b> of the ${result.coverage.held} recorded interactions (${pct(result.coverage.held ? result.coverage.compared / result.coverage.held : 0)});
not compared: ${result.coverage.unsupported} unsupported, ${result.coverage.needsState} needing state, ${result.coverage.cannotShape} at versions the twin cannot shape.</p>
${result.failures.length ? `<ul>${result.failures.map((f) => `<li class="undeclared">FAIL: ${esc(f)}</li>`).join('')}</ul>` : '<p>The gate passes.</p>'}
<p>Overall fidelity: <b>${pct(result.overall.score)}</b> of ${result.overall.compared} compared fields; ${result.sequences.length} sequences in ${result.wallSeconds.toFixed(1)} s.</p>
<table><tr>${GROUP_COLUMNS.map(([name]) => `<th>${name}</th>`).join('')}</tr>
${groups}</table>
<table><tr><th>object</th><th>fields compared</th><th>agree</th><th>score</th></tr>
${scores}</table>
${sequences}
</body></html>
`;
}
