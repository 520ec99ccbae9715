package io.hexgate.lab;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import io.hexgate.lab.controlplane.RealControlPlane;
import io.hexgate.lab.olm.OlmBinaries;
import io.hexgate.operator.kube.KubernetesErrors;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * What {@code hexgate lab up}, {@code down} and {@code exec} do from the user's shell: start {@link LabMain}
 * as a background process of its own session and wait until it is ready, stop it and remove what it made,
 * run a command inside a pod's network namespace.
 *
 * <p>State lives in one directory (default {@code ~/.hexgate/lab}): {@code lab.properties} (the prefix, so
 * that {@code down} can clean up even after a crash), {@code lab.pid}, {@code lab.ready}, {@code lab.log} and
 * {@code kubeconfig}.
 */
public final class LabLauncher {
  public static final String PROPERTIES_FILE = "lab.properties";
  public static final String LOG_FILE = "lab.log";
  static final String EMBEDDED_BANNER =
      "*** The real Kubernetes control plane cannot be built on this machine (it needs Go 1.26: see README.md,"
          + " \"The lab's control plane\"), so this lab runs the EMBEDDED FALLBACK API server: no authentication,"
          + " no RBAC, the lab's own controllers. Install Go 1.26 and run `hexgate lab up` again for the real one. ***";

  /** Which control plane {@code lab up} runs. */
  public enum ControlPlaneChoice {
    AUTO,
    REAL,
    EMBEDDED
  }
  private static final String MAIN_CLASS = LabMain.class.getName();

  private final Path stateDir;
  private final PrintStream out;
  private final PrintStream err;

  public LabLauncher(Path stateDir, PrintStream out, PrintStream err) {
    this.stateDir = stateDir.toAbsolutePath();
    this.out = out;
    this.err = err;
  }

  /** Null when this process can make network namespaces, else the message to stop with. */
  public static String rootProblem() {
    return NetNs.unavailable().map(why -> "hexgate lab: " + why + "; run it as root (e.g. sudo ./hexgate lab ...)").orElse(null);
  }

  public Path kubeconfig() {
    return stateDir.resolve("kubeconfig");
  }

  /** The running lab process of this state directory, if any. */
  public Optional<ProcessHandle> running() {
    Path pidFile = stateDir.resolve(LabMain.PID_FILE);
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    try {
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(LabLauncher::isLabProcess);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  // a pid file can outlive its process, and the pid be reused by another. /proc is read directly:
  // ProcessHandle.Info cuts long command lines (a Maven test class path) before the main class
  private static boolean isLabProcess(ProcessHandle p) {
    try {
      String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8);
      return List.of(cmdline.split("\0")).contains(MAIN_CLASS);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Starts a lab in the background and waits until it is ready; prints the {@code export KUBECONFIG} line.
   *
   * @param classpath the class path the lab process runs with (this CLI's)
   * @param controlPlane {@link ControlPlaneChoice#AUTO} runs the real control plane, building it first when it
   *     is not built yet, and falls back to the embedded one with a banner when it cannot be built
   */
  public int up(String prefix, int nodes, Path crdDir, ControlPlaneChoice controlPlane, String classpath, Duration timeout)
      throws IOException, InterruptedException {
    return up(prefix, nodes, crdDir, controlPlane, LabOptions.Hexgate.IN_PROCESS, null, false, classpath, timeout);
  }

  /**
   * As above, with Hexgate run by {@code hexgate} ({@link LabOptions.Hexgate#FROM_IMAGES} needs the real control
   * plane and the images, and leaves installing Hexgate to the user), the image store {@code images} (null:
   * {@value LabMain#DEFAULT_IMAGES} of the checkout when it exists), and OLM running against the real control
   * plane when {@code olm} is set (built first by {@code scripts/ensure-olm.sh} if needed).
   */
  public int up(String prefix, int nodes, Path crdDir, ControlPlaneChoice controlPlane, LabOptions.Hexgate hexgate, Path images,
      boolean olm, String classpath, Duration timeout) throws IOException, InterruptedException {
    Path home = Path.of(System.getProperty("hexgate.home", ".")).toAbsolutePath();
    boolean installed = hexgate == LabOptions.Hexgate.FROM_IMAGES;
    Path imageDir = images != null ? images.toAbsolutePath() : home.resolve(LabMain.DEFAULT_IMAGES);
    if (installed && (controlPlane == ControlPlaneChoice.EMBEDDED || !Files.isDirectory(imageDir))) {
      err.println("hexgate lab: Hexgate from its images needs the real control plane and the images in " + imageDir
          + " (./mvnw -pl images -am package)");
      return 2;
    }
    String problem = rootProblem();
    if (problem != null) {
      err.println(problem);
      return 2;
    }
    Optional<ProcessHandle> already = running();
    if (already.isPresent()) {
      out.println("A lab is already running (pid " + already.get().pid() + "); `hexgate lab down` stops it.");
      out.println("export KUBECONFIG=" + kubeconfig());
      return 0;
    }
    Files.createDirectories(stateDir);
    // what a lab that was killed left behind, under its prefix and under this one
    String earlier = previousPrefix().orElse(prefix);
    for (String p : earlier.equals(prefix) ? List.of(prefix) : List.of(earlier, prefix)) {
      LabCleanup.Removed removed = LabCleanup.clean(p);
      if (!removed.nothing()) {
        out.println("Cleaned up after an earlier lab: " + removed + ".");
      }
    }
    for (String f : List.of(LabMain.READY_FILE, LabMain.PID_FILE, "kubeconfig")) {
      Files.deleteIfExists(stateDir.resolve(f));
    }
    Properties props = new Properties();
    props.setProperty("prefix", prefix);
    props.setProperty("nodes", Integer.toString(nodes));
    try (var w = Files.newBufferedWriter(stateDir.resolve(PROPERTIES_FILE), StandardCharsets.UTF_8)) {
      props.store(w, "hexgate lab");
    }
    String binaries = LabMain.EMBEDDED;
    if (installed) {
      controlPlane = ControlPlaneChoice.REAL;
    }
    if (controlPlane != ControlPlaneChoice.EMBEDDED) {
      Optional<Path> bin = ControlPlaneBinaries.ensure(home, out);
      if (bin.isPresent()) {
        binaries = bin.get().toString();
      } else if (controlPlane == ControlPlaneChoice.REAL) {
        err.println("hexgate lab: the real control plane cannot be built here (see above); `--control-plane embedded` runs the fallback");
        return 1;
      } else {
        out.println(EMBEDDED_BANNER);
      }
    }
    String olmDir = null;
    if (olm) {
      if (binaries.equals(LabMain.EMBEDDED)) {
        err.println("hexgate lab: --olm needs the real control plane");
        return 1;
      }
      Optional<OlmBinaries> built = OlmBinaries.ensure(home, out);
      if (built.isEmpty()) {
        err.println("hexgate lab: OLM cannot be built here (see above; " + OlmBinaries.SCRIPT + " builds it)");
        return 1;
      }
      olmDir = built.get().dir().toString();
    }
    Path log = stateDir.resolve(LOG_FILE);
    List<String> cmd = new ArrayList<>();
    cmd.add("setsid"); // a session of its own: Ctrl-C in this shell later does not reach it
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-XX:+UseSerialGC", "-Xss512k"));
    // the log settings `hexgate --log-level/--log-format` gave this process; the environment's are inherited
    for (String setting : List.of("hexgate.log.level", "hexgate.log.format")) {
      if (System.getProperty(setting) != null) {
        cmd.add("-D" + setting + "=" + System.getProperty(setting));
      }
    }
    cmd.addAll(List.of("-cp", classpath, MAIN_CLASS, "--state-dir", stateDir.toString(), "--prefix", prefix,
        "--nodes", Integer.toString(nodes), "--crds", crdDir.toAbsolutePath().toString(),
        "--bundle", home.resolve("config/rbac").toString(), "--control-plane", binaries));
    if (Files.isDirectory(imageDir)) {
      cmd.addAll(List.of("--images", imageDir.toString()));
    }
    cmd.addAll(List.of("--hexgate", hexgate.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')));
    if (olmDir != null) {
      cmd.addAll(List.of("--olm", olmDir));
    }
    Process lab = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
        .redirectErrorStream(true)
        .start();
    // Ctrl-C while waiting: stop the half-started lab, which cleans up after itself, then make sure
    Thread undo = new Thread(() -> {
      if (lab.isAlive()) {
        err.println("hexgate lab: interrupted; stopping the lab and removing what it made");
        lab.destroy();
        try {
          lab.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        lab.destroyForcibly();
        LabCleanup.clean(prefix);
      }
    }, "hexgate-lab-up-interrupted");
    Runtime.getRuntime().addShutdownHook(undo);
    out.println("Starting the lab: " + nodes + " nodes, network prefix " + prefix + " (log: " + log + ")");
    long deadline = System.nanoTime() + timeout.toNanos();
    Path ready = stateDir.resolve(LabMain.READY_FILE);
    long shown = 0;
    try {
      while (!Files.exists(ready)) {
        if (!lab.isAlive()) {
          err.println("hexgate lab: the lab process exited (" + lab.exitValue() + ") before it was ready; the end of " + log + ":");
          tail(log, 30).forEach(l -> err.println("  " + l));
          LabCleanup.clean(prefix);
          return 1;
        }
        if (System.nanoTime() > deadline) {
          err.println("hexgate lab: not ready within " + timeout.toSeconds() + " s; stopping it. The end of " + log + ":");
          tail(log, 30).forEach(l -> err.println("  " + l));
          stop(lab.toHandle());
          LabCleanup.clean(prefix);
          return 1;
        }
        shown = showProgress(log, shown);
        Thread.sleep(200);
      }
      showProgress(log, shown);
    } finally {
      Runtime.getRuntime().removeShutdownHook(undo);
    }
    Properties r = new Properties();
    try (var in = Files.newBufferedReader(ready)) {
      r.load(in);
    }
    out.println("Lab ready (pid " + lab.pid() + "): API server " + r.getProperty("api") + ", " + nodes + " nodes, "
        + (LabOptions.Hexgate.FROM_IMAGES.name().equals(r.getProperty("hexgate"))
            ? "Hexgate not installed (kubectl apply -f deploy/hexgate.yaml, then deploy/hexgateconfig.yaml; pods wait for the agents)."
            : "true".equals(r.getProperty("agents")) ? "node agents enforcing." : "no node agents (nothing enforces policy yet)."));
    out.println("export KUBECONFIG=" + kubeconfig());
    return 0;
  }

  /** Prints the lab's progress lines (its own, not library logging) written since {@code from}. */
  private long showProgress(Path log, long from) throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    for (int i = (int) from; i < lines.size(); i++) {
      String l = lines.get(i);
      // library log lines start with the elapsed milliseconds; the lab's own progress lines do not
      if (!l.matches("^\\d+ \\[.*") && !l.isBlank() && !l.startsWith("hexgate lab: ready")) {
        out.println("  " + l);
      }
    }
    return lines.size();
  }

  private static List<String> tail(Path log, int n) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - n), lines.size());
    } catch (IOException e) {
      return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
    }
  }

  private Optional<String> previousPrefix() {
    Path f = stateDir.resolve(PROPERTIES_FILE);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(f)) {
      p.load(in);
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.ofNullable(p.getProperty("prefix")).filter(s -> !s.isEmpty());
  }

  /** Stops the lab process (SIGTERM, then SIGKILL after 30 s) and removes everything it made. */
  public int down() throws IOException {
    String problem = rootProblem();
    if (problem != null) {
      err.println(problem);
      return 2;
    }
    Optional<ProcessHandle> lab = running();
    if (lab.isPresent()) {
      out.println("Stopping the lab (pid " + lab.get().pid() + ")");
      stop(lab.get());
    }
    // the prefix comes from this state directory only: another lab's namespaces are not this one's to remove
    Optional<String> prefix = previousPrefix();
    LabCleanup.Removed removed =
        prefix.isPresent() ? LabCleanup.clean(prefix.get()) : new LabCleanup.Removed(0, List.of(), List.of(), List.of(), List.of());
    for (String f : List.of(LabMain.READY_FILE, LabMain.PID_FILE, "kubeconfig", PROPERTIES_FILE)) {
      Files.deleteIfExists(stateDir.resolve(f));
    }
    List<String> stopped = RealControlPlane.stopLeftovers(stateDir.resolve(Lab.CONTROL_PLANE_DIR));
    if (!stopped.isEmpty()) {
      out.println("Stopped control plane processes the lab left running: " + String.join(", ", stopped) + ".");
    }
    if (lab.isEmpty() && removed.nothing()) {
      out.println("No lab was running; nothing to remove.");
    } else if (removed.nothing()) {
      out.println("Lab down: it removed every network namespace, link and pin it made.");
    } else {
      out.println("Lab down: removed " + removed + ".");
    }
    return 0;
  }

  private static void stop(ProcessHandle p) {
    p.destroy();
    try {
      p.onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      p.onExit().completeOnTimeout(p, 10, TimeUnit.SECONDS).join();
    }
  }

  /**
   * {@code host:port} of the running lab's relay, which serves every node's flows to {@code hexgate observe}
   * and {@code hubble observe}; empty when no lab of this state directory runs or it has no relay (Hexgate
   * installed from its images: its operator's relay serves on the operator's node).
   */
  public Optional<String> relayAddress() throws IOException {
    Path ready = stateDir.resolve(LabMain.READY_FILE);
    if (running().isEmpty() || !Files.exists(ready)) {
      return Optional.empty();
    }
    Properties r = new Properties();
    try (var in = Files.newBufferedReader(ready)) {
      r.load(in);
    }
    return Optional.ofNullable(r.getProperty("relay"));
  }

  /**
   * Runs {@code command} in the pod's network namespace with the pod's resolv.conf ({@code ip netns exec}),
   * with this process's stdin, stdout and stderr; returns its exit code, as {@code kubectl exec} does.
   */
  public int exec(String pod, String namespace, List<String> command) throws IOException, InterruptedException {
    PodTarget t = podNetns(pod, namespace, command);
    if (t.netns() == null) {
      return t.problem();
    }
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", t.netns()));
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    int code = p.waitFor();
    if (code != 0) {
      err.println("command terminated with exit code " + code);
    }
    return code;
  }

  /**
   * Runs {@code command} in the pod's network namespace as {@link #exec} does, but returns what it printed
   * (for the demo, which narrates the output); a command still running after {@code timeout} is killed.
   * Empty when there is no such pod or lab (the reason went to this launcher's error stream).
   */
  public Optional<Commands.Result> execCaptured(String pod, String namespace, Duration timeout, List<String> command)
      throws IOException {
    PodTarget t = podNetns(pod, namespace, command);
    if (t.netns() == null) {
      return Optional.empty();
    }
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", t.netns()));
    cmd.addAll(command);
    return Optional.of(Commands.run(timeout, cmd));
  }

  /** A pod's network namespace, or null and the exit code after printing why there is none. */
  private record PodTarget(String netns, int problem) {}

  private PodTarget podNetns(String pod, String namespace, List<String> command) throws IOException {
    String problem = rootProblem();
    if (problem != null) {
      err.println(problem);
      return new PodTarget(null, 2);
    }
    if (command.isEmpty()) {
      err.println("hexgate lab exec: give the command after --, e.g. hexgate lab exec xwing -- curl -s deathstar");
      return new PodTarget(null, 2);
    }
    PodTarget missing = new PodTarget(null, 1);
    if (running().isEmpty() || !Files.exists(kubeconfig())) {
      err.println("hexgate lab exec: no lab is running; start one with `hexgate lab up`");
      return missing;
    }
    Config config = Config.fromKubeconfig(null, kubeconfig().toFile());
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      Pod p = client.pods().inNamespace(namespace).withName(pod).get();
      if (p == null) {
        err.println("Error from server (NotFound): pods \"" + pod + "\" not found in namespace " + namespace);
        return missing;
      }
      String netns = NodeNetwork.podNetns(previousPrefix().orElse(LabOptions.DEFAULT_PREFIX), namespace, pod);
      if (p.getSpec().getNodeName() == null || !NetNs.exists(netns)) {
        String phase = p.getStatus() == null ? "unknown" : p.getStatus().getPhase();
        err.println("hexgate lab exec: pod " + namespace + "/" + pod + " has no network namespace yet (phase " + phase + ")");
        return missing;
      }
      return new PodTarget(netns, 0);
    } catch (KubernetesClientException e) {
      err.println("hexgate lab exec: cannot reach the lab's API server: " + KubernetesErrors.describe(e));
      return missing;
    }
  }
}
