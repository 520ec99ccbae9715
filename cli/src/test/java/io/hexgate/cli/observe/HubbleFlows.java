package io.hexgate.cli.observe;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.AuthType;
import io.hexgate.contract.hubble.flow.CiliumEventType;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.IP;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.Service;
import io.hexgate.contract.hubble.flow.TCP;
import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.UDP;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import java.time.Instant;
import java.util.List;

/** The flows behind the verified compact lines of the Hubble reference (§8.4), built by hand as Cilium fills them. */
final class HubbleFlows {
  static final String DEATHSTAR = "deathstar-6fb5694d48-5hmds";
  static final String LANDING = "http://deathstar.default.svc.cluster.local/v1/request-landing";
  static final String EXHAUST = "http://deathstar.default.svc.cluster.local/v1/exhaust-port";

  /** The verified lines, in the order of {@link #flows()}. */
  static final List<String> COMPACT = List.of(
      "Nov 22 10:00:00.123: default/xwing:41234 (ID:12345) <> default/deathstar-6fb5694d48-5hmds:80 (ID:678) policy-verdict:none INGRESS DENIED (TCP Flags: SYN)",
      "Nov 22 10:00:00.124: default/xwing:41234 (ID:12345) <> default/deathstar-6fb5694d48-5hmds:80 (ID:678) Policy denied DROPPED (TCP Flags: SYN)",
      "Nov 22 10:00:01.000: default/tiefighter:5555 (ID:999) -> default/deathstar-6fb5694d48-5hmds:80 (ID:678) policy-verdict:L3-L4 INGRESS ALLOWED (TCP Flags: SYN)",
      "Nov 22 10:00:01.001: default/tiefighter:5555 (ID:999) -> default/deathstar-6fb5694d48-5hmds:80 (ID:678) to-endpoint FORWARDED (TCP Flags: SYN)",
      "Nov 22 10:00:01.002: default/tiefighter:5555 (ID:999) <- default/deathstar-6fb5694d48-5hmds:80 (ID:678) from-endpoint FORWARDED (TCP Flags: SYN, ACK)",
      "Nov 22 10:00:02.000: default/tiefighter:5555 (ID:999) -> default/deathstar-6fb5694d48-5hmds:80 (ID:678) http-request FORWARDED (HTTP/1.1 POST http://deathstar.default.svc.cluster.local/v1/request-landing)",
      "Nov 22 10:00:02.003: default/tiefighter:5555 (ID:999) <- default/deathstar-6fb5694d48-5hmds:80 (ID:678) http-response FORWARDED (HTTP/1.1 200 3ms (POST http://deathstar.default.svc.cluster.local/v1/request-landing))",
      "Nov 22 10:00:03.000: default/tiefighter:5556 (ID:999) -> default/deathstar-6fb5694d48-5hmds:80 (ID:678) http-request DROPPED (HTTP/1.1 PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port)",
      "Nov 22 10:00:04.000: default/tiefighter:40000 (ID:999) -> 1.1.1.1:53 (world) to-network FORWARDED (UDP)",
      "Nov  2 03:04:05.006: [fd00::1]:1 (ID:16777217) -> default/kubernetes:443 (remote-node) to-network FORWARDED (TCP Flags: ACK; Auth: SPIRE)");

  private HubbleFlows() {}

  static List<Flow> flows() {
    Endpoint xwing = pod("xwing", 12345);
    Endpoint tiefighter = pod("tiefighter", 999);
    Endpoint deathstar = pod(DEATHSTAR, 678);
    return List.of(
        tcp("2026-11-22T10:00:00.123Z", xwing, "10.0.0.11", 41234, deathstar, "10.0.0.22", 80, syn(), null)
            .setEventType(type(5, 0)).setTrafficDirection(TrafficDirection.INGRESS).setVerdict(Verdict.DROPPED)
            .setDropReason(133).setDropReasonDesc(DropReason.POLICY_DENIED).setSummary("TCP Flags: SYN").build(),
        tcp("2026-11-22T10:00:00.124Z", xwing, "10.0.0.11", 41234, deathstar, "10.0.0.22", 80, syn(), null)
            .setEventType(type(1, 133)).setTrafficDirection(TrafficDirection.INGRESS).setVerdict(Verdict.DROPPED)
            .setDropReason(133).setDropReasonDesc(DropReason.POLICY_DENIED).setSummary("TCP Flags: SYN").build(),
        tcp("2026-11-22T10:00:01Z", tiefighter, "10.0.0.33", 5555, deathstar, "10.0.0.22", 80, syn(), false)
            .setEventType(type(5, 0)).setPolicyMatchType(2).setTrafficDirection(TrafficDirection.INGRESS)
            .setVerdict(Verdict.FORWARDED).setSummary("TCP Flags: SYN").build(),
        tcp("2026-11-22T10:00:01.001Z", tiefighter, "10.0.0.33", 5555, deathstar, "10.0.0.22", 80, syn(), false)
            .setEventType(type(4, 0)).setTrafficDirection(TrafficDirection.INGRESS).setVerdict(Verdict.FORWARDED)
            .setSummary("TCP Flags: SYN").build(),
        tcp("2026-11-22T10:00:01.002Z", deathstar, "10.0.0.22", 80, tiefighter, "10.0.0.33", 5555,
            TCPFlags.newBuilder().setSYN(true).setACK(true).build(), true)
            .setEventType(type(4, 5)).setTrafficDirection(TrafficDirection.INGRESS).setVerdict(Verdict.FORWARDED)
            .setSummary("TCP Flags: SYN, ACK").build(),
        tcp("2026-11-22T10:00:02Z", tiefighter, "10.0.0.33", 5555, deathstar, "10.0.0.22", 80, null, false)
            .setEventType(type(129, 0)).setType(FlowType.L7).setTrafficDirection(TrafficDirection.INGRESS)
            .setVerdict(Verdict.FORWARDED).setL7(http(L7FlowType.REQUEST, 0, "POST", LANDING, 0))
            .setSummary("HTTP/1.1 POST " + LANDING).build(),
        tcp("2026-11-22T10:00:02.003Z", deathstar, "10.0.0.22", 80, tiefighter, "10.0.0.33", 5555, null, true)
            .setEventType(type(129, 0)).setType(FlowType.L7).setTrafficDirection(TrafficDirection.INGRESS)
            .setVerdict(Verdict.FORWARDED).setL7(http(L7FlowType.RESPONSE, 200, "POST", LANDING, 3_000_000))
            .setSummary("HTTP/1.1 200 3ms (POST " + LANDING + ")").build(),
        tcp("2026-11-22T10:00:03Z", tiefighter, "10.0.0.33", 5556, deathstar, "10.0.0.22", 80, null, false)
            .setEventType(type(129, 0)).setType(FlowType.L7).setTrafficDirection(TrafficDirection.INGRESS)
            .setVerdict(Verdict.DROPPED).setL7(http(L7FlowType.REQUEST, 0, "PUT", EXHAUST, 0))
            .setSummary("HTTP/1.1 PUT " + EXHAUST).build(),
        base("2026-11-22T10:00:04Z", tiefighter, "10.0.0.33", Endpoint.newBuilder().setIdentity(2).addLabels("reserved:world").build(),
            "1.1.1.1", false)
            .setL4(Layer4.newBuilder().setUDP(UDP.newBuilder().setSourcePort(40000).setDestinationPort(53)))
            .setEventType(type(4, 11)).setTrafficDirection(TrafficDirection.EGRESS).setVerdict(Verdict.FORWARDED)
            .setSummary("UDP").build(),
        base("2026-11-02T03:04:05.006Z", Endpoint.newBuilder().setIdentity(16777217).build(), "fd00::1",
            Endpoint.newBuilder().setIdentity(6).build(), "fd00::10", false)
            .setL4(Layer4.newBuilder().setTCP(TCP.newBuilder().setSourcePort(1).setDestinationPort(443)
                .setFlags(TCPFlags.newBuilder().setACK(true))))
            .setDestinationService(Service.newBuilder().setName("kubernetes").setNamespace("default"))
            .setEventType(type(4, 11)).setVerdict(Verdict.FORWARDED).setAuthType(AuthType.SPIRE)
            .setSummary("TCP Flags: ACK").build());
  }

  static GetFlowsResponse response(Flow f) {
    return GetFlowsResponse.newBuilder().setFlow(f).setNodeName(f.getNodeName()).setTime(f.getTime()).build();
  }

  private static Endpoint pod(String name, int identity) {
    return Endpoint.newBuilder().setNamespace("default").setPodName(name).setIdentity(identity)
        .addLabels("k8s:app=" + name.split("-")[0]).build();
  }

  private static Flow.Builder base(String time, Endpoint src, String srcIp, Endpoint dst, String dstIp, Boolean reply) {
    Instant t = Instant.parse(time);
    Flow.Builder f = Flow.newBuilder()
        .setTime(Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()))
        .setIP(IP.newBuilder().setSource(srcIp).setDestination(dstIp).setIpVersion(srcIp.contains(":") ? IPVersion.IPv6 : IPVersion.IPv4))
        .setSource(src).setDestination(dst).setType(FlowType.L3_L4).setNodeName("kind-worker");
    if (reply != null) {
      f.setIsReply(BoolValue.of(reply)).setReply(reply);
    }
    return f;
  }

  private static Flow.Builder tcp(String time, Endpoint src, String srcIp, int srcPort, Endpoint dst, String dstIp, int dstPort,
      TCPFlags flags, Boolean reply) {
    TCP.Builder tcp = TCP.newBuilder().setSourcePort(srcPort).setDestinationPort(dstPort);
    if (flags != null) {
      tcp.setFlags(flags);
    }
    return base(time, src, srcIp, dst, dstIp, reply).setL4(Layer4.newBuilder().setTCP(tcp));
  }

  private static TCPFlags syn() {
    return TCPFlags.newBuilder().setSYN(true).build();
  }

  private static CiliumEventType type(int type, int subType) {
    return CiliumEventType.newBuilder().setType(type).setSubType(subType).build();
  }

  private static Layer7 http(L7FlowType type, int code, String method, String url, long latencyNs) {
    return Layer7.newBuilder().setType(type).setLatencyNs(latencyNs)
        .setHttp(HTTP.newBuilder().setCode(code).setMethod(method).setUrl(url).setProtocol("HTTP/1.1")).build();
  }
}
