import { decodeForm, bodyText, FORM_LIMITS } from '../../src/engine/form';
import { StripeError } from '../../src/engine/errors';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('form decoding', () => {
  it('decodes bracket nesting, indexed keys, [] appends, + as space and percent escapes', () => {
    const tree = decodeForm(
      'email=a%40b.co&name=Jane+Doe&metadata[order]=6735&shipping[address][city]=Paris&items[0][price]=p1&items[1][price]=p2&expand%5B%5D=customer&expand%5B%5D=invoice',
    );
    expect(plain(tree)).toEqual({
      email: 'a@b.co',
      name: 'Jane Doe',
      metadata: { order: '6735' },
      shipping: { address: { city: 'Paris' } },
      items: { 0: { price: 'p1' }, 1: { price: 'p2' } },
      expand: ['customer', 'invoice'],
    });
  });

  it('keeps empty values as "" (unset) and builds objects inside [] arrays', () => {
    expect(plain(decodeForm('description=&a[][x]=1&a[][y]=2&a[][x]=3'))).toEqual({ description: '', a: [{ x: '1', y: '2' }, { x: '3' }] });
  });

  it('treats __proto__ as an ordinary key', () => {
    const tree = decodeForm('__proto__[polluted]=yes&constructor[prototype][x]=1');
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.keys(tree)).toEqual(['__proto__', 'constructor']);
  });

  it('rejects malformed percent-encoding, conflicting shapes, deep nesting and too many pairs with 400s', () => {
    const fails = (text: string) => {
      try {
        decodeForm(text);
      } catch (e) {
        expect(e).toBeInstanceOf(StripeError);
        return (e as StripeError).status;
      }
      return 200;
    };
    expect(fails('a=%E0%A4%A')).toBe(400);
    expect(fails('a=1&a[b]=2')).toBe(400);
    expect(fails(`a${'[x]'.repeat(50)}=1`)).toBe(400);
    expect(fails(Array.from({ length: FORM_LIMITS.maxPairs + 1 }, (_, i) => `k${i}=1`).join('&'))).toBe(400);
  });

  it('rejects bodies that are not UTF-8', () => {
    expect(() => bodyText(Uint8Array.from([0x61, 0x3d, 0xff, 0xfe]))).toThrow(StripeError);
    expect(bodyText(Buffer.from('a=×'))).toBe('a=×');
  });
});
