package io.hexgate.operator.policy;

import java.util.Map;

/** ICMP type names Cilium accepts in {@code icmps}, per family. */
public final class IcmpTypes {
  private IcmpTypes() {}

  public static final Map<String, Integer> IPV4 =
      Map.ofEntries(
          Map.entry("EchoReply", 0),
          Map.entry("DestinationUnreachable", 3),
          Map.entry("Redirect", 5),
          Map.entry("Echo", 8),
          Map.entry("EchoRequest", 8),
          Map.entry("RouterAdvertisement", 9),
          Map.entry("RouterSelection", 10),
          Map.entry("TimeExceeded", 11),
          Map.entry("ParameterProblem", 12),
          Map.entry("Timestamp", 13),
          Map.entry("TimestampReply", 14),
          Map.entry("Photuris", 40),
          Map.entry("ExtendedEchoRequest", 42),
          Map.entry("ExtendedEchoReply", 43));

  public static final Map<String, Integer> IPV6 =
      Map.ofEntries(
          Map.entry("DestinationUnreachable", 1),
          Map.entry("PacketTooBig", 2),
          Map.entry("TimeExceeded", 3),
          Map.entry("ParameterProblem", 4),
          Map.entry("EchoRequest", 128),
          Map.entry("EchoReply", 129),
          Map.entry("MulticastListenerQuery", 130),
          Map.entry("MulticastListenerReport", 131),
          Map.entry("MulticastListenerDone", 132),
          Map.entry("RouterSolicitation", 133),
          Map.entry("RouterAdvertisement", 134),
          Map.entry("NeighborSolicitation", 135),
          Map.entry("NeighborAdvertisement", 136),
          Map.entry("RedirectMessage", 137),
          Map.entry("RouterRenumbering", 138),
          Map.entry("ICMPNodeInformationQuery", 139),
          Map.entry("ICMPNodeInformationResponse", 140),
          Map.entry("InverseNeighborDiscoverySolicitation", 141),
          Map.entry("InverseNeighborDiscoveryAdvertisement", 142),
          Map.entry("HomeAgentAddressDiscoveryRequest", 144),
          Map.entry("HomeAgentAddressDiscoveryReply", 145),
          Map.entry("MobilePrefixSolicitation", 146),
          Map.entry("MobilePrefixAdvertisement", 147),
          Map.entry("DuplicateAddressRequestCodeSuffix", 157),
          Map.entry("DuplicateAddressConfirmationCodeSuffix", 158),
          Map.entry("ExtendedEchoRequest", 160),
          Map.entry("ExtendedEchoReply", 161));

  /** The type number for a name or number; throws with Cilium's message for an unknown name. */
  public static int resolve(String type, boolean ipv6) {
    if (type.matches("[0-9]+")) {
      int n = Integer.parseInt(type);
      if (n > 255) {
        throw new IllegalArgumentException("ICMP type " + type + " out of range 0-255");
      }
      return n;
    }
    Integer n = (ipv6 ? IPV6 : IPV4).get(type);
    if (n == null) {
      throw new IllegalArgumentException(
          "ICMP type " + type + " not found in " + (ipv6 ? "IPv6" : "IPv4"));
    }
    return n;
  }
}
