/**
 * Issue 24 item 3: a value pasted into a credential field (a Secret name or key, a secret reference) never
 * appears in a message. Every credential field of the schema is listed here, and the list is checked against the
 * schema itself, so a new credential field without a test fails this file.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, isCredentialPath, loadConfig } from '../lib/config/load';
import { jsonSchema as configJsonSchema } from '../lib/config/reference';
import { synth } from './helpers';

/** Recognisable, and invalid for every credential field (uppercase, "/", "+", "=" and spaces fit no name or key). */
const planted = (field: string) => `PLANTED sEcReT/+=${field.replace(/\W/g, '_')}==`;

/** Enough of a configuration that every credential field is reachable (an object store, OAuth, a database, an ingress). */
function base(): Record<string, any> {
  const s3 = { backend: 's3', bucket: 'b-test-bucket', s3: { credentials: { secret: 's3-creds' } } };
  return {
    tempo: JSON.parse(JSON.stringify(s3)),
    loki: JSON.parse(JSON.stringify(s3)),
    grafana: {
      replicas: 2,
      database: { type: 'postgres', host: 'db.example.org', passwordSecret: { name: 'grafana-db', key: 'password' } },
      exposure: { type: 'ingress', host: 'grafana.example.org', tlsSecret: 'grafana-tls' },
      oauth: { provider: 'google', clientId: 'id', clientSecret: { name: 'oauth', key: 'secret' }, allowedDomains: ['example.org'] },
    },
    gitops: { repoURL: 'ssh://git@example.org/org/repo.git', tool: 'flux', flux: { secretRef: 'git-creds' } },
  };
}

/** Every credential field: where the value goes (a string pasted over a reference object, or a leaf). */
const FIELDS = [
  'tempo.s3.credentials',
  'tempo.s3.credentials.secret',
  'loki.s3.credentials',
  'loki.s3.credentials.secret',
  'tempo.gcs.keySecret',
  'tempo.gcs.keySecret.name',
  'tempo.gcs.keySecret.key',
  'loki.gcs.keySecret',
  'loki.gcs.keySecret.key',
  'tempo.azure.accountKeySecret',
  'tempo.azure.accountKeySecret.name',
  'loki.azure.accountKeySecret',
  'loki.azure.accountKeySecret.key',
  'grafana.secretKey',
  'grafana.secretKey.name',
  'grafana.secretKey.key',
  'grafana.adminSecret',
  'grafana.adminSecret.name',
  'grafana.adminSecret.userKey',
  'grafana.adminSecret.passwordKey',
  'grafana.database.passwordSecret',
  'grafana.database.passwordSecret.name',
  'grafana.database.passwordSecret.key',
  'grafana.database.caCert.secret',
  'grafana.oauth.clientSecret',
  'grafana.oauth.clientSecret.name',
  'grafana.oauth.clientSecret.key',
  'grafana.exposure.tlsSecret',
  'tls.secretName',
  'gitops.flux.secretRef',
];

function set(obj: Record<string, any>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = obj;
  for (const k of keys.slice(0, -1)) node = node[k] ??= {};
  node[keys[keys.length - 1]] = value;
}

function problemsOf(config: unknown): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'secret-echo-'));
  try {
    const file = path.join(dir, 'test.yaml');
    writeFileSync(file, JSON.stringify(config));
    loadConfig(file);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.replace(/^[^:]*: /, ''));
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('secret fields never echo their value', () => {
  test('the base configuration is valid, so each planted value is the only problem', () => {
    expect(problemsOf(base())).toEqual([]);
  });

  test.each(FIELDS)('fails when %s holds a pasted secret, naming the key and the expected shape, not the value', (field) => {
    const config = base();
    const secret = planted(field);
    set(config, field, secret);
    const problems = problemsOf(config);
    expect(problems.length).toBeGreaterThan(0);
    const text = problems.join('\n');
    expect(text).not.toContain(secret);
    // Nor a recognisable part of it (a message that cut the value would still leak its start).
    expect(text).not.toContain('sEcReT');
    expect(problems.some((p) => p.startsWith(`${field}`))).toBe(true);
    expect(text).toMatch(/(expected|instead:) .*(Secret|DNS label|IAM role|secret: <Secret name>)|expected either/);
  });

  test('fails when grafana.secretKey or tempo.s3.credentials.secret is a string, showing the shape to write instead', () => {
    const config = base();
    set(config, 'grafana.secretKey', 'kP9+3xq0ZJ8Hw4yT2n6Vb1Lm5Rc7Ad0E');
    set(config, 'tempo.s3.credentials.secret', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(problemsOf(config)).toEqual([
      'tempo.s3.credentials.secret: expected name of an existing Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: a DNS label (1-63 lowercase letters, digits or "-", starting and ending alphanumeric), got a string of 40 characters (not shown: it may be the secret itself)',
      'grafana.secretKey: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: { name: <name of an existing Secret in the namespace>, key: <key inside that Secret> }, got a string of 32 characters (not shown)',
    ]);
  });

  test('every field of the schema whose name says credential is in the table above', () => {
    const found: string[] = [];
    const walk = (node: any, at: string[]): void => {
      if (!node || typeof node !== 'object') return;
      for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) walk(alt, at);
      for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
        const p = [...at, key];
        if (isCredentialPath([key])) found.push(p.join('.'));
        walk(child, p);
      }
    };
    walk(configJsonSchema(), []);
    expect(found.length).toBeGreaterThan(10);
    for (const field of new Set(found)) expect(FIELDS).toContain(field);
  });

  test('fails when synth is run as a process on a file full of pasted secrets: none reaches stdout or stderr, nothing is written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'secret-echo-cli-'));
    try {
      const config = base();
      for (const field of FIELDS.filter((f) => !FIELDS.some((o) => o.startsWith(`${f}.`)))) set(config, field, planted(field));
      const file = path.join(dir, 'leaky.yaml');
      writeFileSync(file, JSON.stringify(config));
      const r = synth(['--config', file, '--outdir', path.join(dir, 'out')]);
      expect(r.code).toBe(1);
      const out = r.stdout + r.stderr;
      expect(out).toContain('grafana.secretKey.name');
      expect(out).toContain('tempo.s3.credentials.secret');
      expect(out).not.toContain('sEcReT');
      expect(out).not.toMatch(/\n\s+at /); // no stack trace
      expect(readdirSync(dir)).toEqual(['leaky.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
