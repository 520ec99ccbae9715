package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Hubble's context options, which every flow metric accepts: {@code sourceContext} / {@code destinationContext}
 * (and their {@code Egress} / {@code Ingress} variants, which take over for flows of that direction) add a
 * {@code source} / {@code destination} label naming the endpoint the chosen way ({@code a|b}: the first
 * non-empty); {@code labelsContext} adds the listed labels, each always present and possibly empty.
 */
final class ContextLabels {
  static final ContextLabels NONE = new ContextLabels(EnumSet.noneOf(Label.class), List.of(), List.of(), List.of(),
      List.of(), List.of(), List.of());

  private static final String KUBE_APISERVER = "reserved:kube-apiserver";
  /** Deployment pods are {@code name-<replicaset hash>-<pod hash>}; {@code pod-short} keeps {@code name}. */
  private static final Pattern POD_SUFFIX = Pattern.compile("^(.+?)(-[a-z0-9]+){1,2}$");
  /** Hubble looks for an app name under these keys, whichever of the endpoint's labels comes first. */
  private static final String[] APP_LABELS = {"k8s:app.kubernetes.io/name=", "k8s:k8s-app=", "k8s:app="};

  /** How {@code source} / {@code destination} name an endpoint. */
  enum Identifier {
    IDENTITY("identity"), NAMESPACE("namespace"), POD("pod"), POD_SHORT("pod-short"), POD_NAME("pod-name"),
    DNS("dns"), IP("ip"), RESERVED_IDENTITY("reserved-identity"), WORKLOAD("workload"),
    WORKLOAD_NAME("workload-name"), APP("app");

    private final String option;

    Identifier(String option) {
      this.option = option;
    }

    static Identifier parse(String option) {
      for (Identifier i : values()) {
        if (i.option.equalsIgnoreCase(option)) {
          return i;
        }
      }
      return null;
    }

    String of(Flow flow, boolean source) {
      Endpoint ep = source ? flow.getSource() : flow.getDestination();
      return switch (this) {
        case IDENTITY -> String.join(",", ep.getLabelsList());
        case NAMESPACE -> ep.getNamespace();
        case POD -> withNamespace(ep, ep.getPodName());
        case POD_SHORT -> withNamespace(ep, POD_SUFFIX.matcher(ep.getPodName()).replaceAll("$1"));
        case POD_NAME -> ep.getPodName();
        case DNS -> String.join(",", source ? flow.getSourceNamesList() : flow.getDestinationNamesList());
        case IP -> source ? flow.getIP().getSource() : flow.getIP().getDestination();
        case RESERVED_IDENTITY -> reservedIdentity(ep);
        case WORKLOAD -> {
          String name = workload(ep);
          yield name.isEmpty() || ep.getNamespace().isEmpty() ? name : ep.getNamespace() + "/" + name;
        }
        case WORKLOAD_NAME -> workload(ep);
        case APP -> app(ep);
      };
    }

    private static String withNamespace(Endpoint ep, String name) {
      return ep.getNamespace().isEmpty() ? name : ep.getNamespace() + "/" + name;
    }
  }

  /** The labels {@code labelsContext} may list, in the order Hubble gives them. */
  enum Label {
    SOURCE_IP, SOURCE_POD, SOURCE_NAMESPACE, SOURCE_WORKLOAD, SOURCE_WORKLOAD_KIND, SOURCE_APP,
    DESTINATION_IP, DESTINATION_POD, DESTINATION_NAMESPACE, DESTINATION_WORKLOAD, DESTINATION_WORKLOAD_KIND,
    DESTINATION_APP, TRAFFIC_DIRECTION;

    final String label = name().toLowerCase(Locale.ROOT);

    static Label parse(String label) {
      for (Label l : values()) {
        if (l.label.equals(label)) {
          return l;
        }
      }
      return null;
    }

    String of(Flow flow, Endpoint source, Endpoint destination, String sourceIp, String destinationIp) {
      return switch (this) {
        case SOURCE_IP -> sourceIp;
        case SOURCE_POD -> source.getPodName();
        case SOURCE_NAMESPACE -> source.getNamespace();
        case SOURCE_WORKLOAD -> workload(source);
        case SOURCE_WORKLOAD_KIND -> source.getWorkloadsCount() == 0 ? "" : source.getWorkloads(0).getKind();
        case SOURCE_APP -> app(source);
        case DESTINATION_IP -> destinationIp;
        case DESTINATION_POD -> destination.getPodName();
        case DESTINATION_NAMESPACE -> destination.getNamespace();
        case DESTINATION_WORKLOAD -> workload(destination);
        case DESTINATION_WORKLOAD_KIND ->
            destination.getWorkloadsCount() == 0 ? "" : destination.getWorkloads(0).getKind();
        case DESTINATION_APP -> app(destination);
        case TRAFFIC_DIRECTION -> switch (flow.getTrafficDirection()) {
          case INGRESS -> "ingress";
          case EGRESS -> "egress";
          default -> "unknown";
        };
      };
    }
  }

  private final Label[] labels;
  private final List<Identifier> source;
  private final List<Identifier> sourceEgress;
  private final List<Identifier> sourceIngress;
  private final List<Identifier> destination;
  private final List<Identifier> destinationEgress;
  private final List<Identifier> destinationIngress;
  private final boolean hasSource;
  private final boolean hasDestination;
  private final String[] names;

  private ContextLabels(EnumSet<Label> labels, List<Identifier> source, List<Identifier> sourceEgress,
      List<Identifier> sourceIngress, List<Identifier> destination, List<Identifier> destinationEgress,
      List<Identifier> destinationIngress) {
    this.labels = labels.toArray(new Label[0]);
    this.source = source;
    this.sourceEgress = sourceEgress;
    this.sourceIngress = sourceIngress;
    this.destination = destination;
    this.destinationEgress = destinationEgress;
    this.destinationIngress = destinationIngress;
    this.hasSource = !source.isEmpty() || !sourceEgress.isEmpty() || !sourceIngress.isEmpty();
    this.hasDestination = !destination.isEmpty() || !destinationEgress.isEmpty() || !destinationIngress.isEmpty();
    List<String> n = new ArrayList<>();
    for (Label l : this.labels) {
      n.add(l.label);
    }
    if (hasSource) {
      n.add("source");
    }
    if (hasDestination) {
      n.add("destination");
    }
    this.names = n.toArray(new String[0]);
  }

  static ContextLabels parse(MetricOptions options) {
    EnumSet<Label> labels = EnumSet.noneOf(Label.class);
    String listed = options.value("labelsContext");
    if (listed != null) {
      for (String name : listed.split(",", -1)) {
        Label l = Label.parse(name);
        if (l == null) {
          throw options.invalid("labelsContext", listed, "unknown label '" + name + "'");
        }
        labels.add(l);
      }
    }
    ContextLabels parsed = new ContextLabels(labels,
        identifiers(options, "sourceContext"), identifiers(options, "sourceEgressContext"),
        identifiers(options, "sourceIngressContext"), identifiers(options, "destinationContext"),
        identifiers(options, "destinationEgressContext"), identifiers(options, "destinationIngressContext"));
    return parsed.names.length == 0 ? NONE : parsed;
  }

  private static List<Identifier> identifiers(MetricOptions options, String key) {
    String value = options.value(key);
    if (value == null) {
      return List.of();
    }
    List<Identifier> ids = new ArrayList<>();
    for (String part : value.split("\\|", -1)) {
      Identifier id = Identifier.parse(part);
      if (id == null) {
        throw options.invalid(key, value, "unknown context '" + part + "'");
      }
      ids.add(id);
    }
    return List.copyOf(ids);
  }

  /** The metric's label names: {@code fixed}, then this context's. */
  String[] names(String... fixed) {
    String[] all = Arrays.copyOf(fixed, fixed.length + names.length);
    System.arraycopy(names, 0, all, fixed.length, names.length);
    return all;
  }

  /** One series' label values: {@code fixed}, then this context's for {@code flow}. */
  String[] values(Flow flow, String... fixed) {
    return values(flow, false, fixed);
  }

  /**
   * As {@link #values(Flow, String...)}; with {@code invert}, source and destination swap, so that a response
   * is labelled from its request's point of view. As in Hubble, {@code source} / {@code destination} are
   * named by their own options on the flow's own endpoints before they swap: with different source and
   * destination contexts, the request's source is named the destination's way.
   */
  String[] values(Flow flow, boolean invert, String... fixed) {
    if (names.length == 0) {
      return fixed;
    }
    String[] all = Arrays.copyOf(fixed, fixed.length + names.length);
    int i = fixed.length;
    if (labels.length > 0) {
      Endpoint src = invert ? flow.getDestination() : flow.getSource();
      Endpoint dst = invert ? flow.getSource() : flow.getDestination();
      String srcIp = invert ? flow.getIP().getDestination() : flow.getIP().getSource();
      String dstIp = invert ? flow.getIP().getSource() : flow.getIP().getDestination();
      for (Label l : labels) {
        all[i++] = l.of(flow, src, dst, srcIp, dstIp);
      }
    }
    String sourceValue = hasSource ? firstNonEmpty(flow, true, pick(flow, source, sourceEgress, sourceIngress)) : "";
    String destinationValue = hasDestination
        ? firstNonEmpty(flow, false, pick(flow, destination, destinationEgress, destinationIngress)) : "";
    if (invert) {
      String s = sourceValue;
      sourceValue = destinationValue;
      destinationValue = s;
    }
    if (hasSource) {
      all[i++] = sourceValue;
    }
    if (hasDestination) {
      all[i] = destinationValue;
    }
    return all;
  }

  /**
   * Removes from {@code series} those that name pod {@code namespace/pod}, as Hubble does a while after a pod
   * is deleted so that its series do not pile up: those whose {@code source} or {@code destination} is
   * {@code namespace/pod} by the {@code pod} context, and those whose {@code source_namespace} and
   * {@code source_pod} (or the destination's) are both labels and name it.
   */
  void forgetPod(String namespace, String pod, List<Series<?>> series) {
    List<Map<String, String>> matches = new ArrayList<>();
    if (Stream.of(source, sourceEgress, sourceIngress).anyMatch(ids -> ids.contains(Identifier.POD))) {
      matches.add(Map.of("source", namespace + "/" + pod));
    }
    if (Stream.of(destination, destinationEgress, destinationIngress).anyMatch(ids -> ids.contains(Identifier.POD))) {
      matches.add(Map.of("destination", namespace + "/" + pod));
    }
    List<Label> listed = List.of(labels);
    if (listed.contains(Label.SOURCE_NAMESPACE) && listed.contains(Label.SOURCE_POD)) {
      matches.add(Map.of("source_namespace", namespace, "source_pod", pod));
    }
    if (listed.contains(Label.DESTINATION_NAMESPACE) && listed.contains(Label.DESTINATION_POD)) {
      matches.add(Map.of("destination_namespace", namespace, "destination_pod", pod));
    }
    for (Map<String, String> m : matches) {
      for (Series<?> s : series) {
        s.removeMatching(m);
      }
    }
  }

  private static List<Identifier> pick(Flow flow, List<Identifier> any, List<Identifier> egress,
      List<Identifier> ingress) {
    TrafficDirection d = flow.getTrafficDirection();
    if (d == TrafficDirection.INGRESS && !ingress.isEmpty()) {
      return ingress;
    }
    if (d == TrafficDirection.EGRESS && !egress.isEmpty()) {
      return egress;
    }
    return any;
  }

  private static String firstNonEmpty(Flow flow, boolean source, List<Identifier> ids) {
    for (Identifier id : ids) {
      String v = id.of(flow, source);
      if (!v.isEmpty()) {
        return v;
      }
    }
    return "";
  }

  private static String workload(Endpoint ep) {
    return ep.getWorkloadsCount() == 0 ? "" : ep.getWorkloads(0).getName();
  }

  private static String reservedIdentity(Endpoint ep) {
    if (ep.getLabelsList().contains(KUBE_APISERVER)) {
      return KUBE_APISERVER;
    }
    for (String label : ep.getLabelsList()) {
      if (label.startsWith("reserved:")) {
        return label;
      }
    }
    return "";
  }

  private static String app(Endpoint ep) {
    for (String label : ep.getLabelsList()) {
      for (String key : APP_LABELS) {
        if (label.startsWith(key) && label.length() > key.length()) {
          return label.substring(key.length());
        }
      }
    }
    return "";
  }
}
