import { stages } from '../server/stages';

// Installs the twin's x402 facilitator (./facilitator.ts) into the request pipeline:
// /x402/verify, /x402/settle and /x402/supported on every face that serves it.
// viem is loaded on the first facilitator request.

stages.x402 = async (twin, req, path) => (await import('./facilitator')).handleFacilitator(twin, req, path);
