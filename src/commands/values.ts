import { CONTROL_TOKEN_RULE, isWellFormedControlToken } from '../control/token';

// The values command-line options take, read from their text (a flag's or an
// environment variable's). Each throws a sentence saying what the value should
// be; the CLI prints it after the option and the value it refused. Light on
// purpose: `stripe-twin --help` loads this module and no command.

/** A TCP port; 0 asks the system for a free one (the one chosen is printed). */
export function port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new Error('A port is a whole number from 0 to 65535 (0: any free port, printed at start-up).');
  return Number(text);
}

/** 1, 2, … */
export function positiveInteger(text: string): number {
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new Error('Expected a positive whole number.');
  return Number(text);
}

/** A size in MiB (fractions allowed), as bytes: --fold-at. */
export function mebibytes(text: string): number {
  if (!/^(\d{1,6}(\.\d{1,6})?|\.\d{1,6})$/.test(text) || Number(text) === 0) throw new Error('Expected a size in MiB greater than 0, such as 64 or 0.5.');
  return Math.round(Number(text) * 1024 * 1024);
}

/** --workers: 1 (this process alone) to 64. */
export function workerCount(text: string): number {
  if (!/^[1-9]\d{0,1}$/.test(text) || Number(text) > 64) throw new Error('Expected a whole number from 1 to 64.');
  return Number(text);
}

/** 0, 1, 2, … (a seed). */
export function wholeNumber(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new Error('Expected a whole number (0, 1, 2, …).');
  return Number(text);
}

/** Unix seconds (`1767225600`) or an ISO date (`2026-01-01`, `2026-01-01T00:00:00Z`), as Unix seconds. */
export function moment(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Math.floor(Date.parse(text) / 1000) : NaN;
  if (!Number.isFinite(n)) throw new Error('Expected Unix seconds or an ISO date like 2026-01-01T00:00:00Z.');
  return n;
}

/** Comma-separated positive seconds (`3600,7200`); `none` or nothing for an empty list. */
export function secondsList(text: string): number[] {
  const list = text === '' || text === 'none' ? [] : text.split(',').map(Number);
  if (list.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error('Expected positive seconds separated by commas, like 3600,7200,14400 (or none).');
  return list;
}

/** An http(s) URL, without its trailing slash. */
export function httpUrl(text: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // answered below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error('Expected an http(s) URL like http://localhost:12111.');
  return text.replace(/\/+$/, '');
}

export function controlToken(text: string): string {
  if (!isWellFormedControlToken(text)) throw new Error(`${CONTROL_TOKEN_RULE[0].toUpperCase()}${CONTROL_TOKEN_RULE.slice(1)}.`);
  return text;
}
