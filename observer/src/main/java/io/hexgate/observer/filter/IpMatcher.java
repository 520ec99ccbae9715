package io.hexgate.observer.filter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** Hubble's IP filter: each value is an exact address or a CIDR; any may match. */
final class IpMatcher implements Predicate<String> {
  private final Set<String> exactAsWritten;
  private final List<byte[]> exactAddresses;
  private final List<Cidr> cidrs;
  // only IPv6 addresses have several spellings; IPv4 ones compare as strings, without parsing
  private final boolean parseFlowAddress;

  private IpMatcher(Set<String> exactAsWritten, List<byte[]> exactAddresses, List<Cidr> cidrs) {
    this.exactAsWritten = exactAsWritten;
    this.exactAddresses = exactAddresses;
    this.cidrs = cidrs;
    this.parseFlowAddress = !cidrs.isEmpty() || exactAddresses.stream().anyMatch(a -> a.length == 16);
  }

  static IpMatcher compile(List<String> values, String where, String field, FilterErrors errors) {
    Set<String> exact = new HashSet<>();
    List<byte[]> addresses = new ArrayList<>();
    List<Cidr> cidrs = new ArrayList<>();
    for (String value : values) {
      if (value.indexOf('/') >= 0) {
        Cidr cidr = Cidr.parse(value);
        if (cidr == null) {
          errors.add(where, field, "invalid CIDR " + Quote.of(value));
        } else {
          cidrs.add(cidr);
        }
      } else {
        byte[] address = IpAddresses.parse(value);
        if (address == null) {
          errors.add(where, field, "invalid IP address " + Quote.of(value));
        } else {
          exact.add(value);
          addresses.add(address);
        }
      }
    }
    return new IpMatcher(exact, addresses, cidrs);
  }

  @Override
  public boolean test(String ip) {
    if (ip.isEmpty()) {
      return false;
    }
    if (exactAsWritten.contains(ip)) {
      return true;
    }
    if (!parseFlowAddress) {
      return false;
    }
    byte[] address = IpAddresses.parse(ip);
    if (address == null) {
      return false;
    }
    for (byte[] exact : exactAddresses) {
      if (Arrays.equals(exact, address)) {
        return true;
      }
    }
    for (Cidr cidr : cidrs) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** A prefix; host bits in the written address are ignored, as Go's net.ParseCIDR does. */
  record Cidr(byte[] network, int bits) {
    static Cidr parse(String text) {
      int slash = text.indexOf('/');
      byte[] address = IpAddresses.parse(text.substring(0, slash));
      String length = text.substring(slash + 1);
      if (address == null || length.isEmpty() || length.length() > 3 || !length.chars().allMatch(Character::isDigit)) {
        return null;
      }
      int bits = Integer.parseInt(length);
      return bits > address.length * 8 ? null : new Cidr(address, bits);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }
  }
}
