package io.hexgate.contract.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(MetricsServer server, String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheScrapeInPrometheusTextFormat() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, "hexgate-test-metrics", () -> "up 1\n")) {
      HttpResponse<String> get = send(server, "GET", "/metrics");
      assertThat(get.statusCode()).isEqualTo(200);
      assertThat(get.body()).isEqualTo("up 1\n");
      assertThat(get.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(send(server, "HEAD", "/metrics").statusCode()).isEqualTo(200);
      HttpResponse<String> post = send(server, "POST", "/metrics");
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
      assertThat(send(server, "GET", "/readyz").statusCode()).as("no readiness unless asked").isEqualTo(404);
    }
  }

  @Test
  void aFailedScrapeIsA500SayingWhy() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, "hexgate-test-metrics", () -> {
      throw new IllegalStateException("map gone");
    })) {
      HttpResponse<String> get = send(server, "GET", "/metrics");
      assertThat(get.statusCode()).isEqualTo(500);
      assertThat(get.body()).isEqualTo("cannot collect the metrics: map gone\n");
    }
  }

  @Test
  void readyzFollowsTheReadiness() throws Exception {
    AtomicBoolean leading = new AtomicBoolean();
    try (MetricsServer server = MetricsServer.start(0, "hexgate-test-metrics", () -> "", leading::get)) {
      assertThat(send(server, "GET", "/readyz").statusCode()).isEqualTo(503);
      leading.set(true);
      HttpResponse<String> ready = send(server, "GET", "/readyz");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("ok\n");
    }
  }
}
