package io.hexgate.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.ChangeNotificationType;
import io.hexgate.contract.hubble.peer.NotifyRequest;
import io.hexgate.contract.hubble.peer.PeerGrpc;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.enforce.ScriptedOperator;
import io.hexgate.datapath.enforce.TwinDatapath;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.observer.buffer.FlowRing;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent with the Java datapath: what runs where eBPF cannot; it works anywhere, root or not. Its Hubble
 * port answers {@code peer.Peer} as a Cilium agent's does, so that a stock hubble-relay pointed at the
 * {@code hubble-peer} Service finds every node.
 */
class NodeAgentTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final ScriptedOperator operator = new ScriptedOperator();
  private Server server;
  private ManagedChannel channel;
  private NodeAgent agent;
  private ManagedChannel hubble;
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private PrintStream savedErr;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(operator).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    savedErr = System.err;
    System.setErr(new PrintStream(stderr, true));
    try {
      ObserveOptions observe = new ObserveOptions(freePort(), FlowRing.DEFAULT_CAPACITY, null, "", 0, null);
      agent = NodeAgent.start(
          new NodeAgent.Config("node-j", null, null, List.of("eth0"), 0, NodeAgent.Mode.JAVA).withObserve(observe), channel);
    } finally {
      System.setErr(savedErr);
    }
    hubble = NettyChannelBuilder.forAddress("127.0.0.1", agent.observer().port()).usePlaintext().build();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @AfterEach
  void stop() {
    hubble.shutdownNow();
    agent.close();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private static EndpointState endpoint(String name, String ip) {
    return EndpointState.newBuilder()
        .setKey(EndpointKey.newBuilder().setNamespace("default").setName(name))
        .setIp(ip)
        .setIdentity(Identity.newBuilder().setId(1001))
        .setEgress(io.hexgate.contract.v1.RuleMap.newBuilder()
            .addEntries(io.hexgate.contract.v1.RuleMapEntry.newBuilder().setPortTo(65535)))
        .build();
  }

  private Ack publish(StateUpdate.Builder u) {
    // an update published before the agent's Hello would race its snapshot
    await().atMost(WAIT).until(() -> !operator.hellos.isEmpty());
    long revision = operator.publish("node-j", u);
    await().atMost(WAIT).until(() -> operator.ack("node-j", revision) != null);
    return operator.ack("node-j", revision);
  }

  @Test
  void saysLoudlyThatNothingIsEnforcedInTheKernel() {
    assertThat(agent.datapath()).isInstanceOf(TwinDatapath.class);
    assertThat(agent.datapath().enforcesInKernel()).isFalse();
    assertThat(agent.datapath().describe()).contains("NOT enforcing in the kernel");
    assertThat(stderr.toString()).contains("TRAFFIC IS NOT ENFORCED IN THE KERNEL").contains("--datapath java");
  }

  @Test
  void tellsTheOperatorInItsHelloAndEveryAckThatTheKernelDoesNotEnforce() {
    await().atMost(WAIT).until(() -> !operator.hellos.isEmpty());
    assertThat(operator.hellos).allSatisfy(h -> {
      assertThat(h.getEnforcing()).isFalse();
      assertThat(h.getNotEnforcingReason()).contains("Java datapath").contains("--datapath java");
    });
    Ack ack = publish(StateUpdate.newBuilder()
        .addUpsertEndpoints(endpoint("web", "10.0.0.1").toBuilder()
            .setIngress(io.hexgate.contract.v1.RuleMap.newBuilder().setEnforcing(true))));
    assertThat(ack.getOk()).isTrue();
    assertThat(ack.getEnforcing()).isFalse();
    assertThat(ack.getNotEnforcingReason()).contains("Java datapath");
    // its policy enforces ingress, but nothing judges its packets: the metric counts it as not enforced
    assertThat(agent.metrics().scrape())
        .contains("cilium_policy_endpoint_enforcement_status{enforcement=\"none\"} 1.0")
        .contains("cilium_policy_endpoint_enforcement_status{enforcement=\"ingress\"} 0.0");
  }

  @Test
  void appliesAndAcknowledgesRevisionsWithTheKernelsValidation() {
    Ack ok = publish(StateUpdate.newBuilder()
        .addUpsertEndpoints(endpoint("web", "10.0.0.1"))
        .addUpsertEndpoints(endpoint("bad", "10.0.0.300"))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.0.1/32").setIdentity(1001)));
    assertThat(ok.getOk()).isTrue();
    assertThat(ok.getEndpointsList()).singleElement().satisfies(e -> {
      assertThat(e.getEndpoint().getName()).isEqualTo("bad");
      assertThat(e.getError()).contains("endpoint default/bad").contains("10.0.0.300");
    });
    TwinDatapath twin = (TwinDatapath) agent.datapath();
    assertThat(twin.contents().endpoints()).hasSize(1);
    // the twin judges frames with the applied maps: web's egress allows all, its ingress has no entry
    byte[] out = Packets.tcp(Packets.ip(10, 0, 0, 1), Packets.ip(10, 0, 0, 9), 40000, 80, Packets.TCP_SYN);
    assertThat(twin.twin().fromPod(out, twin.ifindexOf(EndpointKey.newBuilder().setNamespace("default").setName("web").build()))
        .reason()).isZero();
    byte[] in = Packets.tcp(Packets.ip(10, 0, 0, 9), Packets.ip(10, 0, 0, 1), 40001, 80, Packets.TCP_SYN);
    assertThat(twin.twin().toPod(in).reason()).isEqualTo(133);
    assertThat(agent.metrics().scrape()).contains("cilium_drop_count_total{direction=\"INGRESS\",reason=\"Policy denied\"} 1.0");

    Ack nack = publish(StateUpdate.newBuilder()
        .addUpsertEndpoints(endpoint("web", "10.0.0.1"))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.0.0/40").setIdentity(1001)));
    assertThat(nack.getOk()).isFalse();
    assertThat(nack.getError()).contains("10.0.0.0/40");
    assertThat(agent.client().state().endpoints()).hasSize(2); // the previous revision stays
  }

  private static IpcacheEntry.Builder entry(String prefix, long identity) {
    return IpcacheEntry.newBuilder().setPrefix(prefix).setIdentity(identity);
  }

  /** Notifications of one Notify call, as they arrive. */
  private BlockingQueue<ChangeNotification> watchPeers() {
    BlockingQueue<ChangeNotification> out = new LinkedBlockingQueue<>();
    PeerGrpc.newStub(hubble).notify(NotifyRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(ChangeNotification n) {
        out.add(n);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    return out;
  }

  private static List<ChangeNotification> take(BlockingQueue<ChangeNotification> q, int n) throws InterruptedException {
    List<ChangeNotification> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ChangeNotification next = q.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(next).as("notification %d of %d, after %s", i + 1, n, out).isNotNull();
      out.add(next);
    }
    return out;
  }

  private static ChangeNotification notification(ChangeNotificationType type, String name, String address) {
    return ChangeNotification.newBuilder().setType(type).setName(name).setAddress(address).build();
  }

  @Test
  void announcesEveryNodeOfTheAppliedStateThenEachChange() throws Exception {
    assertThat(publish(StateUpdate.newBuilder()
        .addUpsertIpcache(entry("172.31.0.11/32", 1).setNodeName("node-j"))
        .addUpsertIpcache(entry("172.31.0.12/32", 6).setNodeName("node-k"))
        .addUpsertIpcache(entry("198.51.100.12/32", 6))
        .addUpsertIpcache(entry("10.0.2.11/32", 300).setNamespace("default").setPodName("xwing"))).getOk()).isTrue();

    BlockingQueue<ChangeNotification> peers = watchPeers();
    assertThat(take(peers, 2)).containsExactly(
        notification(ChangeNotificationType.PEER_ADDED, "node-j", "172.31.0.11"),
        notification(ChangeNotificationType.PEER_ADDED, "node-k", "172.31.0.12"));

    // node-k leaves, node-l joins (a snapshot: the operator's answer to a reconnecting agent)
    long revision = publish(StateUpdate.newBuilder()
        .addUpsertIpcache(entry("172.31.0.11/32", 1).setNodeName("node-j"))
        .addUpsertIpcache(entry("172.31.0.13/32", 6).setNodeName("node-l"))).getRevision();
    assertThat(take(peers, 2)).containsExactly(
        notification(ChangeNotificationType.PEER_DELETED, "node-k", "172.31.0.12"),
        notification(ChangeNotificationType.PEER_ADDED, "node-l", "172.31.0.13"));

    // node-l's InternalIP changes: a delta resends its old address unnamed and names its new one
    operator.send("node-j", StateUpdate.newBuilder()
        .setEpoch(agent.client().state().epoch()).setBaseRevision(revision).setRevision(revision + 1)
        .addUpsertIpcache(entry("172.31.0.13/32", 6))
        .addUpsertIpcache(entry("172.31.0.23/32", 6).setNodeName("node-l"))
        .build());
    assertThat(take(peers, 1)).containsExactly(notification(ChangeNotificationType.PEER_UPDATED, "node-l", "172.31.0.23"));

    // revisions that name the same nodes tell nothing
    operator.send("node-j", StateUpdate.newBuilder()
        .setEpoch(agent.client().state().epoch()).setBaseRevision(revision + 1).setRevision(revision + 2)
        .addUpsertIpcache(entry("10.0.2.12/32", 300))
        .build());
    await().atMost(WAIT).until(() -> agent.client().state().revision() == revision + 2);
    assertThat(peers.poll(200, TimeUnit.MILLISECONDS)).isNull();

    // a client that connects now hears the nodes there are
    assertThat(take(watchPeers(), 2)).containsExactly(
        notification(ChangeNotificationType.PEER_ADDED, "node-j", "172.31.0.11"),
        notification(ChangeNotificationType.PEER_ADDED, "node-l", "172.31.0.23"));
  }
}
