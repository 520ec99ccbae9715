package io.hexgate.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.netns.NetNs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab as a background process: {@code up}, a {@code kill -9}, {@code up} again, {@code down}. Needs root
 * (network namespaces); skips with the reason otherwise.
 */
class LabLifecycleTest {
  private static final String PREFIX = "hgl-k";
  @TempDir static Path state;
  private static final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private static LabLauncher launcher;

  @BeforeAll
  static void rootOnly() {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
    PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    launcher = new LabLauncher(state, out, out);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (launcher != null) {
      launcher.down();
      LabCleanup.clean(PREFIX);
    }
  }

  private static int up() throws Exception {
    Path crds = Path.of(System.getProperty("hexgate.root", "..")).resolve("crds");
    return launcher.up(PREFIX, 2, crds, LabLauncher.ControlPlaneChoice.AUTO, System.getProperty("java.class.path"), Duration.ofSeconds(180));
  }

  private static String printed() {
    return output.toString(StandardCharsets.UTF_8);
  }

  @Test
  void downAndUpAfterAKilledLabLeaveNothingBehind() throws Exception {
    assertThat(up()).as(printed()).isZero();
    assertThat(printed()).contains("export KUBECONFIG=" + state.resolve("kubeconfig"));
    assertThat(Files.readString(state.resolve("kubeconfig"))).contains("server: https://127.0.0.1:");
    ProcessHandle first = launcher.running().orElseThrow();
    LabCleanup.Removed made = LabCleanup.leftovers(PREFIX);
    // two nodes and the DNS pod; the bridge and two uplinks
    assertThat(made.namespaces()).hasSize(3).contains(PREFIX + "node-1", PREFIX + "node-2");
    assertThat(made.links()).contains(PREFIX + "br0", PREFIX + "u1", PREFIX + "u2");
    assertThat(made.etcDirs()).hasSize(1);
    if (io.hexgate.datapath.NodeAgent.bpfUnavailable().isEmpty()) {
      assertThat(made.pinDirs()).containsExactly(PREFIX + "node-1", PREFIX + "node-2");
    }

    try (io.fabric8.kubernetes.client.KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(null, state.resolve("kubeconfig").toFile())).build()) {
      String dns = client.pods().inNamespace("kube-system").list().getItems().get(0).getMetadata().getName();
      var resolv = launcher.execCaptured(dns, "kube-system", Duration.ofSeconds(10), java.util.List.of("cat", "/etc/resolv.conf"));
      assertThat(resolv).hasValueSatisfying(r -> assertThat(r.stdout()).startsWith("search kube-system.svc.cluster.local svc.cluster.local cluster.local\n"));
      assertThat(launcher.execCaptured("nobody", "default", Duration.ofSeconds(10), java.util.List.of("true"))).isEmpty();
      assertThat(printed()).contains("pods \"nobody\" not found");
    }

    // kill -9: no shutdown hook runs, everything stays behind
    first.destroyForcibly();
    first.onExit().get(30, TimeUnit.SECONDS);
    assertThat(LabCleanup.leftovers(PREFIX).namespaces()).hasSize(3);
    // a process left in a pod namespace would keep it alive after `ip netns delete`
    String dnsPod = LabCleanup.leftovers(PREFIX).namespaces().stream().filter(n -> n.contains("coredns")).findFirst().orElseThrow();
    Process straggler = NetNs.start(dnsPod, "sleep", "300");
    // `ip netns exec` enters the namespace a moment after it starts: only then is there a straggler to find
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> !LabCleanup.processesIn(java.util.List.of(dnsPod)).isEmpty());

    output.reset();
    assertThat(up()).as(printed()).isZero();
    assertThat(printed()).contains("Cleaned up after an earlier lab: 3 network namespaces, 3 links", "1 processes");
    assertThat(straggler.waitFor(10, TimeUnit.SECONDS)).isTrue();
    ProcessHandle second = launcher.running().orElseThrow();
    assertThat(second.pid()).isNotEqualTo(first.pid());

    output.reset();
    assertThat(launcher.down()).isZero();
    assertThat(second.isAlive()).isFalse();
    LabCleanup.Removed left = LabCleanup.leftovers(PREFIX);
    assertThat(left.nothing()).as(left.toString()).isTrue();
    assertThat(launcher.running()).isEmpty();
    assertThat(state.resolve("kubeconfig")).doesNotExist();
    assertThat(ProcessHandle.allProcesses().filter(p -> cmdline(p).contains(state.toString())).count()).isZero();
  }

  private static String cmdline(ProcessHandle p) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
