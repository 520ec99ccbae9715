package io.hexgate.operator.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TlsAgentDialerTest {
  private final CertificateAuthority ca = CertificateAuthority.create("hexgate-test-ca", Clock.systemUTC());
  private final String serverName = PeerInfo.tlsServerName("default", "node-a");
  private Server agent;

  @BeforeEach
  void serveAnAgentRequiringClientCertificates() throws Exception {
    IssuedCertificate serving = ca.issueServer(serverName, List.of(serverName), List.of());
    agent =
        Grpc.newServerBuilderForPort(
                0,
                TlsServerCredentials.newBuilder()
                    .keyManager(stream(serving.certificatePem()), stream(serving.keyPem()))
                    .trustManager(stream(serving.caPem()))
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build())
            .addService(new FakeAgent("node-a").status(ServerStatusResponse.newBuilder().setVersion("hexgate-a").build()).observer())
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    agent.shutdownNow();
  }

  private ServerStatusResponse statusVia(TlsAgentDialer dialer, PeerInfo peer) {
    ManagedChannel ch = dialer.dial(peer);
    try {
      return ObserverGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).serverStatus(ServerStatusRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void reachesAnAgentWhoseCertificateNamesThePeerPresentingTheRelaysOwn() {
    TlsAgentDialer dialer = new TlsAgentDialer(ca.issueClient(OperatorRelay.CLIENT_NAME, List.of()));
    PeerInfo peer = new PeerInfo("node-a", "127.0.0.1:" + agent.getPort(), serverName);

    assertThat(statusVia(dialer, peer).getVersion()).isEqualTo("hexgate-a");
  }

  @Test
  void failsAgainstAnAgentCertifiedForAnotherNodeAndWithAClientCertificateFromAnotherCa() {
    TlsAgentDialer dialer = new TlsAgentDialer(ca.issueClient(OperatorRelay.CLIENT_NAME, List.of()));
    PeerInfo otherNode = new PeerInfo("node-b", "127.0.0.1:" + agent.getPort(), PeerInfo.tlsServerName("default", "node-b"));
    assertThatThrownBy(() -> statusVia(dialer, otherNode)).isInstanceOf(StatusRuntimeException.class);

    IssuedCertificate foreign =
        CertificateAuthority.create("another-ca", Clock.systemUTC()).issueClient(OperatorRelay.CLIENT_NAME, List.of());
    // trusts the agent's CA, but the agent does not trust the certificate it presents
    TlsAgentDialer strange = new TlsAgentDialer(new IssuedCertificate(foreign.certificate(), foreign.key(), ca.certificate()));
    PeerInfo peer = new PeerInfo("node-a", "127.0.0.1:" + agent.getPort(), serverName);
    assertThatThrownBy(() -> statusVia(strange, peer)).isInstanceOf(StatusRuntimeException.class);
  }

  private static InputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }
}
