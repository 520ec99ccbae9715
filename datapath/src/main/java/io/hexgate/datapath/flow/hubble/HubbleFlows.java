package io.hexgate.datapath.flow.hubble;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.CiliumEventType;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.HTTPHeader;
import io.hexgate.contract.hubble.flow.ICMPv4;
import io.hexgate.contract.hubble.flow.IP;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.flow.SCTP;
import io.hexgate.contract.hubble.flow.Service;
import io.hexgate.contract.hubble.flow.TCP;
import io.hexgate.contract.hubble.flow.UDP;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hexgate's flows as Hubble's: the datapath's policy verdicts and drops, and the L7 proxy's requests and
 * responses, with both ends named from {@link FlowNames}, the event type, verdict, drop reason, reply
 * direction and Summary the hubble CLI prints, and the policies that allowed or denied the flow. Thread-safe;
 * built for the datapath's event rate (no locks, few allocations beyond the flow itself).
 */
public final class HubbleFlows {
  /** Cilium's monitor message types (event_type.type). */
  static final int MONITOR_DROP = 1;
  static final int MONITOR_POLICY_VERDICT = 5;
  static final int MONITOR_L7 = 129;

  static final int DROP_POLICY_DENIED = 133;
  static final int DROP_POLICY_DENY = 181;

  private static final CiliumEventType POLICY_VERDICT = CiliumEventType.newBuilder().setType(MONITOR_POLICY_VERDICT).build();
  private static final CiliumEventType L7 = CiliumEventType.newBuilder().setType(MONITOR_L7).build();
  private static final BoolValue REPLY = BoolValue.of(true);
  private static final BoolValue NOT_REPLY = BoolValue.of(false);

  private final String nodeName;
  private final FlowNames names;

  public HubbleFlows(String nodeName, FlowNames names) {
    this.nodeName = nodeName;
    this.names = names;
  }

  /** The Hubble flow of one Hexgate flow (datapath event or L7 proxy record). */
  public Flow toHubble(io.hexgate.contract.v1.Flow f) {
    NameTable table = names.table();
    boolean l7 = f.getType() == io.hexgate.contract.v1.FlowType.FLOW_TYPE_L7;
    boolean dropped = f.getVerdict() == io.hexgate.contract.v1.Verdict.VERDICT_DROPPED;
    boolean response = l7 && f.getL7().getType() == io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_RESPONSE;
    int dropReason = dropReason(f, l7, dropped);

    Flow.Builder b = Flow.newBuilder()
        .setTime(Timestamp.newBuilder()
            .setSeconds(Math.floorDiv(f.getTimeNanos(), 1_000_000_000L))
            .setNanos((int) Math.floorMod(f.getTimeNanos(), 1_000_000_000L)))
        .setUuid(uuid())
        .setNodeName(nodeName)
        .setVerdict(verdict(f.getVerdict()))
        .setIP(IP.newBuilder()
            .setSource(f.getSourceIp())
            .setDestination(f.getDestinationIp())
            .setIpVersion(f.getSourceIp().indexOf(':') >= 0 ? IPVersion.IPv6 : IPVersion.IPv4))
        .setType(l7 ? FlowType.L7 : FlowType.L3_L4)
        .setTrafficDirectionValue(f.getDirectionValue())
        .setProxyPort(f.getProxyPort());
    if (dropReason != 0) {
      b.setDropReason(dropReason).setDropReasonDescValue(dropReason);
    }
    l4(b, f, l7);

    // Who judged which end: the event's identities and endpoint id belong to the flow's direction.
    boolean ingress = f.getDirection() == TrafficDirection.TRAFFIC_DIRECTION_INGRESS;
    boolean egress = f.getDirection() == TrafficDirection.TRAFFIC_DIRECTION_EGRESS;
    // a response travels from the server back: its local end is the other one
    boolean sourceLocal = response ? ingress : egress;
    boolean destinationLocal = response ? egress : ingress;
    b.setSource(withId(table.endpoint(f.getSourceIp(), f.getSourceIdentity()), sourceLocal ? f.getEndpointId() : 0));
    b.setDestination(withId(table.endpoint(f.getDestinationIp(), f.getDestinationIdentity()),
        destinationLocal ? f.getEndpointId() : 0));
    services(b, f, table);

    if (l7) {
      b.setEventType(L7);
      b.setIsReply(response ? REPLY : NOT_REPLY).setReply(response);
      layer7(b, f, response);
    } else if (dropped) {
      // Hubble has no reply direction for drops: is_reply stays absent, and the CLI prints "<>"
      b.setEventType(CiliumEventType.newBuilder().setType(MONITOR_DROP).setSubType(dropReason));
    } else {
      b.setEventType(POLICY_VERDICT).setPolicyMatchType(f.getPolicyMatchType());
      b.setIsReply(NOT_REPLY);
    }
    policies(b, f, table, dropped, dropReason, ingress, egress, destinationLocal);
    return b.build();
  }

  /**
   * The flow's drop reason; an L7 request the proxy refused by policy has none in Hexgate's flow, Hubble's
   * users expect "policy denied".
   */
  private static int dropReason(io.hexgate.contract.v1.Flow f, boolean l7, boolean dropped) {
    if (!dropped) {
      return 0;
    }
    if (f.getDropReason() != 0) {
      return f.getDropReason();
    }
    return l7 && f.getL7().hasHttp() ? DROP_POLICY_DENIED : 0;
  }

  private static Verdict verdict(io.hexgate.contract.v1.Verdict v) {
    return switch (v) {
      case VERDICT_FORWARDED -> Verdict.FORWARDED;
      case VERDICT_DROPPED -> Verdict.DROPPED;
      case VERDICT_REDIRECTED -> Verdict.REDIRECTED;
      default -> Verdict.VERDICT_UNKNOWN;
    };
  }

  private static void l4(Flow.Builder b, io.hexgate.contract.v1.Flow f, boolean l7) {
    Protocol p = f.getProtocol();
    switch (p) {
      case PROTOCOL_TCP -> {
        TCP.Builder tcp = TCP.newBuilder().setSourcePort(f.getSourcePort()).setDestinationPort(f.getDestinationPort());
        if (f.getTcpFlags() != 0) {
          tcp.setFlags(Summaries.tcpFlags(f.getTcpFlags()));
        }
        b.setL4(Layer4.newBuilder().setTCP(tcp));
        if (!l7) {
          b.setSummary(Summaries.tcp(f.getTcpFlags()));
        }
      }
      case PROTOCOL_UDP -> {
        b.setL4(Layer4.newBuilder().setUDP(
            UDP.newBuilder().setSourcePort(f.getSourcePort()).setDestinationPort(f.getDestinationPort())));
        b.setSummary("UDP");
      }
      case PROTOCOL_SCTP -> {
        b.setL4(Layer4.newBuilder().setSCTP(
            SCTP.newBuilder().setSourcePort(f.getSourcePort()).setDestinationPort(f.getDestinationPort())));
        b.setSummary("SCTP");
      }
      case PROTOCOL_ICMP -> {
        b.setL4(Layer4.newBuilder().setICMPv4(ICMPv4.newBuilder().setType(f.getIcmpType()).setCode(f.getIcmpCode())));
        b.setSummary(IcmpNames.summary(f.getIcmpType(), f.getIcmpCode()));
      }
      default -> {
        // another protocol: Hubble shows no L4 and no summary for it
      }
    }
  }

  private static Endpoint withId(Endpoint e, int endpointId) {
    return endpointId == 0 || e.getID() != 0 ? e : e.toBuilder().setID(endpointId).build();
  }

  /**
   * A connection to a service frontend names the service: the datapath's original destination (it judges the
   * backend), or, for the proxy's flows, an end that is itself a frontend.
   */
  private static void services(Flow.Builder b, io.hexgate.contract.v1.Flow f, NameTable table) {
    int proto = f.getProtocolValue();
    Service dst = f.getOriginalDestinationIp().isEmpty()
        ? table.service(f.getDestinationIp(), f.getDestinationPort(), proto)
        : table.service(f.getOriginalDestinationIp(), f.getOriginalDestinationPort(), proto);
    if (dst != null) {
      b.setDestinationService(dst);
    }
    Service src = table.service(f.getSourceIp(), f.getSourcePort(), proto);
    if (src != null) {
      b.setSourceService(src);
    }
  }

  private static void layer7(Flow.Builder b, io.hexgate.contract.v1.Flow f, boolean response) {
    io.hexgate.contract.v1.Layer7 in = f.getL7();
    Layer7.Builder l7 = Layer7.newBuilder()
        .setType(response ? L7FlowType.RESPONSE : L7FlowType.REQUEST)
        .setLatencyNs(in.getLatencyNs());
    if (!in.hasHttp()) {
      // a connection refused before any request: nothing but the connection to show
      b.setL7(l7).setSummary("TCP");
      return;
    }
    io.hexgate.contract.v1.HTTP h = in.getHttp();
    HTTP.Builder http = HTTP.newBuilder()
        .setCode(h.getCode()).setMethod(h.getMethod()).setUrl(h.getUrl()).setProtocol(h.getProtocol());
    for (io.hexgate.contract.v1.HTTPHeader hd : h.getHeadersList()) {
      http.addHeaders(HTTPHeader.newBuilder().setKey(hd.getKey()).setValue(hd.getValue()));
    }
    b.setL7(l7.setHttp(http));
    b.setSummary(response ? Summaries.httpResponse(h, in.getLatencyNs()) : Summaries.httpRequest(h));
  }

  /**
   * The flow's policies by direction: allowed_by for what passed, denied_by for what was dropped. A policy
   * drop that no rule matched (default deny) names the policies that put the local end in default deny.
   */
  private void policies(Flow.Builder b, io.hexgate.contract.v1.Flow f, NameTable table, boolean dropped,
      int dropReason, boolean ingress, boolean egress, boolean destinationLocal) {
    if ((!ingress && !egress) || (dropped && dropReason != DROP_POLICY_DENIED && dropReason != DROP_POLICY_DENY)) {
      // a drop for another reason (no proxy listener, say) was not the policies' doing
      return;
    }
    List<PolicyRef> refs = f.getPoliciesList();
    List<Policy> policies;
    if (!refs.isEmpty()) {
      policies = names.policyNames().policies(refs);
    } else if (dropped && dropReason == DROP_POLICY_DENIED) {
      NameTable.Local local = table.local(destinationLocal ? f.getDestinationIp() : f.getSourceIp());
      if (local == null) {
        return;
      }
      policies = ingress ? local.ingressDefaultDenyBy() : local.egressDefaultDenyBy();
    } else {
      return;
    }
    // one at a time, as in EventFlows: cheaper than protobuf's addAll for the one or two policies a flow has
    for (Policy policy : policies) {
      if (dropped) {
        if (ingress) {
          b.addIngressDeniedBy(policy);
        } else {
          b.addEgressDeniedBy(policy);
        }
      } else if (ingress) {
        b.addIngressAllowedBy(policy);
      } else {
        b.addEgressAllowedBy(policy);
      }
    }
  }

  /** A random (version 4) UUID without SecureRandom's lock, which the flow rate would contend on. */
  private static String uuid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (r.nextLong() & ~0xf000L) | 0x4000L;
    long lsb = (r.nextLong() & ~(0xcL << 60)) | (0x8L << 60);
    return new UUID(msb, lsb).toString();
  }
}
