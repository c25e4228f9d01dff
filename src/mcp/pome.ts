import { JsonSchema, ToolAnnotations, ToolDeclaration } from './tools';

// The "pome" tool set (docs/agents.md §3.4): brief 000's twelve tools named after stripe-node methods
// (`stripe.paymentIntents.create` → create_payment_intent), for the crypto-deposit
// flow an agent runs against the twin: PaymentIntents, the deposit test helper,
// charges, refunds, balance and events (docs/agents.md §3.4).
//
// Twin choices (the brief names create_payment_intent, create_refund, list_events
// and simulate_crypto_deposit and says "etc."; its schemas are unpublished):
// - The other eight complete the flow the brief describes: retrieve, confirm,
//   cancel and list PaymentIntents, retrieve and list charges, retrieve the
//   balance, list balance transactions.
// - Inputs are the stripe-node method's parameters with Stripe's own names (nested
//   ones as objects, as stripe-node takes them), the object id as `id` (the
//   method's first argument), and `idempotency_key` on the tools that create or
//   change something (stripe-node's `idempotencyKey` request option), sent as the
//   Idempotency-Key header — so an agent can retry a call whose answer was lost.
// - Results as the skill set's: the REST answer as JSON text and structuredContent;
//   a Stripe error is a tool error (isError) holding the API's error body.
// - Three names are also tools of the stripe set (create_refund,
//   list_payment_intents, retrieve_balance) with other schemas, so the two sets are
//   never served together.

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
const WRITE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };
const DESTRUCTIVE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

const id = (what: string): JsonSchema => ({ type: 'string', description: what });
const object = (description: string): JsonSchema => ({ type: 'object', description });
const metadata = object('Set of key-value pairs (strings) to attach to the object.');
const idempotencyKey: JsonSchema = {
  type: 'string',
  maxLength: 255,
  description: 'A key that makes retrying this call safe: the same key returns the first answer instead of acting twice (the Idempotency-Key header).',
};
/** Cursor pagination, as every Stripe list takes it. */
const page = (what: string): Record<string, JsonSchema> => ({
  limit: { type: 'integer', minimum: 1, maximum: 100, description: `How many ${what} to return, 1 to 100 (default 10).` },
  starting_after: { type: 'string', description: 'A cursor: the ID of the last object of the previous page.' },
  ending_before: { type: 'string', description: 'A cursor: the ID of the first object of the next page.' },
});
const created = object('Only objects created in a range: {gt, gte, lt, lte} in Unix seconds.');
const same = (...names: string[]) => Object.fromEntries(names.map((n) => [n, n]));
const withKey = { headers: { idempotency_key: 'Idempotency-Key' } };

export const pomeTools: ToolDeclaration[] = [
  {
    name: 'create_payment_intent',
    title: 'Create payment intent',
    description:
      'Create a PaymentIntent (stripe.paymentIntents.create). For a crypto deposit: allowed_payment_method_types ["crypto"], ' +
      'payment_method_data {type: "crypto"}, payment_method_options {crypto: {mode: "deposit", deposit_options: {networks: ["base"]}}}, ' +
      'confirm true; it answers requires_action with the deposit addresses in next_action.crypto_display_details. Returns the PaymentIntent.',
    inputs: {
      amount: { type: 'integer', minimum: 1, description: 'Amount in the smallest currency unit (cents).' },
      currency: { type: 'string', description: 'Three-letter ISO currency code, lower case (usd).' },
      allowed_payment_method_types: { type: 'array', items: { type: 'string' }, description: 'The only payment method types to accept (["crypto"], ["card"]).' },
      // Twin choice: PaymentIntents refuse `payment_method_types` from 2026-09-30.endive (stripe-node 23 dropped it);
      // an agent that still sends it gets what it meant rather than an argument silently stripped (docs/agents.md §3.4).
      payment_method_types: {
        type: 'array',
        items: { type: 'string' },
        description: 'The name before API 2026-09-30.endive; sent as allowed_payment_method_types (which wins when both are given).',
      },
      payment_method: id('A PaymentMethod to pay with (pm_…).'),
      payment_method_data: object('A PaymentMethod created with the intent ({type: "crypto"}).'),
      payment_method_options: object('Options per payment method type ({crypto: {mode: "deposit", deposit_options: {networks: ["base"]}}}).'),
      confirm: { type: 'boolean', description: 'Confirm the intent at once.' },
      customer: id('The customer the payment is for (cus_…).'),
      description: { type: 'string', description: 'An arbitrary description.' },
      metadata,
      idempotency_key: idempotencyKey,
    },
    required: ['amount', 'currency'],
    returns: { object: 'payment_intent' },
    annotations: WRITE,
    call: {
      method: 'POST',
      path: '/v1/payment_intents',
      map: { payment_method_types: 'allowed_payment_method_types', ...same('amount', 'currency', 'allowed_payment_method_types', 'payment_method', 'payment_method_data', 'payment_method_options', 'confirm', 'customer', 'description', 'metadata') },
      ...withKey,
    },
  },
  {
    name: 'retrieve_payment_intent',
    title: 'Retrieve payment intent',
    description: 'Retrieve a PaymentIntent by ID (stripe.paymentIntents.retrieve). Returns the PaymentIntent: its status, next_action and latest_charge.',
    inputs: { id: id('The PaymentIntent ID (pi_…).') },
    required: ['id'],
    returns: { object: 'payment_intent' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/payment_intents/{intent}', map: { id: '{intent}' } },
  },
  {
    name: 'confirm_payment_intent',
    title: 'Confirm payment intent',
    description: 'Confirm a PaymentIntent (stripe.paymentIntents.confirm), optionally with the payment method or its options. Returns the PaymentIntent.',
    inputs: {
      id: id('The PaymentIntent ID (pi_…).'),
      payment_method: id('A PaymentMethod to pay with (pm_…).'),
      payment_method_data: object('A PaymentMethod created with the confirmation ({type: "crypto"}).'),
      payment_method_options: object('Options per payment method type.'),
      idempotency_key: idempotencyKey,
    },
    required: ['id'],
    returns: { object: 'payment_intent' },
    annotations: WRITE,
    call: { method: 'POST', path: '/v1/payment_intents/{intent}/confirm', map: { id: '{intent}', ...same('payment_method', 'payment_method_data', 'payment_method_options') }, ...withKey },
  },
  {
    name: 'cancel_payment_intent',
    title: 'Cancel payment intent',
    description: 'Cancel a PaymentIntent that has not succeeded (stripe.paymentIntents.cancel). Returns the canceled PaymentIntent.',
    inputs: {
      id: id('The PaymentIntent ID (pi_…).'),
      cancellation_reason: {
        type: 'string',
        enum: ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'],
        description: 'Why the payment is canceled.',
      },
      idempotency_key: idempotencyKey,
    },
    required: ['id'],
    returns: { object: 'payment_intent' },
    annotations: DESTRUCTIVE,
    call: { method: 'POST', path: '/v1/payment_intents/{intent}/cancel', map: { id: '{intent}', cancellation_reason: 'cancellation_reason' }, ...withKey },
  },
  {
    name: 'list_payment_intents',
    title: 'List payment intents',
    description: 'List PaymentIntents, newest first (stripe.paymentIntents.list), optionally of one customer or in a creation range. Returns a Stripe list.',
    inputs: { customer: id('Only the payment intents of this customer (cus_…).'), created, ...page('payment intents') },
    returns: { object: 'payment_intent', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/payment_intents', map: same('customer', 'created', 'limit', 'starting_after', 'ending_before') },
  },
  {
    name: 'simulate_crypto_deposit',
    title: 'Simulate crypto deposit',
    description:
      'Test helper: simulate the buyer sending stablecoins to a deposit-mode crypto PaymentIntent ' +
      '(stripe.testHelpers.paymentIntents.simulateCryptoDeposit). The transaction_hash chooses the outcome: ' +
      `"0x" + 53 zeros + "testsuccess" settles it, "0x" + 54 zeros + "testfailed" fails it. Returns the PaymentIntent.`,
    inputs: {
      id: id('The PaymentIntent ID (pi_…), in requires_action with a crypto deposit address.'),
      buyer_wallet: { type: 'string', description: 'The wallet address the deposit comes from (0x…).' },
      network: { type: 'string', enum: ['base', 'solana', 'tempo'], description: 'The network of the deposit.' },
      token_currency: { type: 'string', enum: ['usdc'], description: 'The token deposited.' },
      transaction_hash: { type: 'string', description: 'A test-mode transaction hash, which picks the outcome.' },
      idempotency_key: idempotencyKey,
    },
    required: ['id', 'buyer_wallet', 'network', 'token_currency', 'transaction_hash'],
    returns: { object: 'payment_intent' },
    annotations: WRITE,
    call: {
      method: 'POST',
      path: '/v1/test_helpers/payment_intents/{intent}/simulate_crypto_deposit',
      map: { id: '{intent}', ...same('buyer_wallet', 'network', 'token_currency', 'transaction_hash') },
      ...withKey,
    },
  },
  {
    name: 'retrieve_charge',
    title: 'Retrieve charge',
    description: "Retrieve a charge by ID (stripe.charges.retrieve): its status, amount_refunded, refunded flag and balance_transaction. A PaymentIntent's charge is its latest_charge.",
    inputs: { id: id('The charge ID (ch_… or py_…).') },
    required: ['id'],
    returns: { object: 'charge' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/charges/{charge}', map: { id: '{charge}' } },
  },
  {
    name: 'list_charges',
    title: 'List charges',
    description: 'List charges, newest first (stripe.charges.list), optionally of one PaymentIntent or customer. Returns a Stripe list.',
    inputs: {
      payment_intent: id('Only the charges of this PaymentIntent (pi_…).'),
      customer: id('Only the charges of this customer (cus_…).'),
      created,
      ...page('charges'),
    },
    returns: { object: 'charge', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/charges', map: same('payment_intent', 'customer', 'created', 'limit', 'starting_after', 'ending_before') },
  },
  {
    name: 'create_refund',
    title: 'Create refund',
    description:
      'Refund a payment, in full or in part (stripe.refunds.create): name the PaymentIntent or the charge. A charge cannot be refunded ' +
      'beyond its amount; pass an idempotency_key to retry safely. Returns the Refund.',
    inputs: {
      payment_intent: id('The PaymentIntent to refund (pi_…).'),
      charge: id('The charge to refund (ch_… or py_…).'),
      amount: { type: 'integer', minimum: 1, description: 'How much to refund, in cents (default: all that is left).' },
      reason: { type: 'string', enum: ['duplicate', 'fraudulent', 'requested_by_customer'], description: 'Why the payment is refunded.' },
      metadata,
      idempotency_key: idempotencyKey,
    },
    returns: { object: 'refund' },
    annotations: DESTRUCTIVE,
    call: { method: 'POST', path: '/v1/refunds', map: same('payment_intent', 'charge', 'amount', 'reason', 'metadata'), ...withKey },
  },
  {
    name: 'retrieve_balance',
    title: 'Retrieve balance',
    description: "The account's balance (stripe.balance.retrieve): available and pending amounts by currency.",
    inputs: {},
    returns: { object: 'balance' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/balance', map: {} },
  },
  {
    name: 'list_balance_transactions',
    title: 'List balance transactions',
    description:
      'List balance transactions, newest first (stripe.balanceTransactions.list), optionally only those of one source (a charge or refund) or of one type. Returns a Stripe list.',
    inputs: {
      source: id('Only the transactions of this source (ch_…, re_…).'),
      type: { type: 'string', description: 'Only transactions of this type (charge, refund, …).' },
      created,
      ...page('balance transactions'),
    },
    returns: { object: 'balance_transaction', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/balance_transactions', map: same('source', 'type', 'created', 'limit', 'starting_after', 'ending_before') },
  },
  {
    name: 'list_events',
    title: 'List events',
    description:
      'List events, newest first (stripe.events.list), optionally of one type or several (types) — e.g. payment_intent.succeeded, charge.refunded. Returns a Stripe list of Event objects.',
    inputs: {
      type: { type: 'string', description: 'Only events of this type (a * wildcard is allowed: payment_intent.*).' },
      types: { type: 'array', items: { type: 'string' }, maxItems: 20, description: 'Only events of these types.' },
      created,
      ...page('events'),
    },
    returns: { object: 'event', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/events', map: same('type', 'types', 'created', 'limit', 'starting_after', 'ending_before') },
  },
];
