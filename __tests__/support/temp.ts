/** Temporary folders for tests, all removed after each test file (jest.config.js runs temp-cleanup.ts). */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const created: string[] = [];

export function tempDir(prefix = 'stack-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A test made something read-only: make it writable again and retry.
      chmodTree(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function chmodTree(dir: string): void {
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  try {
    chmodSync(dir, 0o700);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) chmodTree(path.join(dir, e.name));
  } catch {
    // already gone
  }
}
