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
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.enforce.ScriptedOperator;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.observer.buffer.FlowRing;
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
 * An agent's Hubble port answers {@code peer.Peer} as a Cilium agent's does, so that a stock hubble-relay
 * pointed at the {@code hubble-peer} Service finds every node: each node at the peer address the operator
 * names in the IP cache, this one included, then each node that joins, moves or leaves.
 */
class NodeAgentPeerServiceTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final ScriptedOperator operator = new ScriptedOperator();
  private Server server;
  private ManagedChannel channel;
  private NodeAgent agent;
  private ManagedChannel hubble;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(operator).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    ObserveOptions observe = new ObserveOptions(freePort(), FlowRing.DEFAULT_CAPACITY, null, "", 0, null);
    agent = NodeAgent.start(
        new NodeAgent.Config("node-a", null, null, List.of("eth0"), 0, NodeAgent.Mode.JAVA).withObserve(observe), channel);
    hubble = NettyChannelBuilder.forAddress("127.0.0.1", agent.observer().port()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    hubble.shutdownNow();
    agent.close();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static IpcacheEntry.Builder entry(String prefix, long identity) {
    return IpcacheEntry.newBuilder().setPrefix(prefix).setIdentity(identity);
  }

  private long publish(StateUpdate.Builder u) {
    await().atMost(WAIT).until(() -> !operator.hellos.isEmpty());
    long revision = operator.publish("node-a", u);
    await().atMost(WAIT).until(() -> operator.ack("node-a", revision) != null);
    assertThat(operator.ack("node-a", revision).getOk()).isTrue();
    return revision;
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
    publish(StateUpdate.newBuilder()
        .addUpsertIpcache(entry("172.31.0.11/32", 1).setNodeName("node-a"))
        .addUpsertIpcache(entry("172.31.0.12/32", 6).setNodeName("node-b"))
        .addUpsertIpcache(entry("198.51.100.12/32", 6))
        .addUpsertIpcache(entry("10.0.2.11/32", 300).setNamespace("default").setPodName("xwing")));

    BlockingQueue<ChangeNotification> peers = watchPeers();
    assertThat(take(peers, 2)).containsExactly(
        notification(ChangeNotificationType.PEER_ADDED, "node-a", "172.31.0.11"),
        notification(ChangeNotificationType.PEER_ADDED, "node-b", "172.31.0.12"));

    // node-b leaves, node-c joins (a snapshot: the operator's answer to a reconnecting agent)
    long revision = publish(StateUpdate.newBuilder()
        .addUpsertIpcache(entry("172.31.0.11/32", 1).setNodeName("node-a"))
        .addUpsertIpcache(entry("172.31.0.13/32", 6).setNodeName("node-c")));
    assertThat(take(peers, 2)).containsExactly(
        notification(ChangeNotificationType.PEER_DELETED, "node-b", "172.31.0.12"),
        notification(ChangeNotificationType.PEER_ADDED, "node-c", "172.31.0.13"));

    // node-c's InternalIP changes: a delta resends its old address unnamed and names its new one
    operator.send("node-a", StateUpdate.newBuilder()
        .setEpoch(agent.client().state().epoch()).setBaseRevision(revision).setRevision(revision + 1)
        .addUpsertIpcache(entry("172.31.0.13/32", 6))
        .addUpsertIpcache(entry("172.31.0.23/32", 6).setNodeName("node-c"))
        .build());
    assertThat(take(peers, 1)).containsExactly(notification(ChangeNotificationType.PEER_UPDATED, "node-c", "172.31.0.23"));

    // revisions that name the same nodes tell nothing
    operator.send("node-a", StateUpdate.newBuilder()
        .setEpoch(agent.client().state().epoch()).setBaseRevision(revision + 1).setRevision(revision + 2)
        .addUpsertIpcache(entry("10.0.2.12/32", 300))
        .build());
    await().atMost(WAIT).until(() -> agent.client().state().revision() == revision + 2);
    assertThat(peers.poll(200, TimeUnit.MILLISECONDS)).isNull();

    // a client that connects now hears the nodes there are
    assertThat(take(watchPeers(), 2)).containsExactly(
        notification(ChangeNotificationType.PEER_ADDED, "node-a", "172.31.0.11"),
        notification(ChangeNotificationType.PEER_ADDED, "node-c", "172.31.0.23"));
  }
}
