package io.hexgate.datapath.flow;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowEventKind;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.Protocols;
import java.util.List;
import java.util.Map;

/** Turns the datapath's ring-buffer events into the contract's flow records. */
public final class EventFlows {
  /** Unix time minus CLOCK_MONOTONIC (what both bpf_ktime_get_ns and System.nanoTime read on Linux). */
  private final long wallMinusMonotonic;

  public EventFlows() {
    this.wallMinusMonotonic = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
  }

  /**
   * The flow of one event. {@code rules} names the policies behind a rule id (from the map contents the
   * event's programs used); unknown ids give a flow without policies.
   */
  public Flow toFlow(Event e, Map<Integer, List<PolicyRef>> rules) {
    Flow.Builder f =
        Flow.newBuilder()
            .setTimeNanos(e.timeNanos() + wallMinusMonotonic)
            .setSourceIdentity(Integer.toUnsignedLong(e.srcIdentity()))
            .setDestinationIdentity(Integer.toUnsignedLong(e.dstIdentity()))
            .setSourceIp(Ipv4.format(e.saddr()))
            .setDestinationIp(Ipv4.format(e.daddr()))
            .setProtocol(protocol(e.protocol()))
            .setType(FlowType.FLOW_TYPE_L3_L4)
            .setVerdict(verdict(e))
            .setDropReason(e.reason())
            .setDirection(direction(e.direction()));
    if (e.protocol() == Protocols.PROTO_TCP || e.protocol() == Protocols.PROTO_UDP || e.protocol() == Protocols.PROTO_SCTP) {
      f.setSourcePort(e.sport()).setDestinationPort(e.dport());
    }
    if (e.protocol() == Protocols.PROTO_TCP) {
      f.setTcpFlags(e.tcpFlags());
    } else if (e.protocol() == Protocols.PROTO_ICMP) {
      f.setIcmpType(e.icmpType()).setIcmpCode(e.icmpCode());
    }
    f.setEventKind(e.type() == Event.EVENT_POLICY_VERDICT ? FlowEventKind.FLOW_EVENT_KIND_POLICY_VERDICT
            : e.type() == Event.EVENT_DROP ? FlowEventKind.FLOW_EVENT_KIND_DROP : FlowEventKind.FLOW_EVENT_KIND_UNKNOWN)
        .setEndpointId(e.endpoint())
        .setPolicyMatchType(e.matchType());
    if (e.origDaddr() != 0) {
      f.setOriginalDestinationIp(Ipv4.format(e.origDaddr())).setOriginalDestinationPort(e.origDport());
    }
    List<PolicyRef> refs = e.ruleId() == 0 ? null : rules.get(e.ruleId());
    if (refs != null) {
      // one at a time: protobuf's addAll tests the list against several interfaces first, which costs more
      // per flow than the copy
      for (PolicyRef ref : refs) {
        f.addPolicies(ref);
      }
    }
    return f.build();
  }

  /**
   * A connection its policy sends to the L7 proxy is REDIRECTED, as Hubble says; dropped on the way there
   * (no listener, say) it stays DROPPED with its reason.
   */
  private static Verdict verdict(Event e) {
    if (e.reason() != 0) {
      return Verdict.VERDICT_DROPPED;
    }
    return e.type() == Event.EVENT_POLICY_VERDICT && e.action() == Event.ACTION_REDIRECT
        ? Verdict.VERDICT_REDIRECTED : Verdict.VERDICT_FORWARDED;
  }

  private static Protocol protocol(int p) {
    Protocol proto = Protocol.forNumber(p);
    return proto == null || proto == Protocol.UNRECOGNIZED ? Protocol.PROTOCOL_ANY : proto;
  }

  private static TrafficDirection direction(int d) {
    return switch (d) {
      case Directions.DIR_INGRESS -> TrafficDirection.TRAFFIC_DIRECTION_INGRESS;
      case Directions.DIR_EGRESS -> TrafficDirection.TRAFFIC_DIRECTION_EGRESS;
      default -> TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN;
    };
  }
}
