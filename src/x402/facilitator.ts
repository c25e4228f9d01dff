import { getAddress, isAddress, keccak256, toHex, verifyTypedData } from 'viem';
import { StripeError } from '../engine/errors';
import { checkPermission } from '../engine/permissions';
import { renderError } from '../engine/render';
import { Shaped } from '../engine/resource';
import { Twin } from '../engine/twin';
import { Ctx, World } from '../engine/world';
import { intentForDepositAddress, settleCryptoDeposit, tokenAmount } from '../resources/payments/crypto_deposits';
import { jsonResponse, TwinRequest, TwinResponse } from '../server/stages';
import { ExactEvmPayload, EvmNetwork, NETWORKS, networkNamed, PaymentPayload, PaymentRequirements, SettleResponse, TRANSFER_WITH_AUTHORIZATION, VerifyResponse } from './wire';

// The twin's x402 facilitator (docs/agents.md §1.3, §1.5): POST /x402/verify,
// POST /x402/settle, GET /x402/supported. It checks what the real `exact` EVM
// scheme checks, in the same order and with the same reason strings per version
// (x402@1.2.0 for v1, @x402/evm@2.27.0 for v2), with no chain: the EIP-3009
// signature is checked with viem, used nonces are remembered per account, and a
// settlement is a deposit into the crypto-deposit PaymentIntent that owns `payTo`
// (settleCryptoDeposit: charge, balance transaction, events).
//
// Twin choices:
// - The account is the one of the key in `Authorization` (Bearer or Basic, as for
//   the API; x402 facilitator clients send it through `createAuthHeaders`).
//   /supported needs no key. A restricted key needs what simulate_crypto_deposit
//   needs (PaymentIntents write): the facilitator makes deposits as it does.
// - The validity window is checked against wall time, as real facilitators do
//   (Date.now()): clients sign with wall time, and a world's clock may be seeded
//   or frozen. Nothing of the engine reads it.
// - Refused as well, before any chain would be touched: a nonce this account has
//   settled (v2 `invalid_exact_evm_nonce_already_used`; v1 `invalid_transaction_state`,
//   what the v1 facilitator answers when the transfer reverts), a payTo that is no
//   deposit address of this account (the recipient-mismatch reason), an intent no
//   longer awaiting its deposit (v1 `invalid_transaction_state`, v2
//   `invalid_exact_evm_transaction_simulation_failed`) or an amount below the
//   intent's (the value reason), an asset other than the network's USDC.
// - The transaction hash is keccak256 of the signature: deterministic, one per authorization.

type PaymentIntent = Shaped<'payment_intent', 'shared_payment_granted_token'>;

/** The facilitator's reason strings, per version (docs/agents.md §1.2, §1.5). */
const REASONS = {
  1: {
    scheme: 'unsupported_scheme',
    network: 'invalid_network',
    domain: 'invalid_network',
    payload: 'invalid_payload',
    signature: 'invalid_exact_evm_payload_signature',
    recipient: 'invalid_exact_evm_payload_recipient_mismatch',
    validBefore: 'invalid_exact_evm_payload_authorization_valid_before',
    validAfter: 'invalid_exact_evm_payload_authorization_valid_after',
    value: 'invalid_exact_evm_payload_authorization_value',
    asset: 'invalid_payment_requirements',
    nonce: 'invalid_transaction_state',
    state: 'invalid_transaction_state',
  },
  2: {
    scheme: 'invalid_exact_evm_scheme',
    network: 'invalid_exact_evm_network_mismatch',
    domain: 'invalid_exact_evm_missing_eip712_domain',
    payload: 'invalid_payload',
    signature: 'invalid_exact_evm_signature',
    recipient: 'invalid_exact_evm_recipient_mismatch',
    validBefore: 'invalid_exact_evm_payload_authorization_valid_before',
    validAfter: 'invalid_exact_evm_payload_authorization_valid_after',
    value: 'invalid_exact_evm_payload_authorization_value_mismatch',
    asset: 'invalid_exact_evm_eip3009_not_supported',
    nonce: 'invalid_exact_evm_nonce_already_used',
    state: 'invalid_exact_evm_transaction_simulation_failed',
  },
} as const;

type Reason = keyof (typeof REASONS)[1];

/** validBefore must leave this many seconds to send the transaction (both versions). */
const VALID_BEFORE_MARGIN = 6;

/** What GET /supported lists: what v2 resource servers look for at start-up (docs/agents.md §1.3). */
export function supported(): { kinds: { x402Version: number; scheme: string; network: string }[]; extensions: string[]; signers: Record<string, string[]> } {
  return {
    kinds: [
      ...NETWORKS.map((n) => ({ x402Version: 1, scheme: 'exact', network: n.v1 })),
      ...NETWORKS.map((n) => ({ x402Version: 2, scheme: 'exact', network: n.v2 })),
    ],
    extensions: [],
    // No chain, so no account sends transactions (twin choice: an empty list).
    signers: { 'eip155:*': [] },
  };
}

interface Checked {
  version: 1 | 2;
  network: EvmNetwork;
  requirements: PaymentRequirements;
  evm: ExactEvmPayload;
  payer: string;
  pi: PaymentIntent;
}

const usedNonceFact = (asset: string, from: string, nonce: string) => `x402_nonce:${asset.toLowerCase()}:${from.toLowerCase()}:${nonce.toLowerCase()}`;

const UINT = /^\d{1,78}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

function wellFormed(evm: ExactEvmPayload | undefined): evm is ExactEvmPayload {
  const a = evm?.authorization;
  return (
    typeof evm?.signature === 'string' &&
    /^0x[0-9a-fA-F]+$/.test(evm.signature) &&
    !!a &&
    isAddress(String(a.from), { strict: false }) &&
    isAddress(String(a.to), { strict: false }) &&
    UINT.test(String(a.value)) &&
    UINT.test(String(a.validAfter)) &&
    UINT.test(String(a.validBefore)) &&
    BYTES32.test(String(a.nonce))
  );
}

/**
 * The checks of `exact` on EVM for `payload` against `requirements` (docs/agents.md §1.5 table),
 * then the twin's: the nonce unused here, and `payTo` an intent of `world`
 * awaiting a deposit of at least the value. `now` is unix seconds (wall time).
 */
export async function check(world: World, payload: PaymentPayload, requirements: PaymentRequirements, now: number): Promise<Checked | { reason: string; payer?: string }> {
  const version = payload?.x402Version === 1 ? 1 : payload?.x402Version === 2 ? 2 : null;
  if (version === null || !requirements || typeof requirements !== 'object') return { reason: 'invalid_x402_version' };
  const r = REASONS[version];
  const evm = payload.payload;
  const payer = typeof evm?.authorization?.from === 'string' ? evm.authorization.from : undefined;
  const refuse = (reason: Reason) => ({ reason: r[reason], payer });

  const scheme = version === 1 ? payload.scheme : payload.accepted?.scheme;
  if (scheme !== 'exact' || requirements.scheme !== 'exact') return refuse('scheme');
  const network = networkNamed(requirements.network);
  if (version === 2 && (!requirements.extra?.name || !requirements.extra?.version)) return refuse('domain');
  const offered = version === 1 ? payload.network : payload.accepted?.network;
  if (!network || offered !== requirements.network || (version === 1 ? network.v1 : network.v2) !== requirements.network) return refuse('network');
  if (!wellFormed(evm) || !isAddress(String(requirements.payTo), { strict: false }) || !isAddress(String(requirements.asset), { strict: false })) return refuse('payload');
  const a = evm.authorization;

  const domain = {
    name: String(requirements.extra?.name ?? network.domain.name),
    version: String(requirements.extra?.version ?? network.domain.version),
    chainId: network.chainId,
    verifyingContract: getAddress(requirements.asset),
  };
  const message = {
    from: getAddress(a.from),
    to: getAddress(a.to),
    value: BigInt(a.value),
    validAfter: BigInt(a.validAfter),
    validBefore: BigInt(a.validBefore),
    nonce: a.nonce as `0x${string}`,
  };
  let signed = false;
  try {
    signed = await verifyTypedData({ address: message.from, domain, types: TRANSFER_WITH_AUTHORIZATION, primaryType: 'TransferWithAuthorization', message, signature: evm.signature as `0x${string}` });
  } catch {
    signed = false; // an unparsable signature
  }
  if (!signed) return refuse('signature');
  if (message.to !== getAddress(requirements.payTo)) return refuse('recipient');
  if (message.validBefore < BigInt(now + VALID_BEFORE_MARGIN)) return refuse('validBefore');
  if (message.validAfter > BigInt(now)) return refuse('validAfter');
  const price = version === 1 ? requirements.maxAmountRequired : requirements.amount;
  if (!UINT.test(String(price))) return { reason: version === 1 ? 'invalid_payment_requirements' : 'invalid_payload', payer };
  if (version === 1 ? message.value < BigInt(price!) : message.value !== BigInt(price!)) return refuse('value');
  if (getAddress(requirements.asset) !== getAddress(network.usdc)) return refuse('asset');

  // What a chain would have said: the nonce, then the recipient the twin knows.
  if (world.facts.has(usedNonceFact(requirements.asset, a.from, a.nonce))) return refuse('nonce');
  const piId = intentForDepositAddress(world, network.depositNetwork, a.to);
  const pi = piId ? world.get<PaymentIntent>(piId) : undefined;
  if (!pi) return refuse('recipient');
  if (pi.status !== 'requires_action' || pi.next_action?.type !== 'crypto_display_details') return refuse('state');
  if (message.value < BigInt(tokenAmount(pi.amount))) return refuse('value');
  return { version, network, requirements, evm, payer: a.from, pi };
}

export async function verify(world: World, payload: PaymentPayload, requirements: PaymentRequirements, now: number): Promise<VerifyResponse> {
  const checked = await check(world, payload, requirements, now);
  if ('reason' in checked) return { isValid: false, invalidReason: checked.reason, payer: checked.payer ?? '' };
  return { isValid: true, payer: checked.payer };
}

/** Verifies again, then records the nonce and deposits the value into the intent, in one transaction. */
export async function settle(world: World, payload: PaymentPayload, requirements: PaymentRequirements, now: number): Promise<SettleResponse> {
  const network = typeof requirements?.network === 'string' ? requirements.network : '';
  const checked = await check(world, payload, requirements, now);
  if ('reason' in checked) return { success: false, errorReason: checked.reason, payer: checked.payer ?? '', transaction: '', network };
  const { evm, pi } = checked;
  const transaction = keccak256(toHex(evm.signature.toLowerCase()));
  const ctx: Ctx = { world, requestId: world.requestId(), idempotencyKey: null, apiVersion: world.config.defaultApiVersion, apiKey: undefined, clock: undefined };
  try {
    const replayed = world.transaction(() => {
      // Checked again here: a concurrent settle of the same authorization may have landed since.
      if (world.facts.has(usedNonceFact(requirements.asset, evm.authorization.from, evm.authorization.nonce))) return true;
      world.facts.set(usedNonceFact(requirements.asset, evm.authorization.from, evm.authorization.nonce), transaction);
      settleCryptoDeposit(ctx, world.get<PaymentIntent>(pi.id)!, {
        network: checked.network.depositNetwork,
        token: 'usdc',
        amount: evm.authorization.value,
        txHash: transaction,
        buyer: evm.authorization.from.toLowerCase(),
      });
      return false;
    });
    if (replayed) return { success: false, errorReason: REASONS[checked.version].nonce, payer: checked.payer, transaction: '', network };
  } catch (e) {
    if (!(e instanceof StripeError)) throw e;
    return { success: false, errorReason: REASONS[checked.version].state, payer: checked.payer, transaction: '', network };
  }
  return { success: true, payer: checked.payer, transaction, network, amount: evm.authorization.value };
}

// --- HTTP --------------------------------------------------------------------

export const FACILITATOR_PATH = '/x402';
const SIMULATE_DEPOSIT = '/v1/test_helpers/payment_intents/{intent}/simulate_crypto_deposit';

const json = (status: number, value: unknown) => jsonResponse(status, JSON.stringify(value));

/** Answers /x402/verify, /x402/settle and /x402/supported. */
export async function handleFacilitator(twin: Twin, req: TwinRequest, path: string): Promise<TwinResponse> {
  const action = path.slice(FACILITATOR_PATH.length + 1);
  const method = req.method.toUpperCase();
  if (action === 'supported' && method === 'GET') return json(200, supported());
  if ((action !== 'verify' && action !== 'settle') || method !== 'POST') return json(404, { error: `No facilitator route ${method} ${path}` });
  let world: World;
  try {
    const who = twin.authenticate(req.headers.authorization);
    world = who.account;
    checkPermission(who.apiKey, world.accountId, 'POST', SIMULATE_DEPOSIT);
  } catch (e) {
    if (!(e instanceof StripeError)) throw e;
    return { status: e.status, headers: ['Content-Type', 'application/json'], body: renderError(e.fields, null) };
  }
  let body: { paymentPayload?: PaymentPayload; paymentRequirements?: PaymentRequirements };
  try {
    body = JSON.parse(Buffer.from(await req.readBody()).toString('utf8'));
    if (!body || typeof body !== 'object') throw new Error('not an object');
  } catch {
    return json(400, { error: 'The body must be JSON: { x402Version, paymentPayload, paymentRequirements }' });
  }
  const now = Math.floor(Date.now() / 1000); // wall time, as real facilitators (see above)
  const payload = body.paymentPayload as PaymentPayload;
  const requirements = body.paymentRequirements as PaymentRequirements;
  if (action === 'verify') return json(200, await verify(world, payload, requirements, now));
  const settled = await settle(world, payload, requirements, now);
  twin.kickWebhooks(world);
  return json(200, settled);
}
