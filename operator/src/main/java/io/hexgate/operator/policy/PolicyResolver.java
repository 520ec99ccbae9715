package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityTable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps every endpoint identity's {@link IdentityPolicy} up to date as identities come and go and rules
 * change, recomputing only what a change affects: a new identity is added to the policies whose rules
 * name a selector that now selects it; a rule change recomputes the identities its old and new rules
 * select, or, when the rules keep their shape, rebuilds only the terms of the remotes they name. {@link
 * #batch} defers the full recomputes so that a bulk load computes each identity once.
 */
final class PolicyResolver {
  /**
   * Above this many remotes whose terms would change, an identity is recomputed in full instead: one
   * remote's rebuild walks every term of the identity's rules.
   */
  private static final int IN_PLACE_MAX_REMOTES = 64;

  private final IdentityTable table;
  private final SelectorCache selectors;
  private final PolicyBuilder builder;
  /** The slots of the identities some endpoint has: the only ones with a policy. */
  private final BitSet endpointSlots = new BitSet();
  private final Map<Long, IdentityPolicy> policies = new HashMap<>();
  private int batchDepth;
  private final Set<Long> dirty = new LinkedHashSet<>();
  private long regenerations;
  private long partialUpdates;
  /** Per identity, a number that grows whenever anything in its policy may have changed. */
  private final Map<Long, Long> policyVersions = new HashMap<>();
  private long policyVersionCounter;

  PolicyResolver(IdentityTable table, SelectorCache selectors) {
    this.table = table;
    this.selectors = selectors;
    this.builder = new PolicyBuilder(table, selectors);
  }

  /** Runs {@code changes} and recomputes every identity they touched once, at the end. */
  void batch(Runnable changes) {
    batchDepth++;
    try {
      changes.run();
    } finally {
      batchDepth--;
      if (batchDepth == 0) {
        Set<Long> todo = new LinkedHashSet<>(dirty);
        dirty.clear();
        for (long id : todo) {
          if (table.get(id) != null && endpointSlots.get(table.slotOf(id))) {
            recompute(id);
          }
        }
      }
    }
  }

  long regenerations() {
    return regenerations;
  }

  long partialUpdates() {
    return partialUpdates;
  }

  IdentityPolicy policy(long identity) {
    return policies.get(identity);
  }

  Map<Long, IdentityPolicy> policies() {
    return Collections.unmodifiableMap(policies);
  }

  long policyVersion(long identity) {
    return policyVersions.getOrDefault(identity, 0L);
  }

  /**
   * Every policy as it is now, in copies that later changes do not reach; a policy whose version did not
   * change since {@code previous} was taken keeps that earlier copy.
   */
  Map<Long, Frozen> frozen(Map<Long, Frozen> previous) {
    Map<Long, Frozen> out = new HashMap<>();
    policies.forEach(
        (id, p) -> {
          long version = policyVersion(id);
          Frozen before = previous.get(id);
          out.put(id, before != null && before.version() == version ? before : new Frozen(version, p.frozen()));
        });
    return out;
  }

  /** One identity's policy at one version, never changed again. */
  record Frozen(long version, IdentityPolicy policy) {}

  // ------------------------------------------------------------------ rule changes

  /**
   * Puts {@code next} in place of {@code previous}, the rules of one policy object. The selectors of
   * both must be in the cache, as must the CIDR identities they name.
   */
  void replace(List<CompiledRule> previous, List<CompiledRule> next) {
    batch(
        () -> {
          if (sameShape(previous, next)) {
            List<PolicyBuilder.Remotes> before = new ArrayList<>();
            for (CompiledRule r : previous) {
              before.add(builder.remotes(r));
              selectors.unregister(r);
            }
            for (CompiledRule r : next) {
              selectors.register(r);
            }
            for (int i = 0; i < next.size(); i++) {
              replaceInPlace(previous.get(i), next.get(i), before.get(i));
            }
          } else {
            for (CompiledRule r : previous) {
              markSelected(r);
              selectors.unregister(r);
            }
            for (CompiledRule r : next) {
              selectors.register(r);
              markSelected(r);
            }
          }
        });
  }

  /**
   * Whether every rule keeps its place, subject and default-deny: then the identities each selects and
   * whether their directions enforce stay as they were, and only the terms for the remotes the old or
   * new rule names can differ.
   */
  private static boolean sameShape(List<CompiledRule> previous, List<CompiledRule> next) {
    if (next.isEmpty() || previous.size() != next.size()) {
      return false;
    }
    Set<String> paths = new HashSet<>();
    for (int i = 0; i < next.size(); i++) {
      CompiledRule a = previous.get(i);
      CompiledRule b = next.get(i);
      if (!a.origin().equals(b.origin())
          || !a.path().equals(b.path())
          || !paths.add(b.path())
          || a.ingressDefaultDeny() != b.ingressDefaultDeny()
          || a.egressDefaultDeny() != b.egressDefaultDeny()
          || !a.subject().equals(b.subject())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Replaces {@code old} by {@code now}, a rule of the same shape (see {@link #sameShape}), in the
   * policy of every identity it selects: the rule list gets the new instance at the same place, and the
   * terms of each remote the old or new rule names are rebuilt from that list, exactly as a full
   * recompute would build them. Identities with many such remotes are recomputed in full instead.
   */
  private void replaceInPlace(CompiledRule old, CompiledRule now, PolicyBuilder.Remotes before) {
    PolicyBuilder.Remotes changed = before.or(builder.remotes(now));
    Direction[] ds = Direction.values();
    boolean inPlace = changed.count() <= IN_PLACE_MAX_REMOTES;
    int[][] remoteSlots = new int[ds.length][];
    long[][] remoteIds = new long[ds.length][];
    for (int d = 0; d < ds.length && inPlace; d++) {
      remoteSlots[d] = changed.slots()[d].stream().toArray();
      remoteIds[d] = new long[remoteSlots[d].length];
      for (int i = 0; i < remoteSlots[d].length; i++) {
        remoteIds[d][i] = table.atSlot(remoteSlots[d][i]).id();
      }
    }
    BitSet selected = (BitSet) selectors.subjectSelection(now).clone();
    selected.and(endpointSlots);
    for (int s = selected.nextSetBit(0); s >= 0; s = selected.nextSetBit(s + 1)) {
      long id = table.atSlot(s).id();
      if (dirty.contains(id)) {
        continue;
      }
      IdentityPolicy p = policies.get(id);
      int at = p == null ? -1 : indexOf(p.rules(), old);
      if (!inPlace || at < 0) {
        dirty.add(id);
        continue;
      }
      List<CompiledRule> rs = new ArrayList<>(p.rules());
      rs.set(at, now);
      IdentityPolicy updated = new IdentityPolicy(id, List.copyOf(rs), p.ingress(), p.egress());
      policies.put(id, updated);
      touched(id);
      partialUpdates++;
      for (Direction d : ds) {
        int k = d.ordinal();
        builder.rebuildRemotes(updated.direction(d), updated.rules(), d, remoteSlots[k], remoteIds[k], changed.any()[k]);
      }
    }
  }

  private static int indexOf(List<CompiledRule> list, CompiledRule r) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == r) {
        return i;
      }
    }
    return -1;
  }

  /** Marks every endpoint identity the rule's subject selects for recomputation. */
  private void markSelected(CompiledRule r) {
    BitSet sel = (BitSet) selectors.subjectSelection(r).clone();
    sel.and(endpointSlots);
    for (int s = sel.nextSetBit(0); s >= 0; s = sel.nextSetBit(s + 1)) {
      dirty.add(table.atSlot(s).id());
    }
  }

  // ------------------------------------------------------------------ identities

  /** A new identity: an endpoint's, which gets a policy, or a CIDR prefix's, which is only a peer. */
  void addIdentity(Identity identity, boolean endpoint) {
    int slot = table.add(identity);
    Set<Long> affected = subjectsOf(selectors.added(identity, slot));
    if (endpoint) {
      endpointSlots.set(slot);
      dirty.add(identity.id());
    }
    for (long subject : affected) {
      updateRemote(subject, identity);
    }
  }

  void removeIdentity(long id) {
    int slot = table.slotOf(id);
    Set<Long> affected = subjectsOf(selectors.removed(slot));
    endpointSlots.clear(slot);
    policies.remove(id);
    policyVersions.remove(id);
    dirty.remove(id);
    table.remove(id);
    for (long subject : affected) {
      if (subject != id) {
        IdentityPolicy p = policies.get(subject);
        if (p != null && !dirty.contains(subject)) {
          p.ingress().clear(id);
          p.egress().clear(id);
          touched(subject);
        }
      }
    }
  }

  /** The endpoint identities the rules' subjects select. */
  private Set<Long> subjectsOf(List<CompiledRule> rules) {
    Set<Long> out = new HashSet<>();
    for (CompiledRule r : rules) {
      BitSet sel = selectors.subjectSelection(r);
      for (int s = sel.nextSetBit(0); s >= 0; s = sel.nextSetBit(s + 1)) {
        if (endpointSlots.get(s)) {
          out.add(table.atSlot(s).id());
        }
      }
    }
    return out;
  }

  /** Rebuilds one remote's terms in a subject's policy; a pending full recompute makes it moot. */
  private void updateRemote(long subject, Identity remote) {
    IdentityPolicy p = policies.get(subject);
    if (p == null || dirty.contains(subject)) {
      return;
    }
    int slot = table.slotOf(remote.id());
    for (Direction d : Direction.values()) {
      builder.rebuildRemote(p.direction(d), p.rules(), d, remote.id(), slot);
    }
    touched(subject);
  }

  private void recompute(long id) {
    regenerations++;
    policies.put(id, builder.build(id));
    touched(id);
  }

  private void touched(long id) {
    policyVersions.put(id, ++policyVersionCounter);
  }
}
