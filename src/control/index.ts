import { clockRoutes } from './clock';
import { exogenousRoutes } from './exogenous';
import { faultRoutes } from './faults';
import { inspectRoutes } from './inspect';
import { intentRoutes } from './intents';
import { seedRoutes } from './seed';
import { ControlSurface } from './surface';
import { triggerRoutes } from './triggers';
import { webhookRoutes } from './webhooks';
import { worldRoutes } from './worlds';

// Every control route (/__admin__/*), by concern.

export const controlRoutes = [...worldRoutes, ...seedRoutes, ...clockRoutes, ...intentRoutes, ...triggerRoutes, ...exogenousRoutes, ...webhookRoutes, ...faultRoutes, ...inspectRoutes];

export const controlSurface = new ControlSurface(controlRoutes);
