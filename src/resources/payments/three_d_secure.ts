import { Ctx, StripeObject, World } from '../../engine/world';
import { directoryServer } from './charges';
import { behaviourOf, PaymentMethod } from './payment_methods';

// 3D Secure shared by PaymentIntents and SetupIntents (docs/stripe-facts.md §3.3 T7): whether a
// confirmation needs it, and its next action: `redirect_to_url` when the
// confirmation gave a return_url, otherwise `use_stripe_sdk`. Real
// authentication happens in the customer's browser; the control surface
// finishes it (POST /__admin__/intents/{id}/authenticate).

/** Key of the fact recording which PaymentMethod an intent is authenticating. */
export const pendingAuthentication = (intentId: string) => `authenticating:${intentId}`;

/** Key of the fact recording the PaymentMethod an intent's challenge authenticated (a manual confirmation_method confirms after it). */
const authenticated = (intentId: string) => `authenticated:${intentId}`;

/** A PaymentMethod set up for off-session use by an authenticated setup (…3155, docs/stripe-facts.md §4.8). */
export const setUpOffSession = (pmId: string) => `setup_off_session:${pmId}`;

/** Does this confirmation need 3D Secure (docs/stripe-facts.md §4.8, or forced by `payment.requires_action`)? */
export function needsAuthentication(world: World, intent: StripeObject, pm: PaymentMethod, offSession: boolean): boolean {
  if (world.facts.get(authenticated(intent.id)) === pm.id) return false;
  const requested = intent.payment_method_options.card?.request_three_d_secure;
  if (!offSession && (requested === 'any' || requested === 'challenge')) return true;
  const rule = behaviourOf(world, pm.id, intent.id)?.authentication;
  if (rule === 'always') return true;
  if (rule === 'on_session') return !offSession;
  if (rule === 'unless_setup') return !(offSession && world.facts.get(setUpOffSession(pm.id)));
  return false;
}

/** Records that `pm` passed the intent's challenge, so its next confirmation needs none. */
export function markAuthenticated(world: World, intentId: string, pmId: string): void {
  world.facts.set(authenticated(intentId), pmId);
}

export function nextAction(ctx: Ctx, intent: StripeObject, pm: PaymentMethod, attempt: string, returnUrl: string | undefined) {
  const { world } = ctx;
  const kind = intent.object === 'setup_intent' ? 'setup_intent' : 'payment_intent';
  if (returnUrl) {
    return {
      redirect_to_url: {
        return_url: returnUrl,
        url: `https://hooks.stripe.com/3d_secure_2/hosted?merchant=${world.accountId}&${kind}=${intent.id}&${kind}_client_secret=${intent.client_secret}&publishable_key=pk_test_${world.ids.accountBlock}&source=${attempt}`,
      },
      type: 'redirect_to_url',
    };
  }
  const server = directoryServer(pm.card.brand);
  return {
    type: 'use_stripe_sdk',
    use_stripe_sdk: {
      // Opaque 3DS2 fingerprinting inputs: the twin has no directory server certificates to offer.
      directory_server_encryption: { algorithm: 'RSA', certificate: '', directory_server_id: server.id, root_certificate_authorities: [] },
      directory_server_name: server.name,
      merchant: world.accountId,
      one_click_authn: null,
      server_transaction_id: world.ids.uuid(),
      three_d_secure_2_source: attempt,
      three_ds_frontend_optimizations: null,
      three_ds_method_url: '',
      three_ds_optimizations: 'kf',
      type: 'stripe_3ds2_fingerprint',
    },
  };
}

/** The `three_d_secure` details of a charge made after a successful challenge. */
export function authenticatedDetails(ctx: Ctx): Record<string, unknown> {
  return {
    authentication_flow: 'challenge',
    electronic_commerce_indicator: '05',
    exemption_indicator: null,
    result: 'authenticated',
    result_reason: null,
    transaction_id: ctx.world.ids.uuid(),
    version: '2.2.0',
  };
}
