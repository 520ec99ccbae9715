package io.hexgate.datapath.proxy;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.HTTP;
import io.hexgate.contract.v1.HTTPHeader;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.contract.v1.Layer7;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hubble's L7 flows of the proxy: one per request, one per response. */
final class L7Flows {
  private static final Logger log = LoggerFactory.getLogger(L7Flows.class);

  private final Consumer<Flow> sink;

  L7Flows(Consumer<Flow> sink) {
    this.sink = sink;
  }

  /** The flows of one connection: what its flows share is built once, not per request. */
  Connection connection(ConnectionEnds c) {
    return new Connection(c);
  }

  /**
   * Only ever used on its connection's event loop. Its builders are kept from flow to flow: a built flow
   * shares what did not change (the ends, the policies) instead of copying a template field by field.
   */
  final class Connection {
    private final Flow requestBase;
    private final Flow responseBase;
    private final Flow.Builder request;
    private final Flow.Builder response;
    private ConnectionPolicy policy;

    private Connection(ConnectionEnds c) {
      requestBase = base(c, null, c.client(), c.server()).build();
      responseBase = base(c, null, c.server(), c.client()).setVerdict(Verdict.VERDICT_FORWARDED)
          .setIsReply(true).build();
      request = requestBase.toBuilder();
      response = responseBase.toBuilder();
    }

    void request(Exchange e, boolean forwarded) {
      HTTP.Builder http = HTTP.newBuilder().setMethod(e.method).setUrl(e.url).setProtocol(e.protocol);
      headers(http, e.requestHeaders);
      emit(template(e.policy, request)
          .setTimeNanos(nowNanos())
          .setVerdict(forwarded ? Verdict.VERDICT_FORWARDED : Verdict.VERDICT_DROPPED)
          .setL7(Layer7.newBuilder().setType(L7FlowType.L7_FLOW_TYPE_REQUEST).setHttp(http).build())
          .build());
    }

    void response(Exchange e, int code, HeaderList headers, long latencyNanos) {
      HTTP.Builder http =
          HTTP.newBuilder().setCode(code).setMethod(e.method).setUrl(e.url).setProtocol(e.protocol);
      headers(http, headers);
      emit(template(e.policy, response)
          .setTimeNanos(nowNanos())
          .setL7(Layer7.newBuilder()
              .setType(L7FlowType.L7_FLOW_TYPE_RESPONSE)
              .setLatencyNs(latencyNanos)
              .setHttp(http)
              .build())
          .build());
    }

    /** {@code b} with the identities and policies of {@code p}, which change only with a new revision. */
    private Flow.Builder template(ConnectionPolicy p, Flow.Builder b) {
      if (p != policy) {
        policy = p;
        setPolicy(request, requestBase, p, true);
        setPolicy(response, responseBase, p, false);
      }
      return b;
    }

    private void setPolicy(Flow.Builder b, Flow base, ConnectionPolicy p, boolean request) {
      b.setSourceIdentity(base.getSourceIdentity()).setDestinationIdentity(base.getDestinationIdentity())
          .clearPolicies();
      if (p != null) {
        // the reply goes the other way: its source is the request's destination
        b.setSourceIdentity(request ? p.sourceIdentity() : p.destinationIdentity())
            .setDestinationIdentity(request ? p.destinationIdentity() : p.sourceIdentity())
            .addAllPolicies(p.policies());
      }
    }
  }

  /** A connection refused before any request was read (too many open connections). */
  void refused(ConnectionEnds c) {
    emit(base(c, null, c.client(), c.server())
        .setVerdict(Verdict.VERDICT_DROPPED)
        .setL7(Layer7.newBuilder().setType(L7FlowType.L7_FLOW_TYPE_REQUEST))
        .build());
  }

  private static Flow.Builder base(ConnectionEnds c, ConnectionPolicy p, InetSocketAddress src,
      InetSocketAddress dst) {
    Flow.Builder f = Flow.newBuilder()
        .setTimeNanos(nowNanos())
        .setSourceIp(src.getAddress().getHostAddress())
        .setSourcePort(src.getPort())
        .setDestinationIp(dst.getAddress().getHostAddress())
        .setDestinationPort(dst.getPort())
        .setProtocol(Protocol.PROTOCOL_TCP)
        .setDirection(c.direction() == ProxyDirection.INGRESS
            ? TrafficDirection.TRAFFIC_DIRECTION_INGRESS
            : TrafficDirection.TRAFFIC_DIRECTION_EGRESS)
        .setType(FlowType.FLOW_TYPE_L7)
        .setProxyPort(c.proxyPort());
    if (p != null) {
      f.setSourceIdentity(p.sourceIdentity()).setDestinationIdentity(p.destinationIdentity())
          .addAllPolicies(p.policies());
    }
    return f;
  }

  private static void headers(HTTP.Builder http, HeaderList headers) {
    for (int i = 0; i < headers.size(); i++) {
      String key = headers.name(i);
      http.addHeaders(HTTPHeader.newBuilder().setKey(key).setValue(hidden(key) ? "HUBBLE_REDACTED" : headers.value(i)));
    }
  }

  /** Values Hubble never shows (its default redaction). */
  private static boolean hidden(String name) {
    switch (name.length()) {
      case 6:
        return name.equalsIgnoreCase("cookie");
      case 10:
        return name.equalsIgnoreCase("set-cookie");
      case 13:
        return name.equalsIgnoreCase("authorization");
      case 19:
        return name.equalsIgnoreCase("proxy-authorization");
      default:
        return false;
    }
  }

  private static long nowNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private void emit(Flow f) {
    try {
      sink.accept(f);
    } catch (RuntimeException e) {
      // a failing consumer must not break the connection the flow describes
      log.warn("L7 flow consumer failed", e);
    }
  }
}
