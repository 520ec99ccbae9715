package io.hexgate.lab.api;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.RepoRoot;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** One lab API server (with the repository's CRDs) per test class, and a fresh namespace for each test. */
abstract class WithLabApiServer {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  protected static LabApiServer api;
  protected static KubernetesClient kube;
  /** The namespace this test works in, created empty before it. */
  protected String ns;

  @BeforeAll
  static void startApiServer() {
    api = LabApiServer.start(0, LabApiServer.crdFiles(RepoRoot.find().resolve("crds")));
    kube = api.client();
  }

  @AfterAll
  static void stopApiServer() {
    if (api != null) {
      api.close();
      api = null;
    }
  }

  @BeforeEach
  void createNamespace() {
    ns = "t" + NAMESPACES.incrementAndGet();
    kube.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
  }
}
