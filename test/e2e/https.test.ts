import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { selfSignedCertificate } from '../../src/server/certificate';
import { cli, CliRun, raw, stop } from '../helpers';

// `stripe-twin serve --https` as a user runs it (the built CLI): HTTPS beside
// HTTP on the same worlds, a certificate made at start-up that the official SDK
// trusts through NODE_EXTRA_CA_CERTS (in a child process, as an app would) or an
// https.Agent, a certificate given with --cert/--key, and protocol mix-ups
// reported on stderr.

const ROOT = path.join(__dirname, '..', '..');

async function serveHttps(args: string[] = []) {
  const run = cli(['serve', '--port', '0', '--https-port', '0', '--seed', '1', ...args]);
  const [, url] = await run.until(/listening on (http:\/\/\S+)[\s\S]*control:.*\n.*\n/, 30_000);
  const httpsUrl = run.out.text.match(/https: +(https:\/\/\S+)/)![1];
  const certFile = run.out.text.match(/NODE_EXTRA_CA_CERTS=(\S+)/)?.[1];
  return { run, url, httpsUrl, certFile };
}

/** The official SDK against `base` over HTTPS, trusting the certificate `ca`. */
function sdk(base: string, key: string, ca?: string | Buffer): Stripe {
  const { hostname, port } = new URL(base);
  return new Stripe(key, { host: hostname, port: Number(port), protocol: 'https', maxNetworkRetries: 0, ...(ca ? { httpAgent: new https.Agent({ ca }) } : {}) });
}

/** Runs a script with `env` in a child Node, as an app would be started; its stdout. */
function node(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Waits until `run`'s stderr matches. */
async function stderrMatching(run: CliRun, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 200 && !pattern.test(run.out.err); i++) await new Promise((r) => setTimeout(r, 25));
  return run.out.err;
}

describe('stripe-twin serve --https', () => {
  let twin: Awaited<ReturnType<typeof serveHttps>>;
  beforeAll(async () => {
    twin = await serveHttps();
  }, 40_000);
  afterAll(() => stop(twin.run.child));

  it('prints the HTTPS address, how to point the SDK at it, and the certificate file to trust', () => {
    const { port } = new URL(twin.httpsUrl);
    expect(twin.run.out.text).toContain(`new Stripe('sk_test_twin', { host: '127.0.0.1', port: ${port}, protocol: 'https' })`);
    expect(twin.certFile).toMatch(new RegExp(`${port}\\.pem$`));
    const cert = new (require('node:crypto').X509Certificate)(fs.readFileSync(twin.certFile!));
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(fs.readFileSync(twin.certFile!, 'utf8')).not.toMatch(/PRIVATE KEY/);
  });

  it("serves the official SDK with protocol 'https' in an app started with NODE_EXTRA_CA_CERTS", async () => {
    const { hostname, port } = new URL(twin.httpsUrl);
    const script = `
      const Stripe = require('stripe');
      const stripe = new Stripe('sk_test_https_app', { host: ${JSON.stringify(hostname)}, port: ${port}, protocol: 'https', maxNetworkRetries: 0 });
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } })
        .then((pi) => console.log(JSON.stringify({ id: pi.id, status: pi.status })), (e) => { console.error(e.message); process.exit(1); });`;
    const app = await node(script, { NODE_EXTRA_CA_CERTS: twin.certFile! });
    expect([app.code, app.stderr]).toEqual([0, '']);
    const pi = JSON.parse(app.stdout);
    expect(pi.status).toBe('succeeded');
    // The same world over plain HTTP.
    expect((await raw(twin.url, 'GET', `/v1/payment_intents/${pi.id}`, { key: 'sk_test_https_app' })).json.status).toBe('succeeded');
    // Without the certificate trusted, the same app cannot connect: the TLS is real.
    const untrusted = await node(script, { NODE_EXTRA_CA_CERTS: '' });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/connection to Stripe/);
  }, 40_000);

  it('serves the SDK through an https.Agent that trusts the certificate', async () => {
    const stripe = sdk(twin.httpsUrl, 'sk_test_https_agent', fs.readFileSync(twin.certFile!));
    const customer = await stripe.customers.create({ email: 'tls@example.com' });
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ id: customer.id, email: 'tls@example.com' });
    await expect(sdk(twin.httpsUrl, 'sk_test_https_agent').customers.list()).rejects.toMatchObject({ type: 'StripeConnectionError' });
  });

  it('says on stderr when plain HTTP reaches the HTTPS port, or TLS the HTTP port', async () => {
    const { port: httpsPort } = new URL(twin.httpsUrl);
    const { port: httpPort } = new URL(twin.url);
    const plain = await new Promise<string>((resolve) => http.get(`http://127.0.0.1:${httpsPort}/v1/customers`, () => resolve('answered')).on('error', (e) => resolve(e.message)));
    expect(plain).toMatch(/socket hang up|ECONNRESET/);
    expect(await stderrMatching(twin.run, /reached the HTTPS port/)).toContain(
      `stripe-twin: a plain HTTP (http://) request reached the HTTPS port ${httpsPort}; use https:// there, or the HTTP port\n`,
    );
    const ca = fs.readFileSync(twin.certFile!);
    const tls = await new Promise<string>((resolve) => https.get(`https://127.0.0.1:${httpPort}/v1/customers`, { ca }, () => resolve('answered')).on('error', (e) => resolve(e.message)));
    expect(tls).not.toBe('answered');
    expect(await stderrMatching(twin.run, /reached the plain HTTP port/)).toContain(
      `stripe-twin: a TLS (https://) connection reached the plain HTTP port ${httpPort}; use http:// there, or serve --https and its HTTPS port\n`,
    );
  });
});

describe('stripe-twin serve --cert --key', () => {
  it('serves HTTPS with the certificate given, and writes none', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-twin-tls-'));
    const { key, cert } = await selfSignedCertificate('127.0.0.1');
    fs.writeFileSync(path.join(dir, 'cert.pem'), cert);
    fs.writeFileSync(path.join(dir, 'key.pem'), key);
    const run = cli(['serve', '--port', '0', '--https-port', '0', '--cert', path.join(dir, 'cert.pem'), '--key', path.join(dir, 'key.pem')]);
    try {
      await run.until(/control:.*\n.*\n/, 30_000);
      const httpsUrl = run.out.text.match(/https: +(https:\/\/\S+)/)![1];
      expect(run.out.text).toContain(`certificate ${path.join(dir, 'cert.pem')}`);
      expect(run.out.text).not.toMatch(/NODE_EXTRA_CA_CERTS/);
      const balance = await sdk(httpsUrl, 'sk_test_given_cert', cert).balance.retrieve();
      expect(balance.object).toBe('balance');
    } finally {
      await stop(run.child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const unreadable = cli(['serve', '--port', '0', '--https-port', '0', '--cert', path.join(dir, 'cert.pem'), '--key', path.join(dir, 'key.pem')]);
    expect(await unreadable.exited).toBe(1);
    expect(unreadable.out.err).toMatch(/^stripe-twin: --cert: cannot read .*cert\.pem \(ENOENT\)\n$/);
  }, 40_000);
});
