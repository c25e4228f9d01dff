// `control()` from `stripe-twin/jest`: a TwinControl for the test file's twin that
// needs no token from the user (the in-process twin trusts its own process; in
// server mode the key gets the file's tag, as its Stripe clients' keys do).
import { control } from '../../src/jest/setup';
import { Repointer } from '../../src/jest/repoint';

test('control() acts on the file\'s in-process twin with its own token, every world included', async () => {
  const c = control('sk_test_jest_control');
  await c.seed({ customers: [{ id: 'cus_from_control', email: 'jest@example.com' }] });
  // Loaded after the setup module, so this stripe is the repointed one.
  const Stripe = require('stripe');
  const stripe = new Stripe('sk_test_jest_control');
  expect((await stripe.customers.retrieve('cus_from_control')).email).toBe('jest@example.com');
  expect((await c.worlds()).worlds.map((w) => w.key)).toEqual(['sk_test_jest_control']);
  expect((await c.reset({ all: true })).reset).toBe('all');
});

test('in server mode, control() names the world by the file\'s tagged key', () => {
  const server = new Repointer('test', { mode: 'server', url: 'http://127.0.0.1:1', fallback: false, strict: false, seed: '0' }, () => 'TAG');
  expect(server.worldKey('sk_test_a')).toBe('sk_test_a_wTAG');
  expect(server.worldKey('not_a_key')).toBe('not_a_key');
  const inProcess = new Repointer('test', { mode: 'in-process', fallback: false, strict: false, seed: '0' }, () => 'TAG');
  expect(inProcess.worldKey('sk_test_a')).toBe('sk_test_a');
});
