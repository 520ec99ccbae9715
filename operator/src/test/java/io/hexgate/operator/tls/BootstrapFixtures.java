package io.hexgate.operator.tls;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewSpec;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.AgentCertificatesTest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** An agent pod of the DaemonSet, its token as the API server reviews it, and a bootstrap request with a fresh key. */
public final class BootstrapFixtures {
  private BootstrapFixtures() {}

  public static Pod agentPod(String namespace, String name, String uid, String node) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).withUid(uid)
        .addNewOwnerReference().withApiVersion("apps/v1").withKind("DaemonSet").withName("hexgate-agent").withUid("ds").withController(true).endOwnerReference()
        .endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("agent").withImage("agent:1").endContainer().endSpec()
        .build();
  }

  /** A PEM certificate request for {@code CN=node:<node>} with a new key. */
  public static String csr(String node) {
    return AgentCertificatesTest.csr("CN=node:" + node, AgentCertificatesTest.keyPair());
  }

  /** The certificate the service issues, or the refusal's description prefixed by its code. */
  public static String bootstrap(NodeAgentService service, String node, String token) throws Exception {
    CompletableFuture<String> out = new CompletableFuture<>();
    service.bootstrap(
        BootstrapRequest.newBuilder().setNode(node).setToken(token).setCsrPem(csr(node)).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(BootstrapResponse r) {
            out.complete(r.getCertificatePem());
          }

          @Override
          public void onError(Throwable t) {
            out.complete(t instanceof StatusException e ? e.getStatus().getCode() + ": " + e.getStatus().getDescription() : t.toString());
          }

          @Override
          public void onCompleted() {}
        });
    return out.get(10, TimeUnit.SECONDS);
  }

  /**
   * Answers the mock API server's TokenReviews (its CRUD store would echo them back without a status)
   * with what {@code review} says of the request's token and audiences.
   */
  public static void answerTokenReviews(KubernetesMockServer server, Function<TokenReviewSpec, TokenReviewStatus> review) {
    server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(201, request -> {
          TokenReview in = Serialization.unmarshal(request.getBody().readUtf8(), TokenReview.class);
          in.setStatus(review.apply(in.getSpec()));
          return in;
        })
        .always();
  }

  /** What the API server says of the bound token (audience hexgate) of the agent pod {@code pod} ({@code uid}). */
  public static TokenReviewStatusBuilder agentToken(String namespace, String pod, String uid) {
    return new TokenReviewStatusBuilder()
        .withAuthenticated(true)
        .withAudiences("hexgate")
        .withNewUser()
        .withUsername("system:serviceaccount:" + namespace + ":hexgate-agent")
        .addToExtra("authentication.kubernetes.io/pod-name", List.of(pod))
        .addToExtra("authentication.kubernetes.io/pod-uid", List.of(uid))
        .endUser();
  }

  /** What the API server says of a token it does not authenticate. */
  public static TokenReviewStatus invalidToken() {
    return new TokenReviewStatusBuilder().withAuthenticated(false).withError("invalid bearer token").build();
  }
}
