package io.hexgate.operator.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rule map of one endpoint in one direction, with named ports resolved: what the datapath enforces.
 * Lookup takes every matching entry into account, exactly as {@link DirectionPolicy#decide} does: any
 * matching DENY drops (reason 181); else any matching ALLOW passes; else a matching REDIRECT passes to
 * the proxy with the union of their HTTP rules; else the local host's implicit ALLOW passes; nothing
 * matching drops (reason 133). A direction no rule puts in default-deny carries an ALLOW entry for
 * every remote, protocol and port.
 */
public record RuleMap(boolean enforcing, List<RuleMapEntry> entries) {
  private static final Comparator<RuleMapEntry> ORDER =
      Comparator.comparingLong(RuleMapEntry::remoteIdentity)
          .thenComparing(RuleMapEntry::protocol)
          .thenComparingInt(RuleMapEntry::portFrom)
          .thenComparingInt(RuleMapEntry::portTo);

  public RuleMap {
    entries = List.copyOf(entries);
  }

  /** Builds the map from resolved (entry key, action) contributions, merging equal keys. */
  static RuleMap of(boolean enforcing, List<RuleMapEntry> contributions) {
    Map<RuleMapEntry.Key, RuleMapEntry> merged = new LinkedHashMap<>();
    for (RuleMapEntry e : contributions) {
      merged.merge(e.key(), e, RuleMap::merge);
    }
    List<RuleMapEntry> out = new ArrayList<>(merged.values());
    out.sort(ORDER);
    return new RuleMap(enforcing, out);
  }

  private static RuleMapEntry merge(RuleMapEntry a, RuleMapEntry b) {
    Set<PolicyRef> from = new HashSet<>(a.derivedFrom());
    from.addAll(b.derivedFrom());
    RuleMapEntry.Action action;
    List<HttpMatch> http = List.of();
    if (a.action() == RuleMapEntry.Action.DENY || b.action() == RuleMapEntry.Action.DENY) {
      action = RuleMapEntry.Action.DENY;
    } else if (a.action() == RuleMapEntry.Action.ALLOW || b.action() == RuleMapEntry.Action.ALLOW) {
      action = RuleMapEntry.Action.ALLOW;
    } else {
      action = RuleMapEntry.Action.REDIRECT;
      List<HttpMatch> union = new ArrayList<>(a.http());
      b.http().stream().filter(h -> !union.contains(h)).forEach(union::add);
      http = union;
    }
    return new RuleMapEntry(a.remoteIdentity(), a.protocol(), a.portFrom(), a.portTo(), action, http, from);
  }

  /** The verdict for a new connection with {@code remote} on {@code p}/{@code port}. */
  public Verdict lookup(long remote, Protocol p, int port) {
    List<HttpMatch> l7 = new ArrayList<>();
    boolean allow = false;
    boolean localhost = false;
    boolean redirect = false;
    for (RuleMapEntry e : entries) {
      if (!e.matches(remote, p, port)) {
        continue;
      }
      switch (e.action()) {
        case DENY -> {
          return new Verdict.Denied(DropReason.POLICY_DENY, List.of());
        }
        case ALLOW -> {
          if (e.derivedFrom().equals(LOCALHOST_ONLY)) {
            localhost = true;
          } else {
            allow = true;
          }
        }
        case REDIRECT -> {
          redirect = true;
          l7.addAll(e.http());
        }
      }
    }
    if (allow) {
      return new Verdict.Allowed(enforcing, List.of());
    }
    if (redirect) {
      return new Verdict.Redirected(l7, List.of());
    }
    // The host's implicit allow counts only where no rule decides, as in DirectionPolicy#decide.
    if (localhost) {
      return new Verdict.Allowed(enforcing, List.of());
    }
    return new Verdict.Denied(DropReason.POLICY_DENIED, List.of());
  }

  private static final Set<PolicyRef> LOCALHOST_ONLY = Set.of(PolicyBuilder.ALLOW_LOCALHOST.origin());
}
