import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  simd: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpu;
    flags = (/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/);
  } catch {
    /* not Linux */
  }
  const simd = ['avx512f', 'avx2', 'neon', 'asimd'].filter((f) => flags.includes(f)).join(', ') || 'unknown';
  return {
    cpu,
    cores: os.availableParallelism(),
    simd,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

/**
 * Pins every thread of this process to one CPU (like `taskset -c 0 node ...`, but after the data is
 * prepared, so generation and ground truth may use all cores). Returns a function restoring the old mask,
 * or null when taskset is not available.
 */
export function pinToCpu(cpu = 0): (() => void) | null {
  const pid = String(process.pid);
  try {
    const out = execFileSync('taskset', ['-p', pid], { encoding: 'utf8' });
    const mask = out.trim().split(/\s+/).pop()!;
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), pid], { stdio: 'ignore' });
    return () => execFileSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' });
  } catch {
    return null;
  }
}
