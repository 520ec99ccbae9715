package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ManagedChannel;
import io.grpc.Grpc;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.CertificateRequest;
import io.hexgate.contract.v1.CertificateResponse;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.operator.tls.AgentServer;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import io.hexgate.operator.tls.Pem;
import io.hexgate.operator.tls.RevocationList;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent port as the operator runs it ({@link AgentServer}: CA and deny list in the Secret, real mutual
 * TLS on localhost): revoked certificates refused at connect and cut off while connected, renewals signed
 * only for the node the stream authenticated as.
 */
@EnableKubernetesMockClient(crud = true)
public class AgentCertificatesTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** How long a revocation may take to end an open stream. */
  private static final Duration REVOCATION_BOUND = Duration.ofSeconds(5);

  KubernetesClient client;

  private final NodeStateHub hub = new NodeStateHub();
  private final ExecutorService sender = Executors.newSingleThreadExecutor();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private NodeAgentService service;
  private AgentServer port;
  private CertificateAuthority ca;

  @BeforeEach
  void start() {
    hub.changed(StarWars.cluster().snapshot(), Set.of());
    service =
        new NodeAgentService(
            hub, r -> {}, FlowBatchListener.NONE, sender, NodeAgentService.Authentication.REQUIRE_CERTIFICATE);
    port = AgentServer.start(client, "hexgate", "hexgate-ca", 0, List.of("localhost"), service, Clock.systemUTC());
    ca = new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).load().orElseThrow();
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    port.close();
    sender.shutdownNow();
  }

  @Test
  void shouldRefuseARevokedCertificateAtConnect() {
    IssuedCertificate cert = ca.issueAgent("node-a");
    revoke(cert);

    Agent a = new Agent("node-a", cert);
    Status status = ended(a);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).contains("revoked").contains(serial(cert));
    assertThat(a.updates).isEmpty();
    assertThat(service.connectedNodes()).isEmpty();

    // the node's next certificate is not on the list
    Agent again = new Agent("node-a", ca.issueAgent("node-a"));
    await().atMost(WAIT).until(() -> again.updates.size() == 1);
    assertThat(service.connectedNodes()).containsExactly("node-a");
  }

  @Test
  void shouldEndTheOpenStreamOfACertificateRevokedWhileConnectedAndKeepTheOthers() {
    IssuedCertificate certA = ca.issueAgent("node-a");
    Agent a = new Agent("node-a", certA);
    Agent b = new Agent("node-b", ca.issueAgent("node-b"));
    await().atMost(WAIT).until(() -> a.updates.size() == 1 && b.updates.size() == 1);
    assertThat(service.connectedNodes()).containsExactlyInAnyOrder("node-a", "node-b");

    long revokedAt = System.nanoTime();
    revoke(certA);
    Status status = a.closed.orTimeout(REVOCATION_BOUND.toMillis(), TimeUnit.MILLISECONDS).join();
    Duration took = Duration.ofNanos(System.nanoTime() - revokedAt);
    System.out.println("the revocation ended the open stream " + took.toMillis() + " ms after the Secret was updated");
    assertThat(took).isLessThan(REVOCATION_BOUND);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).contains(serial(certA));
    await().atMost(WAIT).until(() -> service.connectedNodes().equals(Set.of("node-b")));
    assertThat(b.closed).isNotDone();
  }

  @Test
  void shouldRenewACertificateForTheNodeItNames() throws Exception {
    IssuedCertificate cert = ca.issueAgent("node-a");
    Agent a = new Agent("node-a", cert);
    await().atMost(WAIT).until(() -> a.updates.size() == 1);
    KeyPair pair = keyPair();

    CertificateResponse r = a.renew(csr("CN=node:node-a", pair));

    assertThat(r.getError()).isEmpty();
    X509Certificate renewed = Pem.parseCertificate(r.getCertificatePem());
    assertThat(CertificateAuthority.nodeOf(renewed)).isEqualTo("node-a");
    assertThat(renewed.getPublicKey()).isEqualTo(pair.getPublic());
    assertThat(renewed.getSerialNumber()).isNotEqualTo(cert.certificate().getSerialNumber());
    renewed.verify(ca.certificate().getPublicKey());
    // clientAuth to the operator, serverAuth for its Hubble server, under the name the relay verifies
    assertThat(renewed.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1");
    assertThat(renewed.getSubjectAlternativeNames()).containsExactly(List.of(2, "node-a.default.hubble-grpc.cilium.io"));
    assertThat(Pem.parseCertificate(r.getCaPem())).isEqualTo(ca.certificate());
    // one per stream: the agent is to reconnect with it
    assertThat(a.renew(csr("CN=node:node-a", keyPair())).getError()).contains("reconnect with it");
    // and it opens the agent port
    Agent renewedAgent = new Agent("node-a", new IssuedCertificate(renewed, pair.getPrivate(), ca.certificate()));
    await().atMost(WAIT).until(() -> renewedAgent.updates.size() == 1);
  }

  @Test
  void shouldRefuseARequestForAnotherNodesName() {
    Agent a = new Agent("node-a", ca.issueAgent("node-a"));
    await().atMost(WAIT).until(() -> a.updates.size() == 1);

    CertificateResponse r = a.renew(csr("CN=node:node-b", keyPair()));
    assertThat(r.getCertificatePem()).isEmpty();
    assertThat(r.getError()).contains("CN=node:node-b").contains("CN=node:node-a");
    // nor a name that is not a node's at all, or the node's name with more in the subject
    assertThat(a.renew(csr("CN=hexgate-operator", keyPair())).getCertificatePem()).isEmpty();
    assertThat(a.renew(csr("CN=node:node-a,O=system:masters", keyPair())).getCertificatePem()).isEmpty();
    assertThat(a.closed).isNotDone();
  }

  @Test
  void shouldRefuseARequestNotSignedByTheKeyItCarries() throws Exception {
    Agent a = new Agent("node-a", ca.issueAgent("node-a"));
    await().atMost(WAIT).until(() -> a.updates.size() == 1);
    String genuine = csr("CN=node:node-a", keyPair());
    String forged = csrWithForeignKey("CN=node:node-a", keyPair(), keyPair());
    assertThat(a.renew(forged).getError()).contains("signature");
    assertThat(a.renew(genuine).getError()).isEmpty();
  }

  @Test
  void shouldNotRenewARevokedCertificate() {
    IssuedCertificate cert = ca.issueAgent("node-a");
    // revoked before it connects: the port refuses it before any request can be made
    revoke(cert);
    Agent refused = new Agent("node-a", cert);
    refused.send(AgentMessage.newBuilder().setCertificateRequest(
        CertificateRequest.newBuilder().setCsrPem(csr("CN=node:node-a", keyPair()))).build());
    assertThat(ended(refused).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(refused.certificates).isEmpty();
  }

  @Test
  void shouldNotRenewACertificateRevokedAfterItsStreamOpened() {
    // the session's own check, for a request racing the deny list's watch
    IssuedCertificate cert = ca.issueAgent("node-a");
    Agent a = new Agent("node-a", cert);
    await().atMost(WAIT).until(() -> a.updates.size() == 1);
    service.useCertificates(new AgentCertificates() {
      @Override
      public boolean revoked(BigInteger serial) {
        return serial.equals(cert.certificate().getSerialNumber());
      }

      @Override
      public CertificateResponse renew(String node, String csrPem) {
        throw new AssertionError("a revoked certificate's request reached the CA");
      }
    });
    a.send(AgentMessage.newBuilder().setCertificateRequest(
        CertificateRequest.newBuilder().setCsrPem(csr("CN=node:node-a", keyPair()))).build());
    assertThat(ended(a).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(a.certificates).isEmpty();
  }

  private static Status ended(Agent a) {
    return a.closed.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  private void revoke(IssuedCertificate cert) {
    new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC())
        .revoke(cert.certificate().getSerialNumber(), CertificateAuthority.nodeOf(cert.certificate()), "test");
    Secret s = client.secrets().inNamespace("hexgate").withName("hexgate-ca").get();
    String text = new String(Base64.getDecoder().decode(s.getData().get(RevocationList.KEY)), StandardCharsets.UTF_8);
    assertThat(text).contains(serial(cert) + " node-a test");
  }

  private static String serial(IssuedCertificate cert) {
    return RevocationList.format(cert.certificate().getSerialNumber());
  }

  public static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String csr(String subject, KeyPair pair) {
    return csrWithForeignKey(subject, pair, pair);
  }

  /** A request carrying {@code carried}'s public key, signed by {@code signer}. */
  static String csrWithForeignKey(String subject, KeyPair carried, KeyPair signer) {
    try {
      var req =
          new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), carried.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
      StringWriter w = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
        pem.writeObject(req);
      }
      return w.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A minimal agent: says hello, counts updates, asks for certificates. */
  private final class Agent {
    final List<OperatorMessage> updates = new CopyOnWriteArrayList<>();
    final List<CertificateResponse> certificates = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    private volatile CompletableFuture<CertificateResponse> nextCertificate = new CompletableFuture<>();
    private ClientCallStreamObserver<AgentMessage> out;

    Agent(String node, IssuedCertificate cert) {
      ManagedChannel channel;
      try {
        channel =
            Grpc.newChannelBuilderForAddress(
                    "localhost",
                    port.port(),
                    TlsChannelCredentials.newBuilder()
                        .trustManager(pem(cert.caPem()))
                        .keyManager(pem(cert.certificatePem()), pem(cert.keyPem()))
                        .build())
                .build();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      channels.add(channel);
      NodeAgentGrpc.newStub(channel).connect(new ClientResponseObserver<AgentMessage, OperatorMessage>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
          out = requestStream;
        }

        @Override
        public void onNext(OperatorMessage m) {
          if (m.getKindCase() == OperatorMessage.KindCase.CERTIFICATE) {
            certificates.add(m.getCertificate());
            nextCertificate.complete(m.getCertificate());
          } else {
            updates.add(m);
          }
        }

        @Override
        public void onError(Throwable t) {
          closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
          closed.complete(Status.OK);
        }
      });
      send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode(node)).build());
    }

    synchronized void send(AgentMessage m) {
      out.onNext(m);
    }

    CertificateResponse renew(String csrPem) {
      nextCertificate = new CompletableFuture<>();
      send(AgentMessage.newBuilder().setCertificateRequest(CertificateRequest.newBuilder().setCsrPem(csrPem)).build());
      return nextCertificate.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    private InputStream pem(String text) {
      return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }
  }
}
