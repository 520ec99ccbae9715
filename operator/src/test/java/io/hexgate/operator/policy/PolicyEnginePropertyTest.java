package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The engine's answers depend only on the cluster's state, not on how it got there: (a) verdicts and
 * per-identity policies do not change when namespaces, pods and policies arrive in another order, and
 * (b) after a random sequence of incremental changes they equal those of a fresh engine built from the
 * final state in one batch. Identity numbers differ between engines, so identities are compared by
 * their labels. Along the way, every endpoint's rendered {@link RuleMap} must decide as the engine.
 */
class PolicyEnginePropertyTest {

  // ================================================================== the cluster model

  static final List<String> NAMESPACES = List.of("a", "b", "c");

  record Ns(String name, Map<String, String> labels) {}

  record Pod(String ns, String name, String ip, Map<String, String> labels, Integer httpPort) {
    Endpoint endpoint() {
      List<Endpoint.NamedPort> ports =
          httpPort == null ? List.of() : List.of(new Endpoint.NamedPort("http", httpPort, Protocol.TCP));
      return new Endpoint(ns, name, ip, labels, null, null, ports);
    }

    Endpoint.Key key() {
      return new Endpoint.Key(ns, name);
    }

    @Override
    public String toString() {
      return ns + "/" + name + " " + ip + " " + labels + (httpPort == null ? "" : " http=" + httpPort);
    }
  }

  /** A policy object: kind CNP, CCNP or KNP, and the YAML body of its spec. */
  record Policy(String kind, String ns, String name, String spec) {
    PolicyRef ref() {
      return switch (kind) {
        case "CNP" -> PolicyRef.cnp(ns, name);
        case "CCNP" -> PolicyRef.ccnp(name);
        default -> PolicyRef.knp(ns, name);
      };
    }

    @Override
    public String toString() {
      return "\n--- " + ref() + "\n" + spec;
    }
  }

  /** A whole cluster: every namespace of {@link #NAMESPACES}, pods and policies (one per ref). */
  record Cluster(List<Ns> namespaces, List<Pod> pods, List<Policy> policies) {}

  // ================================================================== applying to an engine

  sealed interface Event permits NsUpsert, PodUpsert, PodDelete, PolicyUpsert, PolicyDelete {}

  record NsUpsert(Ns ns) implements Event {}

  record PodUpsert(Pod pod) implements Event {}

  record PodDelete(Endpoint.Key key) implements Event {}

  record PolicyUpsert(Policy policy) implements Event {}

  record PolicyDelete(PolicyRef ref) implements Event {}

  static void apply(PolicyEngine e, Event ev) {
    if (ev instanceof NsUpsert n) {
      e.upsertNamespace(n.ns().name(), n.ns().labels());
    } else if (ev instanceof PodUpsert p) {
      e.upsertEndpoint(p.pod().endpoint());
    } else if (ev instanceof PodDelete d) {
      e.deleteEndpoint(d.key());
    } else if (ev instanceof PolicyUpsert p) {
      List<Rule> rules = rules(p.policy());
      e.upsertPolicy(p.policy().ref(), rules, rules.stream().map(r -> "spec").toList());
    } else if (ev instanceof PolicyDelete d) {
      e.deletePolicy(d.ref());
    }
  }

  /** Parses, validates (a generator bug otherwise) and, for a NetworkPolicy, translates. */
  static List<Rule> rules(Policy p) {
    if (p.kind().equals("KNP")) {
      String manifest =
          "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + p.name() + ", namespace: "
              + p.ns() + "}\nspec:\n" + p.spec().indent(2);
      NetworkPolicy np = Serialization.unmarshal(manifest, NetworkPolicy.class);
      assertThat(NetworkPolicyTranslator.validate(np)).as("generated %s", p).isEmpty();
      return NetworkPolicyTranslator.translate(np);
    }
    Rule rule = Serialization.unmarshal(p.spec(), Rule.class);
    assertThat(RuleValidator.validatePolicy(rule, null, p.kind().equals("CCNP"))).as("generated %s", p).isEmpty();
    return List.of(rule);
  }

  static List<Event> events(Cluster c) {
    List<Event> out = new ArrayList<>();
    c.namespaces().forEach(n -> out.add(new NsUpsert(n)));
    c.pods().forEach(p -> out.add(new PodUpsert(p)));
    c.policies().forEach(p -> out.add(new PolicyUpsert(p)));
    return out;
  }

  /** A fresh engine given the whole cluster in one batch. */
  static PolicyEngine fresh(Cluster c) {
    PolicyEngine e = new PolicyEngine();
    e.batch(() -> events(c).forEach(ev -> apply(e, ev)));
    return e;
  }

  // ================================================================== what is compared

  static final List<ClusterFixture.PortProto> PORTS =
      List.of(
          new ClusterFixture.PortProto(80, Protocol.TCP),
          new ClusterFixture.PortProto(85, Protocol.TCP),
          new ClusterFixture.PortProto(8080, Protocol.TCP),
          new ClusterFixture.PortProto(9999, Protocol.TCP),
          new ClusterFixture.PortProto(53, Protocol.UDP),
          new ClusterFixture.PortProto(80, Protocol.SCTP),
          new ClusterFixture.PortProto(8, Protocol.ICMP));

  static final List<String> WORLD_IPS =
      List.of("8.8.8.8", "8.8.4.4", "8.9.9.9", "10.9.9.9", "192.168.1.5", "192.168.1.200", "1.1.1.1");

  static final List<HttpRequest> REQUESTS =
      List.of(new HttpRequest("GET", "/a/1", null), new HttpRequest("POST", "/b", null), new HttpRequest("GET", "/", null));

  static String summary(Verdict v) {
    if (v instanceof Verdict.Denied d) {
      return "deny" + d.reason().code();
    }
    if (v instanceof Verdict.Redirected r) {
      return "l7" + REQUESTS.stream().map(q -> r.allows(q) ? "+" : "-").collect(Collectors.joining());
    }
    return ((Verdict.Allowed) v).enforcing() ? "allow" : "open";
  }

  /** Egress at the source and ingress at the destination, for every pod pair, world address and port. */
  static Map<String, String> verdicts(PolicyEngine e) {
    Map<String, String> out = new TreeMap<>();
    List<Endpoint> pods = new ArrayList<>(e.endpoints());
    Map<String, Identity> remotes = new LinkedHashMap<>();
    for (Endpoint p : pods) {
      remotes.put(p.key().toString(), e.identityOf(p.key()));
    }
    for (String ip : WORLD_IPS) {
      remotes.put("ip:" + ip, e.identityForAddress(ip));
    }
    remotes.put("host", e.identity(ReservedIdentity.HOST.id()));
    remotes.put("remote-node", e.identity(ReservedIdentity.REMOTE_NODE.id()));
    for (Endpoint self : pods) {
      for (Map.Entry<String, Identity> r : remotes.entrySet()) {
        for (ClusterFixture.PortProto pp : PORTS) {
          String k = self.key() + " " + r.getKey() + " " + pp.port() + "/" + pp.protocol();
          out.put(k + " egress", summary(e.decide(self, Direction.EGRESS, r.getValue(), pp.protocol(), pp.port())));
          out.put(k + " ingress", summary(e.decide(self, Direction.INGRESS, r.getValue(), pp.protocol(), pp.port())));
        }
      }
    }
    return out;
  }

  /** One direction of one identity's policy, with remote identities named by their labels. */
  record DirectionView(boolean enforcing, Map<String, List<Term>> byRemote) {}

  record PolicyView(List<CompiledRule> rules, DirectionView ingress, DirectionView egress) {}

  /** PolicyEngine.policies() keyed by the subject identity's labels instead of its number. */
  static Map<String, PolicyView> policies(PolicyEngine e) {
    Map<String, PolicyView> out = new TreeMap<>();
    e.policies()
        .forEach(
            (id, p) ->
                out.put(
                    name(e, id),
                    new PolicyView(p.rules(), view(e, p.ingress()), view(e, p.egress()))));
    return out;
  }

  private static DirectionView view(PolicyEngine e, DirectionPolicy dp) {
    Map<String, List<Term>> byRemote = new TreeMap<>();
    dp.byRemote().forEach((remote, terms) -> byRemote.put(name(e, remote), terms));
    return new DirectionView(dp.enforcing(), byRemote);
  }

  private static String name(PolicyEngine e, long id) {
    if (id == ReservedIdentity.ANY) {
      return "any";
    }
    Identity i = e.identity(id);
    return i == null ? "MISSING identity " + id : i.labels().toString();
  }

  /** Every endpoint's rendered rule maps decide as the engine does, for every remote and port tried. */
  static void assertRuleMapsDecideAsTheEngine(PolicyEngine e) {
    List<Identity> remotes = new ArrayList<>(e.identities());
    WORLD_IPS.forEach(ip -> remotes.add(e.identityForAddress(ip)));
    for (Endpoint self : e.endpoints()) {
      for (Direction d : Direction.values()) {
        RuleMap map = e.ruleMap(self.key(), d);
        for (Identity remote : remotes) {
          for (ClusterFixture.PortProto pp : PORTS) {
            assertThat(summary(map.lookup(remote.id(), pp.protocol(), pp.port())))
                .as("rule map of %s %s for %s on %s/%s", self.key(), d, remote, pp.port(), pp.protocol())
                .isEqualTo(summary(e.decide(self, d, remote, pp.protocol(), pp.port())));
          }
        }
      }
    }
  }

  static void assertSameAnswers(PolicyEngine actual, PolicyEngine expected) {
    assertThat(policies(actual)).isEqualTo(policies(expected));
    assertThat(verdicts(actual)).isEqualTo(verdicts(expected));
    assertThat(new java.util.HashSet<>(actual.cidrIdentities().keySet())).isEqualTo(new java.util.HashSet<>(expected.cidrIdentities().keySet()));
  }

  // ================================================================== (a) order

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void shouldGiveTheSameAnswersWhateverTheOrderObjectsArriveIn(@ForAll("clusters") Cluster cluster, @ForAll Random random) {
    PolicyEngine ordered = fresh(cluster);
    List<Event> shuffled = new ArrayList<>(events(cluster));
    Collections.shuffle(shuffled, random);
    PolicyEngine arrived = new PolicyEngine();
    // Some runs of events in a batch, the others one by one.
    int i = 0;
    while (i < shuffled.size()) {
      int n = 1 + random.nextInt(3);
      List<Event> run = shuffled.subList(i, Math.min(shuffled.size(), i + n));
      if (random.nextBoolean()) {
        arrived.batch(() -> run.forEach(ev -> apply(arrived, ev)));
      } else {
        run.forEach(ev -> apply(arrived, ev));
      }
      i += n;
    }
    assertSameAnswers(arrived, ordered);
    assertRuleMapsDecideAsTheEngine(ordered);
  }

  // ================================================================== (b) incremental changes

  /** One change, resolved against the current state when applied. */
  sealed interface Change permits RelabelPod, DeletePod, AddPod, UpsertPolicy, DeletePolicy, RelabelNamespace {}

  record RelabelPod(int index, Map<String, String> labels, Integer httpPort) implements Change {}

  record DeletePod(int index) implements Change {}

  record AddPod(Pod pod) implements Change {}

  record UpsertPolicy(Policy policy) implements Change {}

  record DeletePolicy(int index) implements Change {}

  record RelabelNamespace(String ns, Map<String, String> labels) implements Change {}

  /** A change and whether it joins the previous change's batch. */
  record Step(Change change, boolean batchedWithPrevious) {}

  /** The state changes apply to; produces the engine event of each change. */
  static final class State {
    final Map<String, Ns> namespaces = new TreeMap<>();
    final Map<Endpoint.Key, Pod> pods = new LinkedHashMap<>();
    final Map<PolicyRef, Policy> policies = new LinkedHashMap<>();
    int added;

    State(Cluster c) {
      c.namespaces().forEach(n -> namespaces.put(n.name(), n));
      c.pods().forEach(p -> pods.put(p.key(), p));
      c.policies().forEach(p -> policies.put(p.ref(), p));
    }

    Event resolve(Change c) {
      if (c instanceof RelabelPod r && !pods.isEmpty()) {
        Pod old = new ArrayList<>(pods.values()).get(r.index() % pods.size());
        Pod p = new Pod(old.ns(), old.name(), old.ip(), r.labels(), r.httpPort());
        pods.put(p.key(), p);
        return new PodUpsert(p);
      }
      if (c instanceof DeletePod d && !pods.isEmpty()) {
        Endpoint.Key k = new ArrayList<>(pods.keySet()).get(d.index() % pods.size());
        pods.remove(k);
        return new PodDelete(k);
      }
      if (c instanceof AddPod a) {
        added++;
        Pod p = new Pod(a.pod().ns(), "new" + added, "10.0.1." + added, a.pod().labels(), a.pod().httpPort());
        pods.put(p.key(), p);
        return new PodUpsert(p);
      }
      if (c instanceof UpsertPolicy u) {
        policies.put(u.policy().ref(), u.policy());
        return new PolicyUpsert(u.policy());
      }
      if (c instanceof DeletePolicy d && !policies.isEmpty()) {
        PolicyRef ref = new ArrayList<>(policies.keySet()).get(d.index() % policies.size());
        policies.remove(ref);
        return new PolicyDelete(ref);
      }
      if (c instanceof RelabelNamespace r) {
        Ns n = new Ns(r.ns(), r.labels());
        namespaces.put(n.name(), n);
        return new NsUpsert(n);
      }
      return null; // nothing to delete or relabel
    }

    Cluster cluster() {
      return new Cluster(
          new ArrayList<>(namespaces.values()), new ArrayList<>(pods.values()), new ArrayList<>(policies.values()));
    }
  }

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void shouldEndWhereAFreshEngineStartsAfterIncrementalChanges(
      @ForAll("clusters") Cluster cluster, @ForAll("steps") List<Step> steps) {
    PolicyEngine engine = fresh(cluster);
    State state = new State(cluster);
    List<List<Event>> groups = new ArrayList<>();
    for (Step s : steps) {
      Event ev = state.resolve(s.change());
      if (ev == null) {
        continue;
      }
      if (!s.batchedWithPrevious() || groups.isEmpty()) {
        groups.add(new ArrayList<>());
      }
      groups.get(groups.size() - 1).add(ev);
    }
    PolicySnapshot first = engine.snapshot();
    Map<String, RuleMap> firstMaps = ruleMaps(first);
    for (List<Event> g : groups) {
      Consumer<Event> a = ev -> apply(engine, ev);
      if (g.size() == 1) {
        a.accept(g.get(0));
      } else {
        engine.batch(() -> g.forEach(a));
      }
      engine.snapshot(); // the next snapshot shares what did not change since this one
    }
    assertSameAnswers(engine, fresh(state.cluster()));
    assertThat(ruleMaps(first)).as("a snapshot taken before the changes").isEqualTo(firstMaps);
    Map<String, RuleMap> live = new TreeMap<>();
    engine.endpoints().forEach(ep -> live.putAll(ruleMaps(ep.key(), engine::ruleMap)));
    assertThat(ruleMaps(engine.snapshot())).as("a snapshot taken after them").isEqualTo(live);
  }

  /** Every endpoint's rule maps in both directions, by endpoint and direction. */
  static Map<String, RuleMap> ruleMaps(PolicySnapshot s) {
    Map<String, RuleMap> out = new TreeMap<>();
    s.endpoints().forEach(ep -> out.putAll(ruleMaps(ep.key(), s::ruleMap)));
    return out;
  }

  private static Map<String, RuleMap> ruleMaps(Endpoint.Key key, java.util.function.BiFunction<Endpoint.Key, Direction, RuleMap> render) {
    Map<String, RuleMap> out = new TreeMap<>();
    for (Direction d : Direction.values()) {
      out.put(key + " " + d, render.apply(key, d));
    }
    return out;
  }

  // ================================================================== generators: the cluster

  static Arbitrary<Map<String, String>> podLabels() {
    return Arbitraries.maps(Arbitraries.of("app", "tier", "role"), Arbitraries.of("x", "y")).ofMaxSize(3);
  }

  static Arbitrary<Map<String, String>> namespaceLabels() {
    return Arbitraries.maps(Arbitraries.of("team", "env"), Arbitraries.of("x", "y")).ofMaxSize(2);
  }

  static Arbitrary<Integer> httpPort() {
    return Arbitraries.of(80, 8080).injectNull(0.4);
  }

  static Arbitrary<Pod> podTemplate() {
    return Combinators.combine(Arbitraries.of(NAMESPACES), podLabels(), httpPort())
        .as((ns, labels, port) -> new Pod(ns, "template", "0.0.0.0", labels, port));
  }

  @Provide
  Arbitrary<Cluster> clusters() {
    Arbitrary<List<Ns>> namespaces =
        namespaceLabels().list().ofSize(NAMESPACES.size())
            .map(ls -> {
              List<Ns> out = new ArrayList<>();
              for (int i = 0; i < ls.size(); i++) {
                out.add(new Ns(NAMESPACES.get(i), ls.get(i)));
              }
              return out;
            });
    Arbitrary<List<Pod>> pods =
        podTemplate().list().ofMinSize(2).ofMaxSize(6)
            .map(ts -> {
              List<Pod> out = new ArrayList<>();
              for (int i = 0; i < ts.size(); i++) {
                Pod t = ts.get(i);
                out.add(new Pod(t.ns(), "p" + i, "10.0.0." + (i + 1), t.labels(), t.httpPort()));
              }
              return out;
            });
    Arbitrary<List<Policy>> policies =
        policy().list().ofMinSize(1).ofMaxSize(5)
            .map(ps -> {
              Map<PolicyRef, Policy> byRef = new LinkedHashMap<>();
              ps.forEach(p -> byRef.put(p.ref(), p));
              return new ArrayList<>(byRef.values());
            });
    return Combinators.combine(namespaces, pods, policies).as(Cluster::new);
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Change> change =
        Arbitraries.frequencyOf(
            Tuple.of(3, Combinators.combine(Arbitraries.integers().between(0, 20), podLabels(), httpPort()).as(RelabelPod::new)),
            Tuple.of(1, Arbitraries.integers().between(0, 20).map(DeletePod::new)),
            Tuple.of(1, podTemplate().map(AddPod::new)),
            Tuple.of(3, policy().map(UpsertPolicy::new)),
            Tuple.of(2, Arbitraries.integers().between(0, 20).map(DeletePolicy::new)),
            Tuple.of(2, Combinators.combine(Arbitraries.of(NAMESPACES), namespaceLabels()).as(RelabelNamespace::new)));
    return Combinators.combine(change, Arbitraries.of(false, false, true)).as(Step::new).list().ofMinSize(1).ofMaxSize(12);
  }

  // ================================================================== generators: policies

  static Arbitrary<Policy> policy() {
    Arbitrary<String> names = Arbitraries.of("p1", "p2");
    return Arbitraries.frequencyOf(
        Tuple.of(3, Combinators.combine(Arbitraries.of(NAMESPACES), names, ciliumRule(false)).as((ns, n, s) -> new Policy("CNP", ns, n, s))),
        Tuple.of(2, Combinators.combine(names, ciliumRule(true)).as((n, s) -> new Policy("CCNP", null, n, s))),
        Tuple.of(2, Combinators.combine(Arbitraries.of(NAMESPACES), names, networkPolicy()).as((ns, n, s) -> new Policy("KNP", ns, n, s))));
  }

  /** A Cilium label selector in flow YAML; peers may also name namespaces or reserved labels. */
  static Arbitrary<String> selector(boolean peer) {
    Arbitrary<List<String>> matchLabels =
        Combinators.combine(Arbitraries.of("app", "tier", "role"), Arbitraries.of("x", "y"), Arbitraries.of("", "k8s:"))
            .as((k, v, source) -> new String[] {k, "\"" + source + k + "\": \"" + v + "\""})
            .list().ofMaxSize(2).uniqueElements(kv -> kv[0])
            .map(l -> l.stream().map(kv -> kv[1]).toList());
    Arbitrary<String> expression =
        Combinators.combine(Arbitraries.of("app", "tier", "role"), Arbitraries.of("In", "NotIn", "Exists", "DoesNotExist"), Arbitraries.of("x", "y"))
            .as((k, op, v) -> "{key: " + k + ", operator: " + op + (op.endsWith("In") ? ", values: [" + v + "]" : "") + "}");
    Arbitrary<String> scope =
        peer
            ? Arbitraries.frequency(
                Tuple.of(6, ""),
                Tuple.of(1, "\"k8s:io.kubernetes.pod.namespace\": a"),
                Tuple.of(1, "\"io.kubernetes.pod.namespace\": b"),
                Tuple.of(1, "\"k8s:io.cilium.k8s.namespace.labels.team\": x"),
                Tuple.of(1, "\"reserved:host\": \"\""))
            : Arbitraries.just("");
    return Combinators.combine(matchLabels, expression.list().ofMaxSize(1), scope, Arbitraries.of(false, true))
        .as((labels, exprs, sc, nsExists) -> {
          List<String> ml = new ArrayList<>(labels);
          if (!sc.isEmpty()) {
            ml.add(sc);
          }
          List<String> ex = new ArrayList<>(exprs);
          if (peer && nsExists && sc.isEmpty()) {
            ex.add("{key: io.kubernetes.pod.namespace, operator: Exists}");
          }
          List<String> parts = new ArrayList<>();
          if (!ml.isEmpty()) {
            parts.add("matchLabels: {" + String.join(", ", ml) + "}");
          }
          if (!ex.isEmpty()) {
            parts.add("matchExpressions: [" + String.join(", ", ex) + "]");
          }
          return "{" + String.join(", ", parts) + "}";
        });
  }

  static Arbitrary<String> cidrPeer(String prefix) {
    Arbitrary<String> cidr = Arbitraries.of("8.8.8.0/24", "8.8.0.0/16", "10.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24", "8.8.8.8/32");
    Arbitrary<String> cidrSet =
        Arbitraries.of(
            "{cidr: 8.8.0.0/16, except: [8.8.8.0/24]}",
            "{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}",
            "{cidr: 192.168.0.0/16, except: [192.168.1.0/25]}",
            "{cidr: 8.8.8.0/24}");
    return Arbitraries.oneOf(
        cidr.list().ofMinSize(1).ofMaxSize(2).uniqueElements().map(l -> prefix + "CIDR: [" + String.join(", ", l) + "]"),
        cidrSet.list().ofMinSize(1).ofMaxSize(2).uniqueElements().map(l -> prefix + "CIDRSet: [" + String.join(", ", l) + "]"));
  }

  /** The L3 part of a rule element, or "" for none. */
  static Arbitrary<String> l3(boolean ingress) {
    String dir = ingress ? "from" : "to";
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.just("")),
        Tuple.of(4, selector(true).list().ofMinSize(1).ofMaxSize(2).map(l -> dir + "Endpoints: [" + String.join(", ", l) + "]")),
        Tuple.of(2, Arbitraries.subsetOf("world", "cluster", "host", "all", "remote-node", "none").ofMinSize(1).ofMaxSize(2)
            .map(s -> dir + "Entities: [" + String.join(", ", new java.util.TreeSet<>(s)) + "]")),
        Tuple.of(2, cidrPeer(dir)));
  }

  /** One PortProtocol; returns the YAML and whether L7 rules may go with it (TCP, not port 0). */
  static Arbitrary<String[]> portProtocol() {
    Arbitrary<String> port =
        Arbitraries.of("\"80\"", "\"80\", endPort: 90", "\"8080\"", "\"8080\", endPort: 8090", "\"53\"", "\"0\"", "http");
    Arbitrary<String> protocol = Arbitraries.of("TCP", "TCP", "UDP", "SCTP", "ANY", "");
    return Combinators.combine(port, protocol)
        .as((p, proto) -> new String[] {
          "{port: " + p + (proto.isEmpty() ? "" : ", protocol: " + proto) + "}",
          String.valueOf(proto.equals("TCP") && !p.equals("\"0\""))
        });
  }

  /** The L4 part of a rule element ("" for none): toPorts (allow rules may carry HTTP rules) or icmps. */
  static Arbitrary<String> l4(boolean allow) {
    Arbitrary<String> toPorts =
        Combinators.combine(portProtocol().list().ofMinSize(1).ofMaxSize(2), Arbitraries.of(false, true), Arbitraries.of(
                "[{method: GET}]", "[{path: \"/a/.*\"}, {method: POST, path: /b}]", "[{}]", "[{method: GET, path: /}]"))
            .as((ports, l7, http) -> {
              boolean l7Ok = ports.stream().allMatch(p -> p[1].equals("true"));
              String list = ports.stream().map(p -> p[0]).collect(Collectors.joining(", "));
              String rules = allow && l7 && l7Ok ? ", rules: {http: " + http + "}" : "";
              return "toPorts: [{ports: [" + list + "]" + rules + "}]";
            });
    Arbitrary<String> icmps = Arbitraries.of("icmps: [{fields: [{type: 8}]}]", "icmps: [{fields: [{type: EchoReply}, {type: 8}]}]");
    Arbitrary<String> http =
        Combinators.combine(Arbitraries.of("\"80\"", "\"80\", endPort: 90", "\"8080\"", "http"), Arbitraries.of(
                "[{method: GET}]", "[{path: \"/a/.*\"}, {method: POST, path: /b}]", "[{method: GET, path: /}]"))
            .as((port, rules) -> "toPorts: [{ports: [{port: " + port + ", protocol: TCP}], rules: {http: " + rules + "}}]");
    return allow
        ? Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just("")), Tuple.of(4, toPorts), Tuple.of(2, http), Tuple.of(1, icmps))
        : Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just("")), Tuple.of(4, toPorts), Tuple.of(1, icmps));
  }

  static Arbitrary<String> element(boolean ingress, boolean allow) {
    return Combinators.combine(l3(ingress), l4(allow))
        .as((a, b) -> "{" + Stream.of(a, b).filter(s -> !s.isEmpty()).collect(Collectors.joining(", ")) + "}");
  }

  /** A direction's list: absent, empty or one or two elements. */
  static Arbitrary<String> direction(String field, boolean ingress, boolean allow) {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.just("")),
        Tuple.of(1, Arbitraries.just(field + ": []\n")),
        Tuple.of(5, element(ingress, allow).list().ofMinSize(1).ofMaxSize(2)
            .map(l -> field + ":\n" + l.stream().map(e -> "- " + e + "\n").collect(Collectors.joining()))));
  }

  static Arbitrary<String> ciliumRule(boolean clusterwide) {
    Arbitrary<String> defaultDeny =
        Arbitraries.frequency(
            Tuple.of(6, ""),
            Tuple.of(1, "enableDefaultDeny: {ingress: false}\n"),
            Tuple.of(1, "enableDefaultDeny: {egress: false}\n"),
            Tuple.of(1, "enableDefaultDeny: {ingress: false, egress: true}\n"),
            Tuple.of(1, "enableDefaultDeny: {ingress: true}\n"));
    Arbitrary<String> subject =
        Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.just("{}")),
            Tuple.of(3, Combinators.combine(Arbitraries.of("app", "tier", "role"), Arbitraries.of("x", "y"))
                .as((k, v) -> "{matchLabels: {" + k + ": " + v + "}}")),
            Tuple.of(2, selector(false)));
    return Combinators.combine(
            subject,
            direction("ingress", true, true),
            direction("egress", false, true),
            direction("ingressDeny", true, false),
            direction("egressDeny", false, false),
            defaultDeny)
        .as((sel, in, out, inDeny, outDeny, dd) -> {
          String body = in + out + inDeny + outDeny;
          if (body.isEmpty()) {
            body = "ingress: [{}]\n"; // Cilium requires at least one direction
          }
          return "endpointSelector: " + sel + "\n" + dd + body;
        });
  }

  // ---- Kubernetes NetworkPolicy

  static Arbitrary<String> k8sSelector(boolean namespaces) {
    Arbitrary<String> key = namespaces ? Arbitraries.of("team", "env") : Arbitraries.of("app", "tier", "role");
    Arbitrary<String> value = Arbitraries.of("x", "y");
    Arbitrary<String> matchLabels =
        Combinators.combine(key, value).as((k, v) -> k + ": " + v).list().ofMaxSize(1)
            .map(l -> l.isEmpty() ? "" : "matchLabels: {" + l.get(0) + "}");
    Arbitrary<String> expression =
        Combinators.combine(key, Arbitraries.of("In", "NotIn", "Exists", "DoesNotExist", "none"), value)
            .as((k, op, v) -> op.equals("none") ? "" : "matchExpressions: [{key: " + k + ", operator: " + op
                + (op.endsWith("In") ? ", values: [" + v + "]" : "") + "}]");
    return Combinators.combine(matchLabels, expression)
        .as((ml, ex) -> "{" + Stream.of(ml, ex).filter(s -> !s.isEmpty()).collect(Collectors.joining(", ")) + "}");
  }

  static Arbitrary<String> k8sPeer() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, k8sSelector(false).map(s -> "{podSelector: " + s + "}")),
        Tuple.of(2, k8sSelector(true).map(s -> "{namespaceSelector: " + s + "}")),
        Tuple.of(2, Combinators.combine(k8sSelector(true), k8sSelector(false)).as((n, p) -> "{namespaceSelector: " + n + ", podSelector: " + p + "}")),
        Tuple.of(2, Arbitraries.of(
            "{ipBlock: {cidr: 8.8.0.0/16, except: [8.8.8.0/24]}}", "{ipBlock: {cidr: 0.0.0.0/0}}", "{ipBlock: {cidr: 192.168.1.0/24}}")));
  }

  static Arbitrary<String> k8sRule(String peers) {
    Arbitrary<String> port =
        Arbitraries.of("{port: 80}", "{port: 80, endPort: 90}", "{port: 8080, protocol: TCP}", "{port: http}", "{protocol: UDP}", "{port: 53, protocol: UDP}");
    return Combinators.combine(k8sPeer().list().ofMaxSize(2), port.list().ofMaxSize(2))
        .as((ps, pts) -> {
          List<String> parts = new ArrayList<>();
          if (!ps.isEmpty()) {
            parts.add(peers + ": [" + String.join(", ", ps) + "]");
          }
          if (!pts.isEmpty()) {
            parts.add("ports: [" + String.join(", ", pts) + "]");
          }
          return "{" + String.join(", ", parts) + "}";
        });
  }

  static Arbitrary<String> k8sDirection(String field, String peers) {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.just("")),
        Tuple.of(1, Arbitraries.just(field + ": []\n")),
        Tuple.of(4, k8sRule(peers).list().ofMinSize(1).ofMaxSize(2).map(l -> field + ": [" + String.join(", ", l) + "]\n")));
  }

  static Arbitrary<String> networkPolicy() {
    Arbitrary<String> types = Arbitraries.of("", "policyTypes: [Ingress]\n", "policyTypes: [Egress]\n", "policyTypes: [Ingress, Egress]\n");
    return Combinators.combine(k8sSelector(false), types, k8sDirection("ingress", "from"), k8sDirection("egress", "to"))
        .as((sel, t, in, out) -> "podSelector: " + sel + "\n" + t + in + out);
  }
}
