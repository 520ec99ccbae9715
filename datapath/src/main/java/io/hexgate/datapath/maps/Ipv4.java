package io.hexgate.datapath.maps;

/** Dotted-quad IPv4 addresses and prefixes as ints (a.b.c.d = a << 24 | ...). */
public final class Ipv4 {
  private Ipv4() {}

  /** Whether the text is an IPv6 address or prefix (which the IPv4 datapath leaves out). */
  public static boolean isIpv6(String text) {
    return text.indexOf(':') >= 0;
  }

  public static int parse(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
    }
    int v = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
      }
      int octet = Integer.parseInt(p);
      if (octet > 255) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
      }
      v = (v << 8) | octet;
    }
    return v;
  }

  /** "a.b.c.d/len" or "a.b.c.d" (= /32) as {address masked to the prefix, length}. */
  public static int[] parsePrefix(String text) {
    int slash = text.indexOf('/');
    int len = 32;
    String addr = text;
    if (slash >= 0) {
      addr = text.substring(0, slash);
      String l = text.substring(slash + 1);
      if (l.isEmpty() || l.length() > 2 || !l.chars().allMatch(Character::isDigit) || Integer.parseInt(l) > 32) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 prefix");
      }
      len = Integer.parseInt(l);
    }
    return new int[] {Ipv4.mask(parse(addr), len), len};
  }

  /** Keeps the top {@code bits} bits of a 32-bit value. */
  public static int mask(int v, int bits) {
    return bits <= 0 ? 0 : bits >= 32 ? v : v & (-1 << (32 - bits));
  }

  public static String format(int addr) {
    return (addr >>> 24) + "." + ((addr >>> 16) & 0xff) + "." + ((addr >>> 8) & 0xff) + "." + (addr & 0xff);
  }
}
