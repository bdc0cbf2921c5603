import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../openapi.ts';
import { renderContract, SCHEMA_FILE } from './generate.ts';

const DIR = join(SCHEMA_FILE, '..');

describe('the generated contract (schema.d.ts)', () => {
  it('is what `npm run contract` writes from the current OpenAPI document (run it after changing a schema)', async () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(committed.startsWith('/**\n * GENERATED FILE')).toBe(true);
    expect(committed === (await renderContract()), 'src/api/contract/schema.d.ts is stale: run `npm run contract`').toBe(true);
  });

  it('changes when the document does (the comparison is not vacuous)', async () => {
    const doc = structuredClone(openApiDocument()) as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    doc.components.schemas.Instance.properties!.color = { type: 'string' };
    const text = await renderContract(doc);
    expect(text).not.toBe(readFileSync(SCHEMA_FILE, 'utf8'));
    expect(text).toMatch(/color\??: string;/);
  });

  it('names every operation and component the clients use', () => {
    const text = readFileSync(SCHEMA_FILE, 'utf8');
    for (const name of ['Instance', 'InstancePage', 'EventPage', 'Problem', 'Plan', 'ProviderList', 'ServerTypeList', 'LocationList', 'SshHostList', 'SnapshotList', 'SnapshotBuild', 'ReleaseList', 'ReconcileReport', 'InstanceStatus', 'DoctorReport', 'Logs', 'SmokeResult', 'RestartResult', 'ExecResult']) {
      expect(text, name).toContain(`        ${name}: {`);
    }
    for (const id of ['createInstance', 'listInstances', 'instanceEvents', 'allEvents', 'listProviders', 'listAgentReleases']) expect(text, id).toContain(`    ${id}: {`);
  });
});

describe('the contract folder', () => {
  it('imports nothing but itself and openapi-fetch (the browser bundle and the CLI import it as it is)', () => {
    const files = readdirSync(DIR).filter((f) => /\.ts$/.test(f) && !/\.test\.ts$/.test(f) && f !== 'generate.ts' && f !== 'schema.d.ts');
    expect(files.sort()).toEqual(['client.ts', 'errors.ts', 'index.ts', 'sse.ts', 'types.ts']);
    const bad: string[] = [];
    for (const f of files) {
      for (const { fileName: target } of ts.preProcessFile(readFileSync(join(DIR, f), 'utf8')).importedFiles) {
        if (!/^\.\/[\w.-]+\.ts$/.test(target) && target !== 'openapi-fetch') bad.push(`${f} → ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
