// The pod runner's own rules, without building anything: what it refuses, and how Service names resolve.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Run } from '../support/procs';
import { find, loadManifests, REPO_ROOT } from './manifests';
import { Cluster } from './pods';

describe('pod runner', () => {
  const run = new Run('pods');
  afterAll(() => run.stop());
  const objects = loadManifests(path.join(REPO_ROOT, 'dist', 'production'));
  const images = { 'otel/opentelemetry-collector-contrib': { binary: '/bin/true', entrypoint: '/otelcol-contrib' } };

  it('fails when a mounted Secret has no test fixture, naming the workload and the Secret', async () => {
    const cluster = new Cluster(run, objects, {}, images);
    await expect(cluster.start('Deployment', 'otel-sampler', { replicas: 1 })).rejects.toThrow(/Deployment otel-sampler container otelcol mounts Secret observability-tls, which has no test fixture/);
  });

  it('fails when a Service port is not the container port it targets (there is no kube-proxy)', async () => {
    const changed = objects.map((o) => (o.kind === 'Service' && o.metadata.name === 'otel-gateway'
      ? { ...o, spec: { ...o.spec, ports: o.spec.ports.map((p: { name: string; port: number }) => (p.name === 'otlp-grpc' ? { ...p, port: 14317 } : p)) } }
      : o));
    const cluster = new Cluster(run, changed, {}, images);
    await expect(cluster.start('Deployment', 'otel-gateway', { replicas: 1 })).rejects.toThrow(/Service otel-gateway port 14317 targets container port 4317; the runner has no kube-proxy/);
  });

  it('lists a Service under all its DNS names with the IPs of its ready endpoints only', () => {
    const cluster = new Cluster(run, objects, {}, images);
    const labels = cluster.serviceSelector('otel-sampler');
    const a = cluster.addEndpoint('a', '127.9.9.1', labels);
    cluster.addEndpoint('b', '127.9.9.2', labels);
    cluster.setReady(a, false);
    expect(cluster.resolve('otel-sampler')).toEqual(['127.9.9.2']);
    const hosts = fs.readFileSync(path.join(run.dir, 'cluster', 'hosts'), 'utf8');
    expect(hosts).toContain('127.9.9.2 otel-sampler.observability.svc.cluster.local otel-sampler.observability.svc otel-sampler.observability otel-sampler\n');
    expect(hosts).not.toContain('127.9.9.1');
    expect(find(objects, 'Service', 'otel-sampler').spec.clusterIP).toBe('None');
  });
});
