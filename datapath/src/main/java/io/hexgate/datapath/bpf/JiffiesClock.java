package io.hexgate.datapath.bpf;

import io.hexgate.datapath.sys.LibC;

/**
 * The kernel's jiffies, the clock conntrack expiries are written in (the programs read it with
 * bpf_jiffies64, which the verifier inlines), and HZ, jiffies per second.
 *
 * <p>No clock_gettime clock shows jiffies: {@link #now} runs the object's {@code jiffies} program once with
 * BPF_PROG_TEST_RUN (one syscall, a few microseconds: cheap for the conntrack GC's once a pass) and reads
 * the value it leaves in {@code skb->cb[0..1]}.
 *
 * <p>HZ is probed once per process: the kernel reports the resolution of CLOCK_MONOTONIC_COARSE as one tick,
 * TICK_NSEC = round(10⁹ / HZ) (clock_getres, in the syscall and the vDSO alike), so HZ = round(10⁹ / res)
 * (4 ms: 250; 3,333,333 ns: 300). Should that fail or look wrong, HZ is measured instead: jiffies counted
 * between two tick edges some 200 ms apart on CLOCK_MONOTONIC ({@link #measureHz}), taken as the nearest of
 * x86's CONFIG_HZ choices when within 5 % of one (ticks jitter by a few ms in a VM). A test holds both ways
 * to each other and to the kernel's CONFIG_HZ.
 */
public final class JiffiesClock {
  private static final int CLOCK_MONOTONIC = 1;
  private static final int CLOCK_MONOTONIC_COARSE = 6;
  private static final byte[] FRAME = new byte[14];
  private static final int[] LINUX_HZ = {100, 250, 300, 1000};
  private static volatile int probedHz;

  private final BpfProgram program;
  private final int hz;

  /** The clock of a loaded object (one with the {@code jiffies} program). */
  public JiffiesClock(BpfObject obj) {
    this.program = obj.program("jiffies");
    this.hz = probeHz(this);
  }

  /** Jiffies now, as the programs read them. */
  public long now() {
    int[] cb = program.testRun(FRAME).cb();
    return Integer.toUnsignedLong(cb[0]) | (long) cb[1] << 32;
  }

  /** The kernel's HZ: jiffies per second. */
  public int hz() {
    return hz;
  }

  private static int probeHz(JiffiesClock clock) {
    int hz = probedHz;
    if (hz == 0) {
      synchronized (JiffiesClock.class) {
        hz = probedHz;
        if (hz == 0) {
          hz = hzOfTick(coarseResolutionNanos());
          if (hz == 0) {
            hz = nearestLinuxHz(clock.measureHz(200_000_000L));
          }
          probedHz = hz;
        }
      }
    }
    return hz;
  }

  /** CLOCK_MONOTONIC_COARSE's resolution in ns, 0 when clock_getres fails. */
  static long coarseResolutionNanos() {
    long[] ts = new long[2];
    return LibC.get().clock_getres(CLOCK_MONOTONIC_COARSE, ts) == 0 ? ts[0] * 1_000_000_000L + ts[1] : 0;
  }

  /** HZ of a tick of {@code tickNanos}; 0 unless it is a tick Linux has (HZ 10 to 10,000). */
  static int hzOfTick(long tickNanos) {
    if (tickNanos < 100_000 || tickNanos > 100_000_000) {
      return 0;
    }
    return (int) Math.round(1e9 / tickNanos);
  }

  /** The CONFIG_HZ choice within 5 % of {@code measured}, else {@code measured}. */
  static int nearestLinuxHz(int measured) {
    for (int hz : LINUX_HZ) {
      if (Math.abs(measured - hz) * 20 <= hz) {
        return hz;
      }
    }
    return measured;
  }

  /**
   * Jiffies per second counted over about {@code spanNanos} of CLOCK_MONOTONIC, from the first tick after the
   * start to the first tick after the span: both ends on a tick's edge, so the error is how late a tick
   * comes (microseconds on bare metal, up to a few milliseconds in a VM under load) over the span.
   */
  int measureHz(long spanNanos) {
    long[] edge1 = nextTick();
    try {
      Thread.sleep(spanNanos / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BpfException("interrupted while measuring HZ");
    }
    long[] edge2 = nextTick();
    return (int) Math.round((edge2[0] - edge1[0]) * 1e9 / (edge2[1] - edge1[1]));
  }

  /** Spins until jiffies change: {jiffies, CLOCK_MONOTONIC ns} just after the change. */
  private long[] nextTick() {
    long start = now();
    while (true) {
      long j = now();
      long t = monotonicNanos();
      if (j != start) {
        return new long[] {j, t};
      }
    }
  }

  private static long monotonicNanos() {
    long[] ts = new long[2];
    if (LibC.get().clock_gettime(CLOCK_MONOTONIC, ts) != 0) {
      throw new BpfException("clock_gettime(CLOCK_MONOTONIC) failed: " + LibC.lastError());
    }
    return ts[0] * 1_000_000_000L + ts[1];
  }
}
