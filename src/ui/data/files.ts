/**
 * Which files of a run the web view serves: those inside the run directory and inside its bound
 * outputs, nothing else. Paths are resolved through symbolic links before they are judged, so a link
 * inside the run directory to /etc is refused too.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type Confined = { readonly ok: true; readonly file: string } | { readonly ok: false; readonly status: 403 | 404; readonly why: string };

/** `requested` (relative to `runDir`, or absolute) if it is a file inside `runDir` or one of `outputs`. */
export function confinedFile(runDir: string, outputs: readonly string[], requested: string): Confined {
  const wanted = isAbsolute(requested) ? resolve(requested) : resolve(runDir, requested);
  const outside: Confined = { ok: false, status: 403, why: `${requested} is outside the run directory and its outputs` };
  // Judged by its name first, so that whether a file outside exists is not told either.
  if (![runDir, ...outputs].some((root) => inside(resolve(root), wanted))) return outside;
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch {
    return { ok: false, status: 404, why: `no such file: ${requested}` };
  }
  const roots = [runDir, ...outputs].flatMap((root) => {
    try {
      return [realpathSync(root)];
    } catch {
      return [];
    }
  });
  if (!roots.some((root) => inside(root, real))) return outside;
  if (!statSync(real).isFile()) return { ok: false, status: 404, why: `${requested} is not a file` };
  return { ok: true, file: real };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
