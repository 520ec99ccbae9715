package io.hexgate.lab.workload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class WorkloadsTest {
  @Test
  void imagesMapToTheirWorkloads() {
    assertThat(WorkloadKind.forImage("quay.io/cilium/starwars:v2.1@sha256:833d915ec68fca3ce83668fc5dae97c455b2134d8f23ef96586f55b894cfb1e8"))
        .isEqualTo(WorkloadKind.DEATHSTAR);
    assertThat(WorkloadKind.forImage("docker.io/cilium/starwars")).isEqualTo(WorkloadKind.DEATHSTAR);
    assertThat(WorkloadKind.forImage("quay.io/cilium/json-mock:v1.3.8@sha256:5aad04835eda9025fe4561ad31be77fd55309af8158ca8663a72f6abb78c2603"))
        .isEqualTo(WorkloadKind.IDLE);
    assertThat(WorkloadKind.forImage("registry.k8s.io/coredns/coredns:v1.11.3")).isEqualTo(WorkloadKind.DNS);
    assertThat(WorkloadKind.forImage("nginx:1.27")).isEqualTo(WorkloadKind.UNSUPPORTED);
    assertThat(WorkloadKind.forImage("localhost:5000/cilium/starwars")).isEqualTo(WorkloadKind.UNSUPPORTED);
    assertThat(WorkloadKind.forImage(null)).isEqualTo(WorkloadKind.UNSUPPORTED);
  }

  @Test
  void deathstarAnswersAsTheGuideShows() throws Exception {
    try (DeathstarApi api = DeathstarApi.bind(new InetSocketAddress("127.0.0.1", 0), "deathstar-abc-xyz12")) {
      api.start();
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + api.address().getPort();
      HttpResponse<String> landed = http.send(
          HttpRequest.newBuilder(URI.create(base + "/v1/request-landing")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(landed.statusCode()).isEqualTo(200);
      assertThat(landed.body()).isEqualTo("Ship landed\n");
      HttpResponse<String> exhaust = http.send(
          HttpRequest.newBuilder(URI.create(base + "/v1/exhaust-port")).PUT(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(exhaust.body()).startsWith("Panic: deathstar exploded\n\ngoroutine 1 [running]:\nmain.HandleGarbage(")
          .endsWith("        temp/main.go:5 +0x85\n");
      HttpResponse<String> info = http.send(HttpRequest.newBuilder(URI.create(base + "/v1")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(info.body()).contains("\"name\":\"Death Star\"", "\"hostname\":\"deathstar-abc-xyz12\"");
      HttpResponse<String> wrongMethod = http.send(
          HttpRequest.newBuilder(URI.create(base + "/v1/request-landing")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(wrongMethod.statusCode()).isEqualTo(405);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/v2")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(404);
    }
  }
}
