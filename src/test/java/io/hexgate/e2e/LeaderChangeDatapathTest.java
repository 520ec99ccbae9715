package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.bpf.Tc;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TrafficLoop;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.status.PolicyStatusTracker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas share a Lease; the node agents (real eBPF datapaths in node namespaces) reach
 * whichever leads, as through a Service whose readiness is leadership. The leader dies while probes run
 * every 10 ms: a new leader's engine starts empty, and an agent that reconnects to it must never get a
 * state that leaves out its pods. Throughout, no denied probe gets through, no allowed one is dropped, and
 * every pod interface of both nodes carries Hexgate's filters on both hooks (libbpf's tc query). Root only.
 */
class LeaderChangeDatapathTest {
  private static final Duration LEASE = Duration.ofSeconds(2);
  private static final Duration PROBE_EVERY = Duration.ofMillis(10);
  private static final int HANDLE = 0x4847;
  private static final int PRIORITY = 1;

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private final MutableClock clock = new MutableClock();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Map<String, HexgateOperator> replicas = new ConcurrentHashMap<>();
  private final Map<String, NodeStateHub> hubs = new ConcurrentHashMap<>();
  private final Map<String, NodeAgentService> services = new ConcurrentHashMap<>();
  private ClusterNetwork net;

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (Exception e) {
        // keep closing the rest
      }
    }
    replicas.values().forEach(HexgateOperator::stop);
    api.close();
    if (net != null) {
      net.close();
    }
  }

  /**
   * The agents' one address: hands each stream to the replica leading now, waiting for one while none
   * does (so an agent reaches a new leader the moment it leads, before its engine is filled; none after
   * 10 s: UNAVAILABLE, and the agent retries), and ends the streams of a replica that died, as its
   * process would.
   */
  private final class LeaderRoute extends NodeAgentGrpc.NodeAgentImplBase {
    private final Map<String, List<StreamObserver<OperatorMessage>>> streams = new ConcurrentHashMap<>();

    @Override
    public StreamObserver<AgentMessage> connect(StreamObserver<OperatorMessage> out) {
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < until) {
        for (Map.Entry<String, HexgateOperator> r : replicas.entrySet()) {
          if (r.getValue().isLeader()) {
            streams.computeIfAbsent(r.getKey(), k -> new CopyOnWriteArrayList<>()).add(out);
            return services.get(r.getKey()).connect(out);
          }
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      out.onError(Status.UNAVAILABLE.withDescription("no replica leads").asRuntimeException());
      return new StreamObserver<>() {
        @Override
        public void onNext(AgentMessage value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }

    void died(String replica) {
      for (StreamObserver<OperatorMessage> s : streams.getOrDefault(replica, List.of())) {
        try {
          s.onError(Status.UNAVAILABLE.withDescription("replica " + replica + " died").asRuntimeException());
        } catch (RuntimeException e) {
          // ended already
        }
      }
    }
  }

  private HexgateOperator replica(String name) {
    // agents reach it through LeaderRoute, naming their node themselves
    HexgateOperator op =
        HexgateOperator.create(
            OperatorConfig.builder(kube)
                .clock(clock)
                .lease("kube-system", LEASE, Duration.ofMillis(1500), Duration.ofMillis(250), name, false)
                .agents(new AgentEndpoint.ServedByCaller(NodeAgentService.Authentication.TRUST_CLAIM))
                .status(PolicyStatusTracker.DEFAULT_NODE_LIMIT, Duration.ofMillis(500))
                .withoutMetrics()
                .withoutRelay()
                .build());
    services.put(name, op.agentService());
    hubs.put(name, op.nodes());
    replicas.put(name, op);
    return op;
  }

  private Pod pod(PodNetwork p, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(p.namespace()).withName(p.name()).withLabels(labels).endMetadata()
        .withNewSpec().withNodeName(p.node().netns()).addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
        .withNewStatus().withPodIP(p.ip()).withPhase("Running").endStatus()
        .build();
  }

  @Test
  void anAgentReconnectingDuringALeaderChangeNeverLeavesAPodUnfilteredOrMisjudged() throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the leader-change datapath test: " + why));
    net = ClusterNetwork.create("hga-e2l-");
    NodeNetwork n1 = net.addNode("n1", 1);
    NodeNetwork n2 = net.addNode("n2", 2);
    PodNetwork deathstar = n1.addPod("default", "deathstar");
    PodNetwork xwing = n1.addPod("default", "xwing");
    PodNetwork tiefighter = n2.addPod("default", "tiefighter");
    List<PodNetwork> pods = List.of(deathstar, xwing, tiefighter);
    for (PodNetwork p : pods) {
      closing.add(EchoServer.start(p, 80));
    }
    NetNsThread fromXwing = xwing.enter();
    NetNsThread fromTiefighter = tiefighter.enter();
    Map<NodeNetwork, NetNsThread> inNode = Map.of(n1, n1.enter(), n2, n2.enter());
    closing.add(fromXwing);
    closing.add(fromTiefighter);
    closing.addAll(inNode.values());

    kube.resource(pod(deathstar, Map.of("org", "empire", "class", "deathstar"))).create();
    kube.resource(pod(xwing, Map.of("org", "alliance", "class", "xwing"))).create();
    kube.resource(pod(tiefighter, Map.of("org", "empire", "class", "tiefighter"))).create();
    CiliumNetworkPolicy rule1 =
        new ObjectMapper(new YAMLFactory())
            .readValue(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
    rule1.getMetadata().setNamespace("default");
    kube.resource(rule1).create();

    HexgateOperator a = replica("a");
    HexgateOperator b = replica("b");
    LeaderRoute route = new LeaderRoute();
    String routeName = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(routeName).addService(route).build().start();
    closing.add(server::shutdownNow);
    a.start();
    b.start();
    Map<NodeNetwork, NodeAgent> agents = new java.util.HashMap<>();
    for (NodeNetwork n : List.of(n1, n2)) {
      ManagedChannel channel = InProcessChannelBuilder.forName(routeName).build();
      closing.add(channel::shutdownNow);
      NodeAgent agent =
          NodeAgent.start(new NodeAgent.Config(n.netns(), n.netns(), n.pinDir(), List.of(n.uplink()), 0, NodeAgent.Mode.BPF), channel);
      closing.add(agent);
      agents.put(n, agent);
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> a.isLeader() || b.isLeader());
    String leader = a.isLeader() ? "a" : "b";
    String follower = leader.equals("a") ? "b" : "a";
    await().atMost(Duration.ofSeconds(30)).until(() -> inForce(agents.get(n1), hubs.get(leader), n1)
        && inForce(agents.get(n2), hubs.get(leader), n2)
        && agents.get(n1).client().state().endpoints().values().stream()
            .anyMatch(e -> e.getKey().getName().equals("deathstar") && e.getIngress().getEnforcing()));
    assertThat(TcpProbe.attempt(fromTiefighter, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromXwing, deathstar.ip(), 80, Duration.ofMillis(500))).isEqualTo(Outcome.TIMED_OUT);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger allowed = new AtomicInteger();
    AtomicInteger denied = new AtomicInteger();
    AtomicInteger filterChecks = new AtomicInteger();
    List<String> wrong = new CopyOnWriteArrayList<>();
    Duration limit = Duration.ofSeconds(60);
    List<Thread> probers = new ArrayList<>();
    probers.add(TrafficLoop.start(stop, limit, () -> {
      Outcome o = TcpProbe.attempt(fromTiefighter, deathstar.ip(), 80, Duration.ofSeconds(2));
      if (o == Outcome.ANSWERED) {
        allowed.incrementAndGet();
      } else {
        wrong.add("tiefighter → deathstar:80 (allowed): " + o);
      }
      Thread.sleep(PROBE_EVERY.toMillis());
    }));
    probers.add(TrafficLoop.start(stop, limit, () -> {
      Outcome o = TcpProbe.attempt(fromXwing, deathstar.ip(), 80, Duration.ofMillis(150));
      denied.incrementAndGet();
      if (o != Outcome.TIMED_OUT) {
        wrong.add("xwing → deathstar:80 (denied): " + o);
      }
      Thread.sleep(PROBE_EVERY.toMillis());
    }));
    probers.add(TrafficLoop.start(stop, limit, () -> {
      for (PodNetwork p : pods) {
        boolean both = inNode.get(p.node()).call(() -> {
          int ifindex = NetNs.ifIndex(p.hostSide());
          return ifindex != 0
              && Tc.query(ifindex, Tc.Hook.INGRESS, HANDLE, PRIORITY).isPresent()
              && Tc.query(ifindex, Tc.Hook.EGRESS, HANDLE, PRIORITY).isPresent();
        });
        if (!both) {
          wrong.add("no filter on " + p.hostSide() + " of " + p.name());
        }
      }
      filterChecks.incrementAndGet();
      Thread.sleep(PROBE_EVERY.toMillis());
    }));
    try {
      Thread.sleep(500);
      replicas.get(leader).stop(); // the leader's process dies: its streams end with it
      route.died(leader);
      await().atMost(LEASE.multipliedBy(4)).until(() -> replicas.get(follower).isLeader());
      await().atMost(Duration.ofSeconds(30)).until(() -> inForce(agents.get(n1), hubs.get(follower), n1)
          && inForce(agents.get(n2), hubs.get(follower), n2));
      int after = allowed.get();
      Thread.sleep(700);
      assertThat(allowed.get()).as("allowed probes after the agents moved to the new leader").isGreaterThan(after);
    } finally {
      stop.set(true);
      for (Thread t : probers) {
        t.join(10_000);
      }
    }
    assertThat(wrong).as("denied probes that got through, allowed ones dropped, moments without filters").isEmpty();
    assertThat(denied.get()).isGreaterThan(10);
    assertThat(filterChecks.get()).isGreaterThan(50);
    // what the new leader sent was whole: the agents enforce all three pods under rule1
    assertThat(agents.get(n1).client().state().endpoints()).hasSize(2);
    assertThat(agents.get(n2).client().state().endpoints()).hasSize(1);
  }

  /** Whether the node's agent applied the hub's latest revision. */
  private static boolean inForce(NodeAgent agent, NodeStateHub hub, NodeNetwork n) {
    var state = agent.client().state();
    var revisions = hub.find(n.netns());
    return revisions != null && state.epoch().equals(hub.epoch()) && state.revision() == revisions.current().revision();
  }
}
