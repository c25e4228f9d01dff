import { permissionFor } from '../../src/engine/permissions';
import { modeledRoutes } from '../../src/resources';

// Every modeled route names the permission a restricted key needs for it.

test('every modeled route maps to a rak_ permission: read for GET, write otherwise', () => {
  const missing = modeledRoutes.filter((r) => permissionFor(r.method, r.path) === null).map((r) => `${r.method} ${r.path}`);
  expect(missing).toEqual([]);
  expect(permissionFor('GET', '/v1/customers/{customer}')).toBe('rak_customer_read');
  expect(permissionFor('DELETE', '/v1/customers/{customer}')).toBe('rak_customer_write');
  expect(permissionFor('POST', '/v1/prices')).toBe('rak_plan_write');
  expect(permissionFor('GET', '/v1/checkout/sessions')).toBe('rak_checkout_session_read');
  expect(permissionFor('POST', '/v1/test_helpers/test_clocks/{test_clock}/advance')).toBe('rak_test_clock_write');
});
