import { describe, expect, it } from 'vitest';
import { endpointProblem, parseAllowedEndpoints } from './endpoints.ts';

describe('endpointProblem', () => {
  const none = parseAllowedEndpoints(undefined).origins;

  it('allows any https URL and nothing else without an allow-list', () => {
    expect(endpointProblem('https://api.hetzner.cloud/v1', none)).toBeNull();
    expect(endpointProblem('https://127.0.0.1:8443/v1', none)).toBeNull();
    for (const url of ['http://127.0.0.1:4010/v1', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5', 'ftp://x', 'file:///etc/passwd', 'gopher://x', 'not a url', '/v1']) {
      expect(endpointProblem(url, none), url).toMatch(/https|absolute/);
    }
  });

  it('refuses a user name or password in the URL, allow-listed or not, and never repeats the URL', () => {
    const allowed = parseAllowedEndpoints('http://127.0.0.1:*').origins;
    for (const url of ['https://user:hunter2@api.example.com/v1', 'https://user@api.example.com', 'http://user:hunter2@127.0.0.1:4010']) {
      const p = endpointProblem(url, allowed);
      expect(p).toBe('must not carry a user name or password');
      expect(p).not.toContain('hunter2');
    }
  });

  it('allows http origins on the allow-list: exact port, any port with *, default ports', () => {
    const { origins, problems } = parseAllowedEndpoints('http://127.0.0.1:4010, http://localhost:* http://[::1]:*,http://emu.test');
    expect(problems).toEqual([]);
    expect(endpointProblem('http://127.0.0.1:4010/v1', origins)).toBeNull();
    expect(endpointProblem('http://127.0.0.1:4011/v1', origins)).toMatch(/HANGAR_ALLOWED_ENDPOINTS/);
    expect(endpointProblem('http://LOCALHOST:5555', origins)).toBeNull();
    expect(endpointProblem('http://[::1]:9/api/v2', origins)).toBeNull();
    expect(endpointProblem('http://emu.test/v2', origins)).toBeNull();
    expect(endpointProblem('http://emu.test:8080/v2', origins)).not.toBeNull();
    // Same host, other scheme or other host: not allowed by these entries.
    expect(endpointProblem('http://127.0.0.2:4010', origins)).not.toBeNull();
    expect(endpointProblem('http://127.0.0.1.evil.test:4010', origins)).not.toBeNull();
  });

  it('names allow-list entries that are not origins and leaves them out', () => {
    const { origins, problems } = parseAllowedEndpoints('http://127.0.0.1:4010/v1,*,http://u:p@h:1,https://ok.test:*');
    expect(origins).toEqual([{ protocol: 'https:', hostname: 'ok.test', port: null }]);
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).toMatch(/^HANGAR_ALLOWED_ENDPOINTS: /);
  });
});
