package io.hexgate.observer.filter;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP literals to bytes without ever resolving a name. */
final class IpAddresses {
  private IpAddresses() {}

  /** The 4 or 16 bytes of an IPv4 or IPv6 literal, or null when {@code text} is not one. */
  static byte[] parse(String text) {
    if (text.indexOf(':') >= 0) {
      return parseV6(text);
    }
    return parseV4(text);
  }

  private static byte[] parseV4(String text) {
    byte[] out = new byte[4];
    int part = 0;
    int value = -1;
    int digits = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        // a leading zero would read as octal to some parsers; Go's refuses it, so do we
        if (digits == 1 && value == 0) {
          return null;
        }
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        digits++;
        if (value > 255) {
          return null;
        }
      } else if (c == '.') {
        if (value < 0 || part == 4) {
          return null;
        }
        out[part++] = (byte) value;
        value = -1;
        digits = 0;
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static byte[] parseV6(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
          || c == ':' || c == '.';
      if (!allowed) {
        return null; // no brackets, zones or names: getByName below must only ever see a literal
      }
    }
    try {
      byte[] bytes = InetAddress.getByName(text).getAddress();
      // Java folds IPv4-mapped IPv6 literals to IPv4; keep them 16 bytes long as written
      return bytes.length == 16 ? bytes : mapped(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte[] mapped(byte[] v4) {
    byte[] out = new byte[16];
    out[10] = (byte) 0xff;
    out[11] = (byte) 0xff;
    System.arraycopy(v4, 0, out, 12, 4);
    return out;
  }
}
