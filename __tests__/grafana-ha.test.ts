/**
 * Grafana's shared state: secret_key from a Secret everywhere, and several replicas on one PostgreSQL with
 * unified alerting gossip between them.
 */
import { anyEnv, ENVIRONMENTS, env, findObject, K8sObject, objects, problems, productionWith } from './helpers';
import { allowed, podOf } from './support/netpol';

const container = (m: K8sObject[]) => findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0];
const envVar = (m: K8sObject[], name: string) => container(m).env.find((v: any) => v.name === name);

test.each(ENVIRONMENTS)('%s: secret_key comes from the grafana-secret-key Secret, never Grafana\'s public default', (name) => {
  const m = objects(env(name));
  expect(envVar(m, 'GF_SECURITY_SECRET_KEY')).toEqual({ name: 'GF_SECURITY_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'grafana-secret-key', key: 'secret-key' } } });
});

describe('production with grafana.replicas 2 on PostgreSQL', () => {
  const e = anyEnv('production-grafana-ha');
  const m = objects(e);
  const deployment = findObject(m, 'Deployment', 'grafana');
  const pod = deployment.spec.template.spec;
  const ns = e.config.namespace;

  test('the [database] settings reach Grafana, the password from its Secret', () => {
    const values = Object.fromEntries(container(m).env.filter((v: any) => v.name.startsWith('GF_DATABASE_')).map((v: any) => [v.name, v.value ?? v.valueFrom]));
    expect(values).toEqual({
      GF_DATABASE_TYPE: 'postgres',
      // Grafana's driver would add 5432 too; writing it keeps the NetworkPolicy port and the setting one value.
      GF_DATABASE_HOST: 'grafana-pg.databases.svc.cluster.local:5432',
      GF_DATABASE_NAME: 'grafana',
      GF_DATABASE_USER: 'grafana',
      GF_DATABASE_PASSWORD: { secretKeyRef: { name: 'grafana-db', key: 'password' } },
      GF_DATABASE_SSL_MODE: 'verify-full',
      GF_DATABASE_CA_CERT_PATH: '/etc/grafana/database-ca/ca.crt',
    });
  });

  test('verify-full reads its CA from the referenced Secret key, at the path Grafana is given', () => {
    // Walk the path: the file named by GF_DATABASE_CA_CERT_PATH lies in a read-only mount whose volume projects
    // exactly the referenced key to that file name.
    const path = envVar(m, 'GF_DATABASE_CA_CERT_PATH').value as string;
    const mount = container(m).volumeMounts.find((v: any) => path.startsWith(`${v.mountPath}/`));
    expect(mount.readOnly).toBe(true);
    expect(mount.subPath).toBeUndefined();
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).toBe('grafana-db-ca');
    expect(volume.secret.items).toEqual([{ key: 'ca.crt', path: path.slice(mount.mountPath.length + 1) }]);
  });

  test('two replicas, rolling one at a time, data on an emptyDir and no PVC', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const data = pod.volumes.find((v: any) => v.name === 'data');
    expect(data.emptyDir).toBeDefined();
    expect(m.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'grafana')).toEqual([]);
  });

  test('unified alerting HA: peers through a headless Service on 9094 TCP and UDP, each pod advertising its own IP', () => {
    const svc = findObject(m, 'Service', 'grafana-alerting');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    expect(svc.spec.selector).toEqual(findObject(m, 'Service', 'grafana').spec.selector);
    expect(svc.spec.ports).toEqual([
      { name: 'gossip-tcp', port: 9094, targetPort: 'gossip-tcp', protocol: 'TCP' },
      { name: 'gossip-udp', port: 9094, targetPort: 'gossip-udp', protocol: 'UDP' },
    ]);
    expect(container(m).ports).toEqual(expect.arrayContaining([
      { name: 'gossip-tcp', containerPort: 9094, protocol: 'TCP' },
      { name: 'gossip-udp', containerPort: 9094, protocol: 'UDP' },
    ]));
    expect(envVar(m, 'GF_UNIFIED_ALERTING_HA_PEERS').value).toBe(`grafana-alerting.${ns}.svc.cluster.local:9094`);
    expect(envVar(m, 'GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS').value).toBe('$(POD_IP):9094');
    // The kubelet expands $(POD_IP) only from a variable defined earlier in the list.
    const names = container(m).env.map((v: any) => v.name);
    expect(names.indexOf('POD_IP')).toBeLessThan(names.indexOf('GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS'));
    expect(envVar(m, 'POD_IP').valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
  });

  test('a PodDisruptionBudget keeps one replica up, and replicas spread over nodes and zones', () => {
    const pdb = findObject(m, 'PodDisruptionBudget', 'grafana');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v)).toBe(true);
    expect(pod.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
  });

  test('NetworkPolicies: replicas gossip with each other on 9094 TCP and UDP and reach the database; others cannot gossip', () => {
    const grafana = podOf(deployment);
    expect(allowed(m, grafana, grafana, 9094, 'TCP')).toBe(true);
    expect(allowed(m, grafana, grafana, 9094, 'UDP')).toBe(true);
    expect(allowed(m, podOf(findObject(m, 'StatefulSet', 'loki')), grafana, 9094, 'TCP')).toBe(false);
    const postgres = { namespace: 'databases', labels: { app: 'postgres' } };
    expect(allowed(m, grafana, postgres, 5432)).toBe(true);
    expect(allowed(m, grafana, postgres, 5433)).toBe(false);
    expect(allowed(m, grafana, { namespace: 'other', labels: {} }, 5432)).toBe(false);
  });

});

describe('Grafana shared state, other cases', () => {
  test('a database outside the cluster: egress on its port to any address (its IPs are not known at synth time)', () => {
    const m = objects(productionWith({ grafana: { database: { type: 'mysql', host: 'grafana.abc123.eu-west-1.rds.amazonaws.com', passwordSecret: { name: 'grafana-db', key: 'password' } } } }));
    expect(envVar(m, 'GF_DATABASE_HOST').value).toBe('grafana.abc123.eu-west-1.rds.amazonaws.com:3306');
    expect(envVar(m, 'GF_DATABASE_SSL_MODE').value).toBe('true');
    const grafana = podOf(findObject(m, 'Deployment', 'grafana'));
    expect(allowed(m, grafana, { namespace: '', labels: {}, ip: '10.1.2.3' }, 3306)).toBe(true);
    // One replica on a database: no gossip Service, no PDB.
    expect(m.some((o) => o.kind === 'Service' && o.metadata.name === 'grafana-alerting')).toBe(false);
    expect(m.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'grafana')).toBe(false);
  });

  test('fails when more than one replica has no database', () => {
    expect(problems('grafana: {replicas: 3}')).toContain(
      'grafana.replicas: expected 1 without grafana.database (SQLite on a ReadWriteOnce volume serves one pod), got 3; set grafana.database to a PostgreSQL or MySQL server to run more',
    );
  });

  test('fails when the database password is written in plain text', () => {
    expect(problems('grafana: {database: {type: postgres, host: pg.example.org, password: hunter2, passwordSecret: {name: a, key: b}}}')).toContain(
      'grafana.database.password: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: a reference to an existing Kubernetes Secret',
    );
  });

  test('a CA from a ConfigMap key is mounted from that ConfigMap', () => {
    const m = objects(productionWith({ grafana: { database: { type: 'postgres', host: 'pg.example.org', passwordSecret: { name: 'grafana-db', key: 'password' }, sslMode: 'verify-ca', caCert: { configMap: { name: 'rds-ca', key: 'bundle.pem' } } } } }));
    const volume = findObject(m, 'Deployment', 'grafana').spec.template.spec.volumes.find((v: any) => v.name === 'database-ca');
    expect(volume.configMap).toEqual({ name: 'rds-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] });
    expect(envVar(m, 'GF_DATABASE_CA_CERT_PATH').value).toBe('/etc/grafana/database-ca/ca.crt');
  });

  test('fails when sslMode verify-full or verify-ca has no CA, naming the key', () => {
    for (const mode of ['verify-full', 'verify-ca']) {
      expect(problems(`grafana: {database: {type: postgres, host: pg.example.org, passwordSecret: {name: a, key: b}, sslMode: ${mode}}}`).filter((p) => p.startsWith('grafana.'))).toEqual([
        `grafana.database.caCert: missing, expected the CA that signed the database server certificate ({secret: {name, key}} or {configMap: {name, key}}) with sslMode ${mode}: without it Grafana has no root certificate to verify against and cannot connect`,
      ]);
    }
  });

  test('fails when the CA reference names both or neither source, or a mode that never reads it', () => {
    const db = (ca: string, mode = 'verify-full') => `grafana: {database: {type: postgres, host: pg.example.org, passwordSecret: {name: a, key: b}, sslMode: ${mode}, caCert: ${ca}}}`;
    const grafanaProblems = (yaml: string) => problems(yaml).filter((p) => p.startsWith('grafana.'));
    expect(grafanaProblems(db('{secret: {name: a, key: b}, configMap: {name: c, key: d}}'))).toEqual(['grafana.database.caCert: expected exactly one of secret or configMap, got both']);
    expect(problems(db('{}'))).toContain('grafana.database.caCert: expected exactly one of secret or configMap, got neither');
    expect(grafanaProblems(db('{secret: {name: a, key: b}}', 'disable'))).toEqual(['grafana.database.caCert: expected no caCert with sslMode disable (Grafana reads the CA only with "verify-ca", "verify-full", "true"), got a caCert']);
  });

  test('fails when the database type or host is wrong', () => {
    const p = problems('grafana: {database: {type: sqlite3, host: pg}}');
    expect(p).toContain('grafana.database.type: expected one of "postgres", "mysql", got "sqlite3"');
    expect(problems('grafana: {database: {type: postgres, host: "postgres://pg:5432", passwordSecret: {name: a, key: b}}}')).toContain(
      'grafana.database.host: expected a host name with an optional port like "grafana-pg.databases.svc.cluster.local:5432" (no scheme), got "postgres://pg:5432"',
    );
  });
});
