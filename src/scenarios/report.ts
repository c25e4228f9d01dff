import fs from 'node:fs';
import path from 'node:path';
import type { Report } from './run';

// A run's report: report.json (everything, for machines) and report.md (for people).

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdown(report: Report): string {
  const a = report.agent;
  const lines = [
    `# ${report.scenario.title}: ${report.pass ? 'PASS' : 'FAIL'}`,
    '',
    `Scenario \`${report.scenario.file}\`; agent \`${a.command}\` ${a.timed_out ? `stopped after ${Math.round(a.duration_ms / 1000)} s (timeout)` : `exited ${a.exit_code ?? a.signal} after ${a.duration_ms} ms`}.`,
    `Session \`${report.session.id}\` at ${report.session.rest_url} (MCP ${report.session.mcp_url}), key \`${report.session.api_key}\`.`,
    '',
    '## Checks',
    '',
    '| | check | reason |',
    '|---|---|---|',
    ...report.checks.map((c) => `| ${c.pass ? '✓' : '✗'} | ${cell(c.name)} | ${cell(c.reason)} |`),
    '',
    `## Requests (${report.requests.length})`,
    '',
    '| # | request | status | idempotency key |',
    '|---|---|---|---|',
    ...report.requests.map((r, i) => `| ${i + 1} | ${r.method} ${r.path} | ${r.status ?? 'dropped'}${r.replayed ? ' (replayed)' : ''}${r.fault ? ' (fault)' : ''} | ${r.idempotency_key ?? ''} |`),
  ];
  if (report.paywall.length) {
    lines.push('', `## Paid resource (${report.paywall.length})`, '', ...report.paywall.map((r) => `- ${r.method} ${r.path} → ${r.status}${r.payment ? ' (with a payment)' : ''}`));
  }
  lines.push('', '## Events', '', ...report.events.map((e) => `- ${e.type} (${e.id}${e.object ? `, ${e.object}` : ''})`));
  for (const [name, text] of [['stdout', a.stdout], ['stderr', a.stderr]]) {
    if (text.trim()) lines.push('', `## Agent ${name}`, '', '```', text.trimEnd(), '```');
  }
  return `${lines.join('\n')}\n`;
}

/** The summary the command prints: one line per check, then the verdict. */
export function summary(report: Report, files: string[]): string {
  const lines = report.checks.map((c) => `  ${c.pass ? '✓' : '✗'} ${c.name}: ${c.reason}`);
  const passed = report.checks.filter((c) => c.pass).length;
  const a = report.agent;
  const ran = a.timed_out ? `stopped at the timeout after ${(a.duration_ms / 1000).toFixed(1)} s` : `exited ${a.exit_code ?? a.signal} after ${(a.duration_ms / 1000).toFixed(1)} s`;
  return [
    `${report.scenario.title} (the agent ${ran})`,
    ...lines,
    `${report.pass ? 'PASS' : 'FAIL'} (${passed}/${report.checks.length} checks)${files.length ? `; report: ${files.join(', ')}` : ''}`,
    '',
  ].join('\n');
}

export function writeReport(report: Report, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const md = path.join(dir, 'report.md');
  fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(md, markdown(report));
  return [json, md];
}
