/**
 * Production on the stores teams run: MinIO over plain HTTP, GCS and Azure with workload identity or a key
 * from a Secret. Each asserts the engine settings both engines read, the pod's credentials wiring and the
 * NetworkPolicy egress (the Kubernetes schemas are checked in done-when.test.ts).
 */
import { anyEnv, AZURE_CLIENT_ID as CLIENT_ID, configMapYaml, envFrom, FEATURE_VARIANTS, findObject, K8sObject, MINIO_ENDPOINT, objects, problems, productionWith, SCALE_OUT_VARIANTS } from './helpers';
import { allowed, podOf } from './support/netpol';
import { isAwsEndpoint } from '../lib/config/object-storage';

const lokiYaml = (m: K8sObject[]) => configMapYaml(m, 'loki', 'loki.yaml');
const tempoYaml = (m: K8sObject[]) => configMapYaml(m, 'tempo', 'tempo.yaml');
const pod = (m: K8sObject[], name: string) => findObject(m, 'StatefulSet', name).spec.template;
const sa = (m: K8sObject[], name: string) => findObject(m, 'ServiceAccount', name);
/** The container's variables that carry or point at object store credentials. */
const credentialEnv = (m: K8sObject[], name: string) => (pod(m, name).spec.containers[0].env ?? []).filter((v: any) => /^(AWS_|AZURE_|GOOGLE_)/.test(v.name));

describe('the S3 endpoint defaults to the regional endpoint of the region given', () => {
  const store = (region: string, endpoint?: string) => ({ bucket: 'bucket-b', s3: { region, ...(endpoint ? { endpoint } : {}), credentials: { secret: 's3-keys' } } });
  test.each([
    ['eu-west-1', 's3.eu-west-1.amazonaws.com'],
    ['ap-southeast-2', 's3.ap-southeast-2.amazonaws.com'],
    // The China partition is under its own domain (AWS general reference, "Amazon S3 endpoints").
    ['cn-north-1', 's3.cn-north-1.amazonaws.com.cn'],
  ])('%s → %s, in both engines, and treated as AWS (dual-stack kept, public egress)', (region, endpoint) => {
    const m = objects(envFrom({ tempo: store(region), loki: store(region) }));
    expect(tempoYaml(m).storage.trace.s3).toMatchObject({ endpoint, region });
    // Loki keeps AWS's dual-stack on AWS (disable_dualstack only for S3-compatible stores).
    expect(lokiYaml(m).common.storage.s3).toEqual({ bucketnames: 'bucket-b', region, endpoint });
    expect(isAwsEndpoint(endpoint)).toBe(true);
  });
  test('an endpoint given is kept as given', () => {
    const m = objects(envFrom({ tempo: store('eu-west-1', 's3.amazonaws.com'), loki: store('eu-west-1', MINIO_ENDPOINT) }));
    expect(tempoYaml(m).storage.trace.s3.endpoint).toBe('s3.amazonaws.com');
    expect(lokiYaml(m).common.storage.s3.endpoint).toBe(MINIO_ENDPOINT);
  });
});

describe('production on MinIO (S3-compatible, plain HTTP, path-style)', () => {
  const m = objects(anyEnv('production-minio'));

  test('Loki: common.storage.s3 with the endpoint, path-style, plain HTTP and no AWS dual-stack; schema and compactor on s3', () => {
    const loki = lokiYaml(m);
    expect(loki.common.storage).toEqual({
      s3: { bucketnames: 'logs', region: 'us-east-1', endpoint: MINIO_ENDPOINT, s3forcepathstyle: true, insecure: true, disable_dualstack: true },
    });
    expect(loki.schema_config.configs.map((c: any) => c.object_store)).toEqual(['s3']);
    expect(loki.compactor.delete_request_store).toBe('s3');
  });

  test('Tempo: storage.trace.s3 with forcepathstyle and insecure', () => {
    expect(tempoYaml(m).storage.trace).toMatchObject({ backend: 's3', s3: { bucket: 'traces', endpoint: MINIO_ENDPOINT, region: 'us-east-1', forcepathstyle: true, insecure: true } });
  });

  test('credentials still come from the Secrets as AWS_* variables (MinIO reads the same)', () => {
    for (const name of ['loki', 'tempo']) {
      const env = pod(m, name).spec.containers[0].env;
      expect(env.find((v: any) => v.name === 'AWS_SECRET_ACCESS_KEY').valueFrom.secretKeyRef.name).toBe(`${name}-s3-credentials`);
    }
  });

  test('egress to the MinIO namespace on 9000 only, not to the internet', () => {
    const minioPod = { namespace: 'storage', labels: { app: 'minio' } };
    for (const name of ['loki', 'tempo']) {
      const p = podOf(findObject(m, 'StatefulSet', name));
      expect(allowed(m, p, minioPod, 9000)).toBe(true);
      expect(allowed(m, p, minioPod, 9001)).toBe(false);
      expect(allowed(m, p, { namespace: '', labels: {}, ip: '52.216.0.10' }, 443)).toBe(false);
    }
  });

});

describe('production on GCS with GKE workload identity', () => {
  const m = objects(anyEnv('production-gcs-wi'));

  test('engines: Loki common.storage.gcs and gcs periods, Tempo backend gcs, no key in either', () => {
    const loki = lokiYaml(m);
    expect(loki.common.storage).toEqual({ gcs: { bucket_name: 'ybuilt-logs' } });
    expect(loki.schema_config.configs.map((c: any) => c.object_store)).toEqual(['gcs']);
    expect(loki.compactor.delete_request_store).toBe('gcs');
    expect(tempoYaml(m).storage.trace).toMatchObject({ backend: 'gcs', gcs: { bucket_name: 'ybuilt-traces' } });
    expect(tempoYaml(m).storage.trace.s3).toBeUndefined();
  });

  test('the ServiceAccounts name the Google service accounts; no AWS or key variables', () => {
    expect(sa(m, 'loki').metadata.annotations?.['iam.gke.io/gcp-service-account']).toBe('loki@ybuilt.iam.gserviceaccount.com');
    expect(sa(m, 'tempo').metadata.annotations?.['iam.gke.io/gcp-service-account']).toBe('tempo@ybuilt.iam.gserviceaccount.com');
    for (const name of ['loki', 'tempo']) expect(credentialEnv(m, name)).toEqual([]);
  });

  test('egress: public addresses on 443 and the GKE metadata server', () => {
    const loki = podOf(findObject(m, 'StatefulSet', 'loki'));
    expect(allowed(m, loki, { namespace: '', labels: {}, ip: '142.250.0.10' }, 443)).toBe(true);
    expect(allowed(m, loki, { namespace: '', labels: {}, ip: '169.254.169.254' }, 80)).toBe(true);
    expect(allowed(m, loki, { namespace: '', labels: {}, ip: '142.250.0.10' }, 80)).toBe(false);
  });

});

describe('production on Azure with workload identity', () => {
  const m = objects(anyEnv('production-azure-wi'));

  test('engines: federated token, the container from bucket, no key', () => {
    expect(lokiYaml(m).common.storage).toEqual({ azure: { account_name: 'ybuiltobs', container_name: 'logs', use_federated_token: true } });
    expect(lokiYaml(m).schema_config.configs.map((c: any) => c.object_store)).toEqual(['azure']);
    expect(tempoYaml(m).storage.trace).toMatchObject({ backend: 'azure', azure: { storage_account_name: 'ybuiltobs', container_name: 'traces', use_federated_token: true } });
  });

  test('the webhook contract: client id on the ServiceAccount, use=true on the pods (not in the selector)', () => {
    for (const name of ['loki', 'tempo']) {
      expect(sa(m, name).metadata.annotations?.['azure.workload.identity/client-id']).toBe(CLIENT_ID);
      expect(pod(m, name).metadata.labels['azure.workload.identity/use']).toBe('true');
      expect(findObject(m, 'StatefulSet', name).spec.selector.matchLabels['azure.workload.identity/use']).toBeUndefined();
      expect(findObject(m, 'StatefulSet', name).spec.template.spec.containers[0].args).not.toContain('-config.expand-env=true');
    }
  });

});

describe('keys from Secrets', () => {
  test('GCS: the JSON key is mounted read-only and named by GOOGLE_APPLICATION_CREDENTIALS', () => {
    const m = objects(productionWith({ loki: { backend: 'gcs', bucket: 'ybuilt-logs', gcs: { keySecret: { name: 'loki-gcs', key: 'key.json' } } } }));
    const spec = pod(m, 'loki').spec;
    const env = spec.containers[0].env.find((v: any) => v.name === 'GOOGLE_APPLICATION_CREDENTIALS').value;
    const mount = spec.containers[0].volumeMounts.find((v: any) => env.startsWith(`${v.mountPath}/`));
    expect(mount.readOnly).toBe(true);
    const volume = spec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).toBe('loki-gcs');
    expect(volume.secret.items).toEqual([{ key: 'key.json', path: env.slice(mount.mountPath.length + 1) }]);
    expect(sa(m, 'loki').metadata.annotations?.['iam.gke.io/gcp-service-account']).toBeUndefined();
  });

  test('Azure: AZURE_STORAGE_KEY from the Secret; Loki expands it into account_key, Tempo reads it itself', () => {
    const key = { name: 'azure-storage', key: 'account-key' };
    const m = objects(
      productionWith({
        tempo: { backend: 'azure', bucket: 'traces', azure: { accountName: 'ybuiltobs', accountKeySecret: key } },
        loki: { backend: 'azure', bucket: 'logs', azure: { accountName: 'ybuiltobs', accountKeySecret: key } },
      }),
    );
    for (const name of ['loki', 'tempo']) {
      expect(credentialEnv(m, name)).toEqual([{ name: 'AZURE_STORAGE_KEY', valueFrom: { secretKeyRef: key } }]);
    }
    expect(lokiYaml(m).common.storage.azure.account_key).toBe('${AZURE_STORAGE_KEY}');
    expect(pod(m, 'loki').spec.containers[0].args).toContain('-config.expand-env=true');
    expect(tempoYaml(m).storage.trace.azure.storage_account_key).toBeUndefined();
  });

  test('nothing secret is rendered: no Secret objects, no key material in any config', () => {
    const m = objects(productionWith({ loki: { backend: 'azure', bucket: 'logs', azure: { accountName: 'ybuiltobs', accountKeySecret: { name: 'a', key: 'b' } } } }));
    expect(m.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('plain HTTP is stated twice outside dev', () => {
  const MINIO = `loki: {backend: filesystem}\ntempo: {bucket: traces, s3: {endpoint: "${MINIO_ENDPOINT}", insecure: true, credentials: {secret: s}}}`;

  test('fails in production with insecure alone', () => {
    expect(problems(MINIO, 'production')).toEqual([
      `tempo.s3.insecureEndpoint: missing, expected "${MINIO_ENDPOINT}" (s3.insecure sends object data and credentials over plain HTTP; outside dev, repeat the endpoint here to confirm)`,
    ]);
  });

  test('fails when the confirmation names another endpoint', () => {
    const yaml = MINIO.replace('insecure: true', 'insecure: true, insecureEndpoint: "minio.old.svc:9000"');
    expect(problems(yaml, 'staging')).toEqual([
      `tempo.s3.insecureEndpoint: got "minio.old.svc:9000", expected "${MINIO_ENDPOINT}" (s3.insecure sends object data and credentials over plain HTTP; outside dev, repeat the endpoint here to confirm)`,
    ]);
  });

  test('fails when a confirmation is given without insecure', () => {
    expect(problems(MINIO.replace('insecure: true', `insecureEndpoint: "${MINIO_ENDPOINT}"`), 'dev')).toEqual([
      `tempo.s3.insecureEndpoint: expected no insecureEndpoint when s3.insecure is false, got "${MINIO_ENDPOINT}"`,
    ]);
  });

  test('dev accepts insecure alone; egress then defaults to port 80 for an endpoint without a port', () => {
    const m = objects(envFrom(MINIO.replace(`"${MINIO_ENDPOINT}"`, 'minio.storage.svc'), 'dev'));
    const tempo = podOf(findObject(m, 'StatefulSet', 'tempo'));
    expect(allowed(m, tempo, { namespace: 'storage', labels: {} }, 80)).toBe(true);
  });
});

describe('object storage validation', () => {
  test('fails when GCS has neither or both credentials, and on a bad bucket name', () => {
    expect(problems('loki: {backend: filesystem}\ntempo: {backend: gcs, bucket: Traces}')).toEqual([
      'tempo.bucket: expected a GCS bucket name (3-63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit, no "goog" prefix and no "google"), got "Traces"',
      'tempo.gcs: expected exactly one of gcs.serviceAccount (GKE workload identity) or gcs.keySecret (a JSON key in a Secret) when backend is gcs, got 0',
    ]);
    expect(problems('loki: {backend: filesystem}\ntempo: {backend: gcs, bucket: my_traces, gcs: {serviceAccount: t@p.iam.gserviceaccount.com, keySecret: {name: a, key: b}}}')).toEqual([
      'tempo.gcs: expected exactly one of gcs.serviceAccount (GKE workload identity) or gcs.keySecret (a JSON key in a Secret) when backend is gcs, got 2',
    ]);
  });

  test('fails when Azure misses the account or names a bad container or client id', () => {
    expect(problems('tempo: {backend: filesystem}\nloki: {backend: azure, bucket: logs, azure: {accountName: ybuilt, clientId: not-a-guid}}')).toEqual([
      'loki.azure.clientId: expected a client id (a GUID like "00000000-0000-0000-0000-000000000000"), got "not-a-guid"',
    ]);
    expect(problems(`tempo: {backend: filesystem}\nloki: {backend: azure, bucket: "a--b", azure: {clientId: "${CLIENT_ID}"}}`)).toEqual([
      'loki.bucket: expected an Azure container name (3-63 lowercase letters, digits and single "-", starting and ending with a letter or digit), got "a--b"',
      'loki.azure.accountName: missing, expected the storage account name when backend is azure',
    ]);
  });

  test('fails when an account key is written in plain text', () => {
    expect(problems('tempo: {backend: filesystem}\nloki: {backend: azure, bucket: logs, azure: {accountName: ybuilt, accountKey: abc}}')).toContain(
      'loki.azure.accountKey: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: a reference to an existing Kubernetes Secret',
    );
  });

  test('fails when a bucket controller is chosen for a GCS or Azure bucket (it would silently manage nothing)', () => {
    expect(problems('bucketLifecycle: {controller: crossplane}\nloki: {backend: filesystem}\ntempo: {backend: gcs, bucket: traces, gcs: {serviceAccount: t@p.iam.gserviceaccount.com}}')).toEqual([
      'bucketLifecycle.controller: expected "none" when tempo.backend is gcs (crossplane manages S3 buckets only; set the rule in README "Retention tiers" on the bucket), got "crossplane"',
    ]);
  });
});

describe('distributed engines: every engine workload gets the store wiring and the tenants file', () => {
  const d = SCALE_OUT_VARIANTS['production-distributed'] as any;
  const az = FEATURE_VARIANTS['production-azure-wi'] as any;
  const tenants = FEATURE_VARIANTS['production-tenants'] as any;
  const m = objects(productionWith({ loki: { ...d.loki, ...az.loki, ...tenants.loki }, tempo: { ...d.tempo, ...az.tempo, ...tenants.tempo } }));
  // Engine workloads, not their memcached caches (which never touch the bucket).
  const engines = m.filter((o) => ['StatefulSet', 'Deployment'].includes(o.kind) && /^(loki|tempo)-/.test(o.metadata.name) && !/cache|memcached/.test(o.metadata.name));

  test('each has the workload identity label and a ServiceAccount naming the client id', () => {
    expect(engines.length).toBeGreaterThan(10);
    for (const w of engines) {
      const where = `${w.kind}/${w.metadata.name}`;
      expect(`${where} ${w.spec.template.metadata.labels['azure.workload.identity/use']}`).toBe(`${where} true`);
      const account = findObject(m, 'ServiceAccount', w.spec.template.spec.serviceAccountName);
      expect(`${where} ${account.metadata.annotations?.['azure.workload.identity/client-id']}`).toBe(`${where} ${CLIENT_ID}`);
    }
  });

  test('each mounts its engine\'s runtime overrides file where the shared config points', () => {
    const files = { loki: configMapYaml(m, 'loki', 'loki.yaml').runtime_config.file, tempo: configMapYaml(m, 'tempo', 'tempo.yaml').overrides.per_tenant_override_config };
    for (const w of engines) {
      const file = files[w.metadata.name.startsWith('loki') ? 'loki' : 'tempo'];
      const mounts = w.spec.template.spec.containers[0].volumeMounts.map((v: any) => v.mountPath);
      expect(`${w.metadata.name}: ${mounts.includes(file.slice(0, file.lastIndexOf('/')))}`).toBe(`${w.metadata.name}: true`);
    }
  });
});
