package io.hexgate.observer.filter;

import io.hexgate.contract.hubble.flow.CiliumEventType;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.EventTypeFilter;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.NetworkInterface;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.flow.Workload;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** One FlowFilter to the AND of a predicate per set field (§5 of the Hubble reference). */
final class FlowFilterCompiler {
  /** Monitor message type of L7 (proxy access log) events. */
  private static final int L7_EVENT_TYPE = 129;

  private final FlowFilter filter;
  private final String where;
  private final FilterErrors errors;
  private final List<Predicate<Flow>> parts = new ArrayList<>();

  private FlowFilterCompiler(FlowFilter filter, String where, FilterErrors errors) {
    this.filter = filter;
    this.where = where;
    this.errors = errors;
  }

  static FlowPredicate compile(FlowFilter filter, String where, FilterErrors errors) {
    FlowFilterCompiler compiler = new FlowFilterCompiler(filter, where, errors);
    compiler.endpoints();
    compiler.l3l4();
    compiler.l7();
    compiler.flowAttributes();
    return allOf(compiler.parts);
  }

  private static FlowPredicate allOf(List<Predicate<Flow>> parts) {
    if (parts.isEmpty()) {
      return FlowPredicate.ALL;
    }
    @SuppressWarnings("unchecked")
    Predicate<Flow>[] all = parts.toArray(Predicate[]::new);
    return flow -> {
      for (Predicate<Flow> p : all) {
        if (!p.test(flow)) {
          return false;
        }
      }
      return true;
    };
  }

  private void endpoints() {
    side(true, filter.getSourcePodList(), filter.getSourceServiceList(), filter.getSourceLabelList(),
        filter.getSourceFqdnList(), filter.getSourceWorkloadList(), filter.getSourceClusterNameList(),
        filter.getSourceIdentityList());
    side(false, filter.getDestinationPodList(), filter.getDestinationServiceList(), filter.getDestinationLabelList(),
        filter.getDestinationFqdnList(), filter.getDestinationWorkloadList(), filter.getDestinationClusterNameList(),
        filter.getDestinationIdentityList());
  }

  private void side(boolean source, List<String> pods, List<String> services, List<String> labels,
      List<String> fqdns, List<Workload> workloads, List<String> clusters, List<Integer> identities) {
    String side = source ? "source_" : "destination_";
    Function<Flow, Endpoint> endpoint = source ? Flow::getSource : Flow::getDestination;
    if (!pods.isEmpty()) {
      NamespacedNames names = NamespacedNames.compile(pods, where, side + "pod", errors);
      parts.add(f -> {
        Endpoint e = endpoint.apply(f);
        return names.matches(e.getNamespace(), e.getPodName());
      });
    }
    if (!services.isEmpty()) {
      NamespacedNames names = NamespacedNames.compile(services, where, side + "service", errors);
      parts.add(source
          ? f -> names.matches(f.getSourceService().getNamespace(), f.getSourceService().getName())
          : f -> names.matches(f.getDestinationService().getNamespace(), f.getDestinationService().getName()));
    }
    if (!labels.isEmpty()) {
      LabelSelector[] selectors = selectors(labels, side + "label");
      parts.add(f -> anySelects(selectors, endpoint.apply(f).getLabelsList()));
    }
    if (!fqdns.isEmpty()) {
      Pattern pattern = NamePatterns.fqdns(fqdns, where, side + "fqdn", errors);
      parts.add(f -> anyMatches(pattern, source ? f.getSourceNamesList() : f.getDestinationNamesList()));
    }
    if (!workloads.isEmpty()) {
      Workload[] wanted = workloads.toArray(Workload[]::new);
      parts.add(f -> anyWorkload(wanted, endpoint.apply(f).getWorkloadsList()));
    }
    if (!clusters.isEmpty()) {
      if (clusters.contains("")) {
        errors.add(where, side + "cluster_name", "empty cluster name");
      }
      Set<String> names = Set.copyOf(clusters);
      parts.add(f -> names.contains(endpoint.apply(f).getClusterName()));
    }
    if (!identities.isEmpty()) {
      Set<Integer> ids = Set.copyOf(identities);
      parts.add(f -> ids.contains(endpoint.apply(f).getIdentity()));
    }
  }

  private void l3l4() {
    if (filter.getSourceIpCount() > 0) {
      IpMatcher ips = IpMatcher.compile(filter.getSourceIpList(), where, "source_ip", errors);
      parts.add(f -> ips.test(f.getIP().getSource()));
    }
    if (filter.getSourceIpXlatedCount() > 0) {
      IpMatcher ips = IpMatcher.compile(filter.getSourceIpXlatedList(), where, "source_ip_xlated", errors);
      parts.add(f -> ips.test(f.getIP().getSourceXlated()));
    }
    if (filter.getDestinationIpCount() > 0) {
      IpMatcher ips = IpMatcher.compile(filter.getDestinationIpList(), where, "destination_ip", errors);
      parts.add(f -> ips.test(f.getIP().getDestination()));
    }
    if (filter.getIpVersionCount() > 0) {
      Set<IPVersion> versions = EnumSet.copyOf(filter.getIpVersionList());
      parts.add(f -> versions.contains(f.getIP().getIpVersion()));
    }
    if (filter.getEncryptedCount() > 0) {
      boolean yes = filter.getEncryptedList().contains(true);
      boolean no = filter.getEncryptedList().contains(false);
      parts.add(f -> f.getIP().getEncrypted() ? yes : no);
    }
    if (filter.getProtocolCount() > 0) {
      parts.add(Layer4Matchers.protocol(filter.getProtocolList(), where, errors));
    }
    if (filter.getSourcePortCount() > 0) {
      parts.add(Layer4Matchers.port(filter.getSourcePortList(), true, where, "source_port", errors));
    }
    if (filter.getDestinationPortCount() > 0) {
      parts.add(Layer4Matchers.port(filter.getDestinationPortList(), false, where, "destination_port", errors));
    }
    if (filter.getTcpFlagsCount() > 0) {
      parts.add(Layer4Matchers.tcpFlags(filter.getTcpFlagsList()));
    }
  }

  private void l7() {
    if (filter.getDnsQueryCount() > 0) {
      Pattern[] patterns = Regexes.compile(filter.getDnsQueryList(), where, "dns_query", errors);
      parts.add(f -> f.getL7().hasDns() && Regexes.anyFinds(patterns, f.getL7().getDns().getQuery()));
    }
    boolean l7EventTypes = filter.getEventTypeCount() == 0
        || filter.getEventTypeList().stream().anyMatch(t -> t.getType() == L7_EVENT_TYPE);
    if (filter.getHttpStatusCodeCount() > 0) {
      requireL7EventType("http_status_code", l7EventTypes);
      parts.add(HttpMatchers.statusCode(filter.getHttpStatusCodeList(), where, errors));
    }
    if (filter.getHttpMethodCount() > 0) {
      requireL7EventType("http_method", l7EventTypes);
      parts.add(HttpMatchers.method(filter.getHttpMethodList()));
    }
    if (filter.getHttpPathCount() > 0) {
      requireL7EventType("http_path", l7EventTypes);
      parts.add(HttpMatchers.path(filter.getHttpPathList(), where, errors));
    }
    if (filter.getHttpUrlCount() > 0) {
      requireL7EventType("http_url", l7EventTypes);
      parts.add(HttpMatchers.url(filter.getHttpUrlList(), where, errors));
    }
    if (filter.getHttpHeaderCount() > 0) {
      requireL7EventType("http_header", l7EventTypes);
      parts.add(HttpMatchers.header(filter.getHttpHeaderList()));
    }
  }

  private void requireL7EventType(String field, boolean l7EventTypes) {
    if (!l7EventTypes) {
      errors.add(where, field, "filtering by " + field + " requires the event type filter to only match 'l7' events (type "
          + L7_EVENT_TYPE + ")");
    }
  }

  private void flowAttributes() {
    if (filter.getUuidCount() > 0) {
      Set<String> uuids = Set.copyOf(filter.getUuidList());
      parts.add(f -> uuids.contains(f.getUuid()));
    }
    if (filter.getEventTypeCount() > 0) {
      EventTypeFilter[] types = filter.getEventTypeList().toArray(EventTypeFilter[]::new);
      parts.add(f -> f.hasEventType() && anyEventType(types, f.getEventType()));
    }
    if (filter.getVerdictCount() > 0) {
      Set<Verdict> verdicts = EnumSet.copyOf(filter.getVerdictList());
      parts.add(f -> verdicts.contains(f.getVerdict()));
    }
    if (filter.getDropReasonDescCount() > 0) {
      Set<DropReason> reasons = EnumSet.copyOf(filter.getDropReasonDescList());
      parts.add(f -> reasons.contains(f.getDropReasonDesc()));
    }
    if (filter.getTrafficDirectionCount() > 0) {
      Set<TrafficDirection> directions = EnumSet.copyOf(filter.getTrafficDirectionList());
      parts.add(f -> directions.contains(f.getTrafficDirection()));
    }
    if (filter.getReplyCount() > 0) {
      boolean yes = filter.getReplyList().contains(true);
      boolean no = filter.getReplyList().contains(false);
      // an unknown direction counts as "not a reply" for drops only: older clients (Hubble UI) filter the
      // deprecated reply field, which is false on every drop
      parts.add(f -> f.hasIsReply() ? (f.getIsReply().getValue() ? yes : no) : f.getVerdict() == Verdict.DROPPED && no);
    }
    if (filter.getInterfaceCount() > 0) {
      NetworkInterface[] wanted = filter.getInterfaceList().toArray(NetworkInterface[]::new);
      parts.add(f -> f.hasInterface() && anyInterface(wanted, f.getInterface()));
    }
    if (filter.getTraceIdCount() > 0) {
      Set<String> ids = Set.copyOf(filter.getTraceIdList());
      parts.add(f -> ids.contains(f.getTraceContext().getParent().getTraceId()));
    }
    if (filter.getIpTraceIdCount() > 0) {
      Set<Long> ids = Set.copyOf(filter.getIpTraceIdList());
      parts.add(f -> f.hasIpTraceId() && ids.contains(f.getIpTraceId().getTraceId()));
    }
    if (filter.getNodeNameCount() > 0) {
      Pattern pattern = NamePatterns.nodeNames(filter.getNodeNameList(), where, "node_name", errors);
      parts.add(f -> {
        String node = f.getNodeName();
        if (node.isEmpty()) {
          return false;
        }
        return pattern.matcher(node.indexOf('/') < 0 ? "default/" + node : node).matches();
      });
    }
    if (filter.getNodeLabelsCount() > 0) {
      LabelSelector[] selectors = selectors(filter.getNodeLabelsList(), "node_labels");
      parts.add(f -> anySelects(selectors, f.getNodeLabelsList()));
    }
    if (filter.getExperimental().getCelExpressionCount() > 0) {
      errors.add(where, "experimental.cel_expression", "CEL expressions are not supported");
    }
  }

  private LabelSelector[] selectors(List<String> values, String field) {
    List<LabelSelector> selectors = new ArrayList<>();
    for (String value : values) {
      try {
        selectors.add(LabelSelector.parse(value));
      } catch (IllegalArgumentException e) {
        errors.add(where, field, "invalid label selector " + Quote.of(value) + ": " + e.getMessage());
      }
    }
    return selectors.toArray(LabelSelector[]::new);
  }

  private static boolean anySelects(LabelSelector[] selectors, List<String> labels) {
    for (LabelSelector s : selectors) {
      if (s.matches(labels)) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyMatches(Pattern pattern, List<String> names) {
    for (int i = 0, n = names.size(); i < n; i++) {
      if (pattern.matcher(names.get(i)).matches()) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyWorkload(Workload[] wanted, List<Workload> workloads) {
    for (Workload w : workloads) {
      for (Workload f : wanted) {
        if ((f.getName().isEmpty() || f.getName().equals(w.getName()))
            && (f.getKind().isEmpty() || f.getKind().equals(w.getKind()))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Type 0 stands for any type; the sub-type counts only when asked for. */
  private static boolean anyEventType(EventTypeFilter[] types, CiliumEventType event) {
    for (EventTypeFilter t : types) {
      if ((t.getType() == 0 || t.getType() == event.getType())
          && (!t.getMatchSubType() || t.getSubType() == event.getSubType())) {
        return true;
      }
    }
    return false;
  }

  /** Index 0 and an empty name stand for any. */
  private static boolean anyInterface(NetworkInterface[] wanted, NetworkInterface actual) {
    for (NetworkInterface w : wanted) {
      if ((w.getIndex() == 0 || w.getIndex() == actual.getIndex())
          && (w.getName().isEmpty() || w.getName().equals(actual.getName()))) {
        return true;
      }
    }
    return false;
  }
}
