import crypto from 'node:crypto';
import { Twin } from '../../engine/twin';
import { TwinRequest } from '../../server/stages';
import { CONTROL_TOKEN_HEADER, isAllowedHost, isControlToken } from '../token';

// Who may use the inspector: the twin's owner, the holder of its control token
// (docs/inspector.md). The token is presented once — in the URL `serve` prints
// (`/__inspector__?token=…`) or pasted into the login form — and exchanged for a
// session: a random id in an HttpOnly, SameSite=Strict cookie scoped to
// /__inspector__. A script (`curl`) may send the token itself instead, in the
// Stripe-Twin-Control-Token header or as `Authorization: Bearer <token>`.
// State-changing requests are POST forms, accepted only with the session's
// CSRF token, from this twin's own origin.

export const BASE = '/__inspector__';
export const COOKIE = 'stripe_twin_inspector';
/** Sessions kept per twin: the oldest is forgotten beyond this (twin choice). */
const MAX_SESSIONS = 32;

export interface Flash {
  ok: boolean;
  text: string;
  /** JSON the action answered, shown with links. */
  detail?: unknown;
}

export interface InspectorSession {
  id: string;
  /** Sent back by every form of this session. */
  csrf: string;
  /** The token it was opened with: a session ends if the twin's token changes. */
  token: string;
  /** What the last action came to, shown once. */
  flash: Flash | null;
}

const sessions = new WeakMap<Twin, Map<string, InspectorSession>>();

const random = () => crypto.randomBytes(32).toString('base64url');

export function openSession(twin: Twin, token: string): InspectorSession {
  let kept = sessions.get(twin);
  if (!kept) sessions.set(twin, (kept = new Map()));
  const session: InspectorSession = { id: random(), csrf: random(), token, flash: null };
  kept.set(session.id, session);
  if (kept.size > MAX_SESSIONS) kept.delete(kept.keys().next().value!);
  return session;
}

export function closeSession(twin: Twin, session: InspectorSession): void {
  sessions.get(twin)?.delete(session.id);
}

/** The session the request's cookie names, while the token it was opened with is still the twin's. */
export function sessionOf(twin: Twin, req: TwinRequest): InspectorSession | undefined {
  const id = cookie(req, COOKIE);
  const session = id === undefined ? undefined : sessions.get(twin)?.get(id);
  return session && isControlToken(twin, session.token) ? session : undefined;
}

function cookie(req: TwinRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie of a session: never readable by script, never sent from another site. */
export const sessionCookie = (session: InspectorSession) => `${COOKIE}=${session.id}; Path=${BASE}; HttpOnly; SameSite=Strict`;
export const clearedCookie = `${COOKIE}=; Path=${BASE}; HttpOnly; SameSite=Strict; Max-Age=0`;

/** A control token presented in a header: Stripe-Twin-Control-Token, or Authorization: Bearer. */
export function headerToken(req: TwinRequest): string | undefined {
  const given = req.headers[CONTROL_TOKEN_HEADER.toLowerCase()] ?? req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return given?.trim();
}

/** Equal strings, compared in constant time. */
export function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Why a request must not reach the inspector at all, or null: a webhook delivery
 * (an endpoint URL may point here), a Host that is not this twin's (DNS
 * rebinding), and — for a POST — a browser request from another site or origin.
 */
export function foreign(twin: Twin, req: TwinRequest, post: boolean): string | null {
  const h = req.headers;
  if (h['stripe-signature'] !== undefined) return 'Webhook deliveries cannot reach the inspector.';
  if (h.host !== undefined && !isAllowedHost(twin, h.host)) return `The inspector answers requests addressed to this twin only (Host: ${h.host}); use localhost or the address it serves on.`;
  if (!post) return null;
  const site = h['sec-fetch-site']?.trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') return 'A page of another site cannot act through the inspector.';
  const origin = h.origin?.trim().toLowerCase();
  const host = h.host?.trim().toLowerCase();
  if (origin !== undefined && (host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`))) {
    return `A page of another origin (${h.origin}) cannot act through the inspector.`;
  }
  return null;
}
