import { describe, expect, it } from 'vitest';
import { ProviderError } from '../domain/errors.ts';
import { isNotFound, isRetryable, parseVendorError } from './errors.ts';

describe('parseVendorError', () => {
  it('keeps only plain-slug codes and cuts messages to 300 characters without control characters', () => {
    expect(parseVendorError(409, { error: { code: 'x <script>', message: 'a\n\u0007b' } })).toEqual({ code: 'conflict', message: 'a b' });
    expect(parseVendorError(400, { message: 'x'.repeat(5000) }).message).toHaveLength(300);
    expect(parseVendorError(500, '<html>secret</html>')).toEqual({ code: 'server_error', message: 'HTTP 500' });
  });

  it('keeps the DigitalOcean id, and derives a code for Tailscale {message}', () => {
    expect(parseVendorError(422, { id: 'unprocessable_entity', message: 'bad size', request_id: 'r' })).toEqual({ code: 'unprocessable_entity', message: 'bad size' });
    expect(parseVendorError(404, { message: 'not found' })).toEqual({ code: 'not_found', message: 'not found' });
    expect(parseVendorError(403, { message: 'no' })).toEqual({ code: 'forbidden', message: 'no' });
    expect(parseVendorError(502, null)).toEqual({ code: 'bad_gateway', message: 'HTTP 502' });
  });

  it('reads RFC 9457 problem details with a validation list (what Prism answers)', () => {
    const e = parseVendorError(422, {
      type: 'https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY',
      title: 'Invalid request',
      status: 422,
      detail: 'Your request is not valid',
      validation: [{ location: ['body'], severity: 'Error', code: 'required', message: "must have required property 'image'" }],
    });
    expect(e.code).toBe('unprocessable_entity');
    expect(e.message).toContain("body: must have required property 'image'");
  });

});

describe('isRetryable and isNotFound', () => {
  it('retries 429, 423, 5xx and the vendors\' transient codes; never a plain 4xx', () => {
    expect([isRetryable(429, 'x'), isRetryable(423, 'x'), isRetryable(502, 'x'), isRetryable(409, 'conflict'), isRetryable(412, 'resource_unavailable')]).toEqual([true, true, true, true, true]);
    expect([isRetryable(409, 'uniqueness_error'), isRetryable(422, 'invalid_input'), isRetryable(404, 'not_found')]).toEqual([false, false, false]);
  });

  it('knows a vendor 404 from any other error', () => {
    expect(isNotFound(new ProviderError('hetzner', 'not_found', 'gone', 404))).toBe(true);
    expect(isNotFound(new ProviderError('hetzner', 'conflict', 'busy', 409))).toBe(false);
    expect(isNotFound(new Error('404'))).toBe(false);
  });
});
