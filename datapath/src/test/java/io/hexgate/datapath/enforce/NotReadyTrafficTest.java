package io.hexgate.datapath.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.bpf.Tc;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.datapath.netns.TcpProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * No pod interface is ever unfiltered: a pod created while its node's agent cannot reach the operator, or
 * after its agent rejected a revision, drops all its traffic (203, counted, reported as a flow) until its
 * endpoint's policy arrives, and then passes exactly what that policy allows. Real TCP between pods in
 * network namespaces, the real {@link NodeAgent}, a scripted operator. Root only.
 *
 * <pre>
 *   node n1: deathstar 10.0.1.10 (empire), xwing 10.0.1.11 (alliance); later tiefighter 10.0.1.12 (empire,
 *            set up by the CNI path), rogue 10.0.1.13 (veth made by someone else), late 10.0.1.14
 * </pre>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotReadyTrafficTest {
  private static final String PREFIX = "hga-nr-";
  private static final Duration DENIED = Duration.ofMillis(800);
  private static final Duration ALLOWED = Duration.ofSeconds(3);
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final long ID_HOST = 1;
  private static final long ID_XWING = 1001;
  private static final long ID_TIEFIGHTER = 1002;
  private static final long ID_DEATHSTAR = 1003;

  private static ClusterNetwork net;
  private static NodeNetwork n1;
  private static PodNetwork deathstar;
  private static PodNetwork xwing;
  private static PodNetwork tiefighter;
  private static final List<AutoCloseable> servers = new ArrayList<>();
  private static final Map<String, NetNsThread> in = new HashMap<>();
  private static ScriptedOperator operator;
  private static Server grpcServer;
  private static ManagedChannel channel;
  private static NodeAgent agent;

  @BeforeAll
  static void setUp() throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the not-ready datapath test: " + why));
    net = ClusterNetwork.create(PREFIX);
    n1 = net.addNode("n1", 1);
    deathstar = n1.addPod("default", "deathstar", "10.0.1.10");
    xwing = n1.addPod("default", "xwing", "10.0.1.11");
    for (PodNetwork p : List.of(deathstar, xwing)) {
      in.put(p.name(), p.enter());
      servers.add(EchoServer.start(p, 80));
    }
    in.put(n1.name(), n1.enter());
    String name = InProcessServerBuilder.generateName();
    operator = new ScriptedOperator();
    grpcServer = InProcessServerBuilder.forName(name).addService(operator).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    operator.publish(n1.netns(), state(false));
    agent =
        NodeAgent.start(
            new NodeAgent.Config(n1.netns(), n1.netns(), n1.pinDir(), List.of(n1.uplink()), 0, NodeAgent.Mode.BPF),
            channel);
    assertThat(agent.datapath().enforcesInKernel()).isTrue();
    assertThat(awaitAck().getOk()).isTrue();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    for (AutoCloseable s : servers) {
      s.close();
    }
    in.values().forEach(NetNsThread::close);
    if (channel != null) {
      channel.shutdownNow();
      grpcServer.shutdownNow();
    }
    if (net != null) {
      net.close();
    }
  }

  // ------------------------------------------------------------------------------------------ state

  private static EndpointKey key(String name) {
    return EndpointKey.newBuilder().setNamespace("default").setName(name).build();
  }

  private static RuleMapEntry allow(long identity, Protocol proto, int from, int to) {
    return RuleMapEntry.newBuilder().setRemoteIdentity(identity).setProtocol(proto).setPortFrom(from).setPortTo(to)
        .setAction(Action.ACTION_ALLOW).build();
  }

  private static RuleMap allowAll() {
    return RuleMap.newBuilder().setEnforcing(false).addEntries(allow(0, Protocol.PROTOCOL_ANY, 0, 65535)).build();
  }

  private static EndpointState endpoint(String name, String ip, long identity, RuleMap ingress) {
    return EndpointState.newBuilder()
        .setKey(key(name))
        .setIp(ip)
        .setIdentity(Identity.newBuilder().setId(identity))
        .setIngress(ingress)
        .setEgress(allowAll())
        .build();
  }

  /**
   * deathstar and xwing; with {@code withTiefighter} also tiefighter, and the deathstar's ingress then
   * admits only the empire (tiefighter) on TCP 80.
   */
  private static StateUpdate.Builder state(boolean withTiefighter) {
    StateUpdate.Builder u = StateUpdate.newBuilder();
    RuleMap deathstarIngress =
        withTiefighter
            ? RuleMap.newBuilder().setEnforcing(true).addEntries(allow(ID_HOST, Protocol.PROTOCOL_ANY, 0, 65535))
                .addEntries(allow(ID_TIEFIGHTER, Protocol.PROTOCOL_TCP, 80, 80)).build()
            : allowAll();
    u.addUpsertEndpoints(endpoint("deathstar", deathstar.ip(), ID_DEATHSTAR, deathstarIngress));
    u.addUpsertEndpoints(endpoint("xwing", xwing.ip(), ID_XWING, allowAll()));
    u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(deathstar.ip() + "/32").setIdentity(ID_DEATHSTAR));
    u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(xwing.ip() + "/32").setIdentity(ID_XWING));
    u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(n1.nodeIp() + "/32").setIdentity(ID_HOST));
    if (withTiefighter) {
      u.addUpsertEndpoints(endpoint("tiefighter", tiefighter.ip(), ID_TIEFIGHTER, allowAll()));
      u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(tiefighter.ip() + "/32").setIdentity(ID_TIEFIGHTER));
    }
    return u;
  }

  private static Ack awaitAck() {
    await().atMost(WAIT).until(() -> operator.ack(n1.netns(), operator.revision(n1.netns())) != null);
    return operator.ack(n1.netns(), operator.revision(n1.netns()));
  }

  private static Outcome connect(PodNetwork from, String ip, int port, Duration timeout) throws Exception {
    return TcpProbe.attempt(in.get(from.name()), ip, port, timeout);
  }

  /** The pod as the CNI sets it up: the node agent's pinned not_ready on both hooks before the veth is up. */
  private static PodNetwork podThroughCni(String name, String ip) throws Exception {
    PodNetwork p = n1.addPod("default", name, ip, ifname -> NotReadyFilter.attachPinned(n1.pinDir(), NetNs.ifIndex(ifname)));
    started(p);
    return p;
  }

  private static void started(PodNetwork p) throws Exception {
    in.put(p.name(), p.enter());
    servers.add(EchoServer.start(p, 80));
  }

  /** Whether both hooks of the pod's host-side interface carry a Hexgate filter now. */
  private static boolean filtered(PodNetwork p) throws Exception {
    return in.get(n1.name()).call(() -> {
      int ifindex = NetNs.ifIndex(p.hostSide());
      return ifindex != 0
          && Tc.query(ifindex, Tc.Hook.INGRESS, TcAttachments.HANDLE, TcAttachments.PRIORITY).isPresent()
          && Tc.query(ifindex, Tc.Hook.EGRESS, TcAttachments.HANDLE, TcAttachments.PRIORITY).isPresent();
    });
  }

  /** What a CNI outside the agent reads as "the pod's datapath is in force". */
  private static boolean lifted(PodNetwork p) throws Exception {
    return in.get(n1.name()).call(() -> NotReadyFilter.lifted(NetNs.ifIndex(p.hostSide())));
  }

  private static long notReadyDrops(int direction) {
    return ((BpfDatapath) agent.datapath()).readCounters().packets()[MetricsValue.metricsSlot(DropReasons.DROP_EP_NOT_READY, direction)];
  }

  // ------------------------------------------------------------------------------------------ tests

  @Test
  @Order(1)
  void aPodCreatedWhileItsAgentIsDisconnectedDropsUntilItsPolicyArrivesThenPassesAsPolicySays() throws Exception {
    operator.disconnectAll();
    await().atMost(WAIT).until(() -> !agent.client().connected() || !operator.connected(n1.netns()));

    tiefighter = podThroughCni("tiefighter", "10.0.1.12");
    assertThat(filtered(tiefighter)).as("filters on tiefighter's interface from the moment it exists").isTrue();
    assertThat(lifted(tiefighter)).as("not_ready is what it carries").isFalse();
    long egressBefore = notReadyDrops(Directions.DIR_EGRESS);
    long ingressBefore = notReadyDrops(Directions.DIR_INGRESS);
    // without a filter both would be answered: the deathstar's ingress allows everything so far
    assertThat(connect(tiefighter, deathstar.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);
    assertThat(connect(deathstar, tiefighter.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);
    assertThat(notReadyDrops(Directions.DIR_EGRESS)).as("not-ready drops of what tiefighter sent").isGreaterThan(egressBefore);
    assertThat(notReadyDrops(Directions.DIR_INGRESS)).as("not-ready drops of what was sent to tiefighter").isGreaterThan(ingressBefore);

    // a veth someone else made, with no filter: the agent's next pass puts not_ready on it
    PodNetwork rogue = n1.addPod("default", "rogue", "10.0.1.13");
    started(rogue);
    await().atMost(Duration.ofSeconds(5)).until(() -> filtered(rogue));
    assertThat(connect(rogue, deathstar.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);
    // still disconnected: the pinned not_ready stayed, nothing the agent did let tiefighter through
    assertThat(agent.client().connected()).isFalse();
    assertThat(connect(tiefighter, deathstar.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    // the operator returns with tiefighter's endpoint and a policy for the deathstar
    operator.publish(n1.netns(), state(true));
    long revision = operator.revision(n1.netns());
    operator.serve();
    await().atMost(WAIT).until(() -> operator.revision(n1.netns()) > revision && awaitAck().getOk());
    assertThat(lifted(tiefighter)).as("its endpoint's own filters replaced not_ready").isTrue();
    assertThat(connect(tiefighter, deathstar.ip(), 80, ALLOWED)).isEqualTo(Outcome.ANSWERED);
    assertThat(connect(deathstar, tiefighter.ip(), 80, ALLOWED)).isEqualTo(Outcome.ANSWERED);
    assertThat(connect(xwing, deathstar.ip(), 80, DENIED)).as("policy still judges").isEqualTo(Outcome.TIMED_OUT);
    // rogue has no endpoint in the state: not_ready keeps dropping it
    assertThat(filtered(rogue)).isTrue();
    assertThat(lifted(rogue)).isFalse();
    assertThat(connect(rogue, deathstar.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    // the drops became flows, reason 203, once the agent could send them
    await().atMost(WAIT).until(() -> operator.flows.stream().anyMatch(f -> notReady(f, tiefighter.ip())));
    await().atMost(WAIT).until(() -> operator.flows.stream().anyMatch(f -> notReady(f, "10.0.1.13")));
  }

  private static boolean notReady(Flow f, String source) {
    return f.getVerdict() == Verdict.VERDICT_DROPPED && f.getDropReason() == DropReasons.DROP_EP_NOT_READY
        && f.getSourceIp().equals(source);
  }

  @Test
  @Order(2)
  void aPodCreatedAfterTheAgentRejectedARevisionDropsUntilAGoodOneArrives() throws Exception {
    // a prefix the agent cannot write: it NACKs and keeps its previous state
    StateUpdate.Builder bad = state(true);
    bad.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.1.300/32").setIdentity(ID_XWING));
    operator.publish(n1.netns(), bad);
    assertThat(awaitAck().getOk()).isFalse();

    PodNetwork late = n1.addPod("default", "late", "10.0.1.14");
    started(late);
    await().atMost(Duration.ofSeconds(5)).until(() -> filtered(late));
    assertThat(connect(late, deathstar.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);
    assertThat(lifted(late)).as("a rejected revision lifts nothing").isFalse();
    assertThat(connect(tiefighter, deathstar.ip(), 80, ALLOWED)).as("the last good state stays").isEqualTo(Outcome.ANSWERED);

    StateUpdate.Builder good = state(true);
    good.addUpsertEndpoints(endpoint("late", late.ip(), ID_TIEFIGHTER, allowAll()));
    good.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(late.ip() + "/32").setIdentity(ID_TIEFIGHTER));
    operator.publish(n1.netns(), good);
    assertThat(awaitAck().getOk()).isTrue();
    assertThat(connect(late, deathstar.ip(), 80, ALLOWED)).isEqualTo(Outcome.ANSWERED);
  }

  @Test
  @Order(3)
  void theCniFailsAPodClosedOnANodeWhoseAgentPinnedNoNotReadyProgram() throws Exception {
    java.nio.file.Path nowhere = n1.pinDir().resolveSibling(PREFIX + "no-agent");
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
            n1.addPod("default", "orphan", "10.0.1.15", ifname -> NotReadyFilter.attachPinned(nowhere, NetNs.ifIndex(ifname))))
        .hasMessageContaining("no not_ready_to_pod program pinned at " + nowhere)
        .hasMessageContaining("must not come up unfiltered");
    assertThat(n1.pods()).noneMatch(p -> p.name().equals("orphan"));
    assertThat(in.get(n1.name()).call(() -> NetNs.ifIndex(io.hexgate.contract.PodInterfaces.hostSide("default", "orphan"))))
        .as("the half-made veth is gone").isZero();
  }
}
