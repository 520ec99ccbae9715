package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.hexgate.contract.net.Ipv4;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The lab's Kubernetes API: fabric8's mock CRUD dispatcher and web server request handler behind
 * {@link ApiDispatcher}, on plain HTTP at 127.0.0.1, with the usual namespaces, the {@code kubernetes} Service and the given CRDs created at
 * start. Stock kubectl drives it through {@link #writeKubeconfig}; fabric8 clients come from {@link #client()}.
 *
 * <pre>{@code
 * try (LabApiServer api = LabApiServer.start(0, LabApiServer.crdFiles(Path.of("crds")))) {
 *   api.writeKubeconfig(Path.of("lab.kubeconfig"));   // KUBECONFIG=lab.kubeconfig kubectl get cnp
 * }
 * }</pre>
 */
public final class LabApiServer implements AutoCloseable {
  public static final String DEFAULT_SERVICE_CIDR = "10.96.0.0/16";
  public static final String CONTEXT = "hexgate-lab";

  private final LabHttpServer server;
  private final ApiDispatcher dispatcher;
  private final ResourceHandler handler;
  private final ResourceCatalog catalog;
  private final List<KubernetesClient> clients = new ArrayList<>();
  private int port;

  private LabApiServer(LabHttpServer server, ApiDispatcher dispatcher, ResourceHandler handler, ResourceCatalog catalog) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.handler = handler;
    this.catalog = catalog;
  }

  /** Starts on {@code port} (0: any free port) with the CRDs in {@code crdFiles} and the default service range. */
  public static LabApiServer start(int port, List<Path> crdFiles) {
    return start(port, crdFiles, DEFAULT_SERVICE_CIDR, Clock.systemUTC());
  }

  public static LabApiServer start(int port, List<Path> crdFiles, String serviceCidr, Clock clock) {
    ObjectMapper json = new ObjectMapper();
    new KubernetesSerialization(json, true); // configures json for fabric8's model types
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    ResourceCatalog catalog = new ResourceCatalog();
    ObjectStore store = new ObjectStore(json);
    ResourceHandler handler = new ResourceHandler(catalog, store, json, new Defaults(serviceCidr), clock);
    Vertx vertx = Vertx.vertx();
    ApiDispatcher dispatcher = new ApiDispatcher(catalog, handler, store, json, yaml, vertx);
    LabHttpServer server = new LabHttpServer(vertx, dispatcher, "127.0.0.1", port);
    LabApiServer api = new LabApiServer(server, dispatcher, handler, catalog);
    try {
      api.port = server.listen();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    dispatcher.serverAddress("127.0.0.1:" + api.port);
    try {
      api.seed(serviceCidr);
      for (Path f : crdFiles) {
        api.createCrd(yaml.readTree(f.toFile()), f);
      }
    } catch (IOException | RuntimeException e) {
      api.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return api;
  }

  /** The {@code .yml}/{@code .yaml} files in {@code dir}, sorted, as {@link #start} takes them. */
  public static List<Path> crdFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list CRDs in " + dir, e);
    }
  }

  private void seed(String serviceCidr) {
    ApiResource namespaces = type("", "v1", "namespaces");
    for (String ns : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
      ObjectNode n = JsonNodeFactory.instance.objectNode();
      n.put("apiVersion", "v1").put("kind", "Namespace").putObject("metadata").put("name", ns);
      dispatcher.locked(() -> handler.create(namespaces, null, n, Map.of()));
    }
    Integer base = Defaults.ipv4(serviceCidr.split("/")[0]);
    int first = base + 1;
    ObjectNode svc = JsonNodeFactory.instance.objectNode();
    svc.put("apiVersion", "v1").put("kind", "Service");
    svc.putObject("metadata").put("name", "kubernetes").putObject("labels").put("component", "apiserver")
        .put("provider", "kubernetes");
    ObjectNode spec = svc.putObject("spec");
    spec.put("clusterIP", Ipv4.format(first));
    spec.putArray("ports").addObject().put("name", "https").put("port", 443).put("protocol", "TCP").put("targetPort", port());
    dispatcher.locked(() -> handler.create(type("", "v1", "services"), "default", svc, Map.of()));
  }

  private void createCrd(JsonNode crd, Path from) {
    if (!(crd instanceof ObjectNode o) || !"CustomResourceDefinition".equals(crd.path("kind").asText())) {
      throw new IllegalArgumentException(from + " is not a CustomResourceDefinition");
    }
    dispatcher.locked(() -> handler.create(type("apiextensions.k8s.io", "v1", "customresourcedefinitions"), null, o,
        Map.of("fieldValidation", "Strict")));
  }

  private ApiResource type(String group, String version, String plural) {
    return catalog.find(group, version, plural).orElseThrow();
  }

  /** Mutates or refuses objects before they are stored (see {@link AdmissionHook}). */
  public void addAdmissionHook(AdmissionHook hook) {
    handler.addHook(hook);
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** A fabric8 client of its own against this server (default namespace), closed with the server. */
  public synchronized KubernetesClient client() {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url()).withNamespace("default")
        .withRequestTimeout(30_000).withHttp2Disable(true).build();
    KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
    clients.add(c);
    return c;
  }

  /** Writes a kubeconfig whose current context ({@value #CONTEXT}) points at this server; returns {@code file}. */
  public Path writeKubeconfig(Path file) {
    String text =
        "apiVersion: v1\n"
            + "kind: Config\n"
            + "clusters:\n"
            + "- name: " + CONTEXT + "\n"
            + "  cluster:\n"
            + "    server: " + url() + "\n"
            + "contexts:\n"
            + "- name: " + CONTEXT + "\n"
            + "  context:\n"
            + "    cluster: " + CONTEXT + "\n"
            + "    user: " + CONTEXT + "\n"
            + "    namespace: default\n"
            + "current-context: " + CONTEXT + "\n"
            + "users:\n"
            + "- name: " + CONTEXT + "\n"
            + "  user: {}\n";
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write kubeconfig " + file, e);
    }
    return file;
  }

  /**
   * Runs the API on its own until killed: {@code LabApiServer [port [crd-dir [kubeconfig]]]}, defaults 0,
   * {@code crds}, {@code lab.kubeconfig}. For trying kubectl against it; the lab embeds it instead.
   */
  public static void main(String[] args) throws InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    Path crds = Path.of(args.length > 1 ? args[1] : "crds");
    Path kubeconfig = Path.of(args.length > 2 ? args[2] : "lab.kubeconfig");
    LabApiServer api = start(port, Files.isDirectory(crds) ? crdFiles(crds) : List.of());
    Runtime.getRuntime().addShutdownHook(new Thread(api::close, "hexgate-lab-api-stop"));
    api.writeKubeconfig(kubeconfig);
    System.out.println("Lab API at " + api.url() + (Files.isDirectory(crds) ? " with the CRDs in " + crds : " (no CRDs)"));
    System.out.println("export KUBECONFIG=" + kubeconfig.toAbsolutePath());
    Thread.currentThread().join();
  }

  @Override
  public synchronized void close() {
    clients.forEach(KubernetesClient::close);
    clients.clear();
    server.close();
  }
}
