import { emptyTree } from '../../src/engine/form';
import { isKnownVersion, registerVersionChanges, renderAt, upgradeRequest, VERSION_CHANGES, VersionChange, VersionedRequest } from '../../src/engine/versions';
import type { World } from '../../src/engine/world';
import { versionChanges } from '../../src/versions';
import { checkoutUiMode } from '../../src/versions/2026-03-25.dahlia/checkout_ui_mode';
import { invoiceTaxes } from '../../src/versions/2025-03-31.basil/invoice_taxes';
import { lineItemParent } from '../../src/versions/2025-03-31.basil/line_item_parent';
import { subscriptionPeriods } from '../../src/versions/2025-03-31.basil/subscription_periods';
import { checkoutShipping } from '../../src/versions/2022-08-01/checkout_shipping';
import { automaticPaymentMethodsDefault } from '../../src/versions/2023-08-16/automatic_payment_methods_default';
import { captureMethodDefault } from '../../src/versions/2024-04-10/capture_method_default';

// The version change list (src/versions) and the engine's rules for applying it.

const world = {} as World; // the transforms tested here read nothing from the world
const ctx = { world, version: '2020-08-27', render: <T>(v: T) => v };

describe('the version change list', () => {
  it('is registered newest first, each change a released version with a description and a side to act on', () => {
    expect(VERSION_CHANGES).toEqual(versionChanges);
    const dates = versionChanges.map((c) => c.version.slice(0, 10));
    expect(dates).toEqual([...dates].sort().reverse());
    for (const change of versionChanges) {
      expect([change.version, isKnownVersion(change.version)]).toEqual([change.version, true]);
      expect(change.description.length).toBeGreaterThan(10);
      expect(Boolean(change.transform) === Boolean(change.object)).toBe(true);
      expect(Boolean(change.transform || change.request || change.completes || change.withdraws)).toBe(true);
    }
    expect(new Set(versionChanges.map((c) => c.version))).toEqual(new Set(['2026-09-30.endive', '2026-03-25.dahlia', '2025-09-30.clover', '2025-03-31.basil', '2024-04-10', '2023-08-16', '2022-11-15', '2022-08-01']));
  });

  it('refuses a list out of order', () => {
    const a: VersionChange = { version: '2022-11-15', description: 'older change', request: () => undefined };
    const b: VersionChange = { version: '2024-04-10', description: 'newer change', request: () => undefined };
    expect(() => registerVersionChanges([a, b])).toThrow(/out of order/);
    expect(VERSION_CHANGES).toEqual(versionChanges);
  });

  it('brings requests forward oldest change first, and only for older versions', () => {
    const order: string[] = [];
    const changes: VersionChange[] = ['2024-04-10', '2023-08-16', '2022-11-15'].map((version) => ({ version, description: version, request: () => void order.push(version) }));
    const req = (): VersionedRequest => ({ world, method: 'POST', route: '/v1/x', pathParams: {}, list: false, params: emptyTree() });
    upgradeRequest(req(), '2020-08-27', changes);
    expect(order).toEqual(['2022-11-15', '2023-08-16', '2024-04-10']);
    order.length = 0;
    upgradeRequest(req(), '2023-10-16', changes);
    expect(order).toEqual(['2024-04-10']);
  });

  it('renders an event\'s data at the event\'s version, previous attributes included, whatever the caller\'s', () => {
    const change: VersionChange = { version: '2025-03-31.basil', description: 'period moved', object: 'subscription', transform: (s) => ({ ...s, current_period_end: s.items.data[0].current_period_end }) };
    const sub = { id: 'sub_1', object: 'subscription', status: 'active', items: { object: 'list', data: [{ current_period_end: 200 }] } };
    const event = { id: 'evt_1', object: 'event', api_version: '2024-12-18.acacia', data: { object: sub, previous_attributes: { items: { object: 'list', data: [{ current_period_end: 100 }] } } } };
    const shaped = renderAt(event, '2026-10-28.endive', world, [change]);
    expect(shaped.data.object).toMatchObject({ current_period_end: 200 });
    // The older shape of the change: the period under the subscription too (docs/versions.md, events).
    expect(shaped.data.previous_attributes).toEqual({ current_period_end: 100, items: { object: 'list', data: [{ current_period_end: 100 }] } });
    expect(renderAt({ ...event, api_version: '2026-10-28.endive' }, '2020-08-27', world, [change]).data.object).not.toHaveProperty('current_period_end');
  });
});

describe('version changes', () => {
  const request = (route: string, params: Record<string, any>): VersionedRequest => ({ world, method: 'POST', route, pathParams: {}, list: false, params: Object.assign(emptyTree(), params) });

  it('dahlia: Checkout ui_mode values both ways', () => {
    expect(checkoutUiMode.transform!({ object: 'checkout.session', ui_mode: 'embedded_page' }, ctx)).toEqual({ object: 'checkout.session', ui_mode: 'embedded' });
    const req = request('/v1/checkout/sessions', { ui_mode: 'custom' });
    checkoutUiMode.request!(req);
    expect(req.params.ui_mode).toBe('elements');
  });

  it('basil: invoice taxes, line parent, subscription period', () => {
    const taxes = [{ amount: 80, tax_behavior: 'exclusive', tax_rate_details: { tax_rate: 'txr_1' }, taxability_reason: 'standard_rated', taxable_amount: 1000, type: 'tax_rate_details' }];
    expect(invoiceTaxes.transform!({ id: 'in_1', object: 'invoice', total_taxes: taxes }, ctx)).toEqual({
      id: 'in_1', object: 'invoice', tax: 80, total_tax_amounts: [{ amount: 80, inclusive: false, tax_rate: 'txr_1', taxability_reason: 'standard_rated', taxable_amount: 1000 }], total_taxes: taxes,
    });
    const parent = { type: 'invoice_item_details', invoice_item_details: { invoice_item: 'ii_1', proration: false, proration_details: { credited_items: null }, subscription: null }, subscription_item_details: null };
    const line = lineItemParent.transform!({ id: 'il_1', object: 'line_item', amount: 5, parent }, ctx);
    expect(Object.keys(line)).toEqual(['id', 'object', 'amount', 'invoice_item', 'parent', 'proration', 'proration_details', 'subscription', 'type']);
    expect(line).toMatchObject({ invoice_item: 'ii_1', subscription: null, type: 'invoiceitem' });
    expect(subscriptionPeriods.transform!({ id: 'sub_1', object: 'subscription', items: { data: [{ current_period_start: 1, current_period_end: 2 }] } }, ctx)).toMatchObject({ current_period_start: 1, current_period_end: 2 });
  });

  it('2024-04-10 and 2023-08-16: the older defaults, unless the parameter is sent', () => {
    const bare = request('/v1/payment_intents', { amount: '100' });
    captureMethodDefault.request!(bare);
    automaticPaymentMethodsDefault.request!(bare);
    expect(bare.params).toMatchObject({ capture_method: 'automatic', payment_method_types: ['card'] });
    const chosen = request('/v1/payment_intents', { capture_method: 'manual', automatic_payment_methods: { enabled: 'true' } });
    captureMethodDefault.request!(chosen);
    automaticPaymentMethodsDefault.request!(chosen);
    expect(chosen.params.capture_method).toBe('manual');
    expect(chosen.params).not.toHaveProperty('payment_method_types');
  });

  it('2022-08-01: Checkout shipping and shipping_rate back, their successors gone', () => {
    const session = { id: 'cs_1', object: 'checkout.session', shipping_cost: { amount_total: 500, shipping_rate: 'shr_1' }, shipping_details: { name: 'Jo' } };
    expect(checkoutShipping.transform!(session, ctx)).toEqual({ id: 'cs_1', object: 'checkout.session', shipping: { name: 'Jo' }, shipping_rate: 'shr_1' });
  });
});
