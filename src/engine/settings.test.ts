import { describe, expect, it } from 'vitest';
import { RuntimeSettings } from './settings.ts';

describe('runtime settings', () => {
  it('holds the public URL and the tailnet, each changed only through its setter', () => {
    const s = new RuntimeSettings();
    expect([s.publicUrl, s.tailnet]).toEqual(['', null]);
    s.setPublicUrl('http://127.0.0.1:8080');
    const tailnet = { createAuthKey: async () => ({ id: 'k', key: 'tskey' }), findDeviceByHostname: async () => null, deleteDevice: async () => {} };
    s.setTailnet(tailnet);
    expect([s.publicUrl, s.tailnet]).toEqual(['http://127.0.0.1:8080', tailnet]);
    s.setTailnet(null);
    expect(s.tailnet).toBeNull();
    expect(() => ((s as unknown as { publicUrl: string }).publicUrl = 'x')).toThrow(TypeError);
  });

  it('refuses a public URL that is not http(s)', () => {
    const s = new RuntimeSettings({ publicUrl: 'https://hangar.example.com' });
    for (const bad of ['', 'hangar.example.com', 'ftp://h.example', 'javascript:alert(1)']) expect(() => s.setPublicUrl(bad)).toThrow(/http\(s\) URL/);
    expect(s.publicUrl).toBe('https://hangar.example.com');
  });
});
