package io.hexgate.datapath.flow.hubble;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.flow.Service;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.HTTP;
import io.hexgate.contract.v1.HTTPHeader;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.Layer7;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.contract.v1.Workload;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.Verdicts;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.flow.EventFlows;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Star Wars demo seen from node-a, where the deathstar runs; the xwing and the tiefighter run on node-b
 * and are known to node-a only through the IP cache.
 */
class HubbleFlowsTest {
  private static final String DEATHSTAR = "10.0.1.10";
  private static final String XWING = "10.0.2.11";
  private static final String TIEFIGHTER = "10.0.2.10";
  private static final String HOTH_BASE = "10.0.2.12";
  private static final String CLUSTER_IP = "10.96.0.20";
  private static final long DEATHSTAR_ID = 678;
  private static final long XWING_ID = 12345;
  private static final long TIEFIGHTER_ID = 999;
  private static final long HOTH_BASE_ID = 4242;
  private static final int DEATHSTAR_EP = 101;
  private static final PolicyRef RULE1 =
      PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();
  private static final PolicyRef LOCKDOWN =
      PolicyRef.newBuilder().setKind("CiliumClusterwideNetworkPolicy").setName("lockdown").build();
  private static final Workload DEATHSTAR_DEPLOYMENT =
      Workload.newBuilder().setName("deathstar").setKind("Deployment").build();
  private static final Workload HOTH_BASE_STATEFULSET =
      Workload.newBuilder().setName("hoth-base").setKind("StatefulSet").build();
  private static final EndpointKey DEATHSTAR_KEY =
      EndpointKey.newBuilder().setNamespace("default").setName("deathstar-6fb5694d48-5hmds").build();

  private final FlowNames names = new FlowNames();
  private final HubbleFlows hubble = new HubbleFlows("node-a", names);
  private final EventFlows events = new EventFlows();

  @BeforeEach
  void state() {
    StateUpdate snapshot = StateUpdate.newBuilder()
        .setEpoch("e").setRevision(1).setSnapshot(true).setComplete(true)
        .addUpsertEndpoints(EndpointState.newBuilder()
            .setKey(DEATHSTAR_KEY)
            .setIp(DEATHSTAR)
            .setIdentity(Identity.newBuilder().setId(DEATHSTAR_ID)
                .addLabels("k8s:class=deathstar").addLabels("k8s:org=empire"))
            .setIngress(RuleMap.newBuilder().setEnforcing(true).addDefaultDenyBy(RULE1))
            .setEgress(RuleMap.newBuilder().setEnforcing(true).addDefaultDenyBy(LOCKDOWN))
            .setWorkload(DEATHSTAR_DEPLOYMENT))
        .addUpsertIpcache(pod(DEATHSTAR, DEATHSTAR_ID, "deathstar-6fb5694d48-5hmds", "k8s:class=deathstar", "k8s:org=empire")
            .toBuilder().setWorkload(DEATHSTAR_DEPLOYMENT))
        .addUpsertIpcache(pod(HOTH_BASE, HOTH_BASE_ID, "hoth-base-0", "k8s:app=hoth-base", "k8s:org=alliance")
            .toBuilder().setWorkload(HOTH_BASE_STATEFULSET))
        .addUpsertIpcache(pod(XWING, XWING_ID, "xwing", "k8s:class=xwing", "k8s:org=alliance"))
        .addUpsertIpcache(pod(TIEFIGHTER, TIEFIGHTER_ID, "tiefighter", "k8s:class=tiefighter", "k8s:org=empire"))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("172.31.0.12/32").setIdentity(6))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("192.0.2.0/24").setIdentity(16777217))
        .addUpsertServices(ServiceState.newBuilder()
            .setFrontend(ServiceFrontend.newBuilder().setIp(CLUSTER_IP).setPort(80).setProtocol(Protocol.PROTOCOL_TCP))
            .setService("default/deathstar")
            .addBackends(ServiceBackend.newBuilder().setIp(DEATHSTAR).setPort(80)))
        .build();
    names.update(AgentState.EMPTY.apply(snapshot), Map.of(DEATHSTAR_EP, DEATHSTAR_KEY));
  }

  private static IpcacheEntry pod(String ip, long identity, String name, String... labels) {
    return IpcacheEntry.newBuilder().setPrefix(ip + "/32").setIdentity(identity)
        .setNamespace("default").setPodName(name).addAllLabels(List.of(labels)).build();
  }

  private static Event tcp(int type, int direction, int action, int matchType, int reason, int flags, long src,
      long dst, String saddr, String daddr, int sport, int dport, int ruleId, String origDaddr, int origDport) {
    return new Event(1_000, type, direction, action, matchType, reason, Protocols.PROTO_TCP, flags,
        type == Event.EVENT_POLICY_VERDICT ? DEATHSTAR_EP : 0, (int) src, (int) dst, Ipv4.parse(saddr),
        Ipv4.parse(daddr), sport, dport, ruleId, origDaddr == null ? 0 : Ipv4.parse(origDaddr), origDport, 0, 0, 60);
  }

  private static Policy policy(PolicyRef r) {
    return Policy.newBuilder().setKind(r.getKind()).setName(r.getName()).setNamespace(r.getNamespace()).build();
  }

  /** Kind, name and namespace of each policy, without the labels Cilium adds. */
  private static List<Policy> bare(List<Policy> policies) {
    return policies.stream().map(p -> p.toBuilder().clearLabels().build()).toList();
  }

  @Test
  void aPolicyDeniedDropAtTheDeathstarNamesTheXwingOnItsNodeAndThePolicyThatDeniesByDefault() {
    // no rule matched: the datapath drops with 133 and no rule id
    Flow f = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_DENY,
        Verdicts.MATCH_NONE, DropReasons.DROP_POLICY, 0x02, XWING_ID, DEATHSTAR_ID, XWING, DEATHSTAR, 41234, 80, 0,
        null, 0), Map.of()));

    assertThat(f.getVerdict()).isEqualTo(Verdict.DROPPED);
    assertThat(f.getEventType().getType()).isEqualTo(1);
    assertThat(f.getEventType().getSubType()).isEqualTo(133);
    assertThat(f.getDropReason()).isEqualTo(133);
    assertThat(f.getDropReasonDesc()).isEqualTo(DropReason.POLICY_DENIED);
    assertThat(f.hasIsReply()).as("a drop has no reply direction").isFalse();
    assertThat(f.getTrafficDirection()).isEqualTo(TrafficDirection.INGRESS);
    assertThat(f.getType()).isEqualTo(FlowType.L3_L4);
    assertThat(f.getNodeName()).isEqualTo("node-a");
    assertThat(f.getIP().getSource()).isEqualTo(XWING);
    assertThat(f.getIP().getDestination()).isEqualTo(DEATHSTAR);
    assertThat(f.getIP().getIpVersion()).isEqualTo(IPVersion.IPv4);
    assertThat(f.getL4().getTCP().getSourcePort()).isEqualTo(41234);
    assertThat(f.getL4().getTCP().getDestinationPort()).isEqualTo(80);
    assertThat(f.getL4().getTCP().getFlags().getSYN()).isTrue();
    assertThat(f.getSummary()).isEqualTo("TCP Flags: SYN");

    assertThat(f.getSource()).isEqualTo(Endpoint.newBuilder().setIdentity((int) XWING_ID).setNamespace("default")
        .setPodName("xwing").addLabels("k8s:class=xwing").addLabels("k8s:org=alliance").build());
    assertThat(f.getDestination().getID()).isEqualTo(DEATHSTAR_EP);
    assertThat(f.getDestination().getIdentity()).isEqualTo(DEATHSTAR_ID);
    assertThat(f.getDestination().getPodName()).isEqualTo("deathstar-6fb5694d48-5hmds");
    assertThat(f.getDestination().getLabelsList()).containsExactly("k8s:class=deathstar", "k8s:org=empire");

    assertThat(bare(f.getIngressDeniedByList())).containsExactly(policy(RULE1));
    assertThat(f.getIngressDeniedBy(0).getLabelsList())
        .contains("k8s:io.cilium.k8s.policy.name=rule1", "k8s:io.cilium.k8s.policy.namespace=default");
    assertThat(f.getEgressDeniedByList()).isEmpty();
    assertThat(f.getIngressAllowedByList()).isEmpty();
    assertThat(f.getUuid()).isNotEmpty().isNotEqualTo(hubble.toHubble(events.toFlow(tcp(Event.EVENT_DROP,
        Directions.DIR_INGRESS, 0, 0, DropReasons.DROP_POLICY, 0x02, 0, 0, XWING, DEATHSTAR, 1, 80, 0, null, 0),
        Map.of())).getUuid());
  }

  @Test
  void bothEndsNameTheirWorkloadWhetherLocalOrOnAnotherNodeAndBarePodsNone() {
    Flow in = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS,
        Event.ACTION_ALLOW, Verdicts.MATCH_L3_L4, 0, 0x02, HOTH_BASE_ID, DEATHSTAR_ID, HOTH_BASE, DEATHSTAR, 5555, 80,
        3, null, 0), Map.of(3, List.of(RULE1))));
    assertThat(in.getSource().getWorkloadsList()).containsExactly(flowWorkload("hoth-base", "StatefulSet"));
    assertThat(in.getDestination().getWorkloadsList()).containsExactly(flowWorkload("deathstar", "Deployment"));

    // the drop event carries no identities: both ends come from the tables alone
    Flow out = hubble.toHubble(events.toFlow(tcp(Event.EVENT_DROP, Directions.DIR_EGRESS, 0, 0,
        DropReasons.DROP_POLICY, 0x02, 0, 0, DEATHSTAR, HOTH_BASE, 5000, 443, 0, null, 0), Map.of()));
    assertThat(out.getSource().getWorkloadsList()).containsExactly(flowWorkload("deathstar", "Deployment"));
    assertThat(out.getDestination().getWorkloadsList()).containsExactly(flowWorkload("hoth-base", "StatefulSet"));

    Flow fromXwing = hubble.toHubble(events.toFlow(tcp(Event.EVENT_DROP, Directions.DIR_INGRESS, 0, 0,
        DropReasons.DROP_POLICY, 0x02, 0, 0, XWING, DEATHSTAR, 1, 80, 0, null, 0), Map.of()));
    assertThat(fromXwing.getSource().getWorkloadsList()).as("a bare pod").isEmpty();
  }

  private static io.hexgate.contract.hubble.flow.Workload flowWorkload(String name, String kind) {
    return io.hexgate.contract.hubble.flow.Workload.newBuilder().setName(name).setKind(kind).build();
  }

  @Test
  void aDropWithoutIdentitiesNamesBothEndsFromTheTablesAndAnEgressDefaultDenyFromTheSource() {
    Flow f = hubble.toHubble(events.toFlow(tcp(Event.EVENT_DROP, Directions.DIR_EGRESS, 0, 0, DropReasons.DROP_POLICY,
        0x02, 0, 0, DEATHSTAR, "192.0.2.7", 5000, 443, 0, null, 0), Map.of()));

    assertThat(f.getSource().getPodName()).isEqualTo("deathstar-6fb5694d48-5hmds");
    assertThat(f.getSource().getIdentity()).isEqualTo(DEATHSTAR_ID);
    assertThat(f.getSource().getID()).as("known from the endpoint ids").isEqualTo(DEATHSTAR_EP);
    assertThat(f.getDestination().getIdentity()).isEqualTo(16777217);
    assertThat(f.getDestination().getLabelsList()).containsExactly("cidr:192.0.2.0/24", "reserved:world");
    assertThat(bare(f.getEgressDeniedByList())).containsExactly(policy(LOCKDOWN));
    assertThat(f.getIngressDeniedByList()).isEmpty();
    assertThat(f.hasIsReply()).isFalse();
  }

  @Test
  void anExplicitDenyNamesTheDenyingRule() {
    Flow f = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_DENY,
        Verdicts.MATCH_L3_ONLY, DropReasons.DROP_POLICY_DENY, 0x02, XWING_ID, DEATHSTAR_ID, XWING, DEATHSTAR, 41234, 80,
        9, null, 0), Map.of(9, List.of(LOCKDOWN))));

    assertThat(f.getEventType().getSubType()).isEqualTo(181);
    assertThat(f.getDropReasonDesc()).isEqualTo(DropReason.POLICY_DENY);
    assertThat(bare(f.getIngressDeniedByList())).containsExactly(policy(LOCKDOWN));
  }

  @Test
  void anAllowedVerdictIsAPolicyVerdictWithItsMatchTypeAndAllowingPolicy() {
    Flow f = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_ALLOW,
        Verdicts.MATCH_L3_L4, 0, 0x02, TIEFIGHTER_ID, DEATHSTAR_ID, TIEFIGHTER, DEATHSTAR, 5555, 80, 3, null, 0),
        Map.of(3, List.of(RULE1))));

    assertThat(f.getVerdict()).isEqualTo(Verdict.FORWARDED);
    assertThat(f.getEventType().getType()).isEqualTo(5);
    assertThat(f.getEventType().getSubType()).isZero();
    assertThat(f.getPolicyMatchType()).isEqualTo(Verdicts.MATCH_L3_L4);
    assertThat(f.hasIsReply()).isTrue();
    assertThat(f.getIsReply().getValue()).isFalse();
    assertThat(f.getReply()).isFalse();
    assertThat(f.getDropReasonDesc()).isEqualTo(DropReason.DROP_REASON_UNKNOWN);
    assertThat(f.getDropReason()).isZero();
    assertThat(bare(f.getIngressAllowedByList())).containsExactly(policy(RULE1));
    assertThat(f.getIngressDeniedByList()).isEmpty();
    assertThat(f.getSource().getPodName()).isEqualTo("tiefighter");
    assertThat(f.getSummary()).isEqualTo("TCP Flags: SYN");
  }

  @Test
  void aRedirectedVerdictIsAllowedTowardsTheProxy() {
    Flow f = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS,
        Event.ACTION_REDIRECT, Verdicts.MATCH_L3_L4, 0, 0x02, TIEFIGHTER_ID, DEATHSTAR_ID, TIEFIGHTER, DEATHSTAR, 5555,
        80, 3, null, 0), Map.of(3, List.of(RULE1))));

    assertThat(f.getVerdict()).isEqualTo(Verdict.REDIRECTED);
    assertThat(f.getEventType().getType()).isEqualTo(5);
    assertThat(f.getIsReply().getValue()).isFalse();
    assertThat(bare(f.getIngressAllowedByList())).containsExactly(policy(RULE1));

    Flow noListener = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS,
        Event.ACTION_REDIRECT, Verdicts.MATCH_L3_L4, DropReasons.DROP_PROXY_LOOKUP_FAILED, 0x02, TIEFIGHTER_ID,
        DEATHSTAR_ID, TIEFIGHTER, DEATHSTAR, 5555, 80, 3, null, 0), Map.of(3, List.of(RULE1))));
    assertThat(noListener.getVerdict()).isEqualTo(Verdict.DROPPED);
    assertThat(noListener.getDropReasonDesc()).isEqualTo(DropReason.SOCKET_LOOKUP_FAILED);
    assertThat(noListener.getIngressDeniedByList()).as("the policy redirected, the proxy was missing").isEmpty();
  }

  @Test
  void aConnectionToAClusterIpNamesTheServiceItWasSentTo() {
    Flow f = hubble.toHubble(events.toFlow(tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW,
        Verdicts.MATCH_ALL, 0, 0x02, DEATHSTAR_ID, TIEFIGHTER_ID, DEATHSTAR, TIEFIGHTER, 40000, 80, 0, CLUSTER_IP, 80),
        Map.of()));

    assertThat(f.getDestinationService()).isEqualTo(Service.newBuilder().setNamespace("default").setName("deathstar").build());
    assertThat(f.hasSourceService()).isFalse();
    // the datapath judged the backend: the IP and the pod stay the backend's
    assertThat(f.getIP().getDestination()).isEqualTo(TIEFIGHTER);
    assertThat(f.getDestination().getPodName()).isEqualTo("tiefighter");
    assertThat(f.getSource().getID()).isEqualTo(DEATHSTAR_EP);
  }

  private static io.hexgate.contract.v1.Flow.Builder l7(String src, int sport, String dst, int dport, long srcId,
      long dstId) {
    return io.hexgate.contract.v1.Flow.newBuilder()
        .setTimeNanos(1_700_000_000_123_456_789L)
        .setSourceIp(src).setSourcePort(sport).setDestinationIp(dst).setDestinationPort(dport)
        .setSourceIdentity(srcId).setDestinationIdentity(dstId)
        .setProtocol(Protocol.PROTOCOL_TCP)
        .setDirection(io.hexgate.contract.v1.TrafficDirection.TRAFFIC_DIRECTION_INGRESS)
        .setType(io.hexgate.contract.v1.FlowType.FLOW_TYPE_L7)
        .setProxyPort(15001)
        .addPolicies(RULE1);
  }

  @Test
  void anL7RequestIsAnHttpRequestFromClientToServer() {
    io.hexgate.contract.v1.Flow request = l7(TIEFIGHTER, 5555, DEATHSTAR, 80, TIEFIGHTER_ID, DEATHSTAR_ID)
        .setVerdict(io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED)
        .setL7(Layer7.newBuilder().setType(io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_REQUEST)
            .setHttp(HTTP.newBuilder().setMethod("POST").setProtocol("HTTP/1.1")
                .setUrl("http://deathstar.default.svc.cluster.local/v1/request-landing")
                .addHeaders(HTTPHeader.newBuilder().setKey("Authorization").setValue("HUBBLE_REDACTED"))))
        .build();
    Flow f = hubble.toHubble(request);

    assertThat(f.getType()).isEqualTo(FlowType.L7);
    assertThat(f.getEventType().getType()).isEqualTo(129);
    assertThat(f.getEventType().getSubType()).isZero();
    assertThat(f.getVerdict()).isEqualTo(Verdict.FORWARDED);
    assertThat(f.getIsReply().getValue()).isFalse();
    assertThat(f.getL7().getType()).isEqualTo(L7FlowType.REQUEST);
    assertThat(f.getL7().getHttp().getMethod()).isEqualTo("POST");
    assertThat(f.getL7().getHttp().getHeaders(0).getValue()).isEqualTo("HUBBLE_REDACTED");
    assertThat(f.getSummary())
        .isEqualTo("HTTP/1.1 POST http://deathstar.default.svc.cluster.local/v1/request-landing");
    assertThat(f.getProxyPort()).isEqualTo(15001);
    assertThat(f.getTime().getSeconds()).isEqualTo(1_700_000_000L);
    assertThat(f.getTime().getNanos()).isEqualTo(123_456_789);
    assertThat(f.getDestination().getID()).as("the local end, from the node's endpoint ids").isEqualTo(DEATHSTAR_EP);
    assertThat(f.getSource().getPodName()).isEqualTo("tiefighter");
    assertThat(bare(f.getIngressAllowedByList())).containsExactly(policy(RULE1));
  }

  @Test
  void anL7RequestThePolicyRefusesIsDroppedAsPolicyDenied() {
    io.hexgate.contract.v1.Flow request = l7(TIEFIGHTER, 5556, DEATHSTAR, 80, TIEFIGHTER_ID, DEATHSTAR_ID)
        .setVerdict(io.hexgate.contract.v1.Verdict.VERDICT_DROPPED)
        .setL7(Layer7.newBuilder().setType(io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_REQUEST)
            .setHttp(HTTP.newBuilder().setMethod("PUT").setProtocol("HTTP/1.1")
                .setUrl("http://deathstar.default.svc.cluster.local/v1/exhaust-port")))
        .build();
    Flow f = hubble.toHubble(request);

    assertThat(f.getVerdict()).isEqualTo(Verdict.DROPPED);
    assertThat(f.getEventType().getType()).isEqualTo(129);
    assertThat(f.getIsReply().getValue()).isFalse();
    assertThat(f.getDropReasonDesc()).isEqualTo(DropReason.POLICY_DENIED);
    assertThat(f.getSummary()).isEqualTo("HTTP/1.1 PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port");
    assertThat(bare(f.getIngressDeniedByList())).containsExactly(policy(RULE1));
  }

  @Test
  void anL7ResponseGoesBackFromServerToClientWithItsLatency() {
    io.hexgate.contract.v1.Flow response = l7(DEATHSTAR, 80, TIEFIGHTER, 5555, DEATHSTAR_ID, TIEFIGHTER_ID)
        .setVerdict(io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED)
        .setIsReply(true)
        .setL7(Layer7.newBuilder().setType(io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_RESPONSE)
            .setLatencyNs(3_900_000)
            .setHttp(HTTP.newBuilder().setCode(200).setMethod("POST").setProtocol("HTTP/1.1")
                .setUrl("http://deathstar.default.svc.cluster.local/v1/request-landing")))
        .build();
    Flow f = hubble.toHubble(response);

    assertThat(f.getIsReply().getValue()).isTrue();
    assertThat(f.getReply()).isTrue();
    assertThat(f.getL7().getType()).isEqualTo(L7FlowType.RESPONSE);
    assertThat(f.getL7().getLatencyNs()).isEqualTo(3_900_000);
    assertThat(f.getL7().getHttp().getCode()).isEqualTo(200);
    assertThat(f.getSummary())
        .isEqualTo("HTTP/1.1 200 3ms (POST http://deathstar.default.svc.cluster.local/v1/request-landing)");
    assertThat(f.getSource().getID()).as("the server, local on ingress").isEqualTo(DEATHSTAR_EP);
    assertThat(f.getDestination().getID()).isZero();
  }

  @Test
  void anL7RequestToAClusterIpNamesTheService() {
    io.hexgate.contract.v1.Flow request = l7(DEATHSTAR, 40000, CLUSTER_IP, 80, DEATHSTAR_ID, DEATHSTAR_ID)
        .setDirection(io.hexgate.contract.v1.TrafficDirection.TRAFFIC_DIRECTION_EGRESS)
        .setVerdict(io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED)
        .setL7(Layer7.newBuilder().setType(io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_REQUEST)
            .setHttp(HTTP.newBuilder().setMethod("GET").setProtocol("HTTP/1.1").setUrl("http://deathstar/")))
        .build();
    Flow f = hubble.toHubble(request);

    assertThat(f.getDestinationService().getName()).isEqualTo("deathstar");
    assertThat(f.getDestinationService().getNamespace()).isEqualTo("default");
    assertThat(bare(f.getEgressAllowedByList())).containsExactly(policy(RULE1));
  }

  @Test
  void icmpAndUdpSummariesAndReservedIdentities() {
    Event ping = new Event(1, Event.EVENT_DROP, Directions.DIR_INGRESS, 0, 0, DropReasons.DROP_POLICY,
        Protocols.PROTO_ICMP, 0, 0, 0, 0, Ipv4.parse("172.31.0.12"), Ipv4.parse(DEATHSTAR), 7, 0, 0, 0, 0, 8, 0, 84);
    Flow f = hubble.toHubble(events.toFlow(ping, Map.of()));
    assertThat(f.getSummary()).isEqualTo("ICMPv4 EchoRequest");
    assertThat(f.getL4().getICMPv4().getType()).isEqualTo(8);
    assertThat(f.getSource().getIdentity()).isEqualTo(6);
    assertThat(f.getSource().getLabelsList()).containsExactly("reserved:remote-node");

    Event unreachable = new Event(1, Event.EVENT_DROP, Directions.DIR_INGRESS, 0, 0, DropReasons.DROP_INVALID,
        Protocols.PROTO_ICMP, 0, 0, 0, 0, Ipv4.parse("8.8.8.8"), Ipv4.parse(DEATHSTAR), 0, 0, 0, 0, 0, 3, 3, 84);
    Flow g = hubble.toHubble(events.toFlow(unreachable, Map.of()));
    assertThat(g.getSummary()).isEqualTo("ICMPv4 DestinationUnreachable(Port)");
    assertThat(g.getSource().getIdentity()).as("no prefix matches: world").isEqualTo(2);
    assertThat(g.getSource().getLabelsList()).containsExactly("reserved:world");
    assertThat(g.getDropReasonDesc()).isEqualTo(DropReason.INVALID_PACKET_DROPPED);
    assertThat(g.getIngressDeniedByList()).as("not a policy drop").isEmpty();

    Event dns = new Event(1, Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW, 0, 0,
        Protocols.PROTO_UDP, 0, DEATHSTAR_EP, (int) DEATHSTAR_ID, 2, Ipv4.parse(DEATHSTAR), Ipv4.parse("1.1.1.1"),
        40000, 53, 0, 0, 0, 0, 0, 60);
    Flow h = hubble.toHubble(events.toFlow(dns, Map.of()));
    assertThat(h.getSummary()).isEqualTo("UDP");
    assertThat(h.getL4().getUDP().getDestinationPort()).isEqualTo(53);
    assertThat(h.getDestination().getLabelsList()).containsExactly("reserved:world");
  }

  @Test
  void tcpFlagsInHubblesOrderAndNoneForALaterFragment() {
    assertThat(Summaries.tcp(0x12)).isEqualTo("TCP Flags: SYN, ACK");
    assertThat(Summaries.tcp(0x11)).isEqualTo("TCP Flags: ACK, FIN");
    assertThat(Summaries.tcp(0x14)).isEqualTo("TCP Flags: ACK, RST");
    assertThat(Summaries.tcp(0)).isEqualTo("TCP");
  }

  @Test
  void namesFollowTheAppliedState() {
    Flow before = hubble.toHubble(events.toFlow(tcp(Event.EVENT_DROP, Directions.DIR_INGRESS, 0, 0,
        DropReasons.DROP_POLICY, 0x02, 0, 0, "10.0.2.50", DEATHSTAR, 1, 80, 0, null, 0), Map.of()));
    assertThat(before.getSource().getPodName()).isEmpty();

    StateUpdate delta = StateUpdate.newBuilder().setEpoch("e").setRevision(2).setBaseRevision(1)
        .addUpsertIpcache(pod("10.0.2.50", XWING_ID, "xwing-2", "k8s:class=xwing", "k8s:org=alliance"))
        .build();
    AgentState s1 = AgentState.EMPTY.apply(StateUpdate.newBuilder().setEpoch("e").setRevision(1).setSnapshot(true)
        .setComplete(true).build());
    names.update(s1.apply(delta));
    Flow after = hubble.toHubble(events.toFlow(tcp(Event.EVENT_DROP, Directions.DIR_INGRESS, 0, 0,
        DropReasons.DROP_POLICY, 0x02, 0, 0, "10.0.2.50", DEATHSTAR, 1, 80, 0, null, 0), Map.of()));
    assertThat(after.getSource().getPodName()).isEqualTo("xwing-2");
    assertThat(after.getSource().getIdentity()).isEqualTo(XWING_ID);
  }
}
