import { StripeError } from '../engine/errors';
import { completeAuthentication, PaymentIntent } from '../resources/payment_intents';
import { completeSetupAuthentication, SetupIntent } from '../resources/setup_intents';
import { ControlError, controlCtx, ControlRoute } from './surface';

// Finishing a pending 3D Secure challenge, as the cardholder would.

export const intentRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/intents/:id/authenticate',
    run: (call) => {
      const world = call.world();
      const { outcome } = call.body;
      if (outcome !== 'succeed' && outcome !== 'fail') throw new ControlError('"outcome" must be "succeed" or "fail"');
      const ctx = controlCtx(world);
      const intent = world.get(call.params.id);
      if (!intent || (intent.object !== 'payment_intent' && intent.object !== 'setup_intent')) {
        throw new ControlError(`No PaymentIntent or SetupIntent ${call.params.id} in this world`, 404);
      }
      try {
        return world.transaction(() =>
          intent.object === 'payment_intent'
            ? completeAuthentication(ctx, intent as PaymentIntent, outcome === 'succeed')
            : completeSetupAuthentication(ctx, intent as SetupIntent, outcome === 'succeed'),
        );
      } catch (e) {
        if (e instanceof StripeError) throw e;
        throw new ControlError((e as Error).message, 409);
      }
    },
  },
];
