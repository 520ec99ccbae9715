package io.hexgate.operator.policy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.hexgate.operator.policy.api.CidrRule;
import io.hexgate.operator.policy.api.EgressRule;
import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.Entity;
import io.hexgate.operator.policy.api.IngressRule;
import io.hexgate.operator.policy.api.L4Protocol;
import io.hexgate.operator.policy.api.PortProtocol;
import io.hexgate.operator.policy.api.PortRule;
import io.hexgate.operator.policy.api.Rule;
import io.hexgate.operator.policy.api.RuleLabel;
import io.hexgate.operator.policy.api.SelectorOperator;
import io.hexgate.operator.policy.api.SelectorRequirement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates a Kubernetes {@code networking.k8s.io/v1} NetworkPolicy into Cilium rules, as Cilium's
 * {@code pkg/k8s/network_policy.go} does, so that the engine treats both kinds alike.
 *
 * <p>The shape of the result, which the engine relies on:
 *
 * <ul>
 *   <li>One {@link Rule}, whose {@code endpointSelector} is the podSelector with its keys as
 *       written. The engine adds the policy's namespace to every subject, so it is not added here.
 *   <li>Per NetworkPolicy rule, one element per peer kind: all pod/namespace-selector peers in one
 *       element's {@code fromEndpoints}/{@code toEndpoints}, all ipBlocks in another's {@code
 *       fromCIDRSet}/{@code toCIDRSet}, each with the same ports. No peers means one element with
 *       {@code fromEntities}/{@code toEntities} {@code [all]}.
 *   <li>Ports go into a single {@code toPorts[0].ports} list (protocol default TCP, missing port
 *       {@code "0"}); no ports means no {@code toPorts}, i.e. all ports and protocols.
 *   <li>A direction the policy isolates but allows nothing in gets one empty element ({@code
 *       ingress: [{}]}), which allows nothing yet turns on default-deny. {@code enableDefaultDeny}
 *       stays null, so every direction with entries is default-deny.
 * </ul>
 *
 * <p>{@link #translate} assumes {@link #validate} found nothing; it does not re-check.
 */
public final class NetworkPolicyTranslator {
  static final String POD_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";
  static final String NAMESPACE_LABELS_PREFIX = "k8s:io.cilium.k8s.namespace.labels.";
  static final String NAME_ANNOTATION = "policy.cilium.io/name";
  static final String NAME_ANNOTATION_ALIAS = "io.cilium.name";

  private NetworkPolicyTranslator() {}

  /** The API server's validation of the spec, for policies that did not come through one. */
  public static List<FieldError> validate(NetworkPolicy np) {
    return NetworkPolicyValidation.validate(np.getSpec());
  }

  /** The Cilium rules equivalent to {@code np}; one rule, holding both directions. */
  public static List<Rule> translate(NetworkPolicy np) {
    ObjectMeta meta = np.getMetadata() == null ? new ObjectMeta() : np.getMetadata();
    NetworkPolicySpec spec = np.getSpec() == null ? new NetworkPolicySpec() : np.getSpec();
    // Like Cilium: a namespaced object read without a namespace lives in "default".
    String namespace = isBlank(meta.getNamespace()) ? "default" : meta.getNamespace();

    List<IngressRule> ingress = new ArrayList<>();
    for (NetworkPolicyIngressRule r : orEmpty(spec.getIngress())) {
      if (r == null) {
        continue;
      }
      List<PortRule> ports = ports(r.getPorts());
      for (Peers peers : peers(r.getFrom(), namespace)) {
        IngressRule element = new IngressRule();
        element.fromEndpoints = peers.selectors();
        element.fromCIDRSet = peers.cidrs();
        element.fromEntities = peers.entities();
        element.toPorts = copy(ports);
        ingress.add(element);
      }
    }
    List<EgressRule> egress = new ArrayList<>();
    for (NetworkPolicyEgressRule r : orEmpty(spec.getEgress())) {
      if (r == null) {
        continue;
      }
      List<PortRule> ports = ports(r.getPorts());
      for (Peers peers : peers(r.getTo(), namespace)) {
        EgressRule element = new EgressRule();
        element.toEndpoints = peers.selectors();
        element.toCIDRSet = peers.cidrs();
        element.toEntities = peers.entities();
        element.toPorts = copy(ports);
        egress.add(element);
      }
    }

    // Rules in a direction policyTypes leaves out still apply, as in Cilium; policyTypes only
    // decides where an empty direction becomes default-deny.
    List<String> types = policyTypes(spec);
    if (ingress.isEmpty() && (types.contains("Ingress") || !types.contains("Egress"))) {
      ingress.add(new IngressRule());
    }
    if (egress.isEmpty() && types.contains("Egress")) {
      egress.add(new EgressRule());
    }

    Rule rule = new Rule();
    rule.endpointSelector = selector(spec.getPodSelector(), "");
    rule.ingress = ingress.isEmpty() ? null : ingress;
    rule.egress = egress.isEmpty() ? null : egress;
    rule.labels = labels(meta, namespace);
    return List.of(rule);
  }

  /** The API server's defaulting: Ingress always, Egress when there are egress rules. */
  private static List<String> policyTypes(NetworkPolicySpec spec) {
    List<String> types = orEmpty(spec.getPolicyTypes());
    if (!types.isEmpty()) {
      return types;
    }
    return orEmpty(spec.getEgress()).isEmpty() ? List.of("Ingress") : List.of("Ingress", "Egress");
  }

  /** The L3 part of one element; exactly one of the lists is set. */
  private record Peers(
      List<EndpointSelector> selectors, List<CidrRule> cidrs, List<String> entities) {}

  private static List<Peers> peers(List<NetworkPolicyPeer> peers, String namespace) {
    if (orEmpty(peers).isEmpty()) {
      // An empty from/to matches everything, world and host included.
      return List.of(new Peers(null, null, List.of(Entity.ALL.yaml())));
    }
    List<EndpointSelector> selectors = new ArrayList<>();
    List<CidrRule> cidrs = new ArrayList<>();
    for (NetworkPolicyPeer peer : peers) {
      if (peer == null) {
        continue;
      }
      if (peer.getIpBlock() != null) {
        cidrs.add(cidrRule(peer.getIpBlock()));
      } else if (peer.getPodSelector() != null || peer.getNamespaceSelector() != null) {
        selectors.add(peerSelector(peer, namespace));
      }
    }
    List<Peers> out = new ArrayList<>();
    if (!selectors.isEmpty()) {
      out.add(new Peers(selectors, null, null));
    }
    if (!cidrs.isEmpty()) {
      out.add(new Peers(null, cidrs, null));
    }
    return out;
  }

  private static EndpointSelector peerSelector(NetworkPolicyPeer peer, String namespace) {
    LabelSelector pods = peer.getPodSelector();
    LabelSelector namespaces = peer.getNamespaceSelector();
    Map<String, String> labels = new LinkedHashMap<>();
    List<SelectorRequirement> exprs = new ArrayList<>();
    if (pods != null) {
      addSelector(pods, "", labels, exprs);
    }
    if (namespaces == null) {
      // A podSelector alone means pods of the policy's own namespace.
      labels.put(POD_NAMESPACE_LABEL, namespace);
    } else if (isEmpty(namespaces)) {
      // An empty namespaceSelector means every namespace: any pod, i.e. the namespace label exists.
      exprs.add(new SelectorRequirement(POD_NAMESPACE_LABEL, SelectorOperator.Exists, null));
    } else {
      // Pods carry their namespace's labels under this prefix, which is how Cilium matches them.
      addSelector(namespaces, NAMESPACE_LABELS_PREFIX, labels, exprs);
    }
    return new EndpointSelector(labels.isEmpty() ? null : labels, exprs.isEmpty() ? null : exprs);
  }

  private static EndpointSelector selector(LabelSelector ls, String keyPrefix) {
    Map<String, String> labels = new LinkedHashMap<>();
    List<SelectorRequirement> exprs = new ArrayList<>();
    if (ls != null) {
      addSelector(ls, keyPrefix, labels, exprs);
    }
    return new EndpointSelector(labels.isEmpty() ? null : labels, exprs.isEmpty() ? null : exprs);
  }

  private static void addSelector(
      LabelSelector ls,
      String keyPrefix,
      Map<String, String> labels,
      List<SelectorRequirement> exprs) {
    if (ls.getMatchLabels() != null) {
      ls.getMatchLabels().forEach((k, v) -> labels.put(keyPrefix + k, v));
    }
    for (LabelSelectorRequirement r : orEmpty(ls.getMatchExpressions())) {
      if (r == null) {
        continue;
      }
      List<String> values = orEmpty(r.getValues()).isEmpty() ? null : List.copyOf(r.getValues());
      exprs.add(
          new SelectorRequirement(
              keyPrefix + r.getKey(), SelectorOperator.valueOf(r.getOperator()), values));
    }
  }

  private static CidrRule cidrRule(IPBlock block) {
    List<String> except =
        orEmpty(block.getExcept()).isEmpty() ? null : List.copyOf(block.getExcept());
    return new CidrRule(block.getCidr(), except);
  }

  /** All ports of one NetworkPolicy rule as one PortRule; null when the rule has none. */
  private static List<PortRule> ports(List<NetworkPolicyPort> ports) {
    List<PortProtocol> out = new ArrayList<>();
    for (NetworkPolicyPort p : orEmpty(ports)) {
      if (p == null) {
        continue;
      }
      L4Protocol protocol =
          p.getProtocol() == null
              ? L4Protocol.TCP
              : L4Protocol.valueOf(p.getProtocol().toUpperCase(Locale.ROOT));
      PortProtocol pp = new PortProtocol(portText(p.getPort()), protocol);
      if (p.getEndPort() != null && p.getPort() != null && p.getPort().getIntVal() != null) {
        pp.endPort = p.getEndPort();
      }
      out.add(pp);
    }
    return out.isEmpty() ? null : List.of(new PortRule(out, null));
  }

  private static String portText(IntOrString port) {
    if (port == null || (port.getIntVal() == null && port.getStrVal() == null)) {
      return "0"; // all ports of the protocol
    }
    return port.getIntVal() != null ? Integer.toString(port.getIntVal()) : port.getStrVal();
  }

  /** A fresh copy per element, so that no two elements share mutable port objects. */
  private static List<PortRule> copy(List<PortRule> ports) {
    if (ports == null) {
      return null;
    }
    List<PortRule> out = new ArrayList<>();
    for (PortRule pr : ports) {
      List<PortProtocol> pps = new ArrayList<>();
      for (PortProtocol pp : pr.ports) {
        PortProtocol c = new PortProtocol();
        c.port = pp.port;
        c.protocol = pp.protocol;
        c.endPort = pp.endPort;
        pps.add(c);
      }
      out.add(new PortRule(pps, null));
    }
    return out;
  }

  private static List<RuleLabel> labels(ObjectMeta meta, String namespace) {
    Map<String, String> annotations =
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    String name = annotations.get(NAME_ANNOTATION);
    if (name == null) {
      name = annotations.get(NAME_ANNOTATION_ALIAS);
    }
    if (isBlank(name)) {
      name = meta.getName();
    }
    List<RuleLabel> labels = new ArrayList<>();
    labels.add(label("io.cilium.k8s.policy.derived-from", "NetworkPolicy"));
    labels.add(label("io.cilium.k8s.policy.name", name));
    labels.add(label("io.cilium.k8s.policy.namespace", namespace));
    if (!isBlank(meta.getUid())) {
      labels.add(label("io.cilium.k8s.policy.uid", meta.getUid()));
    }
    return labels;
  }

  private static RuleLabel label(String key, String value) {
    RuleLabel l = new RuleLabel();
    l.key = key;
    l.value = value;
    l.source = "k8s";
    return l;
  }

  private static boolean isEmpty(LabelSelector ls) {
    return (ls.getMatchLabels() == null || ls.getMatchLabels().isEmpty())
        && orEmpty(ls.getMatchExpressions()).isEmpty();
  }

  private static boolean isBlank(String s) {
    return s == null || s.isEmpty();
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
