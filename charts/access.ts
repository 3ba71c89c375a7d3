import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { teamBindingName } from '../lib/config/security';

export interface AccessChartProps {
  readonly env: Environment;
}

/**
 * Namespace-level access control (the seed's "RBAC: namespace-level access controls"): each team in
 * `security.teams` gets a RoleBinding in the stack's namespace to Kubernetes' built-in `view` or `edit`
 * ClusterRole, so access is scoped to this namespace and follows upstream's definitions of those roles.
 */
export class AccessChart extends StackChart {
  constructor(scope: Construct, id: string, props: AccessChartProps) {
    super(scope, id, { env: props.env, name: 'access', component: 'security' });
    for (const team of props.env.config.security.teams) {
      const name = teamBindingName(team);
      new k8s.KubeRoleBinding(this, name, {
        metadata: this.meta(name),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: team.role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: team.group }],
      });
    }
  }
}
