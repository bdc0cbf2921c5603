import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { BUNDLE_SHA256, installInput } from './fixtures.testing.ts';
import { checkDownload, hasIdentity, validateInstallInput } from './install-input.ts';
import { Checker } from './validate.ts';

const input = installInput;

const fields = (fn: () => void): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return (err.errors ?? []).map((e) => e.field);
    throw err;
  }
  return [];
};

describe('install script input', () => {
  it('names every bad field; the download checks only when rendering the script', () => {
    expect(fields(() => validateInstallInput(input()))).toEqual([]);
    expect(fields(() => validateInstallInput(input({ bootstrap: { apiUrl: 'https://x.example', instanceId: 'bad id' } })))).toEqual(['bootstrap.instanceId', 'bootstrap']);
    const noPin = input({ agentBundleSha256: undefined, bootstrap: { apiUrl: 'http://hangar.example.com' } });
    expect(fields(() => validateInstallInput(noPin))).toEqual([]);
    expect(fields(() => validateInstallInput(noPin, true))).toEqual(['publicUrl', 'agentBundleSha256']);
  });

  it('checks the download: https (or loopback/tailnet http) and a sha256 pin', () => {
    const ok = new Checker();
    checkDownload(ok, 'http://100.101.102.103:7070', BUNDLE_SHA256);
    expect(ok.errors).toEqual([]);
    const bad = new Checker();
    checkDownload(bad, 'http://hangar.example.com', 'abc');
    expect(bad.errors.map((e) => e.field)).toEqual(['publicUrl', 'agentBundleSha256']);
  });

  it('has an identity only with both instanceId and serverName', () => {
    expect(hasIdentity(input())).toBe(true);
    expect(hasIdentity(input({ bootstrap: { apiUrl: 'https://hangar.example.com' } }))).toBe(false);
  });
});
