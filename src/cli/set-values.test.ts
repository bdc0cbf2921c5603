import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { applySettings, keyValue, setValue } from './set-values.ts';

describe('--set values', () => {
  it('types booleans, integers and JSON; everything else stays text', () => {
    expect(setValue('true')).toBe(true);
    expect(setValue('false')).toBe(false);
    expect(setValue('8080')).toBe(8080);
    expect(setValue('-1')).toBe(-1);
    expect(setValue('0')).toBe(0);
    expect(setValue('["--flag","x"]')).toEqual(['--flag', 'x']);
    expect(setValue('{"A":"b"}')).toEqual({ A: 'b' });
    for (const text of ['0042', '1.5', '1e3', 'True', 'yes', '', 'hello world', '12345678901234567890', '/bin/true']) expect(setValue(text), text).toBe(text);
  });

  it('splits at the first =, and refuses a missing key or = as a usage error naming the flag', () => {
    expect(keyValue('command=/bin/sh -c a=b', '--set')).toEqual(['command', '/bin/sh -c a=b']);
    expect(keyValue('empty=', '--set')).toEqual(['empty', '']);
    expect(() => keyValue('novalue', '--set')).toThrow(UsageError);
    expect(() => keyValue('=x', '--set-string')).toThrow('--set-string =x: expected key=value');
  });

  it('--set-string keeps text, after --set; bad JSON says how to send it as text', () => {
    expect(applySettings({ kept: 1 }, ['exec=true', 'port=8080', 'pin=7'], ['pin=0042', 'flag=true'])).toEqual({ kept: 1, exec: true, port: 8080, pin: '0042', flag: 'true' });
    const err = (() => {
      try {
        applySettings({}, ['args=[oops']);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toMatch(/^--set args=\[oops: not valid JSON \(.+\); pass it with --set-string to send it as text$/);
  });
});
