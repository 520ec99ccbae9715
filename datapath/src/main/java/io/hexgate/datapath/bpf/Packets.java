package io.hexgate.datapath.bpf;

import java.nio.ByteBuffer;

/** Ethernet/IPv4 frames with valid IP, TCP, UDP and ICMP checksums, for test runs and benchmarks. */
public final class Packets {
  private Packets() {}

  public static final int TCP_SYN = 0x02;
  public static final int TCP_ACK = 0x10;

  public static int ip(int a, int b, int c, int d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
  }

  public static byte[] tcp(int saddr, int daddr, int sport, int dport, int flags) {
    byte[] l4 = new byte[20];
    ByteBuffer b = ByteBuffer.wrap(l4);
    b.putShort((short) sport).putShort((short) dport).putInt(1000).putInt(flags == TCP_SYN ? 0 : 2000);
    b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
    return frame(saddr, daddr, 6, l4, 16);
  }

  public static byte[] udp(int saddr, int daddr, int sport, int dport, byte[] payload) {
    byte[] l4 = new byte[8 + payload.length];
    ByteBuffer b = ByteBuffer.wrap(l4);
    b.putShort((short) sport).putShort((short) dport).putShort((short) l4.length).putShort((short) 0).put(payload);
    return frame(saddr, daddr, 17, l4, 6);
  }

  public static byte[] icmp(int saddr, int daddr, int type, int code, int id, int seq) {
    byte[] l4 = new byte[16];
    ByteBuffer b = ByteBuffer.wrap(l4);
    b.put((byte) type).put((byte) code).putShort((short) 0).putShort((short) id).putShort((short) seq);
    b.putLong(0x0123456789abcdefL);
    int c = ~sum(l4, 0, l4.length, 0) & 0xffff;
    b.putShort(2, (short) c);
    return frame(saddr, daddr, 1, l4, -1);
  }

  public static byte[] raw(int saddr, int daddr, int protocol, byte[] l4) {
    return frame(saddr, daddr, protocol, l4, -1);
  }

  /** csumOff: offset of a pseudo-header checksum in l4, or -1. */
  static byte[] frame(int saddr, int daddr, int protocol, byte[] l4, int csumOff) {
    byte[] f = new byte[14 + 20 + l4.length];
    ByteBuffer b = ByteBuffer.wrap(f);
    b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short) 0x0800);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putShort((short) 0x1234)
        .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(saddr).putInt(daddr);
    b.putShort(24, (short) (~sum(f, 14, 20, 0) & 0xffff));
    if (csumOff >= 0) {
      int pseudo = (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + protocol + l4.length;
      int c = ~sum(l4, 0, l4.length, pseudo) & 0xffff;
      if (protocol == 17 && c == 0) {
        c = 0xffff;
      }
      ByteBuffer.wrap(l4).putShort(csumOff, (short) c);
    }
    System.arraycopy(l4, 0, f, 34, l4.length);
    return f;
  }

  static int sum(byte[] d, int off, int len, int init) {
    long s = init;
    for (int i = 0; i < len; i += 2) {
      int hi = d[off + i] & 0xff;
      int lo = i + 1 < len ? d[off + i + 1] & 0xff : 0;
      s += (hi << 8) | lo;
    }
    while ((s >> 16) != 0) {
      s = (s & 0xffff) + (s >> 16);
    }
    return (int) s;
  }

  /** Whether the IPv4 header checksum and the TCP/UDP checksum of a frame verify. */
  public static boolean checksumsValid(byte[] f) {
    if (sum(f, 14, 20, 0) != 0xffff) {
      return false;
    }
    ByteBuffer b = ByteBuffer.wrap(f);
    int proto = f[23] & 0xff;
    int saddr = b.getInt(26);
    int daddr = b.getInt(30);
    int l4len = f.length - 34;
    if (proto == 6 || proto == 17) {
      if (proto == 17 && b.getShort(34 + 6) == 0) {
        return true;
      }
      int pseudo = (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + l4len;
      return sum(f, 34, l4len, pseudo) == 0xffff;
    }
    return true;
  }
}
