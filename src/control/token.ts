import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Twin } from '../engine/twin';

// Who owns the control surface (/__admin__/*): the holder of the twin's control
// token. `serve` makes one at start-up (or takes --control-token /
// STRIPE_TWIN_CONTROL_TOKEN), prints it, and writes it to a file only this user
// can read, named by port, so clients on this machine find it with no setup:
//
//   $XDG_RUNTIME_DIR/stripe-twin/<port>.token   (or <tmpdir>/stripe-twin-<uid>/<port>.token)
//
// An in-process twin (createTwin) has its own token, which its in-process
// clients send for themselves. No engine code here (the HTTP-only client loads
// this module): the engine's token lives beside it, in a WeakMap.

/** The header that carries the control token. `Authorization: Bearer` stays the world's API key. */
export const CONTROL_TOKEN_HEADER = 'Stripe-Twin-Control-Token';
/** Where clients and `serve` read a token from the environment. */
export const CONTROL_TOKEN_ENV = 'STRIPE_TWIN_CONTROL_TOKEN';

/** A fresh token: 32 random bytes, URL-safe. */
export function newControlToken(): string {
  return `twinctl_${crypto.randomBytes(32).toString('base64url')}`;
}

/** A token given by a user (flag, env): 16 to 256 visible ASCII characters, so it fits a header as is. */
export function checkControlToken(token: string, from: string): string {
  if (!isWellFormedControlToken(token)) throw new Error(`${from}: ${CONTROL_TOKEN_RULE}`);
  return token;
}

/** What a token given by a user must be (the CLI checks --control-token with it too). */
export const CONTROL_TOKEN_RULE = 'a control token is 16 to 256 visible ASCII characters (no spaces)';

export const isWellFormedControlToken = (token: string): boolean => /^[\x21-\x7e]{16,256}$/.test(token);

// --- the engine's token and the hosts it is served on ---

const tokens = new WeakMap<Twin, string>();
const hosts = new WeakMap<Twin, Set<string>>();

/** Sets the control token of a twin (serve, createTwin). */
export function setControlToken(twin: Twin, token: string): void {
  tokens.set(twin, token);
}

/** The control token of a twin; one is made on first use when its face set none. */
export function controlTokenOf(twin: Twin): string {
  let token = tokens.get(twin);
  if (token === undefined) tokens.set(twin, (token = newControlToken()));
  return token;
}

/** Constant-time comparison of a presented token with the twin's. */
export function isControlToken(twin: Twin, presented: string): boolean {
  const a = Buffer.from(controlTokenOf(twin));
  const b = Buffer.from(presented);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/**
 * Records that the twin is served on `host` (the --host given to serve), so a
 * `Host:` naming it is accepted on the control surface; loopback names always are.
 * A wildcard address (0.0.0.0, ::) adds this machine's interface addresses and name.
 */
export function allowControlHost(twin: Twin, host: string): void {
  let set = hosts.get(twin);
  if (!set) hosts.set(twin, (set = new Set()));
  const name = normalizeHost(host);
  set.add(name);
  if (name === '0.0.0.0' || name === '::') {
    set.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) set.add(normalizeHost(a.address));
  }
}

/** Whether a `Host:` header value (`localhost:12111`, `[::1]:80`) names this twin. */
export function isAllowedHost(twin: Twin, header: string): boolean {
  const name = hostOfHeader(header);
  if (name === null) return false;
  return isLoopbackHost(name) || (hosts.get(twin)?.has(name) ?? false);
}

/** The host name of a Host header, lower case, without port or IPv6 brackets; null when malformed. */
function hostOfHeader(header: string): string | null {
  const value = header.trim().toLowerCase();
  const m = value.match(/^\[([0-9a-f:.]+)\](?::\d+)?$/) ?? value.match(/^([^:[\]\s/@]+)(?::\d+)?$/);
  return m ? normalizeHost(m[1]) : null;
}

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** localhost (and *.localhost), 127.0.0.0/8, ::1 (and its IPv4-mapped forms). */
export function isLoopbackHost(host: string): boolean {
  const name = normalizeHost(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (/^127(\.\d{1,3}){3}$/.test(name)) return true;
  if (name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  return /^(::ffff:|0:0:0:0:0:ffff:)127(\.\d{1,3}){3}$/.test(name);
}

// --- the token file ---

/** The per-user folder token files live in; null when it is not safely ours (then no file is written or read). */
export function tokenDir(create = false): string | null {
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const runtime = process.env.XDG_RUNTIME_DIR;
  const dir = runtime && path.isAbsolute(runtime) ? path.join(runtime, 'stripe-twin') : path.join(os.tmpdir(), `stripe-twin-${uid ?? os.userInfo().username}`);
  try {
    if (create) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    // In a shared tmpdir someone else may have made the folder first: use it only if it is ours and closed to others.
    if (!stat.isDirectory() || (uid !== null && (stat.uid !== uid || (stat.mode & 0o077) !== 0))) return null;
    return dir;
  } catch {
    return null;
  }
}

/** The token file of the twin on `port`. */
export function tokenFile(port: number | string, dir = tokenDir()): string | null {
  return dir === null ? null : path.join(dir, `${port}.token`);
}

/** Writes the token of the twin on `port` (mode 0600); answers the file, or null when it could not be written safely. */
export function writeTokenFile(port: number, token: string): string | null {
  const file = tokenFile(port, tokenDir(true));
  if (file === null) return null;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
    return file;
  } catch {
    fs.rmSync(temp, { force: true });
    return null;
  }
}

/** Removes a token file this process wrote (unless another twin has since written its own there). */
export function removeTokenFile(file: string, token: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === token) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** The token a twin on this machine wrote for `port`: a regular file of this user's, closed to others. */
export function readTokenFile(port: number | string): string | undefined {
  const file = tokenFile(port);
  if (file === null) return undefined;
  try {
    const stat = fs.lstatSync(file);
    const uid = typeof process.getuid === 'function' ? process.getuid() : null;
    if (!stat.isFile() || (uid !== null && (stat.uid !== uid || (stat.mode & 0o077) !== 0))) return undefined;
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The control token a client should send to the twin at `url`: the one given,
 * else STRIPE_TWIN_CONTROL_TOKEN, else — for a loopback URL — the token file
 * of the twin on that port. Undefined when none is found (the client then acts
 * with its API key only, on that key's world).
 */
export function findControlToken(url: string, given?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (given) return given;
  if (env[CONTROL_TOKEN_ENV]) return env[CONTROL_TOKEN_ENV];
  return tokenFromFileFor(url);
}

/** The token file's token for a loopback URL, if any. */
export function tokenFromFileFor(url: string): string | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  if (!isLoopbackHost(target.hostname)) return undefined;
  return readTokenFile(target.port || (target.protocol === 'https:' ? 443 : 80));
}
