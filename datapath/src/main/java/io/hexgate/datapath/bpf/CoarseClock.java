package io.hexgate.datapath.bpf;

/**
 * CLOCK_MONOTONIC_COARSE in nanoseconds: the clock of the program's bpf_ktime_get_coarse_ns, which CT
 * expiries are written in. Its resolution is a scheduler tick (1 to 10 ms).
 */
public final class CoarseClock {
  private static final int CLOCK_MONOTONIC_COARSE = 6;

  private CoarseClock() {}

  public static long nanos() {
    long[] ts = new long[2];
    int rc = Native.libc().clock_gettime(CLOCK_MONOTONIC_COARSE, ts);
    if (rc != 0) {
      throw new BpfException("clock_gettime(CLOCK_MONOTONIC_COARSE) failed: " + Native.errno());
    }
    return ts[0] * 1_000_000_000L + ts[1];
  }
}
