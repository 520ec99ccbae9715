package io.hexgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import io.grpc.StatusException;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.operator.node.AgentCertificatesTest;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who gets a node's first certificate: only the pod of the agents' DaemonSet running on that node, proved
 * by its bound token (TokenReviews answered by the mock API server as a real one would), and only for the
 * node that pod runs on, whatever the request's subject says.
 */
@EnableKubernetesMockClient(crud = true)
class TokenBootstrapTest {
  private static final String NS = "hexgate";
  private static final String AGENT_USER = "system:serviceaccount:" + NS + ":hexgate-agent";

  KubernetesClient client;
  KubernetesMockServer server;

  /** What the API server says of each token; others are not authenticated. */
  private final Map<String, TokenReviewStatus> tokens = new ConcurrentHashMap<>();
  private final List<List<String>> audiencesAsked = new CopyOnWriteArrayList<>();
  private final CertificateAuthority ca = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());
  private final RevokedCertificates revoked = new RevokedCertificates();
  private TokenBootstrap bootstrap;

  @BeforeEach
  void start() {
    BootstrapFixtures.answerTokenReviews(server, spec -> {
      audiencesAsked.add(spec.getAudiences());
      return tokens.getOrDefault(spec.getToken(), BootstrapFixtures.invalidToken());
    });
    bootstrap = new TokenBootstrap(new PodTokens(client, NS), ca, revoked, Clock.systemUTC());
  }

  /** The agent pod {@code name} on {@code node}, created; its uid as the API server gave it. */
  private String agentPod(String name, String node) {
    return create(BootstrapFixtures.agentPod(NS, name, null, node));
  }

  private String create(Pod pod) {
    return client.pods().inNamespace(NS).resource(pod).create().getMetadata().getUid();
  }

  /** A token the API server authenticates as {@code user}, bound to pod {@code name} ({@code uid}). */
  private static TokenReviewStatusBuilder token(String user, String name, String uid) {
    return BootstrapFixtures.agentToken(NS, name, uid).editUser().withUsername(user).endUser();
  }

  private static BootstrapRequest request(String node, String token, String csr) {
    return BootstrapRequest.newBuilder().setNode(node).setToken(token).setCsrPem(csr).build();
  }

  private Status refusal(BootstrapRequest r) {
    try {
      BootstrapResponse answer = bootstrap.bootstrap(r);
      throw new AssertionError("bootstrapped " + r.getNode() + ": " + answer.getCertificatePem());
    } catch (StatusException e) {
      return e.getStatus();
    }
  }

  private static X509Certificate certificate(BootstrapResponse r) throws Exception {
    return Pem.parseCertificate(r.getCertificatePem());
  }

  @Test
  void issuesTheCertificateOfTheNodeTheTokensPodRunsOn() throws Exception {
    tokens.put("t", token(AGENT_USER, "agent-a", agentPod("agent-a", "node-a")).build());
    KeyPair key = AgentCertificatesTest.keyPair();

    BootstrapResponse r = bootstrap.bootstrap(request("node-a", "t", AgentCertificatesTest.csr("CN=node:node-a", key)));

    X509Certificate cert = certificate(r);
    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=node:node-a");
    assertThat(cert.getPublicKey()).isEqualTo(key.getPublic());
    // clientAuth to the operator, serverAuth for the node's Hubble server (the relay dials it)
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1");
    assertThat(Pem.parseCertificate(r.getCaPem())).isEqualTo(ca.certificate());
    assertThat(audiencesAsked).containsOnly(List.of("hexgate"));
  }

  @Test
  void refusesATokenOfAnotherServiceAccount() {
    String uid = agentPod("agent-a", "node-a");
    tokens.put("default", token("system:serviceaccount:" + NS + ":default", "agent-a", uid).build());
    tokens.put("elsewhere", token("system:serviceaccount:other:hexgate-agent", "agent-a", uid).build());
    tokens.put("user", token("jane", "agent-a", uid).build());

    for (String t : List.of("default", "elsewhere", "user")) {
      Status s = refusal(request("node-a", t, BootstrapFixtures.csr("node-a")));
      assertThat(s.getCode()).as(t).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(s.getDescription()).as(t).endsWith("not " + AGENT_USER + "'s");
    }
    assertThat(refusal(request("node-a", "default", BootstrapFixtures.csr("node-a"))).getDescription())
        .isEqualTo("the token is system:serviceaccount:hexgate:default's, not " + AGENT_USER + "'s");
  }

  @Test
  void refusesATokenTheApiServerDoesNotAuthenticateForTheHexgateAudience() {
    String uid = agentPod("agent-a", "node-a");
    // what the API server answers for a token made for another audience, when asked for "hexgate"
    tokens.put("kube-audience", new TokenReviewStatusBuilder().withAuthenticated(false)
        .withError("[invalid bearer token, token audiences [\"https://kubernetes.default.svc\"] is invalid for the target audiences [\"hexgate\"]]")
        .build());
    // an API server that authenticated it for other audiences than asked
    tokens.put("other-audience", token(AGENT_USER, "agent-a", uid).withAudiences("https://kubernetes.default.svc").build());

    Status wrong = refusal(request("node-a", "kube-audience", BootstrapFixtures.csr("node-a")));
    assertThat(wrong.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(wrong.getDescription()).startsWith("the token is not valid for audience hexgate: ")
        .contains("is invalid for the target audiences");
    Status unknown = refusal(request("node-a", "forged", BootstrapFixtures.csr("node-a")));
    assertThat(unknown.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(unknown.getDescription()).isEqualTo("the token is not valid for audience hexgate: invalid bearer token");
    Status other = refusal(request("node-a", "other-audience", BootstrapFixtures.csr("node-a")));
    assertThat(other.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(other.getDescription()).isEqualTo("the token is for [https://kubernetes.default.svc], not hexgate");
    Status none = refusal(request("node-a", "", BootstrapFixtures.csr("node-a")));
    assertThat(none.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(none.getDescription()).isEqualTo("no token");
  }

  @Test
  void refusesAPodOnAnotherNodeThanAsked() {
    tokens.put("t", token(AGENT_USER, "agent-b", agentPod("agent-b", "node-b")).build());

    Status s = refusal(request("node-a", "t", BootstrapFixtures.csr("node-a")));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).isEqualTo("the token's pod agent-b runs on node node-b, not node-a");
  }

  @Test
  void refusesATokenWhoseNodeDisagreesWithTheRequest() {
    String uid = agentPod("agent-a", "node-a");
    tokens.put("t", token(AGENT_USER, "agent-a", uid).editUser().addToExtra(PodTokens.NODE_NAME, List.of("node-b")).endUser().build());
    tokens.put("same", token(AGENT_USER, "agent-a", uid).editUser().addToExtra(PodTokens.NODE_NAME, List.of("node-a")).endUser().build());

    Status s = refusal(request("node-a", "t", BootstrapFixtures.csr("node-a")));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).isEqualTo("the token's pod agent-a runs on node node-b, not node-a");
    // nor for the token's node, where the pod does not run
    Status forB = refusal(request("node-b", "t", BootstrapFixtures.csr("node-b")));
    assertThat(forB.getDescription()).isEqualTo("the token's pod agent-a runs on node node-a, not node-b");
    // a token whose node agrees is taken
    assertThat(certificateOrRefusal(request("node-a", "same", BootstrapFixtures.csr("node-a")))).isEqualTo("CN=node:node-a");
  }

  @Test
  void refusesAPodNotRunByTheAgentsDaemonSet() {
    Map<String, Pod> pods = Map.of(
        "orphan", new PodBuilder(BootstrapFixtures.agentPod(NS, "orphan", null, "node-a"))
            .editMetadata().withOwnerReferences().endMetadata().build(),
        "other-ds", new PodBuilder(BootstrapFixtures.agentPod(NS, "other-ds", null, "node-a"))
            .editMetadata().editFirstOwnerReference().withName("other").endOwnerReference().endMetadata().build(),
        "replica", new PodBuilder(BootstrapFixtures.agentPod(NS, "replica", null, "node-a"))
            .editMetadata().editFirstOwnerReference().withKind("ReplicaSet").endOwnerReference().endMetadata().build(),
        "not-apps", new PodBuilder(BootstrapFixtures.agentPod(NS, "not-apps", null, "node-a"))
            .editMetadata().editFirstOwnerReference().withApiVersion("example.com/v1").endOwnerReference().endMetadata().build());
    pods.forEach((name, pod) -> tokens.put(name, token(AGENT_USER, name, create(pod)).build()));

    for (String name : pods.keySet()) {
      Status s = refusal(request("node-a", name, BootstrapFixtures.csr("node-a")));
      assertThat(s.getCode()).as(name).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(s.getDescription()).as(name)
          .isEqualTo("the token's pod " + name + " is not run by the DaemonSet hexgate-agent");
    }
  }

  @Test
  void refusesATokenOfARecreatedPod() {
    String before = agentPod("agent-a", "node-a");
    tokens.put("old", token(AGENT_USER, "agent-a", before).build());
    client.pods().inNamespace(NS).withName("agent-a").delete();
    String now = agentPod("agent-a", "node-a");
    assertThat(now).isNotEqualTo(before);

    Status s = refusal(request("node-a", "old", BootstrapFixtures.csr("node-a")));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription())
        .isEqualTo("the token's pod agent-a had uid " + before + "; the pod of that name now is another (" + now + ")");
  }

  @Test
  void refusesATokenOfAPodThatIsGone() {
    tokens.put("t", token(AGENT_USER, "agent-a", agentPod("agent-a", "node-a")).build());
    client.pods().inNamespace(NS).withName("agent-a").delete();

    Status s = refusal(request("node-a", "t", BootstrapFixtures.csr("node-a")));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).isEqualTo("the token's pod hexgate/agent-a does not exist");
  }

  @Test
  void refusesATokenNotBoundToAPod() {
    tokens.put("legacy", new TokenReviewStatusBuilder().withAuthenticated(true).withAudiences("hexgate")
        .withNewUser().withUsername(AGENT_USER).endUser().build());

    Status s = refusal(request("node-a", "legacy", BootstrapFixtures.csr("node-a")));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).contains("not bound to a pod");
  }

  @Test
  void givesAPodAnotherCertificateUnlessItsEarlierOneWasRevoked() throws Exception {
    tokens.put("t", token(AGENT_USER, "agent-a", agentPod("agent-a", "node-a")).build());
    X509Certificate first = certificate(bootstrap.bootstrap(request("node-a", "t", BootstrapFixtures.csr("node-a"))));
    // the container restarted with an empty certificate directory
    X509Certificate second = certificate(bootstrap.bootstrap(request("node-a", "t", BootstrapFixtures.csr("node-a"))));
    assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());

    revoked.update(RevocationList.append("", second.getSerialNumber(), "node-a", "stolen"), "test");
    Status s = refusal(request("node-a", "t", BootstrapFixtures.csr("node-a")));

    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).isEqualTo("certificate " + RevocationList.format(second.getSerialNumber())
        + " issued to pod agent-a is revoked: delete the pod to bootstrap node node-a again");
    // its replacement pod (another uid) may bootstrap
    client.pods().inNamespace(NS).withName("agent-a").delete();
    tokens.put("t2", token(AGENT_USER, "agent-a", agentPod("agent-a", "node-a")).build());
    assertThat(certificateOrRefusal(request("node-a", "t2", BootstrapFixtures.csr("node-a")))).isEqualTo("CN=node:node-a");
  }

  @Test
  void refusesAMalformedRequest() {
    tokens.put("t", token(AGENT_USER, "agent-a", agentPod("agent-a", "node-a")).build());
    KeyPair key = AgentCertificatesTest.keyPair();
    String csr = AgentCertificatesTest.csr("CN=node:node-a", key);

    Status garbage = refusal(request("node-a", "t", "not a request"));
    assertThat(garbage.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(garbage.getDescription()).isEqualTo("no PEM certificate request (BEGIN CERTIFICATE REQUEST)");
    Status truncated = refusal(request("node-a", "t", csr.substring(0, csr.length() / 2)));
    assertThat(truncated.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(truncated.getDescription()).contains("certificate request");
    Status empty = refusal(request("node-a", "t", ""));
    assertThat(empty.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    Status noNode = refusal(request("", "t", csr));
    assertThat(noNode.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(noNode.getDescription()).isEqualTo("no node named");
  }

  @Test
  void signsOnlyTheVerifiedPodsNodeWhateverTheRequestsSubjectSays() {
    tokens.put("t", token(AGENT_USER, "agent-a", agentPod("agent-a", "node-a")).build());

    Status other = refusal(request("node-a", "t", BootstrapFixtures.csr("node-b")));
    assertThat(other.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(other.getDescription())
        .isEqualTo("the request names CN=node:node-b, but this agent's certificate is for CN=node:node-a");
    for (String subject : List.of("CN=node:node-a,O=system:masters", "CN=hexgate-operator", "CN=node:node-a+O=x")) {
      Status s = refusal(request("node-a", "t", AgentCertificatesTest.csr(subject, AgentCertificatesTest.keyPair())));
      assertThat(s.getCode()).as(subject).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).as(subject).endsWith("but this agent's certificate is for CN=node:node-a");
    }
    // asking for the subject's node does not help either: the pod does not run there
    Status elsewhere = refusal(request("node-b", "t", BootstrapFixtures.csr("node-b")));
    assertThat(elsewhere.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(certificateOrRefusal(request("node-a", "t", BootstrapFixtures.csr("node-a")))).isEqualTo("CN=node:node-a");
  }

  /** The issued certificate's subject, or the refusal. */
  private String certificateOrRefusal(BootstrapRequest r) {
    try {
      return certificate(bootstrap.bootstrap(r)).getSubjectX500Principal().getName();
    } catch (StatusException e) {
      return e.getStatus().toString();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
