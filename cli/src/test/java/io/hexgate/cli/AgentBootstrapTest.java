package io.hexgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hexgate.datapath.agent.AgentCredentials;
import io.hexgate.datapath.agent.Backoff;
import io.hexgate.datapath.agent.CertificateBootstrap;
import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.agent.OperatorClient;
import io.hexgate.operator.tls.BootstrapFixtures;
import io.hexgate.operator.node.FlowBatchListener;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.tls.AgentServer;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent without a certificate ({@link CertificateBootstrap}, as {@code hexgate agent --bootstrap-token-file}
 * runs it) against the operator's agent port ({@link AgentServer}, real TLS on localhost, TokenReviews
 * answered by a mock API server): it gets its node's certificate and connects with it.
 */
class AgentBootstrapTest {
  private static final String NS = "hexgate";
  private static final Clock CLOCK = Clock.systemUTC();

  @TempDir Path tmp;
  private final Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
  private final KubernetesMockServer api = new KubernetesMockServer(
      new Context(Serialization.jsonMapper()), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
  private final ExecutorService sender = Executors.newSingleThreadExecutor();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private KubernetesClient client;
  private NodeAgentService service;
  private AgentServer port;
  private Path certDir;
  private Path caFile;
  private Path tokenFile;

  @BeforeEach
  void start() throws Exception {
    api.init();
    client = api.createClient();
    String uid = client.pods().inNamespace(NS).resource(BootstrapFixtures.agentPod(NS, "hexgate-agent-x", null, "node-a"))
        .create().getMetadata().getUid();
    BootstrapFixtures.answerTokenReviews(api, spec -> "pod-token".equals(spec.getToken())
        ? BootstrapFixtures.agentToken(NS, "hexgate-agent-x", uid).build()
        : BootstrapFixtures.invalidToken());
    service = new NodeAgentService(new NodeStateHub(), r -> {}, FlowBatchListener.NONE, sender,
        NodeAgentService.Authentication.REQUIRE_CERTIFICATE);
    port = AgentServer.start(client, NS, "hexgate-ca", 0, List.of("localhost"), service, CLOCK);
    // what the pod mounts: the ConfigMap hexgate-ca's ca.crt, its projected token, an empty directory
    caFile = Files.writeString(tmp.resolve("ca.crt"), Pem.certificate(port.caCertificate()));
    tokenFile = Files.writeString(tmp.resolve("token"), "pod-token\n");
    certDir = tmp.resolve("certs");
  }

  @AfterEach
  void stop() {
    port.close();
    client.close();
    api.destroy();
    sender.shutdownNow();
    scheduler.shutdownNow();
  }

  private String operator() {
    return "localhost:" + port.port();
  }

  @Test
  void writesTheNodesCertificateAndConnectsWithIt() throws Exception {
    assertThat(CertificateBootstrap.usable(certDir, "node-a", caFile, CLOCK)).isFalse();

    X509Certificate cert = CertificateBootstrap.run(certDir, "node-a", operator(), null, caFile, tokenFile, CLOCK);

    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=node:node-a");
    cert.verify(port.caCertificate().getPublicKey());
    assertThat(Pem.parseCertificate(Files.readString(certDir.resolve(AgentCredentials.CERT_FILE)))).isEqualTo(cert);
    assertThat(Files.readString(certDir.resolve(AgentCredentials.CA_FILE))).isEqualTo(Files.readString(caFile));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certDir.resolve(AgentCredentials.KEY_FILE))))
        .isEqualTo("rw-------");
    assertThat(CertificateBootstrap.usable(certDir, "node-a", caFile, CLOCK)).isTrue();
    // the directory is the node's, not another's
    assertThat(CertificateBootstrap.usable(certDir, "node-b", caFile, CLOCK)).isFalse();

    CertificateRotation rotation = CertificateRotation.load(certDir, "node-a", CLOCK);
    ManagedChannel channel = AgentCredentials.channel(operator(), rotation, null);
    try (OperatorClient agent = new OperatorClient(channel, "node-a", (update, next) -> Map.of(), scheduler,
        new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)), 2).renewing(rotation)) {
      agent.start();
      for (long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
          !service.connectedNodes().contains("node-a") && System.nanoTime() < end; ) {
        Thread.sleep(20);
      }
      assertThat(service.connectedNodes()).containsExactly("node-a");
      assertThat(agent.connected()).isTrue();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void refusesAnOperatorItsCaFileDoesNotTrustAndSaysSo() throws Exception {
    Path otherCa = Files.writeString(tmp.resolve("other-ca.crt"),
        Pem.certificate(CertificateAuthority.create("hexgate-ca", CLOCK).certificate()));

    assertThatThrownBy(() -> CertificateBootstrap.run(certDir, "node-a", operator(), null, otherCa, tokenFile, CLOCK))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getMessage()).contains("the operator at " + operator()).contains("not trusted")
              .contains(otherCa.toString());
        });
    assertThat(certDir.resolve(AgentCredentials.CERT_FILE)).doesNotExist();
  }

  @Test
  void passesOnTheOperatorsReasonForARefusal() throws Exception {
    Path stolen = Files.writeString(tmp.resolve("stolen"), "another-token");

    assertThatThrownBy(() -> CertificateBootstrap.run(certDir, "node-a", operator(), null, caFile, stolen, CLOCK))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getMessage()).isEqualTo("UNAUTHENTICATED: the token is not valid for audience hexgate: invalid bearer token");
        });
    assertThatThrownBy(() -> CertificateBootstrap.run(certDir, "node-b", operator(), null, caFile, tokenFile, CLOCK))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
          assertThat(e.getMessage()).isEqualTo("PERMISSION_DENIED: the token's pod hexgate-agent-x runs on node node-a, not node-b"));
    assertThat(certDir.resolve(AgentCredentials.CERT_FILE)).doesNotExist();
  }
}
