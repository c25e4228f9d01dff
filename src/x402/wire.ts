// What the x402 paywall and the twin's facilitator both speak (docs/agents.md §1):
// the two EVM networks offered, their USDC contracts and EIP-712 domains, the
// v1/v2 names of a network, and header values as padded base64 of JSON.

export interface EvmNetwork {
  /** x402 v1's short name. */
  v1: string;
  /** x402 v2's CAIP-2 id. */
  v2: string;
  chainId: number;
  /** The USDC contract (EIP-3009) the packages use by default (docs/agents.md §1.2). */
  usdc: `0x${string}`;
  /** USDC's EIP-712 domain name and version, sent as `extra` (docs/agents.md §1.2). */
  domain: { name: string; version: string };
  /** The twin's crypto-deposit network the payment lands on (src/resources/payments/crypto_deposits.ts). */
  depositNetwork: 'base';
}

export const NETWORKS: readonly EvmNetwork[] = Object.freeze([
  { v1: 'base-sepolia', v2: 'eip155:84532', chainId: 84532, usdc: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', domain: { name: 'USDC', version: '2' }, depositNetwork: 'base' },
  { v1: 'base', v2: 'eip155:8453', chainId: 8453, usdc: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', domain: { name: 'USD Coin', version: '2' }, depositNetwork: 'base' },
]);

/** The network named `name` in either version's form. */
export function networkNamed(name: unknown): EvmNetwork | undefined {
  return NETWORKS.find((n) => n.v1 === name || n.v2 === name);
}

/** EIP-3009's typed data (docs/agents.md §1.5): what the payer signs. */
export const TRANSFER_WITH_AUTHORIZATION = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

export interface Authorization {
  from: string;
  to: string;
  value: string;
  validAfter: string;
  validBefore: string;
  nonce: string;
}

export interface ExactEvmPayload {
  signature: string;
  authorization: Authorization;
}

/** A requirement as either version spells it (v1 `maxAmountRequired`, v2 `amount`). */
export interface PaymentRequirements {
  scheme: string;
  network: string;
  amount?: string;
  maxAmountRequired?: string;
  payTo: string;
  asset: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
  resource?: string;
  description?: string;
  mimeType?: string;
}

/** v1 `X-PAYMENT` and v2 `PAYMENT-SIGNATURE` payloads. */
export interface PaymentPayload {
  x402Version: number;
  /** v1 */
  scheme?: string;
  network?: string;
  /** v2: the requirement chosen, verbatim. */
  accepted?: PaymentRequirements;
  resource?: unknown;
  extensions?: unknown;
  payload: ExactEvmPayload;
}

export interface VerifyResponse {
  isValid: boolean;
  invalidReason?: string;
  payer?: string;
}

export interface SettleResponse {
  success: boolean;
  errorReason?: string;
  payer?: string;
  transaction: string;
  network: string;
  amount?: string;
}

/** Header values: standard padded base64 of UTF-8 JSON (docs/agents.md §1.1). */
export const encodeHeader = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** A header value decoded, or undefined when it is not base64 JSON. */
export function decodeHeader<T>(value: string): T | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as T) : undefined;
  } catch {
    return undefined;
  }
}
