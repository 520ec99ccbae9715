package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.NotifyRequest;
import io.hexgate.contract.hubble.peer.PeerGrpc;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.flow.hubble.FlowNames;
import io.hexgate.datapath.observe.AgentObserver;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.datapath.observe.ObserverServer;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.server.LocalObserver;
import io.hexgate.operator.relay.OperatorRelay;
import io.hexgate.operator.relay.TlsAgentDialer;
import io.hexgate.operator.tls.CertificateAuthority;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's Hubble server, as the relay meets it in a cluster: mutual TLS with the node's certificate
 * from the operator's CA, and only the relay's client certificate let in. Every node's certificate chains
 * to the same CA, so without the name check one node could read every other node's flows. The same port
 * serves the relay the cluster's nodes (peer.Peer), each with the TLS server name its certificate carries.
 */
class AgentHubbleTlsTest {
  private static final CertificateAuthority CA = CertificateAuthority.create("hexgate-test-ca", Clock.systemUTC());

  @TempDir Path certs;

  @Test
  void onlyTheRelaysCertificateReadsANodesFlows() throws Exception {
    CA.issueAgent("node-a").writeTo(certs);
    CertificateRotation tls = CertificateRotation.load(certs, "node-a", Clock.systemUTC());
    LocalObserver observer = new LocalObserver("node-a", new FlowRing(FlowRing.DEFAULT_CAPACITY), Clock.systemUTC(), "test");
    ObserveOptions options = new ObserveOptions(0, FlowRing.DEFAULT_CAPACITY, tls, "", 0, null);
    try (ObserverServer server = ObserverServer.start(options, null, "test", observer)) {
      PeerInfo peer = new PeerInfo("node-a", "127.0.0.1:" + server.port(), CertificateAuthority.hubbleServerName("node-a"));

      ManagedChannel relay = new TlsAgentDialer(CA.issueClient(OperatorRelay.CLIENT_NAME, List.of())).dial(peer);
      try {
        assertThat(ObserverGrpc.newBlockingStub(relay).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverStatus(ServerStatusRequest.getDefaultInstance()).getMaxFlows()).isEqualTo(FlowRing.DEFAULT_CAPACITY);
      } finally {
        relay.shutdownNow();
      }

      // another node's certificate: the same CA, not the relay
      ManagedChannel otherNode = new TlsAgentDialer(CA.issueAgent("node-b")).dial(peer);
      try {
        assertRefusedAsNotTheRelay(() -> ObserverGrpc.newBlockingStub(otherNode).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverStatus(ServerStatusRequest.getDefaultInstance()));
      } finally {
        otherNode.shutdownNow();
      }

      // a relay certificate from another CA does not get through the handshake
      CertificateAuthority foreign = CertificateAuthority.create("other-ca", Clock.systemUTC());
      ManagedChannel impostor = new TlsAgentDialer(foreign.issueClient(OperatorRelay.CLIENT_NAME, List.of())).dial(peer);
      try {
        assertThatThrownBy(() -> ObserverGrpc.newBlockingStub(impostor).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverStatus(ServerStatusRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      } finally {
        impostor.shutdownNow();
      }
    }
  }

  @Test
  void theRelaysCertificateGetsEveryNodeFromANodesHubblePortAndNoOtherNodesDoes() throws Exception {
    CA.issueAgent("node-a").writeTo(certs);
    CertificateRotation tls = CertificateRotation.load(certs, "node-a", Clock.systemUTC());
    ObserveOptions options = new ObserveOptions(freePort(), FlowRing.DEFAULT_CAPACITY, tls, "", 0, null);
    try (AgentObserver agent = AgentObserver.start("node-a", null, options, new FlowNames(), "test", () -> 0)) {
      agent.peers().update(AgentState.EMPTY.apply(StateUpdate.newBuilder().setEpoch("e").setRevision(1).setSnapshot(true)
          .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("172.31.0.11/32").setIdentity(1).setNodeName("node-a"))
          .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("172.31.0.12/32").setIdentity(6).setNodeName("node-b"))
          .build()));
      PeerInfo self = new PeerInfo("node-a", "127.0.0.1:" + agent.port(), CertificateAuthority.hubbleServerName("node-a"));

      ManagedChannel relay = new TlsAgentDialer(CA.issueClient(OperatorRelay.CLIENT_NAME, List.of())).dial(self);
      List<ChangeNotification> peers = new ArrayList<>();
      try {
        Iterator<ChangeNotification> notify = PeerGrpc.newBlockingStub(relay).withDeadlineAfter(10, TimeUnit.SECONDS)
            .notify(NotifyRequest.getDefaultInstance());
        peers.add(notify.next());
        peers.add(notify.next());
      } finally {
        relay.shutdownNow();
      }
      assertThat(peers).extracting(ChangeNotification::getName, ChangeNotification::getAddress, n -> n.getTls().getServerName())
          .containsExactly(
              tuple("node-a", "172.31.0.11", "node-a.default.hubble-grpc.cilium.io"),
              tuple("node-b", "172.31.0.12", "node-b.default.hubble-grpc.cilium.io"));

      // the server name announced for this node is the one its certificate carries: the relay dials with it
      PeerInfo announced = PeerInfo.of(peers.get(0));
      ManagedChannel verified = new TlsAgentDialer(CA.issueClient(OperatorRelay.CLIENT_NAME, List.of()))
          .dial(new PeerInfo(announced.name(), self.address(), announced.tlsServerName()));
      try {
        assertThat(ObserverGrpc.newBlockingStub(verified).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverStatus(ServerStatusRequest.getDefaultInstance()).getMaxFlows()).isEqualTo(FlowRing.DEFAULT_CAPACITY);
      } finally {
        verified.shutdownNow();
      }

      // another node's certificate does not get the peers either
      ManagedChannel otherNode = new TlsAgentDialer(CA.issueAgent("node-b")).dial(self);
      try {
        assertRefusedAsNotTheRelay(() -> PeerGrpc.newBlockingStub(otherNode).withDeadlineAfter(10, TimeUnit.SECONDS)
            .notify(NotifyRequest.getDefaultInstance()).next());
      } finally {
        otherNode.shutdownNow();
      }
    }
  }

  private static void assertRefusedAsNotTheRelay(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).contains("only the relay (CN=hubble-relay)");
    });
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
