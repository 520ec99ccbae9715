package io.hexgate.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.cli.lab.LabCommand;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.lab.LabCleanup;
import io.hexgate.lab.LabLauncher;
import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import io.hexgate.cli.observe.LastFlows;
import io.hexgate.cli.observe.ObserveCommand;
import io.hexgate.lab.Lab;
import io.hexgate.lab.starwars.StarWarsChecks;
import io.hexgate.lab.LabOptions;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Star Wars demo of Cilium's getting-started guide, for real: brings the lab up on its Kubernetes
 * control plane, deploys the guide's manifests with that release's {@code kubectl}, makes real connections from the ships' network
 * namespaces, applies the guide's policies (the L7 one enforced by the node's L7 proxy), shows {@code kubectl
 * describe cnp rule1} and the last flows, the proxy's HTTP requests among them, and takes the lab down
 * again, also on Ctrl-C or failure. Exits 0 only when every step turned out as expected.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the Star Wars demo of Cilium's getting-started guide in the lab (needs root), then take the lab down.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--examples", paramLabel = "DIR", description = "Directory with the Star Wars manifests (default: examples/starwars of this checkout).")
  Path examples;

  @Option(names = "--nodes", defaultValue = "2", description = "Number of lab nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--prefix", defaultValue = LabOptions.DEFAULT_PREFIX,
      description = "Name prefix of every namespace, link and pin the lab makes (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "The lab's state directory (default: ~/.hexgate/lab).")
  Path stateDir;

  @Option(names = "--kubectl", paramLabel = "PATH", description = "The kubectl to run (default: kubectl on the PATH).")
  Path kubectl;

  private final PrintStream out = System.out;
  private final PrintStream err = System.err;
  private final List<String> failures = new ArrayList<>();
  private Path home;
  private Path state;
  private LabLauncher launcher;

  /** A command's exit code and what it printed. */
  private record Run(int code, String out, String err) {}

  /** A step that cannot go on: the demo stops, takes the lab down and says why. */
  private static final class Abort extends Exception {
    Abort(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws Exception {
    Optional<String> noNetns = NetNs.unavailable();
    if (noNetns.isPresent()) {
      err.println("hexgate demo: the demo runs pods in network namespaces, which need root: " + noNetns.get());
      err.println("Run it as root, e.g. `sudo ./hexgate demo`.");
      return 2;
    }
    try {
      new LabOptions(prefix, nodes, Path.of("."), Path.of("."), null, Path.of("."));
    } catch (IllegalArgumentException e) {
      err.println("hexgate demo: " + e.getMessage());
      return 2;
    }
    home = Path.of(System.getProperty("hexgate.home", ".")).toAbsolutePath().normalize();
    Path dir = examples != null ? examples.toAbsolutePath() : home.resolve("examples/starwars");
    for (String f : List.of("http-sw-app.yaml", "sw_l3_l4_policy.yaml", "sw_l3_l4_l7_policy.yaml")) {
      if (!Files.exists(dir.resolve(f))) {
        err.println("hexgate demo: " + dir.resolve(f) + ": not found; run from the Hexgate checkout or pass --examples");
        return 2;
      }
    }
    // the kubectl of the control plane's release, built with it; else one on the PATH
    String kubectlPath = kubectl != null ? kubectl.toString()
        : ControlPlaneBinaries.ensure(home, out).map(b -> b.resolve("kubectl").toString()).orElseGet(DemoCommand::findKubectl);
    if (kubectlPath == null) {
      err.println("hexgate demo: needs kubectl: the control plane's build (scripts/ensure-control-plane.sh) or one on the PATH");
      return 2;
    }
    state = (stateDir != null ? stateDir : LabOptions.defaultStateDir()).toAbsolutePath();
    launcher = new LabLauncher(state, out, err);
    if (launcher.running().isPresent()) {
      err.println("hexgate demo: a lab is already running (pid " + launcher.running().get().pid() + ", state " + state
          + "); the demo brings up its own and takes it down at the end. Stop that one first: ./hexgate lab down");
      return 1;
    }

    banner();
    long started = System.nanoTime();
    AtomicBoolean tornDown = new AtomicBoolean();
    Thread onInterrupt = new Thread(() -> {
      if (tornDown.compareAndSet(false, true)) {
        err.println();
        err.println("hexgate demo: interrupted; taking the lab down");
        tearDown();
      }
    }, "hexgate-demo-interrupted");
    Runtime.getRuntime().addShutdownHook(onInterrupt);
    String aborted = null;
    try {
      run(dir, kubectlPath);
    } catch (Abort e) {
      aborted = e.getMessage();
    } catch (Exception e) {
      aborted = e.toString();
    } finally {
      if (tornDown.compareAndSet(false, true)) {
        heading("Clean up");
        command("./hexgate lab down" + stateDirOption());
        tearDown();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      } catch (IllegalStateException e) {
        // already shutting down: the hook tore the lab down
      }
    }
    LabCleanup.Removed left = LabCleanup.leftovers(prefix);
    if (!left.nothing()) {
      failures.add("the lab left behind " + left);
    }
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    out.println();
    if (aborted == null && failures.isEmpty()) {
      out.println("Demo complete in " + seconds + " s: every step turned out as described; nothing left behind.");
      return 0;
    }
    err.println("hexgate demo: FAILED after " + seconds + " s:");
    if (aborted != null) {
      err.println("  - stopped: " + aborted);
    }
    failures.forEach(f -> err.println("  - " + f));
    return 1;
  }

  private void banner() {
    Optional<String> noBpf = NodeAgent.bpfUnavailable();
    out.println("Hexgate Star Wars demo (Cilium's getting-started guide, in the lab)");
    out.println("===========================================================================");
    if (noBpf.isEmpty()) {
      out.println("Enforcement: real eBPF. Each node agent loads Hexgate's tc programs on its pods' veths; every packet");
      out.println("between pods, also across nodes, is judged in the kernel.");
    } else {
      out.println("Enforcement: the Java datapath (eBPF is unavailable here: " + noBpf.get() + ").");
      out.println("It cannot translate ClusterIPs in the kernel, so the connections below are expected to fail.");
    }
    out.println("Pods are network namespaces on " + nodes + " node namespaces; kubectl is the real one, against the lab's control plane.");
  }

  private void run(Path dir, String kubectlPath) throws Exception {
    heading("Start the lab: a Kubernetes control plane, " + nodes + " nodes, the operator and one node agent per node");
    command("./hexgate lab up" + stateDirOption() + (nodes != 2 ? " --nodes " + nodes : "")
        + (prefix.equals(LabOptions.DEFAULT_PREFIX) ? "" : " --prefix " + prefix));
    int up = launcher.up(prefix, nodes, home.resolve("crds"), LabLauncher.ControlPlaneChoice.AUTO, LabCommand.classpath(), Duration.ofSeconds(120));
    if (up != 0) {
      throw new Abort("the lab did not come up (exit code " + up + ")");
    }
    String relay = launcher.relayAddress().orElseThrow(() -> new Abort("the lab serves no flows (it has no relay)"));
    StarWarsChecks ships = new StarWarsChecks(this::exec, last -> LastFlows.from(relay, last));

    heading("Deploy the demo application: the deathstar Deployment and Service, the tiefighter and xwing pods");
    create(kubectlPath, "create", dir.resolve("http-sw-app.yaml"));
    awaitPods(4);
    kubectl(kubectlPath, "get", "pods,svc");

    heading("Check the current access: without a policy, both ships can land");
    expect(ships.canLand("tiefighter"));
    expect(ships.canLand("xwing"));

    heading("Apply an L3/L4 policy: only ships labelled org=empire may reach the deathstar, on 80/TCP");
    create(kubectlPath, "create", dir.resolve("sw_l3_l4_policy.yaml"));
    awaitEnforced(kubectlPath);
    expect(ships.canLand("tiefighter"));
    note("The xwing (org=alliance) is not allowed: its SYN is dropped, so curl waits until --max-time gives up.");
    expect(ships.isDenied("xwing"));
    heading("Observe: the flows to and from the deathstar pods, as hubble observe shows them, from every node through the relay");
    expect(ships.denialReported("xwing"));
    observe(relay, "--pod", "deathstar", "--last", "8");

    heading("Apply an L7 policy: tiefighter may only POST /v1/request-landing, not PUT /v1/exhaust-port");
    create(kubectlPath, "apply", dir.resolve("sw_l3_l4_l7_policy.yaml"));
    awaitEnforced(kubectlPath);
    note("Connections to the deathstar's port 80 now go to the node's L7 proxy, which judges every HTTP request.");
    expect(ships.canLand("tiefighter"));
    expect(ships.exhaustPortDeniedAtL7("tiefighter"));
    note("The proxy answered the PUT itself (HTTP 403 Forbidden, Access denied): the deathstar never saw it.");
    expect(ships.isDenied("xwing"));

    heading("Observe: the L7 proxy's flows, each HTTP request and response with its verdict and the policy that decided");
    expect(ships.redirectReported("tiefighter", "rule1"));
    expect(ships.landingReported("tiefighter", "rule1"));
    expect(ships.exhaustPortDenialReported("tiefighter", "rule1"));
    observe(relay, "--pod", "deathstar", "--type", "l7", "--last", "6");

    heading("Inspect the policy: valid, and enforced by every node");
    expect(StarWarsChecks.enforcedEverywhere("rule1", kubectl(kubectlPath, "describe", "cnp", "rule1").out(), nodes));

    heading("Observe what was dropped: the xwing's connections at L3/L4 and the tiefighter's PUT at L7 (hubble observe works the same)");
    observe(relay, "--verdict", "DROPPED", "--to-pod", "deathstar", "--last", "10");
  }

  /** {@code kubectl create|apply -f FILE}; the demo cannot go on without the file's objects. */
  private void create(String kubectlPath, String verb, Path file) throws Exception {
    Run r = kubectl(kubectlPath, verb, "-f", shown(file));
    if (r.code() != 0) {
      throw new Abort("kubectl " + verb + " -f " + file.getFileName() + " failed (exit code " + r.code() + ")");
    }
  }

  /** {@code ./hexgate observe ARGS} against the lab's relay, shown and run. */
  private void observe(String relay, String... args) {
    List<String> shown = new ArrayList<>(List.of(args));
    if (!relay.equals(Lab.RELAY_ADDRESS + ":" + io.hexgate.observer.server.HubbleServices.RELAY_PORT)) {
      shown.addAll(0, List.of("--server", relay));
    }
    command("./hexgate observe " + String.join(" ", shown));
    List<String> run = new ArrayList<>(List.of("--server", relay));
    run.addAll(List.of(args));
    new picocli.CommandLine(new ObserveCommand()).execute(run.toArray(String[]::new));
  }

  private void tearDown() {
    try {
      launcher.down();
    } catch (IOException | RuntimeException e) {
      err.println("hexgate demo: lab down: " + e.getMessage() + "; removing what is left under " + prefix);
      LabCleanup.clean(prefix);
    }
  }

  // --- narration -------------------------------------------------------------------------------------

  private void heading(String what) {
    out.println();
    out.println("## " + what);
  }

  private void command(String line) {
    out.println("$ " + line);
  }

  private void note(String line) {
    out.println("# " + line);
  }

  private void expect(StarWarsChecks.Outcome outcome) {
    if (!outcome.passed()) {
      failures.add(outcome.describe());
      out.println("# UNEXPECTED: " + outcome.describe());
    }
  }

  private String stateDirOption() {
    return stateDir == null ? "" : " --state-dir " + state;
  }

  /** A path as the user would type it: relative to the checkout when inside it. */
  private String shown(Path p) {
    return p.startsWith(home) ? home.relativize(p).toString() : p.toString();
  }

  // --- the commands a user would type ------------------------------------------------------------------

  private Run kubectl(String kubectlPath, String... args) throws IOException, InterruptedException {
    command("kubectl " + String.join(" ", args));
    List<String> cmd = new ArrayList<>(List.of(kubectlPath));
    cmd.addAll(List.of(args));
    Run r = run(cmd, 60);
    print(r);
    return r;
  }

  /** {@code hexgate lab exec POD -- COMMAND}: the command in the pod's network namespace, with its resolv.conf. */
  private StarWarsChecks.Reply exec(String pod, List<String> command) throws Exception {
    command("./hexgate lab exec" + stateDirOption() + " " + pod + " -- " + String.join(" ", command));
    Commands.Result result = launcher.execCaptured(pod, "default", Duration.ofSeconds(30), command)
        .orElseThrow(() -> new Abort("cannot run a command in pod default/" + pod));
    Run r = new Run(result.exitCode(), result.stdout(), result.stderr());
    print(r);
    if (r.code() != 0) {
      out.println("command terminated with exit code " + r.code());
    }
    return new StarWarsChecks.Reply(r.code(), r.out(), r.err());
  }

  private void print(Run r) {
    out.print(r.out());
    if (!r.out().isEmpty() && !r.out().endsWith("\n")) {
      out.println();
    }
    out.print(r.err());
  }

  private Run run(List<String> cmd, int seconds) throws IOException, InterruptedException {
    Path o = Files.createTempFile("hexgate-demo", ".out");
    Path e = Files.createTempFile("hexgate-demo", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(o.toFile()).redirectError(e.toFile());
      pb.environment().put("KUBECONFIG", launcher.kubeconfig().toString());
      Process p = pb.start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return new Run(-1, Files.readString(o), Files.readString(e) + "(no answer within " + seconds + " s; stopped)\n");
      }
      return new Run(p.exitValue(), Files.readString(o, StandardCharsets.UTF_8), Files.readString(e, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(o);
      Files.deleteIfExists(e);
    }
  }

  // --- waiting, with progress --------------------------------------------------------------------------

  private KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(null, launcher.kubeconfig().toFile())).build();
  }

  /** Waits until {@code count} pods of the default namespace are Ready, showing progress as it changes. */
  private void awaitPods(int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String shown = "";
    try (KubernetesClient c = client()) {
      while (true) {
        List<Pod> pods = c.pods().inNamespace("default").list().getItems();
        long ready = pods.stream().filter(DemoCommand::ready).count();
        String progress = "waiting for the pods: " + ready + "/" + count + " Ready ("
            + String.join(", ", pods.stream().map(p -> p.getMetadata().getName() + " "
                + (ready(p) ? "Ready" : p.getStatus() == null || p.getStatus().getPhase() == null ? "Pending" : p.getStatus().getPhase())).sorted().toList())
            + ")";
        if (!progress.equals(shown)) {
          out.println("  " + progress);
          shown = progress;
        }
        if (ready >= count) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new Abort("the pods were not Ready within 90 s: " + progress);
        }
        Thread.sleep(250);
      }
    }
  }

  private static boolean ready(Pod p) {
    return p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Waits until rule1's current generation is enforced on every node, as its status reports. */
  private void awaitEnforced(String kubectlPath) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String shown = "";
    String jsonpath = "jsonpath={.metadata.generation} {.status.conditions[?(@.type==\"Enforced\")].observedGeneration}"
        + " {.status.conditions[?(@.type==\"Enforced\")].status} {.status.enforcement.enforcing}";
    while (true) {
      Run r = run(List.of(kubectlPath, "get", "cnp", "rule1", "-o", jsonpath), 30);
      String[] f = r.out().trim().split("\\s+");
      boolean done = r.code() == 0 && f.length == 4 && f[0].equals(f[1]) && f[2].equals("True") && f[3].equals(Integer.toString(nodes));
      // until the status speaks of the current generation, its node count is the previous policy's
      String progress = "waiting for rule1 to be enforced: " + (f.length == 4 && f[0].equals(f[1]) ? f[3] : "0") + "/" + nodes + " nodes";
      if (!progress.equals(shown)) {
        out.println("  " + progress);
        shown = progress;
      }
      if (done) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new Abort("rule1 was not enforced on every node within 30 s (" + r.out().trim() + r.err().trim() + ")");
      }
      Thread.sleep(250);
    }
  }

  private static String findKubectl() {
    return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
        .map(d -> Path.of(d, "kubectl"))
        .filter(Files::isExecutable)
        .map(Path::toString)
        .findFirst()
        .orElse(null);
  }
}
