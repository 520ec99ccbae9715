package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.policy.PolicyRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two replicas share one Lease: one writes, and the other takes over within the lease when it dies. */
class LeaderElectionTest {
  static final Duration LEASE = Duration.ofSeconds(2);

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private final MutableClock clock = new MutableClock();
  private final List<HexgateOperator> replicas = new ArrayList<>();
  private final Map<String, Set<PolicyRef>> seen = new ConcurrentHashMap<>();

  @AfterEach
  void close() {
    replicas.forEach(HexgateOperator::stop);
    api.close();
  }

  private HexgateOperator replica(String name) {
    OperatorConfig config =
        OperatorConfig.defaults()
            .withLease("kube-system", LEASE, Duration.ofMillis(1500), Duration.ofMillis(250), name, false);
    HexgateOperator op = new HexgateOperator(config, api.client(), clock);
    Set<PolicyRef> refs = ConcurrentHashMap.newKeySet();
    seen.put(name, refs);
    op.addListener((engine, nodes) -> refs.addAll(engine.policyRefs()));
    replicas.add(op);
    return op;
  }

  private String holder() {
    Lease l = kube.leases().inNamespace("kube-system").withName(OperatorConfig.DEFAULT_LEASE_NAME).get();
    return l == null ? null : l.getSpec().getHolderIdentity();
  }

  @Test
  void shouldLetTheOtherReplicaTakeOverWithinTheLeaseWhenTheLeaderDies() {
    HexgateOperator a = replica("a");
    HexgateOperator b = replica("b");
    a.start();
    b.start();
    kube.resource(HexgateOperatorTest.pod("default", "web", "10.0.0.1", Map.of("app", "web"))).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> holder() != null && (a.isLeader() || b.isLeader()));
    HexgateOperator leader = a.isLeader() ? a : b;
    HexgateOperator follower = leader == a ? b : a;
    String followerName = leader == a ? "b" : "a";
    assertThat(follower.isLeader()).isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> kube.resources(CiliumEndpoint.class).inNamespace("default").withName("web").get() != null);
    // Only the leader allocates and writes: the follower's engine has seen nothing.
    int followerEndpoints = follower.engine().read(e -> e.endpoints().size());
    assertThat(followerEndpoints).isZero();

    leader.stop();
    long died = System.nanoTime();

    await().atMost(LEASE.multipliedBy(3)).until(follower::isLeader);
    assertThat(Duration.ofNanos(System.nanoTime() - died)).isLessThan(LEASE.plusMillis(1500));
    assertThat(holder()).isEqualTo(followerName);

    kube.resource(HexgateOperatorTest.cnp("web-ingress", "web", "80")).create();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(seen.get(followerName)).contains(PolicyRef.cnp("default", "web-ingress"));
              CiliumEndpoint cep = kube.resources(CiliumEndpoint.class).inNamespace("default").withName("web").get();
              assertThat(cep.getStatus().policy.ingress.state).isEqualTo("enforcing");
            });
    long identity = kube.resources(CiliumEndpoint.class).inNamespace("default").withName("web").get().getStatus().identity.id;
    assertThat(identity).isEqualTo(256);
  }
}
