import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { HUB_MAX_CONNECTIONS, hubLimitsFromEnv, LOG_MAX_FRAME_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES, MAX_DETAIL_CHARS } from './limits.ts';
import { AgentMessage, logText } from './messages.ts';
import { isHubPath } from './upgrade.ts';

describe('hub limits', () => {
  it('HANGAR_HUB_MAX_CONNECTIONS: default, a positive integer, or a ValidationError naming it', () => {
    expect(hubLimitsFromEnv({}).maxConnections).toBe(HUB_MAX_CONNECTIONS);
    expect(hubLimitsFromEnv({ HANGAR_HUB_MAX_CONNECTIONS: '5000' }).maxConnections).toBe(5000);
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      expect(() => hubLimitsFromEnv({ HANGAR_HUB_MAX_CONNECTIONS: bad })).toThrow(ValidationError);
      expect(() => hubLimitsFromEnv({ HANGAR_HUB_MAX_CONNECTIONS: bad })).toThrow(/HANGAR_HUB_MAX_CONNECTIONS/);
    }
  });

  it('the hub path is matched exactly on the parsed pathname', () => {
    expect(isHubPath('/v1/agents/connect')).toBe(true);
    expect(isHubPath('/v1/agents/connect?x=1')).toBe(true);
    for (const p of ['/v1/agents/connectXYZ', '/v1/agents/connect/../x', '/v1/agents/connect/', '/x/v1/agents/connect', 'http://evil/v1/agents/connect', '//evil/v1/agents/connect', '', undefined]) expect([p, isHubPath(p)]).toEqual([p, false]);
  });

  it('free text is cut to its cap, identifiers over theirs are refused, log lines are bounded', () => {
    const health = AgentMessage.parse({ type: 'health', healthy: false, detail: 'd'.repeat(MAX_DETAIL_CHARS * 3) });
    expect(health.type === 'health' && health.detail!.length).toBeLessThan(MAX_DETAIL_CHARS + 50);
    expect(AgentMessage.safeParse({ type: 'hello', version: 'v'.repeat(65) }).success).toBe(false);
    expect(AgentMessage.safeParse({ type: 'result', id: 'i'.repeat(1000), ok: true }).success).toBe(false);
    expect(AgentMessage.safeParse({ type: 'log', source: 'agent', lines: Array(LOG_MAX_LINES + 1).fill('x') }).success).toBe(false);
    const log = AgentMessage.parse({ type: 'log', source: 'agent', lines: ['x'.repeat(LOG_MAX_LINE_CHARS * 2)] });
    expect(log.type === 'log' && log.lines[0].length).toBeLessThan(LOG_MAX_LINE_CHARS + 50);
  });

  it('a log frame writes at most LOG_MAX_FRAME_CHARS, and says how many lines it left out', () => {
    const lines = Array.from({ length: LOG_MAX_LINES }, (_, i) => `${i} ${'y'.repeat(LOG_MAX_LINE_CHARS - 10)}`);
    const t = logText(lines);
    expect(t.reason.length).toBeLessThanOrEqual(LOG_MAX_FRAME_CHARS + 40);
    expect(t.kept + t.omitted).toBe(LOG_MAX_LINES);
    expect(t.reason).toMatch(new RegExp(`\\[${t.omitted} more lines not kept\\]$`));
    expect(logText(['a', 'b'])).toEqual({ reason: 'a\nb', kept: 2, omitted: 0 });
  });
});
