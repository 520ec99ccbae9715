package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.e2e.LabSession.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Hexgate installed into a fresh lab as Cilium's guides install Cilium: {@code helm install hexgate charts/hexgate
 * --namespace hexgate --create-namespace}. The chart's HexgateConfig {@code default} brings up the agents from
 * their image; Star Wars as in the demo; deleting the HexgateConfig, then {@code helm uninstall}, leaves only the
 * CRDs, which Helm keeps by design. One lab for all of it, in this order. Needs what {@link InstalledHexgate#up}
 * needs and the helm that scripts/ensure-olm-tools.sh builds; skips naming what is missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallWithHelmTest {
  private static final String TOOLS_SCRIPT = "scripts/ensure-olm-tools.sh";

  @TempDir static Path state;
  private static String helm;
  private static InstalledHexgate hexgate;
  private static long started;

  @BeforeAll
  static void up() throws Exception {
    started = System.nanoTime();
    Optional<String> built = helmPath();
    Assumptions.assumeTrue(built.isPresent(), "skipped: helm is not built: run " + TOOLS_SCRIPT);
    helm = built.get();
    hexgate = InstalledHexgate.up("hgl-h", state);
  }

  @AfterAll
  static void down() throws Exception {
    if (hexgate != null) {
      hexgate.lab().down();
    }
    System.out.printf("InstallWithHelmTest: %.0f s with its lab%n", (System.nanoTime() - started) / 1e9);
  }

  /** The helm that {@value #TOOLS_SCRIPT} built, as its {@code --check} names it; empty when it is not built. */
  private static Optional<String> helmPath() throws Exception {
    Process p = new ProcessBuilder(LabSession.ROOT.resolve(TOOLS_SCRIPT).toString(), "--check").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return out.lines().filter(l -> l.startsWith("helm=")).map(l -> l.substring("helm=".length()))
        .filter(path -> Files.isExecutable(Path.of(path))).findFirst();
  }

  private static Run helm(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(helm, "--kubeconfig", state.resolve("kubeconfig").toString()));
    cmd.addAll(List.of(args));
    return hexgate.lab().run(cmd, 120);
  }

  @Test
  @Order(1)
  void helmInstallRunsTheOperatorFromItsImage() throws Exception {
    assertThat(hexgate.kubectl("get", "crd").out()).as("a fresh lab has no CRD of Hexgate's").doesNotContain("cilium.io", "hexgate.io");
    Run installed = helm("install", "hexgate", LabSession.ROOT.resolve("charts/hexgate").toString(), "--namespace", "hexgate", "--create-namespace");
    assertThat(installed.code()).as(installed.out() + installed.err()).isZero();
    assertThat(installed.out()).contains("STATUS: deployed");
    hexgate.awaitOperator();
  }

  @Test
  @Order(2)
  void theChartsHexgateConfigBringsUpOneAgentPerNodeFromItsImage() throws Exception {
    Run config = hexgate.kubectl("get", "hexgateconfig", "default", "-o", "jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}");
    assertThat(config.out()).as("the HexgateConfig the chart made: " + config.err()).isEqualTo("hexgate");
    hexgate.awaitAgentsEnforcing();
  }

  @Test
  @Order(3)
  void starWarsAsInTheDemo() throws Exception {
    hexgate.starWars();
  }

  @Test
  @Order(4)
  void deletingTheHexgateConfigThenUninstallingLeavesOnlyTheCrds() throws Exception {
    hexgate.deleteHexgateConfig();
    Run uninstalled = helm("uninstall", "hexgate", "--namespace", "hexgate");
    assertThat(uninstalled.code()).as(uninstalled.out() + uninstalled.err()).isZero();
    hexgate.await("the operator's pod gone", 60, () -> hexgate.pods(InstalledHexgate.NAMESPACE, InstalledHexgate.OPERATOR), List::isEmpty);

    SoftAssertions left = new SoftAssertions();
    // the namespace --create-namespace made is Helm's to keep
    hexgate.assertOnlyTheCrdsLeft(left, "Helm keeps the chart's CRDs", null);
    left.assertAll();
  }
}
