package io.hexgate.lab;

import java.nio.file.Path;

/**
 * How a lab is made.
 *
 * @param prefix starts the name of every network namespace, link, bpffs pin directory and /etc/netns entry
 *     the lab makes (at most 8 characters), so cleanup finds them after a crash
 * @param nodes how many node namespaces (1..245)
 * @param stateDir where the kubeconfig, pid, log and ready marker live
 * @param crdDir the CRDs the API server starts with
 * @param controlPlane the directory of the real control plane's binaries, or null for the embedded fallback
 * @param bundleDir the operator's ServiceAccount and RBAC ({@code config/rbac}), applied as an OLM install would
 * @param imageDir OCI image archives whose images the nodes run as containers (null: none; other images
 *     keep their built-in workloads)
 * @param hexgate who runs Hexgate: the lab itself, or whoever installs it from its images
 * @param olm the directory of OLM's binaries and CRDs ({@code scripts/ensure-olm.sh}) to run OLM against the real
 *     control plane with, or null for a lab without OLM
 */
public record LabOptions(String prefix, int nodes, Path stateDir, Path crdDir, Path controlPlane, Path bundleDir, Path imageDir,
    Hexgate hexgate, Path olm) {
  public static final String DEFAULT_PREFIX = "hxl-";
  public static final String ZONE = "cluster.local";
  public static final String SERVICE_RANGE = "10.96.0.0/16";
  public static final String DNS_IP = "10.96.0.10";

  /** Who runs Hexgate's operator and agents in the lab. */
  public enum Hexgate {
    /**
     * The lab: the operator and one agent per node in the lab's own process, the operator's account and
     * RBAC ({@code bundleDir}) and the CRDs ({@code crdDir}) made at start.
     */
    IN_PROCESS,
    /**
     * Nobody until someone installs it, as on a fresh cluster (kubectl, Helm or OLM): the lab makes no CRD,
     * account, operator or agent; the operator and agents run as containers of the images in
     * {@code imageDir}. Pods wait, unfiltered never, until an agent pinned its not_ready filter on their
     * node. Needs the real control plane and the image store.
     */
    FROM_IMAGES
  }

  public LabOptions {
    if (hexgate == null) {
      hexgate = Hexgate.IN_PROCESS;
    }
    if (hexgate == Hexgate.FROM_IMAGES && (controlPlane == null || imageDir == null)) {
      throw new IllegalArgumentException("Hexgate from its images needs the real control plane and the images"
          + (imageDir == null ? " (no image directory; ./mvnw -pl images -am package builds images/target)" : ""));
    }
    if (olm != null && controlPlane == null) {
      throw new IllegalArgumentException("--olm needs the real control plane");
    }
    if (nodes < 1 || nodes > 245) {
      throw new IllegalArgumentException("--nodes: " + nodes + " is not within 1..245");
    }
    if (prefix == null || prefix.isEmpty() || prefix.length() > 8 || !prefix.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException("--prefix: '" + prefix + "' must be 1 to 8 characters of a-z, 0-9 and '-'");
    }
  }

  /** A lab without an image store and without OLM. */
  public LabOptions(String prefix, int nodes, Path stateDir, Path crdDir, Path controlPlane, Path bundleDir) {
    this(prefix, nodes, stateDir, crdDir, controlPlane, bundleDir, null, Hexgate.IN_PROCESS, null);
  }

  /** A lab running Hexgate in its own process. */
  public LabOptions(String prefix, int nodes, Path stateDir, Path crdDir, Path controlPlane, Path bundleDir, Path imageDir) {
    this(prefix, nodes, stateDir, crdDir, controlPlane, bundleDir, imageDir, Hexgate.IN_PROCESS, null);
  }

  /** The same lab with Hexgate run by {@code who}. */
  public LabOptions withHexgate(Hexgate who) {
    return new LabOptions(prefix, nodes, stateDir, crdDir, controlPlane, bundleDir, imageDir, who, olm);
  }

  /** The same lab running the images of the archives in {@code dir} as containers. */
  public LabOptions withImages(Path dir) {
    return new LabOptions(prefix, nodes, stateDir, crdDir, controlPlane, bundleDir, dir, hexgate, olm);
  }

  /** {@code ~/.hexgate/lab}: the kubeconfig path stays the same from one lab to the next. */
  public static Path defaultStateDir() {
    return Path.of(System.getProperty("user.home"), ".hexgate", "lab");
  }

  /** The same lab on the embedded fallback control plane. */
  public LabOptions embedded() {
    return new LabOptions(prefix, nodes, stateDir, crdDir, null, bundleDir, imageDir, hexgate, olm);
  }

  /** The same lab running OLM from the binaries in {@code olmDir}. */
  public LabOptions withOlm(Path olmDir) {
    return new LabOptions(prefix, nodes, stateDir, crdDir, controlPlane, bundleDir, imageDir, hexgate, olmDir);
  }

  public Path kubeconfig() {
    return stateDir.resolve("kubeconfig");
  }

  public static String nodeName(int index) {
    return "node-" + index;
  }

  /**
   * Where an agent installed from its image pins its maps and programs on lab node {@code name}: its
   * default, {@code /sys/fs/bpf/hexgate/<node name>} (the lab's own agents pin under the node's namespace
   * name, which carries the prefix).
   */
  public static Path installedAgentPinDir(String name) {
    return io.hexgate.datapath.netns.ClusterNetwork.PIN_ROOT.resolve(name);
  }
}
