import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultInstanceName, instanceLabels, labelSelector, labelsToTags, serverName, slugify, tagsToLabels, LABEL_BOOTSTRAP_VERSION, LABEL_INSTANCE, LABEL_INSTALLATION, LABEL_ROLE } from './names.ts';

describe('names', () => {
  const id = '1a2b3c4d-0000-4000-8000-000000000001';

  it('makes deterministic server names hangar-<slug>-<short id>', () => {
    expect(serverName(id, 'Acme Corp!')).toBe('hangar-acme-corp-1a2b3c4d');
    expect(serverName(id, 'Acme Corp!')).toBe(serverName(id, 'Acme Corp!'));
    expect(serverName(id, '!!!')).toBe('hangar-agent-1a2b3c4d');
  });

  it('names an unnamed instance <workload>-<short id>, its server name hangar-<that>', () => {
    expect(defaultInstanceName('process', id)).toBe('process-1a2b3c4d');
    expect(defaultInstanceName('agent-manager', id)).toBe('agent-manager-1a2b3c4d');
    expect(serverName(id, 'agent-manager')).toBe(`hangar-${defaultInstanceName('agent-manager', id)}`);
  });

  it('always yields a valid hostname (RFC 1123 label, ≤ 63 chars)', () => {
    fc.assert(fc.property(fc.string(), fc.uuid(), (name, uuid) => {
      const n = serverName(uuid, name);
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    }));
  });

  it('slugify keeps letters and digits only', () => {
    expect(slugify('  Über -- Cool__Agent  ')).toBe('uber-cool-agent');
  });

  it('labels name the installation and the instance, values ≤ 63 chars', () => {
    const l = instanceLabels('inst', id);
    expect(l).toEqual({ [LABEL_INSTALLATION]: 'inst', [LABEL_INSTANCE]: id });
    expect(labelSelector(l)).toBe(`hangar.dev/installation=inst,hangar.dev/instance=${id}`);
  });

  it('maps labels to DigitalOcean tags and back', () => {
    const l = instanceLabels('9f0e', id);
    const tags = labelsToTags(l);
    expect(tags).toEqual(['hangar-installation-9f0e', `hangar-instance-${id}`]);
    for (const t of tags) expect(t).toMatch(/^[A-Za-z0-9:_-]+$/);
    expect(tagsToLabels([...tags, 'unrelated'])).toEqual(l);
  });

  it('reads back every label value exactly, including ones DigitalOcean tags cannot spell', () => {
    fc.assert(
      fc.property(fc.constantFrom(LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_ROLE, LABEL_BOOTSTRAP_VERSION), fc.string({ minLength: 1, maxLength: 40 }), (key, value) => {
        const [tag] = labelsToTags({ [key]: value });
        expect(tag).toMatch(/^[A-Za-z0-9:_-]+$/);
        expect(tagsToLabels([tag])).toEqual({ [key]: value });
      }),
    );
    // the spelling droplets already carry still reads
    expect(tagsToLabels(['hangar-bootstrap-version-2026-11'])).toEqual({ [LABEL_BOOTSTRAP_VERSION]: '2026-11' });
    expect(labelsToTags({ [LABEL_BOOTSTRAP_VERSION]: '2026.11.3' })).toEqual(['hangar-bootstrap-version:2026:2e11:2e3']);
  });
});
