import { VersionChange } from '../../engine/versions';
import { listParam } from '../helpers';

// CL basil/2025-03-31/deprecate-total-count-expansion: expand[]=total_count on a
// list is refused from basil (400 property_forbidden). Older versions may still
// ask for it: the list then counts every object that matches.

export const totalCount: VersionChange = {
  version: '2025-03-31.basil',
  description: 'expand[]=total_count on lists refused (property_forbidden)',
  request: (req) => {
    const expand = listParam(req.params, 'expand');
    if (!req.list || !expand?.includes('total_count')) return;
    req.params.expand = expand.filter((path) => path !== 'total_count');
    req.totalCount = true;
  },
};
