/**
 * Replaces `<outdir>/<env>/` only after the whole environment was written to a temporary folder next to
 * it, so a failure leaves the previous output byte-for-byte as it was and a success leaves no stale file.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RenderedEnvironment } from './stack';

export function writeEnvironment(outdir: string, envName: string, files: RenderedEnvironment): void {
  mkdirSync(outdir, { recursive: true });
  const target = path.join(outdir, envName);
  const staging = path.join(outdir, `.${envName}.new-${process.pid}`);
  const previous = path.join(outdir, `.${envName}.old-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging);
    for (const [name, text] of files) writeFileSync(path.join(staging, name), text);
    if (existsSync(target)) renameSync(target, previous);
    renameSync(staging, target);
  } catch (e) {
    if (!existsSync(target) && existsSync(previous)) renameSync(previous, target);
    throw e;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(previous, { recursive: true, force: true });
  }
}

/** Removes `<outdir>/<env>/` (and `<outdir>` when it is left empty): output that config no longer asks for. */
export function removeEnvironment(outdir: string, envName: string): void {
  const target = path.join(outdir, envName);
  if (!existsSync(target)) return;
  rmSync(target, { recursive: true, force: true });
  if (readdirSync(outdir).length === 0) rmSync(outdir, { recursive: true, force: true });
}
