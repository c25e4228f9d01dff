import { ControlError, ControlRoute } from './surface';
import { runTrigger, triggerByName } from './triggers';

// Finishing a pending 3D Secure challenge, as the cardholder would: the older
// spelling of the authentication.succeeded / authentication.failed triggers,
// kept working and running the same code path. Answers with the intent.

export const intentRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/intents/{id}/authenticate',
    run: (call) => {
      const world = call.world();
      const { outcome } = call.body;
      if (outcome !== 'succeed' && outcome !== 'fail') throw new ControlError('"outcome" must be "succeed" or "fail"');
      const intent = world.get(call.params.id);
      if (!intent || (intent.object !== 'payment_intent' && intent.object !== 'setup_intent')) {
        throw new ControlError(`No PaymentIntent or SetupIntent ${call.params.id} in this world`, 404);
      }
      const trigger = triggerByName(outcome === 'succeed' ? 'authentication.succeeded' : 'authentication.failed');
      return runTrigger(world, trigger, { [intent.object]: intent.id }).object;
    },
  },
];
