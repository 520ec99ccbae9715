package io.hexgate.lab.net;

/** IPv4 addresses as ints (the address's 32 bits, big-endian order) and CIDR ranges. */
public final class Ipv4 {
  private Ipv4() {}

  public static int parse(String text) {
    String[] parts = text.trim().split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: " + text);
    }
    int a = 0;
    for (String p : parts) {
      int v;
      try {
        v = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not an IPv4 address: " + text, e);
      }
      if (v < 0 || v > 255 || p.isEmpty() || p.length() > 3) {
        throw new IllegalArgumentException("not an IPv4 address: " + text);
      }
      a = a << 8 | v;
    }
    return a;
  }

  public static String format(int a) {
    return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
  }

  public static byte[] bytes(int a) {
    return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
  }

  /** A CIDR range; the address is masked to the prefix. */
  public record Cidr(int network, int prefixLength) {
    public Cidr {
      if (prefixLength < 0 || prefixLength > 32) {
        throw new IllegalArgumentException("prefix length out of range: " + prefixLength);
      }
      network &= mask(prefixLength);
    }

    public static Cidr parse(String text) {
      int slash = text.indexOf('/');
      if (slash < 0) {
        throw new IllegalArgumentException("not a CIDR (address/prefix): " + text);
      }
      int len;
      try {
        len = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a CIDR (address/prefix): " + text, e);
      }
      return new Cidr(Ipv4.parse(text.substring(0, slash)), len);
    }

    static int mask(int prefixLength) {
      return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public int broadcast() {
      return network | ~mask(prefixLength);
    }

    public boolean contains(int address) {
      return (address & mask(prefixLength)) == network;
    }

    /** The address {@code offset} past the network address. */
    public int host(int offset) {
      return network + offset;
    }

    /** The {@code index}-th subnet of length {@code length} inside this range. */
    public Cidr subnet(int length, int index) {
      if (length < prefixLength || length > 32 || index < 0 || (length - prefixLength < 31 && index >= 1 << (length - prefixLength))) {
        throw new IllegalArgumentException("no subnet " + index + " of length /" + length + " in " + this);
      }
      return new Cidr(network + (index << (32 - length)), length);
    }

    @Override
    public String toString() {
      return format(network) + "/" + prefixLength;
    }
  }
}
