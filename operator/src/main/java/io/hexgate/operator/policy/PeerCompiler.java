package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.policy.api.CidrRule;
import io.hexgate.operator.policy.api.EgressPeers;
import io.hexgate.operator.policy.api.EgressRule;
import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.Entity;
import io.hexgate.operator.policy.api.IngressPeers;
import io.hexgate.operator.policy.api.SelectorOperator;
import io.hexgate.operator.policy.api.SelectorRequirement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles the peers of a rule's elements (endpoints, entities, CIDRs) into selectors, scoped to the
 * policy's namespace and cluster as Cilium's import scopes them.
 */
final class PeerCompiler {
  private final String clusterName;

  PeerCompiler(String clusterName) {
    this.clusterName = clusterName;
  }

  record Peers(boolean wildcard, List<Selector> selectors) {}

  /** The peer members of one element, whichever direction: field prefix {@code from} or {@code to}. */
  private record PeerFields(
      String prefix,
      List<EndpointSelector> endpoints,
      List<String> entities,
      List<String> cidr,
      List<CidrRule> cidrSet,
      Map<String, List<?>> unenforced) {}

  private static PeerFields fields(IngressPeers r) {
    Map<String, List<?>> unenforced = new LinkedHashMap<>();
    unenforced.put("fromNodes", r.fromNodes);
    unenforced.put("fromGroups", r.fromGroups);
    return new PeerFields("from", r.fromEndpoints, r.fromEntities, r.fromCIDR, r.fromCIDRSet, unenforced);
  }

  private static PeerFields fields(EgressPeers r) {
    Map<String, List<?>> unenforced = new LinkedHashMap<>();
    unenforced.put("toNodes", r.toNodes);
    unenforced.put("toGroups", r.toGroups);
    unenforced.put("toServices", r.toServices);
    if (r instanceof EgressRule e) {
      unenforced.put("toFQDNs", e.toFQDNs);
    }
    return new PeerFields("to", r.toEndpoints, r.toEntities, r.toCIDR, r.toCIDRSet, unenforced);
  }

  /*
   * As in Cilium (pkg/policy/utils mergeEndpointSelectors), a peer list that is present counts even
   * when empty: "fromEndpoints: []" selects no peer, where an element with no peer list at all selects
   * every peer when it names ports, and no peer otherwise. Peers named only through fields not enforced
   * yet select nothing: fail closed.
   */
  /** The peers of one allow or deny element ({@link IngressPeers} or {@link EgressPeers}). */
  Peers peers(RuleContext ctx, Object element, boolean hasPorts, String path) {
    PeerFields f = element instanceof IngressPeers ip ? fields(ip) : fields((EgressPeers) element);
    List<Selector> out = new ArrayList<>();
    boolean any = false;
    boolean wildcard = false;
    if (f.endpoints() != null) {
      any = true;
      f.endpoints().forEach(s -> out.add(peerSelector(s, ctx.namespace)));
    }
    if (f.entities() != null) {
      any = true;
      wildcard = entities(f.entities(), out);
    }
    if (f.cidr() != null) {
      any = true;
      f.cidr().forEach(c -> out.add(cidr(ctx, c, List.of())));
    }
    if (f.cidrSet() != null) {
      any = true;
      cidrSet(ctx, f.cidrSet(), out, path + "." + f.prefix() + "CIDRSet");
    }
    for (Map.Entry<String, List<?>> u : f.unenforced().entrySet()) {
      if (u.getValue() != null) {
        any = true;
        if (!u.getValue().isEmpty()) {
          ctx.notEnforced.add(path + "." + u.getKey() + ": " + u.getKey() + " is not enforced yet; it selects no peer");
        }
      }
    }
    return new Peers(wildcard || (!any && hasPorts), out);
  }

  /**
   * Scopes a peer endpoint selector as Cilium's import does: a selector naming a reserved label stays
   * as written; otherwise a CNP confines it to its namespace unless it names the namespace (or
   * namespace labels) itself, a CCNP to "any namespace", and both to the local cluster.
   */
  LabelSelector peerSelector(EndpointSelector s, String namespace) {
    List<Requirement> reqs = requirements(s);
    if (reqs.stream().anyMatch(r -> Label.SOURCE_RESERVED.equals(r.source()))) {
      return new LabelSelector(reqs);
    }
    boolean namesNamespace = reqs.stream().anyMatch(r -> isK8sOrAny(r) && r.key().equals(SecurityLabels.NAMESPACE));
    boolean namesNamespaceLabels =
        reqs.stream().anyMatch(r -> isK8sOrAny(r) && r.key().startsWith(SecurityLabels.NAMESPACE_LABELS_PREFIX));
    boolean namesCluster = reqs.stream().anyMatch(r -> r.key().equals(SecurityLabels.CLUSTER));
    if (!namesNamespace) {
      if (namespace != null && !namesNamespaceLabels) {
        reqs.add(Requirement.equal(Label.SOURCE_K8S, SecurityLabels.NAMESPACE, namespace));
      } else if (namespace == null) {
        reqs.add(Requirement.exists(Label.SOURCE_K8S, SecurityLabels.NAMESPACE));
      }
    }
    if (!namesCluster) {
      reqs.add(Requirement.equal(Label.SOURCE_K8S, SecurityLabels.CLUSTER, clusterName));
    }
    return new LabelSelector(reqs);
  }

  private static boolean isK8sOrAny(Requirement r) {
    return Label.SOURCE_K8S.equals(r.source()) || Label.SOURCE_ANY.equals(r.source());
  }

  static List<Requirement> requirements(EndpointSelector s) {
    List<Requirement> reqs = new ArrayList<>();
    if (s.matchLabels != null) {
      s.matchLabels.forEach((k, v) -> reqs.add(Requirement.of(k, Requirement.Operator.IN, List.of(v == null ? "" : v))));
    }
    if (s.matchExpressions != null) {
      for (SelectorRequirement e : s.matchExpressions) {
        Requirement.Operator op =
            switch (SelectorOperator.valueOf(e.operator)) { // validated before compiling
              case In -> Requirement.Operator.IN;
              case NotIn -> Requirement.Operator.NOT_IN;
              case Exists -> Requirement.Operator.EXISTS;
              case DoesNotExist -> Requirement.Operator.DOES_NOT_EXIST;
            };
        reqs.add(Requirement.of(e.key, op, e.values == null ? List.of() : e.values));
      }
    }
    return reqs;
  }

  /** Adds the selectors of the entities; returns true when {@code all} makes the peer a wildcard. */
  private boolean entities(List<String> entities, List<Selector> out) {
    boolean wildcard = false;
    for (String name : entities) {
      Entity e =
          Entity.fromYaml(name).orElseThrow(() -> new IllegalArgumentException("unsupported entity: " + name));
      switch (e) {
        case ALL -> wildcard = true;
        case WORLD -> out.add(reserved("world"));
        case CLUSTER -> {
          for (String r : List.of("host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver")) {
            out.add(reserved(r));
          }
          out.add(LabelSelector.of(Requirement.equal(Label.SOURCE_K8S, SecurityLabels.CLUSTER, clusterName)));
        }
        default -> out.add(reserved(e.yaml()));
      }
    }
    return wildcard;
  }

  private static LabelSelector reserved(String key) {
    return LabelSelector.of(Requirement.exists(Label.SOURCE_RESERVED, key));
  }

  private static CidrSelector cidr(RuleContext ctx, String cidr, List<String> except) {
    CidrPrefix p = CidrPrefix.parse(cidr);
    List<CidrPrefix> ex = except.stream().map(CidrPrefix::parse).toList();
    ctx.cidrs.add(p);
    ctx.cidrs.addAll(ex);
    return new CidrSelector(p, ex);
  }

  private static void cidrSet(RuleContext ctx, List<CidrRule> set, List<Selector> out, String path) {
    for (int i = 0; i < set.size(); i++) {
      CidrRule c = set.get(i);
      if (c.cidr != null) {
        out.add(cidr(ctx, c.cidr, c.except == null ? List.of() : c.except));
      } else {
        ctx.notEnforced.add(path + "[" + i + "]: CiliumCIDRGroup references are not enforced yet; it selects no peer");
      }
    }
  }
}
