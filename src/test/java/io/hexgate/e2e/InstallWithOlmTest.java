package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.e2e.LabSession.Run;
import io.hexgate.lab.Lab;
import io.hexgate.lab.olm.InstalledBundle;
import io.hexgate.lab.olm.Olm;
import io.hexgate.lab.olm.OlmBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hexgate installed into a fresh lab as OLM installs it ({@code hexgate lab up --hexgate from-images --olm}):
 * bundle/ through a CatalogSource and a Subscription, OLM's own operators taking the ClusterServiceVersion to
 * {@code Succeeded} and running the operator Deployment it holds from its image; the HexgateConfig of the CSV's
 * {@code alm-examples} brings up the agents from theirs; Star Wars as in the demo; deleting the HexgateConfig,
 * then the Subscription and the CSV, leaves only the CRDs, which OLM never deletes. One lab for all of it, in
 * this order. Needs what {@link InstalledHexgate#up} needs and OLM ({@value OlmBinaries#SCRIPT}); skips naming
 * what is missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallWithOlmTest {
  private static final String CSV = "hexgate-operator.v0.1.0";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path state;
  private static InstalledHexgate hexgate;
  private static KubernetesClient admin;
  private static Olm olm;
  private static InstalledBundle bundle;
  private static long started;

  @BeforeAll
  static void up() throws Exception {
    started = System.nanoTime();
    Optional<OlmBinaries> built = OlmBinaries.built(LabSession.ROOT, System.out);
    Assumptions.assumeTrue(built.isPresent(), "skipped: OLM is not built; run " + OlmBinaries.SCRIPT);
    hexgate = InstalledHexgate.up("hgl-o", state, "--olm");
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(null, state.resolve("kubeconfig").toFile())).build();
    // the OLM the lab process runs; the catalog of bundle/ is served by this process
    olm = Olm.attach(built.get(), admin, state.resolve(Lab.CONTROL_PLANE_DIR));
  }

  @AfterAll
  static void down() throws Exception {
    if (olm != null) {
      olm.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (hexgate != null) {
      hexgate.lab().down();
    }
    System.out.printf("InstallWithOlmTest: %.0f s with its lab%n", (System.nanoTime() - started) / 1e9);
  }

  @Test
  @Order(1)
  void olmTakesTheCsvToSucceededAndRunsTheOperatorFromItsImage() throws Exception {
    assertThat(hexgate.kubectl("get", "crd").out()).as("a fresh lab has no CRD of Hexgate's").doesNotContain("cilium.io", "hexgate.io");
    bundle = olm.installBundle(LabSession.ROOT.resolve("bundle"), InstalledHexgate.NAMESPACE);
    assertThat(bundle.csvName()).isEqualTo(CSV);
    assertThat(hexgate.kubectl("get", "csv", CSV, "-n", "hexgate", "-o", "jsonpath={.status.phase}").out()).isEqualTo("Succeeded");
    Run owner = hexgate.kubectl("get", "deployment", "hexgate-operator", "-n", "hexgate", "-o", "jsonpath={.metadata.labels.olm\\.owner}");
    assertThat(owner.out()).as("OLM made the operator's Deployment from the CSV: " + owner.err()).isEqualTo(CSV);
    hexgate.awaitOperator();
  }

  @Test
  @Order(2)
  void theHexgateConfigOfAlmExamplesBringsUpOneAgentPerNodeFromItsImage() throws Exception {
    String examples = hexgate.kubectl("get", "csv", CSV, "-n", "hexgate", "-o", "jsonpath={.metadata.annotations.alm-examples}").out();
    JsonNode config = null;
    for (JsonNode example : JSON.readTree(examples)) {
      if (example.path("kind").asText().equals("HexgateConfig")) {
        config = example;
      }
    }
    assertThat(config).as("a HexgateConfig in alm-examples: " + examples).isNotNull();
    Path file = Files.writeString(state.resolve("hexgateconfig.json"), config.toString());
    Run created = hexgate.kubectl("create", "-f", file.toString());
    assertThat(created.out()).as(created.err()).contains("hexgateconfig.hexgate.io/default created");
    hexgate.awaitAgentsEnforcing();
  }

  @Test
  @Order(3)
  void starWarsAsInTheDemo() throws Exception {
    hexgate.starWars();
  }

  @Test
  @Order(4)
  void deletingTheHexgateConfigThenTheSubscriptionAndCsvLeavesOnlyTheCrds() throws Exception {
    hexgate.deleteHexgateConfig();
    olm.uninstall(bundle);
    hexgate.await("the operator's Deployment and pod gone", 60,
        () -> hexgate.kubectl("get", "deployments,pods", "-n", "hexgate", "-o", "name").out(), String::isBlank);

    SoftAssertions left = new SoftAssertions();
    // the namespace and its OperatorGroup are the installer's, as on a cluster; OLM keeps the aggregated
    // ClusterRoles it made for the CRD it keeps, and those of the OperatorGroup
    hexgate.assertOnlyTheCrdsLeft(left, "OLM never deletes CRDs",
        "hexgateconfigs\\.hexgate\\.io-v1alpha1-(admin|edit|view|crdview)|olm\\.og\\.hexgate\\.(admin|edit|view)-\\w+",
        "operatorgroup.operators.coreos.com/hexgate");
    Run owned = hexgate.kubectl("get", "serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,deployments,services,secrets,configmaps",
        "-A", "-l", "olm.owner=" + CSV, "-o", "name");
    left.assertThat(owned.out()).as("what OLM made for the CSV: " + owned.err()).isBlank();
    left.assertAll();
  }
}
