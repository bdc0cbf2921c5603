import { z } from 'zod';
import { PROJECT_NAME } from '../domain/projects.ts';
import { ROLES } from '../domain/roles.ts';
import { storableText } from './text.ts';
import { RESPONSES } from './schemas.ts';

/**
 * Projects and API keys: request bodies (the routes parse with them) and responses (registered
 * as OpenAPI components, so the generated contract has their types).
 *
 * @example
 * const body = parseInput(CreateKey, req.body);
 */
export const ProjectName = z.string().regex(PROJECT_NAME, 'a DNS label: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit');
export const CreateProject = z.object({ name: ProjectName }).strict();
export const GrantName = z.enum(['admin', ...ROLES]);
export const CreateKey = z.object({
  name: storableText(z.string().min(1).max(100)),
  role: GrantName.describe('a project role, or admin for an installation admin key (admins only)'),
  expiresInSeconds: z.number().int().min(60).max(10 * 365 * 86_400).optional().describe('omit for a key that does not expire'),
}).strict();

export const Project = z.object({ name: z.string(), createdAt: z.string(), createdBy: z.string().nullable(), liveInstances: z.number().int() });
export const ProjectList = z.object({ items: z.array(Project) });
export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('the first characters of the key, to tell keys apart'),
  project: z.string().nullable().describe('null for an installation admin key'),
  role: GrantName,
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export const ApiKeyList = z.object({ items: z.array(ApiKeyInfo) });
export const ApiKeyCreated = ApiKeyInfo.extend({ key: z.string().describe('the key itself: shown this once, stored only as a hash') });

for (const [id, s] of Object.entries({ Project, ProjectList, ApiKeyInfo, ApiKeyList, ApiKeyCreated })) RESPONSES.add(s, { id });
