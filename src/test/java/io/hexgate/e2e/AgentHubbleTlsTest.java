package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.datapath.observe.ObserverServer;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.server.LocalObserver;
import io.hexgate.operator.relay.OperatorRelay;
import io.hexgate.operator.relay.TlsAgentDialer;
import io.hexgate.operator.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's Hubble server, as the relay meets it in a cluster: mutual TLS with the node's certificate
 * from the operator's CA, and only the relay's client certificate let in. Every node's certificate chains
 * to the same CA, so without the name check one node could read every other node's flows.
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
        assertThatThrownBy(() -> ObserverGrpc.newBlockingStub(otherNode).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverStatus(ServerStatusRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains("only the relay (CN=hubble-relay)");
            });
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
}
