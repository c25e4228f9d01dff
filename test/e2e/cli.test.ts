import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { raw } from '../helpers';

// `stripe-twin serve` as a user runs it (the built CLI; `npm test` builds first).

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

async function serve(args: string[]): Promise<{ url: string; banner: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let banner = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      banner += chunk;
      const m = banner.match(/listening on (http:\/\/\S+)/);
      if (m && banner.includes('health:')) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${banner}`)));
  });
  return { url, banner, child };
}

const stop = (child: ChildProcess) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')));

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

  it('refuses unknown commands with its usage', async () => {
    const child = spawn(process.execPath, [CLI, 'launch'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(out).toMatch(/^usage: stripe-twin <command>\n\n  serve /);
  });
});
