package io.hexgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** helm lints and renders charts/hexgate, and with its default values renders exactly deploy/'s objects. */
class HelmChartTest {
  private static final Path CHART = Repo.root().resolve("charts/hexgate");

  @Test
  void helmLintPasses() throws Exception {
    OlmTools.Run lint = OlmTools.run(Repo.root(), OlmTools.command(OlmTools.helm(), "lint", "--strict", CHART.toString()));
    assertThat(lint.exitCode()).as(lint.output()).isZero();
    assertThat(lint.output()).contains("1 chart(s) linted, 0 chart(s) failed");
  }

  @Test
  void theDefaultValuesRenderDeploysObjects() throws Exception {
    Map<String, JsonNode> rendered = byKindAndName(Yaml.readAll(template()));
    Map<String, JsonNode> plain = new TreeMap<>();
    try (Stream<Path> files = Files.list(Repo.root().resolve("deploy"))) {
      for (Path f : files.sorted().toList()) {
        plain.putAll(byKindAndName(Yaml.readAll(Files.readString(f))));
      }
    }
    // helm installs into a namespace that exists (helm install -n hexgate --create-namespace)
    plain.remove("Namespace/hexgate");
    assertThat(rendered.keySet()).isEqualTo(plain.keySet());
    for (String key : plain.keySet()) {
      assertThat(rendered.get(key)).as(key).isEqualTo(plain.get(key));
    }
  }

  @Test
  void withoutMetricsTheOperatorServesNoneAndHasNoProbes() throws Exception {
    JsonNode operator = Yaml.readAll(template("--set", "metrics.enabled=false")).stream()
        .filter(o -> o.path("kind").asText().equals("Deployment")).findFirst().orElseThrow()
        .path("spec").path("template").path("spec").path("containers").get(0);
    assertThat(operator.path("args").toString()).contains("--metrics-port=0");
    assertThat(operator.has("readinessProbe")).isFalse();
    assertThat(operator.has("livenessProbe")).isFalse();
    assertThat(operator.path("ports").findValuesAsText("name")).containsExactly("agents", "hubble-relay");
  }

  @Test
  void theRelayListensOnTheValuesPortOrNotAtAll() throws Exception {
    List<JsonNode> moved = Yaml.readAll(template("--set", "hubble.relay.listenPort=14245"));
    JsonNode operator = container(moved);
    assertThat(operator.path("args").toString()).contains("--relay-port=14245");
    assertThat(operator.path("ports").toString()).contains("\"containerPort\":14245,\"hostPort\":14245");
    assertThat(moved).anySatisfy(o -> assertThat(o.path("metadata").path("name").asText()).isEqualTo(Names.RELAY_SERVICE));

    List<JsonNode> off = Yaml.readAll(template("--set", "hubble.relay.enabled=false"));
    assertThat(container(off).path("args").toString()).contains("--relay-port=0");
    assertThat(container(off).path("ports").findValuesAsText("name")).containsExactly("agents", "metrics");
    assertThat(off).noneSatisfy(o -> assertThat(o.path("kind").asText()).isEqualTo("Service"));
  }

  private static JsonNode container(List<JsonNode> objects) {
    return objects.stream().filter(o -> o.path("kind").asText().equals("Deployment")).findFirst().orElseThrow()
        .path("spec").path("template").path("spec").path("containers").get(0);
  }

  @Test
  void theImagesComeFromTheValues() throws Exception {
    JsonNode operator = Yaml.readAll(template("--set", "operator.image.tag=0.2.0", "--set", "agent.image.repository=registry.example/agent"))
        .stream().filter(o -> o.path("kind").asText().equals("Deployment")).findFirst().orElseThrow()
        .path("spec").path("template").path("spec").path("containers").get(0);
    assertThat(operator.path("image").asText()).isEqualTo("ghcr.io/hexgate-io/hexgate-operator:0.2.0");
    assertThat(operator.path("env").toString()).contains("registry.example/agent:" + Names.VERSION);
  }

  private static String template(String... values) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", "hexgate", CHART.toString(), "--namespace", Names.NAMESPACE, "--include-crds"));
    args.addAll(List.of(values));
    OlmTools.Run run = OlmTools.run(Repo.root(), OlmTools.command(OlmTools.helm(), args.toArray(String[]::new)));
    assertThat(run.exitCode()).as(run.output()).isZero();
    return run.output();
  }

  private static Map<String, JsonNode> byKindAndName(List<JsonNode> objects) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode o : objects) {
      out.put(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText(), o);
    }
    return out;
  }
}
