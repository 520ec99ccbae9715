package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.DNS;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Verdict;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code dns}: {@code hubble_dns_queries_total} and {@code hubble_dns_responses_total}
 * {@code {rcode,qtypes,ips_returned}}, {@code hubble_dns_response_types_total{type,qtypes}}, from L7 DNS flows.
 * Options {@code query} (adds the query name as label {@code query}) and {@code ignoreAAAA} (skips
 * AAAA-only lookups). A denied query counts as a query with rcode {@code Policy denied}.
 */
final class DnsMetric extends FlowMetric {
  private static final Map<Integer, String> RCODES = Map.ofEntries(
      Map.entry(0, "No Error"), Map.entry(1, "Format Error"), Map.entry(2, "Server Failure"),
      Map.entry(3, "Non-Existent Domain"), Map.entry(4, "Not Implemented"), Map.entry(5, "Query Refused"),
      Map.entry(6, "Name Exists when it should not"), Map.entry(7, "RR Set Exists when it should not"),
      Map.entry(8, "RR Set that should exist does not"), Map.entry(9, "Not Authorized"),
      Map.entry(10, "Name not contained in zone"), Map.entry(11, "DSO-TYPE Not Implemented"),
      Map.entry(16, "Bad OPT Version"), Map.entry(17, "Key not recognized"),
      Map.entry(18, "Signature out of time window"), Map.entry(19, "Bad TKEY Mode"),
      Map.entry(20, "Duplicate key name"), Map.entry(21, "Algorithm not supported"),
      Map.entry(22, "Bad Truncation"), Map.entry(23, "Bad/missing Server Cookie"));

  private final boolean includeQuery;
  private final boolean ignoreAaaa;
  private final Series<CounterDataPoint> queries;
  private final Series<CounterDataPoint> responses;
  private final Series<CounterDataPoint> responseTypes;

  DnsMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    includeQuery = options.flag("query");
    ignoreAaaa = options.flag("ignoreAAAA");
    String[] counted = includeQuery
        ? context.names("rcode", "qtypes", "ips_returned", "query") : context.names("rcode", "qtypes", "ips_returned");
    String[] types = includeQuery ? context.names("type", "qtypes", "query") : context.names("type", "qtypes");
    queries = counter("hubble_dns_queries_total", "Number of DNS queries observed", false, counted);
    responses = counter("hubble_dns_responses_total", "Number of DNS responses observed", false,
        counted);
    responseTypes = counter("hubble_dns_response_types_total", "Number of DNS response types",
        false, types);
  }

  @Override
  public void onFlow(Flow flow) {
    if (!flow.getL7().hasDns()) {
      return;
    }
    DNS dns = flow.getL7().getDns();
    if (ignoreAaaa && dns.getQtypesCount() == 1 && dns.getQtypes(0).equals("AAAA")) {
      return;
    }
    String qtypes = String.join(",", dns.getQtypesList());
    String ips = Integer.toString(dns.getIpsCount());
    if (flow.getVerdict() == Verdict.DROPPED) {
      queries.get(values(flow, dns, "Policy denied", qtypes, ips)).inc();
    } else if (!flow.getIsReply().getValue()) {
      queries.get(values(flow, dns, "", qtypes, ips)).inc();
    } else {
      responses.get(values(flow, dns, RCODES.getOrDefault(dns.getRcode(), ""), qtypes, ips)).inc();
      for (String type : dns.getRrtypesList()) {
        responseTypes.get(values(flow, dns, type, qtypes)).inc();
      }
    }
  }

  private String[] values(Flow flow, DNS dns, String... fixed) {
    if (!includeQuery) {
      return context.values(flow, fixed);
    }
    String[] withQuery = Arrays.copyOf(fixed, fixed.length + 1);
    withQuery[fixed.length] = dns.getQuery();
    return context.values(flow, withQuery);
  }
}
