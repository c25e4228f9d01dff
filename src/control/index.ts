import { clockRoutes } from './clock';
import { intentRoutes } from './intents';
import { seedRoutes } from './seed';
import { ControlSurface } from './surface';
import { worldRoutes } from './worlds';

// Every control route (/__admin__/*), by concern.

export const controlSurface = new ControlSurface([...worldRoutes, ...seedRoutes, ...clockRoutes, ...intentRoutes]);
