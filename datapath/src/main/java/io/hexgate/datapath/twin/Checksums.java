package io.hexgate.datapath.twin;

/**
 * The kernel's incremental checksum updates (bpf_l3_csum_replace / bpf_l4_csum_replace on a packet without
 * checksum offload), bit for bit: ones'-complement sums of 16-bit words, where a value that sums to zero
 * comes out as 0xFFFF before the final complement, so an updated checksum is never 0xFFFF.
 */
final class Checksums {
  private Checksums() {}

  /** csum_replace4 / inet_proto_csum_replace4: a 32-bit field changed from {@code from} to {@code to}. */
  static int replace4(int check, int from, int to) {
    long s = 0xffff;
    s += ~check & 0xffff;
    s += (~from >>> 16) & 0xffff;
    s += ~from & 0xffff;
    s += (to >>> 16) & 0xffff;
    s += to & 0xffff;
    return ~fold(s) & 0xffff;
  }

  /** inet_proto_csum_replace2: the 16-bit values widened to 32 bits, as the kernel does. */
  static int replace2(int check, int from, int to) {
    return replace4(check, from & 0xffff, to & 0xffff);
  }

  private static int fold(long s) {
    while ((s >>> 16) != 0) {
      s = (s & 0xffff) + (s >>> 16);
    }
    return (int) s;
  }
}
