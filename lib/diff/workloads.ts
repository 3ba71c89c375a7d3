/**
 * Class-3 rules about workloads rather than engine config: a stateful workload or PVC removed (mode switches), a
 * namespace removed, Grafana's database changed, Kafka partitions no longer written or consumed.
 */
import { LOKI_CONFIG_KEY } from '../loki/config';
import { TEMPO_CONFIG_KEY } from '../tempo/config';
import { appName, engine, engineFile, ns, risk } from './engine-files';
import { Finding, K8sObject, objectKey } from './types';

/** The container port named `http` of a workload (Services and probes use the same one). */
function httpPort(o: K8sObject): number | undefined {
  for (const c of o.spec?.template?.spec?.containers ?? []) {
    const p = (c.ports ?? []).find((x: { name?: string }) => x.name === 'http');
    if (p) return Number(p.containerPort);
  }
  return undefined;
}

/**
 * How to get what a stateful engine pod holds only locally into the object store before the pod goes. Through a
 * port-forward with curl on the operator's machine, so nothing depends on tools inside the image.
 * - Loki: `POST /flush` writes every ingester's in-memory chunks to the store (grafana/loki v3.7.6
 *   pkg/loki/modules.go initIngester registers it on the HTTP server, without the tenant middleware); the gauge
 *   loki_ingester_memory_chunks (pkg/ingester/metrics.go) reaches 0 when nothing is left in memory.
 * - Tempo 3 has no flush endpoint (cmd/tempo/app/modules.go v3.0.3 registers only /live-store/prepare-*); a
 *   live-store completes a block after max_block_duration and its lifecycle writes it to the backend, while on
 *   shutdown it only cuts traces to the WAL on its volume (modules/livestore/live_store.go stopping). So: stop
 *   the writers and wait out max_block_duration.
 */
function flushProcedure(o: K8sObject, replicas: number, objs: K8sObject[]): string[] {
  const app = engine(o);
  const pods = Array.from({ length: Math.max(1, replicas) }, (_, i) => `${o.metadata.name}-${i}`);
  if (app === 'loki') {
    const doc = engineFile(objs, 'loki', LOKI_CONFIG_KEY)?.doc;
    const port = httpPort(o) ?? doc?.server?.http_listen_port;
    const tls = Boolean(doc?.server?.http_tls_config);
    return [
      ...pods.map((p) => `kubectl${ns(o)} port-forward pod/${p} ${port}:${port}, and meanwhile: curl ${tls ? '-k ' : ''}-X POST ${tls ? 'https' : 'http'}://localhost:${port}/flush   (Loki writes its in-memory chunks to the object store${tls ? '; -k because the certificate names the Service, not localhost' : ''})`),
      `wait until loki_ingester_memory_chunks is 0 for ${pods.length > 1 ? 'each of these pods' : 'the pod'}, then sync`,
      ...(doc?.common?.storage?.filesystem ? [`backend: filesystem keeps the chunks themselves on these PVCs: copy /var/loki out first (kubectl cp ${pods[0]}:/var/loki ./loki-data${ns(o) ? ` -n ${o.metadata.namespace}` : ''}), or stay on the current mode`] : []),
    ];
  }
  if (app === 'tempo') {
    const doc = engineFile(objs, 'tempo', TEMPO_CONFIG_KEY)?.doc;
    const blockDuration = doc?.live_store?.max_block_duration ?? doc?.ingester?.max_block_duration ?? '5m';
    const gateway = objs.find((x) => x.kind === 'Deployment' && /gateway$/.test(x.metadata.name) && x.metadata.namespace === o.metadata.namespace);
    return [
      gateway
        ? `stop new traces: kubectl${ns(gateway)} scale deployment ${gateway.metadata.name} --replicas=0 (senders retry or drop meanwhile), or accept losing the last ${blockDuration} of traces`
        : `stop the writers, or accept losing the last ${blockDuration} of traces`,
      `wait ${blockDuration} plus a minute: Tempo completes its open blocks and writes them to the backend (on shutdown it only writes them to the WAL on its volume)`,
      ...(doc?.storage?.trace?.backend === 'local' ? [`backend: filesystem keeps the blocks themselves on these PVCs: copy /var/tempo out first (kubectl cp ${pods[0]}:/var/tempo ./tempo-data${ns(o) ? ` -n ${o.metadata.namespace}` : ''}), or stay on the current mode`] : []),
      `sync${gateway ? `, then scale ${gateway.metadata.name} back` : ''}`,
    ];
  }
  return [`copy what the pods keep on their volumes (kubectl cp) before syncing, or keep the workload`];
}

/** The `-target=` a Loki or Tempo container runs (`all` for the single binary). */
function targetOf(o: K8sObject): string | undefined {
  for (const c of o.spec?.template?.spec?.containers ?? []) {
    for (const arg of c.args ?? []) {
      const m = /^-target=(.+)$/.exec(String(arg));
      if (m) return m[1];
    }
  }
  return undefined;
}

/**
 * Whether a workload's volumes hold data found nowhere else. Loki: the single binary and ingesters (WAL, chunks
 * not yet flushed); an index gateway's or compactor's volume is cache and work space rebuilt from the store. Tempo:
 * the single binary (its live-store writes pushed traces only to its own WAL until a block completes); in
 * distributed mode every record is in Kafka until the block-builders flush it (lost only when Kafka partitions stop
 * being consumed: kafkaFindings), so a live-store's or block-builder's volume is not the only copy.
 * Anything else with volume claims is treated as holding data.
 */
function holdsOnlyCopy(o: K8sObject): boolean {
  const app = engine(o);
  const target = targetOf(o);
  if (app === 'loki') return target === undefined || target === 'all' || target.split(',').includes('ingester') || target === 'write';
  if (app === 'tempo') return target === undefined || target === 'all';
  return true;
}

export function removedStateFindings(before: K8sObject[], after: K8sObject[], afterKeys: Set<string>): Finding[] {
  const out: Finding[] = [];
  for (const o of before) {
    if (afterKeys.has(objectKey(o))) continue;
    const movedTo = after.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && x.metadata.namespace !== o.metadata.namespace);
    if (o.kind === 'StatefulSet' && (o.spec?.volumeClaimTemplates ?? []).length && holdsOnlyCopy(o)) {
      const claims = (o.spec.volumeClaimTemplates as K8sObject[]).map((t) => `${t.metadata.name}-${o.metadata.name}-<n>`).join(', ');
      const successor = after.filter((x) => x.kind === 'StatefulSet' && engine(x) === engine(o) && x.metadata.name !== o.metadata.name && !before.some((y) => objectKey(y) === objectKey(x))).map((x) => x.metadata.name);
      out.push(
        risk(objectKey(o), '(object)', `${movedTo ? `moves to namespace ${movedTo.metadata.namespace}` : 'is removed'}${successor.length ? ` (${successor.join(', ')} take${successor.length === 1 ? 's' : ''} over)` : ''}: Argo CD or Flux delete it and its pods; its PVCs (${claims}) stay behind unread, so what is only on them (write-ahead log, blocks not yet flushed, local index${appName(o) === 'grafana' ? ', the database' : ''}) is lost to the new pods`, flushProcedure(o, Number(o.spec?.replicas ?? 1), before)),
      );
    } else if (o.kind === 'PersistentVolumeClaim') {
      out.push(
        risk(objectKey(o), '(object)', `the PVC ${movedTo ? `moves to namespace ${movedTo.metadata.namespace}` : 'is removed'}: pruning deletes it, and with the usual reclaim policy Delete its volume and everything on it${appName(o) === 'grafana' ? ' (Grafana\'s SQLite database: users, dashboards saved in the UI, alert rules, API keys)' : ''}`, [
          `kubectl get pv $(kubectl${ns(o)} get pvc ${o.metadata.name} -o jsonpath='{.spec.volumeName}') -o jsonpath='{.spec.persistentVolumeReclaimPolicy}'; if it says Delete: kubectl patch pv <that volume> -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
          `copy the data where it goes next (kubectl cp from a pod that mounts it), then sync`,
        ]),
      );
    }
  }
  return out;
}

export function namespaceFindings(before: K8sObject[], afterKeys: Set<string>): Finding[] {
  const findings: Finding[] = [];
  for (const n of before.filter((o) => o.kind === 'Namespace' && !afterKeys.has(objectKey(o)))) {
    const name = n.metadata.name;
    const stateful = before.filter((o) => o.metadata.namespace === name && (o.kind === 'PersistentVolumeClaim' || (o.kind === 'StatefulSet' && (o.spec?.volumeClaimTemplates ?? []).length)));
    findings.push(
      risk(objectKey(n), '(object)', `namespace ${name} is removed (moved): pruning it deletes every object in it, PVCs included${stateful.length ? ` (${stateful.map(objectKey).join(', ')})` : ''}, and the Secrets you created there (object-store credentials, Grafana's admin password and secret key); the new namespace starts with empty volumes and without those Secrets`, [
        `create the Secrets the stack reads in the new namespace first (kubectl get secret <name> -n ${name} -o yaml, edit the namespace, apply)`,
        `for each PV bound in ${name}: kubectl patch pv <volume> -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
        `flush Loki and let Tempo complete its blocks, so nothing is only on their volumes (the commands are listed with their StatefulSets)`,
        `sync with pruning off (Argo CD: --prune=false; Flux: prune: false on the Kustomization) so ${name} survives, move or copy what the volumes hold, then delete ${name} by hand`,
      ]),
    );
  }
  return findings;
}

const GRAFANA_DB_ENV = ['GF_DATABASE_TYPE', 'GF_DATABASE_HOST', 'GF_DATABASE_NAME'];

function grafanaDatabase(objs: K8sObject[]): { deployment: K8sObject; db: string } | undefined {
  const d = objs.find((o) => o.kind === 'Deployment' && engine(o) === 'grafana');
  const c = (d?.spec?.template?.spec?.containers ?? []).find((x: { name: string }) => x.name === 'grafana');
  if (!d || !c) return undefined;
  const env = new Map<string, string>((c.env ?? []).filter((e: { value?: string }) => typeof e.value === 'string').map((e: { name: string; value: string }) => [e.name, e.value]));
  const type = env.get('GF_DATABASE_TYPE') ?? 'sqlite3';
  return { deployment: d, db: type === 'sqlite3' ? 'SQLite on its PVC' : `${type} ${env.get('GF_DATABASE_NAME') ?? 'grafana'} on ${env.get('GF_DATABASE_HOST') ?? '(default host)'}` };
}

export function grafanaFindings(before: K8sObject[], after: K8sObject[]): Finding[] {
  const a = grafanaDatabase(before);
  const b = grafanaDatabase(after);
  if (!a || !b || a.db === b.db) return [];
  const d = b.deployment;
  return [
    risk(objectKey(d), `spec.template.spec.containers[grafana].env[${GRAFANA_DB_ENV.join('|')}]`, `Grafana's database changes from ${a.db} to ${b.db}: Grafana starts on an empty database and nothing is migrated: every user, team, dashboard saved in the UI, folder permission, alert rule, contact point and API key stays behind (provisioned datasources and dashboards come back from dist/)`, [
      `kubectl${ns(d)} scale deployment ${d.metadata.name} --replicas=0`,
      a.db.startsWith('SQLite')
        ? `copy /var/lib/grafana/grafana.db out of the PVC and load it into the new database (pgloader for PostgreSQL, or a SQLite-to-MySQL migration tool) before Grafana first starts on it`
        : `dump the old database and restore it into the new one (pg_dump | pg_restore, mysqldump | mysql)`,
      `then sync; keep the old database (and the grafana PVC) until users, dashboards and alert rules are checked`,
    ]),
  ];
}

/**
 * The Kafka partitions that hold Tempo's data: one per live-store ordinal (distributors write only to partitions a
 * live-store owns), and the ones the block-builders consume: ordinal k takes k·P … k·P+P-1
 * (tempo modules/blockbuilder/config.go, P = block_builder.partitions_per_instance).
 */
function partitions(objs: K8sObject[]): { written: number; consumed: number; builders?: K8sObject; liveStores: K8sObject[]; perInstance: number } | undefined {
  const tempo = engineFile(objs, 'tempo', TEMPO_CONFIG_KEY)?.doc;
  const perInstance = Number(tempo?.block_builder?.partitions_per_instance);
  const statefulSets = objs.filter((o) => o.kind === 'StatefulSet' && engine(o) === 'tempo');
  const builders = statefulSets.find((o) => o.metadata.name.endsWith('block-builder'));
  const liveStores = statefulSets.filter((o) => o.metadata.name.includes('live-store'));
  if (!builders || !perInstance || !liveStores.length) return undefined;
  return { written: Math.max(...liveStores.map((o) => Number(o.spec?.replicas ?? 1))), consumed: perInstance * Number(builders.spec?.replicas ?? 1), builders, liveStores, perInstance };
}

export function kafkaFindings(before: K8sObject[], after: K8sObject[]): Finding[] {
  const a = partitions(before);
  const b = partitions(after);
  if (a && !b && a.builders && !after.some((o) => objectKey(o) === objectKey(a.builders!))) {
    return [
      risk(objectKey(a.builders), '(object)', `Tempo leaves Kafka: the block-builders go, so records in partitions 0-${a.written - 1} that are not yet in blocks are never written to the backend`, [
        `stop the distributors writing (scale them to 0) and wait until the block-builders have consumed every partition to the end (their consumer-group lag is 0)`,
        `then sync`,
      ]),
    ];
  }
  if (!a || !b) return [];
  const out: Finding[] = [];
  const lag = 'until the block-builders have consumed those partitions to the end (their consumer-group lag on them is 0)';
  if (b.written < a.written) {
    const gone = `${b.written}-${a.written - 1}`;
    out.push(
      risk(objectKey(b.liveStores[0]), 'spec.replicas', `Tempo writes to fewer Kafka partitions: live-stores own partitions 0-${b.written - 1} per zone instead of 0-${a.written - 1}. Removing the live-stores of partitions ${gone} without marking them INACTIVE first leaves them in the partition ring with no owner (recent-data queries fail) and their recent traces unreadable until flushed`, [
        ...a.liveStores.map((s) => `for each pod ${s.metadata.name}-<p>, p in ${gone}: kubectl${ns(s)} exec ${s.metadata.name}-<p> -- wget -qO- --post-data='' http://localhost:3200/live-store/prepare-partition-downscale`),
        `wait ${lag}`,
        `then sync; Kafka keeps the partitions (a topic never loses partitions), they just stay unused`,
      ]),
    );
  }
  if (b.consumed < a.written) {
    out.push(
      risk(objectKey(b.builders!), 'spec.replicas × block_builder.partitions_per_instance', `Tempo's block-builders consume partitions 0-${b.consumed - 1} instead of 0-${Math.max(a.consumed, a.written) - 1} (${b.builders!.spec?.replicas ?? 1} × ${b.perInstance}): records in partitions ${b.consumed}-${a.written - 1} that are not yet in blocks never reach the backend and are gone when Kafka's retention drops them`, [
        `keep the block-builders covering every partition a live-store owns (replicas × partitions_per_instance ≥ live-stores per zone)`,
        `to retire partitions: mark them INACTIVE first (POST /live-store/prepare-partition-downscale on their live-stores) and wait ${lag}, then sync`,
      ]),
    );
  }
  return out;
}

