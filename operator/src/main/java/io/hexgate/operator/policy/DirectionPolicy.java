package io.hexgate.operator.policy;

import io.hexgate.operator.identity.ReservedIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One identity's policy in one direction: whether it is in default-deny, and for each remote identity
 * (0 = any) the terms that apply to it, in rule order.
 */
public final class DirectionPolicy {
  private static final long[] NO_KEYS = {};
  private static final Object[] NO_VALUES = {};

  private final boolean enforcing;

  // Remote identity -> its terms, in an open-addressing table with linear probing: the value is the
  // Term itself when there is one, an ArrayList<Term> when there are more, null for a free slot. A
  // large cluster's policies hold hundreds of thousands of (remote, terms) pairs; a HashMap with boxed
  // keys and a list per pair made most of the engine's heap and of its garbage-collection work.
  private long[] keys = NO_KEYS;
  private Object[] values = NO_VALUES;
  private int size;

  DirectionPolicy(boolean enforcing) {
    this.enforcing = enforcing;
  }

  /** A copy with the same entries in the same table layout, so that it iterates in the same order. */
  @SuppressWarnings("unchecked")
  DirectionPolicy copy() {
    DirectionPolicy c = new DirectionPolicy(enforcing);
    c.keys = keys.clone();
    c.values = values.clone();
    c.size = size;
    for (int i = 0; i < c.values.length; i++) {
      if (c.values[i] instanceof ArrayList<?> l) {
        c.values[i] = new ArrayList<>((ArrayList<Term>) l);
      }
    }
    return c;
  }

  public boolean enforcing() {
    return enforcing;
  }

  @SuppressWarnings("unchecked")
  void add(long remote, Term t) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    int i = slot(remote);
    Object v = values[i];
    if (v == null) {
      keys[i] = remote;
      values[i] = t;
      size++;
    } else if (v instanceof Term) {
      ArrayList<Term> l = new ArrayList<>(2);
      l.add((Term) v);
      l.add(t);
      values[i] = l;
    } else {
      ((ArrayList<Term>) v).add(t);
    }
  }

  void clear(long remote) {
    if (size == 0) {
      return;
    }
    int i = slot(remote);
    if (values[i] == null) {
      return;
    }
    values[i] = null;
    size--;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home slot
    // allows it, so that lookups never stop early at a free slot.
    int mask = keys.length - 1;
    for (int j = (i + 1) & mask; values[j] != null; j = (j + 1) & mask) {
      int home = home(keys[j], mask);
      boolean move = i <= j ? home <= i || home > j : home <= i && home > j;
      if (move) {
        keys[i] = keys[j];
        values[i] = values[j];
        values[j] = null;
        i = j;
      }
    }
  }

  /** The terms that apply to {@code remote} itself, in rule order; empty when none. */
  @SuppressWarnings("unchecked")
  public List<Term> terms(long remote) {
    if (size == 0) {
      return List.of();
    }
    Object v = values[slot(remote)];
    if (v == null) {
      return List.of();
    }
    return v instanceof Term ? List.of((Term) v) : java.util.Collections.unmodifiableList((List<Term>) v);
  }

  /**
   * The remote identities with terms of their own, plus 0 for terms that apply to any peer: a
   * read-only view of this policy, in no particular order.
   */
  public Map<Long, List<Term>> byRemote() {
    return new RemoteView();
  }

  private final class RemoteView extends java.util.AbstractMap<Long, List<Term>> {
    @Override
    public int size() {
      return size;
    }

    @Override
    public boolean containsKey(Object key) {
      return key instanceof Long l && !terms(l).isEmpty();
    }

    @Override
    public List<Term> get(Object key) {
      if (!(key instanceof Long l)) {
        return null;
      }
      List<Term> t = terms(l);
      return t.isEmpty() ? null : t;
    }

    @Override
    public Set<Map.Entry<Long, List<Term>>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public int size() {
          return size;
        }

        @Override
        public java.util.Iterator<Map.Entry<Long, List<Term>>> iterator() {
          return new java.util.Iterator<>() {
            private int next = advance(0);

            private int advance(int from) {
              int i = from;
              while (i < keys.length && values[i] == null) {
                i++;
              }
              return i;
            }

            @Override
            public boolean hasNext() {
              return next < keys.length;
            }

            @Override
            public Map.Entry<Long, List<Term>> next() {
              if (!hasNext()) {
                throw new java.util.NoSuchElementException();
              }
              long k = keys[next];
              next = advance(next + 1);
              return Map.entry(k, terms(k));
            }
          };
        }
      };
    }
  }

  public int entryCount() {
    int n = 0;
    for (Object v : values) {
      if (v != null) {
        n += v instanceof Term ? 1 : ((List<?>) v).size();
      }
    }
    return n;
  }

  private int slot(long remote) {
    int mask = keys.length - 1;
    int i = home(remote, mask);
    while (values[i] != null && keys[i] != remote) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private static int home(long remote, int mask) {
    return (int) ((remote * 0x9E3779B97F4A7C15L) >>> 32) & mask;
  }

  private void grow() {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    int capacity = oldKeys.length == 0 ? 4 : oldKeys.length * 2;
    keys = new long[capacity];
    values = new Object[capacity];
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldValues[i] != null) {
        int j = slot(oldKeys[i]);
        keys[j] = oldKeys[i];
        values[j] = oldValues[i];
      }
    }
  }

  /**
   * Decides a new connection from (ingress) or to (egress) {@code remote}: a matching deny wins, then
   * an unselected direction allows everything, then any matching allow; L7 rules apply only when every
   * matching allow carries them. The implicit allow of the local host ({@link
   * PolicyBuilder#ALLOW_LOCALHOST}) counts only when no rule allows the host.
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
      allows.remove(PolicyBuilder.ALLOW_LOCALHOST);
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
    return new TreeMap<>(byRemote());
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DirectionPolicy d) || d.enforcing != enforcing || d.size != size) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      if (values[i] != null && !terms(keys[i]).equals(d.terms(keys[i]))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    // As the map of remote to terms hashes.
    int h = 0;
    for (int i = 0; i < keys.length; i++) {
      if (values[i] != null) {
        h += Long.hashCode(keys[i]) ^ terms(keys[i]).hashCode();
      }
    }
    return h * 2 + (enforcing ? 1 : 0);
  }

  @Override
  public String toString() {
    return (enforcing ? "enforcing " : "not enforcing ") + snapshot();
  }
}
