package io.hexgate.operator.bootstrap;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.AgentCertificatesTest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** An agent pod of the DaemonSet, and a bootstrap request with a fresh key. */
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
}
