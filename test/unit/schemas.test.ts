import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTwin } from '../../src';
import { Capture, CAPTURE_FORMAT, Interaction, writeCapture } from '../../src/contract/capture';
import type { components } from '../../src/contract/openapi_types';
import { compileAll, createAjv, generateSchemas, loadSpec, preprocess, SpecInfo, writeSchemas } from '../../src/contract/schemas';
import { formatFinding, SHAPE_SCHEMAS_DIR, ShapeFinding, ShapeValidator, schemaDirLoader, validateShape } from '../../src/contract/shapes';
import * as command from '../../src/commands/schemas';

type Json = Record<string, any>;

// ---------------------------------------------------------------------------
// A tiny synthetic spec and captures: generation and tightening

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const listOf = (item: Json) => ({
  type: 'object',
  properties: {
    data: { type: 'array', items: item },
    has_more: { type: 'boolean' },
    object: { type: 'string', enum: ['list'] },
    url: { type: 'string', maxLength: 5000 },
  },
  required: ['data', 'has_more', 'object', 'url'],
  'x-expandableFields': ['data'],
});

const tinySpec: Json = {
  openapi: '3.0.0',
  info: { version: '2099-01-01' },
  paths: {
    '/v1/customers': { get: { responses: { '200': { content: { 'application/json': { schema: listOf(ref('gadget')) } } } } } },
  },
  components: {
    schemas: {
      widget: {
        title: 'Widget',
        description: 'A widget.',
        type: 'object',
        properties: {
          id: { type: 'string', maxLength: 5000, description: 'nested descriptions go' },
          object: { type: 'string', enum: ['widget'] },
          created: { type: 'integer', format: 'unix-time' },
          status: { type: 'string', enum: ['active', 'inactive'], 'x-stripeBypassValidation': true },
          nickname: { type: 'string', nullable: true, maxLength: 5000 },
          mode: { type: 'string', enum: ['fast', 'slow'], nullable: true },
          owner: {
            anyOf: [{ type: 'string', maxLength: 5000 }, ref('gadget'), ref('deleted_gadget')],
            nullable: true,
            'x-expansionResources': { oneOf: [ref('gadget'), ref('deleted_gadget')] },
          },
          details: ref('widget_details'),
          price: { type: 'string', format: 'decimal' },
          metadata: { type: 'object', additionalProperties: { type: 'string', maxLength: 500 } },
        },
        required: ['id', 'object'],
        'x-resourceId': 'widget',
        'x-expandableFields': ['owner'],
      },
      widget_details: {
        title: 'WidgetDetails',
        type: 'object',
        properties: { kind: { type: 'string', enum: ['a', 'b'] }, size: { type: 'integer' } },
        required: ['kind'],
      },
      gadget: {
        type: 'object',
        properties: { id: { type: 'string' }, object: { type: 'string', enum: ['gadget'] }, widgets: listOf(ref('widget')) },
        required: ['id', 'object'],
      },
      deleted_gadget: {
        type: 'object',
        properties: { id: { type: 'string' }, object: { type: 'string', enum: ['gadget'] }, deleted: { type: 'boolean', enum: [true] } },
        required: ['deleted', 'id', 'object'],
      },
      event: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          object: { type: 'string', enum: ['event'] },
          api_version: { type: 'string', nullable: true },
          data: ref('notification_event_data'),
          type: { type: 'string' },
        },
        required: ['id', 'object', 'data', 'type'],
      },
      notification_event_data: {
        type: 'object',
        properties: { object: { type: 'object' }, previous_attributes: { type: 'object' } },
        required: ['object'],
      },
    },
  },
};
const tinyInfo: SpecInfo = { version: '2099-01-01', sha256: 'f'.repeat(64), source: 'a synthetic spec' };

const widget = (extra: Json = {}): Json => ({
  id: '{{wid_1}}',
  object: 'widget',
  created: '{{t+0}}',
  status: 'active',
  owner: '{{gad_1}}',
  details: { kind: 'a', size: 3 },
  price: '1.5',
  metadata: {},
  ...extra,
});

const interaction = (body: unknown, version = '2099-01-01', status = 200): Interaction => ({
  request: { method: 'GET', path: '/v1/widgets/{{wid_1}}', params: {}, stripe_version: null, idempotency_key: null, stripe_account: null },
  response: { status, headers: { 'Stripe-Version': version }, body },
});

const capture = (name: string, interactions: Interaction[], objects?: unknown[]): Capture => ({
  format: CAPTURE_FORMAT,
  name,
  provenance: { source: 'test', format: 'json', api_versions: ['2099-01-01'] },
  interactions,
  ...(objects ? { objects } : {}),
  ids: {},
});

const tinyCaptures = () => [
  {
    name: 'a',
    capture: capture('a', [
      // a newer key (color), a newer enum value (archived), a newer nested key and enum value
      interaction(widget({ color: 'red', status: 'archived', nickname: null, details: { kind: 'c', size: 1, shade: 'dark' } })),
      // a list of widgets: every item is an instance
      interaction({ object: 'list', data: [widget({ nickname: 'w' }), widget({ nickname: null })], has_more: false, url: '/v1/widgets' }, '2099-02-02'),
      // an error envelope holding a bare widget: not an instance
      interaction({ error: { type: 'invalid_request_error', widget: { id: 'x', object: 'widget' } } }, '2099-01-01', 400),
    ]),
  },
  {
    name: 'b/events',
    capture: capture('b/events', [], [
      // an event: its data.object counts (it lacks nickname: so nickname is not required);
      // previous_attributes is partial and ignored
      {
        id: '{{evt_1}}',
        object: 'event',
        api_version: '2098-12-12',
        type: 'widget.updated',
        data: { object: widget({ owner: { id: '{{gad_1}}', object: 'gadget', sparkle: true } }), previous_attributes: { status: 'weird', object: 'widget' } },
      },
      // an object type the spec does not have
      { id: '{{spr_1}}', object: 'sprocket', teeth: 12, ratio: 1.5, label: null },
      { id: '{{spr_2}}', object: 'sprocket', teeth: 10, ratio: 2, label: 'x' },
    ]),
  },
];

/** Every key anywhere in a schema document. */
function allKeys(doc: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(doc)) doc.forEach((d) => allKeys(d, out));
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'properties') Object.values(v as Json).forEach((d) => allKeys(d, out));
      else {
        out.add(k);
        if (k !== 'x-provenance' && k !== 'enum' && k !== 'required') allKeys(v, out);
      }
    }
  }
  return out;
}

describe('schema generation (synthetic spec)', () => {
  const g = generateSchemas({ spec: tinySpec, specInfo: tinyInfo, captures: tinyCaptures() });
  const w = g.files.get('widget')!;

  test('one file per object type, deleted variants and containers apart, captures-only types added', () => {
    expect([...g.files.keys()].sort()).toEqual(['deleted_gadget', 'event', 'gadget', 'list', 'sprocket', 'widget']);
    expect(g.files.get('deleted_gadget')!['x-object']).toBe('gadget');
    expect(w.title).toBe('widget');
    expect(w.description).toBe('A widget.');
  });

  test('pre-processing for ajv: x-* and nested descriptions dropped, nullable becomes null, expansions stay anyOf', () => {
    const keys = allKeys(g.files.get('widget'));
    expect([...keys].filter((k) => k.startsWith('x-')).sort()).toEqual(['x-object', 'x-provenance', 'x-seen-enum', 'x-seen-keys', 'x-stub']);
    expect(keys.has('nullable')).toBe(false);
    expect(w.properties.id).toEqual({ type: 'string', maxLength: 5000 });
    expect(w.properties.nickname).toEqual({ type: ['string', 'null'], maxLength: 5000 });
    expect(w.properties.mode).toEqual({ type: ['string', 'null'], enum: ['fast', 'slow', null] });
    expect(w.properties.owner).toEqual({ anyOf: [{ type: 'string', maxLength: 5000 }, { $ref: '#/$defs/gadget' }, { $ref: '#/$defs/deleted_gadget' }, { type: 'null' }] });
    // other object types are stubs naming their own file; structures are $defs
    expect(w.$defs.gadget['x-stub']).toBe('gadget');
    expect(w.$defs.deleted_gadget['x-stub']).toBe('deleted_gadget');
    expect(w.$defs.gadget.properties).toEqual({ object: { type: 'string', enum: ['gadget'] } });
    expect(w.$defs.widget_details.properties.kind).toEqual({ type: 'string', enum: ['a', 'b'], 'x-seen-enum': ['c'] });
    expect(preprocess({ $ref: '#/components/schemas/x', nullable: true })).toEqual({ anyOf: [{ $ref: '#/components/schemas/x' }, { type: 'null' }] });
  });

  test('tightening: keys every instance carried become required (spec keys only); newer keys and enum values are listed', () => {
    // instances: the first response, two list items, the event's data.object (not the error's widget, not previous_attributes)
    expect(w['x-provenance'].captures).toEqual({
      files: 2,
      instances: 4,
      api_versions: ['2098-12-12', '2099-01-01', '2099-02-02'],
      required_added: ['created', 'details', 'metadata', 'owner', 'price', 'status'],
      seen_keys: { color: ['2099-01-01'] },
    });
    expect(w.required).toEqual(['created', 'details', 'id', 'metadata', 'object', 'owner', 'price', 'status']);
    expect(w['x-seen-keys']).toEqual(['color']);
    expect(w.properties.status['x-seen-enum']).toEqual(['archived']); // not 'weird' (previous_attributes)
    expect(w.properties.status.enum).toEqual(['active', 'inactive']);
    expect(w.$defs.widget_details['x-seen-keys']).toEqual(['shade']);
    // the expanded gadget inside the event counts for gadget.json, with its newer key
    const gadget = g.files.get('gadget')!;
    expect(gadget['x-provenance'].captures.instances).toBe(1);
    expect(gadget['x-seen-keys']).toEqual(['sparkle']);
    // lists: the list response
    expect(g.files.get('list')!['x-provenance'].captures.instances).toBe(1);
    expect(g.files.get('deleted_gadget')!['x-provenance'].captures).toEqual({ files: 0, instances: 0 });
    expect(g.captureFindings).toEqual({ 'unknown-key': 3, enum: 2, 'unknown-object': 2 });
  });

  test('provenance: spec version and sha256, capture versions and counts, in $comment and x-provenance', () => {
    expect(w['x-provenance'].spec).toEqual({ source: 'a synthetic spec', info_version: '2099-01-01', sha256: 'f'.repeat(64), component: 'widget' });
    expect(w.$comment).toMatch(/spec 2099-01-01 \(spec3\.json sha256 ffffffffffff…\), component widget; tightened by 4 captured instances in 2 captures \(API versions 2098-12-12, 2099-01-01, 2099-02-02\)/);
    expect(g.captures).toEqual({ files: 2, used: 2, instances: 9, apiVersions: ['2098-12-12', '2099-01-01', '2099-02-02'] });
  });

  test('captures-only object types: top-level keys and JSON types as captured', () => {
    const s = g.files.get('sprocket')!;
    expect(s['x-captures-only']).toBe(true);
    expect(s.properties).toEqual({
      id: { type: 'string' },
      label: { type: ['null', 'string'] },
      object: { type: 'string', enum: ['sprocket'] },
      ratio: { type: 'number' },
      teeth: { type: 'integer' },
    });
    expect(s.required).toEqual(['id', 'label', 'object', 'ratio', 'teeth']);
  });

  test('every file compiles with ajv on its own, and ajv agrees on a valid and an invalid widget', () => {
    expect(compileAll(g.files).failed).toEqual([]);
    const check = createAjv().compile(w);
    const valid = { ...widget({ created: 1700000000 }), nickname: null };
    expect(check(valid)).toBe(true);
    expect(check({ ...valid, price: 'one' })).toBe(false); // decimal format
    expect(check({ ...valid, created: 1.5 })).toBe(false); // unix-time format
    expect(check({ ...valid, owner: { id: 'g', object: 'widget' } })).toBe(false); // the stub checks the object type
  });

  test('writing is deterministic and removes stale files; the command does the same from files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemas-'));
    fs.writeFileSync(path.join(dir, 'stale.json'), '{}');
    expect(writeSchemas(dir, g)).toEqual({ written: 6, removed: ['stale.json'] });
    const first = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    writeSchemas(dir, generateSchemas({ spec: tinySpec, specInfo: tinyInfo, captures: tinyCaptures() }));
    const second = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    expect(second).toEqual(first);
    expect(Object.keys(first).sort()).toEqual(['README.md', 'deleted_gadget.json', 'event.json', 'gadget.json', 'index.json', 'list.json', 'sprocket.json', 'widget.json']);
    expect(first['README.md']).toContain('| `widget.json` | widget | 4 | 2 | 2098-12-12, 2099-01-01, 2099-02-02 | 2 + 6 | `color` | 1 | 2 |');
    expect(JSON.parse(first['index.json']).schemas.widget).toEqual({ object: 'widget', component: 'widget', instances: 4, required_added: 6, seen_keys: 1, nested_seen_keys: 1, seen_enum: 2 });

    // the command: spec and captures from files
    const specFile = path.join(dir, 'spec.json');
    fs.writeFileSync(specFile, JSON.stringify(tinySpec));
    const capturesDir = path.join(dir, 'captures');
    for (const c of tinyCaptures()) writeCapture(capturesDir, c.capture);
    fs.writeFileSync(path.join(capturesDir, 'broken.yaml'), 'format: 2\n');
    const out = path.join(dir, 'out');
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => (lines.push(String(s)), true));
    try {
      await command.run({ spec: specFile, captures: capturesDir, out }, []);
    } finally {
      write.mockRestore();
    }
    const text = lines.join('');
    expect(text).toContain('skipped capture broken: not a stripe-twin capture (format 1)');
    expect(text).toMatch(/6 schemas \(1 captures-only\) from spec 2099-01-01/);
    expect(text).toMatch(/captures: 2\/2 files with 9 instances \(2098-12-12, 2099-01-01, 2099-02-02\)/);
    expect(text).toMatch(/tightened 4: \+7 required, 2 top-level and 1 nested seen keys, 2 seen enum values/);
    const fromCommand = JSON.parse(fs.readFileSync(path.join(out, 'widget.json'), 'utf8'));
    expect(fromCommand.required).toEqual(w.required);
    expect(fromCommand['x-provenance'].spec.sha256).toBe(loadSpec(specFile).info.sha256);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('shape validator (synthetic schemas)', () => {
  const g = generateSchemas({ spec: tinySpec, specInfo: tinyInfo, captures: tinyCaptures() });
  const v = new ShapeValidator({ load: (name) => g.files.get(name) });
  const kinds = (fs: ShapeFinding[]) => fs.map((f) => `${f.kind} ${f.object} ${f.path}`);

  test('tokens stand for varying values: id tokens are strings (or ids of expandable objects), time tokens integers', () => {
    expect(v.validate(widget())).toEqual([]);
    expect(v.validate(widget({ created: 1700000000, owner: 'gad_123', nickname: '{{email_1}}' }))).toEqual([]);
    expect(v.validate(widget({ created: '{{gad_1}}' }))).toEqual([
      { kind: 'type', object: 'widget', path: 'created', schema: 'widget.json#/properties/created', expected: 'integer', actual: 'string' },
    ]);
    expect(kinds(v.validate(widget({ id: '{{t+5}}' })))).toEqual(['type widget id']);
    expect(kinds(v.validate(widget({ status: '{{x_1}}' })))).toEqual([]); // a token is never an enum value
  });

  test('each finding kind, with dotted paths, through lists, expansions and events', () => {
    const bad = widget({ status: 'deleted', color: 1, fresh: true, details: { size: 'big' }, owner: { id: 'g', object: 'gadget', widgets: { object: 'list', data: [widget({ created: 'never' })], has_more: false } } });
    delete bad.metadata;
    const list = { object: 'list', data: [bad], has_more: false, url: '/v1/widgets' };
    const found = v.validate(list);
    expect(found.map(formatFinding)).toEqual([
      'widget data.0.metadata: missing (required)',
      'widget data.0.status: "deleted" is not one of active | inactive',
      'list data.0.owner.widgets.url: missing (required)',
      'widget data.0.owner.widgets.data.0.created: expected integer, got string',
      'widget data.0.details.kind: missing (required)',
      'widget data.0.details.size: expected integer, got string',
      'widget data.0.fresh: unknown key (not in the spec)',
    ]);
    expect(found[1].schema).toBe('widget.json#/properties/status');
    expect(found[4].schema).toBe('widget.json#/$defs/widget_details');
    // deleted objects have their own schema; unknown object types are reported once
    expect(v.validate({ id: 'g', object: 'gadget', deleted: true })).toEqual([]);
    expect(kinds(v.validate({ id: 'g', object: 'gadget', deleted: true, extra: 1 }))).toEqual(['unknown-key gadget extra']);
    expect(kinds(v.validate({ object: 'thing', inner: widget({ color: 'x', zap: 1 }) }))).toEqual(['unknown-object thing ', 'unknown-key widget inner.zap']);
    // an expandable field holding the wrong object type
    expect(kinds(v.validate(widget({ owner: { id: 'w', object: 'widget' } })))).toEqual([
      'type widget owner',
      'missing-key widget owner.created',
      'missing-key widget owner.details',
      'missing-key widget owner.metadata',
      'missing-key widget owner.owner',
      'missing-key widget owner.price',
      'missing-key widget owner.status',
    ]);
    expect(v.validate(widget({ owner: { id: 'w', object: 'widget' } }))[0]).toEqual({
      kind: 'type',
      object: 'widget',
      path: 'owner',
      schema: 'widget.json#/properties/owner',
      expected: 'object gadget',
      actual: 'object widget',
    });
    // events: data.object is checked as its own type, previous_attributes is partial and skipped
    const event = { id: 'evt', object: 'event', api_version: null, type: 'widget.updated', data: { object: widget({ status: 'bad' }), previous_attributes: { object: 'widget' } } };
    expect(kinds(v.validate(event))).toEqual(['enum widget data.object.status']);
    // error envelopes give nothing; an explicit type checks a value without an `object` field
    expect(v.validate({ error: { type: 'card_error', widget: { object: 'widget' } } })).toEqual([]);
    expect(kinds(v.validate({ kind: 'z' }, 'widget'))).toEqual(['missing-key widget created', 'missing-key widget details', 'missing-key widget id', 'missing-key widget metadata', 'missing-key widget object', 'missing-key widget owner', 'missing-key widget price', 'missing-key widget status', 'unknown-key widget kind']);
    expect(kinds(v.validate({ id: 's', object: 'sprocket', teeth: '{{t+1}}', ratio: 1, label: null }))).toEqual([]);
    expect(kinds(v.validate({ id: 's', object: 'sprocket', teeth: 'many', ratio: 1 }))).toEqual(['missing-key sprocket label', 'type sprocket teeth']);
  });
});

// ---------------------------------------------------------------------------
// The committed schemas against the twin's own objects (API 2026-10-28.endive)

type Spec = components['schemas'];
/** Keys of the 2024-04-10 spec types: a key listed as newer that the spec has fails to compile. */
type NotIn<T, K extends string> = K extends keyof T ? never : K;
function newer<T>() {
  return <K extends string>(...keys: NotIn<T, K>[]) => keys;
}
const PI_NEWER = newer<Spec['payment_intent']>()('allowed_payment_method_types', 'customer_account', 'excluded_payment_method_types', 'managed_payments', 'payment_record', 'shared_payment_granted_token', 'source');
const CUSTOMER_NEWER = newer<Spec['customer']>()('customer_account');
const CHARGE_NEWER = newer<Spec['charge']>()('destination', 'dispute', 'order', 'source');
const REFUND_NEWER = newer<Spec['refund']>()('customer', 'customer_account', 'payment_method');
const PM_NEWER = newer<Spec['payment_method']>()('customer_account', 'shared_payment_granted_token');
const OUTCOME_NEWER = newer<Spec['charge_outcome']>()('advice_code', 'network_advice_code', 'network_decline_code');
const CARD_DETAILS_NEWER = newer<Spec['payment_method_details_card']>()('authorization_code', 'network_transaction_id', 'regulated_status');
const PM_CARD_NEWER = newer<Spec['payment_method_card']>()('regulated_status');
const BILLING_NEWER = newer<Spec['billing_details']>()('tax_id');

function schemaFile(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(SHAPE_SCHEMAS_DIR, `${name}.json`), 'utf8'));
}
/** The unknown-key findings expected for newer keys at a schema node, less those the captures listed in x-seen-keys. */
function unknownKeys(object: string, file: string, def: string | null, at: string, keys: readonly string[]): string[] {
  const doc = schemaFile(file);
  const node = def ? doc.$defs[def] : doc;
  const seen: string[] = node['x-seen-keys'] ?? [];
  return keys.filter((k) => !seen.includes(k)).map((k) => `unknown-key ${object} ${at ? `${at}.` : ''}${k}`);
}
const chargeExpected = (at: string) => [
  ...unknownKeys('charge', 'charge', null, at, CHARGE_NEWER),
  ...unknownKeys('charge', 'charge', 'billing_details', `${at ? `${at}.` : ''}billing_details`, BILLING_NEWER),
  ...unknownKeys('charge', 'charge', 'charge_outcome', `${at ? `${at}.` : ''}outcome`, OUTCOME_NEWER),
  ...unknownKeys('charge', 'charge', 'payment_method_details_card', `${at ? `${at}.` : ''}payment_method_details.card`, CARD_DETAILS_NEWER),
];
const pmExpected = (at: string) => [
  ...unknownKeys('payment_method', 'payment_method', null, at, PM_NEWER),
  ...unknownKeys('payment_method', 'payment_method', 'billing_details', `${at ? `${at}.` : ''}billing_details`, BILLING_NEWER),
  ...unknownKeys('payment_method', 'payment_method', 'payment_method_card', `${at ? `${at}.` : ''}card`, PM_CARD_NEWER),
];
const sorted = (found: ShapeFinding[]) => found.map((f) => `${f.kind} ${f.object} ${f.path}`).sort();
const plain = (v: unknown): Json => JSON.parse(JSON.stringify(v));

describe('shape validator on the twin (committed schemas/)', () => {
  const twin = createTwin();
  const stripe = twin.stripe('sk_test_shapes');
  let objects: Record<string, Json>;

  beforeAll(async () => {
    const customer = await stripe.customers.create({ email: 'jane@example.com' });
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://example.com/done',
    });
    const expanded = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge', 'customer', 'payment_method'] });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    const paymentMethod = await stripe.paymentMethods.retrieve(pi.payment_method as string);
    const events = await stripe.events.list({ limit: 100 });
    const succeeded = events.data.find((e) => e.type === 'payment_intent.succeeded')!;
    const chargeUpdated = events.data.find((e) => e.type === 'charge.updated' && e.data.previous_attributes)!;
    const deleted = await stripe.customers.del((await stripe.customers.create({})).id);
    objects = plain({ customer, pi, expanded, charge, refund, paymentMethod, events, succeeded, chargeUpdated, deleted });
  });

  test('SHAPE_SCHEMAS_DIR is the repository schemas/ folder', () => {
    expect(SHAPE_SCHEMAS_DIR).toBe(path.resolve(__dirname, '..', '..', 'schemas'));
    expect(fs.existsSync(path.join(SHAPE_SCHEMAS_DIR, 'payment_intent.json'))).toBe(true);
  });

  test('customer: only newer keys the captures have not seen', () => {
    expect(sorted(validateShape(objects.customer))).toEqual(unknownKeys('customer', 'customer', null, '', CUSTOMER_NEWER).sort());
    // customer_account is newer than the 2024-04-10 spec: a finding, or listed by the captures
    const listed = (schemaFile('customer')['x-seen-keys'] ?? []).includes('customer_account');
    expect(sorted(validateShape(objects.customer)).includes('unknown-key customer customer_account')).toBe(!listed);
  });

  test('payment intent, plain and with expanded charge, customer and payment method', () => {
    const piKeys = unknownKeys('payment_intent', 'payment_intent', null, '', PI_NEWER);
    expect(sorted(validateShape(objects.pi))).toEqual(piKeys.sort());
    expect(sorted(validateShape(objects.expanded))).toEqual(
      [...piKeys, ...chargeExpected('latest_charge'), ...unknownKeys('customer', 'customer', null, 'customer', CUSTOMER_NEWER), ...pmExpected('payment_method')].sort(),
    );
    expect(validateShape(objects.pi, 'payment_intent')).toEqual(validateShape(objects.pi));
  });

  test('charge, refund, payment method', () => {
    expect(sorted(validateShape(objects.charge))).toEqual(chargeExpected('').sort());
    expect(sorted(validateShape(objects.refund))).toEqual(unknownKeys('refund', 'refund', null, '', REFUND_NEWER).sort());
    expect(sorted(validateShape(objects.paymentMethod))).toEqual(pmExpected('').sort());
  });

  test('events: the envelope fits, data.object is checked as its type, previous_attributes is not', () => {
    expect(sorted(validateShape(objects.succeeded))).toEqual(unknownKeys('payment_intent', 'payment_intent', null, 'data.object', PI_NEWER).sort());
    expect(objects.chargeUpdated.data.previous_attributes).toBeDefined();
    expect(sorted(validateShape(objects.chargeUpdated))).toEqual(chargeExpected('data.object').sort());
    const list = validateShape(objects.events);
    expect(list.filter((f) => f.object === 'event' || f.object === 'list')).toEqual([]);
    expect(list.every((f) => f.kind === 'unknown-key' && /^data\.\d+\.data\.object\./.test(f.path))).toBe(true);
    expect(validateShape(objects.deleted)).toEqual([]);
  });

  test('drift is caught: wrong types, enum values, missing keys, unknown keys, in nested objects too', () => {
    const pi = plain(objects.expanded);
    pi.amount = '2000';
    pi.status = 'finished';
    delete pi.currency;
    pi.latest_charge.status = 'done';
    pi.latest_charge.paid = 'yes';
    delete pi.latest_charge.outcome.type;
    delete pi.latest_charge.payment_method_details.card.exp_month;
    pi.customer.invented_field = 1;
    const before = new Set(sorted(validateShape(objects.expanded)));
    const drift = validateShape(pi).filter((f) => !before.has(sorted([f])[0]));
    expect(drift.map(formatFinding)).toEqual(
      expect.arrayContaining([
        'payment_intent amount: expected integer, got string',
        'charge latest_charge.status: "done" is not one of failed | pending | succeeded',
        'charge latest_charge.outcome.type: missing (required)',
        'payment_intent status: "finished" is not one of canceled | processing | requires_action | requires_capture | requires_confirmation | requires_payment_method | succeeded',
      ]),
    );
    expect(drift.map((f) => `${f.kind} ${f.path}`).sort()).toEqual(
      [
        'missing-key currency',
        'type amount',
        'unknown-key customer.invented_field',
        'enum latest_charge.status',
        'missing-key latest_charge.outcome.type',
        'type latest_charge.paid',
        'missing-key latest_charge.payment_method_details.card.exp_month',
        'enum status',
      ].sort(),
    );
  });

  test('ajv agrees with the walker on the committed payment_intent schema', () => {
    const check = createAjv().compile(schemaFile('payment_intent'));
    expect(check(objects.pi)).toBe(true); // ajv does not close objects: unknown keys are the walker's
    const bad = plain(objects.pi);
    bad.amount = '2000';
    bad.status = 'finished';
    delete bad.currency;
    expect(check(bad)).toBe(false);
    const ajvPaths = (check.errors ?? []).map((e) => (e.keyword === 'required' ? `missing-key ${e.params.missingProperty}` : `${e.keyword} ${e.instancePath.slice(1)}`)).sort();
    expect(ajvPaths).toEqual(['enum status', 'missing-key currency', 'type amount']);
    expect(sorted(validateShape(bad)).filter((f) => !f.startsWith('unknown-key'))).toEqual(['enum payment_intent status', 'missing-key payment_intent currency', 'type payment_intent amount']);
  });

  // Speed is measured by `npm run bench` (verify's section), not asserted here: a timed test fails on a busy machine.
  test('a fresh validator compiles each schema on first use and finds the same drift in a batch of 600', () => {
    const bodies = ['customer', 'pi', 'expanded', 'charge', 'refund', 'paymentMethod', 'succeeded', 'chargeUpdated', 'events', 'deleted'].map((k) => objects[k]);
    const fresh = new ShapeValidator({ load: schemaDirLoader(SHAPE_SCHEMAS_DIR) });
    const once = bodies.map((b) => fresh.validate(b).length);
    const batch = Array.from({ length: 600 }, (_, i) => bodies[i % bodies.length]);
    expect(once.some((n) => n > 0)).toBe(true);
    expect(batch.map((b) => fresh.validate(b).length)).toEqual(batch.map((_, i) => once[i % bodies.length]));
  });
});

// ---------------------------------------------------------------------------
// The committed schemas against the spec they came from

const SPEC = path.resolve(__dirname, '..', '..', '..', 'shared', 'stripe-openapi', 'spec3.json');
const withSpec = fs.existsSync(SPEC) ? describe : describe.skip;

withSpec('committed schemas/ and the spec', () => {
  test('one file per spec object type, generated from this spec, all compiling with ajv', () => {
    const { spec, info } = loadSpec(SPEC);
    const fromSpec = generateSchemas({ spec, specInfo: info });
    const index = JSON.parse(fs.readFileSync(path.join(SHAPE_SCHEMAS_DIR, 'index.json'), 'utf8'));
    const committed = Object.entries<Json>(index.schemas);
    expect(committed.filter(([, s]) => !s.captures_only).map(([f]) => f).sort()).toEqual([...fromSpec.files.keys()].sort());
    expect(index.spec).toEqual({ source: info.source, info_version: '2024-04-10', sha256: info.sha256 });
    for (const name of ['payment_intent', 'customer', 'charge', 'refund', 'payment_method', 'event', 'list', 'deleted_customer']) {
      const doc = schemaFile(name);
      expect(doc['x-provenance'].spec.sha256).toBe(info.sha256);
      // tightening only adds: the spec's required keys are all still required
      expect(doc.required).toEqual(expect.arrayContaining(fromSpec.files.get(name)!.required ?? []));
    }
    const files = new Map(committed.map(([f]) => [f, schemaFile(f)]));
    const { failed } = compileAll(files);
    expect(failed).toEqual([]);
  });
});
