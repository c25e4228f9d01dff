import { RouteTable } from '../engine/spec';
import { balanceRoutes } from './balance';
import { chargeRoutes } from './charges';
import { Route } from './common';
import { customerRoutes } from './customers';
import { disputeRoutes } from './disputes';
import { eventRoutes } from './events';
import { paymentIntentRoutes } from './payment_intents';
import { paymentMethodRoutes } from './payment_methods';
import { refundRoutes } from './refunds';
import { setupIntentRoutes } from './setup_intents';
import { webhookEndpointRoutes } from './webhook_endpoints';

// Every route the twin models. A route Stripe has but this table lacks answers
// 501 `fidelity: "unsupported"`.

export const modeledRoutes: Route[] = [
  ...customerRoutes,
  ...paymentMethodRoutes,
  ...paymentIntentRoutes,
  ...chargeRoutes,
  ...refundRoutes,
  ...balanceRoutes,
  ...setupIntentRoutes,
  ...disputeRoutes,
  ...eventRoutes,
  ...webhookEndpointRoutes,
];

export const routes = new RouteTable<Route>();
for (const r of modeledRoutes) routes.add(r.method, r.path, r);
