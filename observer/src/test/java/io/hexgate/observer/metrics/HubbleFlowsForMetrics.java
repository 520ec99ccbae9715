package io.hexgate.observer.metrics;

import com.google.protobuf.BoolValue;
import io.hexgate.contract.hubble.flow.CiliumEventType;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.ICMPv4;
import io.hexgate.contract.hubble.flow.IP;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.TCP;
import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.hubble.flow.TraceContext;
import io.hexgate.contract.hubble.flow.TraceParent;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.UDP;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.flow.Workload;

/** Hubble flows as an agent emits them, built by hand: a client pod talking to a server pod and the world. */
final class HubbleFlowsForMetrics {
  static final Endpoint CLIENT = Endpoint.newBuilder().setIdentity(300).setNamespace("shop").setPodName("web-7d4b9-x2x")
      .addLabels("k8s:app=web").addLabels("k8s:io.kubernetes.pod.namespace=shop")
      .addWorkloads(Workload.newBuilder().setName("web").setKind("Deployment")).build();
  static final Endpoint SERVER = Endpoint.newBuilder().setIdentity(301).setNamespace("shop").setPodName("api-0")
      .addLabels("k8s:app.kubernetes.io/name=api").addLabels("k8s:io.kubernetes.pod.namespace=shop")
      .addWorkloads(Workload.newBuilder().setName("api").setKind("StatefulSet")).build();
  static final Endpoint WORLD = Endpoint.newBuilder().setIdentity(2).addLabels("reserved:world").build();
  static final Endpoint HOST = Endpoint.newBuilder().setIdentity(1).addLabels("reserved:host").build();

  private HubbleFlowsForMetrics() {}

  static Flow.Builder l3l4(int eventType, int subType, Verdict verdict, Endpoint src, Endpoint dst, Layer4 l4) {
    return Flow.newBuilder().setType(FlowType.L3_L4).setVerdict(verdict)
        .setEventType(CiliumEventType.newBuilder().setType(eventType).setSubType(subType))
        .setSource(src).setDestination(dst)
        .setIP(IP.newBuilder().setSource("10.0.1.5").setDestination("10.0.2.7").setIpVersion(IPVersion.IPv4))
        .setL4(l4);
  }

  static Layer4 tcp(int dport, TCPFlags.Builder flags) {
    return Layer4.newBuilder().setTCP(TCP.newBuilder().setSourcePort(40000).setDestinationPort(dport).setFlags(flags))
        .build();
  }

  static Layer4 udp(int dport) {
    return Layer4.newBuilder().setUDP(UDP.newBuilder().setSourcePort(40001).setDestinationPort(dport)).build();
  }

  static Layer4 icmp(int type, int code) {
    return Layer4.newBuilder().setICMPv4(ICMPv4.newBuilder().setType(type).setCode(code)).build();
  }

  static TCPFlags.Builder syn() {
    return TCPFlags.newBuilder().setSYN(true);
  }

  /** The first packet of a connection, allowed by an L3-L4 rule at the server. */
  static Flow policyAllowed() {
    return l3l4(5, 0, Verdict.FORWARDED, CLIENT, SERVER, tcp(8080, syn()))
        .setTrafficDirection(TrafficDirection.INGRESS).setPolicyMatchType(2).setIsReply(BoolValue.of(false))
        .build();
  }

  /** Denied by the server's default deny: a policy verdict and its drop. */
  static Flow policyDenied() {
    return l3l4(5, 0, Verdict.DROPPED, CLIENT, SERVER, tcp(9090, syn()))
        .setTrafficDirection(TrafficDirection.INGRESS).setDropReason(133)
        .setDropReasonDesc(DropReason.POLICY_DENIED).build();
  }

  static Flow drop(int code, DropReason reason, Layer4 l4) {
    return l3l4(1, code, Verdict.DROPPED, CLIENT, SERVER, l4).setTrafficDirection(TrafficDirection.INGRESS)
        .setDropReason(code).setDropReasonDesc(reason).build();
  }

  /** A forwarded packet seen at {@code point} (monitor sub_type). */
  static Flow trace(int point, Layer4 l4, boolean reply) {
    return l3l4(4, point, Verdict.FORWARDED, CLIENT, SERVER, l4).setTrafficDirection(TrafficDirection.EGRESS)
        .setIsReply(BoolValue.of(reply)).build();
  }

  static Flow httpRequest() {
    return Flow.newBuilder().setType(FlowType.L7).setVerdict(Verdict.FORWARDED)
        .setEventType(CiliumEventType.newBuilder().setType(129))
        .setSource(CLIENT).setDestination(SERVER).setTrafficDirection(TrafficDirection.INGRESS)
        .setIP(IP.newBuilder().setSource("10.0.1.5").setDestination("10.0.2.7").setIpVersion(IPVersion.IPv4))
        .setL4(tcp(8080, TCPFlags.newBuilder())).setIsReply(BoolValue.of(false))
        .setL7(Layer7.newBuilder().setType(L7FlowType.REQUEST)
            .setHttp(HTTP.newBuilder().setMethod("GET").setUrl("http://api.shop/items").setProtocol("HTTP/1.1")))
        .build();
  }

  /** The response to {@link #httpRequest()}: source and destination swapped, as Hubble has it. */
  static Flow httpResponse(int code, long latencyNs, String traceId) {
    return Flow.newBuilder().setType(FlowType.L7).setVerdict(Verdict.FORWARDED)
        .setEventType(CiliumEventType.newBuilder().setType(129))
        .setSource(SERVER).setDestination(CLIENT).setTrafficDirection(TrafficDirection.INGRESS)
        .setIP(IP.newBuilder().setSource("10.0.2.7").setDestination("10.0.1.5").setIpVersion(IPVersion.IPv4))
        .setL4(Layer4.newBuilder().setTCP(TCP.newBuilder().setSourcePort(8080).setDestinationPort(40000)))
        .setIsReply(BoolValue.of(true))
        .setTraceContext(TraceContext.newBuilder().setParent(TraceParent.newBuilder().setTraceId(traceId)))
        .setL7(Layer7.newBuilder().setType(L7FlowType.RESPONSE).setLatencyNs(latencyNs)
            .setHttp(HTTP.newBuilder().setCode(code).setMethod("GET").setUrl("http://api.shop/items")
                .setProtocol("HTTP/1.1")))
        .build();
  }
}
