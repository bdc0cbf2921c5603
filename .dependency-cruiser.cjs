/**
 * The layer rules of DESIGN.md, checked by `npm test` (test/architecture/layers.test.ts) and by
 * `npx depcruise src agent web/src --config .dependency-cruiser.cjs`. Imports point inwards:
 *
 *   cli, web ──▶ (the API, over HTTP: the generated contract only)
 *   api, hub ──▶ engine ──▶ providers, network ──▶ http ──▶ domain
 *                  └──────▶ bootstrap ─────────────────────▶ domain
 *   db ──▶ domain                      agent ──▶ (its own files, domain/, the hub protocol's types)
 *   server.ts ──▶ wiring (providers + network from env and credentials), build (bundle, dashboard)
 */
const IO = '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads)$';

module.exports = {
  forbidden: [
    { name: 'domain-is-pure', severity: 'error', comment: 'domain/ holds types and rules: it imports nothing of ours outside domain/ and does no I/O',
      from: { path: '^src/domain/' }, to: { pathNot: ['^src/domain/', '^node_modules/'], dependencyTypesNot: ['core'] } },
    { name: 'domain-no-io', severity: 'error', from: { path: '^src/domain/' }, to: { dependencyTypes: ['core'], path: IO } },
    { name: 'bootstrap-is-pure', severity: 'error', comment: 'bootstrap/ renders text from plain data: domain/ and itself only',
      from: { path: '^src/bootstrap/', pathNot: '\\.test\\.ts$' }, to: { pathNot: ['^src/(domain|bootstrap)/', '^node_modules/'], dependencyTypesNot: ['core'] } },
    { name: 'bootstrap-no-io', severity: 'error', from: { path: '^src/bootstrap/', pathNot: '\\.test\\.ts$' }, to: { dependencyTypes: ['core'], path: IO } },
    { name: 'providers-know-no-engine', severity: 'error', comment: 'a provider talks to its cloud; it knows no engine, database, API, hub or CLI, nor the tailnet (src/wiring/ puts providers and network together)',
      from: { path: '^src/providers/' }, to: { path: '^src/(engine|db|api|hub|cli|network)/' } },
    { name: 'network-knows-no-engine', severity: 'error', from: { path: '^src/network/' }, to: { path: '^src/(engine|db|api|hub|cli|providers)/' } },
    { name: 'http-is-shared', severity: 'error', comment: 'the REST client, clocks and rate-limit governor serve clouds and tailnet alike',
      from: { path: '^src/http/' }, to: { path: '^src/(engine|db|api|hub|cli|providers|network|bootstrap)/' } },
    { name: 'db-knows-only-domain', severity: 'error', from: { path: '^src/db/' }, to: { path: '^src/(engine|api|hub|cli|providers|network|bootstrap|http)/' } },
    { name: 'engine-knows-no-shell', severity: 'error', comment: 'the engine is driven by api, hub and timers; it never imports them',
      from: { path: '^src/engine/' }, to: { path: '^src/(api|cli|hub)/' } },
    { name: 'cli-uses-the-contract', severity: 'error', comment: 'the CLI speaks to the server only through the API contract (src/api/contract/); besides it, only pure rules (domain/: release signing) and the agent bundler',
      from: { path: '^src/cli/' }, to: { path: '^(src|agent)/', pathNot: ['^src/cli/', '^src/api/contract/', '^src/domain/', '^src/build/agent-bundle\\.ts$'] } },
    { name: 'web-uses-the-contract', severity: 'error', comment: 'the dashboard speaks to the server only through the API contract (src/api/contract/), never its Node-only generator',
      from: { path: '^web/src/' }, to: { path: '^(src|agent)/', pathNot: '^src/api/contract/(?!generate\\.ts$)' } },
    { name: 'agent-uses-no-server-parts', severity: 'error', comment: 'the agent bundle runs on servers: its own files and the hub protocol types only',
      from: { path: '^agent/' }, to: { path: '^src/', pathNot: ['^src/hub/protocol\\.ts$', '^src/domain/'] } },
    { name: 'wiring-is-outermost', severity: 'error', comment: 'src/wiring/ (providers and tailnet from env and stored credentials) and src/build/ (agent bundle, dashboard) are composed by server.ts; no layer imports them',
      from: { path: '^src/(domain|db|http|providers|network|bootstrap|engine|hub|api)/', pathNot: '\\.test\\.ts$' }, to: { path: '^src/(wiring|build)/' } },
    { name: 'no-test-code-in-source', severity: 'error', from: { path: '^(src|agent|web/src)/', pathNot: '\\.(test|testing)\\.tsx?$' }, to: { path: '(^test/|\\.testing\\.ts$)' } },
    { name: 'no-circular-layers', severity: 'error', from: { path: '^src/(domain|bootstrap|db|http|network|providers)/' }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/|\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
