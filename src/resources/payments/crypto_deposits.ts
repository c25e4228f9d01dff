import { errors } from '../../engine/errors';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { Ctx, World } from '../../engine/world';
import { Charge, createPendingCharge, settlePendingCharge } from './charges';
import { paymentIntentMachine } from './intent_machines';
import { lastError, PaymentMethod } from './payment_methods';

// Crypto-deposit PaymentIntents (docs/agents.md §1.6, Stripe's private-preview
// "deposit mode" stablecoin payments): a PaymentIntent offering `crypto`, confirmed
// with a crypto PaymentMethod and payment_method_options[crypto][mode]=deposit,
// waits in requires_action with one deposit address per requested network
// (next_action.crypto_display_details). Funds arriving there — the
// simulate_crypto_deposit test helper, or the x402 facilitator through
// settleCryptoDeposit — settle it: a charge with payment_method_details.crypto,
// processing then succeeded (or back to requires_payment_method), a balance
// transaction, and refunds as for any charge.
//
// The newer variant (docs/agents.md §1.6, §2.8; what mppx's stripe.create() uses): static deposit
// addresses (POST/GET /v1/crypto/deposit_addresses) receive payments settled
// elsewhere (an x402 facilitator), and a PaymentIntent confirmed in
// `transaction_verification` mode records one by its transaction hash.

type PaymentIntent = Shaped<'payment_intent', 'shared_payment_granted_token'>;

const S = paymentIntentMachine.state;

export type CryptoNetwork = 'base' | 'ethereum' | 'polygon' | 'solana' | 'tempo';

/**
 * The networks deposit addresses are offered on, each with its address form and
 * the tokens accepted there (token currency → contract). Twin choice (unverified):
 * test mode shows each network's test-net USDC — Base Sepolia, Ethereum Sepolia,
 * Polygon Amoy, Solana devnet — the assets x402 clients accept by default on test
 * networks; Stripe's docs example (live) shows Base mainnet USDC
 * 0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913 and Solana mainnet USDC. Tempo's is the
 * one address the docs give. Only USDC: which networks take usdg/usdp is not known.
 */
export const CRYPTO_NETWORKS: Readonly<Record<CryptoNetwork, { kind: 'evm' | 'solana'; tokens: Readonly<Record<string, string>> }>> = Object.freeze({
  base: { kind: 'evm', tokens: { usdc: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' } },
  ethereum: { kind: 'evm', tokens: { usdc: '0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238' } },
  polygon: { kind: 'evm', tokens: { usdc: '0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582' } },
  solana: { kind: 'solana', tokens: { usdc: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU' } },
  tempo: { kind: 'evm', tokens: { usdc: '0x20c000000000000000000000b9537d11c60e8b50' } },
});

/** Decimals of each token: USDC has 6, so one cent is 10 000 atomic units (docs/agents.md §1.6). */
const TOKEN_DECIMALS: Readonly<Record<string, number>> = { usdc: 6 };

/** The networks asked for when `deposit_options[networks]` is not sent (twin choice, unverified: Base only). */
const DEFAULT_NETWORKS: readonly CryptoNetwork[] = ['base'];

/** The testmode transaction hashes that decide a simulated deposit's outcome (third-party code citing Stripe's docs; unverified). */
export const TEST_TRANSACTION_HASHES = Object.freeze({
  success: `0x${'0'.repeat(53)}testsuccess`,
  failure: `0x${'0'.repeat(54)}testfailed`,
});

/** `cents` of a USD intent in the token's atomic units (USDC: cents × 10 000), as a decimal string. */
export function tokenAmount(cents: number, token = 'usdc'): string {
  const decimals = TOKEN_DECIMALS[token];
  if (decimals === undefined) throw new Error(`unknown token ${token}`);
  return (BigInt(cents) * 10n ** BigInt(decimals - 2)).toString();
}

/** Stripe's stablecoin fee: 1.5% rounded half up, no fixed part (US pricing page; unverified in test mode). */
export function cryptoFee(amount: number): number {
  return Math.floor((amount * 15 + 500) / 1000);
}

// --- deposit addresses ------------------------------------------------------

interface Deposit {
  networks: CryptoNetwork[];
  addresses: Partial<Record<CryptoNetwork, string>>;
}

const depositFact = (piId: string) => `crypto_deposit:${piId}`;
const addressFact = (network: string, address: string) => `crypto_address:${network}:${address.toLowerCase()}`;

const HEX = '0123456789abcdef';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A new address in the network's form, drawn from the world's id stream: EVM lower-case 0x + 40 hex (no EIP-55 checksum), Solana 44 base58. */
function newAddress(world: World, network: CryptoNetwork): string {
  return CRYPTO_NETWORKS[network].kind === 'evm' ? `0x${world.ids.chars(40, HEX)}` : world.ids.chars(44, BASE58);
}

/** The intent's deposit addresses (made once per intent and network, kept for later confirmations). */
function depositAddresses(ctx: Ctx, pi: PaymentIntent, networks: CryptoNetwork[]): Deposit {
  const { world } = ctx;
  const known = world.facts.get(depositFact(pi.id)) as Deposit | undefined;
  const addresses = { ...known?.addresses };
  for (const network of networks) {
    if (addresses[network]) continue;
    const address = newAddress(world, network);
    addresses[network] = address;
    world.facts.set(addressFact(network, address), pi.id);
  }
  const deposit: Deposit = Object.freeze({ networks, addresses: Object.freeze(addresses) });
  world.facts.set(depositFact(pi.id), deposit);
  return deposit;
}

/** The PaymentIntent whose deposit address on `network` is `address` (any letter case), for the x402 facilitator's `payTo`. */
export function intentForDepositAddress(world: World, network: string, address: string): string | undefined {
  return world.facts.get(addressFact(network, address)) as string | undefined;
}

/** The deposit address of an intent on `network`, if it was offered one. */
export function depositAddressOf(world: World, piId: string, network: string): string | undefined {
  return (world.facts.get(depositFact(piId)) as Deposit | undefined)?.addresses[network as CryptoNetwork];
}

function cryptoDisplayDetails(deposit: Deposit): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const network of [...deposit.networks].sort()) {
    const tokens = CRYPTO_NETWORKS[network].tokens;
    out[network] = {
      address: deposit.addresses[network],
      supported_tokens: Object.keys(tokens).map((token) => ({ token_contract_address: tokens[token], token_currency: token })),
    };
  }
  return { crypto_display_details: { deposit_addresses: out }, type: 'crypto_display_details' };
}

// --- confirmation -----------------------------------------------------------

/**
 * What a confirmation with a crypto PaymentMethod must have, checked before the
 * intent moves: `crypto` among its types, USD, and deposit mode. Texts are the
 * twin's (unverified); the other crypto modes answer 501.
 */
export function checkCryptoConfirmation(pi: PaymentIntent, types: readonly string[], options: Record<string, any> | null | undefined): void {
  if (!types.includes('crypto')) {
    throw errors.state(
      `The provided PaymentMethod of type crypto cannot be used with this PaymentIntent because crypto is not one of its payment method types (${types.join(', ')}).`,
      'payment_intent_incompatible_payment_method',
    );
  }
  if (pi.currency !== 'usd') {
    throw errors.paramState(`The currency provided (${pi.currency}) is invalid for crypto payments, which support only usd.`, 'currency', 'payment_intent_invalid_currency');
  }
  const mode = options?.crypto?.mode;
  if (mode !== 'deposit' && mode !== 'transaction_verification') {
    throw errors.unsupportedBehaviour('crypto payments outside deposit and transaction_verification modes (payment_method_options[crypto][mode])');
  }
}

/** A confirmed crypto intent: deposit mode waits for funds, transaction_verification records a payment already made. */
export function confirmCryptoPayment(ctx: Ctx, pi: PaymentIntent): PaymentIntent {
  return pi.payment_method_options?.crypto?.mode === 'transaction_verification' ? verifyCryptoTransaction(ctx, pi) : requireCryptoDeposit(ctx, pi);
}

/**
 * A confirmed deposit-mode intent waits for funds: requires_action, its
 * next_action listing a deposit address per requested network (Base first).
 * `pi` has taken the crypto PaymentMethod already.
 */
export function requireCryptoDeposit(ctx: Ctx, pi: PaymentIntent): PaymentIntent {
  const requested = pi.payment_method_options?.crypto?.deposit_options?.networks as CryptoNetwork[] | undefined;
  const networks = requested?.length ? [...new Set(requested)] : [...DEFAULT_NETWORKS];
  const deposit = depositAddresses(ctx, pi, networks);
  return paymentIntentMachine.transition(ctx, pi, 'confirm', S.requires_action, { next_action: cryptoDisplayDetails(deposit) });
}

// --- settlement -------------------------------------------------------------

export interface CryptoDeposit {
  network: string;
  /** Token currency (`usdc`). */
  token: string;
  /** Atomic token units received (a decimal string or bigint); default: exactly what the intent asks. */
  amount?: string | bigint | number;
  /** The chain transaction; the failure test hash fails the payment. */
  txHash: string;
  /** The payer's wallet (`buyer_address` on the charge); default: one drawn from the world's id stream. */
  buyer?: string;
}

/** Outcome of a payment that did not go through (twin's text and code, unverified: Stripe's failed-deposit error is not recorded). */
const DEPOSIT_FAILED = {
  code: 'payment_intent_payment_attempt_failed',
  message: 'The crypto deposit for this PaymentIntent failed. The customer can send funds again after the PaymentIntent is confirmed again.',
};

const CRYPTO_OUTCOME = Object.freeze({
  advice_code: null,
  network_advice_code: null,
  network_decline_code: null,
  network_status: 'approved_by_network',
  reason: null,
  // Non-card payments are not scored by Radar (twin reading; unverified for crypto).
  risk_level: 'not_assessed',
  seller_message: 'Payment complete.',
  type: 'authorized',
});

/**
 * Funds arrive at a deposit-mode intent's address and settle — what
 * simulate_crypto_deposit does and what the x402 facilitator calls: checks the
 * intent awaits a deposit on `network` in `token` and that at least its amount
 * arrived, then (all at once; Stripe takes seconds) a pending charge and
 * processing (charge.pending, payment_intent.processing), then either the
 * charge succeeds with its balance transaction (charge.succeeded,
 * payment_intent.succeeded) or, for the failure test hash, fails and the intent
 * returns to requires_payment_method (charge.failed, payment_intent.payment_failed).
 * Returns the intent as it ends.
 */
export function settleCryptoDeposit(ctx: Ctx, pi: PaymentIntent, deposit: CryptoDeposit): PaymentIntent {
  const { world } = ctx;
  paymentIntentMachine.check(pi, 'settle');
  const awaiting = world.facts.get(depositFact(pi.id)) as Deposit | undefined;
  if (!awaiting || pi.next_action?.type !== 'crypto_display_details') {
    // Twin text (unverified); Stripe's helper is documented for deposit-mode intents only.
    throw errors.state(
      `This PaymentIntent (${pi.id}) is not awaiting a crypto deposit. Only a PaymentIntent confirmed with payment_method_options[crypto][mode]=deposit can receive one.`,
      'payment_intent_unexpected_state',
      { payment_intent: pi },
    );
  }
  const network = deposit.network as CryptoNetwork;
  if (!awaiting.networks.includes(network)) {
    throw errors.paramState(
      `This PaymentIntent has no deposit address on the network ${deposit.network}; it accepts deposits on: ${awaiting.networks.join(', ')}.`,
      'network',
    );
  }
  const tokens = CRYPTO_NETWORKS[network].tokens;
  if (!tokens[deposit.token]) {
    throw errors.paramState(`The token ${deposit.token} is not supported on ${network}; supported: ${Object.keys(tokens).join(', ')}.`, 'token_currency');
  }
  const due = BigInt(tokenAmount(pi.amount, deposit.token));
  const received = deposit.amount === undefined ? due : BigInt(deposit.amount);
  if (received < due) {
    throw errors.paramState(
      `The deposit of ${received} ${deposit.token} atomic units is less than the ${due} this PaymentIntent requires.`,
      'amount',
      'amount_too_small',
    );
  }
  return settleFunds(ctx, pi, deposit, 'settle');
}

/**
 * Funds received for `pi` (checked by the caller): a pending charge and
 * processing (reached by `step`: a deposit's settlement, or the confirmation of
 * a transaction_verification intent), then succeeded or, for the failure test
 * hash, failed.
 */
function settleFunds(ctx: Ctx, pi: PaymentIntent, deposit: CryptoDeposit, step: 'settle' | 'confirm'): PaymentIntent {
  const { world } = ctx;
  const network = deposit.network as CryptoNetwork;
  const pm = world.get<PaymentMethod>(pi.payment_method!)!;
  const buyer = deposit.buyer ?? newAddress(world, network);
  const failed = deposit.txHash === TEST_TRANSACTION_HASHES.failure;

  let charge = createPendingCharge(ctx, pi, pm, {
    outcome: CRYPTO_OUTCOME,
    payment_method_details: {
      crypto: { buyer_address: buyer, network, token_currency: deposit.token, transaction_hash: deposit.txHash },
      type: 'crypto',
    },
  });
  pi = paymentIntentMachine.transition(ctx, pi, step, S.processing, { latest_charge: charge.id, next_action: null }, [['charge.pending', charge]]);

  if (failed) {
    charge = world.replace({ ...charge, failure_code: DEPOSIT_FAILED.code, failure_message: DEPOSIT_FAILED.message, outcome: { ...CRYPTO_OUTCOME, network_status: 'declined_by_network', seller_message: 'The payment failed.', type: 'issuer_declined' }, status: 'failed' });
    return paymentIntentMachine.transition(
      ctx,
      pi,
      'settle',
      S.requires_payment_method,
      { payment_method: null, last_payment_error: lastError(DEPOSIT_FAILED, pm, 'invalid_request_error') },
      [['charge.failed', charge]],
    );
  }
  charge = settlePendingCharge(ctx, charge, cryptoFee(pi.amount), pi.id);
  return paymentIntentMachine.transition(ctx, pi, 'settle', S.succeeded, { amount_received: pi.amount, last_payment_error: null }, [['charge.succeeded', charge]]);
}

/** A refund's transaction hash on the chain (twin choice: drawn from the world's id stream; the refund is sent at once). */
export function refundTransactionHash(world: World): string {
  return `0x${world.ids.chars(64, HEX)}`;
}

/** Whether a charge was paid with crypto (its refunds are sent back on the chain). */
export const isCryptoCharge = (charge: Charge) => charge.payment_method_details?.type === 'crypto';

// --- transaction verification -------------------------------------------------

/** A transaction hash as each network writes it: EVM 0x + 64 hex; Solana a base58 signature. */
const TRANSACTION_HASH: Record<'evm' | 'solana', RegExp> = { evm: /^0x[0-9a-fA-F]{64}$/, solana: /^[1-9A-HJ-NP-Za-km-z]{64,88}$/ };
const transactionFact = (network: string, hash: string) => `crypto_transaction:${network}:${hash.toLowerCase()}`;

/**
 * A transaction_verification intent (docs/agents.md §1.6 newer variant, §2.8): the payment was
 * made on chain already (to a deposit address, through an x402 facilitator).
 * Twin choice, as there is no chain to read: any well-formed hash is taken as
 * paying the intent's amount in USDC on the network named, at once (processing,
 * then succeeded); the failure test hash fails it (back to requires_payment_method
 * with last_payment_error, answered 200 as a deposit's failure is, not a 402); a
 * transaction already recorded by another intent is refused (texts the twin's, unverified).
 */
function verifyCryptoTransaction(ctx: Ctx, pi: PaymentIntent): PaymentIntent {
  const options = pi.payment_method_options?.crypto?.transaction_verification_options;
  const param = 'payment_method_options[crypto][transaction_verification_options]';
  if (!options?.network) throw errors.parameterMissing(`${param}[network]`);
  if (!options.transaction_hash) throw errors.parameterMissing(`${param}[transaction_hash]`);
  const network = options.network as CryptoNetwork;
  const hash: string = options.transaction_hash;
  if (hash !== TEST_TRANSACTION_HASHES.failure && !TRANSACTION_HASH[CRYPTO_NETWORKS[network].kind].test(hash)) {
    throw errors.paramState(`${hash} is not a valid ${network} transaction hash.`, `${param}[transaction_hash]`);
  }
  const recorded = ctx.world.facts.get(transactionFact(network, hash)) as string | undefined;
  if (recorded) {
    throw errors.paramState(`The transaction ${hash} on ${network} has already been recorded by the PaymentIntent ${recorded}.`, `${param}[transaction_hash]`);
  }
  if (hash !== TEST_TRANSACTION_HASHES.failure) ctx.world.facts.set(transactionFact(network, hash), pi.id);
  return settleFunds(ctx, pi, { network, token: 'usdc', txHash: hash }, 'confirm');
}

// --- deposit addresses (static) ------------------------------------------------

/** Networks a static deposit address can be made on (stripe-python's preview enum). */
const ADDRESS_NETWORKS: readonly CryptoNetwork[] = ['base', 'solana', 'tempo'];

type DepositAddress = Shaped<'crypto.deposit_address'>;

/**
 * Static deposit addresses: made once on a network, shown with the tokens the
 * network takes there (the same test-net tokens as deposit mode); the id prefix
 * `cda_` is the twin's choice (not recorded). Payments to them are recorded by
 * transaction_verification intents.
 */
export const staticDepositAddresses = defineResource<'crypto.deposit_address', DepositAddress>({
  object: 'crypto.deposit_address',
  prefix: 'cda',
  path: '/v1/crypto/deposit_addresses',
  name: 'crypto.deposit_address',
  defaults: { metadata: EMPTY },
  filters: ['address', 'customer', 'network'],
  create: (ctx, params): DepositAddress => {
    const network = params.network as CryptoNetwork;
    if (!ADDRESS_NETWORKS.includes(network)) throw errors.invalidEnum('network', ADDRESS_NETWORKS);
    if (params.customer) find(ctx, 'customer', params.customer, 'customer');
    const tokens = CRYPTO_NETWORKS[network].tokens;
    return staticDepositAddresses.insert(ctx, params, {
      address: newAddress(ctx.world, network),
      customer: params.customer ?? null,
      metadata: mergeMetadata(EMPTY, params.metadata),
      network,
      supported_tokens: Object.keys(tokens).map((token) => ({ token_contract_address: tokens[token], token_currency: token })),
    });
  },
});

// --- the test helper ----------------------------------------------------------

/**
 * POST /v1/test_helpers/payment_intents/:id/simulate_crypto_deposit: Stripe's
 * sandboxes watch no chain, so this says funds arrived. Every parameter is
 * optional here (which ones Stripe requires is not recorded): the network
 * defaults to the intent's first, the token to usdc, the wallet to a drawn one,
 * the hash to the success test hash; any other hash than the two test hashes is
 * refused. Returns the intent settled (Stripe: asynchronously, within seconds).
 */
function simulateCryptoDeposit(ctx: Ctx, pi: PaymentIntent, params: Params): PaymentIntent {
  const hash: string = params.transaction_hash ?? TEST_TRANSACTION_HASHES.success;
  if (hash !== TEST_TRANSACTION_HASHES.success && hash !== TEST_TRANSACTION_HASHES.failure) {
    // Wording reported by third-party code (unverified); the hint is the twin's.
    throw errors.paramState(
      `${hash} is not a valid testmode transaction hash. Use ${TEST_TRANSACTION_HASHES.success} for a successful deposit or ${TEST_TRANSACTION_HASHES.failure} for a failed one.`,
      'transaction_hash',
    );
  }
  const awaiting = ctx.world.facts.get(depositFact(pi.id)) as Deposit | undefined;
  return settleCryptoDeposit(ctx, pi, {
    network: params.network ?? awaiting?.networks[0] ?? DEFAULT_NETWORKS[0],
    token: params.token_currency ?? 'usdc',
    txHash: hash,
    buyer: params.buyer_wallet ?? undefined,
  });
}

export const cryptoDepositRoutes = [
  ...staticDepositAddresses.routes,
  route('POST', '/v1/test_helpers/payment_intents/{intent}/simulate_crypto_deposit', 'payment_intent', (ctx, params, path) =>
    simulateCryptoDeposit(ctx, find<PaymentIntent>(ctx, 'payment_intent', path.intent), params),
  ),
];
