package io.hexgate.lab.container;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.PodInterfaces;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A lab node's container runtime: runs the pods whose every image is in the lab's image store as runc
 * containers, with the node's credentials for what a kubelet reads (ConfigMaps, Secrets, tokens). Pods,
 * containers and logs live under {@code stateDir}; container ids start with {@code idPrefix} so that
 * {@link Runc#deleteAll} finds what a crashed lab left.
 */
public final class ContainerHost {
  private final ImageArchives images;
  private final Path stateDir;
  private final String idPrefix;
  private final KubernetesClient client;
  private final String caPem;
  private final Map<String, String> serviceEnv;
  private final NodeFilesystem nodeFs;

  /**
   * @param caPem the cluster CA for the default API access volume, or null where the control plane issues no tokens
   * @param serviceEnv what every container gets to find the API server ({@code KUBERNETES_SERVICE_HOST}, ...)
   */
  public ContainerHost(ImageArchives images, Path stateDir, String idPrefix, KubernetesClient nodeClient, String caPem,
      Map<String, String> serviceEnv, NodeFilesystem nodeFs) {
    this.images = images;
    this.stateDir = stateDir;
    this.idPrefix = idPrefix;
    this.client = nodeClient;
    this.caPem = caPem;
    this.serviceEnv = Map.copyOf(serviceEnv);
    this.nodeFs = nodeFs;
  }

  /** Whether {@code pod} runs as containers here: its every image is in the image store. */
  public boolean runs(Pod pod) {
    var cs = pod.getSpec().getContainers();
    return !cs.isEmpty() && cs.stream().map(Container::getImage).allMatch(i -> images.archiveFor(i).isPresent());
  }

  /**
   * Starts the pod's containers.
   *
   * @param netns the network namespace they join (the pod's, or the node's for {@code hostNetwork})
   * @param resolvConf what they see as {@code /etc/resolv.conf}
   * @param changed runs whenever a container starts, exits or changes readiness
   */
  public ContainerPod start(Pod pod, String netns, String podIp, String hostIp, String hostname, Path resolvConf, Runnable changed)
      throws IOException {
    return ContainerPod.start(this, pod, new ContainerPod.Placement(netns, podIp, hostIp, hostname, resolvConf), changed);
  }

  /** {@code <state>/logs/<namespace>_<pod>_<container>.log}: where a container's stdout and stderr go. */
  public Path logFile(String namespace, String pod, String container) throws IOException {
    Path d = stateDir.resolve("logs");
    java.nio.file.Files.createDirectories(d);
    return d.resolve(namespace + "_" + pod + "_" + container + ".log");
  }

  /** The container id runc knows: the lab's prefix, then the pod and container names (hashed when long). */
  String containerId(Pod pod, String container) {
    String id = idPrefix + "c-" + pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName() + "_" + container;
    return id.length() <= 100 ? id : id.substring(0, 80) + "-" + PodInterfaces.hostSide(pod.getMetadata().getNamespace(), pod.getMetadata().getName() + "/" + container);
  }

  Path containerDir(String id) {
    return stateDir.resolve("containers").resolve(id);
  }

  Path podDir(Pod pod) {
    return stateDir.resolve("pods").resolve(pod.getMetadata().getUid());
  }

  ImageArchives images() {
    return images;
  }

  KubernetesClient client() {
    return client;
  }

  String caPem() {
    return caPem;
  }

  Map<String, String> serviceEnv() {
    return serviceEnv;
  }

  NodeFilesystem nodeFs() {
    return nodeFs;
  }
}
