package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.policy.api.Authentication;
import io.hexgate.operator.policy.api.EgressPeers;
import io.hexgate.operator.policy.api.HttpRule;
import io.hexgate.operator.policy.api.IcmpRule;
import io.hexgate.operator.policy.api.IngressPeers;
import io.hexgate.operator.policy.api.L4Protocol;
import io.hexgate.operator.policy.api.PortDenyRule;
import io.hexgate.operator.policy.api.PortProtocol;
import io.hexgate.operator.policy.api.PortRule;
import io.hexgate.operator.policy.api.Rule;
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
  private final PeerCompiler peers;

  public RuleCompiler(String clusterName) {
    this.peers = new PeerCompiler(clusterName);
  }

  public RuleCompiler() {
    this(SecurityLabels.DEFAULT_CLUSTER);
  }

  /**
   * @param namespace the policy's namespace, or null for a clusterwide policy
   */
  public CompiledRule compile(Rule rule, PolicyRef origin, String path, String namespace) {
    RuleContext ctx = new RuleContext(origin, namespace);
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
  private static boolean authenticated(RuleContext ctx, Authentication a, String path) {
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

  private LabelSelector subject(Rule rule, String namespace, RuleContext ctx, String path) {
    if (rule.endpointSelector == null) {
      // A nodeSelector rule is a host-firewall policy; endpoints here are pods, so it selects none.
      ctx.notEnforced.add(path + ".nodeSelector: host policies are not enforced");
      return LabelSelector.of(Requirement.exists(Label.SOURCE_RESERVED, "none"));
    }
    List<Requirement> reqs = PeerCompiler.requirements(rule.endpointSelector);
    if (namespace != null) {
      reqs.add(Requirement.equal(Label.SOURCE_K8S, SecurityLabels.NAMESPACE, namespace));
    }
    return new LabelSelector(reqs);
  }

  // ---- terms

  /** The terms of one element: one per {@code toPorts} entry, one for {@code icmps}, or one L3-only. */
  private List<Term> terms(
      RuleContext ctx, Object element, List<?> toPorts, String path, Direction d, boolean deny, boolean wildcardL7) {
    List<IcmpRule> icmps = element instanceof IngressPeers ip ? ip.icmps : ((EgressPeers) element).icmps;
    boolean hasPorts = nonEmpty(toPorts) || nonEmpty(icmps);
    PeerCompiler.Peers peers = this.peers.peers(ctx, element, hasPorts, path);
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

  private static List<HttpMatch> http(RuleContext ctx, PortRule pr, String path, boolean wildcardL7) {
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
