package io.hexgate.cli.lab;

import io.hexgate.lab.LabLauncher;
import io.hexgate.lab.LabOptions;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hexgate lab}: the lab's lifecycle and {@code exec}. */
@Command(
    name = "lab",
    mixinStandardHelpOptions = true,
    description = "A local cluster: stock kubectl against an embedded API, pods in network namespaces on N nodes.",
    subcommands = {LabCommand.Up.class, LabCommand.Down.class, LabCommand.Exec.class})
public final class LabCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--state-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
      description = "Where the kubeconfig, pid and log live (default: ~/.hexgate/lab).")
  Path stateDir;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  LabLauncher launcher() {
    return new LabLauncher(stateDir != null ? stateDir : LabOptions.defaultStateDir(), System.out, System.err);
  }

  /** This CLI's class path, absolute, for the lab process to run with. */
  public static String classpath() {
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!e.isEmpty()) {
        entries.add(Path.of(e).toAbsolutePath().toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  @Command(name = "up", mixinStandardHelpOptions = true,
      description = "Start the lab in the background (control plane, CRDs, operator, nodes, CNI, DNS) and print the export KUBECONFIG line.")
  static final class Up implements Callable<Integer> {
    @CommandLine.ParentCommand LabCommand parent;

    @Option(names = "--nodes", defaultValue = "2", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--prefix", defaultValue = LabOptions.DEFAULT_PREFIX,
        description = "Name prefix of every namespace, link and pin the lab makes, at most 8 characters (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--crds", paramLabel = "DIR", description = "CRDs to install (default: crds/ of this checkout).")
    Path crds;

    @Option(names = "--timeout", defaultValue = "120",
        description = "Seconds to wait for the lab to be ready, after the control plane is built (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--control-plane", defaultValue = "auto", paramLabel = "auto|real|embedded",
        description = "auto (default): the real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), built"
            + " once with Go, or the embedded fallback where it cannot be built; real: fail instead of falling back; embedded: the"
            + " fallback API server (no authentication, no RBAC).")
    String controlPlane;

    @Option(names = "--hexgate", defaultValue = "in-process", paramLabel = "in-process|from-images",
        description = "in-process (default): the lab runs the operator and one agent per node itself; from-images: it runs"
            + " neither, and Hexgate is installed as on a cluster (kubectl apply -f deploy/hexgate.yaml, Helm, OLM), its operator"
            + " and agents running as containers of images/target (needs the real control plane).")
    String hexgate;

    @Option(names = "--images", paramLabel = "DIR",
        description = "OCI image archives whose images the nodes run as containers (default: images/target of this checkout).")
    Path images;

    @Option(names = "--olm",
        description = "Also run OLM (v0: the olm and catalog operators, built once with Go by scripts/ensure-olm.sh) against the real"
            + " control plane, in namespace olm.")
    boolean olm;

    @Override
    public Integer call() throws Exception {
      LabLauncher.ControlPlaneChoice choice;
      LabOptions.Hexgate who;
      try {
        who = LabOptions.Hexgate.valueOf(hexgate.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        System.err.println("hexgate lab up: --hexgate: '" + hexgate + "' is not one of in-process, from-images");
        return 2;
      }
      try {
        new LabOptions(prefix, nodes, Path.of("."), Path.of("."), null, Path.of("."));
        choice = LabLauncher.ControlPlaneChoice.valueOf(controlPlane.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        System.err.println("hexgate lab up: " + (e.getMessage().startsWith("No enum") ? "--control-plane: '" + controlPlane
            + "' is not one of auto, real, embedded" : e.getMessage()));
        return 2;
      }
      Path dir = crds != null ? crds : Path.of(System.getProperty("hexgate.home", "."), "crds");
      return parent.launcher().up(prefix, nodes, dir, choice, who, images, olm, classpath(), Duration.ofSeconds(timeoutSeconds));
    }
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Stop the lab and remove every network namespace, link, pinned BPF object and process it made.")
  static final class Down implements Callable<Integer> {
    @CommandLine.ParentCommand LabCommand parent;

    @Override
    public Integer call() throws Exception {
      return parent.launcher().down();
    }
  }

  @Command(name = "exec", mixinStandardHelpOptions = true,
      description = "Run a command in a pod's network namespace with its resolv.conf, like kubectl exec: hexgate lab exec xwing -- curl -s deathstar.default.svc.cluster.local/v1/")
  static final class Exec implements Callable<Integer> {
    @CommandLine.ParentCommand LabCommand parent;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Parameters(index = "0", paramLabel = "POD", description = "The pod.")
    String pod;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      return parent.launcher().exec(pod, namespace, command);
    }
  }
}
