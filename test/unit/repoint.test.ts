import Stripe from 'stripe';
import { patchStripeExport, Repointer, settingsFromEnv } from '../../src/jest/repoint';

// The mode a suite runs in comes from its environment, and asking for what that
// mode does not have says so instead of quietly building it.

describe('repointing new Stripe()', () => {
  it('reads the mode from the environment and refuses what it cannot run', () => {
    expect(settingsFromEnv({}).mode).toBe('in-process');
    expect(settingsFromEnv({ STRIPE_TWIN_REPLAY: 'c.yaml' }).mode).toBe('replay');
    expect(settingsFromEnv({ STRIPE_TWIN_URL: 'http://127.0.0.1:1' }).mode).toBe('server');
    expect(() => settingsFromEnv({ STRIPE_TWIN_MODE: 'cloud' })).toThrow(/must be in-process, server, replay or off/);
    expect(() => settingsFromEnv({ STRIPE_TWIN_MODE: 'replay' })).toThrow(/needs STRIPE_TWIN_REPLAY/);
  });

  it('has an in-process twin only in in-process mode (or replay with fallback), and a replay only in replay mode', () => {
    const inProcess = new Repointer('stripe-twin/jest', settingsFromEnv({}), () => 'tag');
    expect(() => inProcess.replay()).toThrow('stripe-twin/jest: not replaying (mode in-process)');
    expect(inProcess.twin()).toBe(inProcess.twin());
    const server = new Repointer('stripe-twin/register', settingsFromEnv({ STRIPE_TWIN_URL: 'http://127.0.0.1:1' }), () => 'tag');
    expect(() => server.twin()).toThrow('stripe-twin/register: no in-process twin in server mode');
  });

  it('gives clients made after patching the twin\'s httpClient, and keeps one the user passes', async () => {
    const repointer = new Repointer('test', settingsFromEnv({}), () => 'tag');
    expect(patchStripeExport(Stripe, () => repointer.httpClient() as any)).toBe(true);
    expect(patchStripeExport({ default: class {} }, () => null)).toBe(false);
    const stripe = new Stripe('sk_test_repoint');
    try {
      const customer = await stripe.customers.create({ email: 'a@example.com' });
      expect(repointer.twin().engine.world('sk_test_repoint').get(customer.id)).toBeTruthy();
      const own = Stripe.createNodeHttpClient();
      (own as any).getClientName = () => 'mine';
      expect((new Stripe('sk_test_x', { httpClient: own }) as any)._api.httpClient).toBe(own);
    } finally {
      patchStripeExport(Stripe, () => null); // this file's copy of stripe goes back to its own clients
    }
  });
});
