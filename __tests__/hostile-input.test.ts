/**
 * Hostile and mistaken configuration: each case fails with exit 1 and one short line per problem naming the
 * file and key, in bounded time, with nothing secret echoed; dangerous settings are refused with the reason.
 * Run in-process (main() and loadConfig() are what the command runs) so the suite stays fast.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, LIMITS, loadConfig } from '../lib/config/load';
import { configMapYaml, envFrom, objects, problems, runMain, tempDir } from './helpers';

const FS = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';

async function synthFile(yaml: string, name = 'dev'): Promise<{ code: number; stderr: string; out: string; ms: number }> {
  const dir = tempDir('hostile-');
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const out = path.join(dir, 'out');
  const t0 = Date.now();
  const r = await runMain(['--config', file, '--outdir', out]);
  return { code: r.code, stderr: r.stderr, out, ms: Date.now() - t0 };
}

function expectOneLineEach(stderr: string, maxLines = 60): void {
  const lines = stderr.trim().split('\n');
  expect(lines.length).toBeLessThanOrEqual(maxLines);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(500);
  expect(stderr).not.toMatch(/\n\s+at |node:internal|RangeError|TypeError/);
}

describe('hostile files', () => {
  test('fails fast on a YAML alias bomb (a few hundred bytes expanding to a billion values)', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const r = await synthFile(levels.join('\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the YAML expands to more than ${LIMITS.values} values`);
    expect(r.ms).toBeLessThan(5000);
    expectOneLineEach(r.stderr);
  });

  test('fails when the file has more aliases than any configuration needs', () => {
    const yaml = `x: &x 1\nlist: [${Array(LIMITS.aliases + 1).fill('*x').join(',')}]`;
    expect(problems(yaml)[0]).toMatch(/YAML syntax error: aliases exceeded maxAliases \(1000\)/);
  });

  test('fails when the file is nested too deeply, without a stack overflow', () => {
    expect(problems(`a: ${'['.repeat(50_000)}${']'.repeat(50_000)}`)[0]).toMatch(/YAML syntax error: nesting exceeded maxDepth|nested/);
    const deep = `a: ${'{b: '.repeat(80)}1${'}'.repeat(80)}`;
    expect(problems(deep)).toEqual([`the YAML is nested more than ${LIMITS.depth} levels deep; a configuration is far shallower`]);
  });

  test('fails with a bounded report for 200,000 unknown keys (no stack overflow)', async () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}: 1`).join('\n');
    const r = await synthFile(`${FS}${keys}\n`);
    expect(r.code).toBe(1);
    expectOneLineEach(r.stderr, 52);
    // One line for the stray keys of one mapping, naming a few and what is expected there.
    expect(r.stderr).toContain('dev.yaml: (top level): 200000 unknown keys ("k0", "k1", "k2", …), expected one of: namespace, bucketLifecycle,');
    expect(r.stderr.length).toBeLessThan(4096);
  }, 30_000);

  test('fails when the file is larger than any configuration', () => {
    const dir = tempDir('big-');
    const file = path.join(dir, 'dev.yaml');
    writeFileSync(file, `# ${'x'.repeat(LIMITS.bytes)}\n`);
    expect(() => loadConfig(file)).toThrow(`${file}: cannot read the file (it is ${LIMITS.bytes + 3} bytes; a configuration file is at most ${LIMITS.bytes} bytes)`);
  });

  test('fails without waiting on a FIFO, a device, a /proc file or a folder', () => {
    const dir = tempDir('special-');
    const fifo = path.join(dir, 'dev.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const read = (file: string) => {
      try {
        loadConfig(file);
      } catch (e) {
        return (e as ConfigError).problems;
      }
      return [];
    };
    expect(read(fifo)).toEqual([`${fifo}: cannot read the file (it is a FIFO, not a regular file)`]);
    expect(read('/dev/zero')).toEqual(['/dev/zero: cannot read the file (it is a device, not a regular file)']);
    expect(read('/proc/self/status')).toEqual(['/proc/self/status: cannot read the file (it is a kernel file, not a regular file)']);
    mkdirSync(path.join(dir, 'folder.yaml'));
    expect(read(path.join(dir, 'folder.yaml'))).toEqual([`${path.join(dir, 'folder.yaml')}: cannot read the file (it is a directory)`]);
  });

  test('fails with the echoed value cut short', () => {
    const [line] = problems(`${FS}namespace: "${'A'.repeat(100_000)}"`);
    expect(line.length).toBeLessThan(450);
    expect(line).toMatch(/^namespace: expected a DNS label .*… \(\d+ more characters\)$/);
  });

  test('previous output stays untouched when a later run fails', async () => {
    const dir = tempDir('keep-');
    const file = path.join(dir, 'dev.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(file, FS);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    const before = readdirSync(path.join(out, 'dev')).sort();
    writeFileSync(file, `${FS}namespace: kube-system\n`);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(1);
    expect(readdirSync(path.join(out, 'dev')).sort()).toEqual(before);
  });
});

describe('accepted today but broken in the cluster', () => {
  test('fails when an image has no tag or digest (once, not a crash)', () => {
    expect(problems(`${FS.replace('tempo: {backend: filesystem}', 'tempo: {backend: filesystem, image: grafana/tempo}')}`)).toEqual([
      'tempo.image: expected an image pinned by tag or digest like "grafana/tempo:3.0.3", got "grafana/tempo"',
    ]);
    expect(problems(`${FS}grafana: {image: "localhost:5000/grafana/grafana"}`)).toEqual([
      'grafana.image: expected an image pinned by tag or digest like "grafana/tempo:3.0.3", got "localhost:5000/grafana/grafana"',
    ]);
  });

  test('fails when a memory request is above its limit', () => {
    expect(problems(`${FS}grafana: {resources: {memory: 2Gi, memoryLimit: 1500Mi}}`)).toEqual([
      'grafana.resources.memory: expected at most memoryLimit (1500Mi), got "2Gi" (Kubernetes refuses a request above its limit)',
    ]);
    expect(problems(`${FS}grafana: {resources: {memory: 1G, memoryLimit: 1Gi}}`)).toEqual([]); // 10^9 <= 2^30
  });

  test('fails when a duration is longer than Go can represent', () => {
    expect(problems(`${FS}sampling: {slowRequestThreshold: 2562048h}`)).toEqual([
      'sampling.slowRequestThreshold: expected at most 2562047h (the longest duration Go can represent), got "2562048h"',
    ]);
    expect(problems(`${FS}sampling: {slowRequestThreshold: 2562047h}`)).toEqual([]);
  });

  test('fails when a label key or value is not one Kubernetes accepts', () => {
    expect(problems(`${FS}security: {applicationNamespaceSelector: {"bad key": "true", "example.com/ok": "not ok!"}}`)).toEqual([
      'security.applicationNamespaceSelector.bad key: expected a Kubernetes label key (optional DNS prefix and "/", then up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric), got "bad key"',
      'security.applicationNamespaceSelector.example.com/ok: expected a Kubernetes label value (up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric), got "not ok!"',
    ]);
  });

  test('fails when the dashboard job would break its LogQL selector', () => {
    expect(problems(`${FS}grafana: {dashboards: {job: 'api"} |= "x'}}`)).toEqual([
      'grafana.dashboards.job: expected a Kubernetes label value (1-63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric: Promtail copies it from app.kubernetes.io/name), got "api\\"} |= \\"x"',
    ]);
  });
});

describe('dangerous settings', () => {
  test('fails when the stack namespace is a Kubernetes system namespace', () => {
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'default']) {
      expect(problems(`${FS}namespace: ${ns}`)).toEqual([
        `namespace: expected a namespace of the stack's own, got "${ns}" (a Kubernetes system namespace: the stack's NetworkPolicies, Pod Security labels and RBAC would apply to everything in it)`,
      ]);
    }
  });

  test('fails when the privileged Promtail namespace is a system namespace or the stack\'s', () => {
    expect(problems(`${FS}promtail: {namespace: kube-system}`)).toEqual([
      'promtail.namespace: expected a namespace of Promtail\'s own, got "kube-system" (it gets Pod Security "privileged", which must not extend to Kubernetes\' system pods)',
    ]);
    expect(problems(`${FS}namespace: obs\npromtail: {namespace: obs}`)[0]).toMatch(/^promtail\.namespace: expected a namespace other than the stack's "obs"/);
  });

  test('fails when a NetworkPolicy selector is empty (it would admit every namespace or pod)', () => {
    expect(problems(`${FS}security: {applicationNamespaceSelector: {}, dns: {podLabels: {}}}`)).toEqual([
      'security.applicationNamespaceSelector: expected at least one label: an empty selector matches every namespace (every namespace could send traces)',
      'security.dns.podLabels: expected at least one label: an empty selector matches every pod in the DNS namespace',
    ]);
  });

  test('fails when a retention is 0s', () => {
    expect(problems(`${FS.replace('tempo: {backend: filesystem}', 'tempo: {backend: filesystem, retention: {hot: 0s}}')}`)).toEqual([
      'tempo.retention.hot: expected a retention longer than 0s, got "0s" (0 would mean "keep nothing" or "no limit" depending on the setting)',
    ]);
  });
});

describe('secrets never reach dist/ or the terminal', () => {
  const cases: [string, string][] = [
    ['prometheus: {url: "https://admin:hunter2@prom.example.com:9090"}\nsecurity: {prometheusNamespace: monitoring}', 'prometheus.url'],
    ['prometheus: {url: "http://prometheus.monitoring.svc:9090/?access_token=hunter2"}', 'prometheus.url'],
    ['gitops: {repoURL: "https://x-access-token:hunter2@github.com/org/repo.git"}', 'gitops.repoURL'],
    ['gitops: {repoURL: "https://hunter2@github.com/org/repo.git"}', 'gitops.repoURL'],
    ['gitops: {repoURL: "ssh://git:hunter2@github.com/org/repo.git"}', 'gitops.repoURL'],
    [
      'grafana: {oauth: {provider: generic, clientId: c, clientSecret: {name: s, key: k}, authUrl: "https://sso.example.com/auth?client_secret=hunter2", tokenUrl: "https://u:hunter2@sso.example.com/token", apiUrl: "https://sso.example.com/api?api_key=hunter2"}}',
      'grafana.oauth.authUrl',
    ],
  ];
  test.each(cases)('fails when a URL carries credentials, masking them: %s', (yaml, key) => {
    const lines = problems(`${FS}${yaml}`);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith(`${key}: expected a URL without credentials`))).toBe(true);
    for (const l of lines) expect(l).not.toContain('hunter2');
  });

  test('the Secret-based alternative is named', () => {
    expect(problems(`${FS}gitops: {repoURL: "https://u:p@github.com/org/repo.git"}`)).toEqual([
      'gitops.repoURL: expected a URL without credentials, got "https://u:***@github.com/org/repo.git" with a user name and password (it would be committed to git and rendered into dist/); give the controller Git credentials from a Secret instead: gitops.flux.secretRef (Flux) or an Argo CD repository Secret',
    ]);
  });

  test('SSH Git URLs keep their user (git@), which is not a secret', () => {
    expect(problems(`${FS}gitops: {repoURL: "ssh://git@github.com/org/repo.git"}`)).toEqual([]);
    expect(problems(`${FS}gitops: {repoURL: "git@github.com:org/repo.git"}`)).toEqual([]);
  });
});

describe('days and weeks', () => {
  test('14d and 2w are accepted and rendered in Go form (Tempo reads only hours)', () => {
    const e = envFrom(`tempo: {backend: filesystem, retention: {hot: 1d, warm: 14d, archive: 5w}}\nloki: {backend: filesystem, retention: {warm: 2w, cold: 90d}}`);
    expect(e.config.tempo.retention).toEqual({ hot: '24h', warm: '336h', archive: '840h' });
    expect(e.config.loki.retention).toMatchObject({ warm: '336h', cold: '2160h' });
    const tempo = configMapYaml(objects(e), 'tempo', 'tempo.yaml');
    const text = JSON.stringify(tempo);
    expect(text).toContain('"block_retention":"336h"');
    expect(text).not.toMatch(/\d[dw]"/);
    const loki = configMapYaml(objects(e), 'loki', 'loki.yaml');
    expect(loki.limits_config.retention_period).toBe('336h');
  });

  test('mixed units keep their precision', () => {
    expect(envFrom(`${FS}sampling: {slowRequestThreshold: 1d1h30m}`).config.sampling.slowRequestThreshold).toBe('25h30m');
  });
});

describe('command-line mistakes', () => {
  test('one problem is reported once', async () => {
    const r = await synthFile(`${FS}loki: {backend: filesystem, retention: {warm: 14 days}}`.replace('loki: {backend: filesystem}\n', ''));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/loki\.retention\.warm: expected a duration/);
  });
});
