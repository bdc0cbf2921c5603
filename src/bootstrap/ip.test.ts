import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipVersion } from './ip.ts';

const KNOWN = [
  '1.2.3.4', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ',
  '::', '::1', '::ffff:1.2.3.4', '::1.2.3.04', 'fe80::1%eth0', 'fe80::1%', 'FE80::ABCD', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
  '1::2::3', ':1:2', '1:2:3:4:5:6:1.2.3.4', '1::1.2.3.4', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::8',
  '12345::', 'g::', '', 'localhost', '${SUBNET}', '2001:db8::/32', '[::1]',
];

const VALID = KNOWN.filter((s) => isIP(s) !== 0);
const CHARS = '0123456789abcdefABCDEF:.%';

/** A valid address with one to three characters changed, dropped or added (near misses and near hits). */
function randomCandidate(): string {
  let s = VALID[randomInt(VALID.length)];
  for (let n = randomInt(1, 4); n > 0; n--) {
    const i = randomInt(s.length + 1);
    const c = CHARS[randomInt(CHARS.length)];
    const op = randomInt(3);
    s = op === 0 ? s.slice(0, i) + c + s.slice(i + 1) : op === 1 ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i);
  }
  return s;
}

describe('ipVersion', () => {
  it("answers what node:net's isIP answers", () => {
    for (const s of KNOWN) expect(ipVersion(s), JSON.stringify(s)).toBe(isIP(s));
  });

  it('agrees with isIP on random near misses of valid addresses', () => {
    const seen = { 0: 0, 4: 0, 6: 0 };
    for (let i = 0; i < 20_000; i++) {
      const s = randomCandidate();
      const want = isIP(s);
      seen[want as 0 | 4 | 6]++;
      expect(ipVersion(s), JSON.stringify(s)).toBe(want);
    }
    expect(Math.min(seen[0], seen[4], seen[6])).toBeGreaterThan(100);
  });
});
