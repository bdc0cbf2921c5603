import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieOf, Tickets, withoutCookie } from './tickets.ts';

const ID = '5aa2f4bc-1111-4222-8333-944455556666';
const OTHER = '5aa2f4bc-1111-4222-8333-000000000000';

describe('Tickets', () => {
  it('verify only for their purpose and instance, until they expire', () => {
    let now = 1_000_000;
    const t = new Tickets(randomBytes(32), () => now);
    const { ticket } = t.mint('terminal', ID, 'api:ops', 'admin', 60);
    expect(t.verify(ticket, 'terminal', ID)).toEqual({ actor: 'api:ops', grant: 'admin' });
    expect(t.verify(ticket, 'proxy-cookie', ID)).toBeNull();
    expect(t.verify(ticket, 'terminal', OTHER)).toBeNull();
    now += 61_000;
    expect(t.verify(ticket, 'terminal', ID)).toBeNull();
  });

  it('refuse a tampered body, another key, and garbage', () => {
    const key = randomBytes(32);
    const t = new Tickets(key);
    const { ticket } = t.mint('proxy-link', ID, 'api:ops', 'admin', 60);
    const [body, sig] = ticket.split('.');
    const forged = Buffer.from(Buffer.from(body, 'base64url').toString().replace('api:ops', 'api:root')).toString('base64url');
    expect(t.verify(`${forged}.${sig}`, 'proxy-link', ID)).toBeNull();
    expect(new Tickets(randomBytes(32)).verify(ticket, 'proxy-link', ID)).toBeNull();
    for (const junk of ['', '.', 'a.b', 'x'.repeat(2000), undefined]) expect(t.verify(junk, 'proxy-link', ID)).toBeNull();
  });
});

describe('cookie helpers', () => {
  it('read one cookie and drop Hangar’s before forwarding', () => {
    expect(cookieOf('a=1; hangar_proxy=x.y', 'hangar_proxy')).toBe('x.y');
    expect(cookieOf('a=1', 'hangar_proxy')).toBeUndefined();
    expect(withoutCookie('a=1; hangar_proxy=x; b=2', 'hangar_proxy')).toBe('a=1; b=2');
    expect(withoutCookie('hangar_proxy=x', 'hangar_proxy')).toBeUndefined();
  });
});
