package io.hexgate.cli.policy;

import io.hexgate.operator.policy.HttpRequest;
import io.hexgate.operator.policy.Protocol;
import io.hexgate.operator.policy.trace.InputException;
import io.hexgate.operator.policy.trace.ManifestLoader;
import io.hexgate.operator.policy.trace.OfflineCluster;
import io.hexgate.operator.policy.trace.PolicyTrace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Explain the verdict for a new connection from SRC to DST: the source's egress policy, the",
      "destination's ingress policy and L7 rules. Ends with one line 'Final verdict: ALLOWED|DENIED'.",
      "Exit code 0 with a verdict, 2 for bad input."
    })
public final class PolicyTraceCommand implements Callable<Integer> {
  @Option(names = "--offline", description = "Decide from manifest files alone (-f), without a cluster.")
  boolean offline;

  @Option(names = {"-f", "--filename"}, required = true, paramLabel = "PATH",
      description = "YAML file or directory with Namespaces, Pods, workloads and policies (CNP, CCNP, NetworkPolicy). Repeatable.")
  List<Path> files = new ArrayList<>();

  @Option(names = {"-n", "--namespace"}, defaultValue = "default", paramLabel = "NAMESPACE",
      description = "Namespace for objects without one, and for SRC/DST given without one (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--src", required = true, paramLabel = "SRC", description = "NAMESPACE/POD or ip:A.B.C.D")
  String src;

  @Option(names = "--dst", required = true, paramLabel = "DST", description = "NAMESPACE/POD or ip:A.B.C.D")
  String dst;

  @Option(names = "--dport", required = true, paramLabel = "PORT[/PROTO]",
      description = "Destination port (ICMP type for icmp); PROTO is tcp (default), udp, sctp or icmp.")
  String dport;

  @Option(names = "--http-method", paramLabel = "M", description = "Trace this HTTP request method through L7 rules.")
  String httpMethod;

  @Option(names = "--http-path", paramLabel = "P", description = "Trace this HTTP request path through L7 rules.")
  String httpPath;

  @Option(names = "--http-header", paramLabel = "'K: V'", description = "A request header, repeatable.")
  List<String> httpHeaders = new ArrayList<>();

  @Override
  public Integer call() {
    try {
      if (!offline) {
        throw new InputException("policy trace: only --offline is available: it decides from the files given with -f");
      }
      PortAndProtocol pp = PortAndProtocol.parse(dport);
      HttpRequest request = request();
      OfflineCluster cluster = new OfflineCluster(new ManifestLoader(namespace).load(files));
      PolicyTrace trace = new PolicyTrace(cluster);
      PolicyTrace.Peer s = trace.peer(src, namespace, "--src");
      PolicyTrace.Peer d = trace.peer(dst, namespace, "--dst");
      trace.trace(s, d, pp.protocol(), pp.port(), request, System.out);
      return 0;
    } catch (InputException e) {
      System.err.println("hexgate: " + e.getMessage());
      return 2;
    }
  }

  private HttpRequest request() {
    if (httpMethod == null && httpPath == null && httpHeaders.isEmpty()) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h : httpHeaders) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new InputException("--http-header \"" + h + "\": expected 'Name: value'");
      }
      headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    return new HttpRequest(httpMethod, httpPath, headers);
  }

  /** {@code PORT[/PROTO]} as given to --dport. */
  record PortAndProtocol(int port, Protocol protocol) {
    static PortAndProtocol parse(String text) {
      String[] parts = text.split("/", 2);
      Protocol p = Protocol.TCP;
      if (parts.length == 2) {
        String proto = parts[1].toLowerCase(java.util.Locale.ROOT);
        p = switch (proto) {
          case "tcp" -> Protocol.TCP;
          case "udp" -> Protocol.UDP;
          case "sctp" -> Protocol.SCTP;
          case "icmp" -> Protocol.ICMP;
          default -> throw new InputException("--dport " + text + ": unknown protocol \"" + parts[1] + "\", use tcp, udp, sctp or icmp");
        };
      }
      int max = p == Protocol.ICMP ? 255 : 65535;
      if (!parts[0].matches("[0-9]{1,5}") || Integer.parseInt(parts[0]) > max) {
        throw new InputException("--dport " + text + ": \"" + parts[0] + "\" is not a " + (p == Protocol.ICMP ? "ICMP type (0-255)" : "port number (0-65535)"));
      }
      return new PortAndProtocol(Integer.parseInt(parts[0]), p);
    }
  }
}
