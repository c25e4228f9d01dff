import { emptyTree, FormTree } from '../../engine/form';
import { VersionChange } from '../../engine/versions';
import { isRoute, isTree, listParam } from '../helpers';

// CL 2022-08-01/replaces-line-item-create-checkout-session: Checkout create's
// ad-hoc line items, `line_items[][amount|currency|name|description|images]`,
// went at 2022-08-01 for `price` or `price_data`. Older versions' become
// `price_data` (`unit_amount`, `currency`, `product_data[name|description|images]`).
// From 2022-08-01 they are unknown parameters (Stripe's spec has none of them).

const AD_HOC = ['amount', 'currency', 'name', 'description', 'images'];

export const checkoutAdHocLineItems: VersionChange = {
  version: '2022-08-01',
  description: 'Checkout create line_items[][amount|currency|name|description|images] replaced by price_data',
  request: (req) => {
    if (!isRoute(req, 'POST /v1/checkout/sessions')) return;
    const items = listParam(req.params, 'line_items');
    if (!items?.some((item) => isTree(item) && AD_HOC.some((key) => Object.hasOwn(item, key)))) return;
    req.params.line_items = items.map((item) => (isTree(item) ? priced(item) : item));
  },
};

/** An ad-hoc line item as one with `price_data`; one without ad-hoc keys, or that also names a price, stays as it is. */
function priced(item: FormTree): FormTree {
  if (!AD_HOC.some((key) => Object.hasOwn(item, key)) || Object.hasOwn(item, 'price') || Object.hasOwn(item, 'price_data')) return item;
  const out = emptyTree();
  const data = emptyTree();
  const product = emptyTree();
  for (const [key, value] of Object.entries(item)) {
    if (key === 'amount') data.unit_amount = value;
    else if (key === 'currency') data.currency = value;
    else if (key === 'name' || key === 'description' || key === 'images') product[key] = value;
    else out[key] = value;
  }
  if (Object.keys(product).length) data.product_data = product;
  out.price_data = data;
  return out;
}
