package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.policy.PolicyRef;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.ManagedChannel;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.contract.testing.TestingAgent;
import io.hexgate.operator.node.TlsAgentPort;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.policy.api.PolicyStatus;
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
  private static final PolicyRef WEB_INGRESS = PolicyRef.cnp("default", "web-ingress");

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private final MutableClock clock = new MutableClock();
  private final List<HexgateOperator> replicas = new ArrayList<>();
  private final Map<String, Set<PolicyRef>> seen = new ConcurrentHashMap<>();
  private final Map<String, TlsAgentPort> ports = new ConcurrentHashMap<>();
  private final Map<String, NodeStateHub> hubs = new ConcurrentHashMap<>();
  private final List<TestingAgent> agents = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void close() {
    agents.forEach(TestingAgent::disconnect);
    channels.forEach(ManagedChannel::shutdownNow);
    ports.values().forEach(TlsAgentPort::close);
    replicas.forEach(HexgateOperator::stop);
    api.close();
  }

  /**
   * A replica as {@code hexgate operator} runs it: node state, policy status and an agent port over
   * mutual TLS that serves agents only while this replica leads.
   */
  private HexgateOperator replicaServingAgents(String name) {
    HexgateOperator op = replica(name);
    hubs.put(name, op.nodes());
    ports.put(name, new TlsAgentPort(op.agentService()));
    return op;
  }

  /** An agent given every replica's address, trying them in turn until one serves it. */
  private TestingAgent agent(String node) {
    List<ManagedChannel> both =
        ports.values().stream().map(p -> TlsAgentPort.channel(p.port(), node)).toList();
    channels.addAll(both);
    TestingAgent a = new TestingAgent(node).connectInTurn(both);
    agents.add(a);
    return a;
  }

  private HexgateOperator replica(String name) {
    return replica(name, false);
  }

  private HexgateOperator replica(String name, boolean exitOnLostLeadership) {
    HexgateOperator op =
        HexgateOperator.create(
            TestOperator.config(api.client(), clock)
                .lease("kube-system", LEASE, Duration.ofMillis(1500), Duration.ofMillis(250), name, exitOnLostLeadership)
                .build());
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

  /**
   * A leader told to stop (SIGTERM's shutdown hook does that in {@code hexgate operator}) stops leading but
   * does not exit the process on that account: an exit from inside the shutdown hook would block for good, so
   * the pod would only end at SIGKILL, its grace period later. Were it to exit, this test's JVM would end.
   */
  @Test
  void shouldStopALeaderThatExitsOnLostLeadershipWithoutExiting() {
    HexgateOperator a = replica("a", true);
    a.start();
    await().atMost(Duration.ofSeconds(10)).until(a::isLeader);

    a.stop();

    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void shouldBringPolicyChangesToTheAgentsAndStatusAfterTheOtherReplicaTakesOver() {
    HexgateOperator a = replicaServingAgents("a");
    HexgateOperator b = replicaServingAgents("b");
    a.start();
    b.start();
    kube.resource(HexgateOperatorTest.pod("default", "web", "10.0.0.1", Map.of("app", "web"))).create();
    Pod other = HexgateOperatorTest.pod("default", "other", "10.0.0.2", Map.of("app", "other"));
    other.getSpec().setNodeName("node-2");
    kube.resource(other).create();
    kube.resource(HexgateOperatorTest.cnp("web-ingress", "web", "80")).create();
    TestingAgent node1 = agent("node-1");
    TestingAgent node2 = agent("node-2");

    await().atMost(Duration.ofSeconds(10)).until(() -> a.isLeader() || b.isLeader());
    HexgateOperator leader = a.isLeader() ? a : b;
    HexgateOperator follower = leader == a ? b : a;
    String leaderName = leader == a ? "a" : "b";
    String followerName = leader == a ? "b" : "a";
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              assertThat(node1.epoch).isEqualTo(hubs.get(leaderName).epoch());
              assertThat(ingressPorts(node1)).containsExactly(80);
              assertThat(statusOf("web-ingress").observedGeneration).isEqualTo(1L);
              assertThat(statusOf("web-ingress").nodes.get("node-1").localPolicyRevision).isEqualTo(node1.applied);
            });
    assertThat(follower.statusWriter().writes()).isZero();

    leader.stop();
    ports.get(leaderName).close(); // the process is gone: so is its agent port
    long died = System.nanoTime();
    await().atMost(LEASE.multipliedBy(3)).until(follower::isLeader);
    assertThat(Duration.ofNanos(System.nanoTime() - died)).isLessThan(LEASE.plusMillis(1500));

    // the new leader writes the policy's status meanwhile: a change made on an older version is refused
    // (409), and made again on the current one, as kubectl would
    await().atMost(Duration.ofSeconds(10)).ignoreException(KubernetesClientException.class).until(() -> {
      CiliumNetworkPolicy v2 = kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("web-ingress").get();
      v2.getSpec().ingress.get(0).toPorts.get(0).ports.get(0).port = "8080";
      kube.resource(v2).update();
      return true;
    });

    NodeStateHub hub = hubs.get(followerName);
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              // the agents moved to the new leader (a new epoch: a snapshot) and ACKed its latest revision
              assertThat(node1.epoch).isEqualTo(hub.epoch());
              assertThat(node2.epoch).isEqualTo(hub.epoch());
              assertThat(ingressPorts(node1)).containsExactly(8080);
              assertThat(node1.applied).isEqualTo(hub.find("node-1").current().revision());
              assertThat(node2.applied).isEqualTo(hub.find("node-2").current().revision());
              PolicyStatus s = statusOf("web-ingress");
              assertThat(s.observedGeneration).isEqualTo(2L);
              assertThat(s.enforcement.nodes).isEqualTo("1/1");
              assertThat(s.nodes).containsOnlyKeys("node-1");
              assertThat(s.nodes.get("node-1").enforcing).isTrue();
              assertThat(s.nodes.get("node-1").localPolicyRevision).isEqualTo(node1.applied);
              assertThat(s.conditions)
                  .anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo("Enforced");
                    assertThat(c.getStatus()).isEqualTo("True");
                  });
            });
    assertThat(follower.statusWriter().writes()).isPositive();
    assertThat(seen.get(followerName)).contains(WEB_INGRESS);
  }

  /**
   * A new leader's engine starts empty and fills as its first reconciles run: until it holds every object
   * its informers hold, it serves agents nothing, so no agent ever gets a snapshot that leaves out its
   * pods (which would take their filters' policy away). Every snapshot an agent gets, from either leader,
   * is complete and holds all of its node's pods.
   */
  @Test
  void shouldServeAgentsOfANewLeaderOnlyOnceItsEngineHoldsWhatItsInformersHold() {
    int pods = 40;
    for (int i = 0; i < pods; i++) {
      kube.resource(HexgateOperatorTest.pod("default", "web-" + i, "10.0.0." + (10 + i), Map.of("app", "web"))).create();
    }
    kube.resource(HexgateOperatorTest.cnp("web-ingress", "web", "80")).create();
    HexgateOperator a = replicaServingAgents("a");
    HexgateOperator b = replicaServingAgents("b");
    TestingAgent node1 = agent("node-1");
    a.start();
    b.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> a.isLeader() || b.isLeader());
    HexgateOperator leader = a.isLeader() ? a : b;
    HexgateOperator follower = leader == a ? b : a;
    String leaderName = leader == a ? "a" : "b";
    String followerName = leader == a ? "b" : "a";
    await().atMost(Duration.ofSeconds(15)).until(() -> node1.epoch.equals(hubs.get(leaderName).epoch()) && node1.endpoints.size() == pods);

    leader.stop();
    ports.get(leaderName).close();
    await().atMost(LEASE.multipliedBy(3)).until(follower::isLeader);
    await().atMost(Duration.ofSeconds(20)).until(() -> node1.epoch.equals(hubs.get(followerName).epoch()));

    List<StateUpdate> snapshots = node1.updates.stream().filter(StateUpdate::getSnapshot).toList();
    assertThat(snapshots).extracting(StateUpdate::getEpoch)
        .contains(hubs.get(leaderName).epoch(), hubs.get(followerName).epoch());
    assertThat(snapshots).allSatisfy(u -> {
      assertThat(u.getComplete()).as("snapshot %d@%s is complete", u.getRevision(), u.getEpoch()).isTrue();
      assertThat(u.getUpsertEndpointsCount()).as("pods in snapshot %d@%s", u.getRevision(), u.getEpoch()).isEqualTo(pods);
      assertThat(u.getUpsertEndpointsList()).as("policy in snapshot %d@%s", u.getRevision(), u.getEpoch())
          .allMatch(e -> e.getIngress().getEnforcing());
    });
    assertThat(node1.endpoints).hasSize(pods);
  }

  private PolicyStatus statusOf(String name) {
    CiliumNetworkPolicy p = kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName(name).get();
    assertThat(p.getStatus()).isNotNull();
    return p.getStatus();
  }

  /** The ports node-1's agent enforces on web's ingress. */
  private static List<Integer> ingressPorts(TestingAgent agent) {
    EndpointState web = agent.endpoints.get("default/web");
    assertThat(web).isNotNull();
    return web.getIngress().getEntriesList().stream()
        .filter(e -> e.getPortFrom() != 0)
        .map(e -> e.getPortFrom())
        .distinct()
        .toList();
  }
}
