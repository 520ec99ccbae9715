package io.hexgate.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.stream.Stream;

/**
 * The fabric8 mock API server in CRUD mode, with the generated CRDs created first (else the status
 * subresource is missing) and an answer to the SelfSubjectRulesReview java-operator-sdk sends before
 * leader election (the CRUD store would echo the request back without a status).
 */
public final class MockApi implements AutoCloseable {
  // The mock logs every request through java.util.logging; held here so the setting is not collected.
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final KubernetesMockServer server;
  private final List<KubernetesClient> clients = new ArrayList<>();

  public MockApi() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    SelfSubjectRulesReview review =
        new SelfSubjectRulesReviewBuilder()
            .withNewStatus()
            .withIncomplete(false)
            .withResourceRules(
                new ResourceRuleBuilder()
                    .withApiGroups("coordination.k8s.io")
                    .withResources("leases")
                    .withVerbs("create", "update", "get")
                    .build())
            .endStatus()
            .build();
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, review)
        .always();
    KubernetesClient admin = client();
    try (Stream<Path> files = Files.list(RepoRoot.find().resolve("crds"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(f)) {
          CustomResourceDefinition crd = admin.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
          admin.resource(crd).create();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Answers TokenReviews (the CRUD store would echo them back without a status) with what {@code review}
   * says of the request's token and audiences.
   */
  public void answerTokenReviews(java.util.function.Function<io.fabric8.kubernetes.api.model.authentication.TokenReviewSpec, io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus> review) {
    io.hexgate.operator.tls.BootstrapFixtures.answerTokenReviews(server, review);
  }

  /** A new client of its own, as a separate process would have; closed with this mock. */
  public synchronized KubernetesClient client() {
    KubernetesClient c = server.createClient();
    clients.add(c);
    return c;
  }

  /** A client whose requests carry {@code userAgent}, to tell them apart in {@link #takeRequests()}. */
  public synchronized KubernetesClient client(String userAgent) {
    KubernetesClient base = server.createClient();
    KubernetesClient c =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(base.getConfiguration()).withUserAgent(userAgent).build())
            .build();
    base.close();
    clients.add(c);
    return c;
  }

  /** Every request the server received since the last call, oldest first. */
  public List<io.fabric8.mockwebserver.http.RecordedRequest> takeRequests() throws InterruptedException {
    List<io.fabric8.mockwebserver.http.RecordedRequest> out = new ArrayList<>();
    for (io.fabric8.mockwebserver.http.RecordedRequest r;
        (r = server.takeRequest(50, java.util.concurrent.TimeUnit.MILLISECONDS)) != null; ) {
      out.add(r);
    }
    return out;
  }

  @Override
  public synchronized void close() {
    clients.forEach(KubernetesClient::close);
    server.destroy();
  }
}
