package io.hexgate.operator.policy;

import io.hexgate.operator.identity.ReservedIdentity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One identity's policy in one direction: whether it is in default-deny, and for each remote identity
 * (0 = any) the terms that apply to it, in rule order.
 */
public final class DirectionPolicy {
  private final boolean enforcing;
  private final Map<Long, List<Term>> byRemote = new HashMap<>();

  DirectionPolicy(boolean enforcing) {
    this.enforcing = enforcing;
  }

  public boolean enforcing() {
    return enforcing;
  }

  void add(long remote, Term t) {
    byRemote.computeIfAbsent(remote, r -> new ArrayList<>(2)).add(t);
  }

  void clear(long remote) {
    byRemote.remove(remote);
  }

  public List<Term> terms(long remote) {
    return byRemote.getOrDefault(remote, List.of());
  }

  /** The remote identities with terms of their own, plus 0 for terms that apply to any peer. */
  public Map<Long, List<Term>> byRemote() {
    return java.util.Collections.unmodifiableMap(byRemote);
  }

  public int entryCount() {
    int n = 0;
    for (List<Term> l : byRemote.values()) {
      n += l.size();
    }
    return n;
  }

  /**
   * Decides a new connection from (ingress) or to (egress) {@code remote}: a matching deny wins, then
   * an unselected direction allows everything, then any matching allow; L7 rules apply only when every
   * matching allow carries them. The implicit allow of the local host ({@link
   * PolicyEngine#ALLOW_LOCALHOST}) counts only when no rule allows the host.
   */
  public Verdict decide(long remote, Protocol p, int port, Term.NamedPortResolver names) {
    return decide(remote, p, port, names, names);
  }

  /**
   * As {@link #decide(long, Protocol, int, Term.NamedPortResolver)}, with named ports of terms that
   * apply to any peer resolved through {@code anyPeerNames}: on egress a wildcard peer's named port
   * means that name on any pod.
   */
  public Verdict decide(
      long remote, Protocol p, int port, Term.NamedPortResolver names, Term.NamedPortResolver anyPeerNames) {
    List<Term> denies = new ArrayList<>();
    List<Term> allows = new ArrayList<>();
    collect(terms(remote), p, port, names, denies, allows);
    if (remote != ReservedIdentity.ANY) {
      collect(terms(ReservedIdentity.ANY), p, port, anyPeerNames, denies, allows);
    }
    if (!denies.isEmpty()) {
      return new Verdict.Denied(DropReason.POLICY_DENY, denies);
    }
    if (!enforcing) {
      return new Verdict.Allowed(false, allows);
    }
    if (allows.isEmpty()) {
      return new Verdict.Denied(DropReason.POLICY_DENIED, List.of());
    }
    // The host's implicit allow is a plain L3 entry: where rules also allow the host, theirs decide,
    // as the datapath prefers a proxy redirect over a plain allow.
    if (allows.size() > 1) {
      allows.remove(PolicyEngine.ALLOW_LOCALHOST);
    }
    List<HttpMatch> l7 = new ArrayList<>();
    for (Term t : allows) {
      if (t.http() == null) {
        return new Verdict.Allowed(true, allows);
      }
      l7.addAll(t.http());
    }
    return new Verdict.Redirected(l7, allows);
  }

  private static void collect(
      List<Term> terms, Protocol p, int port, Term.NamedPortResolver names, List<Term> denies, List<Term> allows) {
    for (Term t : terms) {
      if (t.portMatch(p, port, names) != null) {
        (t.deny() ? denies : allows).add(t);
      }
    }
  }

  /** A comparable snapshot: enforcing flag and, per remote, the terms. */
  public Map<Long, List<Term>> snapshot() {
    return new TreeMap<>(byRemote);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DirectionPolicy d && d.enforcing == enforcing && d.byRemote.equals(byRemote);
  }

  @Override
  public int hashCode() {
    return byRemote.hashCode() * 2 + (enforcing ? 1 : 0);
  }

  @Override
  public String toString() {
    return (enforcing ? "enforcing " : "not enforcing ") + snapshot();
  }
}
