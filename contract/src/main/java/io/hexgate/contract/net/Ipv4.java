package io.hexgate.contract.net;

/**
 * IPv4 addresses as ints (the address's 32 bits in network order: a.b.c.d = a << 24 | b << 16 | c << 8 | d)
 * and CIDR ranges of them. Parsing is strict dotted-quad, never a name lookup: the text comes from users
 * and from the API server.
 */
public final class Ipv4 {
  private Ipv4() {}

  /** Whether the text is an IPv6 address or prefix (which the IPv4 datapath leaves out). */
  public static boolean isIpv6(String text) {
    return text.indexOf(':') >= 0;
  }

  public static int parse(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw notAnAddress(text);
    }
    int v = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw notAnAddress(text);
      }
      int octet = Integer.parseInt(p);
      if (octet > 255) {
        throw notAnAddress(text);
      }
      v = v << 8 | octet;
    }
    return v;
  }

  private static IllegalArgumentException notAnAddress(String text) {
    return new IllegalArgumentException("'" + text + "' is not an IPv4 address");
  }

  /** "a.b.c.d/len", or "a.b.c.d" alone as a /32, the address masked to the prefix. */
  public static Cidr parsePrefix(String text) {
    return text.indexOf('/') < 0 ? new Cidr(parse(text), 32) : Cidr.parse(text);
  }

  public static String format(int address) {
    return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
  }

  public static byte[] bytes(int address) {
    return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
  }

  /** The network mask of a prefix length (0 to 32) as an int. */
  public static int mask(int prefixLength) {
    return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
  }

  /** A CIDR range; the address is masked to the prefix. */
  public record Cidr(int network, int prefixLength) {
    public Cidr {
      if (prefixLength < 0 || prefixLength > 32) {
        throw new IllegalArgumentException("IPv4 prefix length out of range (0-32): " + prefixLength);
      }
      network &= mask(prefixLength);
    }

    /** "a.b.c.d/len". */
    public static Cidr parse(String text) {
      int slash = text.indexOf('/');
      String len = slash < 0 ? "" : text.substring(slash + 1);
      if (len.isEmpty() || len.length() > 2 || !len.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(len) > 32) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 CIDR (address/prefix length, 0-32)");
      }
      return new Cidr(Ipv4.parse(text.substring(0, slash)), Integer.parseInt(len));
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

    /** The number of addresses in the range (2^32 for /0 does not fit an int). */
    public long size() {
      return 1L << (32 - prefixLength);
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
