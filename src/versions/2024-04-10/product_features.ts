import { VersionChange } from '../../engine/versions';
import { isRoute, param, rename } from '../helpers';

// CL 2024-04-10/renames-features-attribute-product-object: a Product's
// `features` (and the parameter) was renamed `marketing_features`.

export const productFeatures: VersionChange = {
  version: '2024-04-10',
  description: 'Product.features renamed marketing_features (field and parameter)',
  object: 'product',
  transform: (product) => rename(product, 'marketing_features', 'features'),
  request: (req) => {
    if (!isRoute(req, 'POST /v1/products', 'POST /v1/products/{id}')) return;
    const features = param(req.params, 'features');
    if (features === undefined || param(req.params, 'marketing_features') !== undefined) return;
    delete req.params.features;
    req.params.marketing_features = features;
  },
};
