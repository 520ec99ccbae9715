package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/**
 * hg_config: flags, the policy generation, the per-endpoint connection quota (0 = none), the CT
 * lifetimes, and the kernel's HZ (jiffies per second, the unit of CT times; 0 = {@link #HZ_FALLBACK}).
 * {@link io.hexgate.datapath.maps.KernelConntrack#configure} writes its probe's HZ whatever {@code hz} says.
 */
public record Config(int flags, int generation, int ctQuota, CtLifetimes lifetimes, int hz) {
  /** Benchmarks only: judge new connections without recording them (HG_CONFIG_NO_CT_CREATE). */
  public static final int CONFIG_NO_CT_CREATE = 1;
  /** Jiffies per second while hg_config's hz is 0 (HG_HZ_FALLBACK): lifetimes never longer. */
  public static final int HZ_FALLBACK = 100;

  /** The value size of hg_config before it had {@code hz}, when CT times were nanoseconds. */
  public static final int SIZE_BEFORE_JIFFIES = 32;

  public Config {
    if (hz < 0) {
      throw new IllegalArgumentException("hg_config: hz must not be negative: " + hz);
    }
  }

  /** HZ not given (0): the program's fallback, or the kernel's where {@link io.hexgate.datapath.maps.KernelConntrack} writes it. */
  public Config(int flags, int generation, int ctQuota, CtLifetimes lifetimes) {
    this(flags, generation, ctQuota, lifetimes, 0);
  }

  public Config(int flags) {
    this(flags, 0, 0, CtLifetimes.DEFAULT);
  }

  public Config withGeneration(int g) {
    return new Config(flags, g, ctQuota, lifetimes, hz);
  }

  public Config withHz(int newHz) {
    return new Config(flags, generation, ctQuota, lifetimes, newHz);
  }

  /** Jiffies per second as the program counts them (ct_hz). */
  public int effectiveHz() {
    return hz != 0 ? hz : HZ_FALLBACK;
  }

  /** The lifetime in jiffies of an entry of {@code protocol} with CT flags {@code flags} (ct_expiry). */
  public long lifetimeJiffies(int protocol, int flags) {
    return lifetimes.seconds(protocol, flags) * effectiveHz();
  }

  /** hg_ct_value.renew of an entry given {@code expires} at {@code now} (ct_renew): saturated to a u32. */
  public long renewOf(long expires, long now) {
    long r = expires - now - effectiveHz();
    return r < 0 || r > 0xffff_ffffL ? 0xffff_ffffL : r;
  }

  public static final Codec<Config> CODEC = new Codec<>() {
    public int size() {
      return 36;
    }

    public void write(Config v, ByteBuffer b) {
      b.putInt(v.flags).putInt(v.generation).putInt(v.ctQuota);
      CtLifetimes l = v.lifetimes;
      b.putInt(l.tcp()).putInt(l.syn()).putInt(l.close()).putInt(l.other()).putInt(l.icmp());
      b.putInt(v.hz);
    }

    public Config read(ByteBuffer b) {
      return new Config(b.getInt(), b.getInt(), b.getInt(),
          new CtLifetimes(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt()), b.getInt());
    }
  };
}
