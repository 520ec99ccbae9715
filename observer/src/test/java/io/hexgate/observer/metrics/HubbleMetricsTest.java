package io.hexgate.observer.metrics;

import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.CLIENT;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.HOST;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.SERVER;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.WORLD;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.drop;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.httpRequest;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.httpResponse;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.icmp;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.l3l4;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.policyAllowed;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.policyDenied;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.syn;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.tcp;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.trace;
import static io.hexgate.observer.metrics.HubbleFlowsForMetrics.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.BoolValue;
import io.hexgate.contract.hubble.flow.CiliumEventType;
import io.hexgate.contract.hubble.flow.DNS;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.ICMPv6;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.metrics.MetricsServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class HubbleMetricsTest {
  private static final String HUBBLE_DEFAULTS =
      "dns drop tcp flow port-distribution icmp httpV2:exemplars=true;labelsContext=source_namespace,destination_namespace"
          + " policy flows-to-world";

  /** A node's worth of flows: allowed and denied connections, datapath drops, traces, and one HTTP exchange. */
  private static HubbleMetrics countedNode(String enabled) {
    HubbleMetrics metrics = HubbleMetrics.parse(enabled);
    metrics.onFlow(policyAllowed());
    metrics.onFlow(policyDenied());
    metrics.onFlow(drop(133, DropReason.POLICY_DENIED, tcp(9090, syn())));
    metrics.onFlow(drop(133, DropReason.POLICY_DENIED, udp(53)));
    metrics.onFlow(drop(181, DropReason.POLICY_DENY, tcp(443, syn())));
    metrics.onFlow(trace(5, tcp(8080, TCPFlags.newBuilder().setACK(true)), false));
    metrics.onFlow(trace(0, tcp(40000, TCPFlags.newBuilder().setSYN(true).setACK(true)), true));
    metrics.onFlow(trace(0, tcp(40000, TCPFlags.newBuilder().setFIN(true).setACK(true)), true));
    metrics.onFlow(trace(5, udp(53), false));
    metrics.onFlow(trace(0, icmp(8, 0), false));
    metrics.onFlow(trace(5, icmp(0, 0), true));
    metrics.onFlow(httpRequest());
    metrics.onFlow(httpResponse(200, 3_000_000, "4bf92f3577b34da6a3ce929d0e0e4736"));
    return metrics;
  }

  @Test
  void flowsAreCountedByProtocolTypeObservationPointAndVerdict() {
    assertThat(series(countedNode(HUBBLE_DEFAULTS).scrape(), "hubble_flows_processed_total")).containsExactlyInAnyOrder(
        "hubble_flows_processed_total{protocol=\"HTTP\",subtype=\"HTTP\",type=\"L7\",verdict=\"FORWARDED\"} 2.0",
        "hubble_flows_processed_total{protocol=\"ICMPv4\",subtype=\"from-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"ICMPv4\",subtype=\"to-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"TCP\",subtype=\"\",type=\"Drop\",verdict=\"DROPPED\"} 2.0",
        "hubble_flows_processed_total{protocol=\"TCP\",subtype=\"\",type=\"PolicyVerdict\",verdict=\"DROPPED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"TCP\",subtype=\"\",type=\"PolicyVerdict\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"TCP\",subtype=\"from-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"TCP\",subtype=\"to-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 2.0",
        "hubble_flows_processed_total{protocol=\"UDP\",subtype=\"\",type=\"Drop\",verdict=\"DROPPED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"UDP\",subtype=\"from-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 1.0");
  }

  @Test
  void dropsAreCountedByReasonNameAndProtocolWhateverTheEventKind() {
    assertThat(series(countedNode(HUBBLE_DEFAULTS).scrape(), "hubble_drop_total")).containsExactlyInAnyOrder(
        "hubble_drop_total{protocol=\"TCP\",reason=\"POLICY_DENIED\"} 2.0",
        "hubble_drop_total{protocol=\"TCP\",reason=\"POLICY_DENY\"} 1.0",
        "hubble_drop_total{protocol=\"UDP\",reason=\"POLICY_DENIED\"} 1.0");
  }

  @Test
  void tcpFlagsPortsIcmpAndPolicyVerdictsFollowHubblesRules() {
    String scrape = countedNode(HUBBLE_DEFAULTS).scrape();
    // forwarded flows only: the denied SYNs do not count
    assertThat(series(scrape, "hubble_tcp_flags_total")).containsExactlyInAnyOrder(
        "hubble_tcp_flags_total{family=\"IPv4\",flag=\"FIN\"} 1.0",
        "hubble_tcp_flags_total{family=\"IPv4\",flag=\"SYN\"} 1.0",
        "hubble_tcp_flags_total{family=\"IPv4\",flag=\"SYN-ACK\"} 1.0");
    // forwarded and known not to be replies: the policy verdict, the trace and the HTTP request to 8080
    assertThat(series(scrape, "hubble_port_distribution_total")).containsExactlyInAnyOrder(
        "hubble_port_distribution_total{port=\"0\",protocol=\"ICMPv4\"} 1.0",
        "hubble_port_distribution_total{port=\"53\",protocol=\"UDP\"} 1.0",
        "hubble_port_distribution_total{port=\"8080\",protocol=\"TCP\"} 3.0");
    assertThat(series(scrape, "hubble_icmp_total")).containsExactlyInAnyOrder(
        "hubble_icmp_total{family=\"IPv4\",type=\"EchoReply\"} 1.0",
        "hubble_icmp_total{family=\"IPv4\",type=\"EchoRequest\"} 1.0");
    // policy-verdict events by match type, and every L7 record
    assertThat(series(scrape, "hubble_policy_verdicts_total")).containsExactlyInAnyOrder(
        "hubble_policy_verdicts_total{action=\"dropped\",direction=\"ingress\",match=\"none\"} 1.0",
        "hubble_policy_verdicts_total{action=\"forwarded\",direction=\"ingress\",match=\"l3-l4\"} 1.0",
        "hubble_policy_verdicts_total{action=\"forwarded\",direction=\"ingress\",match=\"l7/http\"} 2.0");
  }

  @Test
  void httpV2CountsResponsesWithStatusAndTheirLatencyInDefaultBuckets() {
    String scrape = countedNode(HUBBLE_DEFAULTS).scrape();
    String labels = "destination_namespace=\"shop\",method=\"GET\",reporter=\"server\",source_namespace=\"shop\"";
    assertThat(series(scrape, "hubble_http_requests_total")).containsExactly(
        "hubble_http_requests_total{destination_namespace=\"shop\",method=\"GET\",protocol=\"HTTP/1.1\","
            + "reporter=\"server\",source_namespace=\"shop\",status=\"200\"} 1.0");
    assertThat(series(scrape, "hubble_http_request_duration_seconds_bucket")).containsExactly(
        Stream.of("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf")
            .map(le -> "hubble_http_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} 1")
            .toArray(String[]::new));
    assertThat(series(scrape, "hubble_http_request_duration_seconds_sum"))
        .containsExactly("hubble_http_request_duration_seconds_sum{" + labels + "} 0.003");
    assertThat(scrape).doesNotContain("hubble_http_responses_total");
  }

  @Test
  void httpV2ExemplarsCarryTheTraceIdInOpenMetrics() {
    String open = countedNode(HUBBLE_DEFAULTS).scrapeOpenMetrics();
    assertThat(series(open, "hubble_http_requests_total")).singleElement().asString()
        .endsWith("} 1.0 # {traceID=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1.0 " + exemplarTime(open));
    assertThat(series(countedNode("httpV2").scrapeOpenMetrics(), "hubble_http_requests_total")).singleElement()
        .asString().doesNotContain("#");
  }

  private static String exemplarTime(String open) {
    String line = series(open, "hubble_http_requests_total").get(0);
    return line.substring(line.lastIndexOf(' ') + 1);
  }

  @Test
  void httpV2LabelsAResponseFromItsRequestsPointOfView() {
    HubbleMetrics metrics = HubbleMetrics.parse("httpV2:sourceContext=pod;destinationContext=pod"
        + ";labelsContext=source_pod,destination_app");
    // the response flows from the server (api) to the client (web)
    metrics.onFlow(httpResponse(503, 20_000_000, ""));
    assertThat(series(metrics.scrape(), "hubble_http_requests_total")).containsExactly(
        "hubble_http_requests_total{destination=\"shop/api-0\",destination_app=\"api\",method=\"GET\","
            + "protocol=\"HTTP/1.1\",reporter=\"server\",source=\"shop/web-7d4b9-x2x\",source_pod=\"web-7d4b9-x2x\","
            + "status=\"503\"} 1.0");
  }

  @Test
  void legacyHttpCountsRequestsAndResponsesUnderTheNamesTheL7ProxyExports() {
    HubbleMetrics metrics = HubbleMetrics.parse("http");
    metrics.onFlow(httpRequest());
    metrics.onFlow(httpRequest());
    metrics.onFlow(httpResponse(200, 3_000_000, ""));
    metrics.onFlow(httpResponse(403, 1_000_000, ""));
    String scrape = metrics.scrape();
    assertThat(series(scrape, "hubble_http_requests_total"))
        .containsExactly("hubble_http_requests_total{method=\"GET\",protocol=\"HTTP/1.1\",reporter=\"server\"} 2.0");
    assertThat(series(scrape, "hubble_http_responses_total")).containsExactlyInAnyOrder(
        "hubble_http_responses_total{method=\"GET\",protocol=\"HTTP/1.1\",reporter=\"server\",status=\"200\"} 1.0",
        "hubble_http_responses_total{method=\"GET\",protocol=\"HTTP/1.1\",reporter=\"server\",status=\"403\"} 1.0");
    assertThat(scrape)
        .contains("hubble_http_request_duration_seconds_bucket{method=\"GET\",reporter=\"server\",le=\"10.0\"} 2")
        .contains("hubble_http_request_duration_seconds_count{method=\"GET\",reporter=\"server\"} 2");
  }

  @Test
  void policyVerdictsOfTheHostAreNotCounted() {
    HubbleMetrics metrics = HubbleMetrics.parse("policy");
    metrics.onFlow(l3l4(5, 0, Verdict.FORWARDED, HOST, SERVER, tcp(8080, syn()))
        .setTrafficDirection(TrafficDirection.INGRESS).setPolicyMatchType(1).build());
    metrics.onFlow(l3l4(5, 0, Verdict.FORWARDED, CLIENT, WORLD, tcp(443, syn()))
        .setTrafficDirection(TrafficDirection.EGRESS).setPolicyMatchType(1).build());
    assertThat(series(metrics.scrape(), "hubble_policy_verdicts_total")).containsExactly(
        "hubble_policy_verdicts_total{action=\"forwarded\",direction=\"egress\",match=\"l3-only\"} 1.0");
  }

  @Test
  void dnsQueriesResponsesAndTheirRecordTypes() {
    HubbleMetrics metrics = HubbleMetrics.parse("dns:query;ignoreAAAA");
    metrics.onFlow(dns(false, Verdict.FORWARDED, DNS.newBuilder().setQuery("api.shop.svc.cluster.local.")
        .addQtypes("A")));
    metrics.onFlow(dns(true, Verdict.FORWARDED, DNS.newBuilder().setQuery("api.shop.svc.cluster.local.")
        .addQtypes("A").addIps("10.96.0.12").addRrtypes("A").setRcode(0)));
    metrics.onFlow(dns(true, Verdict.FORWARDED, DNS.newBuilder().setQuery("nope.shop.svc.cluster.local.")
        .addQtypes("A").setRcode(3)));
    metrics.onFlow(dns(false, Verdict.DROPPED, DNS.newBuilder().setQuery("evil.example.").addQtypes("A")));
    metrics.onFlow(dns(false, Verdict.FORWARDED, DNS.newBuilder().setQuery("api.shop.svc.cluster.local.")
        .addQtypes("AAAA")));
    String scrape = metrics.scrape();
    assertThat(series(scrape, "hubble_dns_queries_total")).containsExactlyInAnyOrder(
        "hubble_dns_queries_total{ips_returned=\"0\",qtypes=\"A\",query=\"api.shop.svc.cluster.local.\",rcode=\"\"} 1.0",
        "hubble_dns_queries_total{ips_returned=\"0\",qtypes=\"A\",query=\"evil.example.\",rcode=\"Policy denied\"} 1.0");
    assertThat(series(scrape, "hubble_dns_responses_total")).containsExactlyInAnyOrder(
        "hubble_dns_responses_total{ips_returned=\"1\",qtypes=\"A\",query=\"api.shop.svc.cluster.local.\",rcode=\"No Error\"} 1.0",
        "hubble_dns_responses_total{ips_returned=\"0\",qtypes=\"A\",query=\"nope.shop.svc.cluster.local.\","
            + "rcode=\"Non-Existent Domain\"} 1.0");
    assertThat(series(scrape, "hubble_dns_response_types_total")).containsExactly(
        "hubble_dns_response_types_total{qtypes=\"A\",query=\"api.shop.svc.cluster.local.\",type=\"A\"} 1.0");
  }

  private static Flow dns(boolean reply, Verdict verdict, DNS.Builder dns) {
    Flow.Builder f = Flow.newBuilder().setType(FlowType.L7).setVerdict(verdict)
        .setEventType(CiliumEventType.newBuilder().setType(129)).setSource(CLIENT).setDestination(SERVER)
        .setTrafficDirection(TrafficDirection.EGRESS)
        .setL7(Layer7.newBuilder().setType(reply ? L7FlowType.RESPONSE : L7FlowType.REQUEST).setDns(dns));
    return (verdict == Verdict.DROPPED ? f : f.setIsReply(BoolValue.of(reply))).build();
  }

  @Test
  void flowsToWorldCountNewConnectionsAndPolicyDropsOnly() {
    HubbleMetrics metrics = HubbleMetrics.parse("flows-to-world:port");
    metrics.onFlow(toWorld(Verdict.FORWARDED, tcp(443, syn()), false, DropReason.DROP_REASON_UNKNOWN));
    metrics.onFlow(toWorld(Verdict.FORWARDED, tcp(443, TCPFlags.newBuilder().setACK(true)), true,
        DropReason.DROP_REASON_UNKNOWN));
    metrics.onFlow(toWorld(Verdict.DROPPED, udp(53), null, DropReason.POLICY_DENIED));
    metrics.onFlow(toWorld(Verdict.DROPPED, udp(53), null, DropReason.CT_MAP_INSERTION_FAILED));
    metrics.onFlow(trace(5, tcp(443, syn()), false));
    assertThat(series(metrics.scrape(), "hubble_flows_to_world_total")).containsExactlyInAnyOrder(
        "hubble_flows_to_world_total{port=\"443\",protocol=\"TCP\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_to_world_total{port=\"53\",protocol=\"UDP\",verdict=\"DROPPED\"} 1.0");

    HubbleMetrics synOnly = HubbleMetrics.parse("flows-to-world:syn-only;any-drop");
    synOnly.onFlow(toWorld(Verdict.FORWARDED, tcp(443, syn()), false, DropReason.DROP_REASON_UNKNOWN));
    synOnly.onFlow(toWorld(Verdict.FORWARDED, tcp(443, TCPFlags.newBuilder().setACK(true)), false,
        DropReason.DROP_REASON_UNKNOWN));
    synOnly.onFlow(toWorld(Verdict.FORWARDED, udp(53), false, DropReason.DROP_REASON_UNKNOWN));
    synOnly.onFlow(toWorld(Verdict.DROPPED, tcp(443, syn()), null, DropReason.CT_MAP_INSERTION_FAILED));
    assertThat(series(synOnly.scrape(), "hubble_flows_to_world_total")).containsExactlyInAnyOrder(
        "hubble_flows_to_world_total{protocol=\"TCP\",verdict=\"DROPPED\"} 1.0",
        "hubble_flows_to_world_total{protocol=\"TCP\",verdict=\"FORWARDED\"} 1.0");
  }

  private static Flow toWorld(Verdict verdict, Layer4 l4, Boolean reply, DropReason reason) {
    Flow.Builder f = l3l4(verdict == Verdict.DROPPED ? 1 : 4, 0, verdict, CLIENT, WORLD, l4)
        .setTrafficDirection(TrafficDirection.EGRESS).setDropReasonDesc(reason);
    return (reply == null ? f : f.setIsReply(BoolValue.of(reply))).build();
  }

  @Test
  void contextOptionsAddSourceAndDestinationLabels() {
    HubbleMetrics metrics = HubbleMetrics.parse(
        "drop:sourceContext=workload|reserved-identity;destinationContext=dns|app;labelsContext=traffic_direction,"
            + "source_workload_kind,destination_ip,destination_workload");
    metrics.onFlow(drop(133, DropReason.POLICY_DENIED, udp(53)));
    metrics.onFlow(l3l4(1, 181, Verdict.DROPPED, HOST, WORLD, udp(53)).setDropReasonDesc(DropReason.POLICY_DENY)
        .addDestinationNames("example.com").build());
    assertThat(series(metrics.scrape(), "hubble_drop_total")).containsExactlyInAnyOrder(
        "hubble_drop_total{destination=\"api\",destination_ip=\"10.0.2.7\",destination_workload=\"api\","
            + "protocol=\"UDP\",reason=\"POLICY_DENIED\",source=\"shop/web\",source_workload_kind=\"Deployment\","
            + "traffic_direction=\"ingress\"} 1.0",
        "hubble_drop_total{destination=\"example.com\",destination_ip=\"10.0.2.7\",destination_workload=\"\","
            + "protocol=\"UDP\",reason=\"POLICY_DENY\",source=\"reserved:host\",source_workload_kind=\"\","
            + "traffic_direction=\"unknown\"} 1.0");
  }

  @Test
  void aDeletedPodsSeriesAreForgotten() {
    HubbleMetrics metrics = HubbleMetrics.parse("flow:destinationContext=pod"
        + " httpV2:labelsContext=source_namespace,source_pod,destination_namespace drop:sourceContext=namespace");
    metrics.onFlow(policyAllowed());
    metrics.onFlow(trace(0, udp(53), false).toBuilder().setDestination(CLIENT).build());
    metrics.onFlow(httpResponse(200, 1_000_000, ""));
    metrics.onFlow(drop(133, DropReason.POLICY_DENIED, udp(53)));

    metrics.forgetPod("shop", "api-0");

    String scrape = metrics.scrape();
    assertThat(series(scrape, "hubble_flows_processed_total")).containsExactlyInAnyOrder(
        "hubble_flows_processed_total{destination=\"shop/web-7d4b9-x2x\",protocol=\"HTTP\",subtype=\"HTTP\","
            + "type=\"L7\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{destination=\"shop/web-7d4b9-x2x\",protocol=\"UDP\",subtype=\"to-endpoint\","
            + "type=\"Trace\",verdict=\"FORWARDED\"} 1.0");
    // the response's source is api-0, but from the request's point of view web is the source
    assertThat(series(scrape, "hubble_http_requests_total")).hasSize(1);
    // namespaces name no pod
    assertThat(series(scrape, "hubble_drop_total")).hasSize(1);

    metrics.forgetPod("shop", "web-7d4b9-x2x");
    scrape = metrics.scrape();
    assertThat(series(scrape, "hubble_flows_processed_total")).isEmpty();
    assertThat(series(scrape, "hubble_http_requests_total")).isEmpty();
    assertThat(series(scrape, "hubble_http_request_duration_seconds_count")).isEmpty();
    assertThat(series(scrape, "hubble_drop_total")).hasSize(1);

    metrics.onFlow(policyAllowed());
    assertThat(series(metrics.scrape(), "hubble_flows_processed_total")).containsExactly(
        "hubble_flows_processed_total{destination=\"shop/api-0\",protocol=\"TCP\",subtype=\"\","
            + "type=\"PolicyVerdict\",verdict=\"FORWARDED\"} 1.0");
  }

  @Test
  void eventKindsWithoutAnEventTypeOrUnknownToHubbleAreLabelledAsHubbleDoes() {
    HubbleMetrics metrics = HubbleMetrics.parse("flow icmp");
    // an L7 record that left its event type out still counts as L7
    metrics.onFlow(httpRequest().toBuilder().clearEventType().build());
    // a debug event (type 2) is of no kind Hubble names
    metrics.onFlow(l3l4(2, 0, Verdict.FORWARDED, CLIENT, SERVER, icmp(3, 3)).build());
    metrics.onFlow(l3l4(4, 0, Verdict.FORWARDED, CLIENT, SERVER,
        Layer4.newBuilder().setICMPv6(ICMPv6.newBuilder().setType(135)).build()).build());
    metrics.onFlow(l3l4(4, 0, Verdict.FORWARDED, CLIENT, SERVER, icmp(8, 1)).build());
    metrics.onFlow(l3l4(4, 0, Verdict.FORWARDED, CLIENT, SERVER, icmp(42, 0)).build());
    String scrape = metrics.scrape();
    assertThat(series(scrape, "hubble_flows_processed_total")).containsExactlyInAnyOrder(
        "hubble_flows_processed_total{protocol=\"HTTP\",subtype=\"HTTP\",type=\"L7\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"Unknown flow\",subtype=\"2\",type=\"Unknown\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"ICMPv6\",subtype=\"to-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 1.0",
        "hubble_flows_processed_total{protocol=\"ICMPv4\",subtype=\"to-endpoint\",type=\"Trace\",verdict=\"FORWARDED\"} 2.0");
    assertThat(series(scrape, "hubble_icmp_total")).containsExactlyInAnyOrder(
        "hubble_icmp_total{family=\"IPv4\",type=\"DestinationUnreachable(Port)\"} 1.0",
        "hubble_icmp_total{family=\"IPv6\",type=\"NeighborSolicitation\"} 1.0",
        "hubble_icmp_total{family=\"IPv4\",type=\"EchoRequest(Code: 1)\"} 1.0",
        "hubble_icmp_total{family=\"IPv4\",type=\"42(0)\"} 1.0");
  }

  @Test
  void lostEventsAreExportedByLowerCaseSourceWithAnyMetric() {
    HubbleMetrics metrics = HubbleMetrics.parse("flow");
    assertThat(series(metrics.scrape(), "hubble_lost_events_total")).containsExactlyInAnyOrder(
        "hubble_lost_events_total{source=\"hubble_ring_buffer\"} 0.0",
        "hubble_lost_events_total{source=\"observer_events_queue\"} 0.0",
        "hubble_lost_events_total{source=\"perf_event_ring_buffer\"} 0.0");
    metrics.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, 7);
    metrics.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, 5);
    metrics.onLost(LostEventSource.HUBBLE_RING_BUFFER, 1);
    assertThat(series(metrics.scrape(), "hubble_lost_events_total")).containsExactlyInAnyOrder(
        "hubble_lost_events_total{source=\"hubble_ring_buffer\"} 1.0",
        "hubble_lost_events_total{source=\"observer_events_queue\"} 0.0",
        "hubble_lost_events_total{source=\"perf_event_ring_buffer\"} 12.0");

    HubbleMetrics none = HubbleMetrics.parse("  ");
    none.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, 7);
    none.onFlow(policyAllowed());
    assertThat(none.enabled()).isEmpty();
    assertThat(none.scrape()).doesNotContain("hubble_");
  }

  @Test
  void parsingNamesWhatItDoesNotKnow() {
    assertThat(HubbleMetrics.parse(HUBBLE_DEFAULTS).enabled())
        .containsExactly("dns", "drop", "tcp", "flow", "port-distribution", "icmp", "httpV2", "policy", "flows-to-world");
    assertThatThrownBy(() -> HubbleMetrics.parse("flow dorp"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'dorp'");
    assertThatThrownBy(() -> HubbleMetrics.parse("drop:sourceContex=pod"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'drop'").hasMessageContaining("'sourceContex'");
    assertThatThrownBy(() -> HubbleMetrics.parse("flow:sourceContext=pod|cluster"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'cluster'");
    assertThatThrownBy(() -> HubbleMetrics.parse("flow:labelsContext=source_namespace,source_node"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'source_node'");
    assertThatThrownBy(() -> HubbleMetrics.parse("httpV2:exemplars=yes"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exemplars=yes");
    assertThatThrownBy(() -> HubbleMetrics.parse("tcp:query"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'query'");
    assertThatThrownBy(() -> HubbleMetrics.parse("http httpV2"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'http' and 'httpV2'");
    assertThatThrownBy(() -> HubbleMetrics.parse("drop flow drop"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'drop' is listed twice");
  }

  @Test
  void servesTheScrapeOverHttp() throws Exception {
    HubbleMetrics metrics = countedNode("drop");
    try (MetricsServer server = metrics.serve(0)) {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("hubble_drop_total{protocol=\"TCP\",reason=\"POLICY_DENY\"} 1.0");
    }
  }

  /** The sample lines of one series name (its labels follow, or its value). */
  private static List<String> series(String scrape, String name) {
    return scrape.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).toList();
  }
}
