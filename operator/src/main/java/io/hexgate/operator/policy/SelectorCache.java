package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.identity.SecurityLabels;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every selector the stored rules name, interned by value and counted, with the identities it selects
 * (as slots of the {@link IdentityTable}) and the registered rules that use it as subject or peer. A new
 * identity is tested only against the selectors that can select it (see {@link #anchorKeys}).
 */
final class SelectorCache {
  /** A cached selector: the identities it selects, and the rules that use it. */
  static final class Cached {
    final Selector selector;
    final BitSet selection;
    final Set<CompiledRule> asSubject = new HashSet<>();
    final Set<CompiledRule> asPeer = new HashSet<>();
    /** The keys of {@link #anchored} this selector is filed under; null when it is unanchored. */
    List<String> anchors;
    int refs;

    Cached(Selector selector, BitSet selection) {
      this.selector = selector;
      this.selection = selection;
    }
  }

  /** A registered rule's cached selectors: its subject's, and per direction and term its peers'. */
  private record Resolved(Cached subject, Cached[][][] peers) {}

  private final IdentityTable table;
  private final Map<Selector, Cached> selectors = new HashMap<>();
  /** The cached selectors some rule uses as its subject: the only ones a full recompute looks at. */
  private final Set<Cached> subjectSelectors = new LinkedHashSet<>();
  /**
   * For each registered rule its subject's cached selector, and for each of its terms the cached
   * selectors of the peers: looking them up by selector meant hashing and comparing selectors, with all
   * their requirements, in the innermost loops. Keyed by instance: every compiled rule and term is new.
   */
  private final Map<CompiledRule, Resolved> resolved = new IdentityHashMap<>();
  private final Map<Term, Cached[]> peersOf = new IdentityHashMap<>();
  /**
   * Cached selectors filed under one requirement each must meet ({@code source:key=value} for an In
   * requirement, one entry per value; {@code source:key} for Exists), so that a new identity is tested
   * only against selectors that can select it; the others ({@link #unanchored}) are always tested.
   */
  private final Map<String, List<Cached>> anchored = new HashMap<>();
  private final Set<Cached> unanchored = new LinkedHashSet<>();

  SelectorCache(IdentityTable table) {
    this.table = table;
  }

  /** Interns the rule's subject and peer selectors: they must exist before the rule is registered. */
  void retain(CompiledRule r) {
    intern(r.subject());
    for (Selector s : peerSelectors(r)) {
      intern(s);
    }
  }

  /** Drops the rule's references; a selector no rule names any more leaves the cache. */
  void release(CompiledRule r) {
    unintern(r.subject());
    for (Selector s : peerSelectors(r)) {
      unintern(s);
    }
  }

  /** Files a retained rule under its selectors, so that selection changes find it. */
  void register(CompiledRule r) {
    Cached subject = selectors.get(r.subject());
    subject.asSubject.add(r);
    subjectSelectors.add(subject);
    Cached[][][] all = new Cached[Direction.values().length][][];
    for (Direction d : Direction.values()) {
      List<Term> terms = r.terms(d);
      all[d.ordinal()] = new Cached[terms.size()][];
      for (int k = 0; k < terms.size(); k++) {
        Term t = terms.get(k);
        Cached[] peers = lookUp(t);
        peersOf.put(t, peers);
        all[d.ordinal()][k] = peers;
      }
    }
    resolved.put(r, new Resolved(subject, all));
    for (Selector s : peerSelectors(r)) {
      selectors.get(s).asPeer.add(r);
    }
  }

  void unregister(CompiledRule r) {
    Cached subject = selectors.get(r.subject());
    subject.asSubject.remove(r);
    if (subject.asSubject.isEmpty()) {
      subjectSelectors.remove(subject);
    }
    resolved.remove(r);
    for (Direction d : Direction.values()) {
      for (Term t : r.terms(d)) {
        peersOf.remove(t);
      }
    }
    for (Selector s : peerSelectors(r)) {
      selectors.get(s).asPeer.remove(r);
    }
  }

  /** The identities a retained rule's subject selects. */
  BitSet subjectSelection(CompiledRule r) {
    Resolved c = resolved.get(r);
    return (c != null ? c.subject() : selectors.get(r.subject())).selection;
  }

  /** The cached peer selectors of each of a registered rule's terms in one direction; null if unknown. */
  Cached[][] peersOf(CompiledRule r, Direction d) {
    Resolved c = resolved.get(r);
    return c == null ? null : c.peers()[d.ordinal()];
  }

  /** The cached selectors of one term's peers. */
  Cached[] peers(Term t) {
    Cached[] peers = peersOf.get(t);
    return peers != null ? peers : lookUp(t);
  }

  private Cached[] lookUp(Term t) {
    Cached[] peers = new Cached[t.peers().size()];
    for (int i = 0; i < peers.length; i++) {
      peers[i] = selectors.get(t.peers().get(i));
    }
    return peers;
  }

  /** The registered rules whose subject selects the identity at {@code slot}, in no particular order. */
  List<CompiledRule> selecting(int slot) {
    List<CompiledRule> out = new ArrayList<>();
    for (Cached c : subjectSelectors) {
      if (c.selection.get(slot)) {
        out.addAll(c.asSubject);
      }
    }
    return out;
  }

  /**
   * Adds a new identity, already in the table at {@code slot}, to the selection of every selector that
   * selects it; returns the rules that name one of those selectors as a peer (possibly repeated).
   */
  List<CompiledRule> added(Identity identity, int slot) {
    List<CompiledRule> peerOf = new ArrayList<>();
    for (Cached c : candidates(identity)) {
      if (c.selector.selects(identity)) {
        c.selection.set(slot);
        peerOf.addAll(c.asPeer);
      }
    }
    return peerOf;
  }

  /** Removes the identity at {@code slot} from every selection; returns the rules that named it as a peer. */
  List<CompiledRule> removed(int slot) {
    List<CompiledRule> peerOf = new ArrayList<>();
    for (Cached c : selectors.values()) {
      if (c.selection.get(slot)) {
        c.selection.clear(slot);
        peerOf.addAll(c.asPeer);
      }
    }
    return peerOf;
  }

  private static Set<Selector> peerSelectors(CompiledRule r) {
    Set<Selector> out = new LinkedHashSet<>();
    for (Term t : r.ingress()) {
      out.addAll(t.peers());
    }
    for (Term t : r.egress()) {
      out.addAll(t.peers());
    }
    return out;
  }

  private void intern(Selector s) {
    selectors.computeIfAbsent(s, this::newCached).refs++;
  }

  private Cached newCached(Selector s) {
    Cached c = new Cached(s, s.select(table));
    c.anchors = anchorKeys(s);
    if (c.anchors == null) {
      unanchored.add(c);
    } else {
      for (String k : c.anchors) {
        anchored.computeIfAbsent(k, x -> new ArrayList<>(2)).add(c);
      }
    }
    return c;
  }

  private void unintern(Selector s) {
    Cached c = selectors.get(s);
    if (--c.refs == 0) {
      selectors.remove(s);
      if (c.anchors == null) {
        unanchored.remove(c);
      } else {
        for (String k : c.anchors) {
          List<Cached> l = anchored.get(k);
          l.remove(c);
          if (l.isEmpty()) {
            anchored.remove(k);
          }
        }
      }
    }
  }

  /**
   * The index keys of one requirement every identity the selector selects meets: an In requirement's
   * values, preferably on a key other than the namespace and cluster, which many identities share; else
   * an Exists requirement's key. Null when there is none (CIDR selectors, NotIn/DoesNotExist only).
   */
  private static List<String> anchorKeys(Selector s) {
    if (!(s instanceof LabelSelector ls)) {
      return null;
    }
    Requirement best = null;
    int bestScore = 0;
    for (Requirement r : ls.requirements()) {
      int score;
      if (r.operator() == Requirement.Operator.IN && !r.values().isEmpty()) {
        boolean common = r.key().equals(SecurityLabels.NAMESPACE) || r.key().equals(SecurityLabels.CLUSTER);
        score = common ? 2 : 3;
      } else if (r.operator() == Requirement.Operator.EXISTS) {
        score = 1;
      } else {
        continue;
      }
      if (score > bestScore) {
        best = r;
        bestScore = score;
      }
    }
    if (best == null) {
      return null;
    }
    if (best.operator() == Requirement.Operator.EXISTS) {
      return List.of(anchorKey(best.source(), best.key(), null));
    }
    List<String> keys = new ArrayList<>();
    for (String v : best.values()) {
      keys.add(anchorKey(best.source(), best.key(), v));
    }
    return keys;
  }

  private static String anchorKey(String source, String key, String value) {
    return value == null ? source + '\u0000' + key : source + '\u0000' + key + '\u0000' + value;
  }

  /**
   * The cached selectors that may select {@code identity}: the unanchored ones, and those filed under
   * a requirement it meets, i.e. under its value, or the key it has, as {@link Requirement#matches}
   * reads them (per source, and for source {@code any} per key).
   */
  private List<Cached> candidates(Identity identity) {
    List<Cached> out = new ArrayList<>(unanchored);
    Labels labels = identity.labels();
    Set<String> keys = new HashSet<>();
    for (Label l : labels) {
      String v = labels.value(l.source(), l.key());
      addAll(out, anchored.get(anchorKey(l.source(), l.key(), v)));
      addAll(out, anchored.get(anchorKey(l.source(), l.key(), null)));
      if (keys.add(l.key())) {
        addAll(out, anchored.get(anchorKey(Label.SOURCE_ANY, l.key(), labels.value(Label.SOURCE_ANY, l.key()))));
        addAll(out, anchored.get(anchorKey(Label.SOURCE_ANY, l.key(), null)));
      }
    }
    return out;
  }

  private static void addAll(List<Cached> out, List<Cached> more) {
    if (more != null) {
      out.addAll(more);
    }
  }
}
