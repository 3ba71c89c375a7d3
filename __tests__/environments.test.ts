/**
 * The project's checks are about the user's environments, whichever they are (issue 24, item 1): proved on a
 * scratch project whose config/ holds a new `eu-prod` and one example, with synth and the committed-dist check
 * pointed at it. The rest of the suite renders __tests__/fixtures/, so deleting an example from config/ cannot
 * break a behaviour test; the last test keeps it that way.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fixture, ROOT, runMain, tempDir } from './helpers';
import { distProblems } from './support/committed-dist';

describe('a platform team\'s own environments', () => {
  const project = tempDir('project-');
  const config = path.join(project, 'config');
  const dist = path.join(project, 'dist');
  const fresh = path.join(project, 'fresh');
  /** `npm run synth` in the scratch project (every config/*.yaml into `outdir`). */
  const synthAll = (outdir: string) => runMain(['--outdir', outdir], project, config);

  beforeAll(async () => {
    mkdirSync(config);
    writeFileSync(path.join(config, 'staging.yaml'), readFileSync(fixture('staging'), 'utf8'));
    writeFileSync(path.join(config, 'eu-prod.yaml'), readFileSync(fixture('production'), 'utf8').replace(/^namespace: .*$/m, 'namespace: observability-eu'));
    // The user runs `npm run synth` and commits dist/; the check renders again into a scratch folder.
    expect((await synthAll(dist)).code).toBe(0);
    expect((await synthAll(fresh)).code).toBe(0);
  });

  test('a new config/eu-prod.yaml, once synthesized, passes the committed-dist check', () => {
    expect(readdirSync(dist).sort()).toEqual(['eu-prod', 'staging']);
    expect(distProblems(project, fresh)).toEqual([]);
  });

  test('synth names the environments config/ holds when one is mistyped', async () => {
    const r = await runMain(['--env', 'eu-prd'], project, config);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('synth: unknown environment "eu-prd"; known: eu-prod, staging');
  });

  test('fails when dist/eu-prod/ is edited by hand, naming the environment and the file', () => {
    const file = path.join(dist, 'eu-prod', 'grafana.k8s.yaml');
    const before = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, before.replace(/replicas: \d+/, 'replicas: 7'));
      writeFileSync(path.join(dist, 'eu-prod', 'extra.k8s.yaml'), 'kind: ConfigMap\n');
      expect(distProblems(project, fresh)).toEqual([
        'dist/eu-prod/grafana.k8s.yaml: differs from what config/eu-prod.yaml renders (edited by hand, or not re-synthesized: run `npm run synth` and commit dist/)',
        'dist/eu-prod/extra.k8s.yaml: not rendered by config/eu-prod.yaml (run `npm run synth` and commit dist/)',
      ]);
    } finally {
      writeFileSync(file, before);
      rmSync(path.join(dist, 'eu-prod', 'extra.k8s.yaml'), { force: true });
    }
    expect(distProblems(project, fresh)).toEqual([]);
  });

  test('fails when a new environment was never synthesized, naming it', async () => {
    const file = path.join(config, 'us-prod.yaml');
    writeFileSync(file, readFileSync(fixture('dev'), 'utf8'));
    try {
      expect((await runMain(['--config', file, '--outdir', fresh], project, config)).code).toBe(0);
      expect(distProblems(project, fresh)).toContain('dist/us-prod/kustomization.yaml: missing; config/us-prod.yaml renders it (run `npm run synth` and commit dist/)');
    } finally {
      rmSync(file);
      rmSync(path.join(fresh, 'us-prod'), { recursive: true, force: true });
    }
  });

  test('removing an example environment (its config and its dist/ folder) keeps the check green', () => {
    const saved = tempDir('saved-');
    cpSync(path.join(dist, 'staging'), saved, { recursive: true });
    rmSync(path.join(config, 'staging.yaml'));
    try {
      // Only the config removed: the folder GitOps would go on applying is named.
      expect(distProblems(project, fresh)).toEqual(['dist/staging/: no config/staging.yaml renders it; delete the folder with its config (GitOps would go on applying it)']);
      rmSync(path.join(dist, 'staging'), { recursive: true });
      expect(distProblems(project, fresh)).toEqual([]);
    } finally {
      writeFileSync(path.join(config, 'staging.yaml'), readFileSync(fixture('staging'), 'utf8'));
      cpSync(saved, path.join(dist, 'staging'), { recursive: true });
    }
  });

  test('the behaviour tests read their fixtures, never config/ or dist/', () => {
    // Only the suites about the user's environments may read the project's config/ and dist/; they do so
    // through helpers (USER_ENVIRONMENTS, CHECKED, CONFIG_DIR) or the committed-dist check.
    const ABOUT_USER = new Set(['helpers.ts', 'synth.test.ts', 'ownership.test.ts', 'generated.test.ts']);
    const reads = /ROOT,\s*['"](config|dist)['"]|['"`]config\/[a-z0-9-]+\.ya?ml['"`]/;
    // synth's --env reads config/ unless the test names the folder (runMain's third argument).
    const envFromConfig = /runMain\(\[[^\]]*'--env'[^\]]*\](, [^,)]+)?\)/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          walk(full);
          continue;
        }
        if (!/\.(ts|mjs)$/.test(entry.name) || full === __filename) continue;
        const text = readFileSync(full, 'utf8');
        if ((!ABOUT_USER.has(entry.name) && reads.test(text)) || envFromConfig.test(text)) offenders.push(path.relative(ROOT, full));
      }
    };
    walk(__dirname);
    expect(offenders).toEqual([]);
  });
});
