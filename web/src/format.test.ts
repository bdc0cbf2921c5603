import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatClock, formatDuration, formatPrice } from './format.ts';

describe('formatPrice', () => {
  it('formats in the given currency, or the provider’s', () => {
    expect(formatPrice(4.51, 'EUR')).toMatch(/4[.,]51/);
    expect(formatPrice(4.51, 'EUR')).toMatch(/€/);
    expect(formatPrice(6, null, 'digital-ocean')).toMatch(/\$|US/);
    expect(formatPrice(0, 'EUR')).toMatch(/0[.,]00/);
  });
  it('keeps small hourly-sized amounts readable', () => {
    expect(formatPrice(0.0072, 'EUR')).toMatch(/0[.,]0072/);
  });
  it('shows a dash when there is no price', () => {
    expect(formatPrice(null)).toBe('—');
    expect(formatPrice(undefined)).toBe('—');
    expect(formatPrice(Number.NaN)).toBe('—');
  });
  it('survives a currency code Intl does not know', () => {
    expect(formatPrice(1.5, 'not-a-currency')).toBe('1.50 not-a-currency');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [193, '193ms'],
    [1_300, '1.3s'],
    [9_949, '9.9s'],
    [42_000, '42s'],
    [61_000, '1m 1s'],
    [600_000, '10m 0s'],
    [3 * 3_600_000 + 2 * 60_000, '3h 2m'],
    [4 * 86_400_000 + 3_600_000, '4d 1h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
  it('treats negative and non-finite values as zero', () => {
    expect(formatDuration(-5)).toBe('0ms');
    expect(formatDuration(Number.NaN)).toBe('0ms');
  });
});

describe('formatAge', () => {
  const now = Date.parse('2025-01-02T00:00:00Z');
  it.each([
    ['2025-01-01T23:59:48Z', '12s'],
    ['2025-01-01T23:55:00Z', '5m'],
    ['2025-01-01T21:00:00Z', '3h'],
    ['2024-12-29T00:00:00Z', '4d'],
  ])('%s → %s', (iso, text) => {
    expect(formatAge(iso, now)).toBe(text);
  });
  it('never goes negative (clock skew) and dashes a missing time', () => {
    expect(formatAge('2025-01-02T00:00:05Z', now)).toBe('0s');
    expect(formatAge(null, now)).toBe('—');
  });
});

describe('formatBytes', () => {
  it.each([
    [295, '295 B'],
    [1024, '1 KiB'],
    [3_482, '3.4 KiB'],
    [32 * 1024, '32 KiB'],
    [64 * 1024, '64 KiB'],
    [5 * 1024 * 1024, '5 MiB'],
  ])('%d → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('formatClock', () => {
  it('shows milliseconds, for ordering events that share a second', () => {
    expect(formatClock('2025-01-02T10:11:12.034Z')).toMatch(/\d{2}:\d{2}:\d{2}\.034$/);
  });
});
