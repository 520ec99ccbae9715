package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;

/** The label values Hubble derives from a flow and several metrics share, spelled as Hubble spells them. */
final class FlowLabels {
  // monitor message types (event_type.type)
  static final int DROP = 1;
  static final int CAPTURE = 3;
  static final int TRACE = 4;
  static final int POLICY_VERDICT = 5;
  static final int ACCESS_LOG = 129;

  /** Trace observation points by monitor sub_type, as the {@code subtype} label names them. */
  private static final String[] OBSERVATION_POINTS = {
      "to-endpoint", "to-proxy", "to-host", "to-stack", "to-overlay", "from-endpoint", "from-proxy",
      "from-host", "from-stack", "from-overlay", "from-network", "to-network", "from-crypto", "to-crypto"};

  /** policy_match_type, lower-cased as the {@code match} label has it. */
  private static final String[] MATCH_TYPES = {"none", "l3-only", "l3-l4", "l4-only", "all", "l3-proto", "proto-only"};

  private FlowLabels() {}

  /**
   * The monitor message type. A flow that says it is L7 without an event type (Hubble's L7 flows always
   * carry 129) still counts as one.
   */
  static int eventType(Flow flow) {
    int type = flow.getEventType().getType();
    return type == 0 && flow.getType() == FlowType.L7 ? ACCESS_LOG : type;
  }

  /** The {@code type} label of {@code hubble_flows_processed_total}. */
  static String typeName(int eventType) {
    return switch (eventType) {
      case ACCESS_LOG -> "L7";
      case DROP -> "Drop";
      case CAPTURE -> "Capture";
      case TRACE -> "Trace";
      case POLICY_VERDICT -> "PolicyVerdict";
      default -> "Unknown";
    };
  }

  /** The {@code subtype} label: the L7 protocol, the trace's observation point, else the unknown type's number. */
  static String subtype(Flow flow, int eventType) {
    return switch (eventType) {
      case ACCESS_LOG -> l7Protocol(flow.getL7(), "");
      case TRACE -> {
        int point = flow.getEventType().getSubType();
        yield point >= 0 && point < OBSERVATION_POINTS.length ? OBSERVATION_POINTS[point] : "";
      }
      case DROP, CAPTURE, POLICY_VERDICT -> "";
      default -> Integer.toString(eventType);
    };
  }

  /** Hubble's FlowProtocol: the L7 protocol for L7 events, the L4 one for datapath events. */
  static String protocol(Flow flow, int eventType) {
    return switch (eventType) {
      case ACCESS_LOG -> l7Protocol(flow.getL7(), "Unknown L7");
      case DROP, TRACE, POLICY_VERDICT, CAPTURE -> l4Protocol(flow.getL4(), "Unknown L4");
      default -> "Unknown flow";
    };
  }

  private static String l7Protocol(Layer7 l7, String otherwise) {
    return switch (l7.getRecordCase()) {
      case DNS -> "DNS";
      case HTTP -> "HTTP";
      case KAFKA -> "Kafka";
      default -> otherwise;
    };
  }

  static String l4Protocol(Layer4 l4, String otherwise) {
    return switch (l4.getProtocolCase()) {
      case TCP -> "TCP";
      case UDP -> "UDP";
      case ICMPV4 -> "ICMPv4";
      case ICMPV6 -> "ICMPv6";
      case SCTP -> "SCTP";
      default -> otherwise;
    };
  }

  /** An enum value's name as Go prints it: the number when this build does not know the value. */
  static String name(Enum<?> value, int number) {
    return value.name().equals("UNRECOGNIZED") ? Integer.toString(number) : value.name();
  }

  static String verdict(Flow flow) {
    return name(flow.getVerdict(), flow.getVerdictValue());
  }

  static String matchType(int policyMatchType) {
    return policyMatchType >= 0 && policyMatchType < MATCH_TYPES.length ? MATCH_TYPES[policyMatchType] : "unknown";
  }

  /** The {@code reporter} label of the HTTP and Kafka metrics: who saw the request. */
  static String reporter(Flow flow) {
    return switch (flow.getTrafficDirection()) {
      case EGRESS -> "client";
      case INGRESS -> "server";
      default -> "unknown";
    };
  }

  /** Nanoseconds as Prometheus' seconds. */
  static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
