// The data path's programs, built through the Go module proxy and cached (e2e/support/build.ts):
// - the OpenTelemetry Collector, built with the collector's own builder (ocb) at the release of the collector
//   image pinned in lib/images.ts, from exactly the components the rendered collector configs in dist/ use
//   (a new component in a chart is a rebuild, not an edit here);
// - our stand-ins for the AGPL backends (e2e/programs/standins: a Tempo OTLP receiver, an OTLP gRPC sender).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { IMAGES } from '../../lib/images';
import { ensureBuilt, goBuildWrapper, goEnv, goInstall, step } from '../support/build';
import { loadManifests, REPO_ROOT } from './manifests';

/** The collector release, read from the pinned image (`otel/opentelemetry-collector-contrib:0.159.0`). */
export function collectorVersion(): string {
  const tag = IMAGES.otelCollector.split(':')[1];
  if (!/^\d+\.\d+\.\d+$/.test(tag ?? '')) throw new Error(`e2e: lib/images.ts otelCollector tag "${tag}" is not a release version`);
  return tag;
}

type Kind = 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors';
const KINDS: readonly Kind[] = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'];

/**
 * Components living in the core repository (go.opentelemetry.io/collector), by type. Everything else is
 * contrib, whose module path follows one rule: <kind>/<type without underscores><kind singular>
 * (opentelemetry-collector-releases distributions/otelcol-contrib/manifest.yaml).
 */
const CORE: Record<string, string> = {
  'receivers/otlp': 'receiver/otlpreceiver',
  'receivers/nop': 'receiver/nopreceiver',
  // otlp_grpc is the type name since v0.150-ish; `otlp` stays as its deprecated alias (exporter/otlpexporter/factory.go).
  'exporters/otlp': 'exporter/otlpexporter',
  'exporters/otlp_grpc': 'exporter/otlpexporter',
  'exporters/otlphttp': 'exporter/otlphttpexporter',
  'exporters/otlp_http': 'exporter/otlphttpexporter',
  'exporters/debug': 'exporter/debugexporter',
  'exporters/nop': 'exporter/nopexporter',
  'processors/batch': 'processor/batchprocessor',
  'processors/memory_limiter': 'processor/memorylimiterprocessor',
  'extensions/zpages': 'extension/zpagesextension',
  'extensions/memory_limiter': 'extension/memorylimiterextension',
  'connectors/forward': 'connector/forwardconnector',
};

export interface ComponentModule {
  readonly kind: Kind;
  readonly type: string;
  readonly gomod: string;
}

/** The component types used by every collector config rendered under dist/<env>/, mapped to their modules. */
export function collectorComponents(version = collectorVersion()): ComponentModule[] {
  const seen = new Map<string, ComponentModule>();
  const distDir = path.join(REPO_ROOT, 'dist');
  for (const env of fs.readdirSync(distDir).sort()) {
    for (const cfg of collectorConfigs(path.join(distDir, env))) {
      for (const kind of KINDS) {
        for (const id of Object.keys((cfg[kind] as Record<string, unknown> | undefined) ?? {})) {
          const type = id.split('/')[0];
          const key = `${kind}/${type}`;
          if (seen.has(key)) continue;
          const singular = kind.slice(0, -1);
          const core = CORE[key];
          const gomod = core
            ? `go.opentelemetry.io/collector/${core} v${version}`
            : `github.com/open-telemetry/opentelemetry-collector-contrib/${singular}/${type.replace(/_/g, '')}${singular} v${version}`;
          seen.set(key, { kind, type, gomod });
        }
      }
    }
  }
  if (seen.size === 0) throw new Error('e2e: no collector config found under dist/*/ (run npm run synth)');
  return [...seen.values()].sort((a, b) => a.gomod.localeCompare(b.gomod));
}

/** The parsed `config.yaml` of every ConfigMap that holds a collector config (it has service.pipelines). */
export function collectorConfigs(envDir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const o of loadManifests(envDir)) {
    if (o.kind !== 'ConfigMap') continue;
    const text = (o.data as Record<string, string> | undefined)?.['config.yaml'];
    if (!text) continue;
    const cfg = yaml.load(text) as Record<string, unknown>;
    if ((cfg?.service as { pipelines?: unknown } | undefined)?.pipelines) out.push(cfg);
  }
  return out;
}

/** The builder's manifest (cmd/builder/internal/builder/config.go:44-87), components from the rendered configs. */
export function builderManifest(outputPath: string, version = collectorVersion()): string {
  const components = collectorComponents(version);
  const manifest: Record<string, unknown> = {
    dist: {
      module: 'grafana-stack-e2e/otelcol',
      name: 'otelcol',
      description: 'OpenTelemetry Collector with the components the rendered gateway and sampler configs use',
      version,
      output_path: outputPath,
      // The contrib release also sets build_tags: grpcnotrace (distributions/otelcol-contrib/manifest.yaml:1-7),
      // which only leaves gRPC's x/net/trace debug pages out; without it the build shares the Go build cache
      // with the other collector builds here, and nothing the scenarios observe changes.
    },
  };
  for (const kind of KINDS) {
    const mods = [...new Set(components.filter((c) => c.kind === kind).map((c) => c.gomod))];
    if (mods.length) manifest[kind] = mods.map((gomod) => ({ gomod }));
  }
  return yaml.dump(manifest, { lineWidth: -1, sortKeys: false });
}

/** The collector binary, built with ocb at the pinned release (cached by the manifest's text). */
export function buildCollector(): string {
  const version = collectorVersion();
  const builder = goInstall('ocb', 'go.opentelemetry.io/collector/cmd/builder', `v${version}`);
  const placeholder = '@OUT@';
  const manifestTemplate = builderManifest(placeholder, version);
  const dir = ensureBuilt('otelcol', [version, manifestTemplate], (out) => {
    const work = path.join(out, 'src');
    fs.mkdirSync(work);
    const manifestFile = path.join(out, 'manifest.yaml');
    fs.writeFileSync(manifestFile, manifestTemplate.replace(placeholder, work));
    step('otelcol', `ocb v${version} --config manifest.yaml`, builder, ['--config', manifestFile], { cwd: out, env: goEnv({ GOFLAGS: '-pgo=off' }) });
    fs.renameSync(path.join(work, 'otelcol'), path.join(out, 'otelcol'));
    fs.rmSync(work, { recursive: true, force: true });
  });
  return path.join(dir, 'otelcol');
}

/** tempo-standin and otlp-send from e2e/programs/standins. */
export function buildStandins(): { tempo: string; send: string } {
  const dir = goBuildWrapper('standins', ['./tempo-standin', './otlp-send']);
  return { tempo: path.join(dir, 'tempo-standin'), send: path.join(dir, 'otlp-send') };
}
