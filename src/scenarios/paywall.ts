import { PaywallRequest } from './checks';
import { ScenarioError } from './errors';
import { PaywallConfig } from './parse';

// The paid resource a scenario declares (`paywall:` in ## Config), served on a
// port of its own beside the twin while the agent runs, its requests logged for
// the `paywall` checks.
//
// INTEGRATION POINT: the x402 paywall (`stripe-twin/x402` paymentMiddleware) is
// built on another branch; until it lands here, a scenario that declares a
// paywall is refused as not runnable.

export interface ServedPaywall {
  env: Record<string, string>;
  log: PaywallRequest[];
  close(): Promise<void>;
}

export async function servePaywall(config: PaywallConfig, _twinUrl: string, _key: string): Promise<ServedPaywall> {
  throw new ScenarioError(`## Config: paywall (${config.protocol} at ${config.path}) needs the x402 paywall, which this build does not have yet`);
}
