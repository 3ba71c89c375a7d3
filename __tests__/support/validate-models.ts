/** Runs k8s-validate.mjs (the ES-module-only kubernetes-models validators) in a Node process, temp files removed. */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { K8sObject, ROOT, tempDir } from '../helpers';

export interface ModelProblems {
  object: string;
  problems: string[];
}

function run(pkgArg: string, input: unknown): ModelProblems[] {
  const dir = tempDir('k8s-validate-');
  try {
    const file = path.join(dir, 'objects.json');
    writeFileSync(file, JSON.stringify(input));
    const r = spawnSync(process.execPath, [path.join(__dirname, 'k8s-validate.mjs'), pkgArg, file], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Objects against the schemas of one kubernetes-models package (a Kubernetes release). */
export const validateWith = (pkg: string, objs: K8sObject[]): ModelProblems[] => run(pkg, objs);

/** Each object against the schemas of its own package (custom resources: one @kubernetes-models/* package per API group). */
export const validateEach = (entries: { package: string; object: K8sObject }[]): ModelProblems[] => run('-', entries);
