package io.hexgate.operator.policy;

import io.hexgate.operator.policy.api.EgressDenyRule;
import io.hexgate.operator.policy.api.EgressPeers;
import io.hexgate.operator.policy.api.EgressRule;
import io.hexgate.operator.policy.api.Entity;
import io.hexgate.operator.policy.api.IcmpRule;
import io.hexgate.operator.policy.api.IngressDenyRule;
import io.hexgate.operator.policy.api.IngressPeers;
import io.hexgate.operator.policy.api.IngressRule;
import io.hexgate.operator.policy.api.PortRule;
import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy rules the way Cilium's {@code
 * Rule.Validate} (formerly {@code Sanitize}) does, with its error strings, but reports every
 * problem, each with its field path, instead of stopping at the first.
 *
 * <p>Agent flags are taken at the values Hexgate runs with: L7 proxy on, ICMP rules on, node
 * selector labels on (so {@code fromNodes}/{@code toNodes} are accepted), extended IP protocols
 * off. Where this differs from Cilium on purpose: an {@code endPort} below {@code port} or next to
 * a named port is rejected (Cilium silently ignores it) and a numeric port with a leading zero is
 * rejected (Cilium reads it as octal), both saying so in the message; an {@code except} must lie
 * wholly inside its {@code cidr} (Cilium checks only its address); and an empty direction list such
 * as {@code ingress: []} is accepted as "no rules" (Cilium 1.18+ rejects it).
 */
public final class RuleValidator {
  private RuleValidator() {}

  /** Validates the {@code spec} and {@code specs} of one CNP/CCNP. */
  public static List<FieldError> validatePolicy(Rule spec, List<Rule> specs, boolean clusterwide) {
    List<FieldError> out = new ArrayList<>();
    if (spec == null && (specs == null || specs.isEmpty())) {
      out.add(new FieldError("spec", "spec or specs must be provided"));
      return out;
    }
    if (spec != null) {
      out.addAll(validateRule(spec, "spec", clusterwide));
    }
    if (specs != null) {
      for (int i = 0; i < specs.size(); i++) {
        Rule rule = specs.get(i) == null ? new Rule() : specs.get(i);
        out.addAll(validateRule(rule, "specs[" + i + "]", clusterwide));
      }
    }
    return out;
  }

  /**
   * Validates one rule; {@code path} prefixes every reported path ({@code spec}, {@code specs[1]}).
   */
  public static List<FieldError> validateRule(Rule rule, String path, boolean clusterwide) {
    List<FieldError> out = new ArrayList<>();
    // Only absent lists count: "ingress: []" is accepted and has no rules (so no default-deny).
    // Cilium 1.18+ tests len() == 0 and marks such a policy Valid=False; neither lets it change
    // a verdict, and accepting it keeps it from failing the offline trace.
    if (rule.ingress == null
        && rule.ingressDeny == null
        && rule.egress == null
        && rule.egressDeny == null) {
      out.add(
          new FieldError(
              path, "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"));
    }
    if (rule.endpointSelector == null && rule.nodeSelector == null) {
      out.add(new FieldError(path, "rule must have one of EndpointSelector or NodeSelector"));
    }
    if (rule.endpointSelector != null && rule.nodeSelector != null) {
      out.add(new FieldError(path, "rule cannot have both EndpointSelector and NodeSelector"));
    }
    if (rule.nodeSelector != null && !clusterwide) {
      // Host policies exist only clusterwide; the CNP parser rejects them before Validate runs.
      out.add(new FieldError(path + ".nodeSelector", "rule cannot have NodeSelector"));
    }
    SelectorCheck.cilium().check(rule.endpointSelector, path + ".endpointSelector", out);
    SelectorCheck.cilium().check(rule.nodeSelector, path + ".nodeSelector", out);

    boolean hostPolicy = rule.nodeSelector != null;
    forEach(rule.ingress, path + ".ingress", (r, p) -> ingress(r, p, hostPolicy, out));
    forEach(rule.ingressDeny, path + ".ingressDeny", (r, p) -> ingressDeny(r, p, out));
    forEach(rule.egress, path + ".egress", (r, p) -> egress(r, p, hostPolicy, out));
    forEach(rule.egressDeny, path + ".egressDeny", (r, p) -> egressDeny(r, p, out));
    return out;
  }

  private static void ingress(
      IngressRule r, String path, boolean hostPolicy, List<FieldError> out) {
    ingressPeers(r, path, out);
    List<PortRule> toPorts = r.toPorts == null ? List.of() : r.toPorts;
    for (int i = 0; i < toPorts.size(); i++) {
      PortRule pr = toPorts.get(i);
      if (pr == null) {
        continue;
      }
      String prPath = path + ".toPorts[" + i + "]";
      if (hostPolicy && countL7(pr) > 0) {
        out.add(
            new FieldError(prPath + ".rules", "L7 policy is not supported on host ingress yet"));
      }
      if (pr.rules != null && pr.rules.dns != null && !pr.rules.dns.isEmpty()) {
        // Cilium also has "DNS rules are not allowed on ingress", but this check shadows it.
        out.add(
            new FieldError(
                prPath + ".rules.dns", "L7 protocol DNS is not supported on ingress yet"));
      }
    }
    icmpsWithoutPorts(r.icmps, r.toPorts, path, out);
    for (int i = 0; i < toPorts.size(); i++) {
      if (toPorts.get(i) != null) {
        PortCheck.portRule(toPorts.get(i), true, path + ".toPorts[" + i + "]", out);
      }
    }
    icmps(r.icmps, path, out);
  }

  private static void ingressDeny(IngressDenyRule r, String path, List<FieldError> out) {
    ingressPeers(r, path, out);
    icmpsWithoutPorts(r.icmps, r.toPorts, path, out);
    forEach(r.toPorts, path + ".toPorts", (pr, p) -> PortCheck.portDenyRule(pr, p, out));
    icmps(r.icmps, path, out);
  }

  private static void egress(EgressRule r, String path, boolean hostPolicy, List<FieldError> out) {
    Map<String, Integer> l3 = egressL3Members(r);
    l3.put("ToFQDNs", size(r.toFQDNs));
    egressPeers(r, l3, path, out);
    List<PortRule> toPorts = r.toPorts == null ? List.of() : r.toPorts;
    if (hostPolicy) {
      for (int i = 0; i < toPorts.size(); i++) {
        PortRule pr = toPorts.get(i);
        if (pr != null && pr.rules != null) {
          if (size(pr.rules.http) > 0) {
            out.add(
                new FieldError(
                    path + ".toPorts[" + i + "].rules.http",
                    "L7 protocol HTTP is not supported on host egress yet"));
          }
          if (size(pr.rules.kafka) > 0) {
            out.add(
                new FieldError(
                    path + ".toPorts[" + i + "].rules.kafka",
                    "L7 protocol Kafka is not supported on host egress yet"));
          }
        }
      }
    }
    icmpsWithoutPorts(r.icmps, r.toPorts, path, out);
    for (int i = 0; i < toPorts.size(); i++) {
      if (toPorts.get(i) != null) {
        PortCheck.portRule(toPorts.get(i), false, path + ".toPorts[" + i + "]", out);
      }
    }
    icmps(r.icmps, path, out);
    forEach(r.toFQDNs, path + ".toFQDNs", (f, p) -> PeerCheck.fqdn(f, p, out));
  }

  private static void egressDeny(EgressDenyRule r, String path, List<FieldError> out) {
    egressPeers(r, egressL3Members(r), path, out);
    icmpsWithoutPorts(r.icmps, r.toPorts, path, out);
    forEach(r.toPorts, path + ".toPorts", (pr, p) -> PortCheck.portDenyRule(pr, p, out));
    icmps(r.icmps, path, out);
  }

  private static void ingressPeers(IngressPeers r, String path, List<FieldError> out) {
    // Declaration order of the model, so that messages are deterministic (Cilium's order is
    // random).
    Map<String, Integer> l3 = new LinkedHashMap<>();
    l3.put("FromEndpoints", size(r.fromEndpoints));
    l3.put("FromEntities", size(r.fromEntities));
    l3.put("FromCIDR", size(r.fromCIDR));
    l3.put("FromCIDRSet", size(r.fromCIDRSet));
    l3.put("FromNodes", size(r.fromNodes));
    l3.put("FromGroups", size(r.fromGroups));
    combinations(l3, path, out);
    PeerCheck.requires(r.fromRequires, path + ".fromRequires", out);
    PeerCheck.selectors(r.fromEndpoints, path + ".fromEndpoints", out);
    entities(r.fromEntities, path + ".fromEntities", out);
    PeerCheck.selectors(r.fromNodes, path + ".fromNodes", out);
    cidrs(r.fromCIDR, path + ".fromCIDR", out);
    forEach(r.fromCIDRSet, path + ".fromCIDRSet", (c, p) -> PeerCheck.cidrRule(c, p, out));
  }

  private static Map<String, Integer> egressL3Members(EgressPeers r) {
    Map<String, Integer> l3 = new LinkedHashMap<>();
    l3.put("ToEndpoints", size(r.toEndpoints));
    l3.put("ToEntities", size(r.toEntities));
    l3.put("ToCIDR", size(r.toCIDR));
    l3.put("ToCIDRSet", size(r.toCIDRSet));
    l3.put("ToNodes", size(r.toNodes));
    l3.put("ToGroups", size(r.toGroups));
    // Since 1.17 ToServices may carry ToPorts; it still may not be combined with another peer.
    l3.put("ToServices", size(r.toServices));
    return l3;
  }

  private static void egressPeers(
      EgressPeers r, Map<String, Integer> l3, String path, List<FieldError> out) {
    combinations(l3, path, out);
    PeerCheck.requires(r.toRequires, path + ".toRequires", out);
    PeerCheck.selectors(r.toEndpoints, path + ".toEndpoints", out);
    entities(r.toEntities, path + ".toEntities", out);
    PeerCheck.selectors(r.toNodes, path + ".toNodes", out);
    cidrs(r.toCIDR, path + ".toCIDR", out);
    forEach(r.toCIDRSet, path + ".toCIDRSet", (c, p) -> PeerCheck.cidrRule(c, p, out));
  }

  /** One element may use one L3 peer member; each further one is reported against the first. */
  private static void combinations(Map<String, Integer> l3, String path, List<FieldError> out) {
    String first = null;
    for (Map.Entry<String, Integer> e : l3.entrySet()) {
      if (e.getValue() == 0) {
        continue;
      }
      if (first == null) {
        first = e.getKey();
      } else {
        out.add(
            new FieldError(
                path + "." + yamlName(e.getKey()),
                "combining " + first + " and " + e.getKey() + " is not supported yet"));
      }
    }
  }

  /** {@code FromCIDRSet} -> {@code fromCIDRSet}, {@code ToFQDNs} -> {@code toFQDNs}. */
  private static String yamlName(String goName) {
    return Character.toLowerCase(goName.charAt(0)) + goName.substring(1);
  }

  /** Cilium's parser rejects an entity it does not know with "unsupported entity: NAME". */
  private static void entities(List<String> entities, String path, List<FieldError> out) {
    if (entities == null) {
      return;
    }
    for (int i = 0; i < entities.size(); i++) {
      String name = entities.get(i);
      if (name == null || Entity.fromYaml(name).isEmpty()) {
        out.add(new FieldError(path + "[" + i + "]", "unsupported entity: " + name));
      }
    }
  }

  private static void cidrs(List<String> cidrs, String path, List<FieldError> out) {
    if (cidrs != null) {
      for (int i = 0; i < cidrs.size(); i++) {
        PeerCheck.cidr(cidrs.get(i), path + "[" + i + "]", out);
      }
    }
  }

  private static void icmpsWithoutPorts(
      List<IcmpRule> icmps, List<?> toPorts, String path, List<FieldError> out) {
    if (size(icmps) > 0 && size(toPorts) > 0) {
      out.add(
          new FieldError(
              path + ".icmps",
              "the ICMPs block may only be present without ToPorts. Define a separate rule to use"
                  + " ToPorts"));
    }
  }

  private static void icmps(List<IcmpRule> icmps, String path, List<FieldError> out) {
    forEach(icmps, path + ".icmps", (r, p) -> PortCheck.icmpRule(r, p, out));
  }

  private static int countL7(PortRule pr) {
    return pr.rules == null ? 0 : size(pr.rules.http) + size(pr.rules.kafka) + size(pr.rules.dns);
  }

  private static int size(List<?> list) {
    return list == null ? 0 : list.size();
  }

  /** Visits the non-null elements of a list with their paths ({@code path[i]}). */
  private static <T> void forEach(List<T> list, String path, ElementCheck<T> check) {
    if (list == null) {
      return;
    }
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) != null) {
        check.accept(list.get(i), path + "[" + i + "]");
      }
    }
  }

  @FunctionalInterface
  private interface ElementCheck<T> {
    void accept(T element, String path);
  }
}
