#!/usr/bin/env node
// Regenerates test/fixtures/cli_triggers.json: the request sequences the Stripe
// CLI's `stripe trigger` sends for the billing, checkout, PaymentIntent and cash balance families, in our own
// compact format, read from a copy of the stripe/stripe-cli repository (Apache-2.0;
// only the facts — paths, methods, parameters — are carried over). See
// docs/cli-triggers.md for what the CLI does with them.
//
// Usage: node scripts/cli_triggers.mjs <stripe-cli git dir or checkout> [commit]
//        (commit defaults to HEAD)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const FAMILIES = [
  'product', 'price', 'plan', 'coupon', 'promotion_code', 'customer.discount', 'customer.subscription',
  'subscription_schedule', 'invoice', 'invoiceitem', 'credit_note', 'checkout.session', 'payment_link',
  'billing_portal', 'tax_rate', 'test_helpers.test_clock', 'quote', 'customer.source', 'payment_intent', 'cash_balance',
  // Connect (issue 11): the CLI has no capability, person or application_fee scripts.
  'account', 'balance', 'payout', 'topup', 'transfer',
];
/** Families named by a prefix of the event part rather than a whole segment. */
const PREFIXES = ['subscription.payment_'];
const DIR = 'pkg/fixtures/triggers';

const [source, rev = 'HEAD'] = process.argv.slice(2);
if (!source) {
  console.error('usage: node scripts/cli_triggers.mjs <stripe-cli git dir or checkout> [commit]');
  process.exit(2);
}
// A bare mirror is read with --git-dir, a checkout with -C.
const bare = fs.existsSync(path.join(source, 'objects')) && fs.existsSync(path.join(source, 'HEAD'));
const git = (...args) => execFileSync('git', [...(bare ? ['--git-dir', source] : ['-C', source]), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

const commit = git('rev-parse', `${rev}^{commit}`).trim();
const files = git('ls-tree', '--name-only', `${commit}:${DIR}`)
  .split('\n')
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .filter((name) => FAMILIES.some((f) => name.startsWith(`${f}.`)) || PREFIXES.some((p) => name.startsWith(p)))
  .sort();

/** One request as we keep it: only the fields the CLI acts on, absent ones left out. */
function request(fixture) {
  const out = { name: fixture.name, method: fixture.method.toUpperCase(), path: fixture.path };
  if (fixture.params !== undefined && fixture.params !== null) out.params = fixture.params;
  if (fixture.expected_error_type) out.expected_error_type = fixture.expected_error_type;
  for (const key of ['idempotency_key', 'headers', 'api_base']) if (fixture[key] !== undefined) out[key] = fixture[key];
  const unknown = Object.keys(fixture).filter((k) => !['name', 'method', 'path', 'params', 'expected_error_type', 'idempotency_key', 'headers', 'api_base'].includes(k));
  if (unknown.length) throw new Error(`${fixture.name}: fields this script does not know: ${unknown.join(', ')}`);
  return out;
}

const triggers = [];
for (const name of files) {
  const file = JSON.parse(git('show', `${commit}:${DIR}/${name}.json`));
  if ((file._meta?.template_version ?? 0) !== 0) throw new Error(`${name}: template_version ${file._meta.template_version}`);
  const requests = file.fixtures.map(request);
  triggers.push({ name, event: name, requests });
  // `stripe trigger <alias>` runs the same file; the event the user asked for is the alias.
  for (const alias of file._meta?.aliases ?? []) triggers.push({ name: alias, event: alias, file: name, requests });
}
triggers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const out = {
  source: { repository: 'stripe/stripe-cli', commit, directory: DIR, license: 'Apache-2.0' },
  regenerate: 'node scripts/cli_triggers.mjs <stripe-cli git dir or checkout>',
  triggers,
};
const target = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'test/fixtures/cli_triggers.json');
// One request per line: small, and a change upstream shows as a one-line diff.
const requestLines = (t) => t.requests.map((r) => `      ${JSON.stringify(r)}`).join(',\n');
const triggerText = (t) => {
  const { requests, ...head } = t;
  return `    ${JSON.stringify(head).slice(0, -1)}, "requests": [\n${requestLines(t)}\n    ]}`;
};
const text = `{\n  "source": ${JSON.stringify(out.source)},\n  "regenerate": ${JSON.stringify(out.regenerate)},\n  "triggers": [\n${triggers.map(triggerText).join(',\n')}\n  ]\n}\n`;
if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(out)) throw new Error('formatting changed the data');
fs.writeFileSync(target, text);
console.log(`${triggers.length} triggers (${files.length} files) from ${commit} → ${path.relative(process.cwd(), target)}`);
