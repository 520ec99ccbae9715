package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.JiffiesClock;
import io.hexgate.datapath.bpf.MapDefinition;
import io.hexgate.datapath.pin.MapMigration;
import io.hexgate.datapath.sys.LibC;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * The upgrade from a build whose CT times were nanoseconds of CLOCK_MONOTONIC_COARSE onto jiffies: its
 * pinned hg_config has {@link Config#SIZE_BEFORE_JIFFIES} bytes or fewer (no {@code hz}). Both
 * conversions go to {@link MapMigration#prepare(String, BpfObject, java.nio.file.Path, List)}:
 *
 * <ul>
 *   <li>{@link #CONNTRACK}: hg_ct kept its layout, so without a conversion the new programs would adopt its
 *       entries and read their expiries as jiffies, some 10⁶ times further away than meant: a connection
 *       from before the upgrade would never expire. Each expiry becomes as many jiffies from now as it had
 *       nanoseconds left, rounded down (an entry never gains life); an expired entry stays expired. Its
 *       {@code renew} (a pad then, 0) becomes the most there is, so that its next packet writes it afresh.
 *   <li>{@link #CONFIG}: hg_config grew by {@code hz} and would start empty, its policy generation back at 0;
 *       the next revisions would count up to generations that connections of the old agent are stamped
 *       with, and a connection stamped with the current generation is not judged again, by the program nor
 *       by the GC. The old fields are carried (hz 0 until the agent writes it, just after).
 * </ul>
 */
public final class JiffiesUpgrade {
  private static final int CLOCK_MONOTONIC_COARSE = 6;
  private static final long NSEC_PER_SEC = 1_000_000_000L;
  /** hg_ct_value.renew that has the next packet write the entry (now + renew reaches any expiry). */
  static final long RENEW_AT_NEXT_PACKET = 0xffff_ffffL;

  private JiffiesUpgrade() {}

  /** Whether the pinned maps are of a build before jiffies. */
  static boolean before(Map<String, MapDefinition> pinned) {
    MapDefinition config = pinned.get("hg_config");
    return config != null && config.valueSize() <= Config.SIZE_BEFORE_JIFFIES;
  }

  public static final MapMigration.Conversion CONNTRACK = new MapMigration.Conversion() {
    public String map() {
      return "hg_ct";
    }

    public boolean applies(Map<String, MapDefinition> pinned) {
      return before(pinned);
    }

    public String describe() {
      return "expiries in nanoseconds of CLOCK_MONOTONIC_COARSE (hg_config without hz), converted to jiffies";
    }

    public BinaryOperator<byte[]> start(BpfObject obj) {
      JiffiesClock clock = new JiffiesClock(obj);
      long nowNanos = coarseNanos();
      long nowJiffies = clock.now();
      int hz = clock.hz();
      return (k, v) -> {
        CtValue old = CtValue.CODEC.decode(v);
        return CtValue.CODEC.encode(
            old.withExpires(jiffiesOf(old.expires(), nowNanos, nowJiffies, hz)).withRenew(RENEW_AT_NEXT_PACKET));
      };
    }
  };

  public static final MapMigration.Conversion CONFIG = new MapMigration.Conversion() {
    public String map() {
      return "hg_config";
    }

    public boolean applies(Map<String, MapDefinition> pinned) {
      // only the layout this build knows the fields of (flags, generation, quota, lifetimes)
      return pinned.containsKey("hg_config") && pinned.get("hg_config").valueSize() == Config.SIZE_BEFORE_JIFFIES;
    }

    public String describe() {
      return "no hz (CT times were nanoseconds): flags, policy generation, quota and lifetimes carried, hz appended";
    }

    public BinaryOperator<byte[]> start(BpfObject obj) {
      int size = Config.CODEC.size();
      return (k, v) -> Arrays.copyOf(v, size);
    }
  };

  public static final List<MapMigration.Conversion> CONVERSIONS = List.of(CONNTRACK, CONFIG);

  /** An expiry {@code expiresNanos} read at {@code nowNanos}, in jiffies at {@code nowJiffies} (rounded down). */
  static long jiffiesOf(long expiresNanos, long nowNanos, long nowJiffies, int hz) {
    long left = expiresNanos - nowNanos;
    if (left <= 0) {
      return nowJiffies + Math.floorDiv(left, NSEC_PER_SEC) * hz;
    }
    // seconds and the rest apart: left * hz overflows beyond 106 days at HZ 1000
    return nowJiffies + left / NSEC_PER_SEC * hz + left % NSEC_PER_SEC * hz / NSEC_PER_SEC;
  }

  /** The clock of the builds before jiffies (their programs' bpf_ktime_get_coarse_ns). */
  private static long coarseNanos() {
    long[] ts = new long[2];
    if (LibC.get().clock_gettime(CLOCK_MONOTONIC_COARSE, ts) != 0) {
      throw new BpfException("clock_gettime(CLOCK_MONOTONIC_COARSE) failed: " + LibC.lastError());
    }
    return ts[0] * NSEC_PER_SEC + ts[1];
  }
}
