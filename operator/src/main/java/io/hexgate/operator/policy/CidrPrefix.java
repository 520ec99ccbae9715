package io.hexgate.operator.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An IPv4 or IPv6 prefix with host bits cleared, as Go's net.ParseCIDR yields. */
public final class CidrPrefix {
  private final byte[] address;
  private final int length;

  private CidrPrefix(byte[] address, int length) {
    this.address = mask(address, length);
    this.length = length;
  }

  /** Parses {@code a.b.c.d/n} or an IPv6 prefix; a bare address is taken as a full-length prefix. */
  public static CidrPrefix parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("IP must be specified");
    }
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = parseAddress(addr, text);
    int len = bytes.length * 8;
    if (slash >= 0) {
      String lenText = text.substring(slash + 1);
      if (!lenText.matches("[0-9]{1,3}")) {
        throw new IllegalArgumentException("invalid CIDR address: " + text);
      }
      len = Integer.parseInt(lenText);
      if (len > bytes.length * 8) {
        throw new IllegalArgumentException("invalid CIDR address: " + text);
      }
    }
    return new CidrPrefix(bytes, len);
  }

  /** Parses a literal IPv4 or IPv6 address without ever resolving a name. */
  public static byte[] parseAddress(String addr, String whole) {
    boolean v4 = addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    boolean v6 = addr.contains(":") && addr.matches("[0-9a-fA-F:.]+");
    if (!v4 && !v6) {
      throw new IllegalArgumentException("invalid CIDR address: " + whole);
    }
    if (v4) {
      for (String part : addr.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          throw new IllegalArgumentException("invalid CIDR address: " + whole);
        }
      }
    }
    try {
      byte[] b = InetAddress.getByName(addr).getAddress();
      if (v6 && b.length == 4) {
        // IPv4-mapped IPv6 literal: keep it as IPv6 so the family stays what the user wrote
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(b, 0, mapped, 12, 4);
        return mapped;
      }
      return b;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("invalid CIDR address: " + whole, e);
    }
  }

  public int length() {
    return length;
  }

  public boolean isIpv4() {
    return address.length == 4;
  }

  public byte[] address() {
    return address.clone();
  }

  /** True when {@code other} lies inside this prefix (same family, equal or longer mask). */
  public boolean contains(CidrPrefix other) {
    return other.address.length == address.length
        && other.length >= length
        && matches(other.address);
  }

  public boolean contains(byte[] addr) {
    return addr.length == address.length && matches(addr);
  }

  private boolean matches(byte[] addr) {
    int full = length / 8;
    for (int i = 0; i < full; i++) {
      if (addr[i] != address[i]) {
        return false;
      }
    }
    int rest = length % 8;
    if (rest == 0) {
      return true;
    }
    int m = (0xff << (8 - rest)) & 0xff;
    return (addr[full] & m) == (address[full] & m);
  }

  private static byte[] mask(byte[] addr, int len) {
    byte[] out = addr.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, len - i * 8));
      out[i] = (byte) (out[i] & ((0xff << (8 - bits)) & 0xff));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CidrPrefix c && c.length == length && Arrays.equals(c.address, address);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(address) * 31 + length;
  }

  @Override
  public String toString() {
    try {
      String a = InetAddress.getByAddress(address).getHostAddress();
      return a + "/" + length;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
