import { testCards } from '../engine/test_values';
import { Capture } from './capture';
import { isObjectToken, tokensInText } from './normalize';

// State from the recording: objects a capture's requests name that none of its
// earlier responses made (the recording account had them before the capture
// began) are seeded into the twin's world first, as the recording shows them,
// under their recorded ids — so those requests are compared instead of being
// skipped as "needs state".
//
// Seeded: customers (their plain fields, read off the first response that shows
// them) and payment methods (the test card with the recorded brand and last4,
// else a Visa — a request naming a card the recording never shows says nothing
// more; attached to the customer a response or request pairs it with), and
// connected accounts (named by Stripe-Account or a /v1/accounts path: onboarded,
// of the recorded type, else Express, with transfers and card payments), the
// customers and cards a request on a connected account names seeded in it.
// Other objects (invoices, intents) carry state only their whole history could
// rebuild: those requests stay "needs state".

/** Customer fields taken from the recording: create parameters whose recorded values can be sent back as they are. */
const CUSTOMER_FIELDS = ['email', 'name', 'description', 'phone', 'metadata', 'preferred_locales', 'address', 'shipping'];

export interface RecordedState {
  /** Seed sections (the control surface's seed format). */
  seed: Record<string, any[]>;
  /** Token → the recorded id the object is seeded under. */
  ids: Map<string, string>;
}

/** The objects `capture` names before any response of its made them, that can be seeded from what it shows. */
export function stateFromRecording(capture: Capture): RecordedState {
  const needed: string[] = [];
  const made = new Set<string>();
  const pairs = new Map<string, string>(); // payment method token → customer token
  const seenFirst = new Set<string>();
  const onAccount = new Map<string, string>(); // token → the Stripe-Account token of the request that first names it
  for (const { request, response } of capture.interactions) {
    const header = request.stripe_account ? objectTokens(request.stripe_account, capture.ids) : [];
    for (const token of [...header, ...objectTokens([request.path, request.params], capture.ids)]) {
      if (made.has(token) || seenFirst.has(token)) continue;
      seenFirst.add(token);
      // A request Stripe refused (a 404: the object is another account's) says it was not there: nothing to seed.
      if (response.status >= 400) continue;
      needed.push(token);
      if (header[0] && token !== header[0]) onAccount.set(token, header[0]);
    }
    pairCardsWithCustomers(request.path, request.params, pairs);
    for (const token of objectTokens(response.body, capture.ids)) made.add(token);
  }
  const customers: any[] = [];
  const cards: any[] = [];
  const accounts: any[] = [];
  const ids = new Map<string, string>();
  for (const token of needed) {
    const id = capture.ids[token];
    if (!id) continue;
    const shown = recordedObject(capture, token);
    const account = onAccount.has(token) ? { account: capture.ids[onAccount.get(token)!] } : {};
    if (id.startsWith('acct_')) {
      const type = ['standard', 'express', 'custom'].includes(shown?.type) ? shown!.type : 'express';
      const profile = shown?.business_profile ? { business_profile: { name: shown.business_profile.name ?? undefined, url: shown.business_profile.url ?? undefined } } : {};
      const person = shown?.individual ? { individual: { first_name: shown.individual.first_name ?? undefined, last_name: shown.individual.last_name ?? undefined } } : {};
      const capabilities = Object.keys(shown?.capabilities ?? { card_payments: 1, transfers: 1 });
      accounts.push({
        id,
        type,
        ...(shown?.email ? { email: shown.email } : {}),
        ...(shown?.business_type ? { business_type: shown.business_type } : {}),
        ...profile,
        ...person,
        capabilities: Object.fromEntries(capabilities.map((c) => [c, { requested: true }])),
      });
      ids.set(token, id);
    } else if (id.startsWith('cus_')) {
      const fields = Object.fromEntries(CUSTOMER_FIELDS.filter((f) => shown?.[f] !== undefined && shown[f] !== null).map((f) => [f, shown![f]]));
      customers.push({ id, ...account, ...fields });
      ids.set(token, id);
    } else if (id.startsWith('pm_') && (!shown || shown.type === 'card')) {
      const owner = typeof shown?.customer === 'string' ? shown.customer : pairs.get(token);
      const customer = owner ? capture.ids[owner] : undefined;
      cards.push({ id, ...account, test_value: testCardFor(shown?.card), ...(customer ? { customer } : {}) });
      ids.set(token, id);
    }
  }
  // A card is attached to its customer only when that customer is in the world (seeded here, or made by the capture: then it is not).
  for (const card of cards) if (card.customer && !customers.some((c) => c.id === card.customer)) delete card.customer;
  const seed: Record<string, any[]> = {};
  if (accounts.length) seed.accounts = accounts;
  if (customers.length) seed.customers = customers;
  if (cards.length) seed.payment_methods = cards;
  return { seed, ids };
}

function objectTokens(value: unknown, captureIds: Record<string, string>): string[] {
  const out = new Set<string>();
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      for (const t of tokensInText(v)) if (isObjectToken(t, captureIds)) out.add(t.text);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return [...out];
}

/** A customer update naming a default payment method, or an attach naming a customer, pairs the two. */
function pairCardsWithCustomers(path: string, params: Record<string, any> | undefined, pairs: Map<string, string>): void {
  const customer = /^\/v1\/customers\/(\{\{cus_\d+\}\})$/.exec(path)?.[1];
  const pm = params?.invoice_settings?.default_payment_method;
  if (customer && typeof pm === 'string') pairs.set(pm, customer);
  const attached = /^\/v1\/payment_methods\/(\{\{pm_\d+\}\})\/attach$/.exec(path)?.[1];
  if (attached && typeof params?.customer === 'string') pairs.set(attached, params.customer);
}

/** The first object any response shows with this id. */
function recordedObject(capture: Capture, token: string): Record<string, any> | undefined {
  let found: Record<string, any> | undefined;
  const visit = (v: unknown): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    const o = v as Record<string, any>;
    if (o.id === token && typeof o.object === 'string') found = o;
    else Object.values(o).forEach(visit);
  };
  for (const { response } of capture.interactions) visit(response.body);
  return found;
}

/** The test PaymentMethod with the recorded brand and last4, else a Visa. */
function testCardFor(card: { brand?: string; last4?: string } | undefined): string {
  if (card?.last4) {
    const names = testCards.paymentMethodNames();
    const matching = names.filter((n) => {
      const c = testCards.byPaymentMethod(n)!;
      return c.number.endsWith(card.last4!) && (!card.brand || c.brand === card.brand);
    });
    const plain = matching.find((n) => n === `pm_card_${card.brand}`);
    if (plain ?? matching[0]) return (plain ?? matching[0])!;
  }
  return 'pm_card_visa';
}
