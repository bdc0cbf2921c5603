import { describe, expect, it } from 'vitest';
import { colorEnabled, colors, statusText, stripAnsi } from './output.ts';

describe('statusText', () => {
  it('shows an instance torn down after a failure as failed, not stopped', () => {
    expect(statusText({ status: 'stopped', step: null, failureReason: 'agent never connected' })).toBe('failed (torn down)');
    expect(statusText({ status: 'stopping', step: null, failureReason: 'boom' })).toBe('failed (tearing down)');
    expect(statusText({ status: 'stopped', step: null, failureReason: null })).toBe('stopped');
    expect(statusText({ status: 'failed', step: 'enroll' })).toBe('failed (at enroll)');
    expect(stripAnsi(statusText({ status: 'stopped', step: null, failureReason: 'x' }, colors(true)))).toBe('failed (torn down)');
  });
});

describe('colours', () => {
  it('only on a TTY, never with NO_COLOR, and FORCE_COLOR wins over a pipe', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colors(false).red('x')).toBe('x');
  });
});
