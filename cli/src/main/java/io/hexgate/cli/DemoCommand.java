package io.hexgate.cli;

import io.hexgate.operator.policy.HttpRequest;
import io.hexgate.operator.policy.Protocol;
import io.hexgate.operator.policy.trace.ManifestLoader;
import io.hexgate.operator.policy.trace.OfflineCluster;
import io.hexgate.operator.policy.trace.PolicyTrace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Star Wars demo. Until the lab exists (real pods in network namespaces, stock kubectl), it tells
 * the story through the policy engine: the same manifests, the verdicts the datapath will enforce.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the Star Wars demo (Cilium's getting-started guide).")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--examples", paramLabel = "DIR", description = "Directory with the Star Wars manifests (default: examples/starwars of this checkout).")
  Path examples;

  @Option(names = {"-v", "--verbose"}, description = "Print the full trace of every step.")
  boolean verbose;

  private record Step(String from, int port, String method, String path, String expect) {}

  @Override
  public Integer call() throws Exception {
    Path dir = examples != null ? examples : Path.of(System.getProperty("hexgate.home", "."), "examples", "starwars");
    Path app = dir.resolve("http-sw-app.yaml");
    if (!Files.exists(app)) {
      System.err.println("hexgate: " + app + ": not found; run from the Hexgate checkout or pass --examples");
      return 2;
    }
    System.out.println("Hexgate Star Wars demo");
    System.out.println("======================");
    System.out.println("Enforcement: offline policy engine. The lab that runs these pods in network namespaces, with");
    System.out.println("real eBPF enforcement and stock kubectl, arrives with the lab issue; until then every step below");
    System.out.println("shows the verdict the engine computes for the connection, from the same manifests.");
    List<Path> files = new ArrayList<>(List.of(app));
    boolean ok = true;
    System.out.println();
    System.out.println("1. kubectl create -f " + app + "   (deathstar Deployment + Service, tiefighter and xwing pods)");
    ok &= steps(files, List.of(
        new Step("xwing", 80, "POST", "/v1/request-landing", "ALLOWED"),
        new Step("tiefighter", 80, "POST", "/v1/request-landing", "ALLOWED")));
    files.add(dir.resolve("sw_l3_l4_policy.yaml"));
    System.out.println();
    System.out.println("2. kubectl create -f sw_l3_l4_policy.yaml   (rule1: only org=empire may reach deathstar on 80/TCP)");
    ok &= steps(files, List.of(
        new Step("tiefighter", 80, "POST", "/v1/request-landing", "ALLOWED"),
        new Step("xwing", 80, "POST", "/v1/request-landing", "DENIED")));
    files.set(1, dir.resolve("sw_l3_l4_l7_policy.yaml"));
    System.out.println();
    System.out.println("3. kubectl apply -f sw_l3_l4_l7_policy.yaml   (rule1 now also allows only POST /v1/request-landing)");
    ok &= steps(files, List.of(
        new Step("tiefighter", 80, "POST", "/v1/request-landing", "ALLOWED"),
        new Step("tiefighter", 80, "PUT", "/v1/exhaust-port", "DENIED"),
        new Step("xwing", 80, "POST", "/v1/request-landing", "DENIED")));
    System.out.println();
    System.out.println(ok ? "Every step decided as Cilium's guide shows." : "Some steps did not decide as Cilium's guide shows.");
    return ok ? 0 : 1;
  }

  private boolean steps(List<Path> files, List<Step> steps) {
    OfflineCluster cluster = new OfflineCluster(new ManifestLoader("default").load(files));
    PolicyTrace trace = new PolicyTrace(cluster);
    boolean ok = true;
    for (Step s : steps) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      PolicyTrace.Result r;
      try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
        r = trace.trace(
            trace.peer("default/" + s.from(), "default", "--src"),
            trace.peer("default/deathstar", "default", "--dst"),
            Protocol.TCP, s.port(), new HttpRequest(s.method(), s.path(), Map.of()), p);
      }
      String got = r.allowed() ? "ALLOWED" : "DENIED";
      String how;
      if (r.allowed()) {
        how = "Ship landed";
      } else if (r.l7Allowed() != null && !r.l7Allowed()) {
        how = "Access denied (HTTP 403 from the L7 proxy)";
      } else {
        how = "dropped (Policy denied, reason 133): curl times out";
      }
      System.out.printf("   %-10s %-4s %-22s -> %-7s %s%n", s.from(), s.method(), s.path(), got, how);
      if (verbose) {
        System.out.print(buf.toString(StandardCharsets.UTF_8).indent(6));
      }
      ok &= got.equals(s.expect());
    }
    return ok;
  }
}
