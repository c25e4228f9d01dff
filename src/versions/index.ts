import { registerVersionChanges, VersionChange } from '../engine/versions';

// Every breaking change Stripe made to the modeled resources since 2020-08-27,
// newest first, one module per change (docs/versions.md). The engine applies
// them (src/engine/versions.ts): request changes oldest first before an endpoint
// runs, response changes newest first on the way out.

export const versionChanges: VersionChange[] = [];

registerVersionChanges(versionChanges);
