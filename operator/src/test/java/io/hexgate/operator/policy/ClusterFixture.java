package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.policy.trace.ManifestLoader;
import io.hexgate.operator.policy.trace.OfflineCluster;
import io.hexgate.operator.policy.trace.PolicyTrace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small cluster written as manifests into a directory and loaded the way {@code hexgate policy trace
 * --offline} loads it ({@link ManifestLoader}, {@link OfflineCluster}), with assertions on the verdicts
 * {@link PolicyTrace} gives. Peers are {@code ns/pod} or {@code ip:A.B.C.D}; ports {@code 80/tcp},
 * {@code 53/udp}, {@code 8/icmp} (the ICMP type). A failed assertion shows the whole trace.
 */
final class ClusterFixture {
  private final Path dir;
  private final Set<String> namespaces = new LinkedHashSet<>();
  private final List<String> docs = new ArrayList<>();
  private int policyCount;
  private OfflineCluster cluster;

  private ClusterFixture(Path dir) {
    this.dir = dir;
  }

  static ClusterFixture in(Path dir) {
    return new ClusterFixture(dir);
  }

  // ------------------------------------------------------------------ building

  /** A namespace with labels {@code "k=v"}; {@code kubernetes.io/metadata.name} is added. */
  ClusterFixture namespace(String name, String... labels) {
    Map<String, String> l = labels(labels);
    l.putIfAbsent("kubernetes.io/metadata.name", name);
    namespaces.add(name);
    docs.add("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n  labels: " + flow(l) + "\n");
    return this;
  }

  /** A pod {@code ns/name} with an IP and labels {@code "k=v"}. */
  ClusterFixture pod(String nsName, String ip, String... labels) {
    return pod(nsName, ip, Map.of(), labels);
  }

  /** A pod with named TCP container ports. */
  ClusterFixture pod(String nsName, String ip, Map<String, Integer> namedPorts, String... labels) {
    String[] nn = nsName.split("/", 2);
    if (!namespaces.contains(nn[0])) {
      namespace(nn[0]);
    }
    StringBuilder b = new StringBuilder();
    b.append("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ").append(nn[1]);
    b.append("\n  namespace: ").append(nn[0]);
    b.append("\n  labels: ").append(flow(labels(labels)));
    b.append("\nspec:\n  containers:\n  - name: main\n    image: example\n");
    if (!namedPorts.isEmpty()) {
      b.append("    ports:\n");
      namedPorts.forEach(
          (name, port) -> b.append("    - {name: ").append(name).append(", containerPort: ").append(port).append("}\n"));
    }
    b.append("status:\n  podIP: ").append(ip).append('\n');
    docs.add(b.toString());
    return this;
  }

  /** A CiliumNetworkPolicy in {@code ns}; {@code spec} is the body of its {@code spec}. */
  ClusterFixture cnp(String ns, String spec) {
    return policy("cilium.io/v2", "CiliumNetworkPolicy", ns, spec);
  }

  /** A CiliumClusterwideNetworkPolicy; {@code spec} is the body of its {@code spec}. */
  ClusterFixture ccnp(String spec) {
    return policy("cilium.io/v2", "CiliumClusterwideNetworkPolicy", null, spec);
  }

  /** A Kubernetes NetworkPolicy in {@code ns}; {@code spec} is the body of its {@code spec}. */
  ClusterFixture knp(String ns, String spec) {
    return policy("networking.k8s.io/v1", "NetworkPolicy", ns, spec);
  }

  private ClusterFixture policy(String apiVersion, String kind, String ns, String spec) {
    String name = "p" + policyCount++;
    docs.add(
        "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata:\n  name: " + name
            + (ns == null ? "" : "\n  namespace: " + ns)
            + "\nspec:\n" + spec.stripIndent().indent(2));
    return this;
  }

  OfflineCluster cluster() {
    if (cluster == null) {
      try {
        // A file of its own, so that several fixtures can share one directory.
        Path file = Files.createTempFile(dir, "cluster-", ".yaml");
        Files.writeString(file, String.join("---\n", docs));
        cluster = new OfflineCluster(new ManifestLoader("default").load(List.of(file)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return cluster;
  }

  PolicyEngine engine() {
    return cluster().engine();
  }

  // ------------------------------------------------------------------ tracing

  /** The outcome of one trace, with its printed explanation. */
  record Trace(boolean allowed, PolicyTrace.Result result, String output) {}

  Trace trace(String from, String to, String dport) {
    return trace(from, to, dport, null);
  }

  Trace trace(String from, String to, String dport, HttpRequest request) {
    PolicyTrace t = new PolicyTrace(cluster());
    PortProto pp = PortProto.parse(dport);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PolicyTrace.Result r;
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      r = t.trace(t.peer(from, "default", "--src"), t.peer(to, "default", "--dst"), pp.protocol(), pp.port(), request, out);
    }
    return new Trace(r.allowed(), r, buf.toString(StandardCharsets.UTF_8));
  }

  ClusterFixture assertAllowed(String from, String to, String... dports) {
    for (String dport : dports) {
      Trace t = trace(from, to, dport);
      assertThat(t.allowed()).as("%s -> %s %s should be ALLOWED:%n%s", from, to, dport, t.output()).isTrue();
    }
    return this;
  }

  ClusterFixture assertDenied(String from, String to, String... dports) {
    for (String dport : dports) {
      Trace t = trace(from, to, dport);
      assertThat(t.allowed()).as("%s -> %s %s should be DENIED:%n%s", from, to, dport, t.output()).isFalse();
    }
    return this;
  }

  /** An HTTP request on {@code dport}; headers are {@code "Name: value"}. */
  static HttpRequest request(String method, String path, String... headers) {
    Map<String, String> h = new LinkedHashMap<>();
    for (String s : headers) {
      int colon = s.indexOf(':');
      h.put(s.substring(0, colon).trim(), s.substring(colon + 1).trim());
    }
    return new HttpRequest(method, path, h);
  }

  ClusterFixture assertHttpAllowed(String from, String to, String dport, HttpRequest request) {
    Trace t = trace(from, to, dport, request);
    assertThat(t.allowed()).as("%s -> %s %s %s should be ALLOWED:%n%s", from, to, dport, request, t.output()).isTrue();
    return this;
  }

  ClusterFixture assertHttpDenied(String from, String to, String dport, HttpRequest request) {
    Trace t = trace(from, to, dport, request);
    assertThat(t.result().egress() == null || t.result().egress().passesL4())
        .as("the request must reach L7 (egress passes L3/L4):%n%s", t.output())
        .isTrue();
    assertThat(t.result().ingress() == null || t.result().ingress().passesL4())
        .as("the request must reach L7 (ingress passes L3/L4):%n%s", t.output())
        .isTrue();
    assertThat(t.allowed()).as("%s -> %s %s %s should be DENIED at L7:%n%s", from, to, dport, request, t.output()).isFalse();
    return this;
  }

  // ------------------------------------------------------------------ reserved identities

  /** The ingress verdict at pod {@code to} for a new connection from a reserved identity. */
  Verdict ingressFrom(ReservedIdentity from, String to, String dport) {
    PortProto pp = PortProto.parse(dport);
    PolicyEngine e = engine();
    return e.decide(endpoint(to), Direction.INGRESS, e.identity(from.id()), pp.protocol(), pp.port());
  }

  /** The egress verdict at pod {@code from} for a new connection to a reserved identity. */
  Verdict egressTo(String from, ReservedIdentity to, String dport) {
    PortProto pp = PortProto.parse(dport);
    PolicyEngine e = engine();
    return e.decide(endpoint(from), Direction.EGRESS, e.identity(to.id()), pp.protocol(), pp.port());
  }

  Endpoint endpoint(String nsName) {
    String[] nn = nsName.split("/", 2);
    Endpoint e = engine().endpoint(new Endpoint.Key(nn[0], nn[1]));
    assertThat(e).as("pod %s", nsName).isNotNull();
    return e;
  }

  // ------------------------------------------------------------------ helpers

  record PortProto(int port, Protocol protocol) {
    static PortProto parse(String text) {
      String[] parts = text.split("/", 2);
      Protocol p = parts.length == 2 ? Protocol.parse(parts[1]) : Protocol.TCP;
      return new PortProto(Integer.parseInt(parts[0]), p);
    }
  }

  private static Map<String, String> labels(String... kvs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : kvs) {
      int eq = kv.indexOf('=');
      out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }

  private static String flow(Map<String, String> labels) {
    List<String> parts = new ArrayList<>();
    labels.forEach((k, v) -> parts.add("\"" + k + "\": \"" + v + "\""));
    return "{" + String.join(", ", parts) + "}";
  }
}
