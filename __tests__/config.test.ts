import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../lib/config/load';
import { durationMs } from '../lib/config/primitives';
import { env, envFrom, tempDir, problems } from './helpers';


const S3 = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';

describe('environment files', () => {
  test.each(['dev', 'staging', 'production'])('%s parses', (name) => {
    expect(env(name).name).toBe(name);
  });

  test('production carries the seed values', () => {
    const c = env('production').config;
    expect(c.namespace).toBe('observability');
    expect(c.tempo.bucket).toBe('ybuilt-tempo-traces');
    expect(c.tempo.retention).toEqual({ hot: '72h', warm: '336h', archive: '720h' });
    expect(c.tempo.ports).toEqual({ http: 3200, grpc: 9095, otlpGrpc: 4317, otlpHttp: 4318 });
    expect(c.loki.bucket).toBe('ybuilt-loki-logs');
    expect(c.loki.retention).toEqual({ hot: '168h', warm: '720h', cold: '2160h' });
    expect(c.loki.ports).toEqual({ http: 3100, grpc: 9095 });
    expect(c.grafana.ports.http).toBe(3000);
    expect(c.sampling.defaultRate).toBe(0.1);
    expect(c.sampling.alwaysSampleErrors).toBe(true);
  });

  test('defaults fill a minimal file', () => {
    const c = envFrom(S3).config;
    expect(c.tempo.retention.warm).toBe('336h');
    expect(c.loki.ports.http).toBe(3100);
    expect(c.sampling.defaultRate).toBe(0.1);
  });

  test('durations convert once', () => {
    expect(durationMs('72h')).toBe(72 * 3_600_000);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('500ms')).toBe(500);
  });
});

describe('config errors', () => {
  test('fails when a duration is not a Go duration', () => {
    expect(problems('loki: {backend: filesystem}\ntempo: {backend: filesystem, retention: {warm: two weeks}}')).toContain(
      'tempo.retention.warm: expected a duration like "72h", "14d" or "5m" (units ns, us, ms, s, m, h, d, w), got "two weeks"',
    );
  });

  test('fails when a duration has an unknown unit, once (not again by the rules comparing it)', () => {
    expect(problems(`${S3}loki: {backend: filesystem, retention: {warm: 14x}}`.replace('loki: {backend: filesystem}\n', ''))).toEqual([
      'loki.retention.warm: expected a duration like "72h", "14d" or "5m" (units ns, us, ms, s, m, h, d, w), got "14x"',
    ]);
  });

  test('fails when retention tiers are out of order', () => {
    expect(problems('tempo: {backend: filesystem, retention: {hot: 400h}}\nloki: {backend: filesystem, retention: {warm: 24h}}')).toEqual([
      'tempo.retention.warm: expected at least hot (400h), got "336h"',
      'loki.retention.warm: expected at least hot (168h), got "24h"',
    ]);
  });

  test('fails when two ports of one component clash', () => {
    expect(problems(`${S3.replace('tempo: {backend: filesystem}', 'tempo: {backend: filesystem, ports: {otlpHttp: 3200}}')}`)).toEqual([
      'tempo.ports.otlpHttp: port 3200 is already used by tempo.ports.http, expected a distinct port',
    ]);
  });

  test('fails when a port is out of range', () => {
    expect(problems(`${S3}grafana: {ports: {http: 70000}}`)).toEqual(['grafana.ports.http: expected a port number 1-65535, got 70000']);
  });

  test('fails when a bucket name is not a valid S3 name', () => {
    expect(problems('tempo: {bucket: My_Bucket, s3: {credentials: {secret: s}}}\nloki: {backend: filesystem}')).toEqual([
      'tempo.bucket: expected a valid S3 bucket name (lowercase letters, digits, "." and "-", starting and ending with a letter or digit), got "My_Bucket"',
    ]);
  });

  test('fails when s3 is chosen without a bucket or credentials', () => {
    expect(problems('loki: {backend: filesystem}')).toEqual([
      'tempo.bucket: missing, expected an S3 bucket name when backend is s3',
      'tempo.s3.credentials: missing, expected { secret: <Secret name> } or { roleArn: <IAM role ARN> } when backend is s3',
    ]);
  });

  test('fails when the namespace is not a DNS label', () => {
    expect(problems(`${S3}namespace: Observability`)).toEqual([
      'namespace: expected a DNS label (1-63 lowercase letters, digits or "-", starting and ending alphanumeric), got "Observability"',
    ]);
  });

  test('fails when a sampling rate is above 1', () => {
    expect(problems(`${S3}sampling: {defaultRate: 10}`)).toEqual(['sampling.defaultRate: expected a rate between 0 and 1, got 10']);
  });

  test('fails when a key is unknown, suggesting the closest', () => {
    expect(problems('loki: {backend: filesystem}\ntempo: {backend: filesystem, retension: {hot: 1h}}')[0]).toMatch(/^tempo\.retension: unknown key \(did you mean "retention"\?\), expected one of: image, backend, bucket/);
  });

  test('fails when a plaintext password is given, pointing at a Secret', () => {
    expect(problems(`${S3}grafana: {adminPassword: admin}`)).toEqual([
      'grafana.adminPassword: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: grafana.adminSecret (an existing Secret with the admin user and password)',
    ]);
  });

  test('fails when an image is not pinned', () => {
    expect(problems(`${S3}grafana: {image: "grafana/grafana:latest"}`)).toEqual([
      'grafana.image: expected a pinned version, got "grafana/grafana:latest" (":latest" changes under you)',
    ]);
  });

  test('fails with line and column on a YAML syntax error', () => {
    const file = path.join(tempDir(), 'broken.yaml');
    writeFileSync(file, 'namespace: a\ntempo: {backend: [\n');
    expect(() => loadConfig(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:1: YAML syntax error: `));
  });

  test('fails with a sentence for an empty file, a list, and a missing file', () => {
    expect(problems('')).toEqual(['the file is empty; expected a mapping of settings such as "namespace: observability"']);
    expect(problems('- a\n- b\n')).toEqual(['expected a mapping of settings at the top level, got a list']);
    expect(() => loadConfig('/nonexistent/prod.yaml')).toThrow('/nonexistent/prod.yaml: cannot read the file (it does not exist)');
  });

  test('fails when the file name is not a usable environment name', () => {
    expect(problems(S3, 'Prod_1')).toEqual(['the file name gives the environment name "Prod_1", expected a DNS label (lowercase letters, digits, "-")']);
  });

  test('fails with readable bounds, list positions in brackets and our own type messages', () => {
    expect(problems(`${S3}collector: {sampler: {numTraces: -1}}\nsecurity: {teams: [{group: sre, role: admin}]}\ngrafana: {ports: {http: "3000"}}`)).toEqual([
      'grafana.ports.http: expected a port number 1-65535, got "3000"',
      'collector.sampler.numTraces: expected a number > 0, got -1',
      'security.teams[0].role: expected one of "view", "edit", got "admin"',
    ]);
  });

  test('reports every problem at once', () => {
    expect(problems(`${S3}namespace: X\nsampling: {defaultRate: 2, slowRequestThreshold: soon}`)).toHaveLength(3);
  });
});
