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
    return tcp(saddr, daddr, sport, dport, flags, new byte[0]);
  }

  public static byte[] tcp(int saddr, int daddr, int sport, int dport, int flags, byte[] payload) {
    byte[] l4 = new byte[20 + payload.length];
    ByteBuffer b = ByteBuffer.wrap(l4);
    b.putShort((short) sport).putShort((short) dport).putInt(1000).putInt(flags == TCP_SYN ? 0 : 2000);
    b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
    b.put(payload);
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

  /**
   * An ICMP error (destination unreachable 3, time exceeded 11, parameter problem 12) from {@code saddr} to
   * {@code daddr} quoting {@code quoted} (a frame) as routers do: its IPv4 header and first 8 L4 bytes.
   */
  public static byte[] icmpError(int saddr, int daddr, int type, int code, byte[] quoted) {
    int ihl = (quoted[14] & 0xf) * 4;
    int n = Math.min(quoted.length - 14, ihl + 8);
    byte[] l4 = new byte[8 + n];
    l4[0] = (byte) type;
    l4[1] = (byte) code;
    System.arraycopy(quoted, 14, l4, 8, n);
    ByteBuffer.wrap(l4).putShort(2, (short) (~sum(l4, 0, l4.length, 0) & 0xffff));
    return frame(saddr, daddr, 1, l4, -1);
  }

  /**
   * {@code frame} (IPv4 without options) cut into two fragments: the first carries {@code firstBytes} of
   * the IP payload (a multiple of 8) and has MF set, the second the rest at its offset.
   */
  public static byte[][] fragments(byte[] frame, int firstBytes) {
    if (firstBytes % 8 != 0 || firstBytes <= 0 || firstBytes >= frame.length - 34) {
      throw new IllegalArgumentException("first fragment of " + firstBytes + " bytes: not a multiple of 8 within "
          + (frame.length - 34) + " bytes of payload");
    }
    byte[] first = new byte[34 + firstBytes];
    byte[] later = new byte[frame.length - firstBytes];
    System.arraycopy(frame, 0, first, 0, first.length);
    System.arraycopy(frame, 0, later, 0, 34);
    System.arraycopy(frame, 34 + firstBytes, later, 34, frame.length - 34 - firstBytes);
    fragmentHeader(first, 0x2000);
    fragmentHeader(later, firstBytes / 8);
    return new byte[][] {first, later};
  }

  private static void fragmentHeader(byte[] f, int fragOff) {
    ByteBuffer b = ByteBuffer.wrap(f);
    b.putShort(16, (short) (f.length - 14)).putShort(20, (short) fragOff).putShort(24, (short) 0);
    b.putShort(24, (short) (~sum(f, 14, 20, 0) & 0xffff));
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

  /**
   * Whether the IPv4 header checksum and the TCP/UDP/ICMP checksum of a frame verify (of a fragment: its
   * IPv4 header), and the quoted IPv4 header's of an ICMP error.
   */
  public static boolean checksumsValid(byte[] f) {
    if (sum(f, 14, 20, 0) != 0xffff) {
      return false;
    }
    ByteBuffer b = ByteBuffer.wrap(f);
    int proto = f[23] & 0xff;
    if ((b.getShort(20) & 0x3fff) != 0) {
      return true;
    }
    if (proto == 1 && f.length >= 34 + 8) {
      int type = f[34] & 0xff;
      boolean error = (type == 3 || type == 11 || type == 12) && f.length >= 42 + 20;
      return sum(f, 34, f.length - 34, 0) == 0xffff && (!error || sum(f, 42, (f[42] & 0xf) * 4, 0) == 0xffff);
    }
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
