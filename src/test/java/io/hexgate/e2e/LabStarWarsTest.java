package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.lab.LabCleanup;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab as a user drives it: {@code hexgate lab up}, stock {@code kubectl apply} of Cilium's Star Wars
 * manifests, connections through {@code hexgate lab exec} (real TCP from pod namespaces to the deathstar's
 * ClusterIP, by its DNS name), rule1, {@code kubectl describe cnp}, {@code hexgate lab down}. Needs root;
 * the policy steps also need eBPF. Each skips with the reason otherwise.
 */
class LabStarWarsTest {
  private static final String PREFIX = "hgl-e";
  private static final Path ROOT = Path.of(System.getProperty("hexgate.root", ".."));
  private static final Path EXAMPLES = ROOT.resolve("examples/starwars");
  private static final String LANDING = "deathstar.default.svc.cluster.local/v1/request-landing";

  @TempDir static Path state;
  private static String kubectl;

  /** What a command printed and returned. */
  record Run(int code, String out, String err) {}

  @BeforeAll
  static void up() throws Exception {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
    kubectl = Kubectl.find();
    Run up = hexgate("lab", "up", "--nodes", "2", "--prefix", PREFIX, "--state-dir", state.toString(), "--crds", ROOT.resolve("crds").toString());
    assertThat(up.code()).as(up.out() + up.err()).isZero();
    assertThat(up.out()).contains("export KUBECONFIG=" + state.resolve("kubeconfig"));
  }

  @AfterAll
  static void down() throws Exception {
    if (NetNs.unavailable().isEmpty()) {
      try {
        Run down = hexgate("lab", "down", "--state-dir", state.toString());
        assertThat(down.code()).as(down.out() + down.err()).isZero();
        LabCleanup.Removed left = LabCleanup.leftovers(PREFIX);
        assertThat(left.nothing()).as("left behind: " + left).isTrue();
      } finally {
        LabCleanup.clean(PREFIX);
      }
    }
  }

  /** Runs {@code hexgate ARGS} as its own process, as the launcher script would. */
  static Run hexgate(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1",
        "-Dhexgate.home=" + ROOT, "-cp", System.getProperty("java.class.path"), "io.hexgate.cli.HexgateCli"));
    cmd.addAll(List.of(args));
    return run(cmd, 240);
  }

  static Run kubectl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(kubectl, "--kubeconfig", state.resolve("kubeconfig").toString()));
    cmd.addAll(List.of(args));
    return run(cmd, 60);
  }

  private static Run run(List<String> cmd, int seconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile(state, "out", ".txt");
    Path err = Files.createTempFile(state, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("`" + String.join(" ", cmd) + "` did not finish within " + seconds + " s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private static Run exec(String pod, String... command) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("lab", "exec", "--state-dir", state.toString(), pod, "--"));
    args.addAll(List.of(command));
    return hexgate(args.toArray(String[]::new));
  }

  private static void awaitRunning(int pods) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Run r = kubectl("get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase}{\"\\n\"}{end}");
      if (r.code() == 0 && r.out().lines().filter("Running"::equals).count() == pods) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("pods not Running: " + kubectl("get", "pods", "-o", "wide").out());
      }
      Thread.sleep(500);
    }
  }

  @Test
  void starWarsThroughKubectlAndLabExec() throws Exception {
    Run created = kubectl("apply", "-f", EXAMPLES.resolve("http-sw-app.yaml").toString());
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out()).contains("service/deathstar created", "deployment.apps/deathstar created", "pod/tiefighter created",
        "pod/xwing created");
    awaitRunning(4);
    Run resolved = exec("xwing", "getent", "hosts", "deathstar.default.svc.cluster.local");
    String clusterIp = kubectl("get", "svc", "deathstar", "-o", "jsonpath={.spec.clusterIP}").out().trim();
    assertThat(resolved.out()).as(resolved.err()).startsWith(clusterIp + " ");
    // a short name through the pod's search list
    assertThat(exec("tiefighter", "getent", "hosts", "deathstar").out()).startsWith(clusterIp + " ");

    String bpf = NodeAgent.bpfUnavailable().orElse(null);
    Assumptions.assumeTrue(bpf == null, () -> "policy steps skipped: the eBPF datapath is unavailable (" + bpf + ")");
    for (String ship : List.of("xwing", "tiefighter")) {
      Run landed = exec(ship, "curl", "-s", "-m", "5", "-XPOST", LANDING);
      assertThat(landed.out()).as(ship + ": " + landed.err()).isEqualTo("Ship landed\n");
    }

    Run policy = kubectl("apply", "-f", EXAMPLES.resolve("sw_l3_l4_policy.yaml").toString());
    assertThat(policy.out()).as(policy.err()).contains("ciliumnetworkpolicy.cilium.io/rule1 created");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String describe;
    do {
      Thread.sleep(500);
      describe = kubectl("describe", "cnp", "rule1").out();
    } while (!(describe.contains("node-1:") && describe.contains("node-2:") && countEnforcing(describe) == 2) && System.nanoTime() < deadline);
    assertThat(describe).contains("Valid");
    assertThat(countEnforcing(describe)).as(describe).isEqualTo(2);

    assertThat(exec("tiefighter", "curl", "-s", "-m", "5", "-XPOST", LANDING).out()).isEqualTo("Ship landed\n");
    Run blocked = exec("xwing", "curl", "-s", "-m", "3", "-XPOST", LANDING);
    assertThat(blocked.code()).isEqualTo(28);
    assertThat(blocked.out()).isEmpty();
    assertThat(blocked.err()).contains("command terminated with exit code 28");
    Run exhaust = exec("tiefighter", "curl", "-s", "-m", "5", "-XPUT", "deathstar.default.svc.cluster.local/v1/exhaust-port");
    assertThat(exhaust.out()).startsWith("Panic: deathstar exploded");

    Run listed = kubectl("get", "cnp,cep");
    assertThat(listed.out()).contains("rule1", "xwing", "tiefighter", "deathstar-");
  }

  private static long countEnforcing(String describe) {
    return describe.lines().filter(l -> l.trim().matches("Enforcing:\\s+true")).count();
  }

  /** Stock kubectl: from the PATH, else Debian's package installed (as root), else the test skips. */
  static final class Kubectl {
    static String find() throws IOException, InterruptedException {
      String found = onPath();
      if (found == null && NetNs.unavailable().isEmpty()) {
        new ProcessBuilder("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client")
            .inheritIO().start().waitFor(600, TimeUnit.SECONDS);
        found = onPath();
      }
      String path = found;
      Assumptions.assumeTrue(path != null, "skipped: kubectl is not on the PATH and cannot be installed");
      return path;
    }

    private static String onPath() {
      return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
          .map(d -> Path.of(d, "kubectl"))
          .filter(Files::isExecutable)
          .map(Path::toString)
          .findFirst()
          .orElse(null);
    }
  }
}
