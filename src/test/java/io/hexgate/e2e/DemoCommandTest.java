package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command, {@code hexgate demo}, run as a user runs it: as root it brings the lab up,
 * runs the Star Wars story with the stock kubectl and real connections, and takes the lab down, also when
 * interrupted; without root it stops at once and says why.
 */
class DemoCommandTest {
  private static final String PREFIX = "hgd-t";
  private static final Path ROOT = Path.of(System.getProperty("hexgate.root", ".."));

  @TempDir Path state;

  @AfterEach
  void cleanUp() {
    if (NetNs.unavailable().isEmpty()) {
      LabCleanup.clean(PREFIX);
    }
  }

  private Process demo(Path out) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1",
        "-Dhexgate.home=" + ROOT, "-cp", System.getProperty("java.class.path"), "io.hexgate.cli.HexgateCli",
        "demo", "--prefix", PREFIX, "--state-dir", state.resolve("lab").toString()));
    return new ProcessBuilder(cmd)
        .directory(ROOT.toFile())
        .redirectOutput(out.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
  }

  private static void assumeRootAndEbpf() throws IOException, InterruptedException {
    assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: the demo needs network namespaces (root): " + NetNs.unavailable().orElse(""));
    String bpf = NodeAgent.bpfUnavailable().orElse(null);
    assumeTrue(bpf == null, () -> "skipped: the demo's connections need the eBPF datapath: " + bpf);
    LabSession.kubectlPath(); // the control plane's kubectl, built when missing, else the test skips
  }

  @Test
  void theDemoRunsTheStarWarsStoryAndExitsZeroLeavingNothingBehind() throws Exception {
    assumeRootAndEbpf();
    Path out = state.resolve("demo.out");
    Process p = demo(out);
    boolean finished = p.waitFor(180, TimeUnit.SECONDS);
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    if (!finished) {
      p.destroy();
      p.waitFor(60, TimeUnit.SECONDS);
    }
    assertThat(finished).as("the demo did not finish within 180 s:\n" + printed).isTrue();
    assertThat(p.exitValue()).as(printed).isZero();
    assertThat(printed)
        .contains("Enforcement: real eBPF")
        .contains("$ kubectl create -f examples/starwars/http-sw-app.yaml", "pod/xwing created", "4/4 Ready")
        .contains("ciliumnetworkpolicy.cilium.io/rule1 created", "ciliumnetworkpolicy.cilium.io/rule1 configured")
        .contains("-- curl -s --max-time 3 -XPOST deathstar.default.svc.cluster.local/v1/request-landing\ncommand terminated with exit code 28")
        .contains("Policy validation succeeded")
        .containsPattern("default/xwing:\\d+ \\(ID:\\d+\\) <> default/deathstar-\\S+:80 \\(ID:\\d+\\) Policy denied DROPPED \\(TCP Flags: SYN\\)")
        // the L7 step: the proxy answers the PUT itself, and its flows name each request and verdict
        .contains("-- curl -s --max-time 5 -XPUT deathstar.default.svc.cluster.local/v1/exhaust-port\nAccess denied")
        .containsPattern("\\$ \\./hexgate observe (--server \\S+ )?--pod deathstar --type l7 --last 6\n")
        .containsPattern("default/tiefighter:\\d+ \\(ID:\\d+\\) -> default/deathstar-\\S+:80 \\(ID:\\d+\\) http-request FORWARDED"
            + " \\(HTTP/1\\.1 POST http://deathstar\\.default\\.svc\\.cluster\\.local/v1/request-landing\\)")
        .containsPattern("default/tiefighter:\\d+ \\(ID:\\d+\\) -> default/deathstar-\\S+:80 \\(ID:\\d+\\) http-request DROPPED"
            + " \\(HTTP/1\\.1 PUT http://deathstar\\.default\\.svc\\.cluster\\.local/v1/exhaust-port\\)")
        // it ends with hubble observe's answer: what was dropped, at L3/L4 and at L7
        .containsPattern("\\$ \\./hexgate observe (--server \\S+ )?--verdict DROPPED --to-pod deathstar --last 10\n")
        .contains("$ ./hexgate lab down")
        .contains("every step turned out as described; nothing left behind")
        .doesNotContain("UNEXPECTED", "Panic: deathstar exploded", "later issue", "Proxy redirection not supported");
    // both ships land before rule1, tiefighter once more under it and once under its L7 rule
    assertThat(printed.split("\nShip landed\n", -1)).as(printed).hasSizeGreaterThanOrEqualTo(5);
    assertThat(printed.lines().filter(l -> l.trim().matches("Enforcing:\\s+true")).count()).as(printed).isEqualTo(2);
    LabCleanup.Removed left = LabCleanup.leftovers(PREFIX);
    assertThat(left.nothing()).as("left behind: " + left).isTrue();
    assertThat(labProcesses()).isEmpty();
  }

  @Test
  void ctrlCDuringTheDemoTakesTheLabDown() throws Exception {
    assumeRootAndEbpf();
    Path out = state.resolve("demo.out");
    Process p = demo(out);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    while (!Files.readString(out, StandardCharsets.UTF_8).contains("## Check the current access")) {
      assertThat(p.isAlive()).as(Files.readString(out)).isTrue();
      assertThat(System.nanoTime()).as("the demo never got its pods running: " + Files.readString(out)).isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(LabCleanup.leftovers(PREFIX).namespaces()).contains(PREFIX + "node-1", PREFIX + "node-2");

    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the demo did not exit after SIGINT").isTrue();
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(printed).isNotZero();
    assertThat(printed).contains("hexgate demo: interrupted; taking the lab down").doesNotContain("Demo complete");
    LabCleanup.Removed left = LabCleanup.leftovers(PREFIX);
    assertThat(left.nothing()).as("left behind: " + left + "\n" + printed).isTrue();
    assertThat(labProcesses()).isEmpty();
  }

  @Test
  void withoutRootTheDemoStopsAtOnceSayingNetworkNamespacesNeedRoot() throws Exception {
    assumeTrue(NetNs.unavailable().isPresent(), "skipped: running as root; the real demo runs in the other tests");
    Path out = state.resolve("demo.out");
    Process p = demo(out);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(printed).isEqualTo(2);
    assertThat(printed).contains("network namespaces, which need root").doesNotContain("Starting the lab");
  }

  private List<ProcessHandle> labProcesses() {
    return ProcessHandle.allProcesses().filter(ph -> cmdline(ph).contains(state.toString()) && cmdline(ph).contains("LabMain")).toList();
  }

  private static String cmdline(ProcessHandle p) {
    try {
      return String.join(" ", new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8).split("\0"));
    } catch (IOException e) {
      return "";
    }
  }
}
