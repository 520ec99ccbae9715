package io.hexgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator on a copy of the repository's sources whose crds/ also holds a HexgateConfig CRD: the CSV
 * owns and describes it and offers the HexgateConfig default, deploy/ and the chart create it, and OLM's
 * validators accept the result.
 */
class HexgateConfigPackagingTest {
  @TempDir Path root;

  @BeforeEach
  void sources() throws IOException {
    Path repo = Repo.root();
    for (String dir : List.of("crds", "config/rbac", "examples/starwars")) {
      Repo.copy(repo.resolve(dir), root.resolve(dir));
    }
    try (InputStream crd = getClass().getResourceAsStream("hexgateconfigs.hexgate.io-v1.yml")) {
      Files.write(root.resolve("crds/hexgateconfigs.hexgate.io-v1.yml"), crd.readAllBytes());
    }
  }

  @Test
  void theCsvOwnsAndDescribesHexgateConfig() throws IOException {
    Map<String, String> files = PackagingGenerator.generate(root);
    JsonNode csv = Yaml.readAll(files.get("bundle/manifests/hexgate-operator.clusterserviceversion.yaml")).get(0);
    JsonNode owned = null;
    for (JsonNode o : csv.path("spec").path("customresourcedefinitions").path("owned")) {
      if (o.path("name").asText().equals("hexgateconfigs.hexgate.io")) {
        owned = o;
      }
    }
    assertThat(owned).isNotNull();
    assertThat(owned.path("version").asText()).isEqualTo("v1alpha1");
    assertThat(owned.path("kind").asText()).isEqualTo("HexgateConfig");
    assertThat(owned.path("resources").findValuesAsText("kind")).containsExactly("DaemonSet", "ConfigMap", "Service", "ServiceAccount");
    assertThat(owned.path("specDescriptors").findValuesAsText("path")).containsExactly("agentImage", "metrics", "resources");
    assertThat(owned.path("statusDescriptors").findValuesAsText("path"))
        .containsExactly("desiredAgents", "readyAgents", "enforcingAgents", "conditions");
    assertThat(owned.path("statusDescriptors").get(3).path("x-descriptors").get(0).asText())
        .isEqualTo("urn:alm:descriptor:io.kubernetes.conditions");

    JsonNode examples = new ObjectMapper().readTree(csv.path("metadata").path("annotations").path("alm-examples").asText());
    assertThat(examples.findValuesAsText("kind")).containsExactly("HexgateConfig", "CiliumNetworkPolicy");
    JsonNode config = examples.get(0);
    assertThat(config.path("metadata").path("name").asText()).isEqualTo("default");
    assertThat(config.path("apiVersion").asText()).isEqualTo("hexgate.io/v1alpha1");
    // the schema's defaults, so the example shows what an empty spec means
    assertThat(config.path("spec").toString()).isEqualTo("{\"metrics\":true}");
  }

  @Test
  void deployAndTheChartCreateTheDefaultConfig() {
    Map<String, String> files = PackagingGenerator.generate(root);
    JsonNode config = Yaml.readAll(files.get("deploy/hexgateconfig.yaml")).get(0);
    assertThat(config.path("kind").asText()).isEqualTo("HexgateConfig");
    assertThat(config.path("metadata").path("name").asText()).isEqualTo("default");
    assertThat(files).containsKey("bundle/manifests/hexgateconfigs.hexgate.io.crd.yaml");
    assertThat(files).containsKey("charts/hexgate/crds/hexgateconfigs.hexgate.io.yaml");
    assertThat(files.get("charts/hexgate/templates/hexgateconfig.yaml")).contains("{{- if .Values.hexgateConfig.create }}");
    assertThat(files.get("charts/hexgate/values.yaml")).contains("hexgateConfig:\n  create: true\n  spec:\n    metrics: true\n");
  }

  @Test
  void operatorSdkAcceptsTheBundle() throws Exception {
    Path bundle = write(PackagingGenerator.generate(root)).resolve("bundle");
    OlmTools.Run run = OlmTools.run(root, OlmTools.command(OlmTools.operatorSdk(),
        "bundle", "validate", bundle.toString(), "--select-optional", "suite=operatorframework", "-o", "json-alpha1"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).doesNotContain("\"type\": \"error\"");
  }

  @Test
  void aCrdTheCsvCannotDescribeFailsTheGeneration() throws IOException {
    String other = Files.readString(root.resolve("crds/hexgateconfigs.hexgate.io-v1.yml"), StandardCharsets.UTF_8)
        .replace("hexgateconfigs.hexgate.io", "widgets.hexgate.io").replace("HexgateConfig", "Widget").replace("hexgateconfig", "widget");
    Files.writeString(root.resolve("crds/widgets.hexgate.io-v1.yml"), other);
    assertThatThrownBy(() -> PackagingGenerator.generate(root))
        .hasMessageContaining("crds/widgets.hexgate.io-v1.yml defines widgets.hexgate.io")
        .hasMessageContaining(OwnedApi.class.getName());
  }

  private Path write(Map<String, String> files) throws IOException {
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = root.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue());
    }
    return root;
  }
}
