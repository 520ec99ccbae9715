package io.hexgate.operator.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.relay.NodeState;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.node.NodeAddresses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class OperatorRelayTest {
  private final NodeAddresses addresses = new NodeAddresses();
  private final AgentPeers peers = new AgentPeers("default", true, addresses);

  private static Node node(String name, String internalIp, String externalIp) {
    return new NodeBuilder()
        .withNewMetadata().withName(name).endMetadata()
        .withNewStatus()
        .addNewAddress().withType("ExternalIP").withAddress(externalIp).endAddress()
        .addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
        .endStatus()
        .build();
  }

  private static String line(ChangeNotification n) {
    return n.getType() + " " + n.getAddress() + " " + n.getName() + " " + n.getTls().getServerName();
  }

  @Test
  void peersAreTheConnectedAgentsAtTheirNodesInternalIp() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    addresses.upsert(node("node-a", "172.31.0.11", "203.0.113.11"));
    try (AutoCloseable w = peers.watch(n -> seen.add(line(n)))) {
      peers.connectionChanged("node-a", true);
      peers.connectionChanged("node-b", true); // no Node yet: no address
      addresses.upsert(node("node-b", "172.31.0.12", "203.0.113.12"));
      addresses.upsert(node("node-a", "172.31.0.21", "203.0.113.11"));
      addresses.upsert(node("node-c", "172.31.0.13", "203.0.113.13")); // its agent is not connected
      peers.connectionChanged("node-b", false);
    }
    assertThat(seen)
        .containsExactly(
            "PEER_ADDED 172.31.0.11 node-a node-a.default.hubble-grpc.cilium.io",
            "PEER_ADDED  node-b node-b.default.hubble-grpc.cilium.io",
            "PEER_UPDATED 172.31.0.12 node-b node-b.default.hubble-grpc.cilium.io",
            "PEER_UPDATED 172.31.0.21 node-a node-a.default.hubble-grpc.cilium.io",
            "PEER_DELETED 172.31.0.12 node-b node-b.default.hubble-grpc.cilium.io");
    assertThat(peers.peers()).containsExactly(PeerInfo.of("default", "node-a", "172.31.0.21", true));
  }

  @Test
  void theRelayFindsAgentsThroughThePeerServiceAndIsHealthyWhileOneIsConnected() throws Exception {
    Map<String, FakeAgent> byAddress = new ConcurrentHashMap<>();
    AgentDialer dialer = p -> InProcessChannelBuilder.forName(byAddress.get(p.address()).address()).build();
    RelayConfig config = RelayConfig.defaults().withPort(0).withDialer(dialer, false);
    try (FakeAgent a = new FakeAgent("node-a", 1, 3);
        FakeAgent b = new FakeAgent("node-b", 2);
        OperatorRelay relay =
            OperatorRelay.start(config, peers, null, RelayOptions.defaults(OperatorRelay.NODE_NAME, "hexgate-test"))) {
      byAddress.put("172.31.0.11", a);
      byAddress.put("172.31.0.12", b);
      ManagedChannel client =
          Grpc.newChannelBuilderForAddress("127.0.0.1", relay.port(), InsecureChannelCredentials.create()).build();
      try {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(client);
        assertThat(status(health)).isEqualTo(ServingStatus.NOT_SERVING); // no agent yet

        addresses.upsert(node("node-a", "172.31.0.11", "203.0.113.11"));
        addresses.upsert(node("node-b", "172.31.0.12", "203.0.113.12"));
        peers.connectionChanged("node-a", true);
        peers.connectionChanged("node-b", true);
        await(() -> status(health) == ServingStatus.SERVING);

        AtomicReference<Metadata> headers = new AtomicReference<>();
        List<GetFlowsResponse> out = new ArrayList<>();
        ObserverGrpc.newBlockingStub(client)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()))
            .getFlows(GetFlowsRequest.getDefaultInstance())
            .forEachRemaining(out::add);
        assertThat(out.get(0).getNodeStatus().getStateChange()).isEqualTo(NodeState.NODE_CONNECTED);
        assertThat(out.get(0).getNodeStatus().getNodeNamesList()).containsExactly("node-a", "node-b");
        assertThat(out.get(0).getNodeName()).isEqualTo("hexgate-relay");
        assertThat(out.stream().filter(GetFlowsResponse::hasFlow).map(r -> r.getFlow().getSummary()))
            .containsExactly("node-a@1", "node-b@2", "node-a@3");
        assertThat(headers.get().get(Metadata.Key.of(HubbleServices.RELAY_VERSION_HEADER, Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("hexgate-test");

        peers.connectionChanged("node-a", false);
        peers.connectionChanged("node-b", false);
        await(() -> status(health) == ServingStatus.NOT_SERVING);
      } finally {
        client.shutdownNow();
      }
    }
  }

  private static ServingStatus status(HealthGrpc.HealthBlockingStub health) {
    return health
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(HubbleServices.HEALTH_SERVICE).build())
        .getStatus();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }
}
