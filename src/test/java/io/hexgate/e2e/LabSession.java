package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.netns.NetNs;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.lab.LabCleanup;
import io.hexgate.lab.LabLauncher;
import io.hexgate.observer.json.HubbleJson;
import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import io.hexgate.lab.starwars.StarWarsChecks;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A lab driven as a user drives it, each command a process of its own: {@code hexgate lab up/exec/down}
 * (the CLI on this test's class path, as the launcher script runs it) and the kubectl built with the
 * control plane. Needs root; {@link #up} skips the calling tests with the reason otherwise.
 */
final class LabSession {
  static final Path ROOT = Path.of(System.getProperty("hexgate.root", ".."));

  /** What a command printed and returned. */
  record Run(int code, String out, String err) {}

  private final String prefix;
  private final Path state;
  private final String kubectl;

  private LabSession(String prefix, Path state, String kubectl) {
    this.prefix = prefix;
    this.state = state;
    this.kubectl = kubectl;
  }

  /** {@code hexgate lab up} with 2 nodes in {@code state}, asserting it succeeded. */
  static LabSession up(String prefix, Path state, String... extraArgs) throws Exception {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
    LabSession lab = new LabSession(prefix, state, kubectlPath());
    List<String> args = new ArrayList<>(List.of("lab", "up", "--nodes", "2", "--prefix", prefix, "--state-dir", state.toString(),
        "--crds", ROOT.resolve("crds").toString()));
    args.addAll(List.of(extraArgs));
    Run up = lab.hexgate(args.toArray(String[]::new));
    assertThat(up.code()).as(up.out() + up.err()).isZero();
    assertThat(up.out()).contains("export KUBECONFIG=" + state.resolve("kubeconfig"));
    return lab;
  }

  /** The kubectl of the control plane's release, built once by scripts/ensure-control-plane.sh; skips without it. */
  static String kubectlPath() throws IOException, InterruptedException {
    Optional<Path> bin = ControlPlaneBinaries.ensure(ROOT, System.out);
    Assumptions.assumeTrue(bin.isPresent(), "skipped: the control plane (and its kubectl) cannot be built here");
    return bin.get().resolve("kubectl").toString();
  }

  /** {@code hexgate lab down}, asserting that nothing is left behind. */
  void down() throws Exception {
    try {
      Run down = hexgate("lab", "down", "--state-dir", state.toString());
      assertThat(down.code()).as(down.out() + down.err()).isZero();
      LabCleanup.Removed left = LabCleanup.leftovers(prefix);
      assertThat(left.nothing()).as("left behind: " + left).isTrue();
    } finally {
      LabCleanup.clean(prefix);
    }
  }

  Path state() {
    return state;
  }

  String prefix() {
    return prefix;
  }

  /** Runs {@code hexgate ARGS} as its own process, as the launcher script would. */
  Run hexgate(String... args) throws IOException, InterruptedException {
    List<String> cmd = hexgateCommand();
    cmd.addAll(List.of(args));
    return run(cmd, 240);
  }

  /** Runs {@code hexgate ARGS} inside a network namespace ({@code ip netns exec}), as on that node. */
  Run hexgateIn(String netns, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    cmd.addAll(hexgateCommand());
    cmd.addAll(List.of(args));
    return run(cmd, 120);
  }

  /** Starts {@code hexgate ARGS} as its own process, for the caller to read its output and stop it. */
  Process start(List<String> args) throws IOException {
    List<String> cmd = hexgateCommand();
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
  }

  private static List<String> hexgateCommand() {
    return new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1",
        "-Dhexgate.home=" + ROOT, "-cp", System.getProperty("java.class.path"), "io.hexgate.cli.HexgateCli"));
  }

  Run kubectl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(kubectl, "--kubeconfig", state.resolve("kubeconfig").toString()));
    cmd.addAll(List.of(args));
    return run(cmd, 60);
  }

  /** {@code hexgate lab exec POD -- COMMAND}. */
  Run exec(String pod, String... command) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("lab", "exec", "--state-dir", state.toString(), pod, "--"));
    args.addAll(List.of(command));
    return hexgate(args.toArray(String[]::new));
  }

  /** The Star Wars demo's checks, through {@code hexgate lab exec} and {@code hexgate observe -o json}. */
  StarWarsChecks starWars() {
    return new StarWarsChecks((pod, command) -> {
      Run r = exec(pod, command.toArray(String[]::new));
      return new StarWarsChecks.Reply(r.code(), r.out(), r.err());
    }, last -> {
      List<Flow> flows = new ArrayList<>();
      for (String line : observe("--last", Integer.toString(last), "-o", "json").out().lines().toList()) {
        GetFlowsResponse r = HubbleJson.parse(line, GetFlowsResponse.newBuilder()).build();
        if (r.hasFlow()) {
          flows.add(r.getFlow());
        }
      }
      return flows;
    });
  }

  /** {@code host:port} of the lab's relay, as its ready file names it. */
  String relay() throws IOException {
    return new LabLauncher(state, System.out, System.err).relayAddress().orElseThrow(() -> new IllegalStateException("the lab has no relay"));
  }

  /** {@code hexgate observe --server RELAY ARGS}. */
  Run observe(String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("observe", "--server", relay()));
    all.addAll(List.of(args));
    Run r = hexgate(all.toArray(String[]::new));
    assertThat(r.code()).as("hexgate observe %s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  /**
   * The demo's first act, asserted: both ships land; rule1 is applied and both nodes enforce it within
   * {@code seconds}; then the tiefighter still lands and the xwing is denied. Returns the xwing's request.
   */
  StarWarsChecks.Request rule1LetsOnlyTheEmpireLand(StarWarsChecks ships, int seconds) throws Exception {
    assertPassed(ships.canLand("xwing"));
    assertPassed(ships.canLand("tiefighter"));
    Run policy = kubectl("apply", "-f", ROOT.resolve("examples/starwars/sw_l3_l4_policy.yaml").toString());
    assertThat(policy.out()).as(policy.err()).contains("ciliumnetworkpolicy.cilium.io/rule1 created");
    assertPassed(StarWarsChecks.enforcedEverywhere("rule1", awaitEnforced("rule1", seconds), 2));
    assertPassed(ships.canLand("tiefighter"));
    StarWarsChecks.Request blocked = ships.isDenied("xwing");
    assertPassed(blocked);
    return blocked;
  }

  private static void assertPassed(StarWarsChecks.Outcome outcome) {
    assertThat(outcome.passed()).as(outcome.describe()).isTrue();
  }

  Run run(List<String> cmd, int seconds) throws IOException, InterruptedException {
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

  /** Waits until {@code pods} pods of the default namespace are Running. */
  void awaitRunning(int pods) throws Exception {
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

  /** Waits until {@code kubectl describe cnp NAME} shows both nodes enforcing; returns what it printed last. */
  String awaitEnforced(String policy, long seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String describe;
    do {
      Thread.sleep(250);
      describe = kubectl("describe", "cnp", policy).out();
    } while (!(describe.contains("node-1:") && describe.contains("node-2:") && countEnforcing(describe) == 2) && System.nanoTime() < deadline);
    return describe;
  }

  /**
   * Waits until the policy's current generation is the one its Enforced condition speaks of, True, then
   * until both nodes enforce it: after an update the status still shows the previous generation for a
   * while. Returns what {@code kubectl describe cnp NAME} printed last.
   */
  String awaitGenerationEnforced(String policy, long seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String jsonpath = "jsonpath={.metadata.generation} {.status.conditions[?(@.type==\"Enforced\")].observedGeneration}"
        + " {.status.conditions[?(@.type==\"Enforced\")].status}";
    String[] f;
    do {
      Thread.sleep(250);
      f = kubectl("get", "cnp", policy, "-o", jsonpath).out().trim().split("\\s+");
    } while (!(f.length == 3 && f[0].equals(f[1]) && f[2].equals("True")) && System.nanoTime() < deadline);
    return awaitEnforced(policy, Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())));
  }

  static long countEnforcing(String describe) {
    return describe.lines().filter(l -> l.trim().matches("Enforcing:\\s+true")).count();
  }
}
