import { createTwin } from '../../src';
import { TwinControl } from '../../src/control/client';
import { Receiver } from '../webhook_receiver';

// A receiver that never answers holds no control call beyond the dispatcher's
// wait (here 300 ms, default 5 s): a drain or a clock advance returns while its
// request is still open, the other endpoint's deliveries and retries go on at
// their own world times, and the stuck attempt is recorded once it times out.

describe('a webhook receiver that never answers', () => {
  it('does not hold a drain or a clock advance, nor another endpoint’s retries', async () => {
    const twin = createTwin({ seed: 1, webhooks: { waitMs: 300, timeoutMs: 1500 } });
    const stuck = await Receiver.start();
    const flaky = await Receiver.start();
    stuck.hold();
    flaky.status = () => 500;
    const key = 'sk_test_stuck_receiver';
    const stripe = twin.stripe(key);
    const control = new TwinControl({ twin, key });
    try {
      await stripe.webhookEndpoints.create({ url: `${stuck.url}/hooks`, enabled_events: ['customer.created'] });
      await stripe.webhookEndpoints.create({ url: `${flaky.url}/hooks`, enabled_events: ['customer.created'] });
      const start = (await control.clock.get()).now;
      await stripe.customers.create({ email: 'stuck@example.com' });

      const drained = await control.webhooks.drain();
      expect(stuck.received).toHaveLength(1); // it arrived, and is still unanswered
      expect(drained).toEqual({ pending: 2, succeeded: 0, failed: 0 });

      // The failing endpoint's first retry (1 h) is made at its own time while the stuck one is still open.
      await control.clock.advance(3600);
      expect(flaky.received).toHaveLength(2);
      expect(stuck.received).toHaveLength(1);
      const flakyLog = (await control.webhooks.deliveries()).deliveries.find((d) => d.attempts.length === 2)!;
      expect(flakyLog.attempts.map((a) => [a.at - start, a.status])).toEqual([[0, 500], [3600, 500]]);

      // Once the stuck attempt times out it is recorded at the time it was made, and retried an hour after that.
      await stuck.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      const stuckLog = (await control.webhooks.deliveries()).deliveries.find((d) => d.attempts.length === 1)!;
      expect(stuckLog.attempts.map((a) => [a.at - start, a.status, a.error])).toEqual([[0, null, 'timed out after 1500 ms']]);
      expect(stuckLog.next_attempt_at! - start).toBe(3600);
    } finally {
      await stuck.close();
      await flaky.close();
    }
  });
});
