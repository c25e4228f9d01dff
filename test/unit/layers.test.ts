import fs from 'node:fs';
import path from 'node:path';

// The source tree's layering: no import cycle between files, and the top-level
// folders of src/ import each other in one direction only (engine at the bottom;
// server/ never reaches into control/, contract/ never into transport/). Type-only
// imports count for folders (a layer should not even name a higher one's types)
// but not for file cycles (they vanish at run time).

const SRC = path.join(__dirname, '../../src');
const files: string[] = [];
(function walk(dir: string) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
  }
})(SRC);

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.[^'"]+)['"]/gm;
function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) if (files.includes(c)) return c;
  return null;
}
const imports = new Map(files.map((f) => [f, [...fs.readFileSync(f, 'utf8').matchAll(IMPORT)].map((m) => ({ typeOnly: Boolean(m[1]), to: resolve(f, m[2]) }))]));

/** Strongly connected groups of more than one node (Tarjan). */
function cycles(nodes: string[], edges: (n: string) => string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    for (const w of edges(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w: string;
      do group.push((w = stack.pop()!));
      while (w !== v);
      if (group.length > 1) out.push(group);
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return out;
}

const rel = (f: string) => path.relative(SRC, f);

test('no import cycle between source files', () => {
  const found = cycles(files, (f) => imports.get(f)!.filter((i) => !i.typeOnly && i.to).map((i) => i.to!));
  expect(found.map((g) => g.map(rel).sort())).toEqual([]);
});

test('the top-level folders of src/ import each other in one direction only', () => {
  // Files directly in src/ are the entry points (index, cli, register), above every folder.
  const folderOf = (f: string) => (rel(f).includes(path.sep) ? rel(f).split(path.sep)[0] : null);
  const folders = [...new Set(files.map(folderOf))].filter((d): d is string => d !== null);
  const edges = new Map(folders.map((d) => [d, new Set<string>()]));
  for (const [f, list] of imports) {
    const from = folderOf(f);
    for (const i of list) {
      const to = i.to && folderOf(i.to);
      if (from && to && to !== from) edges.get(from)!.add(to);
    }
  }
  expect(cycles(folders, (d) => [...edges.get(d)!])).toEqual([]);
  // The engine is the bottom layer: it imports no other folder.
  expect([...edges.get('engine')!]).toEqual([]);
  expect(edges.get('server')!.has('control')).toBe(false);
  expect(edges.get('contract')!.has('transport')).toBe(false);
});

/**
 * Operations one domain of src/resources/ may call in another: small, named, and
 * listed here. Anything else between domains goes through a reaction
 * (src/engine/reactions.ts). Types may be imported freely.
 */
const CROSS_DOMAIN_OPERATIONS: Record<string, string[]> = {
  // forceBehaviour: a decline armed for a renewal lands on the renewal invoice's PaymentIntent.
  // paymentMethodFromData: a card typed into a page the twin serves (checkout) becomes a PaymentMethod as API card data does.
  'payments/payment_methods': ['attachPaymentMethod', 'resolvePaymentMethod', 'forceBehaviour', 'paymentMethodFromData'],
  // Transfers and payouts (connect) draw on the available balance.
  'core/balance': ['createBalanceTransaction', 'balance'],
  // A customer's `source` parameter saves a card (and replaces the default source) as POST /v1/customers/:id/sources does.
  'payments/sources': ['sourceCard', 'announceSource', 'removeSource', 'cardsOf'],
  // An invoice is collected through its own PaymentIntent (billing); Checkout pays with a PaymentIntent it makes at the
  // first submit, confirms again after a decline, and finishes its 3D Secure challenge.
  // A credit note on an open invoice lowers what its PaymentIntent will collect.
  'payments/payment_intents': ['createPaymentIntent', 'confirmPaymentIntent', 'cancelPaymentIntent', 'completeAuthentication', 'setIntentAmount'],
  // A credit note's refund_amount refunds the invoice's charge.
  'payments/refunds': ['refundCharge'],
  // Setup-mode Checkout makes its SetupIntent with the session, confirms it at submit and finishes its challenge.
  'payments/setup_intents': ['createSetupIntent', 'confirmSetupIntent', 'completeSetupAuthentication'],
  // A Checkout Session shows the account's payment method configuration, as intents do.
  'payments/confirmation': ['pmcId'],
  'core/customer_balance': ['adjustCustomerBalance'],
  // Checkout makes the customer a session needs; the portal saves a new default card; billing works on a customer's clock.
  'core/customers': ['createCustomer', 'saveCustomer', 'onCustomerClock'],
  // Quotes price their line items as Checkout does, and keep and list them the same way.
  'checkout/line_items': ['priceLineItems', 'storeLineItems', 'lineItemsOf', 'listLineItems', 'includeLineItems'],
  // Checkout line items with price_data make inline prices (and product_data products).
  'billing/prices': ['createPrice'],
  // Subscription-mode Checkout makes its subscription as the API does; the portal's cancel button cancels one.
  'billing/subscriptions': ['createSubscription', 'customerCancels'],
  // Before basil a customer's coupon or promotion_code parameter set its discount (docs/versions.md).
  'billing/discounts': ['customerCoupon'],
};

test('resources of one domain call another domain only through its small exported operations', () => {
  const domainOf = (f: string) => rel(f).match(/^resources\/([^/]+)\//)?.[1];
  const offending: string[] = [];
  for (const f of files) {
    const from = domainOf(f);
    if (!from) continue;
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+['"](\.[^'"]+)['"]/gm)) {
      const to = resolve(f, m[3]);
      if (m[1] || !to || !domainOf(to) || domainOf(to) === from) continue;
      const target = rel(to).replace(/^resources\//, '').replace(/\.ts$/, '');
      const allowed = CROSS_DOMAIN_OPERATIONS[target] ?? [];
      for (const name of m[2].split(',').map((n) => n.trim()).filter(Boolean)) {
        if (!name.startsWith('type ') && !allowed.includes(name) && !/^[A-Z]/.test(name)) offending.push(`${rel(f)} imports ${name} from ${target}`);
      }
    }
  }
  expect(offending).toEqual([]);
});
