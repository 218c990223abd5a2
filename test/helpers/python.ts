/**
 * Debian's Python (`/usr/bin/python3`), where `.ci/run` installs pandas and scikit-learn; the
 * `python3` on PATH may have neither.
 */
import { execFileSync } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Whether DEBIAN_PYTHON imports every one of `modules`. Tests that need them skip without them on
 * a developer's machine; on CI (`CI=true`) a missing module is an error at once, naming the Debian
 * package that `.ci/run` installs.
 */
export function debianPythonHas(modules: readonly string[], debianPackage: string): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['CI'] === 'true') throw new Error(`${DEBIAN_PYTHON} cannot import ${modules.join(', ')}: .ci/run installs ${debianPackage}`);
    return false;
  }
}
