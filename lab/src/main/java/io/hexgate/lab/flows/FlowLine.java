package io.hexgate.lab.flows;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.abi.DropReasons;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One flow as a line in the manner of {@code hubble observe}: time, source and destination (the pod an
 * address belongs to, its port and identity), protocol, direction, verdict, drop reason, the policies
 * that decided it and the node that saw it.
 */
public final class FlowLine {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

  private FlowLine() {}

  /** @param names the pod ({@code namespace/name}) or other name of an address; the address itself when unknown */
  public static String format(FlowLog.Entry e, Function<String, String> names) {
    Flow f = e.flow();
    StringBuilder s = new StringBuilder();
    s.append(TIME.format(Instant.ofEpochSecond(0, f.getTimeNanos()))).append("  ");
    s.append(peer(names.apply(f.getSourceIp()), f.getSourcePort(), f.getSourceIdentity()));
    s.append(" -> ");
    s.append(peer(names.apply(f.getDestinationIp()), f.getDestinationPort(), f.getDestinationIdentity()));
    s.append("  ").append(protocol(f.getProtocol()));
    s.append(' ').append(f.getDirection() == TrafficDirection.TRAFFIC_DIRECTION_INGRESS ? "ingress"
        : f.getDirection() == TrafficDirection.TRAFFIC_DIRECTION_EGRESS ? "egress" : "-");
    if (f.getVerdict() == Verdict.VERDICT_DROPPED) {
      s.append("  DROPPED (").append(DropReasons.text(f.getDropReason())).append(", reason ").append(f.getDropReason()).append(')');
    } else {
      s.append("  FORWARDED");
    }
    if (f.getPoliciesCount() > 0) {
      s.append("  policy ").append(f.getPoliciesList().stream().map(FlowLine::policy).collect(Collectors.joining(",")));
    }
    s.append("  [").append(e.node()).append(']');
    return s.toString();
  }

  private static String peer(String name, int port, long identity) {
    return name + (port > 0 ? ":" + port : "") + " (ID:" + identity + ")";
  }

  private static String protocol(Protocol p) {
    return switch (p) {
      case PROTOCOL_TCP -> "TCP";
      case PROTOCOL_UDP -> "UDP";
      case PROTOCOL_ICMP -> "ICMP";
      case PROTOCOL_ICMPV6 -> "ICMPv6";
      case PROTOCOL_SCTP -> "SCTP";
      default -> "IP";
    };
  }

  private static String policy(PolicyRef r) {
    return r.getNamespace().isEmpty() ? r.getName() : r.getNamespace() + "/" + r.getName();
  }
}
