package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.hexgate.contract.v1.CertificateResponse;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentCredentials;
import io.hexgate.datapath.agent.Backoff;
import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.agent.OperatorClient;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import io.hexgate.operator.tls.Pem;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's certificate renewal against the operator's agent port over real mutual TLS, certificates
 * short-lived and the CA and deny list in the operator's Secret: a short-lived certificate is renewed
 * before it expires, written to the agent's directory, and used for the next connection, with the agent's
 * state kept throughout; a revoked agent gets no new certificate.
 */
class AgentCertificateRenewalTest {
  // long enough that the witness step below fits between a renewal and the next one on a loaded machine
  private static final Duration LIFETIME = Duration.ofSeconds(12);
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path certs;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final MockApi api = new MockApi();
  private final KubernetesClient client = api.client();
  private HexgateOperator operator;
  private CaSecretStore caSecret;
  private CertificateAuthority ca;

  @BeforeEach
  void start() {
    // the serving certificate and agents' renewals live LIFETIME too
    operator =
        HexgateOperator.create(
            OperatorConfig.builder(client)
                .withoutLeaderElection()
                .withoutWatchingApi()
                .agents(new AgentEndpoint.Tls(0, CaSecretStore.DEFAULT_NAME, List.of(), LIFETIME))
                .withoutMetrics()
                .withoutRelay()
                .build());
    operator.start();
    operator.engine().apply(e -> {
      e.upsertNamespace("default", Map.of());
      e.upsertEndpoint(new Endpoint("default", "deathstar", "10.0.1.10", Map.of("org", "empire"), "default", "node-a", List.of()));
    });
    // the operator created the CA; agents' first certificates are issued from it (hexgate agent-cert)
    caSecret = new CaSecretStore(client, client.getNamespace(), CaSecretStore.DEFAULT_NAME, Clock.systemUTC());
    ca = caSecret.load().orElseThrow().withLeafValidity(LIFETIME);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    operator.stop();
    scheduler.shutdownNow();
    api.close();
  }

  @Test
  void shouldRenewAShortLivedCertificateBeforeItExpiresAndReconnectWithIt() throws Exception {
    Path dir = certs.resolve("node-a");
    ca.issueAgent("node-a").writeTo(dir);
    X509Certificate first = Pem.parseCertificate(Files.readString(dir.resolve("tls.crt")));
    Instant firstExpiry = first.getNotAfter().toInstant();
    List<StateUpdate> applied = new CopyOnWriteArrayList<>();
    CertificateRotation rotation = CertificateRotation.load(dir, "node-a", Clock.systemUTC());
    OperatorClient agent = agent("node-a", AgentCredentials.channel(target(), rotation, null), applied).renewing(rotation);
    agent.start();
    await().atMost(WAIT).until(() -> applied.size() == 1);
    long revision = agent.state().revision();

    BigInteger firstSerial = first.getSerialNumber();
    await().atMost(WAIT).until(() -> !rotation.certificate().getSerialNumber().equals(firstSerial));
    Instant renewedAt = Instant.now();
    assertThat(renewedAt).isBefore(firstExpiry);
    X509Certificate second = rotation.certificate();
    // written to the directory, as a matching pair, for the agent's next start
    assertThat(Pem.parseCertificate(Files.readString(dir.resolve("tls.crt")))).isEqualTo(second);
    assertThat(CertificateRotation.load(dir, "node-a", Clock.systemUTC()).certificate()).isEqualTo(second);
    assertThat(dir.resolve("tls.crt.new")).doesNotExist();
    assertThat(dir.resolve("tls.key.new")).doesNotExist();
    assertThat(CertificateAuthority.nodeOf(second)).isEqualTo("node-a");

    // reconnected with it at once, resuming: no new snapshot, the applied state never dropped
    NodeAgentService service = operator.agentService();
    await().atMost(WAIT).until(() -> agent.connects() == 2 && agent.connected() && service.connectedNodes().contains("node-a"));
    assertThat(applied).hasSize(1);
    assertThat(agent.state().revision()).isEqualTo(revision);

    // the new connection presents the new certificate: revoking the old one leaves it alone. The deny
    // list reaches the operator through its watch of the Secret; a witness agent's certificate, revoked
    // right after, ends the witness's stream once the operator holds both revocations.
    Path witnessDir = certs.resolve("node-b");
    IssuedCertificate witness = ca.withLeafValidity(Duration.ofHours(1)).issueAgent("node-b");
    witness.writeTo(witnessDir);
    agent("node-b", AgentCredentials.channel(target(), witnessDir, null), new CopyOnWriteArrayList<>()).start();
    await().atMost(WAIT).until(() -> service.connectedNodes().contains("node-b"));
    caSecret.revoke(firstSerial, "node-a", "replaced");
    caSecret.revoke(witness.certificate().getSerialNumber(), "node-b", "witness");
    await().atMost(WAIT).until(() -> !service.connectedNodes().contains("node-b"));
    Thread.sleep(500);
    assertThat(agent.connected()).isTrue();
    assertThat(agent.connects()).isEqualTo(2);
    assertThat(service.connectedNodes()).contains("node-a");

    // and the renewed certificate is renewed in turn
    BigInteger secondSerial = second.getSerialNumber();
    await().atMost(WAIT).until(() -> !rotation.certificate().getSerialNumber().equals(secondSerial));
    assertThat(Instant.now()).isBefore(second.getNotAfter().toInstant());
  }

  @Test
  void shouldNotRenewTheCertificateOfARevokedAgent() throws Exception {
    Path dir = certs.resolve("node-a");
    IssuedCertificate issued = ca.issueAgent("node-a");
    issued.writeTo(dir);
    String before = Files.readString(dir.resolve("tls.crt"));
    CertificateRotation rotation = CertificateRotation.load(dir, "node-a", Clock.systemUTC());
    List<StateUpdate> applied = new CopyOnWriteArrayList<>();
    OperatorClient agent = agent("node-a", AgentCredentials.channel(target(), rotation, null), applied).renewing(rotation);
    agent.start();
    await().atMost(WAIT).until(() -> applied.size() == 1);

    caSecret.revoke(issued.certificate().getSerialNumber(), "node-a", "stolen");
    await().atMost(WAIT).until(() -> !operator.agentService().connectedNodes().contains("node-a"));
    // past the time it would have been renewed, up to its expiry: refused at every reconnection
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), issued.certificate().getNotAfter().toInstant()).toMillis()));
    assertThat(rotation.certificate()).isEqualTo(issued.certificate());
    assertThat(Files.readString(dir.resolve("tls.crt"))).isEqualTo(before);
    assertThat(agent.connected()).isFalse();
    assertThat(agent.state().revision()).isPositive(); // what it applied stays
  }

  @Test
  void shouldFinishAnInstallationThatStoppedBetweenTheTwoRenames() throws Exception {
    Path dir = certs.resolve("node-a");
    ca.issueAgent("node-a").writeTo(dir);
    IssuedCertificate renewed = ca.issueAgent("node-a");
    // the key was renamed into place, the certificate not yet
    Path scratch = certs.resolve("scratch");
    renewed.writeTo(scratch);
    Files.copy(scratch.resolve("tls.key"), dir.resolve("tls.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(scratch.resolve("tls.crt"), dir.resolve("tls.crt.new"));

    CertificateRotation r = CertificateRotation.load(dir, "node-a", Clock.systemUTC());
    assertThat(r.certificate()).isEqualTo(renewed.certificate());
    assertThat(dir.resolve("tls.crt.new")).doesNotExist();
  }

  @Test
  void shouldDropAHalfWrittenInstallationAndKeepTheOldPair() throws Exception {
    Path dir = certs.resolve("node-a");
    IssuedCertificate old = ca.issueAgent("node-a");
    old.writeTo(dir);
    Files.writeString(dir.resolve("tls.key.new"), "-----BEGIN PRIVATE KEY-----\nMIGH");
    Files.writeString(dir.resolve("tls.crt.new"), "-----BEGIN CERTIFICATE-----\nMIIB");

    CertificateRotation r = CertificateRotation.load(dir, "node-a", Clock.systemUTC());
    assertThat(r.certificate()).isEqualTo(old.certificate());
    assertThat(dir.resolve("tls.key.new")).doesNotExist();
    assertThat(dir.resolve("tls.crt.new")).doesNotExist();
  }

  @Test
  void shouldTakeOnlyACertificateForItsOwnKeyNodeAndCa() throws Exception {
    Path dir = certs.resolve("node-a");
    IssuedCertificate old = ca.issueAgent("node-a");
    old.writeTo(dir);
    CertificateRotation r = CertificateRotation.load(dir, "node-a", Clock.systemUTC());
    r.request();
    String caPem = Pem.certificate(ca.certificate());
    // another key's certificate (the operator answered someone else, or was tampered with)
    CertificateResponse otherKey =
        CertificateResponse.newBuilder().setCertificatePem(ca.issueAgent("node-a").certificatePem()).setCaPem(caPem).build();
    assertThatThrownBy(() -> r.install(otherKey)).hasMessageContaining("not for the key");
    // the right key, but from another CA
    CertificateAuthority other = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());
    String csr = r.request();
    CertificateResponse otherCa =
        CertificateResponse.newBuilder()
            .setCertificatePem(Pem.certificate(other.signAgentRequest("node-a", csr)))
            .setCaPem(Pem.certificate(other.certificate()))
            .build();
    assertThatThrownBy(() -> r.install(otherCa)).hasMessageContaining("another CA");
    // a refusal
    assertThatThrownBy(() -> r.install(CertificateResponse.newBuilder().setError("no").build())).hasMessageContaining("refused: no");
    assertThat(r.certificate()).isEqualTo(old.certificate());
    assertThat(Files.readString(dir.resolve("tls.crt"))).isEqualTo(old.certificatePem());
    // the genuine answer is taken
    X509Certificate good = ca.signAgentRequest("node-a", r.request());
    r.install(CertificateResponse.newBuilder().setCertificatePem(Pem.certificate(good)).setCaPem(caPem).build());
    assertThat(r.certificate()).isEqualTo(good);
  }

  private String target() {
    return "localhost:" + operator.ports().agentPort();
  }

  /** An agent for {@code node} on {@code channel}, not started, recording the updates it applies. */
  private OperatorClient agent(String node, ManagedChannel channel, List<StateUpdate> applied) {
    OperatorClient c =
        new OperatorClient(
            channel,
            node,
            (u, next) -> {
              applied.add(u);
              return Map.of();
            },
            scheduler,
            new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)),
            16);
    closing.add(channel::shutdownNow);
    closing.add(c);
    return c;
  }
}
