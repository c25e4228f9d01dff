import { Twin } from '../../src/engine/twin';
import { CARD_DECLINES, DECLINES, testCards } from '../../src/engine/test_values';
import { Ctx } from '../../src/engine/world';
import { armedIntents, behaviourOf, createCardPaymentMethod, forceBehaviour, forcedBehaviour, spendForced } from '../../src/resources/payments/payment_methods';

// The engine side of forced branches: behaviour a trigger forces on one intent,
// read on top of its card's behaviour, spent by the confirmation that takes it.

const ctxOf = (): Ctx => {
  const world = new Twin().world('sk_test_forced');
  return { world, requestId: null, idempotencyKey: null, apiVersion: world.config.defaultApiVersion };
};

describe('forced branches', () => {
  it('takes every decline code from the test card that carries it', () => {
    expect([...CARD_DECLINES.keys()]).toEqual([
      'generic_decline', 'insufficient_funds', 'lost_card', 'stolen_card', 'expired_card', 'incorrect_cvc', 'processing_error', 'card_velocity_exceeded', 'fraudulent',
    ]);
    expect(CARD_DECLINES.get('insufficient_funds')).toBe(testCards.byPaymentMethod('pm_card_visa_chargeDeclinedInsufficientFunds')!.decline);
    expect(CARD_DECLINES.get('fraudulent')).toBe(testCards.byToken('tok_visa_chargeDeclinedFraudulent')!.decline);
    // Stripe-made declines are not an issuer's: authentication_required comes from 3D Secure, a Radar block from Radar.
    expect(CARD_DECLINES.has('authentication_required')).toBe(false);
    expect([...CARD_DECLINES.values()]).not.toContain(DECLINES.blocked);
  });

  it('reads forced behaviour on top of the card, for that intent only', () => {
    const ctx = ctxOf();
    const card = testCards.byPaymentMethod('pm_card_riskLevelElevated')!;
    const pm = createCardPaymentMethod(ctx, card);
    forceBehaviour(ctx.world, 'pi_a', { decline: DECLINES.lost_card, declineAfterAuthentication: DECLINES.lost_card });
    forceBehaviour(ctx.world, 'pi_a', { authentication: 'always' });
    expect(behaviourOf(ctx.world, pm.id, 'pi_a')).toMatchObject({ risk: { level: 'elevated' }, decline: DECLINES.lost_card, authentication: 'always' });
    expect(behaviourOf(ctx.world, pm.id, 'pi_b')).toBe(card);
    expect(armedIntents(ctx.world)).toEqual([{ intent: 'pi_a', forced: { decline: DECLINES.lost_card, declineAfterAuthentication: DECLINES.lost_card, authentication: 'always' } }]);
  });

  it('is spent field by field, and gone when nothing is left', () => {
    const { world } = ctxOf();
    forceBehaviour(world, 'pi_a', { decline: DECLINES.generic_decline, declineAfterAuthentication: DECLINES.generic_decline, authentication: 'always' });
    spendForced(world, 'pi_a', ['authentication']);
    expect(forcedBehaviour(world, 'pi_a')).toEqual({ decline: DECLINES.generic_decline, declineAfterAuthentication: DECLINES.generic_decline });
    spendForced(world, 'pi_a', ['authentication']);
    spendForced(world, 'pi_a', ['decline', 'declineAfterAuthentication']);
    expect(forcedBehaviour(world, 'pi_a')).toBeUndefined();
    expect(armedIntents(world)).toEqual([]);
    expect(world.facts.size).toBe(0); // nothing left behind
  });

  it('is undone with a failed transaction', () => {
    const { world } = ctxOf();
    expect(() =>
      world.transaction(() => {
        forceBehaviour(world, 'pi_a', { authentication: 'always' });
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(forcedBehaviour(world, 'pi_a')).toBeUndefined();
  });
});
