package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityAllocator;
import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.identity.SecurityLabels;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The policy repository: endpoints, namespaces and compiled rules in, per-identity {@link
 * DirectionPolicy} out. Every change recomputes only what it affects: a new identity is tested against
 * each cached selector and added to the policies whose rules name a selector that now selects it; a
 * policy change recomputes the identities its old and new rules select. {@link #batch} defers that work
 * so that a bulk load recomputes each identity once. Not thread-safe: one writer drives it.
 */
public final class PolicyEngine {
  private final SecurityLabels securityLabels;
  private final IdentityAllocator allocator;
  private final RuleCompiler compiler;
  private final IdentityTable table = new IdentityTable();

  private final Map<String, Map<String, String>> namespaceLabels = new HashMap<>();
  private final Map<Endpoint.Key, Endpoint> endpoints = new TreeMap<>();
  private final Map<Endpoint.Key, Long> endpointIdentity = new HashMap<>();
  private final Map<Long, Set<Endpoint.Key>> endpointsByIdentity = new HashMap<>();
  private final Map<Labels, Long> identityByLabels = new HashMap<>();
  private final Map<String, Endpoint.Key> endpointByIp = new HashMap<>();
  private final BitSet endpointSlots = new BitSet();

  private final Map<CidrPrefix, Integer> cidrRefs = new HashMap<>();
  private final Map<CidrPrefix, Long> cidrIdentity = new HashMap<>();
  private long nextCidrId = ReservedIdentity.FIRST_CIDR_ID;

  private final Map<PolicyRef, List<CompiledRule>> rules = new TreeMap<>();
  private final Map<Selector, Cached> selectors = new HashMap<>();
  /** The cached selectors some rule uses as its subject: the only ones {@link #recompute} looks at. */
  private final Set<Cached> subjectSelectors = new LinkedHashSet<>();
  /**
   * For each registered rule its subject's cached selector, and for each of its terms the cached
   * selectors of the peers: looking them up by selector meant hashing and comparing selectors, with all
   * their requirements, in the innermost loops. Keyed by instance: every compiled rule and term is new.
   */
  private final Map<CompiledRule, Resolved> resolved = new IdentityHashMap<>();
  private final Map<Term, Cached[]> peersOf = new IdentityHashMap<>();

  /** A registered rule's cached selectors: its subject's, and per direction and term its peers'. */
  private record Resolved(Cached subject, Cached[][][] peers) {}
  private final Map<Long, IdentityPolicy> policies = new HashMap<>();

  private int batchDepth;
  private final Set<Long> dirty = new LinkedHashSet<>();
  private long regenerations;
  private long partialUpdates;
  /** Per identity, a number that grows whenever anything in its policy may have changed. */
  private final Map<Long, Long> policyVersions = new HashMap<>();
  private long policyVersionCounter;
  private long namedPortsVersion;

  /** A cached selector: the identities it selects, and the rules that use it. */
  private static final class Cached {
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

  /**
   * Cached selectors filed under one requirement each must meet ({@code source:key=value} for an In
   * requirement, one entry per value; {@code source:key} for Exists), so that a new identity is tested
   * only against selectors that can select it; the others ({@link #unanchored}) are always tested.
   */
  private final Map<String, List<Cached>> anchored = new HashMap<>();
  private final Set<Cached> unanchored = new LinkedHashSet<>();

  /** The selecting rules and both directions of one identity. */
  public record IdentityPolicy(
      long identity, List<CompiledRule> rules, DirectionPolicy ingress, DirectionPolicy egress) {
    public DirectionPolicy direction(Direction d) {
      return d == Direction.INGRESS ? ingress : egress;
    }
  }

  /**
   * The agent's {@code allow-localhost=always}, what Cilium runs with under Kubernetes: the local node
   * reaches its pods whatever their ingress allows say. It is an entry for {@code reserved:host} in every
   * ingress policy in default-deny; a deny rule matching the host still wins, and so does the proxy
   * when an L7 rule covers the port (see {@link DirectionPolicy#decide}).
   */
  public static final Term ALLOW_LOCALHOST =
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

  public PolicyEngine(SecurityLabels securityLabels, IdentityAllocator allocator) {
    this.securityLabels = securityLabels;
    this.allocator = allocator;
    this.compiler = new RuleCompiler(securityLabels.clusterName());
    for (Identity r : ReservedIdentity.all()) {
      table.add(r);
    }
  }

  public PolicyEngine() {
    this(new SecurityLabels(), IdentityAllocator.inMemory());
  }

  public RuleCompiler compiler() {
    return compiler;
  }

  // ------------------------------------------------------------------ batching

  /** Runs {@code changes} and recomputes every identity they touched once, at the end. */
  public void batch(Runnable changes) {
    batchDepth++;
    try {
      changes.run();
    } finally {
      batchDepth--;
      if (batchDepth == 0) {
        Set<Long> todo = new LinkedHashSet<>(dirty);
        dirty.clear();
        for (long id : todo) {
          if (table.get(id) != null && endpointsByIdentity.containsKey(id)) {
            recompute(id);
          }
        }
      }
    }
  }

  /** How many times an identity's policy was computed in full; a measure of incremental work. */
  public long regenerations() {
    return regenerations;
  }

  /**
   * How many times a policy change updated an identity's policy in place, rebuilding only the terms of
   * the remotes the changed rule names, instead of computing it in full.
   */
  public long partialUpdates() {
    return partialUpdates;
  }

  // ------------------------------------------------------------------ namespaces and endpoints

  /** Sets a namespace's labels; its pods move to the identities the new labels give them. */
  public void upsertNamespace(String name, Map<String, String> labels) {
    Map<String, String> l = new HashMap<>(labels);
    l.putIfAbsent("kubernetes.io/metadata.name", name);
    if (l.equals(namespaceLabels.get(name))) {
      return;
    }
    namespaceLabels.put(name, Map.copyOf(l));
    batch(
        () -> {
          for (Endpoint e : new ArrayList<>(endpoints.values())) {
            if (e.namespace().equals(name)) {
              upsertEndpoint(e);
            }
          }
        });
  }

  public Map<String, String> namespaceLabels(String name) {
    return namespaceLabels.getOrDefault(name, Map.of("kubernetes.io/metadata.name", name));
  }

  /** Adds or updates a pod; a change of its security labels moves it to another identity. */
  public void upsertEndpoint(Endpoint e) {
    Labels labels =
        securityLabels.forPod(e.namespace(), e.labels(), namespaceLabels(e.namespace()), e.serviceAccount());
    Endpoint.Key key = e.key();
    Endpoint old = endpoints.put(key, e);
    if ((!e.namedPorts().isEmpty() || (old != null && !old.namedPorts().isEmpty())) && !e.equals(old)) {
      namedPortsVersion++;
    }
    if (old != null && old.ip() != null) {
      endpointByIp.remove(old.ip(), key);
    }
    if (e.ip() != null) {
      endpointByIp.put(e.ip(), key);
    }
    Long current = endpointIdentity.get(key);
    if (current != null && table.get(current).labels().equals(labels)) {
      return;
    }
    if (!e.namedPorts().isEmpty()) {
      namedPortsVersion++; // its named ports now resolve under another identity
    }
    batch(
        () -> {
          long id = acquire(labels);
          endpointIdentity.put(key, id);
          endpointsByIdentity.get(id).add(key);
          if (current != null) {
            release(current, key);
          }
        });
  }

  public void deleteEndpoint(Endpoint.Key key) {
    Endpoint old = endpoints.remove(key);
    if (old == null) {
      return;
    }
    if (!old.namedPorts().isEmpty()) {
      namedPortsVersion++;
    }
    if (old.ip() != null) {
      endpointByIp.remove(old.ip(), key);
    }
    Long id = endpointIdentity.remove(key);
    batch(() -> release(id, key));
  }

  private long acquire(Labels labels) {
    Long existing = identityByLabels.get(labels);
    if (existing != null) {
      return existing;
    }
    long id = allocator.allocate(labels);
    identityByLabels.put(labels, id);
    endpointsByIdentity.put(id, new HashSet<>());
    addIdentity(new Identity(id, labels), true);
    return id;
  }

  private void release(long id, Endpoint.Key key) {
    Set<Endpoint.Key> users = endpointsByIdentity.get(id);
    users.remove(key);
    if (users.isEmpty()) {
      endpointsByIdentity.remove(id);
      Identity identity = table.get(id);
      identityByLabels.remove(identity.labels());
      removeIdentity(id);
      allocator.release(id, identity.labels());
    }
  }

  // ------------------------------------------------------------------ policies

  /**
   * Replaces every rule of one policy object. {@code namespace} is null for clusterwide policies; the
   * rules must already be valid (see {@link RuleValidator}).
   */
  public void upsertPolicy(PolicyRef ref, List<io.hexgate.operator.policy.api.Rule> specs, List<String> paths) {
    String ns = ref.isClusterwide() ? null : ref.namespace();
    List<CompiledRule> compiled = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      compiled.add(compiler.compile(specs.get(i), ref, paths.get(i), ns));
    }
    replaceRules(ref, compiled);
  }

  public void deletePolicy(PolicyRef ref) {
    if (rules.containsKey(ref)) {
      replaceRules(ref, List.of());
    }
  }

  public Collection<PolicyRef> policyRefs() {
    return rules.keySet();
  }

  public List<CompiledRule> rules(PolicyRef ref) {
    return rules.getOrDefault(ref, List.of());
  }

  private void replaceRules(PolicyRef ref, List<CompiledRule> next) {
    batch(
        () -> {
          // Order matters: the new rules' selectors and CIDR identities must exist before the
          // identities they select are recomputed, and the old ones go only after that.
          for (CompiledRule r : next) {
            retain(r);
          }
          List<CompiledRule> previous = next.isEmpty() ? rules.remove(ref) : rules.put(ref, List.copyOf(next));
          if (previous == null) {
            previous = List.of();
          }
          if (sameShape(previous, next)) {
            List<Remotes> before = new ArrayList<>();
            for (CompiledRule r : previous) {
              before.add(remotes(r));
              unregister(r);
            }
            for (CompiledRule r : next) {
              register(r);
            }
            for (int i = 0; i < next.size(); i++) {
              replaceInPlace(previous.get(i), next.get(i), before.get(i));
            }
          } else {
            for (CompiledRule r : previous) {
              markSelected(r);
              unregister(r);
            }
            for (CompiledRule r : next) {
              register(r);
              markSelected(r);
            }
          }
          for (CompiledRule r : previous) {
            releaseRule(r);
          }
        });
  }

  // ------------------------------------------------------------------ in-place rule changes

  /**
   * Above this many remotes whose terms would change, an identity is recomputed in full instead: one
   * remote's rebuild walks every term of the identity's rules.
   */
  private static final int IN_PLACE_MAX_REMOTES = 64;

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

  /** Per direction, the slots a rule's terms name as peers, and whether a term applies to any peer. */
  private record Remotes(BitSet[] slots, boolean[] any) {
    int count() {
      int n = 0;
      for (int d = 0; d < slots.length; d++) {
        n += slots[d].cardinality() + (any[d] ? 1 : 0);
      }
      return n;
    }
  }

  private Remotes remotes(CompiledRule r) {
    Direction[] ds = Direction.values();
    BitSet[] slots = new BitSet[ds.length];
    boolean[] any = new boolean[ds.length];
    for (Direction d : ds) {
      BitSet b = new BitSet();
      for (Term t : r.terms(d)) {
        any[d.ordinal()] |= t.wildcardPeer();
        for (Cached c : peers(t)) {
          b.or(c.selection);
        }
      }
      slots[d.ordinal()] = b;
    }
    return new Remotes(slots, any);
  }

  /**
   * Replaces {@code old} by {@code now}, a rule of the same shape (see {@link #sameShape}), in the
   * policy of every identity it selects: the rule list gets the new instance at the same place, and the
   * terms of each remote the old or new rule names are rebuilt from that list, exactly as a full
   * recompute would build them. Identities with many such remotes are recomputed in full instead.
   */
  private void replaceInPlace(CompiledRule old, CompiledRule now, Remotes before) {
    Remotes after = remotes(now);
    Direction[] ds = Direction.values();
    BitSet[] slots = new BitSet[ds.length];
    boolean[] any = new boolean[ds.length];
    for (int d = 0; d < ds.length; d++) {
      slots[d] = (BitSet) before.slots()[d].clone();
      slots[d].or(after.slots()[d]);
      any[d] = before.any()[d] || after.any()[d];
    }
    Remotes changed = new Remotes(slots, any);
    boolean inPlace = changed.count() <= IN_PLACE_MAX_REMOTES;
    int[][] remoteSlots = new int[ds.length][];
    long[][] remoteIds = new long[ds.length][];
    for (int d = 0; d < ds.length && inPlace; d++) {
      remoteSlots[d] = slots[d].stream().toArray();
      remoteIds[d] = new long[remoteSlots[d].length];
      for (int i = 0; i < remoteSlots[d].length; i++) {
        remoteIds[d][i] = table.atSlot(remoteSlots[d][i]).id();
      }
    }
    BitSet selected = (BitSet) subject(now).selection.clone();
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
        rebuildRemotes(updated.direction(d), updated.rules(), d, remoteSlots[d.ordinal()], remoteIds[d.ordinal()], any[d.ordinal()]);
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

  private void retain(CompiledRule r) {
    intern(r.subject());
    for (Selector s : peerSelectors(r)) {
      intern(s);
    }
    for (CidrPrefix p : r.cidrs()) {
      if (cidrRefs.merge(p, 1, Integer::sum) == 1) {
        long id = nextCidrId++;
        cidrIdentity.put(p, id);
        Labels labels =
            Labels.of(new Label(Label.SOURCE_CIDR, p.toString(), ""), Label.reserved(ReservedIdentity.WORLD.labelKey()));
        addIdentity(new Identity(id, labels, p), false);
      }
    }
  }

  private void releaseRule(CompiledRule r) {
    unintern(r.subject());
    for (Selector s : peerSelectors(r)) {
      unintern(s);
    }
    for (CidrPrefix p : r.cidrs()) {
      if (cidrRefs.merge(p, -1, Integer::sum) == 0) {
        cidrRefs.remove(p);
        removeIdentity(cidrIdentity.remove(p));
      }
    }
  }

  private void register(CompiledRule r) {
    Cached subject = selectors.get(r.subject());
    subject.asSubject.add(r);
    subjectSelectors.add(subject);
    Cached[][][] all = new Cached[Direction.values().length][][];
    for (Direction d : Direction.values()) {
      List<Term> terms = r.terms(d);
      all[d.ordinal()] = new Cached[terms.size()][];
      for (int k = 0; k < terms.size(); k++) {
        Term t = terms.get(k);
        Cached[] peers = new Cached[t.peers().size()];
        for (int i = 0; i < peers.length; i++) {
          peers[i] = selectors.get(t.peers().get(i));
        }
        peersOf.put(t, peers);
        all[d.ordinal()][k] = peers;
      }
    }
    resolved.put(r, new Resolved(subject, all));
    for (Selector s : peerSelectors(r)) {
      selectors.get(s).asPeer.add(r);
    }
  }

  private void unregister(CompiledRule r) {
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

  /** Marks every endpoint identity the rule's subject selects for recomputation. */
  private void markSelected(CompiledRule r) {
    BitSet sel = (BitSet) subject(r).selection.clone();
    sel.and(endpointSlots);
    for (int s = sel.nextSetBit(0); s >= 0; s = sel.nextSetBit(s + 1)) {
      dirty.add(table.atSlot(s).id());
    }
  }

  // ------------------------------------------------------------------ identities

  private void addIdentity(Identity identity, boolean endpoint) {
    int slot = table.add(identity);
    Set<Long> affected = new HashSet<>();
    for (Cached c : candidates(identity)) {
      if (!c.selector.selects(identity)) {
        continue;
      }
      c.selection.set(slot);
      for (CompiledRule r : c.asPeer) {
        subjectsOf(r, affected);
      }
    }
    if (endpoint) {
      endpointSlots.set(slot);
      dirty.add(identity.id());
    }
    for (long subject : affected) {
      updateRemote(subject, identity);
    }
  }

  private void removeIdentity(long id) {
    Identity identity = table.get(id);
    int slot = table.slotOf(id);
    Set<Long> affected = new HashSet<>();
    for (Cached c : selectors.values()) {
      if (c.selection.get(slot)) {
        c.selection.clear(slot);
        for (CompiledRule r : c.asPeer) {
          subjectsOf(r, affected);
        }
      }
    }
    endpointSlots.clear(slot);
    policies.remove(id);
    policyVersions.remove(id);
    dirty.remove(id);
    table.remove(id);
    for (long subject : affected) {
      if (subject != id) {
        IdentityPolicy p = policies.get(subject);
        if (p != null && !dirty.contains(subject)) {
          p.ingress().clear(identity.id());
          p.egress().clear(identity.id());
          touched(subject);
        }
      }
    }
  }

  private void subjectsOf(CompiledRule r, Set<Long> out) {
    BitSet sel = subject(r).selection;
    for (int s = sel.nextSetBit(0); s >= 0; s = sel.nextSetBit(s + 1)) {
      if (endpointSlots.get(s)) {
        out.add(table.atSlot(s).id());
      }
    }
  }

  /** Rebuilds one remote's terms in a subject's policy; a pending full recompute makes it moot. */
  private void updateRemote(long subject, Identity remote) {
    IdentityPolicy p = policies.get(subject);
    if (p == null || dirty.contains(subject)) {
      return;
    }
    int slot = table.slotOf(remote.id());
    for (Direction d : Direction.values()) {
      rebuildRemote(p.direction(d), p.rules(), d, remote.id(), slot);
    }
    touched(subject);
  }

  /**
   * {@link #rebuildRemote} for several remotes (and any peer when {@code any}), walking the rules once:
   * each remote still gets its terms in rule order.
   */
  private void rebuildRemotes(
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
      Cached[][] resolvedPeers = peersOf(r, d);
      for (int k = 0; k < terms.size(); k++) {
        Term t = terms.get(k);
        if (any && t.wildcardPeer()) {
          dp.add(ReservedIdentity.ANY, t);
        }
        Cached[] peers = resolvedPeers != null ? resolvedPeers[k] : peers(t);
        for (int i = 0; i < slots.length; i++) {
          for (Cached c : peers) {
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

  /** What {@link #recompute} adds after the rules' terms for one remote: the local host's implicit allow. */
  private static void addImplicit(DirectionPolicy dp, Direction d, long remote) {
    if (d == Direction.INGRESS && remote == ReservedIdentity.HOST.id() && dp.enforcing()) {
      dp.add(remote, ALLOW_LOCALHOST);
    }
  }

  /**
   * Rebuilds the terms for one remote in one direction of a policy from its (sorted) selecting rules, as
   * {@link #recompute} would: {@code slot} -1 stands for any peer (remote 0), which wildcard terms name.
   */
  private void rebuildRemote(DirectionPolicy dp, List<CompiledRule> selecting, Direction d, long remote, int slot) {
    dp.clear(remote);
    for (CompiledRule r : selecting) {
      List<Term> terms = r.terms(d);
      if (terms.isEmpty()) {
        continue;
      }
      Cached[][] resolvedPeers = peersOf(r, d);
      for (int k = 0; k < terms.size(); k++) {
        Term t = terms.get(k);
        boolean applies;
        if (slot < 0) {
          applies = t.wildcardPeer();
        } else {
          applies = false;
          for (Cached c : resolvedPeers != null ? resolvedPeers[k] : peers(t)) {
            if (c.selection.get(slot)) {
              applies = true;
              break;
            }
          }
        }
        if (applies) {
          dp.add(remote, t);
        }
      }
    }
    addImplicit(dp, d, remote);
  }

  private Cached subject(CompiledRule r) {
    Resolved c = resolved.get(r);
    return c != null ? c.subject() : selectors.get(r.subject());
  }

  /** The cached peer selectors of each of a registered rule's terms in one direction; null if unknown. */
  private Cached[][] peersOf(CompiledRule r, Direction d) {
    Resolved c = resolved.get(r);
    return c == null ? null : c.peers()[d.ordinal()];
  }

  private Cached[] peers(Term t) {
    Cached[] peers = peersOf.get(t);
    if (peers == null) {
      peers = new Cached[t.peers().size()];
      for (int i = 0; i < peers.length; i++) {
        peers[i] = selectors.get(t.peers().get(i));
      }
    }
    return peers;
  }

  /** Computes one identity's policy from scratch. */
  private void recompute(long id) {
    regenerations++;
    int slot = table.slotOf(id);
    List<CompiledRule> selecting = new ArrayList<>();
    for (Cached c : subjectSelectors) {
      if (c.selection.get(slot)) {
        selecting.addAll(c.asSubject);
      }
    }
    selecting.sort(RULE_ORDER);
    DirectionPolicy ingress = new DirectionPolicy(selecting.stream().anyMatch(r -> r.ingressDefaultDeny()));
    DirectionPolicy egress = new DirectionPolicy(selecting.stream().anyMatch(r -> r.egressDefaultDeny()));
    for (CompiledRule r : selecting) {
      fill(ingress, r.ingress(), peersOf(r, Direction.INGRESS));
      fill(egress, r.egress(), peersOf(r, Direction.EGRESS));
    }
    addImplicit(ingress, Direction.INGRESS, ReservedIdentity.HOST.id());
    policies.put(id, new IdentityPolicy(id, List.copyOf(selecting), ingress, egress));
    touched(id);
  }

  private void touched(long id) {
    policyVersions.put(id, ++policyVersionCounter);
  }

  /**
   * A number that changes whenever the identity's policy may have changed (recomputed, updated in place,
   * a remote added or removed), so that a listener can tell which identities' rule maps to render again
   * without rendering them; 0 for an identity without policy. Rule maps also resolve named ports against
   * pods: see {@link #namedPortsVersion()}.
   */
  public long policyVersion(long identity) {
    return policyVersions.getOrDefault(identity, 0L);
  }

  /**
   * A number that changes whenever an endpoint with named ports was added, removed or changed: egress
   * rule maps of any identity resolve named ports against their peers' pods.
   */
  public long namedPortsVersion() {
    return namedPortsVersion;
  }

  private void fill(DirectionPolicy dp, List<Term> terms, Cached[][] resolvedPeers) {
    for (int k = 0; k < terms.size(); k++) {
      Term t = terms.get(k);
      if (t.wildcardPeer()) {
        dp.add(ReservedIdentity.ANY, t);
      }
      Cached[] cached = resolvedPeers != null ? resolvedPeers[k] : peers(t);
      BitSet peers;
      if (cached.length == 1) {
        peers = cached[0].selection;
      } else {
        peers = new BitSet();
        for (Cached c : cached) {
          peers.or(c.selection);
        }
      }
      for (int s = peers.nextSetBit(0); s >= 0; s = peers.nextSetBit(s + 1)) {
        dp.add(table.atSlot(s).id(), t);
      }
    }
  }

  // ------------------------------------------------------------------ queries

  public IdentityPolicy policy(long identity) {
    return policies.get(identity);
  }

  public Map<Long, IdentityPolicy> policies() {
    return java.util.Collections.unmodifiableMap(policies);
  }

  public Identity identity(long id) {
    return table.get(id);
  }

  public Collection<Identity> identities() {
    return table.all();
  }

  public Endpoint endpoint(Endpoint.Key key) {
    return endpoints.get(key);
  }

  public Collection<Endpoint> endpoints() {
    return endpoints.values();
  }

  public Identity identityOf(Endpoint.Key key) {
    Long id = endpointIdentity.get(key);
    return id == null ? null : table.get(id);
  }

  public Set<Endpoint.Key> endpointsWithIdentity(long id) {
    return endpointsByIdentity.getOrDefault(id, Set.of());
  }

  /** The endpoint with this IP, if any. */
  public Endpoint endpointByIp(String ip) {
    Endpoint.Key k = endpointByIp.get(ip);
    return k == null ? null : endpoints.get(k);
  }

  /**
   * The identity an address has in the IP cache: its pod's, else the CIDR identity of the longest
   * prefix a rule names that contains it, else world.
   */
  public Identity identityForAddress(String ip) {
    Endpoint e = endpointByIp(ip);
    if (e != null) {
      return identityOf(e.key());
    }
    byte[] addr = CidrPrefix.parseAddress(ip, ip);
    CidrPrefix best = null;
    for (CidrPrefix p : cidrIdentity.keySet()) {
      if (p.contains(addr) && (best == null || p.length() > best.length())) {
        best = p;
      }
    }
    return best == null ? table.get(ReservedIdentity.WORLD.id()) : table.get(cidrIdentity.get(best));
  }

  /** Every CIDR prefix rules name, with its identity: what the datapath's IP cache needs besides pods. */
  public Map<CidrPrefix, Long> cidrIdentities() {
    return java.util.Collections.unmodifiableMap(cidrIdentity);
  }

  /**
   * Decides one direction for a new connection at {@code subject}: ingress from {@code remote}, or
   * egress to it. Named ports resolve against the subject's own ports on ingress and against the
   * ports of the remote identity's pods on egress.
   */
  public Verdict decide(Endpoint subject, Direction d, Identity remote, Protocol p, int port) {
    Identity self = identityOf(subject.key());
    IdentityPolicy ip = policies.get(self.id());
    DirectionPolicy dp = ip == null ? new DirectionPolicy(false) : ip.direction(d);
    if (d == Direction.INGRESS) {
      return dp.decide(remote.id(), p, port, subject::hasNamedPort);
    }
    return dp.decide(
        remote.id(),
        p,
        port,
        (name, proto, n) -> peers(remote.id()).anyMatch(e -> e.hasNamedPort(name, proto, n)),
        (name, proto, n) -> peers(ReservedIdentity.ANY).anyMatch(e -> e.hasNamedPort(name, proto, n)));
  }

  /** The pods of an identity whose named ports resolve egress rules; for any peer (0), every pod. */
  private java.util.stream.Stream<Endpoint> peers(long identity) {
    if (identity == ReservedIdentity.ANY) {
      return endpoints.values().stream();
    }
    return endpointsByIdentity.getOrDefault(identity, Set.of()).stream().map(endpoints::get);
  }

  /**
   * The rule map of one endpoint in one direction, named ports resolved: on ingress against the
   * endpoint's own container ports, on egress against the ports of the remote identity's pods.
   */
  public RuleMap ruleMap(Endpoint.Key key, Direction d) {
    Endpoint self = endpoints.get(key);
    Identity identity = identityOf(key);
    if (self == null || identity == null) {
      throw new IllegalArgumentException("no endpoint " + key);
    }
    IdentityPolicy ip = policies.get(identity.id());
    DirectionPolicy dp = ip == null ? new DirectionPolicy(false) : ip.direction(d);
    List<RuleMapEntry> out = new ArrayList<>();
    if (!dp.enforcing()) {
      out.add(new RuleMapEntry(ReservedIdentity.ANY, Protocol.ANY, 0, 65535, RuleMapEntry.Action.ALLOW, null, Set.of()));
    }
    for (Map.Entry<Long, List<Term>> e : dp.byRemote().entrySet()) {
      long remote = e.getKey();
      for (Term t : e.getValue()) {
        RuleMapEntry.Action action =
            t.deny() ? RuleMapEntry.Action.DENY : t.http() == null ? RuleMapEntry.Action.ALLOW : RuleMapEntry.Action.REDIRECT;
        Set<PolicyRef> from = Set.of(t.origin());
        List<PortSpec> specs = t.ports() == null ? List.of(PortSpec.ALL) : t.ports();
        for (PortSpec s : specs) {
          if (!s.isNamed()) {
            out.add(new RuleMapEntry(remote, s.protocol(), s.from(), s.to(), action, t.http(), from));
            continue;
          }
          java.util.stream.Stream<Endpoint> owners = d == Direction.INGRESS ? java.util.stream.Stream.of(self) : peers(remote);
          owners
              .flatMap(o -> o.namedPorts().stream())
              .filter(np -> np.name().equalsIgnoreCase(s.namedPort()) && s.protocol().covers(np.protocol()))
              .map(np -> np.port())
              .distinct()
              .forEach(n -> out.add(new RuleMapEntry(remote, s.protocol(), n, n, action, t.http(), from)));
        }
      }
    }
    return RuleMap.of(dp.enforcing(), out);
  }

  /** Notes about rule fields parsed but not enforced, per policy. */
  public Map<PolicyRef, List<String>> notEnforced() {
    Map<PolicyRef, List<String>> out = new TreeMap<>();
    rules.forEach(
        (ref, rs) -> {
          List<String> notes = new ArrayList<>();
          rs.forEach(r -> notes.addAll(r.notEnforced()));
          if (!notes.isEmpty()) {
            out.put(ref, notes);
          }
        });
    return out;
  }
}
