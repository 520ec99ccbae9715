package io.hexgate.observer.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.BoolValue;
import io.hexgate.contract.hubble.flow.CiliumEventType;
import io.hexgate.contract.hubble.flow.DNS;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.EventTypeFilter;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.HTTPHeader;
import io.hexgate.contract.hubble.flow.ICMPv6;
import io.hexgate.contract.hubble.flow.IP;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.NetworkInterface;
import io.hexgate.contract.hubble.flow.Service;
import io.hexgate.contract.hubble.flow.TCP;
import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.hubble.flow.TraceContext;
import io.hexgate.contract.hubble.flow.TraceParent;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.UDP;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.flow.Workload;
import io.hexgate.observer.json.HubbleJson;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class FlowFiltersTest {
  /** xwing (default) → deathstar (empire) over TCP 80, forwarded, on node n1. */
  private static final Flow FLOW = Flow.newBuilder()
      .setUuid("u-1")
      .setVerdict(Verdict.FORWARDED)
      .setIP(IP.newBuilder().setSource("10.0.1.5").setDestination("10.0.2.7").setIpVersion(IPVersion.IPv4))
      .setL4(Layer4.newBuilder().setTCP(TCP.newBuilder().setSourcePort(40000).setDestinationPort(80)
          .setFlags(TCPFlags.newBuilder().setSYN(true).setACK(true))))
      .setSource(Endpoint.newBuilder().setIdentity(1234).setNamespace("default").setPodName("xwing-7d9f")
          .addLabels("k8s:app=xwing").addLabels("k8s:class=fighter").addLabels("k8s:io.kubernetes.pod.namespace=default")
          .addWorkloads(Workload.newBuilder().setName("xwing").setKind("Deployment")).setClusterName("default"))
      .setDestination(Endpoint.newBuilder().setIdentity(5678).setNamespace("empire").setPodName("deathstar-1")
          .addLabels("k8s:app=deathstar").addLabels("k8s:tier=7"))
      .setDestinationService(Service.newBuilder().setNamespace("empire").setName("deathstar"))
      .addDestinationNames("deathstar.empire.svc.cluster.local")
      .setEventType(CiliumEventType.newBuilder().setType(4).setSubType(0))
      .setTrafficDirection(TrafficDirection.EGRESS)
      .setIsReply(BoolValue.of(false))
      .setNodeName("n1")
      .addNodeLabels("kubernetes.io/hostname=n1")
      .setInterface(NetworkInterface.newBuilder().setIndex(3).setName("eth0"))
      .setTraceContext(TraceContext.newBuilder().setParent(TraceParent.newBuilder().setTraceId("abc123")))
      .build();

  private static Flow flow(UnaryOperator<Flow.Builder> change) {
    return change.apply(FLOW.toBuilder()).build();
  }

  private static Flow http(int code, String method, String url) {
    return flow(b -> b.setEventType(CiliumEventType.newBuilder().setType(129))
        .setL7(Layer7.newBuilder().setHttp(HTTP.newBuilder().setCode(code).setMethod(method).setUrl(url)
            .addHeaders(HTTPHeader.newBuilder().setKey("x-user").setValue("luke")))));
  }

  private static FlowFilter json(String json) {
    try {
      return HubbleJson.parse(json, FlowFilter.newBuilder()).build();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean matches(String filterJson, Flow flow) {
    return FlowFilters.compile(json(filterJson)).test(flow);
  }

  private static void rejects(String filterJson, String... messageParts) {
    assertThatThrownBy(() -> FlowFilters.compile(json(filterJson)))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContainingAll(messageParts);
  }

  @Test
  void shouldMatchEverythingWithNoFilters() {
    assertThat(FlowFilters.compile(List.of(), List.of()).test(FLOW)).isTrue();
    assertThat(matches("{}", FLOW)).isTrue();
  }

  @Test
  void shouldRequireEveryFieldOfOneFilterAndAnyValueOfOneField() {
    assertThat(matches("{\"verdict\":[\"DROPPED\",\"FORWARDED\"],\"destination_port\":[\"80\"]}", FLOW)).isTrue();
    assertThat(matches("{\"verdict\":[\"FORWARDED\"],\"destination_port\":[\"443\"]}", FLOW)).isFalse();
    assertThat(matches("{\"verdict\":[\"DROPPED\"],\"destination_port\":[\"80\"]}", FLOW)).isFalse();
  }

  @Test
  void shouldOrTheWhitelistAndExcludeWhatTheBlacklistMatches() {
    FlowFilter dropped = json("{\"verdict\":[\"DROPPED\"]}");
    FlowFilter toEmpire = json("{\"destination_pod\":[\"empire/\"]}");
    FlowFilter fromDefault = json("{\"source_pod\":[\"default/\"]}");

    assertThat(FlowFilters.compile(List.of(dropped, toEmpire), List.of()).test(FLOW)).isTrue();
    assertThat(FlowFilters.compile(List.of(dropped), List.of()).test(FLOW)).isFalse();
    assertThat(FlowFilters.compile(List.of(toEmpire), List.of(fromDefault)).test(FLOW)).isFalse();
    assertThat(FlowFilters.compile(List.of(), List.of(dropped)).test(FLOW)).isTrue();
    assertThat(FlowFilters.compile(List.of(), List.of(dropped, fromDefault)).test(FLOW)).isFalse();
  }

  @Test
  void shouldNameEveryBadFilterAndListInOneError() {
    assertThatThrownBy(() -> FlowFilters.compile(
            List.of(json("{}"), json("{\"source_ip\":[\"10.0.0.300\"]}")),
            List.of(json("{\"protocol\":[\"carrier-pigeon\"]}"))))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContainingAll("whitelist[1].source_ip", "10.0.0.300", "blacklist[0].protocol", "carrier-pigeon");
    assertThatThrownBy(() -> FlowFilters.compile("allowlist", List.of(json("{\"source_pod\":[\"\"]}")), "denylist", List.of()))
        .hasMessageContaining("allowlist[0].source_pod");
  }

  @Test
  void shouldMatchIpsExactlyOrByCidrInBothFamilies() {
    assertThat(matches("{\"source_ip\":[\"10.0.1.5\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_ip\":[\"10.0.1.6\"]}", FLOW)).isFalse();
    assertThat(matches("{\"destination_ip\":[\"10.0.0.0/16\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_ip\":[\"10.0.1.0/24\",\"10.0.2.0/24\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_ip\":[\"10.0.1.0/24\"]}", FLOW)).isFalse();
    assertThat(matches("{\"destination_ip\":[\"10.0.2.1/23\"]}", FLOW)).isTrue();

    Flow v6 = flow(b -> b.setIP(IP.newBuilder().setSource("fd00::1:5").setDestination("fd00:0:0:0::2:7")));
    assertThat(matches("{\"source_ip\":[\"fd00:0::1:5\"]}", v6)).isTrue();
    assertThat(matches("{\"destination_ip\":[\"fd00::2:0/112\"]}", v6)).isTrue();
    assertThat(matches("{\"destination_ip\":[\"fd00::3:0/112\"]}", v6)).isFalse();
    assertThat(matches("{\"destination_ip\":[\"10.0.0.0/8\"]}", v6)).isFalse();
    assertThat(matches("{\"source_ip\":[\"10.0.0.0/8\"]}", flow(b -> b.clearIP()))).isFalse();

    Flow snat = flow(b -> b.setIP(FLOW.getIP().toBuilder().setSourceXlated("172.31.0.11")));
    assertThat(matches("{\"source_ip_xlated\":[\"172.31.0.0/24\"]}", snat)).isTrue();
    assertThat(matches("{\"source_ip_xlated\":[\"172.31.0.0/24\"]}", FLOW)).isFalse();
  }

  @Test
  void shouldRefuseBadIpsAndCidrs() {
    rejects("{\"source_ip\":[\"10.0.0\"]}", "source_ip", "invalid IP address \"10.0.0\"");
    rejects("{\"destination_ip\":[\"10.0.0.0/33\"]}", "destination_ip", "invalid CIDR");
    rejects("{\"source_ip\":[\"db.example.com\"]}", "source_ip");
    rejects("{\"source_ip_xlated\":[\"fd00::/129\"]}", "source_ip_xlated");
    rejects("{\"source_ip\":[\"010.0.0.1\"]}", "source_ip");
  }

  @Test
  void shouldMatchPodsByNamespaceAndNamePrefix() {
    assertThat(matches("{\"source_pod\":[\"default/xwing\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_pod\":[\"xwing\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_pod\":[\"deathstar\"]}", FLOW)).as("bare name means default/").isFalse();
    assertThat(matches("{\"destination_pod\":[\"empire/\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_pod\":[\"/death\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_pod\":[\"/xwing\"]}", FLOW)).isFalse();
    assertThat(matches("{\"source_pod\":[\"kube-system/\",\"default/x\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_pod\":[\"default/tie\"]}", FLOW)).isFalse();
    Flow world = flow(b -> b.setSource(Endpoint.newBuilder().setIdentity(2).addLabels("reserved:world")));
    assertThat(matches("{\"source_pod\":[\"default/\",\"/x\"]}", world)).as("no namespace, no pod").isFalse();

    rejects("{\"source_pod\":[\"\"]}", "source_pod", "empty");
    rejects("{\"destination_pod\":[\"/\"]}", "destination_pod", "\"/\"");
  }

  @Test
  void shouldMatchServicesLikePods() {
    assertThat(matches("{\"destination_service\":[\"empire/deathstar\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_service\":[\"empire/\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_service\":[\"deathstar\"]}", FLOW)).isFalse();
    assertThat(matches("{\"source_service\":[\"default/\"]}", FLOW)).as("no source service").isFalse();
    rejects("{\"source_service\":[\"\"]}", "source_service");
  }

  @Test
  void shouldMatchFqdnPatternsOverNames() {
    assertThat(matches("{\"destination_fqdn\":[\"deathstar.empire.svc.cluster.local\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_fqdn\":[\"*.empire.svc.cluster.local.\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_fqdn\":[\"DEATHSTAR.*\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_fqdn\":[\"deathstar\"]}", FLOW)).as("anchored").isFalse();
    assertThat(matches("{\"source_fqdn\":[\"*\"]}", FLOW)).as("no source names").isFalse();
    rejects("{\"source_fqdn\":[\"exa mple.com\"]}", "source_fqdn", "invalid character");
    rejects("{\"destination_fqdn\":[\"example.com..\"]}", "destination_fqdn", "trailing dots");
    rejects("{\"destination_fqdn\":[\"\"]}", "destination_fqdn", "empty pattern");
  }

  @Test
  void shouldMatchLabelSelectorsWithAndWithoutSources() {
    assertThat(matches("{\"source_label\":[\"app=xwing\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_label\":[\"k8s:app=xwing\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_label\":[\"container:app=xwing\"]}", FLOW)).isFalse();
    assertThat(matches("{\"source_label\":[\"k8s:app==xwing, class in (fighter, bomber)\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_label\":[\"app=xwing,class notin (fighter)\"]}", FLOW)).isFalse();
    assertThat(matches("{\"source_label\":[\"app!=tie\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_label\":[\"team!=rebels\"]}", FLOW)).as("!= holds for a missing key").isTrue();
    assertThat(matches("{\"source_label\":[\"class\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_label\":[\"!class\"]}", FLOW)).isFalse();
    assertThat(matches("{\"source_label\":[\"!k8s:team\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_label\":[\"k8s:io.kubernetes.pod.namespace=default\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_label\":[\"tier>5\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_label\":[\"tier<5\"]}", FLOW)).isFalse();
    assertThat(matches("{\"destination_label\":[\"app=xwing\",\"app=deathstar\"]}", FLOW)).isTrue();

    Flow world = flow(b -> b.setDestination(Endpoint.newBuilder().setIdentity(2).addLabels("reserved:world")));
    assertThat(matches("{\"destination_label\":[\"reserved:world\"]}", world)).isTrue();
    assertThat(matches("{\"destination_label\":[\"world\"]}", world)).isTrue();
    assertThat(matches("{\"destination_label\":[\"k8s:world\"]}", world)).isFalse();
    assertThat(matches("{\"destination_label\":[\"reserved:host\"]}", world)).isFalse();

    rejects("{\"source_label\":[\"app in ()\"]}", "source_label", "cannot be empty");
    rejects("{\"source_label\":[\"app=x=y\"]}", "source_label");
    rejects("{\"destination_label\":[\"app in (a\"]}", "destination_label");
    rejects("{\"destination_label\":[\"=x\"]}", "destination_label");
    rejects("{\"destination_label\":[\"app=x,\"]}", "destination_label");
  }

  @Test
  void shouldMatchWorkloadsWithEmptyPartsAsWildcards() {
    assertThat(matches("{\"source_workload\":[{\"name\":\"xwing\",\"kind\":\"Deployment\"}]}", FLOW)).isTrue();
    assertThat(matches("{\"source_workload\":[{\"kind\":\"Deployment\"}]}", FLOW)).isTrue();
    assertThat(matches("{\"source_workload\":[{\"name\":\"xwing\",\"kind\":\"StatefulSet\"}]}", FLOW)).isFalse();
    assertThat(matches("{\"destination_workload\":[{\"name\":\"deathstar\"}]}", FLOW)).isFalse();
  }

  @Test
  void shouldMatchClusterNamesIdentitiesAndUuids() {
    assertThat(matches("{\"source_cluster_name\":[\"default\"]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_cluster_name\":[\"default\"]}", FLOW)).isFalse();
    rejects("{\"source_cluster_name\":[\"\"]}", "source_cluster_name");
    assertThat(matches("{\"source_identity\":[1,1234],\"destination_identity\":[5678]}", FLOW)).isTrue();
    assertThat(matches("{\"destination_identity\":[2]}", FLOW)).isFalse();
    assertThat(matches("{\"uuid\":[\"u-0\",\"u-1\"]}", FLOW)).isTrue();
    assertThat(matches("{\"uuid\":[\"u-2\"]}", FLOW)).isFalse();
  }

  @Test
  void shouldMatchEnumsByMembership() {
    assertThat(matches("{\"traffic_direction\":[\"EGRESS\"]}", FLOW)).isTrue();
    assertThat(matches("{\"traffic_direction\":[\"INGRESS\"]}", FLOW)).isFalse();
    assertThat(matches("{\"ip_version\":[\"IPv4\"]}", FLOW)).isTrue();
    assertThat(matches("{\"ip_version\":[\"IPv6\"]}", FLOW)).isFalse();
    Flow drop = flow(b -> b.setVerdict(Verdict.DROPPED).setDropReasonDesc(DropReason.POLICY_DENIED).clearIsReply());
    assertThat(matches("{\"drop_reason_desc\":[\"POLICY_DENIED\",\"POLICY_DENY\"]}", drop)).isTrue();
    assertThat(matches("{\"drop_reason_desc\":[\"POLICY_DENY\"]}", drop)).isFalse();
    assertThat(matches("{\"verdict\":[\"DROPPED\"]}", drop)).isTrue();
  }

  @Test
  void shouldMatchInterfacesByIndexAndName() {
    assertThat(matches("{\"interface\":[{\"name\":\"eth0\"}]}", FLOW)).isTrue();
    assertThat(matches("{\"interface\":[{\"index\":3}]}", FLOW)).isTrue();
    assertThat(matches("{\"interface\":[{\"index\":3,\"name\":\"lxc1\"}]}", FLOW)).isFalse();
    assertThat(matches("{\"interface\":[{\"name\":\"eth0\"}]}", flow(b -> b.clearInterface()))).isFalse();
  }

  @Test
  void shouldMatchEventTypesWithAnyTypeAndOptionalSubType() {
    assertThat(matches("{\"event_type\":[{\"type\":4}]}", FLOW)).isTrue();
    assertThat(matches("{\"event_type\":[{\"type\":1},{\"type\":4,\"match_sub_type\":true}]}", FLOW)).isTrue();
    assertThat(matches("{\"event_type\":[{\"type\":4,\"match_sub_type\":true,\"sub_type\":5}]}", FLOW)).isFalse();
    assertThat(matches("{\"event_type\":[{\"type\":0}]}", FLOW)).isTrue();
    assertThat(matches("{\"event_type\":[{\"type\":5}]}", FLOW)).isFalse();
    assertThat(matches("{\"event_type\":[{\"type\":0}]}", flow(b -> b.clearEventType()))).isFalse();
  }

  @Test
  void shouldMatchHttpStatusCodesExactlyAndByPrefix() {
    assertThat(matches("{\"http_status_code\":[\"404\"]}", http(404, "GET", "/"))).isTrue();
    assertThat(matches("{\"http_status_code\":[\"40+\"]}", http(404, "GET", "/"))).isTrue();
    assertThat(matches("{\"http_status_code\":[\"5+\"]}", http(404, "GET", "/"))).isFalse();
    assertThat(matches("{\"http_status_code\":[\"5+\",\"200\"]}", http(503, "GET", "/"))).isTrue();
    assertThat(matches("{\"http_status_code\":[\"2+\"]}", http(0, "GET", "/"))).as("a request has no code").isFalse();
    assertThat(matches("{\"http_status_code\":[\"2+\"]}", FLOW)).isFalse();
    rejects("{\"http_status_code\":[\"404+\"]}", "http_status_code", "404+");
    rejects("{\"http_status_code\":[\"600\"]}", "http_status_code");
    rejects("{\"http_status_code\":[\"\"]}", "http_status_code");
  }

  @Test
  void shouldMatchHttpMethodPathUrlAndHeaders() {
    Flow get = http(0, "GET", "http://deathstar.empire.svc.cluster.local/v1/request-landing?x=1");
    assertThat(matches("{\"http_method\":[\"get\"]}", get)).isTrue();
    assertThat(matches("{\"http_method\":[\"POST\",\"PUT\"]}", get)).isFalse();
    assertThat(matches("{\"http_path\":[\"^/v1/.*\"]}", get)).isTrue();
    assertThat(matches("{\"http_path\":[\"landing$\"]}", get)).as("the query is not part of the path").isTrue();
    assertThat(matches("{\"http_path\":[\"^/v2\"]}", get)).isFalse();
    assertThat(matches("{\"http_path\":[\"^/v1\"]}", http(0, "GET", "/v1/x"))).isTrue();
    assertThat(matches("{\"http_path\":[\".*\"]}", http(0, "GET", "v1/x"))).as("not a request URI").isFalse();
    assertThat(matches("{\"http_url\":[\"empire\\\\.svc\"]}", get)).isTrue();
    assertThat(matches("{\"http_url\":[\"^https:\"]}", get)).isFalse();
    assertThat(matches("{\"http_header\":[{\"key\":\"x-user\",\"value\":\"luke\"}]}", get)).isTrue();
    assertThat(matches("{\"http_header\":[{\"key\":\"x-user\",\"value\":\"vader\"}]}", get)).isFalse();
    assertThat(matches("{\"http_header\":[{\"key\":\"x-user\"}]}", get)).isTrue();
    assertThat(matches("{\"http_method\":[\"GET\"]}", FLOW)).isFalse();
    rejects("{\"http_path\":[\"(\"]}", "http_path", "invalid regular expression");
    rejects("{\"http_url\":[\"[a\"]}", "http_url");
  }

  @Test
  void shouldRefuseHttpFiltersWithEventTypesThatCannotBeL7() {
    rejects("{\"event_type\":[{\"type\":4}],\"http_method\":[\"GET\"]}", "http_method", "'l7'");
    rejects("{\"event_type\":[{\"type\":0}],\"http_status_code\":[\"200\"]}", "http_status_code");
    rejects("{\"event_type\":[{\"type\":1}],\"http_path\":[\"/\"]}", "http_path");
    rejects("{\"event_type\":[{\"type\":1}],\"http_url\":[\"/\"]}", "http_url");
    rejects("{\"event_type\":[{\"type\":1}],\"http_header\":[{\"key\":\"a\"}]}", "http_header");
    assertThat(matches("{\"event_type\":[{\"type\":1},{\"type\":129}],\"http_method\":[\"GET\"]}", http(0, "GET", "/")))
        .isTrue();
  }

  @Test
  void shouldMatchProtocolsAtL4AndL7() {
    assertThat(matches("{\"protocol\":[\"TCP\"]}", FLOW)).isTrue();
    assertThat(matches("{\"protocol\":[\"udp\",\"sctp\"]}", FLOW)).isFalse();
    Flow icmp6 = flow(b -> b.setL4(Layer4.newBuilder().setICMPv6(ICMPv6.newBuilder().setType(128))));
    assertThat(matches("{\"protocol\":[\"icmp\"]}", icmp6)).isTrue();
    assertThat(matches("{\"protocol\":[\"icmpv6\"]}", icmp6)).isTrue();
    assertThat(matches("{\"protocol\":[\"icmpv4\"]}", icmp6)).isFalse();
    Flow dns = flow(b -> b.setL4(Layer4.newBuilder().setUDP(UDP.newBuilder().setDestinationPort(53)))
        .setL7(Layer7.newBuilder().setDns(DNS.newBuilder().setQuery("deathstar.empire.svc.cluster.local."))));
    assertThat(matches("{\"protocol\":[\"dns\"]}", dns)).isTrue();
    assertThat(matches("{\"protocol\":[\"http\",\"kafka\"]}", dns)).isFalse();
    assertThat(matches("{\"protocol\":[\"http\"]}", http(200, "GET", "/"))).isTrue();
    rejects("{\"protocol\":[\"quic\"]}", "protocol", "unknown protocol \"quic\"");
  }

  @Test
  void shouldMatchPortsOfTcpUdpAndSctpOnly() {
    assertThat(matches("{\"source_port\":[\"40000\"],\"destination_port\":[\"443\",\"80\"]}", FLOW)).isTrue();
    assertThat(matches("{\"source_port\":[\"80\"]}", FLOW)).isFalse();
    Flow udp = flow(b -> b.setL4(Layer4.newBuilder().setUDP(UDP.newBuilder().setSourcePort(5353).setDestinationPort(53))));
    assertThat(matches("{\"destination_port\":[\"53\"]}", udp)).isTrue();
    Flow icmp = flow(b -> b.setL4(Layer4.newBuilder().setICMPv6(ICMPv6.newBuilder())));
    assertThat(matches("{\"destination_port\":[\"0\"]}", icmp)).isFalse();
    rejects("{\"source_port\":[\"http\"]}", "source_port", "\"http\"");
    rejects("{\"destination_port\":[\"65536\"]}", "destination_port");
    rejects("{\"destination_port\":[\"-1\"]}", "destination_port");
  }

  @Test
  void shouldMatchTcpFlagsAsSubsetsOrdAcrossEntries() {
    assertThat(matches("{\"tcp_flags\":[{\"SYN\":true}]}", FLOW)).isTrue();
    assertThat(matches("{\"tcp_flags\":[{\"SYN\":true,\"ACK\":true}]}", FLOW)).isTrue();
    assertThat(matches("{\"tcp_flags\":[{\"SYN\":true,\"FIN\":true}]}", FLOW)).isFalse();
    assertThat(matches("{\"tcp_flags\":[{\"FIN\":true},{\"ACK\":true}]}", FLOW)).isTrue();
    assertThat(matches("{\"tcp_flags\":[{\"SYN\":true}]}", http(200, "GET", "/").toBuilder().clearL4().build()))
        .isFalse();
  }

  @Test
  void shouldMatchRepliesTreatingUnknownDirectionOfDropsAsNotAReply() {
    assertThat(matches("{\"reply\":[false]}", FLOW)).isTrue();
    assertThat(matches("{\"reply\":[true]}", FLOW)).isFalse();
    assertThat(matches("{\"reply\":[true]}", flow(b -> b.setIsReply(BoolValue.of(true))))).isTrue();
    Flow unknownDrop = flow(b -> b.clearIsReply().setVerdict(Verdict.DROPPED));
    assertThat(matches("{\"reply\":[false]}", unknownDrop)).isTrue();
    assertThat(matches("{\"reply\":[true]}", unknownDrop)).isFalse();
    Flow unknownForward = flow(b -> b.clearIsReply());
    assertThat(matches("{\"reply\":[false]}", unknownForward)).isFalse();
    assertThat(matches("{\"reply\":[true,false]}", unknownForward)).isFalse();
  }

  @Test
  void shouldMatchDnsQueriesByRegex() {
    Flow dns = flow(b -> b.setL7(Layer7.newBuilder().setDns(DNS.newBuilder().setQuery("api.github.com."))));
    assertThat(matches("{\"dns_query\":[\"github\\\\.com\\\\.$\"]}", dns)).isTrue();
    assertThat(matches("{\"dns_query\":[\"^gitlab\"]}", dns)).isFalse();
    assertThat(matches("{\"dns_query\":[\".*\"]}", FLOW)).isFalse();
    rejects("{\"dns_query\":[\"*.com\"]}", "dns_query");
  }

  @Test
  void shouldMatchNodeNamesWithClustersAndGlobs() {
    assertThat(matches("{\"node_name\":[\"n1\"]}", FLOW)).isTrue();
    assertThat(matches("{\"node_name\":[\"default/n1\"]}", FLOW)).isTrue();
    assertThat(matches("{\"node_name\":[\"default/\"]}", FLOW)).isTrue();
    assertThat(matches("{\"node_name\":[\"n*\"]}", FLOW)).isTrue();
    assertThat(matches("{\"node_name\":[\"other/n1\"]}", FLOW)).isFalse();
    assertThat(matches("{\"node_name\":[\"n2\",\"n3\"]}", FLOW)).isFalse();
    Flow remote = flow(b -> b.setNodeName("mesh-2/worker.example.com"));
    assertThat(matches("{\"node_name\":[\"mesh-*/*.example.com\"]}", remote)).isTrue();
    assertThat(matches("{\"node_name\":[\"n1\"]}", flow(b -> b.clearNodeName()))).isFalse();
    rejects("{\"node_name\":[\"a/b/c\"]}", "node_name", "too many slashes");
    rejects("{\"node_name\":[\"\"]}", "node_name", "empty pattern");
    rejects("{\"node_name\":[\"n+1\"]}", "node_name", "invalid character");
  }

  @Test
  void shouldMatchNodeLabelsBySelector() {
    assertThat(matches("{\"node_labels\":[\"kubernetes.io/hostname=n1\"]}", FLOW)).isTrue();
    assertThat(matches("{\"node_labels\":[\"kubernetes.io/hostname in (n2,n3)\"]}", FLOW)).isFalse();
    assertThat(matches("{\"node_labels\":[\"!topology.kubernetes.io/zone\"]}", FLOW)).isTrue();
    rejects("{\"node_labels\":[\"a in b\"]}", "node_labels");
  }

  @Test
  void shouldMatchTraceIdsAndEncryption() {
    assertThat(matches("{\"trace_id\":[\"abc123\"]}", FLOW)).isTrue();
    assertThat(matches("{\"trace_id\":[\"def\"]}", FLOW)).isFalse();
    assertThat(matches("{\"encrypted\":[false]}", FLOW)).isTrue();
    assertThat(matches("{\"encrypted\":[true]}", FLOW)).isFalse();
    assertThat(matches("{\"encrypted\":[true]}", flow(b -> b.setIP(FLOW.getIP().toBuilder().setEncrypted(true)))))
        .isTrue();
  }

  @Test
  void shouldRefuseCelExpressionsRatherThanIgnoreThem() {
    rejects("{\"experimental\":{\"cel_expression\":[\"_flow.verdict == 2\"]}}",
        "experimental.cel_expression", "CEL expressions are not supported");
  }
}
