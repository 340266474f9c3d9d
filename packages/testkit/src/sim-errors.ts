/**
 * One job: errors shaped like the ones node:fs rejects with (`code`, `errno`, `syscall`, `path`),
 * so code under test cannot tell the simulated disk's failures from real ones by their shape.
 */

/** errno numbers are Linux's, negated as libuv reports them. */
const descriptions = {
  ENOENT: [-2, 'no such file or directory'],
  EIO: [-5, 'i/o error'],
  EBADF: [-9, 'bad file descriptor'],
  EEXIST: [-17, 'file already exists'],
  ENOTDIR: [-20, 'not a directory'],
  EISDIR: [-21, 'illegal operation on a directory'],
  EINVAL: [-22, 'invalid argument'],
  ENOSPC: [-28, 'no space left on device'],
  ENOTEMPTY: [-39, 'directory not empty'],
  ESHUTDOWN: [-108, 'cannot send after transport endpoint shutdown'],
} as const satisfies Record<string, readonly [number, string]>;

export type SimErrorCode = keyof typeof descriptions;

export interface SimSystemError extends Error {
  readonly code: SimErrorCode;
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  readonly dest?: string;
}

/** `Error: ENOENT: no such file or directory, open '/log/x'`, as Node words it. */
export function systemError(code: SimErrorCode, syscall: string, path?: string, dest?: string): SimSystemError {
  const [errno, description] = descriptions[code];
  const where = path === undefined ? '' : dest === undefined ? ` '${path}'` : ` '${path}' -> '${dest}'`;
  const error = new Error(`${code}: ${description}, ${syscall}${where}`) as Error & Record<string, unknown>;
  error['code'] = code;
  error['errno'] = errno;
  error['syscall'] = syscall;
  if (path !== undefined) error['path'] = path;
  if (dest !== undefined) error['dest'] = dest;
  return error as unknown as SimSystemError;
}

/** The `code` of a Node-style error, or undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
