package io.hexgate.cli.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The names Hubble's CLI gives to Cilium's monitor numbers: message types ({@code event_type.type}), trace
 * observation points and drop reasons ({@code event_type.sub_type}), policy match types and reserved
 * identities. Flags are read with them and compact lines printed with them, so they are Cilium's exact texts.
 */
final class MonitorNames {
  static final int DROP = 1;
  static final int TRACE = 4;
  static final int POLICY_VERDICT = 5;
  static final int CAPTURE = 3;
  static final int TRACE_SOCK = 7;
  static final int L7 = 129;

  /** {@code -t NAME}: the monitor message types by CLI name. */
  static final Map<String, Integer> MESSAGE_TYPES = Map.of(
      "drop", DROP, "debug", 2, "capture", CAPTURE, "trace", TRACE, "policy-verdict", POLICY_VERDICT,
      "trace-sock", TRACE_SOCK, "l7", L7, "agent", 130);

  /** Trace observation points by monitor sub-type (0 is "to endpoint", unlike the flow enum). */
  private static final Map<Integer, String> TRACE_POINTS = new LinkedHashMap<>();
  private static final Map<Integer, String> DROP_REASONS = new LinkedHashMap<>();
  private static final Map<Integer, String> RESERVED_IDENTITIES = new LinkedHashMap<>();

  static {
    String[] points = {"to-endpoint", "to-proxy", "to-host", "to-stack", "to-overlay", "from-endpoint", "from-proxy",
        "from-host", "from-stack", "from-overlay", "from-network", "to-network", "from-crypto", "to-crypto"};
    for (int i = 0; i < points.length; i++) {
      TRACE_POINTS.put(i, points[i]);
    }
    String[] identities = {"unknown", "host", "world", "unmanaged", "health", "init", "remote-node", "kube-apiserver",
        "ingress", "world-ipv4", "world-ipv6"};
    for (int i = 0; i < identities.length; i++) {
      RESERVED_IDENTITIES.put(i, identities[i]);
    }
    Object[] drops = {
      0, "Success", 2, "Invalid packet", 3, "Interface", 4, "Interface Decrypted",
      5, "LB, sock cgroup: No backend slot entry found", 6, "LB, sock cgroup: No backend entry found",
      7, "LB, sock cgroup: Reverse entry update failed", 8, "LB, sock cgroup: Reverse entry stale",
      9, "Fragmented packet", 10, "Fragmented packet entry update failed", 11, "Missed tail call to custom program",
      12, "Interface Decrypting", 13, "Interface Encrypting", 14, "LB: sock cgroup: Reverse entry delete succeeded",
      15, "MTU error message",
      130, "Invalid source mac", 131, "Invalid destination mac", 132, "Invalid source ip", 133, "Policy denied",
      134, "Invalid packet", 135, "CT: Truncated or invalid header", 136, "Fragmentation needed",
      137, "CT: Unknown L4 protocol", 138, "CT: Can't create entry from packet", 139, "Unsupported L3 protocol",
      140, "Missed tail call", 141, "Error writing to packet", 142, "Unknown L4 protocol", 143, "Unknown ICMPv4 code",
      144, "Unknown ICMPv4 type", 145, "Unknown ICMPv6 code", 146, "Unknown ICMPv6 type",
      147, "Error retrieving tunnel key", 148, "Error retrieving tunnel options", 149, "Invalid Geneve option",
      150, "Unknown L3 target address", 151, "Stale or unroutable IP", 152, "No matching local container found",
      153, "Error while correcting L3 checksum", 154, "Error while correcting L4 checksum",
      155, "CT: Map insertion failed", 156, "Invalid IPv6 extension header", 157, "IP fragmentation not supported",
      158, "Service backend not found", 160, "No tunnel/encapsulation endpoint (datapath BUG!)",
      161, "NAT 46/64 not enabled", 162, "Reached EDT rate-limiting drop horizon",
      163, "Unknown connection tracking state", 164, "Local host is unreachable",
      165, "No configuration available to perform policy decision", 166, "Unsupported L2 protocol",
      167, "No mapping for NAT masquerade", 168, "Unsupported protocol for NAT masquerade", 169, "FIB lookup failed",
      170, "Encapsulation traffic is prohibited", 171, "Invalid identity", 172, "Unknown sender", 173, "NAT not needed",
      174, "Is a ClusterIP", 175, "First logical datagram fragment not found", 176, "Forbidden ICMPv6 message",
      177, "Denied by LB src range check", 178, "Socket lookup failed", 179, "Socket assign failed",
      180, "Proxy redirection not supported for protocol", 181, "Policy denied by denylist",
      182, "VLAN traffic disallowed by VLAN filter", 183, "Incorrect VNI from VTEP",
      184, "Failed to update or lookup TC buffer", 185, "No SID was found for the IP address",
      186, "SRv6 state was removed during tail call", 187, "L3 translation from IPv4 to IPv6 failed (NAT46)",
      188, "L3 translation from IPv6 to IPv4 failed (NAT64)", 189, "Authentication required",
      190, "No conntrack map found", 191, "No nat map found", 192, "Invalid ClusterID",
      193, "Unsupported packet protocol for DSR encapsulation", 194, "No egress gateway found",
      195, "Traffic is unencrypted", 196, "TTL exceeded", 197, "No node ID found", 198, "Rate limited",
      199, "IGMP handled", 200, "IGMP subscribed", 201, "Multicast handled", 202, "Host datapath not ready",
      203, "Endpoint policy program not available", 204, "No Egress IP configured", 205, "Punt to proxy",
    };
    for (int i = 0; i < drops.length; i += 2) {
      DROP_REASONS.put((Integer) drops[i], (String) drops[i + 1]);
    }
  }

  private MonitorNames() {}

  /** The compact TYPE of a trace event; the monitor reads the sub-type as one byte. */
  static String tracePoint(int subType) {
    int point = subType & 0xff;
    return TRACE_POINTS.getOrDefault(point, Integer.toString(point));
  }

  /** The trace sub-type a {@code -t trace:NAME} names. */
  static Optional<Integer> tracePoint(String name) {
    return TRACE_POINTS.entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey).findFirst();
  }

  /** The monitor's text for a drop code (the drop event's sub-type, one byte); unknown codes as Cilium prints them. */
  static String dropReason(int subType) {
    int code = subType & 0xff;
    String text = DROP_REASONS.get(code);
    return text != null ? text : code + ", 0";
  }

  static String policyMatchType(int matchType) {
    return switch (matchType) {
      case 0 -> "none";
      case 1 -> "L3-Only";
      case 2 -> "L3-L4";
      case 3 -> "L4-Only";
      case 4 -> "all";
      case 5 -> "L3-Proto";
      case 6 -> "Proto-Only";
      default -> "unknown";
    };
  }

  /** The name of a reserved identity (0-10), empty for any other. */
  static Optional<String> reservedIdentity(int identity) {
    return Optional.ofNullable(RESERVED_IDENTITIES.get(identity));
  }

  /** {@code --identity world} or {@code --identity 12345}. */
  static Optional<Integer> identity(String text) {
    for (Map.Entry<Integer, String> e : RESERVED_IDENTITIES.entrySet()) {
      if (e.getKey() != 0 && e.getValue().equals(text)) {
        return Optional.of(e.getKey());
      }
    }
    try {
      return Optional.of(Integer.parseUnsignedInt(text));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  static java.util.Collection<String> reservedIdentityNames() {
    return RESERVED_IDENTITIES.values();
  }
}
