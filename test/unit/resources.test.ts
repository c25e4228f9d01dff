import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { modeledRoutes } from '../../src/resources';
import { Customer, customers } from '../../src/resources/core/customers';
import { webhookEndpoints } from '../../src/resources/core/webhook_endpoints';
import { paymentMethods } from '../../src/resources/payments/payment_methods';
import { declaredReactions } from '../../src/engine/reactions';
import { shapes } from '../../src/engine/shapes';

// Resource declarations (src/engine/resource.ts): skeletons come from the stripe
// package's types, key order is Stripe's, and the generated routes are the spec's.

test('src/engine/shapes.ts is what scripts/shapes.mjs writes from the installed stripe package', () => {
  const out = execFileSync(process.execPath, [path.join(__dirname, '../../scripts/shapes.mjs'), '--check'], { encoding: 'utf8' });
  expect(out).toMatch(/up to date/);
});

test('a skeleton is the shape minus what the declaration omits, in Stripe order (id, object, then alphabetical)', () => {
  expect(customers.fields.slice(0, 2)).toEqual(['id', 'object']);
  expect([...customers.fields.slice(2)].sort()).toEqual(customers.fields.slice(2));
  const shape: readonly string[] = shapes.customer.fields;
  for (const f of customers.fields) expect(shape).toContain(f);
  expect(customers.fields).not.toContain('tax_ids');
  expect(customers.fields).not.toContain('deleted');
  expect(webhookEndpoints.fields).not.toContain('secret');
});

test('generated routes use the spec item path and are in the route table once each', () => {
  expect(customers.itemPath).toBe('/v1/customers/{customer}');
  expect(webhookEndpoints.itemPath).toBe('/v1/webhook_endpoints/{webhook_endpoint}');
  const keys = modeledRoutes.map((r) => `${r.method} ${r.path}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const k of ['POST /v1/customers', 'GET /v1/customers/{customer}', 'POST /v1/customers/{customer}', 'DELETE /v1/customers/{customer}', 'GET /v1/customers/search', 'GET /v1/customers']) {
    expect(keys).toContain(k);
  }
});

test('`optional` keeps only the optional fields named: a card PaymentMethod carries `card`, not the other types\' hashes', () => {
  expect(paymentMethods.fields).toEqual([
    'id', 'object', 'allow_redisplay', 'billing_details', 'card', 'created', 'customer', 'customer_account', 'livemode', 'metadata', 'shared_payment_granted_token', 'type',
  ]);
});

test('reactions: a dispute test card opens its dispute when the payment succeeds or is authorized; a detached default payment method is cleared', () => {
  const reactions = declaredReactions();
  expect(reactions['payment_intent.succeeded']).toContain('dispute opens on a disputing card');
  expect(reactions['payment_intent.amount_capturable_updated']).toContain('dispute opens on a disputing card');
  expect(reactions['payment_method.detached']).toHaveLength(1);
});

test('a stored object is typed by its shape: a misspelled field does not compile (npm run typecheck)', () => {
  const customer = { id: 'cus_x', object: 'customer', email: 'a@b.co' } as unknown as Customer;
  // @ts-expect-error `emial` is not a field of a customer
  expect(customer.emial).toBeUndefined();
  expect(customer.email).toBe('a@b.co');
});
