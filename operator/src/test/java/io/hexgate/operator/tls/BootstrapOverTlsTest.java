package io.hexgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.operator.node.AgentCertificatesTest;
import io.hexgate.operator.node.FlowBatchListener;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeStateHub;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent port as the operator runs it ({@link AgentServer}, real TLS on localhost) to a caller without
 * a client certificate: Bootstrap is served, nothing else is, and the certificate Bootstrap gives opens
 * the port as that node.
 */
@EnableKubernetesMockClient(crud = true)
class BootstrapOverTlsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String NS = "hexgate";

  KubernetesClient client;
  KubernetesMockServer server;

  private final ExecutorService sender = Executors.newSingleThreadExecutor();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private NodeAgentService service;
  private AgentServer port;
  private CertificateAuthority ca;
  private String podUid;

  @BeforeEach
  void start() {
    podUid = client.pods().inNamespace(NS).resource(BootstrapFixtures.agentPod(NS, "hexgate-agent-x", null, "node-a"))
        .create().getMetadata().getUid();
    BootstrapFixtures.answerTokenReviews(server, spec -> "pod-token".equals(spec.getToken())
        ? BootstrapFixtures.agentToken(NS, "hexgate-agent-x", podUid).build()
        : BootstrapFixtures.invalidToken());
    service = new NodeAgentService(new NodeStateHub(), r -> {}, FlowBatchListener.NONE, sender,
        NodeAgentService.Authentication.REQUIRE_CERTIFICATE);
    port = AgentServer.start(client, NS, "hexgate-ca", 0, List.of("localhost"), service, Clock.systemUTC());
    ca = new CaSecretStore(client, NS, "hexgate-ca", Clock.systemUTC()).load().orElseThrow();
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    port.close();
    sender.shutdownNow();
  }

  @Test
  void servesNothingButBootstrapWithoutAClientCertificate() {
    ManagedChannel anonymous = channel(trustingTheCa().build());
    List<MethodDescriptor<?, ?>> others = NodeAgentGrpc.getServiceDescriptor().getMethods().stream()
        .filter(m -> m != NodeAgentGrpc.getBootstrapMethod())
        .toList();
    assertThat(others).isNotEmpty();
    for (MethodDescriptor<?, ?> m : others) {
      Status s = call(anonymous, m);
      assertThat(s.getCode()).as(m.getFullMethodName()).isIn(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED);
      assertThat(s.getDescription()).as(m.getFullMethodName()).isEqualTo("no agent client certificate");
    }
    assertThat(service.connectedNodes()).isEmpty();

    // Bootstrap is served: a refusal comes from the bootstrap itself, with its reason
    assertThatThrownBy(() -> bootstrap(anonymous, "node-a", "stolen", BootstrapFixtures.csr("node-a")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).isEqualTo("the token is not valid for audience hexgate: invalid bearer token");
        });
    BootstrapResponse r = bootstrap(anonymous, "node-a", "pod-token", BootstrapFixtures.csr("node-a"));
    assertThat(r.getCertificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
  }

  @Test
  void theBootstrappedCertificateOpensThePortAsItsNodeOnly() throws Exception {
    KeyPair key = AgentCertificatesTest.keyPair();
    BootstrapResponse r = bootstrap(channel(trustingTheCa().build()), "node-a", "pod-token",
        AgentCertificatesTest.csr("CN=node:node-a", key));

    ManagedChannel asNodeA = channel(trustingTheCa().keyManager(pem(r.getCertificatePem()), pem(Pem.privateKey(key.getPrivate()))).build());
    CompletableFuture<OperatorMessage> first = new CompletableFuture<>();
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<AgentMessage> out = NodeAgentGrpc.newStub(asNodeA).connect(observer(first, ended));
    out.onNext(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode("node-a")).build());
    await().atMost(WAIT).until(() -> service.connectedNodes().contains("node-a"));
    assertThat(ended).isNotDone();

    // the same certificate cannot speak for another node
    CompletableFuture<Status> refused = new CompletableFuture<>();
    NodeAgentGrpc.newStub(asNodeA).connect(observer(new CompletableFuture<>(), refused))
        .onNext(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode("node-b")).build());
    Status s = refused.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(service.connectedNodes()).containsExactly("node-a");
  }

  @Test
  void refusesAClientCertificateThatIsNotAnAgentsOrNotFromItsCa() throws Exception {
    // from the CA, but a user's, not a node's: no Bootstrap either (it is for callers without one)
    IssuedCertificate user = ca.issueClient("admin", List.of("system:masters"));
    ManagedChannel asUser = channel(trustingTheCa().keyManager(pem(user.certificatePem()), pem(user.keyPem())).build());
    for (MethodDescriptor<?, ?> m : NodeAgentGrpc.getServiceDescriptor().getMethods()) {
      Status s = call(asUser, m);
      assertThat(s.getCode()).as(m.getFullMethodName()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    // a node's certificate from another CA never names a node here: the JDK's client does not offer it to a
    // port asking for this CA's (the caller is anonymous), another client's would fail the handshake
    IssuedCertificate foreign = CertificateAuthority.create("other-ca", Clock.systemUTC()).issueAgent("node-a");
    ManagedChannel asForeign = channel(trustingTheCa().keyManager(pem(foreign.certificatePem()), pem(foreign.keyPem())).build());
    Status s = call(asForeign, NodeAgentGrpc.getConnectMethod());
    assertThat(s.getCode()).isIn(Status.Code.UNAUTHENTICATED, Status.Code.UNAVAILABLE);
    assertThat(service.connectedNodes()).isEmpty();
  }

  private TlsChannelCredentials.Builder trustingTheCa() {
    try {
      return TlsChannelCredentials.newBuilder().trustManager(pem(Pem.certificate(port.caCertificate())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ManagedChannel channel(ChannelCredentials credentials) {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("localhost", port.port(), credentials).build();
    channels.add(ch);
    return ch;
  }

  private static BootstrapResponse bootstrap(ManagedChannel channel, String node, String token, String csr) {
    return NodeAgentGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .bootstrap(BootstrapRequest.newBuilder().setNode(node).setToken(token).setCsrPem(csr).build());
  }

  /** How a call of {@code method} that sends nothing ends. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Status call(ManagedChannel channel, MethodDescriptor<?, ?> method) {
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    call.start(new ClientCall.Listener() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.halfClose();
    return closed.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  private static StreamObserver<OperatorMessage> observer(CompletableFuture<OperatorMessage> first, CompletableFuture<Status> ended) {
    return new StreamObserver<>() {
      @Override
      public void onNext(OperatorMessage m) {
        first.complete(m);
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    };
  }

  private static InputStream pem(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
  }
}
