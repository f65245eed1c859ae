/**
 * The local stack's clock: real time plus an offset that `POST /_local/advance-time` moves
 * forward. The offset lives in shared memory, so every function's worker sees the same time.
 */
export class LocalClock {
  readonly buffer: SharedArrayBuffer;
  private readonly offset: Float64Array;

  constructor(buffer = new SharedArrayBuffer(8)) {
    this.buffer = buffer;
    this.offset = new Float64Array(buffer);
  }

  now(): number {
    return Date.now() + (this.offset[0] ?? 0);
  }

  advance(seconds: number): void {
    this.offset[0] = (this.offset[0] ?? 0) + seconds * 1000;
  }
}

/** Makes `Date` in this thread follow the shared clock (used inside function workers only). */
export const installClock = (buffer: SharedArrayBuffer): void => {
  const offset = new Float64Array(buffer);
  const RealDate = Date;
  const shifted = () => RealDate.now() + (offset[0] ?? 0);
  class LocalDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(shifted());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return shifted();
    }
  }
  globalThis.Date = LocalDate as DateConstructor;
};
