package io.hexgate.lab.flows;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.HTTP;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.contract.v1.Layer7;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.abi.DropReasons;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One flow as a line in the manner of {@code hubble observe}: time, source and destination (the pod an
 * address belongs to, its port and identity), what the flow is (the protocol, or {@code http-request} /
 * {@code http-response} for what the L7 proxy saw), direction, verdict with the drop reason or the HTTP
 * summary, the policies that decided it and the node that saw it. An HTTP response keeps the client on the
 * left, with {@code <-}, as Hubble prints it:
 *
 * <pre>
 * default/tiefighter:5555 (ID:999) -> default/deathstar-…:80 (ID:678)  http-request ingress  FORWARDED (HTTP/1.1 POST http://…/v1/request-landing)  policy default/rule1  [node-1]
 * default/tiefighter:5555 (ID:999) <- default/deathstar-…:80 (ID:678)  http-response ingress  FORWARDED (HTTP/1.1 200 3ms (POST http://…/v1/request-landing))  …
 * </pre>
 */
public final class FlowLine {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

  private FlowLine() {}

  /** @param names the pod ({@code namespace/name}) or other name of an address; the address itself when unknown */
  public static String format(FlowLog.Entry e, Function<String, String> names) {
    Flow f = e.flow();
    boolean l7 = f.getType() == FlowType.FLOW_TYPE_L7;
    String source = peer(names.apply(f.getSourceIp()), f.getSourcePort(), f.getSourceIdentity());
    String destination = peer(names.apply(f.getDestinationIp()), f.getDestinationPort(), f.getDestinationIdentity());
    StringBuilder s = new StringBuilder();
    s.append(TIME.format(Instant.ofEpochSecond(0, f.getTimeNanos()))).append("  ");
    if (l7 && f.getIsReply()) {
      // the connection's client stays on the left
      s.append(destination).append(" <- ").append(source);
    } else {
      s.append(source).append(" -> ").append(destination);
    }
    s.append("  ").append(l7 ? l7Type(f.getL7()) : protocol(f.getProtocol()));
    s.append(' ').append(f.getDirection() == TrafficDirection.TRAFFIC_DIRECTION_INGRESS ? "ingress"
        : f.getDirection() == TrafficDirection.TRAFFIC_DIRECTION_EGRESS ? "egress" : "-");
    s.append("  ").append(verdict(f.getVerdict()));
    if (l7 && f.getL7().hasHttp()) {
      s.append(" (").append(httpSummary(f.getL7())).append(')');
    } else if (f.getVerdict() == Verdict.VERDICT_DROPPED && !(l7 && f.getDropReason() == 0)) {
      s.append(" (").append(DropReasons.text(f.getDropReason())).append(", reason ").append(f.getDropReason()).append(')');
    }
    if (f.getPoliciesCount() > 0) {
      s.append("  policy ").append(f.getPoliciesList().stream().map(FlowLine::policy).collect(Collectors.joining(",")));
    }
    s.append("  [").append(e.node()).append(']');
    return s.toString();
  }

  private static String verdict(Verdict v) {
    return switch (v) {
      case VERDICT_DROPPED -> "DROPPED";
      case VERDICT_REDIRECTED -> "REDIRECTED";
      default -> "FORWARDED";
    };
  }

  private static String l7Type(Layer7 l7) {
    return "http-" + (l7.getType() == L7FlowType.L7_FLOW_TYPE_RESPONSE ? "response" : "request");
  }

  /** Hubble's: {@code HTTP/1.1 POST URL} for a request, {@code HTTP/1.1 200 3ms (POST URL)} for a response. */
  private static String httpSummary(Layer7 l7) {
    HTTP http = l7.getHttp();
    String request = http.getMethod() + " " + http.getUrl();
    if (l7.getType() == L7FlowType.L7_FLOW_TYPE_RESPONSE) {
      return http.getProtocol() + " " + http.getCode() + " " + TimeUnit.NANOSECONDS.toMillis(l7.getLatencyNs()) + "ms (" + request + ")";
    }
    return http.getProtocol() + " " + request;
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
