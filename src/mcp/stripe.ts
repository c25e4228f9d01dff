import { JsonSchema, ToolAnnotations, ToolDeclaration } from './tools';

// The "stripe" tool set: the 22 tools of Stripe's own agent toolkit / local MCP
// server (@stripe/agent-toolkit 0.7.12, the only Stripe tool list with published
// schemas; docs/agents.md §3.2), in its tools/list order, with its names,
// input names, JSON Schema types, bounds, enums, defaults and required lists, its
// annotations, and its results: compact JSON text of the answer or of the fields
// it keeps, never structuredContent, never isError, and "Failed to …" on any
// failure. Each tool calls the REST route the toolkit's stripe-node call reaches.
//
// Twin choices (uncertain facts):
// - Descriptions are the twin's own words in the toolkit's style ("This tool will …",
//   then the arguments), not the toolkit's text: names, schemas and results are
//   what clients depend on; a byte-identical description list is not attempted.
// - The calls go at the twin's API version, not the toolkit's pinned
//   2025-02-24.acacia (stripe 17.7): the objects are the twin's canonical ones,
//   and create_invoice_item's top-level `price` (an acacia parameter) is accepted.
// - The hosted server (mcp.stripe.com) lists other, changing tools (a generic
//   stripe_api_read/write dispatcher in 2026); they are not mirrored.
// - search_stripe_documentation cannot reach Stripe's documentation search
//   (ai.stripe.com); it answers from the one piece of Stripe's documentation the
//   twin ships: the one-line summaries of the API's operations in
//   spec/stripe-api.json (./documentation.ts).

const NONE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };
const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };

const limit = (what: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: 100,
  ...extra,
  description: `How many ${what} to return at most, from 1 to 100.`,
});
const id = (what: string): JsonSchema => ({ type: 'string', description: what });
/** The fields create_invoice and finalize_invoice keep. */
const INVOICE_FIELDS = ['id', 'url:hosted_invoice_url', 'customer', 'status'];

export const stripeTools: ToolDeclaration[] = [
  {
    name: 'create_customer',
    title: 'Create customer',
    description: `
This tool will create a customer in Stripe.

It takes two arguments:
- name (str): The customer's name.
- email (str, optional): The customer's email address.
`,
    inputs: {
      name: { type: 'string', description: 'The full name of the customer.' },
      email: { type: 'string', format: 'email', description: 'The email address of the customer.' },
    },
    required: ['name'],
    text: { fields: ['id'], failure: 'Failed to create customer' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/customers', map: { name: 'name', email: 'email' } },
  },
  {
    name: 'list_customers',
    title: 'List customers',
    description: `
This tool will fetch a list of customers from Stripe.

It takes two arguments:
- limit (int, optional): How many customers to return.
- email (str, optional): Only customers with exactly this email address (case-sensitive).
`,
    inputs: {
      limit: limit('customers'),
      email: { type: 'string', description: "A case-sensitive filter on the customer's email address." },
    },
    text: { data: true, fields: ['id'], failure: 'Failed to list customers' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/customers', map: { limit: 'limit', email: 'email' } },
  },
  {
    name: 'create_product',
    title: 'Create product',
    description: `
This tool will create a product in Stripe.

It takes two arguments:
- name (str): The product's name.
- description (str, optional): What the product is.
`,
    inputs: {
      name: { type: 'string', description: 'The name of the product.' },
      description: { type: 'string', description: 'A description of the product.' },
    },
    required: ['name'],
    text: { failure: 'Failed to create product' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/products', map: { name: 'name', description: 'description' } },
  },
  {
    name: 'list_products',
    title: 'List products',
    description: `
This tool will fetch a list of products from Stripe.

It takes one optional argument:
- limit (int, optional): How many products to return.
`,
    inputs: { limit: limit('products') },
    text: { data: true, failure: 'Failed to list products' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/products', map: { limit: 'limit' } },
  },
  {
    name: 'create_price',
    title: 'Create price',
    description: `
This tool will create a price in Stripe. Create a product first if there is none to price.

It takes three arguments:
- product (str): The ID of the product the price is for.
- unit_amount (int): The price of one unit, in the smallest currency unit (cents).
- currency (str): The three-letter ISO currency code.
`,
    inputs: {
      product: id('The ID of the product to create the price for.'),
      unit_amount: { type: 'integer', description: 'The unit amount of the price, in the smallest currency unit (cents).' },
      currency: { type: 'string', description: 'The three-letter ISO code of the currency of the price.' },
    },
    required: ['product', 'unit_amount', 'currency'],
    text: { failure: 'Failed to create price' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/prices', map: { product: 'product', unit_amount: 'unit_amount', currency: 'currency' } },
  },
  {
    name: 'list_prices',
    title: 'List prices',
    description: `
This tool will fetch a list of prices from Stripe.

It takes two arguments:
- product (str, optional): Only prices of this product.
- limit (int, optional): How many prices to return.
`,
    inputs: {
      product: id('The ID of the product to list prices for.'),
      limit: limit('prices'),
    },
    text: { data: true, failure: 'Failed to list prices' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/prices', map: { product: 'product', limit: 'limit' } },
  },
  {
    name: 'create_payment_link',
    title: 'Create payment link',
    description: `
This tool will create a payment link in Stripe.

It takes three arguments:
- price (str): The ID of the price to sell through the link.
- quantity (int): How many units of it.
- redirect_url (str, optional): Where to send the buyer after a completed payment.
`,
    inputs: {
      price: id('The ID of the price to create the payment link for.'),
      quantity: { type: 'integer', description: 'The quantity of the product to include.' },
      redirect_url: { type: 'string', description: 'The URL to redirect the buyer to after a completed purchase.' },
    },
    required: ['price', 'quantity'],
    text: { fields: ['id', 'url'], failure: 'Failed to create payment link' },
    annotations: NONE,
    call: {
      method: 'POST',
      path: '/v1/payment_links',
      map: { price: 'line_items[0][price]', quantity: 'line_items[0][quantity]', redirect_url: 'after_completion[redirect][url]' },
      when: { redirect_url: { 'after_completion[type]': 'redirect' } },
    },
  },
  {
    name: 'create_invoice',
    title: 'Create invoice',
    description: `
This tool will create an invoice in Stripe, to be sent to the customer.

It takes two arguments:
- customer (str): The ID of the customer to invoice.
- days_until_due (int, optional): How many days the customer has to pay it.
`,
    inputs: {
      customer: id('The ID of the customer to create the invoice for.'),
      days_until_due: { type: 'integer', description: 'The number of days until the invoice is due.' },
    },
    required: ['customer'],
    text: { fields: INVOICE_FIELDS, failure: 'Failed to create invoice' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/invoices', map: { customer: 'customer', days_until_due: 'days_until_due' }, fixed: { collection_method: 'send_invoice' } },
  },
  {
    name: 'list_invoices',
    title: 'List invoices',
    description: `
This tool will fetch a list of invoices from Stripe.

It takes two arguments:
- customer (str, optional): Only invoices of this customer.
- limit (int, optional): How many invoices to return.
`,
    inputs: {
      customer: id('The ID of the customer to list invoices for.'),
      limit: limit('invoices'),
    },
    text: { data: true, failure: 'Failed to list invoices' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/invoices', map: { customer: 'customer', limit: 'limit' } },
  },
  {
    name: 'create_invoice_item',
    title: 'Create invoice item',
    description: `
This tool will create an invoice item in Stripe, on a draft invoice.

It takes three arguments:
- customer (str): The ID of the customer the item is for.
- price (str): The ID of the price of the item.
- invoice (str): The ID of the invoice to add the item to.
`,
    inputs: {
      customer: id('The ID of the customer to create the invoice item for.'),
      price: id('The ID of the price for the item.'),
      invoice: id('The ID of the invoice to create the item for.'),
    },
    required: ['customer', 'price', 'invoice'],
    text: { fields: ['id', 'invoice'], failure: 'Failed to create invoice item' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/invoiceitems', map: { customer: 'customer', price: 'price', invoice: 'invoice' } },
  },
  {
    name: 'finalize_invoice',
    title: 'Finalize invoice',
    description: `
This tool will finalize a draft invoice in Stripe, so that it can be paid.

It takes one argument:
- invoice (str): The ID of the invoice to finalize.
`,
    inputs: { invoice: id('The ID of the invoice to finalize.') },
    required: ['invoice'],
    text: { fields: INVOICE_FIELDS, failure: 'Failed to finalize invoice' },
    annotations: { ...NONE, idempotentHint: true },
    call: { method: 'POST', path: '/v1/invoices/{invoice}/finalize', map: { invoice: '{invoice}' } },
  },
  {
    name: 'retrieve_balance',
    title: 'Retrieve balance',
    description: `
This tool will retrieve the account's balance from Stripe. It takes no input.
`,
    inputs: {},
    text: { failure: 'Failed to retrieve balance' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/balance', map: {} },
  },
  {
    name: 'create_refund',
    title: 'Create refund',
    description: `
This tool will refund a payment intent in Stripe.

It takes two arguments:
- payment_intent (str): The ID of the payment intent to refund.
- amount (int, optional): How much to refund, in the smallest currency unit (cents); by default all of it.
`,
    inputs: {
      payment_intent: id('The ID of the PaymentIntent to refund.'),
      amount: { type: 'integer', description: 'The amount to refund in cents.' },
    },
    required: ['payment_intent'],
    text: { fields: ['id', 'status', 'amount'], failure: 'Failed to create refund' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/refunds', map: { payment_intent: 'payment_intent', amount: 'amount' } },
  },
  {
    name: 'list_payment_intents',
    title: 'List payment intents',
    description: `
This tool will fetch a list of payment intents from Stripe.

It takes two arguments:
- customer (str, optional): Only payment intents of this customer.
- limit (int, optional): How many payment intents to return.
`,
    inputs: {
      customer: id('The ID of the customer to list payment intents for.'),
      limit: limit('payment intents'),
    },
    text: { data: true, failure: 'Failed to list payment intents' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/payment_intents', map: { customer: 'customer', limit: 'limit' } },
  },
  {
    name: 'list_subscriptions',
    title: 'List subscriptions',
    description: `
This tool will fetch a list of subscriptions from Stripe.

It takes four arguments:
- customer (str, optional): Only subscriptions of this customer.
- price (str, optional): Only subscriptions to this price.
- status (str, optional): Only subscriptions in this status ('all' includes canceled ones).
- limit (int, optional): How many subscriptions to return.
`,
    inputs: {
      customer: id('The ID of the customer to list subscriptions for.'),
      price: id('The ID of the price to list subscriptions for.'),
      status: {
        type: 'string',
        enum: ['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'all'],
        description: 'The status of the subscriptions to list.',
      },
      limit: limit('subscriptions'),
    },
    text: { data: true, failure: 'Failed to list subscriptions' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/subscriptions', map: { customer: 'customer', price: 'price', status: 'status', limit: 'limit' } },
  },
  {
    name: 'cancel_subscription',
    title: 'Cancel subscription',
    description: `
This tool will cancel a subscription in Stripe, at once.

It takes one argument:
- subscription (str): The ID of the subscription to cancel.
`,
    inputs: { subscription: id('The ID of the subscription to cancel.') },
    required: ['subscription'],
    text: { failure: 'Failed to cancel subscription' },
    annotations: { ...NONE, destructiveHint: true, idempotentHint: true },
    call: { method: 'DELETE', path: '/v1/subscriptions/{subscription_exposed_id}', map: { subscription: '{subscription_exposed_id}' } },
  },
  {
    name: 'update_subscription',
    title: 'Update subscription',
    description: `
This tool will update a subscription in Stripe. To change an item's price, mark the old item deleted and add a new one.

It takes three arguments:
- subscription (str): The ID of the subscription to update.
- proration_behavior (str, optional): How to prorate item changes: 'create_prorations', 'none', 'always_invoice' or 'none_implicit'.
- items (array, optional): Items to change, add or remove, each with:
  - id (str, optional): The ID of an existing subscription item.
  - price (str, optional): The ID of the price the item should have.
  - quantity (int, optional): The item's quantity.
  - deleted (bool, optional): Whether to remove the item.
`,
    inputs: {
      subscription: id('The ID of the subscription to update.'),
      proration_behavior: {
        type: 'string',
        enum: ['create_prorations', 'none', 'always_invoice', 'none_implicit'],
        description: 'How prorations are handled when the subscription items change.',
      },
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', description: 'The ID of the subscription item to change.' },
            price: { type: 'string', description: 'The ID of the price to switch the item to.' },
            quantity: { type: 'integer', minimum: 1, description: 'The quantity of the item.' },
            deleted: { type: 'boolean', description: 'Whether to remove this item.' },
          },
          additionalProperties: false,
        },
        description: 'The subscription items to change, add or remove.',
      },
    },
    required: ['subscription'],
    text: { failure: 'Failed to update subscription' },
    annotations: NONE,
    call: {
      method: 'POST',
      path: '/v1/subscriptions/{subscription_exposed_id}',
      map: { subscription: '{subscription_exposed_id}', proration_behavior: 'proration_behavior', items: 'items' },
    },
  },
  {
    name: 'search_stripe_documentation',
    title: 'Search Stripe documentation',
    description: `
This tool will take a question about integrating with Stripe and look up the parts of Stripe's documentation that answer it.

It takes two arguments:
- question (str): The question to search the documentation for.
- language (str, optional): The programming language the answer should use.
`,
    inputs: {
      question: { type: 'string', description: 'The question about integrating with Stripe to search the documentation for.' },
      language: {
        type: 'string',
        enum: ['dotnet', 'go', 'java', 'node', 'php', 'ruby', 'python', 'curl'],
        description: 'The programming language to search the documentation for.',
      },
    },
    required: ['question'],
    text: { failure: 'Failed to search documentation' },
    annotations: READ,
    call: { local: 'search_documentation' },
  },
  {
    name: 'list_coupons',
    title: 'List coupons',
    description: `
This tool will fetch a list of coupons from Stripe.

It takes one optional argument:
- limit (int, optional): How many coupons to return.
`,
    inputs: { limit: limit('coupons') },
    text: { data: true, fields: ['id', 'name', 'percent_off', 'amount_off', 'duration'], failure: 'Failed to list coupons' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/coupons', map: { limit: 'limit' } },
  },
  {
    // The toolkit's quirks, kept: amount_off is required although the description offers
    // percent_off instead, and currency ("USD") and duration ("once") default.
    name: 'create_coupon',
    title: 'Create coupon',
    description: `
This tool will create a coupon in Stripe.

It takes these arguments:
- name (str): The coupon's name, shown to customers.

Give one of percent_off or amount_off, not both:
- percent_off (number, optional): The discount in percent (0 to 100).
- amount_off (number, optional): The amount taken off, in the smallest currency unit (cents).

How long it applies (default 'once'):
- duration (str, optional): 'once', 'repeating' or 'forever'.
- duration_in_months (number, optional): For how many months, with 'repeating'.
`,
    inputs: {
      name: { type: 'string', description: 'The name of the coupon, shown to customers on invoices and receipts.' },
      percent_off: { type: 'number', minimum: 0, maximum: 100, description: 'The discount in percent, above 0 and at most 100 (needed without amount_off).' },
      amount_off: { type: 'number', description: 'The amount to take off an invoice total, a positive integer in cents (needed without percent_off).' },
      currency: { type: 'string', default: 'USD', description: 'The three-letter ISO code of the currency of amount_off (needed with amount_off).' },
      duration: { type: 'string', enum: ['once', 'repeating', 'forever'], default: 'once', description: 'How long the discount lasts; "once" by default.' },
      duration_in_months: { type: 'number', description: 'For how many months the discount lasts, with duration "repeating".' },
    },
    required: ['name', 'amount_off'],
    text: { fields: ['id'], failure: 'Failed to create coupon', withMessage: true },
    annotations: NONE,
    call: {
      method: 'POST',
      path: '/v1/coupons',
      map: {
        name: 'name',
        percent_off: 'percent_off',
        amount_off: 'amount_off',
        currency: 'currency',
        duration: 'duration',
        duration_in_months: 'duration_in_months',
      },
    },
  },
  {
    name: 'update_dispute',
    title: 'Update dispute',
    description: `
This tool will add evidence to a dispute in Stripe, and submit it if asked. Contacting the customer first is usually best.

It takes three arguments:
- dispute (str): The ID of the dispute.
- evidence (object, optional): The evidence, with any of:
  - cancellation_policy_disclosure (str)
  - duplicate_charge_explanation (str)
  - uncategorized_text (str): Any other evidence or statement.
- submit (bool, optional): Whether to submit the evidence to the bank now (otherwise it is only staged).
`,
    inputs: {
      dispute: id('The ID of the dispute to update.'),
      evidence: {
        type: 'object',
        properties: {
          cancellation_policy_disclosure: { type: 'string', maxLength: 20000, description: 'How and when the customer was shown the refund policy before buying.' },
          duplicate_charge_explanation: { type: 'string', maxLength: 20000, description: 'How the disputed charge differs from the earlier one it seems to duplicate.' },
          uncategorized_text: { type: 'string', maxLength: 20000, description: 'Any other evidence or statement.' },
        },
        additionalProperties: false,
        description: 'Evidence for the dispute; changing any field submits all of them for review.',
      },
      submit: { type: 'boolean', description: 'Whether to submit the evidence to the bank now; otherwise it is staged on the dispute.' },
    },
    required: ['dispute'],
    text: { fields: ['id'], failure: 'Failed to update dispute' },
    annotations: NONE,
    call: { method: 'POST', path: '/v1/disputes/{dispute}', map: { dispute: '{dispute}', evidence: 'evidence', submit: 'submit' } },
  },
  {
    name: 'list_disputes',
    title: 'List disputes',
    description: `
This tool will fetch a list of disputes from Stripe.

It takes three arguments:
- charge (str, optional): Only disputes of this charge.
- payment_intent (str, optional): Only disputes of this payment intent.
- limit (int, optional): How many disputes to return (10 by default).
`,
    inputs: {
      charge: id('The ID of the charge to list disputes for.'),
      payment_intent: id('The ID of the PaymentIntent to list disputes for.'),
      limit: limit('disputes', { default: 10 }),
    },
    text: { data: true, fields: ['id'], failure: 'Failed to list disputes' },
    annotations: READ,
    call: { method: 'GET', path: '/v1/disputes', map: { charge: 'charge', payment_intent: 'payment_intent', limit: 'limit' } },
  },
];
