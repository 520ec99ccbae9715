package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/** One CPU's counters; a lookup of hg_metrics returns one per possible CPU, 16 bytes apart. */
public record MetricsValue(long packets, long bytes) {
  /** hg_metrics has one slot per reason and direction. */
  public static final int METRICS_SLOTS = 256 * 4;

  /** The hg_metrics index of a reason and direction. */
  public static int metricsSlot(int reason, int direction) {
    return (reason & 0xff) * 4 + direction;
  }

  public static final Codec<MetricsValue> CODEC = new Codec<>() {
    public int size() {
      return 16;
    }

    public void write(MetricsValue v, ByteBuffer b) {
      b.putLong(v.packets).putLong(v.bytes);
    }

    public MetricsValue read(ByteBuffer b) {
      return new MetricsValue(b.getLong(), b.getLong());
    }
  };

  /** Sums a per-CPU lookup result. */
  public static MetricsValue sumPerCpu(byte[] perCpu) {
    ByteBuffer b = ByteBuffer.wrap(perCpu).order(java.nio.ByteOrder.nativeOrder());
    long p = 0;
    long n = 0;
    while (b.remaining() >= 16) {
      p += b.getLong();
      n += b.getLong();
    }
    return new MetricsValue(p, n);
  }
}
