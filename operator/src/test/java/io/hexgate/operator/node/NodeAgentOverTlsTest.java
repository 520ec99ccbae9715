package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.hexgate.contract.testing.TestingAgent;
import io.hexgate.operator.tls.AgentTls;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent port over real mutual TLS on localhost (Netty): only certificates from our CA, for the claimed node. */
class NodeAgentOverTlsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final CertificateAuthority CA = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());

  private final NodeStateHub hub = new NodeStateHub();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final ExecutorService sender = Executors.newSingleThreadExecutor();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private NodeAgentService service;
  private Server server;

  @BeforeEach
  void start() throws IOException {
    hub.changed(StarWars.cluster().snapshot(), Set.of());
    service =
        new NodeAgentService(
            hub, reports::add, FlowBatchListener.NONE, sender, NodeAgentService.Authentication.REQUIRE_CERTIFICATE);
    IssuedCertificate serverCert = CA.issueServer("hexgate-operator", List.of("localhost"), List.of("127.0.0.1"));
    server = AgentTls.server(0, serverCert, service).start();
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow();
    sender.shutdownNow();
  }

  private ManagedChannel channel(IssuedCertificate client) throws IOException {
    TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder().trustManager(pem(caPem()));
    if (client != null) {
      creds.keyManager(pem(client.certificatePem()), pem(client.keyPem()));
    }
    ChannelCredentials c = creds.build();
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("localhost", server.getPort(), c).build();
    channels.add(ch);
    return ch;
  }

  private static String caPem() {
    return io.hexgate.operator.tls.Pem.certificate(CA.certificate());
  }

  private static InputStream pem(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void shouldServeAnAgentWhoseCertificateNamesItsNode() throws IOException {
    TestingAgent a = new TestingAgent("node-a").connect(channel(CA.issueAgent("node-a")));
    await().atMost(WAIT).until(() -> reports.size() == 1);
    assertThat(a.snapshots()).isEqualTo(1);
    assertThat(a.endpoints).containsOnlyKeys("default/deathstar");
    assertThat(service.connectedNodes()).containsExactly("node-a");
  }

  @Test
  void shouldRefuseAnAgentWhoseCertificateNamesAnotherNode() throws IOException {
    TestingAgent a = new TestingAgent("node-a").connect(channel(CA.issueAgent("node-b")));
    assertThat(a.closed.join().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(a.updates).isEmpty();
  }

  @Test
  void shouldRefuseAnAgentWithoutClientCertificate() throws IOException {
    assertRefused(new TestingAgent("node-a").connect(channel(null)));
  }

  @Test
  void shouldRefuseAnAgentWithACertificateFromAnotherCa() throws IOException {
    CertificateAuthority other = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());
    assertRefused(new TestingAgent("node-a").connect(channel(other.issueAgent("node-a"))));
  }

  @Test
  void shouldRefuseAnAgentWithASelfSignedCertificate() throws IOException {
    CertificateAuthority self = CertificateAuthority.create("node:node-a", Clock.systemUTC());
    IssuedCertificate selfSigned = new IssuedCertificate(self.certificate(), self.key(), self.certificate());
    assertRefused(new TestingAgent("node-a").connect(channel(selfSigned)));
  }

  @Test
  void shouldRefuseTheOperatorsOwnServerCertificateAsAnAgentCertificate() throws IOException {
    IssuedCertificate serverCert = CA.issueServer("node:node-a", List.of("localhost"), List.of());
    assertRefused(new TestingAgent("node-a").connect(channel(serverCert)));
  }

  private void assertRefused(TestingAgent agent) {
    Status status = agent.closed.join();
    assertThat(status.isOk()).isFalse();
    assertThat(agent.updates).isEmpty();
    assertThat(reports).isEmpty();
    assertThat(service.connectedNodes()).isEmpty();
  }
}
