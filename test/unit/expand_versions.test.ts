import { StripeError } from '../../src/engine/errors';
import { applyExpand, checkExpand } from '../../src/engine/expand';
import { renderBody, renderError, withKey } from '../../src/engine/render';
import { Twin } from '../../src/engine/twin';
import { isKnownVersion, renderAt, VersionChange } from '../../src/engine/versions';
import type { World } from '../../src/engine/world';
import '../../src/resources';

const fieldsOf = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    return (e as StripeError).fields;
  }
  return null;
};

describe('expand[]', () => {
  it('accepts expandable and includable paths, through nested objects and lists', () => {
    expect(fieldsOf(() => checkExpand(['customer', 'latest_charge.balance_transaction', 'latest_charge.refunds.data.balance_transaction'], 'payment_intent', false))).toBeNull();
    expect(fieldsOf(() => checkExpand(['invoice_settings.default_payment_method', 'tax'], 'customer', false))).toBeNull();
    expect(fieldsOf(() => checkExpand(['data.customer'], 'payment_intent', true))).toBeNull();
  });

  it('rejects non-expandable and too-deep paths with Stripe messages', () => {
    expect(fieldsOf(() => checkExpand(['amount'], 'payment_intent', false))!.message).toBe('This property cannot be expanded (amount).');
    expect(fieldsOf(() => checkExpand(['customer'], 'payment_intent', true))!.message).toBe(
      "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead.",
    );
    expect(fieldsOf(() => checkExpand(['a.b.c.d.e'], 'payment_intent', false))).toMatchObject({
      code: 'property_expansion_max_depth',
      message: 'You cannot expand more than 4 levels of a property. Property: a.b.c.d.e',
    });
  });

  it('replaces ids with stored objects without touching the stored snapshot', () => {
    const world = new Twin().world('sk_test_x');
    const ctx = { world, requestId: null, idempotencyKey: null, apiVersion: 'v' };
    const customer = world.insert({ id: 'cus_1', object: 'customer', created: 0 });
    const pi = world.insert({ id: 'pi_1', object: 'payment_intent', created: 0, customer: 'cus_1', latest_charge: null });
    const expanded = applyExpand(ctx, pi, ['customer', 'latest_charge'], false) as any;
    expect(expanded.customer).toBe(customer);
    expect(expanded.latest_charge).toBeNull();
    expect(world.get('pi_1')!.customer).toBe('cus_1');
  });
});

describe('rendering and versions', () => {
  it('prints like Stripe: two-space indent, raw UTF-8, errors end with a newline and sorted keys', () => {
    expect(renderBody({ id: 'x', object: 'o', a: {}, b: [], c: '×/' })).toBe('{\n  "id": "x",\n  "object": "o",\n  "a": {},\n  "b": [],\n  "c": "×/"\n}');
    const body = renderError({ type: 'invalid_request_error', message: 'm', code: 'resource_missing', param: 'id' }, 'https://log');
    expect(body.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(body).error)).toEqual(['code', 'doc_url', 'message', 'param', 'request_log_url', 'type']);
    expect(JSON.parse(body).error.doc_url).toBe('https://stripe.com/docs/error-codes/resource-missing');
    expect(Object.keys(withKey({ id: 'i', object: 'o', amount: 1, status: 's' }, 'refunds', 1))).toEqual(['id', 'object', 'amount', 'refunds', 'status']);
  });

  it('knows released versions and applies version changes to older requests only', () => {
    expect(isKnownVersion('2026-10-28.endive')).toBe(true);
    expect(isKnownVersion('2020-08-27')).toBe(true);
    expect(isKnownVersion('2019-2-19')).toBe(false);
    expect(isKnownVersion('2031-01-01')).toBe(false);
    const change: VersionChange = {
      version: '2022-11-15',
      description: 'charges list removed from PaymentIntent',
      object: 'payment_intent',
      transform: (pi) => ({ ...pi, charges: { object: 'list', data: [] } }),
    };
    const pi = { id: 'pi_1', object: 'payment_intent', nested: { id: 'pi_2', object: 'payment_intent' } };
    const world = {} as World; // these transforms read nothing from the world
    expect(renderAt(pi, '2020-08-27', world, [change])).toMatchObject({ charges: { object: 'list' }, nested: { charges: { object: 'list' } } });
    expect(renderAt(pi, '2026-10-28.endive', world, [change])).toBe(pi);
  });
});
