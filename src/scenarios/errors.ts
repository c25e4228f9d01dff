/** A scenario that cannot be run as written, or a command used wrongly: the usage error (exit 2). */
export class ScenarioError extends Error {}
