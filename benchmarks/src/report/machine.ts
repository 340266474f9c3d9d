/**
 * One job: describe the machine and the file system a benchmark ran on, for the results file.
 *
 * Durable-append numbers mean little without the disk behind them, so the file system type of the
 * temp dir is recorded twice: from /proc/mounts (names ext4 as ext4) and from `stat -f` (the
 * statfs magic, which reports ext4 as "ext2/ext3").
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem, arch } from 'node:os';

export interface MountInfo {
  readonly mountPoint: string;
  readonly device: string;
  readonly fsType: string;
  readonly options: string;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly platform: string;
  readonly arch: string;
  readonly kernel: string;
  readonly node: string;
  readonly totalMemoryBytes: number;
  /** 1, 5 and 15 minute load averages when the run started: the machine may be shared. */
  readonly loadAverage: readonly number[];
  readonly tempDir: string;
  /** From /proc/mounts, or null when it cannot be read (not Linux). */
  readonly mount: MountInfo | null;
  /** From `stat -f -c %T`, or null when stat is missing. */
  readonly statfsType: string | null;
}

export function describeMachine(tempDir: string): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    node: process.version,
    totalMemoryBytes: totalmem(),
    loadAverage: loadavg(),
    tempDir,
    mount: mountOf(tempDir),
    statfsType: statfsTypeOf(tempDir),
  };
}

/** Two lines for the top of a run's console output: the disk under test, and the machine. */
export function describeHost(info: MachineInfo, tempDirOnTmpFileSystem: boolean): string {
  return [
    `disk: ${info.tempDir} (${describeFileSystem(info)})${tempDirOnTmpFileSystem ? '' : ' -- NOT the file system of /tmp'}`,
    `machine: ${info.cpuModel}, ${info.cores} cores, ${info.platform} ${info.kernel}, Node ${info.node}, load ${info.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  ].join('\n');
}

/** A one-line description of where the temp dir lives, for the console. */
function describeFileSystem(info: MachineInfo): string {
  const type = info.mount?.fsType ?? info.statfsType ?? 'unknown';
  const device = info.mount === null ? '' : ` on ${info.mount.device} (mounted at ${info.mount.mountPoint})`;
  return `${type}${device}`;
}

/** The mount whose mount point is the longest prefix of `dir` (after resolving symlinks). */
export function mountOf(dir: string): MountInfo | null {
  let text: string;
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return null;
  }
  const target = realpathSync(dir);
  let best: MountInfo | null = null;
  for (const mount of parseMounts(text)) {
    if (!isUnder(target, mount.mountPoint)) continue;
    if (best === null || mount.mountPoint.length >= best.mountPoint.length) best = mount;
  }
  return best;
}

export function parseMounts(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType, options] = line.split(' ');
    if (device === undefined || mountPoint === undefined || fsType === undefined) continue;
    // /proc/mounts escapes spaces and other specials as octal (\040).
    mounts.push({ device, mountPoint: unescapeOctal(mountPoint), fsType, options: options ?? '' });
  }
  return mounts;
}

function isUnder(path: string, mountPoint: string): boolean {
  if (mountPoint === '/') return true;
  return path === mountPoint || path.startsWith(`${mountPoint}/`);
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function statfsTypeOf(dir: string): string | null {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}
