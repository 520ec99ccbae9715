package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Maps whose keys or values are a bare integer rather than a struct. */
public final class ScalarCodecs {
  private ScalarCodecs() {}

  /** 4-byte u32 keys of the array maps (hg_metrics, hg_config, hg_lost) and of hg_ct_counts. */
  public static final Codec<Integer> U32 = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(Integer v, ByteBuffer b) {
      b.putInt(v);
    }

    public Integer read(ByteBuffer b) {
      return b.getInt();
    }
  };

  /** hg_ct_counts values: connections recorded per endpoint id (struct hg_ct_count, one u32). */
  public static final Codec<Integer> CT_COUNT = U32;

  /** Sums a per-CPU lookup of u64 values (hg_lost). */
  public static long sumPerCpuU64(byte[] perCpu) {
    ByteBuffer b = ByteBuffer.wrap(perCpu).order(ByteOrder.nativeOrder());
    long n = 0;
    while (b.remaining() >= 8) {
      n += b.getLong();
    }
    return n;
  }
}
