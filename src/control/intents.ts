import { ControlError, ControlRoute } from './surface';
import { runTrigger, triggerByName } from './triggers';

// Finishing a pending 3D Secure challenge, as the cardholder would: the older
// spelling of the authentication.succeeded / authentication.failed triggers,
// kept working and running the same code path (and answering its errors).
// Answers with the intent.

export const intentRoutes: ControlRoute[] = [
  {
    method: 'POST',
    path: '/__admin__/intents/{id}/authenticate',
    description: 'Finishes an intent\'s pending 3D Secure challenge (older spelling of the authentication.* triggers).',
    params: {
      outcome: { in: 'body', type: 'string', description: 'what the cardholder does', required: true, enum: ['succeed', 'fail'] },
    },
    run: (call) => {
      const world = call.world();
      const { outcome } = call.body;
      if (outcome !== 'succeed' && outcome !== 'fail') throw new ControlError('"outcome" must be "succeed" or "fail"');
      const trigger = triggerByName(outcome === 'succeed' ? 'authentication.succeeded' : 'authentication.failed');
      // SetupIntent ids are seti_…, PaymentIntent ids pi_… (seeded ones too); the trigger says when there is no such intent.
      const { id } = call.params;
      return runTrigger(world, trigger, { [id.startsWith('seti_') ? 'setup_intent' : 'payment_intent']: id }).object;
    },
  },
];
