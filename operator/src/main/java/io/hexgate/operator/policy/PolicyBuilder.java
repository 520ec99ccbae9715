package io.hexgate.operator.policy;

import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.ReservedIdentity;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * Turns the rules selecting an identity into its {@link IdentityPolicy}, resolving each term's peers
 * through the {@link SelectorCache}: in full, or for some remotes only. Both build a remote's terms the
 * same way, in rule order, so that a partial rebuild leaves exactly what a full build would.
 */
final class PolicyBuilder {
  /**
   * The agent's {@code allow-localhost=always}, what Cilium runs with under Kubernetes: the local node
   * reaches its pods whatever their ingress allows say. It is an entry for {@code reserved:host} in every
   * ingress policy in default-deny; a deny rule matching the host still wins, and so does the proxy
   * when an L7 rule covers the port (see {@link DirectionPolicy#decide}).
   */
  static final Term ALLOW_LOCALHOST =
      new Term(
          new PolicyRef("agent", "", "allow-localhost"),
          "ingress from reserved:host",
          Direction.INGRESS,
          false,
          false,
          List.of(),
          null,
          null);

  private static final Comparator<CompiledRule> RULE_ORDER =
      Comparator.comparing(CompiledRule::origin).thenComparing(CompiledRule::path);

  private final IdentityTable table;
  private final SelectorCache selectors;

  PolicyBuilder(IdentityTable table, SelectorCache selectors) {
    this.table = table;
    this.selectors = selectors;
  }

  /** Computes one identity's policy from scratch. */
  IdentityPolicy build(long id) {
    List<CompiledRule> selecting = selectors.selecting(table.slotOf(id));
    selecting.sort(RULE_ORDER);
    DirectionPolicy ingress = new DirectionPolicy(selecting.stream().anyMatch(r -> r.ingressDefaultDeny()));
    DirectionPolicy egress = new DirectionPolicy(selecting.stream().anyMatch(r -> r.egressDefaultDeny()));
    for (CompiledRule r : selecting) {
      fill(ingress, r.ingress(), selectors.peersOf(r, Direction.INGRESS));
      fill(egress, r.egress(), selectors.peersOf(r, Direction.EGRESS));
    }
    addImplicit(ingress, Direction.INGRESS, ReservedIdentity.HOST.id());
    return new IdentityPolicy(id, List.copyOf(selecting), ingress, egress);
  }

  private void fill(DirectionPolicy dp, List<Term> terms, SelectorCache.Cached[][] resolvedPeers) {
    for (int k = 0; k < terms.size(); k++) {
      Term t = terms.get(k);
      if (t.wildcardPeer()) {
        dp.add(ReservedIdentity.ANY, t);
      }
      SelectorCache.Cached[] cached = resolvedPeers != null ? resolvedPeers[k] : selectors.peers(t);
      BitSet peers;
      if (cached.length == 1) {
        peers = cached[0].selection;
      } else {
        peers = new BitSet();
        for (SelectorCache.Cached c : cached) {
          peers.or(c.selection);
        }
      }
      for (int s = peers.nextSetBit(0); s >= 0; s = peers.nextSetBit(s + 1)) {
        dp.add(table.atSlot(s).id(), t);
      }
    }
  }

  /** What {@link #build} adds after the rules' terms for one remote: the local host's implicit allow. */
  private static void addImplicit(DirectionPolicy dp, Direction d, long remote) {
    if (d == Direction.INGRESS && remote == ReservedIdentity.HOST.id() && dp.enforcing()) {
      dp.add(remote, ALLOW_LOCALHOST);
    }
  }

  /** Rebuilds the terms for one remote (at {@code slot}) in one direction of a policy, as {@link #build} would. */
  void rebuildRemote(DirectionPolicy dp, List<CompiledRule> selecting, Direction d, long remote, int slot) {
    rebuildRemotes(dp, selecting, d, new int[] {slot}, new long[] {remote}, false);
  }

  /**
   * Rebuilds the terms of several remotes (and of any peer, remote 0, when {@code any}) in one direction
   * of a policy from its (sorted) selecting rules, walking the rules once: each remote gets its terms in
   * rule order, as {@link #build} adds them.
   */
  void rebuildRemotes(
      DirectionPolicy dp, List<CompiledRule> selecting, Direction d, int[] slots, long[] ids, boolean any) {
    if (ids.length == 0 && !any) {
      return;
    }
    for (long id : ids) {
      dp.clear(id);
    }
    if (any) {
      dp.clear(ReservedIdentity.ANY);
    }
    for (CompiledRule r : selecting) {
      List<Term> terms = r.terms(d);
      if (terms.isEmpty()) {
        continue;
      }
      SelectorCache.Cached[][] resolvedPeers = selectors.peersOf(r, d);
      for (int k = 0; k < terms.size(); k++) {
        Term t = terms.get(k);
        if (any && t.wildcardPeer()) {
          dp.add(ReservedIdentity.ANY, t);
        }
        SelectorCache.Cached[] peers = resolvedPeers != null ? resolvedPeers[k] : selectors.peers(t);
        for (int i = 0; i < slots.length; i++) {
          for (SelectorCache.Cached c : peers) {
            if (c.selection.get(slots[i])) {
              dp.add(ids[i], t);
              break;
            }
          }
        }
      }
    }
    for (long id : ids) {
      addImplicit(dp, d, id);
    }
  }

  /** Per direction, the slots a rule's terms name as peers, and whether a term applies to any peer. */
  record Remotes(BitSet[] slots, boolean[] any) {
    int count() {
      int n = 0;
      for (int d = 0; d < slots.length; d++) {
        n += slots[d].cardinality() + (any[d] ? 1 : 0);
      }
      return n;
    }

    /** The remotes either names. */
    Remotes or(Remotes other) {
      BitSet[] s = new BitSet[slots.length];
      boolean[] a = new boolean[slots.length];
      for (int d = 0; d < slots.length; d++) {
        s[d] = (BitSet) slots[d].clone();
        s[d].or(other.slots[d]);
        a[d] = any[d] || other.any[d];
      }
      return new Remotes(s, a);
    }
  }

  Remotes remotes(CompiledRule r) {
    Direction[] ds = Direction.values();
    BitSet[] slots = new BitSet[ds.length];
    boolean[] any = new boolean[ds.length];
    for (Direction d : ds) {
      BitSet b = new BitSet();
      for (Term t : r.terms(d)) {
        any[d.ordinal()] |= t.wildcardPeer();
        for (SelectorCache.Cached c : selectors.peers(t)) {
          b.or(c.selection);
        }
      }
      slots[d.ordinal()] = b;
    }
    return new Remotes(slots, any);
  }
}
