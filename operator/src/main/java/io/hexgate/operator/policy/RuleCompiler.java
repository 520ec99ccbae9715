package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.policy.api.Authentication;
import io.hexgate.operator.policy.api.CidrRule;
import io.hexgate.operator.policy.api.EgressPeers;
import io.hexgate.operator.policy.api.EgressRule;
import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.Entity;
import io.hexgate.operator.policy.api.HttpRule;
import io.hexgate.operator.policy.api.IcmpRule;
import io.hexgate.operator.policy.api.IngressPeers;
import io.hexgate.operator.policy.api.IngressRule;
import io.hexgate.operator.policy.api.L4Protocol;
import io.hexgate.operator.policy.api.PortDenyRule;
import io.hexgate.operator.policy.api.PortProtocol;
import io.hexgate.operator.policy.api.PortRule;
import io.hexgate.operator.policy.api.Rule;
import io.hexgate.operator.policy.api.SelectorOperator;
import io.hexgate.operator.policy.api.SelectorRequirement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a validated {@link Rule} into a {@link CompiledRule}: scopes selectors to the policy's
 * namespace and cluster as Cilium does on import, turns entities and CIDRs into selectors, and splits
 * each element into one {@link Term} per {@code toPorts} entry.
 */
public final class RuleCompiler {
  private final String clusterName;

  public RuleCompiler(String clusterName) {
    this.clusterName = clusterName;
  }

  public RuleCompiler() {
    this(SecurityLabels.DEFAULT_CLUSTER);
  }

  /**
   * @param namespace the policy's namespace, or null for a clusterwide policy
   */
  public CompiledRule compile(Rule rule, PolicyRef origin, String path, String namespace) {
    Ctx ctx = new Ctx(origin, namespace);
    LabelSelector subject = subject(rule, namespace, ctx, path);
    boolean ingressDd = defaultDeny(rule, Direction.INGRESS);
    boolean egressDd = defaultDeny(rule, Direction.EGRESS);
    List<Term> ingress = new ArrayList<>();
    List<Term> egress = new ArrayList<>();
    forEach(rule.ingress, path + ".ingress", (r, p) -> {
      if (authenticated(ctx, r.authentication, p)) {
        ingress.addAll(terms(ctx, r, r.toPorts, p, Direction.INGRESS, false, !ingressDd));
      }
    });
    forEach(rule.ingressDeny, path + ".ingressDeny", (r, p) -> ingress.addAll(terms(ctx, r, r.toPorts, p, Direction.INGRESS, true, false)));
    forEach(rule.egress, path + ".egress", (r, p) -> {
      if (authenticated(ctx, r.authentication, p)) {
        egress.addAll(terms(ctx, r, r.toPorts, p, Direction.EGRESS, false, !egressDd));
      }
    });
    forEach(rule.egressDeny, path + ".egressDeny", (r, p) -> egress.addAll(terms(ctx, r, r.toPorts, p, Direction.EGRESS, true, false)));
    return new CompiledRule(
        origin, path, subject, ingressDd, egressDd, ingress, egress, List.copyOf(ctx.notEnforced), Set.copyOf(ctx.cidrs));
  }

  /**
   * Whether an allow element may be enforced as written. Hexgate cannot authenticate peers, so an
   * element requiring authentication allows nothing: Cilium drops its traffic (AUTH_REQUIRED, 189) until
   * the peers authenticated, and a plain allow would let it through unauthenticated. The element still
   * counts for default-deny.
   */
  private static boolean authenticated(Ctx ctx, Authentication a, String path) {
    if (a == null || a.mode == null || Authentication.Mode.DISABLED.yaml().equals(a.mode)) {
      return true;
    }
    ctx.notEnforced.add(
        path + ".authentication.mode: " + a.mode + ": mutual authentication is not supported, so this rule allows"
            + " nothing (fail closed: Cilium drops such traffic with reason 189, AUTH_REQUIRED, until it is"
            + " authenticated)");
    return false;
  }

  /** An unset direction of enableDefaultDeny is on when the rule has any allow or deny entry there. */
  static boolean defaultDeny(Rule rule, Direction d) {
    Boolean explicit =
        rule.enableDefaultDeny == null
            ? null
            : d == Direction.INGRESS ? rule.enableDefaultDeny.ingress : rule.enableDefaultDeny.egress;
    if (explicit != null) {
      return explicit;
    }
    return d == Direction.INGRESS
        ? nonEmpty(rule.ingress) || nonEmpty(rule.ingressDeny)
        : nonEmpty(rule.egress) || nonEmpty(rule.egressDeny);
  }

  private LabelSelector subject(Rule rule, String namespace, Ctx ctx, String path) {
    if (rule.endpointSelector == null) {
      // A nodeSelector rule is a host-firewall policy; endpoints here are pods, so it selects none.
      ctx.notEnforced.add(path + ".nodeSelector: host policies are not enforced");
      return LabelSelector.of(Requirement.exists(Label.SOURCE_RESERVED, "none"));
    }
    List<Requirement> reqs = requirements(rule.endpointSelector);
    if (namespace != null) {
      reqs.add(Requirement.equal(Label.SOURCE_K8S, SecurityLabels.NAMESPACE, namespace));
    }
    return new LabelSelector(reqs);
  }

  // ---- peers

  private record Peers(boolean wildcard, List<Selector> selectors) {}

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
  private Peers peers(Ctx ctx, PeerFields f, boolean hasPorts, String path) {
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

  private static CidrSelector cidr(Ctx ctx, String cidr, List<String> except) {
    CidrPrefix p = CidrPrefix.parse(cidr);
    List<CidrPrefix> ex = except.stream().map(CidrPrefix::parse).toList();
    ctx.cidrs.add(p);
    ctx.cidrs.addAll(ex);
    return new CidrSelector(p, ex);
  }

  private static void cidrSet(Ctx ctx, List<CidrRule> set, List<Selector> out, String path) {
    for (int i = 0; i < set.size(); i++) {
      CidrRule c = set.get(i);
      if (c.cidr != null) {
        out.add(cidr(ctx, c.cidr, c.except == null ? List.of() : c.except));
      } else {
        ctx.notEnforced.add(path + "[" + i + "]: CiliumCIDRGroup references are not enforced yet; it selects no peer");
      }
    }
  }

  // ---- terms

  /** The terms of one element: one per {@code toPorts} entry, one for {@code icmps}, or one L3-only. */
  private List<Term> terms(
      Ctx ctx, Object element, List<?> toPorts, String path, Direction d, boolean deny, boolean wildcardL7) {
    List<IcmpRule> icmps = element instanceof IngressPeers ip ? ip.icmps : ((EgressPeers) element).icmps;
    boolean hasPorts = nonEmpty(toPorts) || nonEmpty(icmps);
    Peers peers =
        peers(ctx, element instanceof IngressPeers ip ? fields(ip) : fields((EgressPeers) element), hasPorts, path);
    List<Term> out = new ArrayList<>();
    if (nonEmpty(toPorts)) {
      for (int i = 0; i < toPorts.size(); i++) {
        String pp = path + ".toPorts[" + i + "]";
        Object entry = toPorts.get(i);
        List<PortProtocol> ports = entry instanceof PortRule pr ? pr.ports : ((PortDenyRule) entry).ports;
        List<HttpMatch> http = entry instanceof PortRule pr ? http(ctx, pr, pp, wildcardL7) : null;
        for (int j = 0; ports != null && j < ports.size(); j++) {
          L4Protocol l4 = ports.get(j) == null ? null : ports.get(j).l4Protocol();
          if (l4 != null && l4.portless()) {
            ctx.notEnforced.add(pp + ".ports[" + j + "].protocol: " + l4 + " is not enforced; this port grants"
                + " nothing (Cilium too drops it unless --enable-extended-ip-protocols is set)");
          }
        }
        out.add(new Term(ctx.origin, pp, d, deny, peers.wildcard(), peers.selectors(), ports(ports), http));
      }
    }
    if (nonEmpty(icmps)) {
      out.add(new Term(ctx.origin, path + ".icmps", d, deny, peers.wildcard(), peers.selectors(), icmpPorts(icmps), null));
    }
    if (!hasPorts) {
      out.add(new Term(ctx.origin, path, d, deny, peers.wildcard(), peers.selectors(), null, null));
    }
    return out;
  }

  private static List<HttpMatch> http(Ctx ctx, PortRule pr, String path, boolean wildcardL7) {
    if (pr.rules == null) {
      return null;
    }
    if (nonEmpty(pr.rules.dns)) {
      ctx.notEnforced.add(path + ".rules.dns: DNS rules are not enforced yet; the port is allowed at L4");
    }
    if (nonEmpty(pr.rules.kafka)) {
      ctx.notEnforced.add(path + ".rules.kafka: Kafka rules are not enforced; the port is allowed at L4");
    }
    if (pr.rules.l7proto != null) {
      ctx.notEnforced.add(path + ".rules.l7proto: generic L7 rules are not enforced; the port is allowed at L4");
    }
    if (!nonEmpty(pr.rules.http)) {
      return null;
    }
    List<HttpMatch> out = new ArrayList<>();
    for (HttpRule r : pr.rules.http) {
      out.add(HttpMatch.of(r));
    }
    // A rule that does not enable default-deny must not deny other requests on its port: Cilium
    // adds a match-all rule there, so the L7 rule only makes the traffic visible.
    if (wildcardL7) {
      out.add(HttpMatch.ANY);
    }
    return out;
  }

  static List<PortSpec> ports(List<PortProtocol> ports) {
    List<PortSpec> out = new ArrayList<>();
    if (ports == null) {
      return out;
    }
    for (PortProtocol pp : ports) {
      if (pp.l4Protocol() != null && pp.l4Protocol().portless()) {
        continue; // VRRP, IGMP: not enforced, so granted nothing (see terms)
      }
      List<Protocol> protos =
          pp.l4Protocol() == null || pp.l4Protocol() == L4Protocol.ANY
              ? List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP)
              : List.of(Protocol.valueOf(pp.l4Protocol().name()));
      String port = pp.port == null || pp.port.isEmpty() ? "0" : pp.port;
      for (Protocol p : protos) {
        if (!port.chars().allMatch(Character::isDigit)) {
          out.add(PortSpec.named(p, port.toLowerCase(Locale.ROOT)));
          continue;
        }
        int from = Integer.parseInt(port);
        if (from == 0) {
          out.add(PortSpec.range(p, 0, 65535));
        } else {
          int to = pp.endPort != null && pp.endPort > from ? pp.endPort : from;
          out.add(PortSpec.range(p, from, to));
        }
      }
    }
    return out;
  }

  private static List<PortSpec> icmpPorts(List<IcmpRule> icmps) {
    List<PortSpec> out = new ArrayList<>();
    for (IcmpRule r : icmps) {
      if (r.fields == null) {
        continue;
      }
      for (IcmpRule.Field f : r.fields) {
        boolean v6 = IcmpRule.Family.IPv6.name().equals(f.family);
        String t = f.type == null ? "0" : String.valueOf(f.type.getValue());
        int type = IcmpTypes.resolve(t, v6);
        out.add(PortSpec.range(v6 ? Protocol.ICMPV6 : Protocol.ICMP, type, type));
      }
    }
    return out;
  }

  // ---- helpers

  private static final class Ctx {
    final PolicyRef origin;
    final String namespace;
    final List<String> notEnforced = new ArrayList<>();
    final Set<CidrPrefix> cidrs = new LinkedHashSet<>();

    Ctx(PolicyRef origin, String namespace) {
      this.origin = origin;
      this.namespace = namespace;
    }
  }

  private interface IndexedConsumer<T> {
    void accept(T t, String path);
  }

  private static <T> void forEach(List<T> list, String path, IndexedConsumer<T> c) {
    if (list == null) {
      return;
    }
    for (int i = 0; i < list.size(); i++) {
      c.accept(list.get(i), path + "[" + i + "]");
    }
  }

  private static boolean nonEmpty(List<?> l) {
    return l != null && !l.isEmpty();
  }

}
