package io.hexgate.datapath.flow.hubble;

import java.util.Map;

/**
 * ICMPv4 type and code as Hubble's summaries spell them ("EchoRequest", "DestinationUnreachable(Port)"),
 * the names gopacket gives them.
 */
final class IcmpNames {
  private IcmpNames() {}

  private static final Map<Integer, String> TYPES = Map.ofEntries(
      Map.entry(0, "EchoReply"), Map.entry(3, "DestinationUnreachable"), Map.entry(4, "SourceQuench"),
      Map.entry(5, "Redirect"), Map.entry(8, "EchoRequest"), Map.entry(9, "RouterAdvertisement"),
      Map.entry(10, "RouterSolicitation"), Map.entry(11, "TimeExceeded"), Map.entry(12, "ParameterProblem"),
      Map.entry(13, "TimestampRequest"), Map.entry(14, "TimestampReply"), Map.entry(15, "InfoRequest"),
      Map.entry(16, "InfoReply"), Map.entry(17, "AddressMaskRequest"), Map.entry(18, "AddressMaskReply"));

  private static final Map<Integer, String[]> CODES = Map.of(
      3, new String[] {"Net", "Host", "Protocol", "Port", "FragmentationNeeded", "SourceRoutingFailed", "NetUnknown",
          "HostUnknown", "SourceIsolated", "NetAdminProhibited", "HostAdminProhibited", "NetTOS", "HostTOS",
          "CommAdminProhibited", "HostPrecedence", "PrecedenceCutoff"},
      5, new String[] {"Net", "Host", "TOS+Net", "TOS+Host"},
      11, new String[] {"TTLExceeded", "FragmentReassemblyTimeExceeded"},
      12, new String[] {"PointerIndicatesError", "MissingOption", "BadLength"});

  /** "ICMPv4 " and the type and code. */
  static String summary(int type, int code) {
    return "ICMPv4 " + typeCode(type, code);
  }

  private static String typeCode(int type, int code) {
    String t = TYPES.get(type);
    if (t == null) {
      return type + "(" + code + ")";
    }
    String[] codes = CODES.get(type);
    if (codes == null) {
      return code == 0 ? t : t + "(Code: " + code + ")";
    }
    return code < codes.length ? t + "(" + codes[code] + ")" : t + "(Code: " + code + ")";
  }
}
