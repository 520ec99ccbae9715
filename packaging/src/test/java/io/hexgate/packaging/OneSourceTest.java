package io.hexgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed bundle and deploy/ give the operator the same Deployment and the rules of config/rbac
 * (the chart is held to deploy/ by {@link HelmChartTest}).
 */
class OneSourceTest {
  private final Path root = Repo.root();

  @Test
  void theCsvInstallsTheDeploymentDeployShips() throws IOException {
    JsonNode install = csv().path("spec").path("install").path("spec");
    assertThat(install.path("deployments").get(0).path("spec")).isEqualTo(plain("Deployment").path("spec"));
  }

  @Test
  void theCsvAndDeployGrantExactlyTheRulesOfConfigRbac() throws IOException {
    JsonNode clusterRules = Yaml.read(root.resolve(Sources.CLUSTER_ROLE)).path("rules");
    JsonNode rules = Yaml.read(root.resolve(Sources.ROLE)).path("rules");
    JsonNode install = csv().path("spec").path("install").path("spec");
    assertThat(install.path("clusterPermissions").get(0).path("rules")).isEqualTo(clusterRules);
    assertThat(install.path("permissions").get(0).path("rules")).isEqualTo(rules);
    assertThat(plain("ClusterRole").path("rules")).isEqualTo(clusterRules);
    assertThat(plain("Role").path("rules")).isEqualTo(rules);
  }

  @Test
  void everyCrdIsShippedAndOwned() throws IOException {
    Sources sources = Sources.read(root);
    JsonNode owned = csv().path("spec").path("customresourcedefinitions").path("owned");
    List<String> names = new java.util.ArrayList<>();
    owned.forEach(o -> names.add(o.path("name").asText()));
    assertThat(names).containsExactlyElementsOf(sources.crds().stream().map(Crd::name).toList());
    for (Crd crd : sources.crds()) {
      assertThat(root.resolve("bundle/manifests/" + crd.name() + ".crd.yaml")).exists();
      assertThat(root.resolve("charts/hexgate/crds/" + crd.name() + ".yaml")).exists();
      assertThat(deployObjects().stream().anyMatch(o -> o.path("metadata").path("name").asText().equals(crd.name()))).isTrue();
    }
  }

  private JsonNode csv() {
    return Yaml.read(root.resolve("bundle/manifests/" + Names.PACKAGE + ".clusterserviceversion.yaml"));
  }

  private List<JsonNode> deployObjects() throws IOException {
    return Yaml.readAll(Files.readString(root.resolve("deploy/hexgate.yaml")));
  }

  private JsonNode plain(String kind) throws IOException {
    return deployObjects().stream().filter(o -> o.path("kind").asText().equals(kind)).findFirst().orElseThrow();
  }
}
