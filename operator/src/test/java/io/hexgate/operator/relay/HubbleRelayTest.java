package io.hexgate.operator.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.GetNamespacesRequest;
import io.hexgate.contract.hubble.observer.GetNodesRequest;
import io.hexgate.contract.hubble.observer.Namespace;
import io.hexgate.contract.hubble.observer.Node;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.contract.hubble.observer.TLS;
import io.hexgate.contract.hubble.relay.NodeState;
import io.hexgate.contract.hubble.relay.NodeStatusEvent;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.peer.PeerTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HubbleRelayTest {
  private final PeerTable peers = new PeerTable();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private HubbleRelay relay;
  private ManagedChannel client;

  @BeforeEach
  void start() throws Exception {
    relay =
        new HubbleRelay(
            peers,
            p -> InProcessChannelBuilder.forName(p.address()).build(),
            RelayOptions.defaults("test-relay", "hexgate-test").withPeerRecheck(Duration.ofMillis(300)));
    String name = "relay-" + UUID.randomUUID();
    Server server = InProcessServerBuilder.forName(name).addService(relay).build().start();
    client = InProcessChannelBuilder.forName(name).build();
    closing.add(server::shutdownNow);
    closing.add(relay);
    closing.add(client::shutdownNow);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private FakeAgent agent(String node, long... times) {
    FakeAgent a = new FakeAgent(node, times);
    closing.add(0, a);
    peers.put(a.peer());
    return a;
  }

  private ObserverGrpc.ObserverBlockingStub stub() {
    return ObserverGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private List<GetFlowsResponse> flows(GetFlowsRequest request) {
    List<GetFlowsResponse> out = new ArrayList<>();
    stub().getFlows(request).forEachRemaining(out::add);
    return out;
  }

  private static List<String> summaries(List<GetFlowsResponse> responses) {
    return responses.stream().filter(GetFlowsResponse::hasFlow).map(r -> r.getFlow().getSummary()).toList();
  }

  private static NodeStatusEvent status(NodeState state, String... nodes) {
    return NodeStatusEvent.newBuilder().setStateChange(state).addAllNodeNames(List.of(nodes)).build();
  }

  @Test
  void sendsNodeStatusFirstThenEveryNodesFlowsInTimeOrderAndEndsWhenTheyDo() {
    agent("node-a", 1, 4, 7);
    agent("node-b", 2, 5, 8);
    agent("node-c", 3, 6, 9);

    List<GetFlowsResponse> out = flows(GetFlowsRequest.getDefaultInstance());

    assertThat(out.get(0).getNodeStatus()).isEqualTo(status(NodeState.NODE_CONNECTED, "node-a", "node-b", "node-c"));
    assertThat(out.get(0).getNodeName()).isEqualTo("test-relay");
    assertThat(out.get(0).getTime().getSeconds()).isPositive();
    assertThat(summaries(out))
        .containsExactly(
            "node-a@1", "node-b@2", "node-c@3", "node-a@4", "node-b@5", "node-c@6", "node-a@7", "node-b@8", "node-c@9");
    assertThat(out).hasSize(10);
  }

  @Test
  void numberCountsPerNode() {
    agent("node-a", 1, 2, 3, 4, 5);
    agent("node-b", 11, 12, 13, 14, 15);

    List<GetFlowsResponse> out = flows(GetFlowsRequest.newBuilder().setNumber(2).build());

    assertThat(summaries(out)).containsExactly("node-a@4", "node-a@5", "node-b@14", "node-b@15");
  }

  @Test
  void aPeerThatCannotBeReachedIsUnavailable() {
    agent("node-a", 1);
    peers.put(new PeerInfo("node-gone", "nothing-serves-" + UUID.randomUUID(), null));

    List<GetFlowsResponse> out = flows(GetFlowsRequest.getDefaultInstance());

    assertThat(out.get(0).getNodeStatus()).isEqualTo(status(NodeState.NODE_CONNECTED, "node-a"));
    assertThat(out.get(1).getNodeStatus()).isEqualTo(status(NodeState.NODE_UNAVAILABLE, "node-gone"));
    assertThat(summaries(out)).containsExactly("node-a@1");
  }

  @Test
  void aFailingPeerStreamIsOneNodeErrorNamingEveryNodeWithThatError() {
    agent("node-a", 1);
    agent("node-b").failing(Status.INVALID_ARGUMENT.withDescription("bad filter"));
    agent("node-c").failing(Status.INVALID_ARGUMENT.withDescription("bad filter"));

    List<GetFlowsResponse> out = flows(GetFlowsRequest.getDefaultInstance());

    List<NodeStatusEvent> errors =
        out.stream().map(GetFlowsResponse::getNodeStatus).filter(s -> s.getStateChange() == NodeState.NODE_ERROR).toList();
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0).getNodeNamesList()).containsExactlyInAnyOrder("node-b", "node-c");
    assertThat(errors.get(0).getMessage()).isEqualTo("rpc error: code = InvalidArgument desc = bad filter");
    assertThat(summaries(out)).containsExactly("node-a@1");
  }

  @Test
  void firstWithFollowIsInvalid() {
    agent("node-a", 1);
    Iterator<GetFlowsResponse> it = stub().getFlows(GetFlowsRequest.newBuilder().setFirst(true).setFollow(true).build());
    assertThatThrownBy(it::hasNext)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("first cannot be specified with follow");
  }

  /** A following call read on another thread; closing it cancels the call. */
  private final class Follower implements AutoCloseable {
    final BlockingQueue<GetFlowsResponse> received = new LinkedBlockingQueue<>();
    final Context.CancellableContext context = Context.current().withCancellation();

    Follower(GetFlowsRequest request) {
      Thread t =
          new Thread(
              () ->
                  context.run(
                      () -> {
                        try {
                          ObserverGrpc.newBlockingStub(client).getFlows(request).forEachRemaining(received::add);
                        } catch (StatusRuntimeException e) {
                          // cancelled by close()
                        }
                      }));
      t.setDaemon(true);
      t.start();
    }

    GetFlowsResponse next(Duration within) throws InterruptedException {
      GetFlowsResponse r = received.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(r).as("an answer within %s", within).isNotNull();
      return r;
    }

    /** The next flow, skipping node status events. */
    String nextFlow(Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      while (true) {
        GetFlowsResponse r = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        if (r.hasFlow()) {
          return r.getFlow().getSummary();
        }
      }
    }

    @Override
    public void close() {
      context.cancel(null);
    }
  }

  @Test
  void followingShowsANewFlowWithinASecondAndCancellingEndsThePeerCalls() throws Exception {
    FakeAgent a = agent("node-a", 1);
    FakeAgent b = agent("node-b", 2);
    try (Follower f = new Follower(GetFlowsRequest.newBuilder().setFollow(true).build())) {
      assertThat(f.next(Duration.ofSeconds(5)).getNodeStatus()).isEqualTo(status(NodeState.NODE_CONNECTED, "node-a", "node-b"));
      assertThat(List.of(f.nextFlow(Duration.ofSeconds(3)), f.nextFlow(Duration.ofSeconds(3)))).containsExactly("node-a@1", "node-b@2");

      b.add(10);
      long sent = System.nanoTime();
      assertThat(f.nextFlow(Duration.ofSeconds(2))).isEqualTo("node-b@10");
      assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(1));
      assertThat(a.openCalls() + b.openCalls()).isEqualTo(2);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (a.openCalls() + b.openCalls() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(a.openCalls() + b.openCalls()).isZero();
  }

  @Test
  void anAgentLeavingAndRejoiningWhileAClientFollowsIsFollowedAgain() throws Exception {
    agent("node-a", 1);
    FakeAgent b = agent("node-b", 2);
    try (Follower f = new Follower(GetFlowsRequest.newBuilder().setFollow(true).build())) {
      assertThat(f.next(Duration.ofSeconds(5)).getNodeStatus().getNodeNamesList()).containsExactly("node-a", "node-b");
      assertThat(List.of(f.nextFlow(Duration.ofSeconds(3)), f.nextFlow(Duration.ofSeconds(3)))).containsExactly("node-a@1", "node-b@2");

      peers.remove("node-b");
      b.close(); // its stream fails: a NODE_ERROR, sent once the error window has passed

      FakeAgent back = agent("node-b");
      back.add(20);
      assertThat(f.nextFlow(Duration.ofSeconds(5))).isEqualTo("node-b@20");
      back.add(21);
      assertThat(f.nextFlow(Duration.ofSeconds(2))).isEqualTo("node-b@21");
    }
  }

  @Test
  void serverStatusAddsThePeersUpAndCountsConnectedAndUnavailableNodes() {
    agent("node-a").status(ServerStatusResponse.newBuilder().setNumFlows(10).setMaxFlows(4095).setSeenFlows(100)
        .setUptimeNs(5_000).setFlowsRate(1.5).setVersion("hexgate-a").build());
    agent("node-b").status(ServerStatusResponse.newBuilder().setNumFlows(20).setMaxFlows(4095).setSeenFlows(200)
        .setUptimeNs(9_000).setFlowsRate(0.5).setVersion("hexgate-b").build());
    peers.put(new PeerInfo("node-gone", "nothing-serves-" + UUID.randomUUID(), null));

    ServerStatusResponse s = stub().serverStatus(ServerStatusRequest.getDefaultInstance());

    assertThat(s)
        .isEqualTo(
            ServerStatusResponse.newBuilder()
                .setNumFlows(30)
                .setMaxFlows(8190)
                .setSeenFlows(300)
                .setUptimeNs(9_000)
                .setFlowsRate(2.0)
                .setNumConnectedNodes(UInt32Value.of(2))
                .setNumUnavailableNodes(UInt32Value.of(1))
                .addUnavailableNodes("node-gone")
                .setVersion("hexgate-test")
                .build());
  }

  @Test
  void serverStatusNamesAtMostTenUnavailableNodes() {
    for (int i = 0; i < 12; i++) {
      peers.put(new PeerInfo("gone-" + (char) ('a' + i), "nothing-serves-" + UUID.randomUUID(), null));
    }
    ServerStatusResponse s = stub().serverStatus(ServerStatusRequest.getDefaultInstance());
    assertThat(s.getNumUnavailableNodes().getValue()).isEqualTo(12);
    assertThat(s.getNumConnectedNodes()).isEqualTo(UInt32Value.of(0));
    assertThat(s.getUnavailableNodesList()).hasSize(10).startsWith("gone-a");
  }

  @Test
  void getNodesListsEveryPeerWithItsStateAndCounts() {
    FakeAgent a = agent("node-a").status(ServerStatusResponse.newBuilder().setNumFlows(10).setMaxFlows(4095)
        .setSeenFlows(100).setUptimeNs(5_000).setVersion("hexgate-a").build());
    String nowhere = "nothing-serves-" + UUID.randomUUID();
    peers.put(new PeerInfo("node-gone", nowhere, "node-gone.default.hubble-grpc.cilium.io"));

    List<Node> nodes = stub().getNodes(GetNodesRequest.getDefaultInstance()).getNodesList();

    assertThat(nodes)
        .containsExactly(
            Node.newBuilder().setName("node-a").setVersion("hexgate-a").setAddress(a.address() + ":4244")
                .setState(NodeState.NODE_CONNECTED).setTls(TLS.getDefaultInstance()).setUptimeNs(5_000)
                .setNumFlows(10).setMaxFlows(4095).setSeenFlows(100).build(),
            Node.newBuilder().setName("node-gone").setAddress(nowhere + ":4244").setState(NodeState.NODE_UNAVAILABLE)
                .setTls(TLS.newBuilder().setEnabled(true).setServerName("node-gone.default.hubble-grpc.cilium.io")).build());
  }

  @Test
  void getNamespacesIsTheUnionOfThePeersSorted() {
    agent("node-a").namespaces("kube-system", "default");
    agent("node-b").namespaces("default", "app");

    List<Namespace> ns = stub().getNamespaces(GetNamespacesRequest.getDefaultInstance()).getNamespacesList();

    assertThat(ns).extracting(Namespace::getNamespace).containsExactly("app", "default", "kube-system");
  }
}
