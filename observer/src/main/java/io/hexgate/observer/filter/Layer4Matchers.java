package io.hexgate.observer.filter;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.TCPFlags;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/** protocol, source_port, destination_port and tcp_flags. */
final class Layer4Matchers {
  private Layer4Matchers() {}

  /** Protocols by the part of the flow that shows them; {@code icmp} is either ICMP version. */
  static Predicate<Flow> protocol(List<String> values, String where, FilterErrors errors) {
    boolean tcp = false, udp = false, sctp = false, icmpv4 = false, icmpv6 = false;
    boolean dns = false, http = false, kafka = false;
    for (String value : values) {
      switch (value.toLowerCase(Locale.ROOT)) {
        case "tcp" -> tcp = true;
        case "udp" -> udp = true;
        case "sctp" -> sctp = true;
        case "icmp" -> icmpv4 = icmpv6 = true;
        case "icmpv4" -> icmpv4 = true;
        case "icmpv6" -> icmpv6 = true;
        case "dns" -> dns = true;
        case "http" -> http = true;
        case "kafka" -> kafka = true;
        // Hubble knows these two; Hexgate's datapath reports neither, so they select nothing
        case "vrrp", "igmp" -> { }
        default -> errors.add(where, "protocol", "unknown protocol " + Quote.of(value));
      }
    }
    boolean[] l4 = new boolean[Layer4.ProtocolCase.values().length];
    l4[Layer4.ProtocolCase.TCP.ordinal()] = tcp;
    l4[Layer4.ProtocolCase.UDP.ordinal()] = udp;
    l4[Layer4.ProtocolCase.SCTP.ordinal()] = sctp;
    l4[Layer4.ProtocolCase.ICMPV4.ordinal()] = icmpv4;
    l4[Layer4.ProtocolCase.ICMPV6.ordinal()] = icmpv6;
    boolean anyDns = dns, anyHttp = http, anyKafka = kafka;
    return flow -> {
      if (l4[flow.getL4().getProtocolCase().ordinal()]) {
        return true;
      }
      return switch (flow.getL7().getRecordCase()) {
        case DNS -> anyDns;
        case HTTP -> anyHttp;
        case KAFKA -> anyKafka;
        case RECORD_NOT_SET -> false;
      };
    };
  }

  static Predicate<Flow> port(List<String> values, boolean source, String where, String field, FilterErrors errors) {
    boolean[] ports = new boolean[65536];
    for (String value : values) {
      int port = parsePort(value);
      if (port < 0) {
        errors.add(where, field, "invalid port " + Quote.of(value) + "; must be a number from 0 to 65535");
      } else {
        ports[port] = true;
      }
    }
    return flow -> {
      Layer4 l4 = flow.getL4();
      int port;
      switch (l4.getProtocolCase()) {
        case TCP -> port = source ? l4.getTCP().getSourcePort() : l4.getTCP().getDestinationPort();
        case UDP -> port = source ? l4.getUDP().getSourcePort() : l4.getUDP().getDestinationPort();
        case SCTP -> port = source ? l4.getSCTP().getSourcePort() : l4.getSCTP().getDestinationPort();
        default -> {
          return false;
        }
      }
      // the datapath's ports are 16-bit; Hubble truncates the same way
      return ports[port & 0xffff];
    };
  }

  private static int parsePort(String value) {
    if (value.isEmpty() || value.length() > 5 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int port = Integer.parseInt(value);
    return port <= 65535 ? port : -1;
  }

  /** Each entry is a set of flags that must all be set; any entry may match. */
  static Predicate<Flow> tcpFlags(List<TCPFlags> values) {
    int[] required = values.stream().mapToInt(Layer4Matchers::bits).toArray();
    return flow -> {
      if (!flow.getL4().hasTCP() || !flow.getL4().getTCP().hasFlags()) {
        return false;
      }
      int present = bits(flow.getL4().getTCP().getFlags());
      for (int r : required) {
        if ((present & r) == r) {
          return true;
        }
      }
      return false;
    };
  }

  private static int bits(TCPFlags f) {
    return (f.getFIN() ? 1 : 0) | (f.getSYN() ? 1 << 1 : 0) | (f.getRST() ? 1 << 2 : 0)
        | (f.getPSH() ? 1 << 3 : 0) | (f.getACK() ? 1 << 4 : 0) | (f.getURG() ? 1 << 5 : 0)
        | (f.getECE() ? 1 << 6 : 0) | (f.getCWR() ? 1 << 7 : 0) | (f.getNS() ? 1 << 8 : 0);
  }
}
