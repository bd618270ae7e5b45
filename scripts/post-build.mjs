// Marks the compiled entry points executable (npm does this on install; tests run them directly).
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../dist/bin/', import.meta.url).pathname;
for (const name of readdirSync(dir)) {
  if (name.endsWith('.js')) chmodSync(join(dir, name), 0o755);
}
