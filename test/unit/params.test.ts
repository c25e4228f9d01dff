import { StripeError } from '../../src/engine/errors';
import { decodeForm } from '../../src/engine/form';
import { coerceParams } from '../../src/engine/params';
import { operation } from '../../src/engine/spec';

const createPI = operation('POST', '/v1/payment_intents').params;
const updateCustomer = operation('POST', '/v1/customers/{customer}').params;
const listPI = operation('GET', '/v1/payment_intents').params;

function error(schema: any, body: string): Record<string, unknown> {
  try {
    coerceParams(schema, decodeForm(body));
  } catch (e) {
    if (e instanceof StripeError) return { status: e.status, ...e.fields };
    throw e;
  }
  throw new Error('expected an error');
}

describe('spec-driven parameter validation', () => {
  it('coerces integers, booleans, arrays and nested objects from the OpenAPI schema', () => {
    const p = coerceParams(
      createPI,
      decodeForm('amount=2000&currency=usd&confirm=true&payment_method_types[0]=card&shipping[name]=J&shipping[address][line1]=1+Main&metadata[k]=v'),
    );
    expect(p).toEqual({
      amount: 2000,
      currency: 'usd',
      confirm: true,
      payment_method_types: ['card'],
      shipping: { name: 'J', address: { line1: '1 Main' } },
      metadata: { k: 'v' },
    });
  });

  it('reports Stripe errors for missing, unknown, non-integer, non-boolean and out-of-enum params', () => {
    expect(error(createPI, 'currency=usd')).toMatchObject({ status: 400, code: 'parameter_missing', param: 'amount', message: 'Missing required param: amount.' });
    expect(error(createPI, 'amount=1&currency=usd&bogus=1')).toMatchObject({ code: 'parameter_unknown', param: 'bogus', message: 'Received unknown parameter: bogus' });
    expect(error(createPI, 'amount=1&currency=usd&shipping[name]=a&shipping[address][x]=1')).toMatchObject({
      code: 'parameter_unknown',
      param: 'shipping[address][x]',
    });
    expect(error(createPI, 'amount=12.5&currency=usd')).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount', message: 'Invalid integer: 12.5' });
    expect(error(createPI, 'amount=1&currency=usd&confirm=yes')).toMatchObject({ param: 'confirm', message: 'Invalid boolean: yes' });
    expect(error(createPI, 'amount=1&currency=usd&confirmation_method=later')).toMatchObject({
      param: 'confirmation_method',
      message: 'Invalid confirmation_method: must be one of automatic or manual',
    });
    expect(error(createPI, 'amount=1&currency=usd&capture_method=x').message).toBe(
      'Invalid capture_method: must be one of automatic, automatic_async, or manual',
    );
  });

  it('names an out-of-enum array item by its parameter and index, leaving `*` and `""` out of the list', () => {
    const createSI = operation('POST', '/v1/setup_intents').params;
    expect(error(createSI, 'flow_directions[0]=inbound&flow_directions[1]=sideways')).toMatchObject({
      status: 400,
      param: 'flow_directions[1]',
      message: 'Invalid flow_directions[1]: must be one of inbound or outbound',
    });
    expect(error(createSI, 'payment_method_options[us_bank_account][networks][requested][0]=carrier_pigeon')).toMatchObject({
      param: 'payment_method_options[us_bank_account][networks][requested][0]',
      message: 'Invalid requested[0]: must be one of ach or us_domestic_wire',
    });
    const createWE = operation('POST', '/v1/webhook_endpoints').params;
    const events = error(createWE, 'url=https%3A%2F%2Fx.test&enabled_events[0]=*&enabled_events[1]=nope');
    expect(events).toMatchObject({ param: 'enabled_events[1]' });
    expect(events.message).toMatch(/^Invalid enabled_events\[1\]: must be one of account\.application\.authorized, /);
    expect(events.message).not.toMatch(/(^|, )\*(,|$)| or \*$/);
  });

  it('requires indexed arrays to be numeric and sequential from 0 (E8)', () => {
    expect(error(createPI, 'amount=1&currency=usd&payment_method_types[1]=card')).toMatchObject({
      param: 'payment_method_types',
      message:
        'If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential starting from 0. You passed the keys `1`, we expected to have a key with the value `0`.',
    });
  });

  it('reads an empty value as "unset" (null) and refuses it for required params', () => {
    expect(coerceParams(updateCustomer, decodeForm('description=&metadata[a]=&email=x%40y.z'))).toEqual({
      description: null,
      metadata: { a: null },
      email: 'x@y.z',
    });
    expect(coerceParams(updateCustomer, decodeForm('metadata='))).toEqual({ metadata: null });
    expect(error(createPI, 'amount=&currency=usd')).toMatchObject({ code: 'parameter_invalid_empty', param: 'amount' });
  });

  it('accepts either form of anyOf parameters (created as integer or as a range)', () => {
    expect(coerceParams(listPI, decodeForm('created=100&limit=3'))).toEqual({ created: 100, limit: 3 });
    expect(coerceParams(listPI, decodeForm('created[gte]=5&created[lt]=9'))).toEqual({ created: { gte: 5, lt: 9 } });
    expect(error(listPI, 'created=soon')).toMatchObject({ param: 'created', message: 'Invalid integer: soon' });
    expect(error(createPI, 'amount=1&currency=usd&metadata=text')).toMatchObject({ param: 'metadata', message: 'Invalid hash' });
    expect(error(createPI, 'amount=1&currency=usd&payment_method_types=card')).toMatchObject({ param: 'payment_method_types', message: 'Invalid array' });
  });
});
