package io.hexgate.operator.tls;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import io.grpc.StatusException;
import io.hexgate.operator.install.AgentObjects;
import java.util.List;
import java.util.Map;

/**
 * Tells which agent pod a bound ServiceAccount token belongs to, and whether that pod may have the
 * certificate of a node: the API server must authenticate the token for the audience
 * {@value AgentObjects#TOKEN_AUDIENCE} (a TokenReview) as the agents' ServiceAccount, bound to a pod that
 * still exists with the same uid, is owned by the DaemonSet {@value AgentObjects#AGENT} and runs on that
 * node. The ServiceAccount has no role: the token proves who the pod is and nothing else.
 */
public final class PodTokens {
  static final String POD_NAME = "authentication.kubernetes.io/pod-name";
  static final String POD_UID = "authentication.kubernetes.io/pod-uid";
  static final String NODE_NAME = "authentication.kubernetes.io/node-name";

  /** The pod a token was verified to belong to. */
  public record AgentPod(String name, String uid, String node) {}

  private final KubernetesClient client;
  private final String namespace;

  /** @param namespace the operator's, where the agents run */
  public PodTokens(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /**
   * The agent pod {@code token} belongs to, if it runs on {@code node}.
   *
   * @throws StatusException UNAUTHENTICATED when the token is not valid (for this audience),
   *     PERMISSION_DENIED when it is not an agent pod's on that node; the description says why
   */
  public AgentPod verify(String token, String node) throws StatusException {
    if (token == null || token.isBlank()) {
      throw refused(Status.UNAUTHENTICATED, "no token");
    }
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(AgentObjects.TOKEN_AUDIENCE)
            .endSpec()
            .build();
    TokenReviewStatus status = client.resource(review).create().getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String error = status == null || status.getError() == null ? "not authenticated" : status.getError();
      throw refused(Status.UNAUTHENTICATED, "the token is not valid for audience " + AgentObjects.TOKEN_AUDIENCE + ": " + error);
    }
    if (status.getAudiences() != null && !status.getAudiences().isEmpty()
        && !status.getAudiences().contains(AgentObjects.TOKEN_AUDIENCE)) {
      throw refused(Status.UNAUTHENTICATED, "the token is for " + status.getAudiences() + ", not " + AgentObjects.TOKEN_AUDIENCE);
    }
    UserInfo user = status.getUser();
    String expected = "system:serviceaccount:" + namespace + ":" + AgentObjects.AGENT;
    String username = user == null ? null : user.getUsername();
    if (!expected.equals(username)) {
      throw refused(Status.PERMISSION_DENIED, "the token is " + username + "'s, not " + expected + "'s");
    }
    Map<String, List<String>> extra = user.getExtra() == null ? Map.of() : user.getExtra();
    String podName = single(extra, POD_NAME);
    String podUid = single(extra, POD_UID);
    if (podName == null || podUid == null) {
      throw refused(Status.PERMISSION_DENIED, "the token is not bound to a pod (a projected token is needed)");
    }
    String tokenNode = single(extra, NODE_NAME);
    if (tokenNode != null && !tokenNode.equals(node)) {
      throw refused(Status.PERMISSION_DENIED, "the token's pod " + podName + " runs on node " + tokenNode + ", not " + node);
    }
    Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
    if (pod == null) {
      throw refused(Status.PERMISSION_DENIED, "the token's pod " + namespace + "/" + podName + " does not exist");
    }
    if (!podUid.equals(pod.getMetadata().getUid())) {
      throw refused(Status.PERMISSION_DENIED, "the token's pod " + podName + " had uid " + podUid
          + "; the pod of that name now is another (" + pod.getMetadata().getUid() + ")");
    }
    List<OwnerReference> owners = pod.getMetadata().getOwnerReferences() == null ? List.of() : pod.getMetadata().getOwnerReferences();
    boolean agent = owners.stream().anyMatch(o -> "DaemonSet".equals(o.getKind()) && AgentObjects.AGENT.equals(o.getName())
        && (o.getApiVersion() == null || o.getApiVersion().startsWith("apps/")));
    if (!agent) {
      throw refused(Status.PERMISSION_DENIED, "the token's pod " + podName + " is not run by the DaemonSet " + AgentObjects.AGENT);
    }
    String podNode = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (!node.equals(podNode)) {
      throw refused(Status.PERMISSION_DENIED, "the token's pod " + podName + " runs on node " + podNode + ", not " + node);
    }
    return new AgentPod(podName, podUid, podNode);
  }

  private static String single(Map<String, List<String>> extra, String key) {
    List<String> v = extra.get(key);
    return v == null || v.size() != 1 || v.get(0).isBlank() ? null : v.get(0);
  }

  private static StatusException refused(Status status, String why) {
    return status.withDescription(why).asException();
  }
}
