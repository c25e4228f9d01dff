import { stages } from '../server/stages';
import { accountRoutes } from './accounts';
import { catalogue } from './catalogue';
import { checkoutRoutes } from './checkout';
import { clockRoutes } from './clock';
import { exogenousRoutes } from './exogenous';
import { faultRoutes, takeFault } from './faults';
import { inspectRoutes, recordRequest } from './inspect';
import { inspector } from './inspector';
import { intentRoutes } from './intents';
import { keyRoutes } from './keys';
import { seedRoutes } from './seed';
import { snapshotRoutes } from './snapshots';
import { ControlRoute, ControlSurface } from './surface';
import { triggerRoutes } from './triggers';
import { webhookRoutes } from './webhooks';
import { worldRoutes } from './worlds';

// Every control route (/__admin__/*), by concern.

export const controlRoutes: ControlRoute[] = [
  {
    method: 'GET',
    path: '/__admin__',
    description: 'What this twin answers: the modeled API routes, the control routes and the triggers, each with its description and parameters.',
    run: (call) => {
      call.key(); // like every route, it refuses a caller naming a world not theirs
      return catalogue(controlRoutes);
    },
  },
  ...worldRoutes,
  ...keyRoutes,
  ...accountRoutes,
  ...seedRoutes,
  ...clockRoutes,
  ...intentRoutes,
  ...checkoutRoutes,
  ...triggerRoutes,
  ...exogenousRoutes,
  ...webhookRoutes,
  ...faultRoutes,
  ...inspectRoutes,
  ...snapshotRoutes,
];

export const controlSurface = new ControlSurface(controlRoutes);

// The pipeline's stages this surface configures: its routes, the faults it arms, the request log it reads, the inspector over it.
Object.assign(stages, { control: controlSurface.handle.bind(controlSurface), fault: takeFault, log: recordRequest, inspector: inspector(controlSurface) });
