/**
 * Production with each configuration the stores/HA/tenants issue names (and the key-from-Secret forms) passes
 * the Kubernetes 1.27 and 1.34 schemas with unknown fields as errors. One validator run per release for all
 * of them: each run starts a Node process that loads the schema models. The engine settings each one renders
 * are asserted in object-storage, grafana-ha and tenants tests; the policy suite runs over them too.
 */
import { K8sObject, objects } from './helpers';
import { DONE_WHEN, productionWith, schemaProblems } from './support/variants';

const KEYS_FROM_SECRETS = {
  'GCS key file': { loki: { backend: 'gcs', bucket: 'ybuilt-logs', gcs: { keySecret: { name: 'loki-gcs', key: 'key.json' } } } },
  'Azure account key': {
    tempo: { backend: 'azure', bucket: 'traces', azure: { accountName: 'ybuiltobs', accountKeySecret: { name: 'azure-storage', key: 'account-key' } } },
    loki: { backend: 'azure', bucket: 'logs', azure: { accountName: 'ybuiltobs', accountKeySecret: { name: 'azure-storage', key: 'account-key' } } },
  },
};

test('production with each configuration passes the Kubernetes schemas', () => {
  const all: K8sObject[] = Object.entries({ ...DONE_WHEN, ...KEYS_FROM_SECRETS }).flatMap(([variant, overlay]) =>
    // The variant in an annotation, so a problem report says which configuration produced the object.
    objects(productionWith(overlay)).map((o) => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'test/variant': variant } } })),
  );
  expect(schemaProblems(all)).toEqual([]);
});
