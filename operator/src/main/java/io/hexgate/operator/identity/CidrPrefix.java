package io.hexgate.operator.identity;

import io.hexgate.contract.net.Ipv4;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}.
 *
 * <p>Parsing follows Go's {@code netip.ParsePrefix}/{@code ParseAddr}, which Cilium uses: strict
 * address syntax (no leading zeros in IPv4 octets, no zones, no hostnames, nothing resolved), a
 * decimal prefix length within the family's range, and host bits accepted but cleared, so {@code
 * 10.1.2.3/8} is {@code 10.0.0.0/8}. An IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.1}) stays
 * IPv6, as in Go. Errors are {@link InvalidCidrException}s naming the input and the reason.
 *
 * @param address the network address with host bits cleared: 4 bytes (IPv4) or 16 bytes (IPv6)
 * @param length number of leading bits that are significant, 0 to 32 or 0 to 128
 */
public record CidrPrefix(byte[] address, int length) {

  public CidrPrefix {
    if (address.length != 4 && address.length != 16) {
      throw new IllegalArgumentException("address must have 4 or 16 bytes, not " + address.length);
    }
    if (length < 0 || length > address.length * 8) {
      throw new IllegalArgumentException("prefix length " + length + " out of range");
    }
    address = masked(address, length);
  }

  /**
   * Parses prefix notation, or a bare address as its host prefix ({@code /32} or {@code /128}), the
   * way Cilium reads {@code fromCIDR}/{@code toCIDR} entries.
   */
  public static CidrPrefix parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidCidrException(text == null ? "" : text, "IP must be specified");
    }
    if (text.indexOf('/') >= 0) {
      return parsePrefix(text);
    }
    byte[] address = parseAddress(text, text);
    return new CidrPrefix(address, address.length * 8);
  }

  /**
   * Parses prefix notation only ({@code address/length}), as a CIDRRule's {@code cidr} and {@code
   * except} and a NetworkPolicy {@code ipBlock} require; a bare address is rejected.
   */
  public static CidrPrefix parsePrefix(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      throw new InvalidCidrException(text == null ? "" : text, "no '/'");
    }
    String addressPart = text.substring(0, slash);
    String bitsPart = text.substring(slash + 1);
    byte[] address = parseAddress(addressPart, text);
    int max = address.length * 8;
    // Go accepts only plain decimal here: no sign, no spaces, no leading zeros ("/08").
    if (bitsPart.isEmpty()
        || bitsPart.length() > 3
        || !bitsPart.chars().allMatch(c -> c >= '0' && c <= '9')
        || (bitsPart.length() > 1 && bitsPart.charAt(0) == '0')) {
      throw new InvalidCidrException(text, "bad bits after slash: \"" + bitsPart + "\"");
    }
    int bits = Integer.parseInt(bitsPart);
    if (bits > max) {
      throw new InvalidCidrException(
          text,
          "prefix length out of range (0-" + max + " for " + (max == 32 ? "IPv4" : "IPv6") + ")");
    }
    return new CidrPrefix(address, bits);
  }

  /** Parses a bare IPv4 or IPv6 address (no zone) into 4 or 16 bytes. */
  public static byte[] parseAddress(String text) {
    return parseAddress(text, text);
  }

  /**
   * Parses the address {@code addr}, naming {@code whole} (the text it came from, such as a whole
   * prefix) in the error.
   */
  public static byte[] parseAddress(String addr, String whole) {
    if (addr.isEmpty()) {
      throw new InvalidCidrException(whole, "missing address");
    }
    for (int i = 0; i < addr.length(); i++) {
      char c = addr.charAt(i);
      if (c == '.') {
        return parseIpv4(whole, addr);
      }
      if (c == ':') {
        return parseIpv6(whole, addr);
      }
    }
    throw new InvalidCidrException(whole, "unable to parse IP");
  }

  public boolean isIpv4() {
    return address.length == 4;
  }

  /** The network address; a copy, so the prefix stays immutable. */
  @Override
  public byte[] address() {
    return address.clone();
  }

  /** Whether {@code other} lies entirely inside this prefix (same family, equal or longer mask). */
  public boolean contains(CidrPrefix other) {
    return other.address.length == address.length
        && other.length >= length
        && matches(other.address);
  }

  /** Whether the address (4 or 16 bytes) lies inside this prefix; other families never match. */
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
    int mask = (0xff << (8 - rest)) & 0xff;
    return (addr[full] & mask) == (address[full] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CidrPrefix other
        && length == other.length
        && Arrays.equals(address, other.address);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(address) + length;
  }

  /** Canonical text: {@code 10.0.0.0/8}, {@code 2001:db8::/32} (RFC 5952), as Go prints it. */
  @Override
  public String toString() {
    return formatAddress(address) + "/" + length;
  }

  /** Formats 4 or 16 address bytes the way Go's {@code netip.Addr.String} does. */
  public static String formatAddress(byte[] addr) {
    if (addr.length == 4) {
      return Ipv4.format(java.nio.ByteBuffer.wrap(addr).getInt());
    }
    if (addr.length != 16) {
      throw new IllegalArgumentException("address must have 4 or 16 bytes, not " + addr.length);
    }
    if (isIpv4Mapped(addr)) {
      return "::ffff:" + formatAddress(Arrays.copyOfRange(addr, 12, 16));
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((addr[2 * i] & 0xff) << 8) | (addr[2 * i + 1] & 0xff);
    }
    // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }

  private static boolean isIpv4Mapped(byte[] addr) {
    for (int i = 0; i < 10; i++) {
      if (addr[i] != 0) {
        return false;
      }
    }
    return addr[10] == (byte) 0xff && addr[11] == (byte) 0xff;
  }

  private static byte[] masked(byte[] addr, int bits) {
    byte[] out = addr.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.min(8, Math.max(0, bits - 8 * i));
      out[i] &= (byte) ((0xff << (8 - keep)) & 0xff);
    }
    return out;
  }

  private static byte[] parseIpv4(String input, String text) {
    byte[] out = new byte[4];
    int field = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        if (digits == 1 && value == 0) {
          throw new InvalidCidrException(input, "IPv4 field has octet with leading zero");
        }
        value = value * 10 + (c - '0');
        digits++;
        if (value > 255) {
          throw new InvalidCidrException(input, "IPv4 field has value >255");
        }
      } else if (c == '.') {
        if (digits == 0) {
          throw new InvalidCidrException(input, "IPv4 field must have at least one digit");
        }
        if (field == 4) {
          throw new InvalidCidrException(input, "IPv4 address too long");
        }
        out[field++] = (byte) value;
        value = 0;
        digits = 0;
      } else {
        throw new InvalidCidrException(input, "unexpected character '" + c + "' in IPv4 address");
      }
    }
    if (field < 4) {
      throw new InvalidCidrException(input, "IPv4 address too short");
    }
    return out;
  }

  private static byte[] parseIpv6(String input, String text) {
    if (text.indexOf('%') >= 0) {
      // Zones name an interface; a policy prefix cannot use one.
      throw new InvalidCidrException(input, "IPv6 zones are not supported");
    }
    byte[] out = new byte[16];
    int pos = 0;
    int ellipsis = -1;
    int i = 0;
    if (text.startsWith("::")) {
      ellipsis = 0;
      i = 2;
      if (i == text.length()) {
        return out;
      }
    } else if (text.startsWith(":")) {
      throw new InvalidCidrException(input, "IPv6 address cannot start with a single colon");
    }
    while (i < text.length()) {
      int start = i;
      int value = 0;
      while (i < text.length() && Character.digit(text.charAt(i), 16) >= 0 && i - start < 5) {
        value = (value << 4) | Character.digit(text.charAt(i), 16);
        i++;
      }
      if (i - start > 4) {
        throw new InvalidCidrException(input, "IPv6 field has value >=2^16");
      }
      if (i < text.length() && text.charAt(i) == '.') {
        // Trailing dotted IPv4 form, e.g. ::ffff:10.0.0.1.
        if (ellipsis < 0 && pos != 12) {
          throw new InvalidCidrException(
              input, "embedded IPv4 address must replace the final 2 fields");
        }
        if (pos + 4 > 16) {
          throw new InvalidCidrException(input, "IPv6 address too long");
        }
        byte[] v4 = parseIpv4(input, text.substring(start));
        System.arraycopy(v4, 0, out, pos, 4);
        pos += 4;
        i = text.length();
        break;
      }
      if (i == start) {
        throw new InvalidCidrException(
            input, "each colon-separated field must have at least one digit");
      }
      if (pos + 2 > 16) {
        throw new InvalidCidrException(input, "IPv6 address too long");
      }
      out[pos++] = (byte) (value >> 8);
      out[pos++] = (byte) value;
      if (i == text.length()) {
        break;
      }
      if (text.charAt(i) != ':') {
        throw new InvalidCidrException(
            input, "unexpected character '" + text.charAt(i) + "' in IPv6 address");
      }
      i++;
      if (i < text.length() && text.charAt(i) == ':') {
        if (ellipsis >= 0) {
          throw new InvalidCidrException(input, "multiple :: in address");
        }
        ellipsis = pos;
        i++;
        if (i == text.length()) {
          break;
        }
      } else if (i == text.length()) {
        throw new InvalidCidrException(input, "IPv6 address cannot end with a single colon");
      }
    }
    if (ellipsis >= 0) {
      if (pos == 16) {
        throw new InvalidCidrException(input, ":: must stand for at least one zero field");
      }
      int tail = pos - ellipsis;
      System.arraycopy(out, ellipsis, out, 16 - tail, tail);
      Arrays.fill(out, ellipsis, 16 - tail, (byte) 0);
    } else if (pos != 16) {
      throw new InvalidCidrException(input, "IPv6 address too short");
    }
    return out;
  }

  /** Thrown for text that is not a valid prefix or address; {@link #reason()} omits the input. */
  public static final class InvalidCidrException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String input;
    private final String reason;

    InvalidCidrException(String input, String reason) {
      super("invalid CIDR \"" + input + "\": " + reason);
      this.input = input;
      this.reason = reason;
    }

    public String input() {
      return input;
    }

    public String reason() {
      return reason;
    }
  }
}
