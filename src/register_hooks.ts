import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Module hooks for `stripe-twin/register` (registered with module.register;
// they run on node's hooks thread). An ESM import of stripe-node's ESM entry is
// answered with a small wrapper module that imports the real entry, hands its
// default export (the Stripe class) to `patchStripe` in ./register.js, and
// re-exports everything: the importer gets stripe itself, repointed.

const WRAP = 'stripe-twin-wrap';
const STRIPE_ESM_ENTRY = /\/stripe\/esm\/stripe\.esm\.(node|worker)\.js$/;
const REGISTER_URL = pathToFileURL(path.join(__dirname, 'register.js')).href;

interface Resolved {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface Loaded {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  nextResolve: (specifier: string, context: unknown) => Promise<Resolved>,
): Promise<Resolved> {
  const result = await nextResolve(specifier, context);
  if (context.parentURL?.includes(`?${WRAP}`) || !result.url.startsWith('file:')) return result;
  if (!STRIPE_ESM_ENTRY.test(new URL(result.url).pathname)) return result;
  return { ...result, url: `${result.url}?${WRAP}`, shortCircuit: true };
}

export async function load(
  url: string,
  context: unknown,
  nextLoad: (url: string, context: unknown) => Promise<Loaded>,
): Promise<Loaded> {
  const at = url.indexOf(`?${WRAP}`);
  if (at === -1) return nextLoad(url, context);
  const real = JSON.stringify(url.slice(0, at));
  return {
    format: 'module',
    shortCircuit: true,
    source:
      `import * as stripe from ${real};\n` +
      `import twin from ${JSON.stringify(REGISTER_URL)};\n` +
      `twin.patchStripe(stripe.default);\n` +
      `export * from ${real};\n` +
      `export default stripe.default;\n`,
  };
}
