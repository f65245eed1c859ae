import { loadavg } from 'node:os';

/** Bytes in a MiB: memory figures are MiB, as Lambda's memory setting is. */
const MIB = 1024 * 1024;

export type ResourceUse = {
  /** The highest resident set size sampled (every `intervalMs`), MiB. */
  peakRssMb: number;
  /** The process's lifetime peak as the kernel kept it (`resourceUsage().maxRSS`), MiB. */
  maxRssMb: number;
  samples: number;
  wallSeconds: number;
  /** CPU time of the process (all its threads, user and system) while sampled. */
  cpuSeconds: number;
  /**
   * The machine's highest one-minute load average seen: above its core count, other processes
   * competed for the CPU and wall times are longer than the work alone would take.
   */
  maxLoadAverage: number;
};

/**
 * Samples this process's resident set size every `intervalMs` while it runs: the peak of what a
 * Lambda function of this work would hold. The kernel's own lifetime peak comes with it, which
 * also catches a spike between two samples (or while the event loop was busy), and so do the
 * process's CPU time and the machine's load, to tell the work's own time from waiting for a core.
 */
export class ResourceSampler {
  private peak = 0;
  private windowPeak = 0;
  private samples = 0;
  private maxLoad = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();
  private readonly cpu = process.cpuUsage();

  constructor(intervalMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    this.peak = Math.max(this.peak, rss);
    this.windowPeak = Math.max(this.windowPeak, rss);
    this.maxLoad = Math.max(this.maxLoad, loadavg()[0] ?? 0);
    this.samples++;
  }

  /** The highest resident set size sampled since the last call (or the start), MiB: one step's peak. */
  windowPeakMb(): number {
    this.sample();
    const peak = this.windowPeak;
    this.windowPeak = 0;
    return peak / MIB;
  }

  stop(): ResourceUse {
    clearInterval(this.timer);
    this.sample();
    const cpu = process.cpuUsage(this.cpu);
    return {
      peakRssMb: this.peak / MIB,
      maxRssMb: (process.resourceUsage().maxRSS * 1024) / MIB,
      samples: this.samples,
      wallSeconds: (performance.now() - this.started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxLoadAverage: this.maxLoad,
    };
  }
}
