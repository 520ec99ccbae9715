package io.hexgate.lab.flows;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.Protocol;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Which flows {@code hexgate lab flows} shows, selected as {@code hubble observe} selects them; every
 * criterion given must hold, an absent one (null) holds for every flow.
 *
 * @param pod {@code --pod [NAMESPACE/]NAME-PREFIX}: flows from or to such pods (namespace default)
 * @param protocol {@code --protocol}: {@code tcp}, {@code udp}, {@code icmp}, {@code icmpv6}, {@code sctp}
 *     (the datapath's flows and the L7 proxy's, which travel on TCP), or {@code http} (the L7 proxy's)
 * @param type {@code --type}: {@code l7} (the L7 proxy's requests and responses) or {@code l3-l4} (the
 *     datapath's policy verdicts and drops)
 */
public record FlowFilter(String pod, String protocol, String type) {
  public static final FlowFilter ALL = new FlowFilter(null, null, null);

  private static final Map<String, Protocol> L4 = Map.of("tcp", Protocol.PROTOCOL_TCP, "udp", Protocol.PROTOCOL_UDP,
      "icmp", Protocol.PROTOCOL_ICMP, "icmpv4", Protocol.PROTOCOL_ICMP, "icmpv6", Protocol.PROTOCOL_ICMPV6, "sctp", Protocol.PROTOCOL_SCTP);

  /** @throws IllegalArgumentException naming the criterion that is empty or unknown */
  public FlowFilter {
    if (pod != null) {
      if (pod.isEmpty()) {
        throw new IllegalArgumentException("pod: empty");
      }
      pod = pod.contains("/") ? pod : "default/" + pod;
    }
    if (protocol != null) {
      protocol = protocol.toLowerCase(Locale.ROOT);
      if (!protocol.equals("http") && !L4.containsKey(protocol)) {
        throw new IllegalArgumentException("protocol: " + protocol + " is none of tcp, udp, icmp, icmpv6, sctp, http");
      }
    }
    if (type != null) {
      type = type.toLowerCase(Locale.ROOT);
      if (!type.equals("l7") && !type.equals("l3-l4")) {
        throw new IllegalArgumentException("type: " + type + " is none of l7, l3-l4");
      }
    }
  }

  public static FlowFilter pod(String pod) {
    return new FlowFilter(pod, null, null);
  }

  /** The criteria of a query string ({@code pod=...&protocol=...&type=...}); other parameters are not its. */
  public static FlowFilter parse(String rawQuery) {
    String pod = null;
    String protocol = null;
    String type = null;
    if (rawQuery != null) {
      for (String kv : rawQuery.split("&")) {
        int eq = kv.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String value = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        switch (kv.substring(0, eq)) {
          case "pod" -> pod = value;
          case "protocol" -> protocol = value;
          case "type" -> type = value;
          default -> { }
        }
      }
    }
    return new FlowFilter(pod, protocol, type);
  }

  /** The criteria as query parameters, each with a leading {@code &}; empty for {@link #ALL}. */
  public String query() {
    return param("pod", pod) + param("protocol", protocol) + param("type", type);
  }

  private static String param(String name, String value) {
    return value == null ? "" : "&" + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** @param names the pod ({@code namespace/name}) of an address, as {@link FlowLine} names it */
  public boolean test(Flow f, Function<String, String> names) {
    if (pod != null && !names.apply(f.getSourceIp()).startsWith(pod) && !names.apply(f.getDestinationIp()).startsWith(pod)) {
      return false;
    }
    // a flow of an agent that does not say its type is the datapath's
    if (type != null && (f.getType() == FlowType.FLOW_TYPE_L7) != type.equals("l7")) {
      return false;
    }
    if (protocol != null) {
      return protocol.equals("http") ? f.getType() == FlowType.FLOW_TYPE_L7 && f.getL7().hasHttp() : f.getProtocol() == L4.get(protocol);
    }
    return true;
  }
}
