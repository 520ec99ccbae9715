package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.metrics.MetricsServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real operator on the mock API, scraped over HTTP. */
class MetricsTest {
  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private HexgateOperator operator;
  private MetricsServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
    if (operator != null) {
      operator.stop();
    }
    api.close();
  }

  private String scrape() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    return r.body();
  }

  @Test
  void shouldServeCiliumNamedMetricsOnSlashMetrics() throws Exception {
    operator = TestOperator.create(api.client(), new MutableClock());
    operator.metrics().connectedAgents(() -> Set.of("node-1", "node-2"));
    operator.start();
    server = MetricsServer.start(0, "hexgate-metrics", operator.metrics()::scrape);
    kube.resource(HexgateOperatorTest.pod("default", "web", "10.0.0.1", Map.of("app", "web"))).create();
    kube.resource(HexgateOperatorTest.pod("default", "db", "10.0.0.2", Map.of("app", "db"))).create();
    kube.resource(HexgateOperatorTest.cnp("web-ingress", "web", "80")).create();
    kube.resource(HexgateOperatorTest.cnp("broken", "db", "70000")).create();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              String text = scrape();
              assertThat(text)
                  .contains("cilium_identity{type=\"cluster_local\"} 2.0")
                  .contains("cilium_policy 1.0")
                  .contains("cilium_endpoint 2.0")
                  .contains("cilium_policy_change_total{outcome=\"success\"} 1.0")
                  .contains("cilium_policy_change_total{outcome=\"failure\"} 1.0")
                  .contains("hexgate_connected_agents 2.0")
                  .containsPattern("cilium_policy_regeneration_total [1-9]")
                  .containsPattern(
                      "hexgate_operator_reconcile_duration_seconds_count\\{controller=\"pods\",outcome=\"success\"} [1-9]");
            });
  }

  @Test
  void shouldBeReadyOnlyWhileServingAgents() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean leading = new java.util.concurrent.atomic.AtomicBoolean();
    server = MetricsServer.start(0, "hexgate-metrics", new io.hexgate.operator.metrics.OperatorMetrics()::scrape, leading::get);
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/readyz")).build();
    assertThat(http.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    leading.set(true);
    assertThat(http.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
  }
}
