// The machine a bench ran on, for its report: CPU, cores, memory, OS, Node, and the file system
// of the directory the bench wrote its data to (figures of a tmpfs are not figures of a disk).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage1m: number;
  dataDir: string;
  /** `df -hT` of dataDir (device, type, size, used, available, mount point). */
  dataDirFilesystem: string;
  dataDirSameDeviceAsRepo: boolean;
}

export function machineInfo(dataDir: string, repoRoot: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage1m: os.loadavg()[0] ?? 0,
    dataDir,
    dataDirFilesystem: execFileSync('df', ['-hT', dataDir], { encoding: 'utf8' }).trimEnd(),
    dataDirSameDeviceAsRepo: fs.statSync(dataDir).dev === fs.statSync(repoRoot).dev,
  };
}
