package io.hexgate.lab.controlplane;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.datapath.netns.FileTrees;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Kubernetes control plane on this machine: etcd, kube-apiserver (TLS, client certificates,
 * ServiceAccount tokens, {@code Node,RBAC} authorization, NodeRestriction), kube-controller-manager and
 * kube-scheduler, built by {@code scripts/ensure-control-plane.sh}, each a child process with its log in the
 * lab's state directory. Everything listens on 127.0.0.1 on ports chosen at start, so labs do not collide.
 */
public final class RealControlPlane implements ControlPlane {
  public static final String SERVICE_RANGE = "10.96.0.0/16";
  /**
   * The controller manager's defaults, without those for kinds the lab never runs (jobs, autoscaling,
   * volumes, stateful sets, disruption budgets, quotas, certificate signing, node IPAM: the lab's nodes come
   * with their pod CIDRs). Daemon sets run: the agents installed from their image are one.
   */
  static final String CONTROLLERS = "*," + String.join(",", List.of(
      "-cronjob-controller",
      "-horizontal-pod-autoscaler-controller",
      "-job-controller",
      "-statefulset-controller",
      "-disruption-controller",
      "-resourcequota-controller",
      "-ttl-after-finished-controller",
      "-ttl-controller",
      "-persistentvolume-attach-detach-controller",
      "-persistentvolume-binder-controller",
      "-persistentvolume-expander-controller",
      "-persistentvolume-protection-controller",
      "-persistentvolumeclaim-protection-controller",
      "-ephemeral-volume-controller",
      "-volumeattributesclass-protection-controller",
      "-certificatesigningrequest-approving-controller",
      "-certificatesigningrequest-cleaner-controller",
      "-certificatesigningrequest-signing-controller",
      "-resourceclaim-controller",
      "-device-taint-eviction-controller",
      "-validatingadmissionpolicy-status-controller",
      "-storageversion-garbage-collector-controller",
      "-storage-version-migrator-controller",
      "-replicationcontroller-controller",
      "-node-ipam-controller"));
  /** How long the API server's readiness may take (a cold start on a busy 2-core machine can take 30 s). */
  private static final long START_SECONDS = 90;

  private final Path dir;
  private final ControlPlanePki pki;
  private final URI url;
  private final String release;
  private final List<ComponentProcess> processes = new ArrayList<>();
  private final Map<String, KubernetesClient> clients = new ConcurrentHashMap<>();
  private OperatorAccount operatorAccount;
  private ComponentProcess apiServer;
  private Path binaries;

  private RealControlPlane(Path dir, ControlPlanePki pki, URI url, String release) {
    this.dir = dir;
    this.pki = pki;
    this.url = url;
    this.release = release;
  }

  /**
   * Starts the control plane from the binaries in {@code bin}, keeping its data, logs and certificates in
   * {@code dir} (emptied first; components an earlier lab left running there are stopped), installs the
   * CRDs and the operator's ServiceAccount with the RBAC of {@code bundleManifests} (null: none, Hexgate is
   * installed into the cluster later as on any other).
   */
  public static RealControlPlane start(Path bin, Path dir, List<Path> crdFiles, Path bundleManifests, PrintStream progress) throws Exception {
    List<String> stopped = stopLeftovers(dir);
    if (!stopped.isEmpty()) {
      progress.println("stopped what an earlier lab left running: " + String.join(", ", stopped));
    }
    FileTrees.delete(dir);
    Files.createDirectories(dir);
    ControlPlanePki pki = ControlPlanePki.create(dir.resolve("pki"));
    int etcdPort = freePort();
    int etcdPeerPort = freePort();
    int apiPort = freePort();
    String release = version(bin.resolve("kube-apiserver"));
    RealControlPlane cp = new RealControlPlane(dir, pki, URI.create("https://127.0.0.1:" + apiPort), release);
    cp.binaries = bin;
    try {
      cp.startAll(etcdPort, etcdPeerPort, apiPort, crdFiles, bundleManifests, progress);
    } catch (Exception | Error e) {
      cp.close();
      throw e;
    }
    return cp;
  }

  private void startAll(int etcdPort, int etcdPeerPort, int apiPort, List<Path> crdFiles, Path bundleManifests, PrintStream progress)
      throws Exception {
    long t0 = System.nanoTime();
    String etcdUrl = "http://127.0.0.1:" + etcdPort;
    String peerUrl = "http://127.0.0.1:" + etcdPeerPort;
    progress.println("starting etcd (" + version(binaries.resolve("etcd")) + ") on " + etcdUrl);
    ComponentProcess etcd = ComponentProcess.start(binaries.resolve("etcd"), List.of(
        "--name=lab", "--data-dir=" + dir.resolve("etcd"),
        "--listen-client-urls=" + etcdUrl, "--advertise-client-urls=" + etcdUrl,
        "--listen-peer-urls=" + peerUrl, "--initial-advertise-peer-urls=" + peerUrl,
        "--initial-cluster=lab=" + peerUrl, "--initial-cluster-state=new",
        "--unsafe-no-fsync=true", "--log-level=warn"), dir);
    processes.add(etcd);
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    etcd.await(() -> get(plain, URI.create(etcdUrl + "/health")).contains("\"health\":\"true\""), START_SECONDS);

    progress.println("starting kube-apiserver " + release + " on " + url + " (authorization Node,RBAC)");
    List<String> apiServerArgs = List.of(
        "--etcd-servers=" + etcdUrl,
        "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + apiPort,
        // the default/kubernetes Endpoints may not name a loopback address; nothing in the lab reaches
        // the API server through that Service
        "--endpoint-reconciler-type=none",
        "--client-ca-file=" + pki.caFile(),
        "--tls-cert-file=" + pki.servingCertFile(), "--tls-private-key-file=" + pki.servingKeyFile(),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=" + pki.tokenVerifyingKeyFile(),
        "--service-account-signing-key-file=" + pki.tokenSigningKeyFile(),
        "--service-cluster-ip-range=" + SERVICE_RANGE,
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        "--profiling=false",
        "--v=1");
    apiServer = ComponentProcess.start(binaries.resolve("kube-apiserver"), apiServerArgs, dir);
    processes.add(apiServer);

    // the controller manager and the scheduler wait for the API server themselves: started now, their
    // start overlaps the API server's
    Path kcmConfig = pki.writeKubeconfig(dir.resolve("controller-manager.kubeconfig"), url, "system:kube-controller-manager",
        pki.client("system:kube-controller-manager"));
    progress.println("starting kube-controller-manager and kube-scheduler " + release);
    processes.add(ComponentProcess.start(binaries.resolve("kube-controller-manager"), List.of(
        "--kubeconfig=" + kcmConfig,
        "--leader-elect=false",
        "--secure-port=0",
        "--use-service-account-credentials=true",
        "--service-account-private-key-file=" + pki.tokenSigningKeyFile(),
        "--root-ca-file=" + pki.caFile(),
        "--service-cluster-ip-range=" + SERVICE_RANGE,
        "--cluster-name=hexgate-lab",
        // the lab's nodes post Ready at once: let the not-ready taint go within a second, not five
        "--node-monitor-period=1s",
        "--controllers=" + CONTROLLERS,
        "--v=1"), dir));
    Path schedulerConfig = pki.writeKubeconfig(dir.resolve("scheduler.kubeconfig"), url, "system:kube-scheduler",
        pki.client("system:kube-scheduler"));
    processes.add(ComponentProcess.start(binaries.resolve("kube-scheduler"), List.of(
        "--kubeconfig=" + schedulerConfig,
        "--leader-elect=false",
        "--secure-port=0",
        "--v=1"), dir));

    awaitApiServer();
    IssuedCertificate admin = pki.client("hexgate-lab-admin", "system:masters");
    Path adminConfig = pki.writeKubeconfig(dir.resolve("admin.kubeconfig"), url, "hexgate-lab-admin", admin);
    clients.put("admin", client(adminConfig, null));

    installCrds(crdFiles);
    if (bundleManifests != null) {
      operatorAccount = OperatorAccount.install(admin(), bundleManifests, url, pki.caPem());
    }
    progress.printf("control plane up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  private void awaitApiServer() throws InterruptedException {
    HttpClient tls = HttpClient.newBuilder().sslContext(sslContext(pki.client("hexgate-lab-probe", "system:masters")))
        .connectTimeout(Duration.ofSeconds(1)).build();
    apiServer.await(() -> "ok".equals(get(tls, url.resolve("/readyz"))), START_SECONDS);
  }

  /** Creates the CRDs in {@code crdFiles} and waits until each is established. */
  public void installCrds(List<Path> crdFiles) throws IOException {
    KubernetesClient admin = admin();
    List<CustomResourceDefinition> crds = new ArrayList<>();
    for (Path f : crdFiles) {
      try (var in = Files.newInputStream(f)) {
        crds.add(admin.apiextensions().v1().customResourceDefinitions().load(in).item());
      }
    }
    for (CustomResourceDefinition crd : crds) {
      admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    }
    for (CustomResourceDefinition crd : crds) {
      admin.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
          .waitUntilCondition(RealControlPlane::established, 30, TimeUnit.SECONDS);
    }
  }

  // a just-created CRD can have a status with no conditions yet
  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(k -> "Established".equals(k.getType()) && "True".equals(k.getStatus()));
  }

  /** Stops the components a lab killed before it could stop them left running in {@code dir}; names them. */
  public static List<String> stopLeftovers(Path dir) throws IOException {
    return ComponentProcess.stopLeftovers(dir);
  }

  @Override
  public URI url() {
    return url;
  }

  @Override
  public KubernetesClient admin() {
    return clients.get("admin");
  }

  @Override
  public KubernetesClient node(String name) {
    return clients.computeIfAbsent("node:" + name, k -> {
      String user = "system:node:" + name;
      return client(pki.writeKubeconfig(dir.resolve("node-" + name + ".kubeconfig"), url, user, pki.client(user, "system:nodes")), null);
    });
  }

  @Override
  public KubernetesClient operator() {
    if (operatorAccount == null) {
      throw new IllegalStateException("this control plane made no operator account: Hexgate is installed into it, not by the lab");
    }
    return clients.computeIfAbsent("operator", k -> operatorAccount.client());
  }

  /**
   * Writes {@code <name>.kubeconfig} into this control plane's directory for a client certificate of
   * {@code user} in {@code groups}, for another component the lab runs against it (such as OLM).
   */
  public Path writeComponentKubeconfig(String name, String user, String... groups) {
    return pki.writeKubeconfig(dir.resolve(name + ".kubeconfig"), url, user, pki.client(user, groups));
  }

  /** Where the components' data, kubeconfigs, logs and pid files live (the next lab stops what the pid files name). */
  public Path dir() {
    return dir;
  }

  @Override
  public void writeKubeconfig(Path file) {
    pki.writeKubeconfig(file, url, "hexgate-lab-admin", pki.client("hexgate-lab-admin", "system:masters"));
  }

  @Override
  public String describe() {
    return "Kubernetes " + release + " (etcd, kube-apiserver, kube-controller-manager, kube-scheduler; logs in " + dir + ")";
  }

  @Override
  public boolean embedded() {
    return false;
  }

  /** The cluster CA in PEM, as pods find it in their API access volume. */
  public String caPem() {
    return pki.caPem();
  }

  /** The Kubernetes release the binaries report, e.g. {@code v1.37.2}. */
  public String release() {
    return release;
  }

  @Override
  public void close() {
    clients.values().forEach(KubernetesClient::close);
    clients.clear();
    if (operatorAccount != null) {
      operatorAccount.close();
    }
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
    processes.clear();
  }

  private static KubernetesClient client(Path kubeconfig, String namespace) {
    Config config = new ConfigBuilder(Config.fromKubeconfig(null, kubeconfig.toFile())).withNamespace(namespace).build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static SSLContext sslContext(IssuedCertificate client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", client.ca());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ControlPlanePki.keyStore(client), "changeit".toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("cannot make the TLS context of the lab's API client", e);
    }
  }

  private static String get(HttpClient http, URI uri) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body().trim() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** What {@code binary --version} prints last, e.g. {@code v1.37.2} for "Kubernetes v1.37.2". */
  static String version(Path binary) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    String first = out.lines().findFirst().orElse("");
    String[] words = first.split("\\s+");
    return words[words.length - 1];
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
