import { ToolAnnotations, ToolDeclaration } from './tools';

// The "skill" tool set (docs/agents.md §3.3): brief 001's eight Stripe tools for an agent, each
// listed for a restricted key only when the key holds the permission of its
// route (the brief's table: Balance Read, Customers Read, Payment Intents Read,
// Payment Links Write, Invoices Read, Refunds Write, Subscriptions Read).
//
// Input names (uncertain, docs/agents.md §3.3: the skill's own schemas are not
// public): the brief's examples use `email`, `customer_id` and `price_id`; the
// twin follows them, naming every id input `<thing>_id` (`payment_intent_id`,
// `charge_id`), and adds `limit` (1–100, Stripe's page size) to every list.
// Results (also unpublished): the REST answer itself, as JSON text and as
// structuredContent; a Stripe error is a tool error (isError) carrying the
// API's error body.

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
const CREATE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };

const limit = { type: 'integer', minimum: 1, maximum: 100, description: 'How many to return (1–100, default 10).' };
const customerId = (what: string) => ({ type: 'string', description: `Only ${what} of this customer (cus_…).` });

export const skillTools: ToolDeclaration[] = [
  {
    name: 'stripe_get_balance',
    title: 'Get balance',
    description: "Current account balance (available + pending), by currency. Returns Stripe's Balance object.",
    inputs: {},
    returns: { object: 'balance' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/balance', map: {} },
  },
  {
    name: 'stripe_list_customers',
    title: 'List customers',
    description: 'List customers, newest first, optionally only those with an exact email address. Returns a Stripe list of Customer objects.',
    inputs: {
      email: { type: 'string', description: "Only customers with this email (case-sensitive, as Stripe's list filter)." },
      limit,
    },
    returns: { object: 'customer', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/customers', map: { email: 'email', limit: 'limit' } },
  },
  {
    name: 'stripe_get_customer',
    title: 'Get customer',
    description: 'Get a customer by ID. Returns the Customer object (a deleted customer answers with its deleted stub).',
    inputs: { customer_id: { type: 'string', description: 'The customer ID (cus_…).' } },
    required: ['customer_id'],
    returns: { object: 'customer' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/customers/{customer}', map: { customer_id: '{customer}' } },
  },
  {
    name: 'stripe_list_payment_intents',
    title: 'List payment intents',
    description: 'Recent payment intents, newest first, optionally only those of one customer. Returns a Stripe list of PaymentIntent objects.',
    inputs: { customer_id: customerId('the payment intents'), limit },
    returns: { object: 'payment_intent', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/payment_intents', map: { customer_id: 'customer', limit: 'limit' } },
  },
  {
    name: 'stripe_create_payment_link',
    title: 'Create payment link',
    description: 'Create a payment link for a price ID (price_…), to share with a buyer. Returns the PaymentLink object; its `url` is the link.',
    inputs: {
      price_id: { type: 'string', description: 'The price to sell (price_…).' },
      quantity: { type: 'integer', minimum: 1, default: 1, description: 'How many units (default 1).' },
    },
    required: ['price_id'],
    returns: { object: 'payment_link' },
    annotations: CREATE,
    call: { method: 'POST', path: '/v1/payment_links', map: { price_id: 'line_items[0][price]', quantity: 'line_items[0][quantity]' } },
  },
  {
    name: 'stripe_list_invoices',
    title: 'List invoices',
    description: 'List invoices, newest first, optionally of one customer and/or in one status. Returns a Stripe list of Invoice objects.',
    inputs: {
      customer_id: customerId('invoices'),
      status: { type: 'string', enum: ['draft', 'open', 'paid', 'uncollectible', 'void'], description: 'Only invoices in this status.' },
      limit,
    },
    returns: { object: 'invoice', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/invoices', map: { customer_id: 'customer', status: 'status', limit: 'limit' } },
  },
  {
    name: 'stripe_create_refund',
    title: 'Create refund',
    description:
      'Issue a refund by payment intent ID (pi_…) or charge ID (ch_…): give one of them, and an amount in the smallest currency unit for a partial refund ' +
      '(default: everything not yet refunded). Money goes back to the buyer: confirm with the user first. Returns the Refund object.',
    inputs: {
      payment_intent_id: { type: 'string', description: 'The payment intent to refund (pi_…).' },
      charge_id: { type: 'string', description: 'The charge to refund (ch_…), instead of a payment intent.' },
      amount: { type: 'integer', minimum: 1, description: 'Amount to refund in the smallest currency unit (cents); default the whole remaining amount.' },
    },
    returns: { object: 'refund' },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    call: { method: 'POST', path: '/v1/refunds', map: { payment_intent_id: 'payment_intent', charge_id: 'charge', amount: 'amount' } },
  },
  {
    name: 'stripe_list_subscriptions',
    title: 'List subscriptions',
    description:
      'List subscriptions, newest first, optionally of one customer and/or in one status (default: every status but canceled; `all` includes canceled). ' +
      'Returns a Stripe list of Subscription objects.',
    inputs: {
      customer_id: customerId('subscriptions'),
      status: {
        type: 'string',
        enum: ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'],
        description: 'Only subscriptions in this status.',
      },
      limit,
    },
    returns: { object: 'subscription', list: true },
    annotations: READ,
    call: { method: 'GET', path: '/v1/subscriptions', map: { customer_id: 'customer', status: 'status', limit: 'limit' } },
  },
];
