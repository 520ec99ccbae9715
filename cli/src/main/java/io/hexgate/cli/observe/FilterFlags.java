package io.hexgate.cli.observe;

import io.hexgate.contract.hubble.flow.EventTypeFilter;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.flow.HTTPHeader;
import io.hexgate.contract.hubble.flow.IPVersion;
import io.hexgate.contract.hubble.flow.NetworkInterface;
import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code hubble observe}'s filter flags turned into whitelist and blacklist FlowFilters, flag by flag in
 * command-line order, as the CLI does: a flag naming both directions ({@code --pod}, {@code --ip},
 * {@code --label}, {@code --port} ...) fills a source-side filter and a destination-side one, OR'd; every
 * other flag goes into both; namespaces are applied when the filters are read; {@code --not} sends the next
 * flag to the blacklist. Conflicting flags are refused with the CLI's own messages.
 */
final class FilterFlags {
  /** Groups of flags of which at most one may be given (a flag may still be repeated). */
  private static final List<List<String>> CONFLICTS = List.of(
      List.of("from-fqdn", "from-ip", "ip", "fqdn", "from-namespace", "namespace", "from-all-namespaces", "all-namespaces"),
      List.of("from-fqdn", "from-ip", "ip", "fqdn", "from-pod", "pod"),
      List.of("to-fqdn", "to-ip", "ip", "fqdn", "to-namespace", "namespace", "to-all-namespaces", "all-namespaces"),
      List.of("to-fqdn", "to-ip", "ip", "fqdn", "to-pod", "pod"),
      List.of("to-pod", "namespace", "all-namespaces"),
      List.of("from-pod", "namespace", "all-namespaces"),
      List.of("to-service", "namespace", "all-namespaces"),
      List.of("from-service", "namespace", "all-namespaces"),
      List.of("label", "from-label"),
      List.of("label", "to-label"),
      List.of("service", "from-service"),
      List.of("service", "to-service"),
      List.of("port", "to-port"),
      List.of("port", "from-port"),
      List.of("identity", "to-identity"),
      List.of("identity", "from-identity"),
      List.of("workload", "to-workload"),
      List.of("workload", "from-workload"),
      List.of("encrypted", "unencrypted"));

  private Tracker whitelist;
  private Tracker blacklist;
  private boolean blacklisting;

  /** One flag as given on the command line ({@code name} without dashes). */
  void set(String name, String value) {
    if (name.equals("not")) {
      if (blacklisting) {
        throw new IllegalArgumentException("consecutive --not statements");
      }
      blacklisting = true;
      return;
    }
    if (blacklisting) {
      blacklisting = false;
      if (blacklist == null) {
        blacklist = new Tracker();
      }
      blacklist.set(name, value);
      return;
    }
    if (whitelist == null) {
      whitelist = new Tracker();
    }
    whitelist.set(name, value);
  }

  /** Throws when the last flag was a {@code --not} with nothing after it. */
  void checkComplete() {
    if (blacklisting) {
      throw new IllegalArgumentException("trailing --not found in the arguments");
    }
  }

  List<FlowFilter> whitelist() {
    return whitelist == null ? List.of() : whitelist.flowFilters();
  }

  List<FlowFilter> blacklist() {
    return blacklist == null ? List.of() : blacklist.flowFilters();
  }

  /** The filters of one list: {@code left OR right}, the two sides of the flags naming both directions. */
  private static final class Tracker {
    private FlowFilter.Builder left;
    private FlowFilter.Builder right;
    private final List<String> ns = new ArrayList<>();
    private final List<String> srcNs = new ArrayList<>();
    private final List<String> dstNs = new ArrayList<>();
    private final List<String> changed = new ArrayList<>();

    void set(String name, String val) {
      if (!changed.contains(name)) {
        changed.add(name);
      }
      checkConflict();
      switch (name) {
        case "uuid" -> both(f -> f.addUuid(val));
        case "fqdn" -> sides(f -> f.addSourceFqdn(val), f -> f.addDestinationFqdn(val));
        case "from-fqdn" -> both(f -> f.addSourceFqdn(val));
        case "to-fqdn" -> both(f -> f.addDestinationFqdn(val));
        case "pod" -> sides(f -> f.addSourcePod(val), f -> f.addDestinationPod(val));
        case "from-pod" -> both(f -> f.addSourcePod(val));
        case "to-pod" -> both(f -> f.addDestinationPod(val));
        case "ip" -> sides(f -> f.addSourceIp(val), f -> f.addDestinationIp(val));
        case "from-ip" -> both(f -> f.addSourceIp(val));
        case "to-ip" -> both(f -> f.addDestinationIp(val));
        case "snat-ip" -> both(f -> f.addSourceIpXlated(val));
        case "ipv4" -> both(f -> f.addIpVersion(IPVersion.IPv4));
        case "ipv6" -> both(f -> f.addIpVersion(IPVersion.IPv6));
        case "ip-version" -> both(f -> f.addIpVersion(ipVersion(val)));
        case "label" -> sides(f -> f.addSourceLabel(val), f -> f.addDestinationLabel(val));
        case "from-label" -> both(f -> f.addSourceLabel(val));
        case "to-label" -> both(f -> f.addDestinationLabel(val));
        case "namespace" -> ns.add(val);
        case "from-namespace" -> srcNs.add(val);
        case "to-namespace" -> dstNs.add(val);
        case "all-namespaces" -> ns.add("");
        case "from-all-namespaces" -> srcNs.add("");
        case "to-all-namespaces" -> dstNs.add("");
        case "service" -> sides(f -> f.addSourceService(val), f -> f.addDestinationService(val));
        case "from-service" -> both(f -> f.addSourceService(val));
        case "to-service" -> both(f -> f.addDestinationService(val));
        case "port" -> sides(f -> f.addSourcePort(val), f -> f.addDestinationPort(val));
        case "from-port" -> both(f -> f.addSourcePort(val));
        case "to-port" -> both(f -> f.addDestinationPort(val));
        case "trace-id" -> both(f -> f.addTraceId(val));
        case "verdict" -> {
          Verdict v = enumValue(Verdict.class, val);
          if (v == null) {
            throw new IllegalArgumentException("invalid --verdict value: " + val);
          }
          both(f -> f.addVerdict(v));
        }
        case "drop-reason-desc" -> {
          if (val.isEmpty()) {
            throw new IllegalArgumentException("empty --drop-reason-desc value");
          }
          DropReason r = enumValue(DropReason.class, val);
          if (r == null) {
            throw new IllegalArgumentException("invalid --drop-reason-desc value: " + val);
          }
          both(f -> f.addDropReasonDesc(r));
        }
        case "http-status" -> both(f -> f.addHttpStatusCode(val));
        case "http-method" -> both(f -> f.addHttpMethod(val));
        case "http-path" -> both(f -> f.addHttpPath(val));
        case "http-url" -> both(f -> f.addHttpUrl(val));
        case "http-header" -> {
          int colon = val.indexOf(':');
          if (colon < 0) {
            throw new IllegalArgumentException("invalid http-header value \"" + val + "\", expected name:value");
          }
          HTTPHeader h = HTTPHeader.newBuilder().setKey(val.substring(0, colon)).setValue(val.substring(colon + 1)).build();
          both(f -> f.addHttpHeader(h));
        }
        case "type" -> {
          EventTypeFilter t = eventType(val);
          both(f -> f.addEventType(t));
        }
        case "protocol" -> both(f -> f.addProtocol(val));
        case "workload" -> sides(f -> f.addSourceWorkload(workload(val)), f -> f.addDestinationWorkload(workload(val)));
        case "from-workload" -> both(f -> f.addSourceWorkload(workload(val)));
        case "to-workload" -> both(f -> f.addDestinationWorkload(workload(val)));
        case "identity" -> {
          int id = identity(val);
          sides(f -> f.addSourceIdentity(id), f -> f.addDestinationIdentity(id));
        }
        case "from-identity" -> {
          int id = identity(val);
          both(f -> f.addSourceIdentity(id));
        }
        case "to-identity" -> {
          int id = identity(val);
          both(f -> f.addDestinationIdentity(id));
        }
        case "node-name" -> both(f -> f.addNodeName(val));
        case "node-label" -> both(f -> f.addNodeLabels(val));
        case "cluster" -> sides(f -> f.addSourceClusterName(val), f -> f.addDestinationClusterName(val));
        case "from-cluster" -> both(f -> f.addSourceClusterName(val));
        case "to-cluster" -> both(f -> f.addDestinationClusterName(val));
        case "tcp-flags" -> {
          TCPFlags flags = tcpFlags(val);
          both(f -> f.addTcpFlags(flags));
        }
        case "traffic-direction" -> {
          String td = val.toLowerCase(Locale.ROOT);
          TrafficDirection d = switch (td) {
            case "ingress" -> TrafficDirection.INGRESS;
            case "egress" -> TrafficDirection.EGRESS;
            default -> throw new IllegalArgumentException(td + ": invalid traffic direction, expected ingress or egress");
          };
          both(f -> f.addTrafficDirection(d));
        }
        case "cel-expression" -> both(f -> f.getExperimentalBuilder().addCelExpression(val));
        case "interface" -> both(f -> f.addInterface(NetworkInterface.newBuilder().setName(val)));
        case "encrypted" -> both(f -> f.addEncrypted(true));
        case "unencrypted" -> both(f -> f.addEncrypted(false));
        default -> throw new IllegalArgumentException("unknown filter --" + name);
      }
      checkNamespaceConflicts(left);
      checkNamespaceConflicts(right);
    }

    private void both(Consumer<FlowFilter.Builder> update) {
      sides(update, update);
    }

    private void sides(Consumer<FlowFilter.Builder> leftUpdate, Consumer<FlowFilter.Builder> rightUpdate) {
      if (left == null) {
        left = FlowFilter.newBuilder();
      }
      if (right == null) {
        right = FlowFilter.newBuilder();
      }
      leftUpdate.accept(left);
      rightUpdate.accept(right);
    }

    private void checkConflict() {
      for (List<String> group : CONFLICTS) {
        for (String flag : group) {
          if (!changed.contains(flag)) {
            continue;
          }
          for (String other : group) {
            if (!other.equals(flag) && changed.contains(other)) {
              throw new IllegalArgumentException("filters --" + flag + " and --" + other + " cannot be combined");
            }
          }
        }
      }
    }

    private void checkNamespaceConflicts(FlowFilter.Builder f) {
      if (f == null) {
        return;
      }
      List<String> errors = new ArrayList<>();
      conflicts(ns, f.getSourcePodList(), errors);
      conflicts(ns, f.getSourceServiceList(), errors);
      conflicts(ns, f.getDestinationPodList(), errors);
      conflicts(ns, f.getDestinationServiceList(), errors);
      conflicts(srcNs, f.getSourcePodList(), errors);
      conflicts(srcNs, f.getSourceServiceList(), errors);
      conflicts(dstNs, f.getDestinationPodList(), errors);
      conflicts(dstNs, f.getDestinationServiceList(), errors);
      inconsistent(f.getSourcePodList(), f.getSourceServiceList(), errors);
      inconsistent(f.getDestinationPodList(), f.getDestinationServiceList(), errors);
      if (!errors.isEmpty()) {
        throw new IllegalArgumentException(String.join("\n", errors));
      }
    }

    private static void conflicts(List<String> namespaces, List<String> names, List<String> errors) {
      for (String namespace : namespaces) {
        for (String name : names) {
          String nn = namespaceOf(name);
          if (!nn.isEmpty() && !nn.equals(namespace)) {
            errors.add("namespace conflict: \"" + namespace + "\" does not contain \"" + name + "\"");
            return;
          }
        }
      }
    }

    private static void inconsistent(List<String> pods, List<String> services, List<String> errors) {
      for (String pod : pods) {
        String podNs = namespaceOf(pod);
        if (podNs.isEmpty()) {
          continue;
        }
        for (String svc : services) {
          if (!namespaceOf(svc).equals(podNs)) {
            errors.add("namespace of service \"" + svc + "\" conflict with pod \"" + podNs + "\"");
            return;
          }
        }
      }
    }

    List<FlowFilter> flowFilters() {
      if (left == null && right == null && ns.isEmpty() && srcNs.isEmpty() && dstNs.isEmpty()) {
        return List.of();
      }
      FlowFilter.Builder l = left == null ? FlowFilter.newBuilder() : left.clone();
      FlowFilter.Builder r = right == null ? FlowFilter.newBuilder() : right.clone();
      if (!dstNs.isEmpty()) {
        applyDest(dstNs, l);
        applyDest(dstNs, r);
      }
      if (!srcNs.isEmpty()) {
        applySrc(srcNs, l);
        applySrc(srcNs, r);
      }
      if (!ns.isEmpty()) {
        applySrc(ns, l);
        applyDest(ns, r);
      }
      FlowFilter a = l.build();
      FlowFilter b = r.build();
      return a.equals(b) ? List.of(a) : List.of(a, b);
    }

    private static void applySrc(List<String> namespaces, FlowFilter.Builder f) {
      List<String> pods = f.getSourcePodCount() == 0 && f.getSourceServiceCount() == 0 ? List.of("") : List.copyOf(f.getSourcePodList());
      List<String> services = List.copyOf(f.getSourceServiceList());
      f.clearSourcePod().addAllSourcePod(withNamespaces(pods, namespaces));
      f.clearSourceService().addAllSourceService(withNamespaces(services, namespaces));
    }

    private static void applyDest(List<String> namespaces, FlowFilter.Builder f) {
      List<String> pods = f.getDestinationPodCount() == 0 && f.getDestinationServiceCount() == 0 ? List.of("") : List.copyOf(f.getDestinationPodList());
      List<String> services = List.copyOf(f.getDestinationServiceList());
      f.clearDestinationPod().addAllDestinationPod(withNamespaces(pods, namespaces));
      f.clearDestinationService().addAllDestinationService(withNamespaces(services, namespaces));
    }

    /** Names without a namespace get each namespace in turn ({@code xwing} and {@code default} → {@code default/xwing}). */
    private static List<String> withNamespaces(List<String> names, List<String> namespaces) {
      if (namespaces.isEmpty() || names.isEmpty()) {
        return names;
      }
      List<String> result = new ArrayList<>();
      for (String name : names) {
        if (name.contains("/")) {
          result.add(name);
          continue;
        }
        for (String namespace : namespaces) {
          result.add(namespace + "/" + name);
        }
      }
      return result;
    }
  }

  private static String namespaceOf(String name) {
    String[] parts = name.split("/", -1);
    return parts.length > 1 ? parts[0] : "";
  }

  private static <E extends Enum<E> & com.google.protobuf.ProtocolMessageEnum> E enumValue(Class<E> type, String name) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(name) && !e.name().equals("UNRECOGNIZED")) {
        return e;
      }
    }
    return null;
  }

  private static IPVersion ipVersion(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "4", "v4", "ipv4", "ip4" -> IPVersion.IPv4;
      case "6", "v6", "ipv6", "ip6" -> IPVersion.IPv6;
      default -> IPVersion.IP_NOT_USED;
    };
  }

  private static Workload workload(String s) {
    if (s.isEmpty()) {
      return Workload.getDefaultInstance();
    }
    String[] parts = s.split("/", 2);
    return parts.length == 1
        ? Workload.newBuilder().setName(parts[0]).build()
        : Workload.newBuilder().setKind(parts[0]).setName(parts[1]).build();
  }

  private static int identity(String s) {
    return MonitorNames.identity(s).orElseThrow(() -> new IllegalArgumentException(
        "invalid security identity, expected one of " + MonitorNames.reservedIdentityNames() + " or a numeric value"));
  }

  private static TCPFlags tcpFlags(String val) {
    TCPFlags.Builder flags = TCPFlags.newBuilder();
    for (String f : val.split(",", -1)) {
      switch (f.toUpperCase(Locale.ROOT)) {
        case "SYN" -> flags.setSYN(true);
        case "FIN" -> flags.setFIN(true);
        case "RST" -> flags.setRST(true);
        case "PSH" -> flags.setPSH(true);
        case "ACK" -> flags.setACK(true);
        case "URG" -> flags.setURG(true);
        case "ECE" -> flags.setECE(true);
        case "CWR" -> flags.setCWR(true);
        case "NS" -> flags.setNS(true);
        default -> throw new IllegalArgumentException("unknown tcp flag: " + f);
      }
    }
    return flags.build();
  }

  /** {@code TYPE[:SUBTYPE]}: a type name or number; for a named trace type, an observation point name or number. */
  private static EventTypeFilter eventType(String val) {
    String[] s = val.split(":", 2);
    EventTypeFilter.Builder filter = EventTypeFilter.newBuilder();
    Integer named = MonitorNames.MESSAGE_TYPES.get(s[0]);
    if (named != null) {
      filter.setType(named);
    } else {
      filter.setType((int) unsigned32(s[0], "unable to parse type '" + s[0] + "', not a known type name and unable to parse as numeric value"));
    }
    if (s.length > 1) {
      if (named != null && named == MonitorNames.TRACE) {
        MonitorNames.tracePoint(s[1]).ifPresent(p -> filter.setMatchSubType(true).setSubType(p));
      }
      if (!filter.getMatchSubType()) {
        long sub = unsigned32(s[1], "unable to parse event sub-type '" + s[1] + "', not a known sub-type name and unable to parse as numeric value");
        filter.setMatchSubType(true).setSubType((int) sub);
      }
    }
    return filter.build();
  }

  private static long unsigned32(String s, String message) {
    try {
      long v = Long.parseLong(s);
      if (v < 0 || v > 0xffff_ffffL || s.startsWith("+")) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(message);
    }
  }
}
