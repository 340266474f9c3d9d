/**
 * One job: the real file I/O with some of its methods replaced, for tests that count or hold the
 * log's segment writes (the durable batches) without simulating the file system.
 */
import type { FileHandle, FileIO } from '@seglog/types';
import { nodeFileIO } from '@seglog/io';

/** `target` with its methods bound to it (its #private fields stay reachable), some of them replaced. */
export function withMethods<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value: unknown = Reflect.get(object, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** The real file I/O; `onSegmentWrite` runs before each batch written to a segment file and may delay it. */
export function segmentWriteIO(onSegmentWrite: () => Promise<void> | void): FileIO {
  return withMethods<FileIO>(nodeFileIO, {
    open: async (...args: Parameters<FileIO['open']>): Promise<FileHandle> => {
      const handle = await nodeFileIO.open(...args);
      if (!args[0].endsWith('.seg')) return handle;
      return withMethods<FileHandle>(handle, {
        writev: async (...call: Parameters<FileHandle['writev']>) => {
          await onSegmentWrite();
          return handle.writev(...call);
        },
      });
    },
  });
}
