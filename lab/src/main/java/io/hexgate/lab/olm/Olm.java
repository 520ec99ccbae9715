package io.hexgate.lab.olm;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.hexgate.lab.controlplane.ComponentProcess;
import io.hexgate.lab.controlplane.RealControlPlane;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OLM (v0) run against the lab's real control plane, as a cluster runs it: OLM's CRDs, the {@code olm}
 * namespace with the {@code olm-operators} OperatorGroup, and the {@code olm} and {@code catalog} operators
 * as child processes beside the control plane's (logs and pid files in its directory, so a lab killed with
 * {@code kill -9} has them stopped by the next one).
 *
 * <p>OLM acts as the user {@value #USER} with OLM's own ClusterRole, which upstream grants every verb on every
 * resource: OLM creates whatever RBAC a CSV asks for, and the API server lets only a holder of those rights
 * grant them. It is cluster infrastructure, as admin as the user of the lab.
 *
 * <p>{@link #installBundle} installs a bundle directory the way a cluster does: a catalog served by
 * {@code opm serve} (a process of the lab, where a cluster would run a catalog pod), a CatalogSource
 * pointing at its address, an OperatorGroup and a Subscription; the catalog operator resolves it into an
 * InstallPlan and applies the CRDs and the CSV, the olm operator makes the CSV's ServiceAccounts, RBAC and
 * Deployments.
 */
public final class Olm implements AutoCloseable {
  public static final String NAMESPACE = "olm";
  public static final String USER = "hexgate-lab:olm";
  /** The name of OLM's ClusterRole in upstream's deployment. */
  static final String CLUSTER_ROLE = "system:controller:operator-lifecycle-manager";
  static final String OPERATORS_V1ALPHA1 = "operators.coreos.com/v1alpha1";
  static final String OPERATORS_V1 = "operators.coreos.com/v1";
  /**
   * What the catalog operator is told to run for catalog pods and bundle-unpack jobs (upstream's images).
   * The lab runs neither: its catalogs are {@code opm serve} processes reached by address, and their bundles
   * carry their manifests inline.
   */
  static final String CONFIGMAP_SERVER_IMAGE = "quay.io/operator-framework/configmap-operator-registry:latest";
  static final String OPM_IMAGE = "quay.io/operator-framework/opm:latest";
  private static final long START_SECONDS = 60;
  private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

  private final OlmBinaries binaries;
  private final RealControlPlane controlPlane;
  private final KubernetesClient admin;
  /** Where OLM's operators log and the catalogs served for bundles live: the control plane's directory. */
  private final Path dir;
  private final List<ComponentProcess> operators = new ArrayList<>();
  private final Map<String, ComponentProcess> catalogServers = new ConcurrentHashMap<>();

  private Olm(OlmBinaries binaries, RealControlPlane controlPlane, KubernetesClient admin, Path dir) {
    this.binaries = binaries;
    this.controlPlane = controlPlane;
    this.admin = admin;
    this.dir = dir;
  }

  /** Installs OLM's CRDs, namespace and RBAC, starts both operators and waits until the olm operator acts. */
  public static Olm start(OlmBinaries binaries, RealControlPlane controlPlane, PrintStream progress) throws Exception {
    Olm olm = new Olm(binaries, controlPlane, controlPlane.admin(), controlPlane.dir());
    try {
      olm.startAll(progress);
    } catch (Exception | Error e) {
      olm.close();
      throw e;
    }
    return olm;
  }

  /**
   * The OLM another process started against a lab ({@code hexgate lab up --olm}), to install and uninstall
   * bundles through from this one: {@code admin} is a client of that lab's admin, {@code controlPlaneDir} the
   * lab's control plane directory (OLM's logs; the catalogs this process serves, their pid files there so that
   * {@code hexgate lab down} stops them should this process not). Closing it stops only those catalogs.
   */
  public static Olm attach(OlmBinaries binaries, KubernetesClient admin, Path controlPlaneDir) {
    return new Olm(binaries, null, admin, controlPlaneDir);
  }

  private void startAll(PrintStream progress) throws Exception {
    long t0 = System.nanoTime();
    progress.println("starting OLM " + binaries.version() + " (olm and catalog operators, as " + USER + " with OLM's ClusterRole: every verb on every resource)");
    controlPlane.installCrds(binaries.crds());
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).serverSideApply();
    admin.rbac().clusterRoles().resource(new ClusterRoleBuilder()
            .withNewMetadata().withName(CLUSTER_ROLE).endMetadata()
            .addToRules(new PolicyRuleBuilder().withApiGroups("*").withResources("*").withVerbs("*").build())
            .addToRules(new PolicyRuleBuilder().withNonResourceURLs("*").withVerbs("*").build())
            .build())
        .serverSideApply();
    admin.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder()
            .withNewMetadata().withName("olm-operator-binding-" + NAMESPACE).endMetadata()
            .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(CLUSTER_ROLE).endRoleRef()
            .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(USER).endSubject()
            .build())
        .serverSideApply();

    Map<String, String> env = Map.of("KUBECONFIG", controlPlane.writeComponentKubeconfig("olm", USER).toString());
    // both serve health and metrics on :8080 of the host; the second one's listener fails, which they only log
    operators.add(ComponentProcess.start("olm", binaries.olm(), List.of(
        "--namespace=" + NAMESPACE,
        "--writeStatusName=",
        "--writePackageServerStatusName="), env, dir));
    operators.add(ComponentProcess.start("catalog", binaries.catalog(), List.of(
        "--namespace=" + NAMESPACE,
        "--configmapServerImage=" + CONFIGMAP_SERVER_IMAGE,
        "--opmImage=" + OPM_IMAGE,
        "--util-image=quay.io/operator-framework/olm:" + binaries.version(),
        "--writeStatusName="), env, dir));

    // as upstream's deployment does: OLM's own namespace has an OperatorGroup, whose status the olm operator
    // fills in once it runs
    resources(OPERATORS_V1, "OperatorGroup").inNamespace(NAMESPACE).resource(new GenericKubernetesResourceBuilder()
            .withApiVersion(OPERATORS_V1).withKind("OperatorGroup")
            .withNewMetadata().withName("olm-operators").withNamespace(NAMESPACE).endMetadata()
            .addToAdditionalProperties("spec", Map.of("targetNamespaces", List.of(NAMESPACE)))
            .build())
        .serverSideApply();
    ComponentProcess olmOperator = operators.get(0);
    olmOperator.await(() -> operatorGroupSynced(NAMESPACE, "olm-operators") && operators.get(1).process().isAlive(), START_SECONDS);
    progress.printf("OLM up in %.1f s (logs olm.log and catalog.log in %s)%n", (System.nanoTime() - t0) / 1e9, dir);
  }

  private boolean operatorGroupSynced(String namespace, String name) {
    GenericKubernetesResource og = resources(OPERATORS_V1, "OperatorGroup").inNamespace(namespace).withName(name).get();
    return og != null && og.get("status", "lastUpdated") != null;
  }

  MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> resources(
      String apiVersion, String kind) {
    return admin.genericKubernetesResources(apiVersion, kind);
  }

  /**
   * Installs the bundle in {@code bundleDir} ({@code manifests/} and {@code metadata/}) into {@code namespace}
   * through OLM and returns once its CSV is {@code Succeeded}: a catalog of that bundle served by {@code opm
   * serve}, a CatalogSource in {@value #NAMESPACE} naming its address, an OperatorGroup in {@code namespace}
   * (own namespace when the CSV supports it, else all namespaces; an existing one is kept), a Subscription to
   * the bundle's default channel with automatic approval. Fails with the CSV's phase, reason and message (or
   * how far the Subscription got) when it is not Succeeded within 5 minutes.
   */
  public InstalledBundle installBundle(Path bundleDir, String namespace) throws Exception {
    return installBundle(bundleDir, namespace, INSTALL_TIMEOUT);
  }

  public InstalledBundle installBundle(Path bundleDir, String namespace, Duration timeout) throws Exception {
    Path catalogs = dir.resolve("olm-catalogs");
    BundleCatalog catalog = BundleCatalog.render(binaries.opm(), bundleDir.toAbsolutePath(), catalogs.resolve(namespace + "-" + bundleDir.getFileName()));
    String source = catalog.packageName() + "-catalog";
    String address = serveCatalog(source, catalog);

    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).serverSideApply();
    resources(OPERATORS_V1ALPHA1, "CatalogSource").inNamespace(NAMESPACE).resource(new GenericKubernetesResourceBuilder()
            .withApiVersion(OPERATORS_V1ALPHA1).withKind("CatalogSource")
            .withNewMetadata().withName(source).withNamespace(NAMESPACE).endMetadata()
            .addToAdditionalProperties("spec", Map.of("sourceType", "grpc", "address", address, "displayName", catalog.packageName() + " (lab)"))
            .build())
        .serverSideApply();
    if (resources(OPERATORS_V1, "OperatorGroup").inNamespace(namespace).list().getItems().isEmpty()) {
      Map<String, Object> spec = catalog.ownNamespace() ? Map.of("targetNamespaces", List.of(namespace)) : Map.of();
      resources(OPERATORS_V1, "OperatorGroup").inNamespace(namespace).resource(new GenericKubernetesResourceBuilder()
              .withApiVersion(OPERATORS_V1).withKind("OperatorGroup")
              .withNewMetadata().withName(namespace).withNamespace(namespace).endMetadata()
              .addToAdditionalProperties("spec", spec)
              .build())
          .serverSideApply();
    }
    resources(OPERATORS_V1ALPHA1, "Subscription").inNamespace(namespace).resource(new GenericKubernetesResourceBuilder()
            .withApiVersion(OPERATORS_V1ALPHA1).withKind("Subscription")
            .withNewMetadata().withName(catalog.packageName()).withNamespace(namespace).endMetadata()
            .addToAdditionalProperties("spec", Map.of(
                "name", catalog.packageName(),
                "channel", catalog.defaultChannel(),
                "source", source,
                "sourceNamespace", NAMESPACE,
                "installPlanApproval", "Automatic"))
            .build())
        .serverSideApply();
    InstalledBundle installed = new InstalledBundle(namespace, catalog.packageName(), catalog.csvName(), source);
    new InstallWatch(this, installed).awaitSucceeded(timeout);
    return installed;
  }

  /** Starts {@code opm serve} on the catalog (one per CatalogSource name) and waits until it accepts connections. */
  private String serveCatalog(String source, BundleCatalog catalog) throws Exception {
    ComponentProcess old = catalogServers.remove(source);
    if (old != null) {
      old.close();
    }
    int port = freePort();
    ComponentProcess server = ComponentProcess.start("opm-" + source, binaries.opm(), List.of(
        // no profiling listener (its default port would be shared by every catalog), no container termination log
        "serve", catalog.dir().toString(), "--port=" + port, "--pprof-addr=", "--termination-log=/dev/null"),
        Map.of(), dir);
    catalogServers.put(source, server);
    server.await(() -> accepts(port), START_SECONDS);
    return "127.0.0.1:" + port;
  }

  /**
   * Deletes the Subscription and the CSV, as uninstalling does (OLM then removes the Deployments and the
   * RBAC it made for the CSV; CRDs and custom resources stay), and the CatalogSource with its {@code opm}.
   */
  public void uninstall(InstalledBundle bundle) {
    var subscription = resources(OPERATORS_V1ALPHA1, "Subscription").inNamespace(bundle.namespace())
        .withName(bundle.packageName());
    var csv = resources(OPERATORS_V1ALPHA1, "ClusterServiceVersion").inNamespace(bundle.namespace())
        .withName(bundle.csvName());
    subscription.delete();
    // OLM's order: the Subscription gone first, or its InstallPlan may bring the CSV back; and should a slow
    // catalog operator still do so, the CSV is deleted again until it stays gone
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (subscription.get() != null && System.nanoTime() < deadline) {
      sleep(200);
    }
    while (System.nanoTime() < deadline) {
      if (csv.get() == null) {
        sleep(2_000);
        if (csv.get() == null) {
          break;
        }
      }
      csv.delete();
      sleep(500);
    }
    resources(OPERATORS_V1ALPHA1, "CatalogSource").inNamespace(NAMESPACE).withName(bundle.catalogSource()).delete();
    ComponentProcess server = catalogServers.remove(bundle.catalogSource());
    if (server != null) {
      server.close();
    }
  }

  /** The end of the olm and catalog operators' logs, for failure messages (read from their files: they may be another process's children). */
  String logTails() {
    StringBuilder s = new StringBuilder();
    for (String name : List.of("olm", "catalog")) {
      Path log = dir.resolve(name + ".log");
      String tail;
      try {
        List<String> lines = Files.readAllLines(log);
        tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
      } catch (IOException e) {
        tail = "(no log: " + e.getMessage() + ")";
      }
      s.append("--- ").append(name).append(".log ends:\n").append(tail).append('\n');
    }
    return s.toString();
  }

  /** Stops the catalog servers and both operators (what they made in the cluster stays). */
  @Override
  public void close() {
    catalogServers.values().forEach(ComponentProcess::close);
    catalogServers.clear();
    for (int i = operators.size() - 1; i >= 0; i--) {
      operators.get(i).close();
    }
    operators.clear();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while uninstalling a bundle", e);
    }
  }

  private static boolean accepts(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
