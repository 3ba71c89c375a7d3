/**
 * Bucket versioning and lifecycle rules for the archive (Tempo) and cold (Loki) tiers, emitted as objects of
 * the bucket controller chosen in `bucketLifecycle.controller`, so GitOps applies them with everything else.
 *
 * The model: Tempo and Loki delete objects when their retention ends. With versioning on, a delete only
 * makes the object *noncurrent*; the rules below keep noncurrent versions out of the application's sight for
 * the rest of the archive/cold window (optionally moved to Glacier, which Loki and Tempo cannot read, which is
 * why only noncurrent versions move), then expire them and the leftover delete markers.
 *
 * - `ack`: AWS Controllers for Kubernetes, `s3.services.k8s.aws/v1alpha1` Bucket, adopting the existing bucket
 *   (`services.k8s.aws/adoption-policy: adopt`) and never deleting it (`services.k8s.aws/deletion-policy: retain`).
 *   https://aws-controllers-k8s.github.io/community/reference/s3/v1alpha1/bucket/
 * - `crossplane`: Upbound provider-aws-s3 `s3.aws.upbound.io/v1beta1` BucketVersioning and
 *   BucketLifecycleConfiguration on the bucket by name, `deletionPolicy: Orphan` (deleting the object leaves the
 *   bucket's settings). https://marketplace.upbound.io/providers/upbound/provider-aws-s3/
 * - `none`: nothing is emitted; the operator applies the equivalent rule (README, "Retention tiers").
 */
import { ApiObject } from 'cdk8s';
import { StackChart } from './chart';
import { NoncurrentRules } from '../lifecycle';

export type BucketController = 'none' | 'ack' | 'crossplane';

export interface BucketLifecycleProps {
  /** Construct id and object name prefix, e.g. `tempo-traces`. */
  readonly id: string;
  readonly bucket: string;
  readonly region: string;
  readonly controller: BucketController;
  readonly noncurrent: NoncurrentRules;
}

const RULE_ID = 'archive-deleted-versions';

export function bucketLifecycle(chart: StackChart, props: BucketLifecycleProps): ApiObject[] {
  const { noncurrent } = props;
  if (props.controller === 'ack') {
    return [
      new ApiObject(chart, `${props.id}-bucket`, {
        apiVersion: 's3.services.k8s.aws/v1alpha1',
        kind: 'Bucket',
        metadata: chart.meta(props.id, {
          annotations: {
            'services.k8s.aws/adoption-policy': 'adopt',
            'services.k8s.aws/adoption-fields': JSON.stringify({ name: props.bucket }),
            'services.k8s.aws/deletion-policy': 'retain',
            'services.k8s.aws/region': props.region,
          },
        }),
        spec: {
          name: props.bucket,
          versioning: { status: 'Enabled' },
          lifecycle: {
            rules: [
              {
                id: RULE_ID,
                status: 'Enabled',
                filter: { prefix: '' },
                expiration: { expiredObjectDeleteMarker: true },
                noncurrentVersionExpiration: { noncurrentDays: noncurrent.expireAfterDays },
                ...(noncurrent.glacierAfterDays !== undefined
                  ? { noncurrentVersionTransitions: [{ noncurrentDays: noncurrent.glacierAfterDays, storageClass: 'GLACIER' }] }
                  : {}),
              },
            ],
          },
        },
      }),
    ];
  }
  if (props.controller === 'crossplane') {
    const common = { deletionPolicy: 'Orphan' };
    return [
      new ApiObject(chart, `${props.id}-versioning`, {
        apiVersion: 's3.aws.upbound.io/v1beta1',
        kind: 'BucketVersioning',
        metadata: { name: `${props.id}-versioning` },
        spec: { ...common, forProvider: { region: props.region, bucket: props.bucket, versioningConfiguration: [{ status: 'Enabled' }] } },
      }),
      new ApiObject(chart, `${props.id}-lifecycle`, {
        apiVersion: 's3.aws.upbound.io/v1beta1',
        kind: 'BucketLifecycleConfiguration',
        metadata: { name: `${props.id}-lifecycle` },
        spec: {
          ...common,
          forProvider: {
            region: props.region,
            bucket: props.bucket,
            rule: [
              {
                id: RULE_ID,
                status: 'Enabled',
                filter: [{ prefix: '' }],
                expiration: [{ expiredObjectDeleteMarker: true }],
                noncurrentVersionExpiration: [{ noncurrentDays: noncurrent.expireAfterDays }],
                ...(noncurrent.glacierAfterDays !== undefined
                  ? { noncurrentVersionTransition: [{ noncurrentDays: noncurrent.glacierAfterDays, storageClass: 'GLACIER' }] }
                  : {}),
              },
            ],
          },
        },
      }),
    ];
  }
  return [];
}
