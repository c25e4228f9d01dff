import net from 'node:net';
import { generate } from 'selfsigned';

// A self-signed certificate for `serve --https`, made at start-up (selfsigned):
// an EC P-256 key that never leaves the process, and a certificate for
// localhost, 127.0.0.1, ::1 and the host the twin listens on. The certificate
// is its own issuer, so a client trusts it by having it as a CA: Node's
// NODE_EXTRA_CA_CERTS=<its file>, or an https.Agent({ ca }) (docs/cli.md).

export interface Certificate {
  /** PEM. */
  key: string;
  /** PEM: what clients trust. */
  cert: string;
}

/** The names a certificate for a twin listening on `host` covers. */
export function certificateNames(host: string): string[] {
  const names = ['localhost', '127.0.0.1', '::1'];
  // A wildcard address is no name to connect to; clients use localhost or a loopback address.
  if (host !== '0.0.0.0' && host !== '::' && !names.includes(host)) names.push(host);
  return names;
}

export async function selfSignedCertificate(host: string): Promise<Certificate> {
  const altNames = certificateNames(host).map((name) => (net.isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }));
  const pems = await generate([{ name: 'commonName', value: 'stripe-twin' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
