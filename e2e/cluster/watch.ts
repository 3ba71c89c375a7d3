// A live view of pods from the API server's watch stream: every change is seen (not sampled), so a check run
// on each change sees every intermediate state a drain or a rollout goes through.
import * as https from 'node:https';
import type { Cluster, K8sObject } from './cluster';

export interface PodWatch {
  /** Current pods by namespace/name. */
  readonly pods: Map<string, K8sObject>;
  stop(): void;
  /** Resolves once the initial list is loaded. */
  readonly ready: Promise<void>;
}

/**
 * Lists pods, then follows the watch from that resourceVersion, calling `onChange` after every event with the
 * current set. Stops on stop(); a broken stream is resumed from the last resourceVersion seen.
 */
export function watchPods(cluster: Cluster, namespaces: readonly string[], onChange: (pods: Map<string, K8sObject>, changed: K8sObject, type: string) => void): PodWatch {
  const pods = new Map<string, K8sObject>();
  let stopped = false;
  let req: ReturnType<typeof https.request> | undefined;
  const key = (p: K8sObject) => `${p.metadata.namespace}/${p.metadata.name}`;
  const follow = (rv: string) => {
    if (stopped) return;
    req = cluster.stream(`/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, (line) => {
      const ev = JSON.parse(line) as { type: string; object: K8sObject };
      if (ev.type === 'BOOKMARK') { rv = ev.object.metadata.resourceVersion ?? rv; return; }
      if (ev.type === 'ERROR') { req?.destroy(); return; }
      const p = ev.object;
      rv = p.metadata.resourceVersion ?? rv;
      if (!namespaces.includes(p.metadata.namespace!)) return;
      if (ev.type === 'DELETED') pods.delete(key(p));
      else pods.set(key(p), p);
      onChange(pods, p, ev.type);
    }, () => { if (!stopped) setTimeout(() => follow(rv), 200); });
  };
  const ready = (async () => {
    const r = await cluster.raw('GET', '/api/v1/pods');
    const list = JSON.parse(r.body) as { metadata: { resourceVersion: string }; items: K8sObject[] };
    for (const p of list.items) if (namespaces.includes(p.metadata.namespace!)) pods.set(key(p), p);
    follow(list.metadata.resourceVersion);
  })();
  return { pods, ready, stop: () => { stopped = true; req?.destroy(); } };
}

export function isReady(p: K8sObject): boolean {
  return !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}
