import { fillText, fillTokens, isObjectToken, isTimeToken, isToken, parseToken, recordedBase, TokenFill, tokensInText } from '../../src/contract/normalize';
import { DEFAULT_START_TIME } from '../../src/engine/twin';

// One grammar of tokens, one walk that gives values back; the diff engine,
// replay and export differ only in the values they choose.

describe('capture tokens', () => {
  it('parses ids, times and secrets, and nothing else', () => {
    expect(parseToken('{{cus_12}}')).toEqual({ kind: 'id', text: '{{cus_12}}', prefix: 'cus', n: 12 });
    expect(parseToken('{{sub_sched_3}}')).toEqual({ kind: 'id', text: '{{sub_sched_3}}', prefix: 'sub_sched', n: 3 });
    expect(parseToken('{{t-120}}')).toEqual({ kind: 'time', text: '{{t-120}}', delta: -120 });
    expect(parseToken('{{secret}}')).toEqual({ kind: 'secret', text: '{{secret}}' });
    expect(parseToken('{{cus}}')).toBeNull();
    expect(parseToken('x{{cus_1}}')).toBeNull();
  });

  it('knows scrubbed values and header request ids from object ids', () => {
    expect(parseToken('{{email_2}}')).toEqual({ kind: 'scrubbed', text: '{{email_2}}', prefix: 'email', n: 2 });
    expect(parseToken('{{idem_1}}')).toEqual({ kind: 'scrubbed', text: '{{idem_1}}', prefix: 'idem', n: 1 });
    expect(parseToken('{{req_3}}')).toEqual({ kind: 'id', text: '{{req_3}}', prefix: 'req', n: 3 });
    const ids = { '{{req_1}}': 'req_InABody1', '{{cus_1}}': 'cus_Recorded1' };
    const objects = (text: string) => tokensInText(text).filter((t) => isObjectToken(t, ids)).map((t) => t.text);
    // A request id kept in `ids` (met in a body) is an object's; one only headers had is not.
    expect(objects('{{cus_1}} {{cus_2}} {{req_1}} {{req_2}} {{email_1}} {{idem_1}} {{t+5}} {{secret}} {{nope}}')).toEqual(['{{cus_1}}', '{{cus_2}}', '{{req_1}}']);
    expect([isToken('{{email_1}}'), isToken('{{t-5}}'), isToken('{{secret}}'), isToken('{{nope}}'), isToken('{{cus_1}}x'), isToken(7)]).toEqual([true, true, true, false, false, false]);
    expect([isTimeToken('{{t+0}}'), isTimeToken('{{t-86400}}'), isTimeToken('{{t+x}}'), isTimeToken('{{cus_1}}'), isTimeToken(5)]).toEqual([true, true, false, false, false]);
  });

  it('fills tokens deeply; a whole time token is an integer only in bodies', () => {
    const fill: TokenFill = (t) => (t.kind === 'id' ? `${t.prefix}_X${t.n}` : t.kind === 'time' ? 1000 + t.delta : 's3cr3t');
    const recorded = { id: '{{pi_1}}', created: '{{t+5}}', client_secret: '{{pi_1}}_secret_{{secret}}', list: ['{{ch_2}}', 7, null], note: '{{nope}}' };
    expect(fillTokens(recorded, fill, true)).toEqual({ id: 'pi_X1', created: 1005, client_secret: 'pi_X1_secret_s3cr3t', list: ['ch_X2', 7, null], note: '{{nope}}' });
    expect(fillTokens({ resumes_at: '{{t-5}}' }, fill)).toEqual({ resumes_at: '995' });
    expect(fillText('/v1/customers/{{cus_1}}/sources', fill)).toBe('/v1/customers/cus_X1/sources');
  });

  it('counts {{t+N}} from midnight UTC of the recording day when giving values back', () => {
    expect(recordedBase({ provenance: { source: 'x', recorded: '2025-04-17' } } as any)).toBe(Date.UTC(2025, 3, 17) / 1000);
    expect(recordedBase({ provenance: { source: 'x' } } as any)).toBe(Date.UTC(2026, 0, 1) / 1000);
    // Without a readable day: the twin's own default start.
    expect(recordedBase({ provenance: { source: 'x' } } as any)).toBe(DEFAULT_START_TIME);
    expect(recordedBase({ provenance: { source: 'x', recorded: 'sometime in 2020' } } as any)).toBe(DEFAULT_START_TIME);
    expect(recordedBase({ provenance: { source: 'x', recorded: '2020-09-01T12:34:56Z' } } as any)).toBe(Date.UTC(2020, 8, 1) / 1000);
  });
});
