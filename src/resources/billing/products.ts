import { nowIn } from '../../engine/clock';
import { errors, StripeError } from '../../engine/errors';
import { previousAttributes } from '../../engine/events';
import { Params } from '../../engine/params';
import { defineResource, EMPTY, find, mergeMetadata, route, Shaped } from '../../engine/resource';
import { Ctx, indexKey } from '../../engine/world';

// Products (Stripe's types for the shape; docs/billing.md §1.1, §1.5): create
// (a chosen `id`, `default_price_data` making the default price), update,
// archive with `active=false`, delete only while no price names the product,
// list and search. Events product.created, product.updated, product.deleted.

export type Product = Shaped<'product'>;

/** The default_price_data of a product being created, for the price made right after it. */
export const defaultPriceFact = (productId: string) => `default_price_data:${productId}`;

const array = (value: unknown) => value ?? [];

function createProduct(ctx: Ctx, params: Params): Product {
  const { world } = ctx;
  if (params.id !== undefined && world.get(params.id)) {
    // Twin's text (unverified); the code is Stripe's for a reused custom id.
    throw errors.paramState('Product already exists.', 'id', 'resource_already_exists');
  }
  const id = params.id ?? products.newId(ctx);
  const now = nowIn(ctx);
  if (!params.default_price_data) return products.insert(ctx, params, { id, updated: now });
  // Stored holding its default price's id; the price itself is made by the prices
  // module's reaction to product.created, which reads the data left here (./prices.ts).
  ctx.world.facts.set(defaultPriceFact(id), params.default_price_data);
  return products.insert(ctx, params, { id, updated: now, default_price: ctx.world.ids.next('price') });
}

function updateProduct(ctx: Ctx, product: Product, params: Params): Product {
  if (params.default_price) {
    const price = find(ctx, 'price', params.default_price, 'default_price');
    if (price.product !== product.id) {
      throw errors.paramState(`The price ${price.id} does not belong to this product.`, 'default_price'); // twin's text (unverified)
    }
  }
  const next = products.apply(ctx, product, params);
  if (!previousAttributes(product, next)) return product;
  return products.save(ctx, product, { ...next, updated: nowIn(ctx) });
}

export const products = defineResource<'product', Product>({
  object: 'product',
  prefix: 'prod',
  path: '/v1/products',
  create: createProduct,
  defaults: { active: true, images: [], marketing_features: [], metadata: EMPTY, type: 'service' },
  writable: {
    active: true,
    default_price: true,
    description: true,
    images: array,
    marketing_features: array,
    metadata: (value, current) => mergeMetadata(current, value),
    name: true,
    package_dimensions: true,
    shippable: true,
    statement_descriptor: true,
    tax_code: true,
    unit_label: true,
    url: true,
  },
  events: { created: 'product.created', updated: 'product.updated', deleted: 'product.deleted' },
  filters: ['active', 'shippable'],
  indexes: ['metadata'],
  search: { active: 'text', created: 'number', description: 'text', metadata: 'metadata', name: 'text', shippable: 'text' },
  delete: {
    retrievable: false,
    response: 'deleted_product',
    // Archive instead (active=false). Stripe's text as integrations quote it (unverified against a recording).
    refuse: (ctx, product) => {
      if (ctx.world.indexed('price', 'product', indexKey(product.id)).length) {
        throw new StripeError(400, { type: 'invalid_request_error', message: 'This product cannot be deleted because it has one or more user-created prices.' }, 'validation');
      }
    },
  },
  routes: { update: false, list: false },
}).with(
  route('POST', '/v1/products/{id}', 'product', (ctx, params, path) => updateProduct(ctx, products.find(ctx, path.id), params)),
  route('GET', '/v1/products', { list: 'product' }, (ctx, params) => {
    const ids: string[] | undefined = params.ids ?? undefined;
    return products.list(ctx, params, '/v1/products', (p) => (!ids || ids.includes(p.id)) && (params.url == null || p.url === params.url));
  }),
);
