import { cli, raw, stop } from '../helpers';

// `stripe-twin serve` as a user runs it (the built CLI; `npm test` builds first).

/** `stripe-twin serve` on a free port, once its banner (URL to health check) is out. */
async function serve(args: string[]) {
  const run = cli(['serve', '--port', '0', ...args]);
  const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*health:/);
  return { url, banner: run.out.text, child: run.child };
}

describe('stripe-twin serve', () => {
  it('prints its URL and a key, answers /healthz and serves the API', async () => {
    const { url, banner, child } = await serve(['--seed', '1']);
    try {
      expect(banner).toMatch(/key:\s+sk_test_\w+/);
      expect(banner).toContain(`port: ${new URL(url).port}`);
      expect((await raw(url, 'GET', '/healthz', { key: null })).json).toEqual({ status: 'ok' });
      expect((await raw(url, 'GET', '/v1/customers', { key: 'sk_test_cli' })).status).toBe(200);
    } finally {
      await stop(child);
    }
  });

  it('with --seed, answers the same requests with the same bytes', async () => {
    const script = async () => {
      const { url, child } = await serve(['--seed', '7']);
      try {
        const out: string[] = [];
        for (const [method, p, body] of [
          ['POST', '/v1/customers', 'email=a%40b.co'],
          ['POST', '/v1/payment_intents', 'amount=1000&currency=usd&payment_method=pm_card_visa&confirm=true&allowed_payment_method_types[0]=card'],
          ['GET', '/v1/events', undefined],
        ] as const) {
          const res = await raw(url, method, p, { key: 'sk_test_same', body, headers: method === 'POST' ? { 'Idempotency-Key': p } : {} });
          out.push(`${res.status} ${res.headers['request-id']} ${res.body}`);
        }
        return out;
      } finally {
        await stop(child);
      }
    };
    const first = await script();
    expect(first[1]).toMatch(/"status": "succeeded"/);
    expect(await script()).toEqual(first);
  });

  it('with --max-worlds, forgets the world used least recently', async () => {
    const { url, child } = await serve(['--seed', '1', '--max-worlds', '2']);
    try {
      const create = async (key: string) => (await raw(url, 'POST', '/v1/customers', { key, body: 'email=w%40example.com' })).json.id as string;
      const [a, b] = [await create('sk_test_world_a'), await create('sk_test_world_b')];
      await create('sk_test_world_c'); // a is forgotten
      expect((await raw(url, 'GET', `/v1/customers/${b}`, { key: 'sk_test_world_b' })).status).toBe(200);
      expect((await raw(url, 'GET', `/v1/customers/${a}`, { key: 'sk_test_world_a' })).status).toBe(404);
    } finally {
      await stop(child);
    }
    const bad = cli(['serve', '--port', '0', '--max-worlds', '0']);
    expect(await bad.exited).not.toBe(0);
    expect(bad.out.err).toMatch(/--max-worlds: "0" is not a positive whole number/);
  });

  it('refuses unknown commands with its usage', async () => {
    const launch = cli(['launch']);
    expect(await launch.exited).toBe(2);
    expect(launch.out.text).toMatch(/^usage: stripe-twin <command>\n\n  serve /);
  });
});
