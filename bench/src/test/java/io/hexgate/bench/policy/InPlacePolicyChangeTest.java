package io.hexgate.bench.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.DirectionPolicy;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.Term;
import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Policy changes that keep each rule's subject and default-deny (a port, a peer) update the selected
 * identities in place; afterwards the engine must hold exactly what a fresh engine computes from the
 * final state, also with pods coming and going between the changes and changes inside batches.
 */
class InPlacePolicyChangeTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void inPlaceChangesEndWhereAFreshEngineStarts(long seed) {
    SyntheticCluster c = new SyntheticCluster(600, 120, 90, 12, seed);
    PolicyEngine engine = PolicyBenchmark.build(c);
    Random rng = new Random(seed);
    List<List<Rule>> current = new ArrayList<>();
    c.policies().forEach(p -> current.add(p.rules()));
    List<Endpoint> pods = new ArrayList<>(c.pods());
    for (int i = 0; i < 300; i++) {
      int op = rng.nextInt(10);
      if (op == 0) {
        // A pod with a new label set: a new identity, which policies then select or name.
        SyntheticCluster.App app = c.apps().get(rng.nextInt(c.apps().size()));
        Endpoint e = c.pod(app, c.podLabels(app, "canary-" + i), "n" + i, SyntheticCluster.podIp(100_000 + i));
        pods.add(e);
        engine.upsertEndpoint(e);
      } else if (op == 1) {
        Endpoint gone = pods.remove(rng.nextInt(pods.size()));
        engine.deleteEndpoint(gone.key());
      } else {
        int n = op == 2 ? 3 : 1;
        List<Runnable> changes = new ArrayList<>();
        for (int k = 0; k < n; k++) {
          int idx = rng.nextInt(c.policies().size());
          List<Rule> next = PolicyBenchmark.mutate(current.get(idx), c.policies().get(idx).ref(), c, rng, rng.nextBoolean());
          if (next == null) {
            continue;
          }
          current.set(idx, next);
          SyntheticCluster.Policy p = c.policies().get(idx);
          changes.add(() -> engine.upsertPolicy(p.ref(), next, p.paths()));
        }
        if (changes.size() == 1) {
          changes.get(0).run();
        } else {
          engine.batch(() -> changes.forEach(Runnable::run));
        }
      }
    }
    assertThat(engine.partialUpdates()).as("changes applied in place").isPositive();

    PolicyEngine fresh = new PolicyEngine();
    fresh.batch(
        () -> {
          c.namespaces().forEach(n -> fresh.upsertNamespace(n.name(), n.labels()));
          pods.forEach(fresh::upsertEndpoint);
          for (int i = 0; i < c.policies().size(); i++) {
            fresh.upsertPolicy(c.policies().get(i).ref(), current.get(i), c.policies().get(i).paths());
          }
        });
    assertThat(byLabels(engine)).isEqualTo(byLabels(fresh));
  }

  @org.junit.jupiter.api.Test
  void wildcardPeersAreRebuiltInPlace() {
    List<Endpoint> pods =
        List.of(
            new Endpoint("ns", "a1", "10.0.0.1", Map.of("app", "a"), null, null, null),
            new Endpoint("ns", "a2", "10.0.0.2", Map.of("app", "a", "v", "2"), null, null, null),
            new Endpoint("ns", "b1", "10.0.0.3", Map.of("app", "b"), null, null, null));
    PolicyRef ref = PolicyRef.cnp("ns", "p");
    PolicyRef other = PolicyRef.cnp("ns", "q");
    PolicyEngine engine = new PolicyEngine();
    pods.forEach(engine::upsertEndpoint);
    engine.upsertPolicy(other, List.of(rule("80", true, "53")), List.of("spec"));
    List<List<Rule>> versions =
        List.of(
            List.of(rule("80", false, "53")),
            List.of(rule("8080", false, "53")),
            List.of(rule("8080", true, "54")), // the port-only element gets a peer: no longer a wildcard
            List.of(rule("8080", false, "54")));
    long partial = engine.partialUpdates();
    for (List<Rule> v : versions) {
      engine.upsertPolicy(ref, v, List.of("spec"));
      PolicyEngine fresh = new PolicyEngine();
      pods.forEach(fresh::upsertEndpoint);
      fresh.upsertPolicy(other, List.of(rule("80", true, "53")), List.of("spec"));
      fresh.upsertPolicy(ref, v, List.of("spec"));
      assertThat(byLabels(engine)).isEqualTo(byLabels(fresh));
    }
    assertThat(engine.partialUpdates()).isGreaterThan(partial);
  }

  @org.junit.jupiter.api.Test
  void hostRemoteKeepsTheImplicitLocalhostAllow() {
    List<Endpoint> pods = List.of(new Endpoint("ns", "a1", "10.0.0.1", Map.of("app", "a"), null, null, null));
    PolicyRef ref = PolicyRef.cnp("ns", "from-host");
    PolicyEngine engine = new PolicyEngine();
    pods.forEach(engine::upsertEndpoint);
    long partial = engine.partialUpdates();
    for (String port : List.of("80", "8080", "9090")) {
      Rule r = new Rule();
      r.endpointSelector = new io.hexgate.operator.policy.api.EndpointSelector(Map.of("app", "a"), null);
      io.hexgate.operator.policy.api.IngressRule in = new io.hexgate.operator.policy.api.IngressRule();
      in.fromEntities = List.of(io.hexgate.operator.policy.api.Entity.HOST.yaml());
      in.toPorts = List.of(new io.hexgate.operator.policy.api.PortRule(
          List.of(new io.hexgate.operator.policy.api.PortProtocol(port, io.hexgate.operator.policy.api.L4Protocol.TCP)), null));
      r.ingress = List.of(in);
      engine.upsertPolicy(ref, List.of(r), List.of("spec"));
      PolicyEngine fresh = new PolicyEngine();
      pods.forEach(fresh::upsertEndpoint);
      fresh.upsertPolicy(ref, List.of(r), List.of("spec"));
      assertThat(byLabels(engine)).isEqualTo(byLabels(fresh));
    }
    assertThat(engine.partialUpdates()).isGreaterThan(partial);
  }

  /** Selects app=a; ingress on {@code port} from anyone (or from app=b), egress to all entities on {@code dns}. */
  private static Rule rule(String port, boolean withPeer, String dns) {
    Rule r = new Rule();
    r.endpointSelector = new io.hexgate.operator.policy.api.EndpointSelector(Map.of("app", "a"), null);
    io.hexgate.operator.policy.api.IngressRule open = new io.hexgate.operator.policy.api.IngressRule();
    if (withPeer) {
      open.fromEndpoints = List.of(new io.hexgate.operator.policy.api.EndpointSelector(Map.of("app", "b"), null));
    }
    open.toPorts = List.of(new io.hexgate.operator.policy.api.PortRule(
        List.of(new io.hexgate.operator.policy.api.PortProtocol(port, io.hexgate.operator.policy.api.L4Protocol.TCP)), null));
    io.hexgate.operator.policy.api.IngressRule fromB = new io.hexgate.operator.policy.api.IngressRule();
    fromB.fromEndpoints = List.of(new io.hexgate.operator.policy.api.EndpointSelector(Map.of("app", "b"), null));
    fromB.toPorts = List.of(new io.hexgate.operator.policy.api.PortRule(
        List.of(new io.hexgate.operator.policy.api.PortProtocol("81", io.hexgate.operator.policy.api.L4Protocol.TCP)), null));
    io.hexgate.operator.policy.api.EgressRule all = new io.hexgate.operator.policy.api.EgressRule();
    all.toEntities = List.of(io.hexgate.operator.policy.api.Entity.ALL.yaml());
    all.toPorts = List.of(new io.hexgate.operator.policy.api.PortRule(
        List.of(new io.hexgate.operator.policy.api.PortProtocol(dns, io.hexgate.operator.policy.api.L4Protocol.UDP)), null));
    r.ingress = List.of(open, fromB);
    r.egress = List.of(all);
    return r;
  }

  /** Every identity policy, with identities named by their labels so that numbering does not matter. */
  private static Map<String, String> byLabels(PolicyEngine e) {
    Map<Long, Labels> labels = new HashMap<>();
    for (Identity i : e.identities()) {
      labels.put(i.id(), i.labels());
    }
    Map<String, String> out = new TreeMap<>();
    e.policies().forEach(
        (id, p) -> {
          StringBuilder b = new StringBuilder();
          b.append("rules ").append(p.rules()).append('\n');
          for (Direction d : Direction.values()) {
            DirectionPolicy dp = p.direction(d);
            Map<String, List<Term>> remotes = new TreeMap<>();
            dp.byRemote().forEach((r, terms) -> remotes.put(r == 0 ? "any" : String.valueOf(labels.get(r)), terms));
            b.append(d).append(dp.enforcing() ? " enforcing " : " open ").append(remotes).append('\n');
          }
          out.put(String.valueOf(labels.get(id)), b.toString());
        });
    return out;
  }
}
