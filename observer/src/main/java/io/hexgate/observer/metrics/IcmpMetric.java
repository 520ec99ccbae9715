package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Layer4;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;

/**
 * {@code icmp}: {@code hubble_icmp_total{family,type}}, the type named as Hubble names it (gopacket's names:
 * {@code EchoRequest}, {@code DestinationUnreachable(Port)}, {@code 42(0)} for a type it does not know).
 */
final class IcmpMetric extends FlowMetric {
  private record TypeNames(String type, Map<Integer, String> codes) {}

  private static final Map<Integer, TypeNames> V4 = Map.ofEntries(
      Map.entry(0, new TypeNames("EchoReply", null)),
      Map.entry(3, new TypeNames("DestinationUnreachable", Map.ofEntries(
          Map.entry(0, "Net"), Map.entry(1, "Host"), Map.entry(2, "Protocol"), Map.entry(3, "Port"),
          Map.entry(4, "FragmentationNeeded"), Map.entry(5, "SourceRoutingFailed"), Map.entry(6, "NetUnknown"),
          Map.entry(7, "HostUnknown"), Map.entry(8, "SourceIsolated"), Map.entry(9, "NetAdminProhibited"),
          Map.entry(10, "HostAdminProhibited"), Map.entry(11, "NetTOS"), Map.entry(12, "HostTOS"),
          Map.entry(13, "CommAdminProhibited"), Map.entry(14, "HostPrecedence"),
          Map.entry(15, "PrecedenceCutoff")))),
      Map.entry(4, new TypeNames("SourceQuench", null)),
      Map.entry(5, new TypeNames("Redirect", Map.of(0, "Net", 1, "Host", 2, "TOS+Net", 3, "TOS+Host"))),
      Map.entry(8, new TypeNames("EchoRequest", null)),
      Map.entry(9, new TypeNames("RouterAdvertisement", null)),
      Map.entry(10, new TypeNames("RouterSolicitation", null)),
      Map.entry(11, new TypeNames("TimeExceeded", Map.of(0, "TTLExceeded", 1, "FragmentReassemblyTimeExceeded"))),
      Map.entry(12, new TypeNames("ParameterProblem",
          Map.of(0, "PointerIndicatesError", 1, "MissingOption", 2, "BadLength"))),
      Map.entry(13, new TypeNames("TimestampRequest", null)),
      Map.entry(14, new TypeNames("TimestampReply", null)),
      Map.entry(15, new TypeNames("InfoRequest", null)),
      Map.entry(16, new TypeNames("InfoReply", null)),
      Map.entry(17, new TypeNames("AddressMaskRequest", null)),
      Map.entry(18, new TypeNames("AddressMaskReply", null)));

  private static final Map<Integer, TypeNames> V6 = Map.ofEntries(
      Map.entry(1, new TypeNames("DestinationUnreachable", Map.of(
          0, "NoRouteToDst", 1, "AdminProhibited", 2, "BeyondScopeOfSrc", 3, "AddressUnreachable",
          4, "PortUnreachable", 5, "SrcAddressFailedPolicy", 6, "RejectRouteToDst"))),
      Map.entry(2, new TypeNames("PacketTooBig", null)),
      Map.entry(3, new TypeNames("TimeExceeded", Map.of(0, "HopLimitExceeded", 1, "FragmentReassemblyTimeExceeded"))),
      Map.entry(4, new TypeNames("ParameterProblem",
          Map.of(0, "ErroneousHeaderField", 1, "UnrecognizedNextHeader", 2, "UnrecognizedIPv6Option"))),
      Map.entry(128, new TypeNames("EchoRequest", null)),
      Map.entry(129, new TypeNames("EchoReply", null)),
      Map.entry(133, new TypeNames("RouterSolicitation", null)),
      Map.entry(134, new TypeNames("RouterAdvertisement", null)),
      Map.entry(135, new TypeNames("NeighborSolicitation", null)),
      Map.entry(136, new TypeNames("NeighborAdvertisement", null)),
      Map.entry(137, new TypeNames("Redirect", null)));

  private final Series<CounterDataPoint> messages;

  IcmpMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    messages = counter("hubble_icmp_total", "Number of ICMP messages", false,
        context.names("family", "type"));
  }

  @Override
  public void onFlow(Flow flow) {
    Layer4 l4 = flow.getL4();
    if (l4.hasICMPv4()) {
      messages.get(context.values(flow, "IPv4", name(V4, l4.getICMPv4().getType(), l4.getICMPv4().getCode())))
          .inc();
    } else if (l4.hasICMPv6()) {
      messages.get(context.values(flow, "IPv6", name(V6, l4.getICMPv6().getType(), l4.getICMPv6().getCode())))
          .inc();
    }
  }

  /** The type and code as one byte each, as they travel. */
  private static String name(Map<Integer, TypeNames> table, int type, int code) {
    int t = type & 0xff;
    int c = code & 0xff;
    TypeNames names = table.get(t);
    if (names == null) {
      return t + "(" + c + ")";
    }
    if (names.codes() == null) {
      return c == 0 ? names.type() : names.type() + "(Code: " + c + ")";
    }
    String codeName = names.codes().get(c);
    return codeName == null ? names.type() + "(Code: " + c + ")" : names.type() + "(" + codeName + ")";
  }
}
