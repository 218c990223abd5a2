/** File-system errors in a few words, for messages about paths on a worker machine. */
export function explainFsError(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ESTALE':
      return 'stale network file handle';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
