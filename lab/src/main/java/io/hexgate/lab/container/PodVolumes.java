package io.hexgate.lab.container;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.thread.DaemonThreads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod's volumes, made on the node the way a kubelet makes them, each a directory the containers bind:
 * emptyDir in the pod's directory; configMap, secret and projected volumes written from the API objects
 * (once, at start); ServiceAccount tokens requested with the node's credentials, bound to the pod, and
 * written again at four fifths of their life; hostPath through {@link NodeFilesystem}.
 */
final class PodVolumes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodVolumes.class);
  /** The volume a kubelet adds for API access when the pod does not opt out. */
  static final String API_ACCESS = "kube-api-access-lab";
  static final String API_ACCESS_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
  /** What a kubelet asks for the default API access token. */
  private static final long API_ACCESS_TOKEN_SECONDS = 3607;

  private final Pod pod;
  private final KubernetesClient client;
  private final Path dir;
  private final NodeFilesystem nodeFs;
  private final String caPem;
  private final Map<String, Path> paths = new LinkedHashMap<>();
  private final ScheduledExecutorService renewals;

  private PodVolumes(Pod pod, KubernetesClient client, Path dir, NodeFilesystem nodeFs, String caPem) {
    this.pod = pod;
    this.client = client;
    this.dir = dir;
    this.nodeFs = nodeFs;
    this.caPem = caPem;
    this.renewals = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("lab-tokens-" + pod.getMetadata().getName()));
  }

  /**
   * Makes every volume of {@code pod} under {@code dir}.
   *
   * @param caPem the cluster CA a kube-api-access volume carries, or null where the control plane issues no
   *     tokens (the embedded one): then no kube-api-access volume is added
   */
  static PodVolumes make(Pod pod, KubernetesClient nodeClient, Path dir, NodeFilesystem nodeFs, String caPem) throws IOException {
    PodVolumes v = new PodVolumes(pod, nodeClient, dir, nodeFs, caPem);
    try {
      for (Volume vol : pod.getSpec().getVolumes() == null ? List.<Volume>of() : pod.getSpec().getVolumes()) {
        v.paths.put(vol.getName(), v.make(vol));
      }
      // the real API server's ServiceAccount admission adds a kube-api-access-* volume itself
      boolean admitted = v.paths.keySet().stream().anyMatch(n -> n.startsWith("kube-api-access-"));
      if (caPem != null && !admitted && !Boolean.FALSE.equals(pod.getSpec().getAutomountServiceAccountToken())) {
        Path d = v.volumeDir(API_ACCESS);
        v.writeToken(d.resolve("token"), null, API_ACCESS_TOKEN_SECONDS);
        write(d.resolve("ca.crt"), caPem.getBytes(StandardCharsets.UTF_8), 0644);
        write(d.resolve("namespace"), pod.getMetadata().getNamespace().getBytes(StandardCharsets.UTF_8), 0644);
        v.paths.put(API_ACCESS, d);
      }
    } catch (IOException | RuntimeException e) {
      v.close();
      throw e;
    }
    return v;
  }

  /** The host directory (or file) of volume {@code name}. */
  Path path(String name) {
    Path p = paths.get(name);
    if (p == null) {
      throw new IllegalStateException("no volume named " + name);
    }
    return p;
  }

  /** Whether the default API access volume is there (mounted into every container). */
  boolean apiAccess() {
    return paths.containsKey(API_ACCESS);
  }

  private Path make(Volume vol) throws IOException {
    if (vol.getEmptyDir() != null) {
      Path d = volumeDir(vol.getName());
      Files.setPosixFilePermissions(d, perms(0777)); // any user of the pod may write, as a kubelet's emptyDir
      return d;
    }
    if (vol.getHostPath() != null) {
      HostPathVolumeSource h = vol.getHostPath();
      return nodeFs.hostPath(h.getPath(), h.getType());
    }
    if (vol.getConfigMap() != null) {
      var src = vol.getConfigMap();
      Path d = volumeDir(vol.getName());
      writeConfigMap(d, src.getName(), src.getItems(), src.getDefaultMode(), src.getOptional());
      return d;
    }
    if (vol.getSecret() != null) {
      var src = vol.getSecret();
      Path d = volumeDir(vol.getName());
      writeSecret(d, src.getSecretName(), src.getItems(), src.getDefaultMode(), src.getOptional());
      return d;
    }
    if (vol.getProjected() != null) {
      Path d = volumeDir(vol.getName());
      Integer mode = vol.getProjected().getDefaultMode();
      for (VolumeProjection p : vol.getProjected().getSources()) {
        if (p.getServiceAccountToken() != null) {
          ServiceAccountTokenProjection t = p.getServiceAccountToken();
          writeToken(d.resolve(t.getPath()), t.getAudience(), t.getExpirationSeconds() == null ? 3600 : t.getExpirationSeconds());
        } else if (p.getConfigMap() != null) {
          writeConfigMap(d, p.getConfigMap().getName(), p.getConfigMap().getItems(), mode, p.getConfigMap().getOptional());
        } else if (p.getSecret() != null) {
          writeSecret(d, p.getSecret().getName(), p.getSecret().getItems(), mode, p.getSecret().getOptional());
        } else if (p.getDownwardAPI() != null) {
          for (var item : p.getDownwardAPI().getItems()) {
            if (item.getFieldRef() == null) {
              throw new IllegalStateException("volume " + vol.getName() + ": the lab projects downward API fields, not resources");
            }
            String value = ContainerCommand.podField(pod, item.getFieldRef().getFieldPath());
            write(d.resolve(item.getPath()), value.getBytes(StandardCharsets.UTF_8), item.getMode() != null ? item.getMode() : mode == null ? 0644 : mode);
          }
        } else {
          throw new IllegalStateException("volume " + vol.getName() + ": the lab projects ServiceAccount tokens, ConfigMaps, Secrets and the downward API only");
        }
      }
      return d;
    }
    throw new IllegalStateException("volume " + vol.getName() + ": the lab supports emptyDir, hostPath, configMap, secret and projected volumes only");
  }

  private Path volumeDir(String name) throws IOException {
    Path d = dir.resolve(name);
    Files.createDirectories(d);
    return d;
  }

  private void writeConfigMap(Path d, String name, List<KeyToPath> items, Integer mode, Boolean optional) throws IOException {
    ConfigMap cm = client.configMaps().inNamespace(pod.getMetadata().getNamespace()).withName(name).get();
    if (cm == null) {
      if (Boolean.TRUE.equals(optional)) {
        return;
      }
      throw new IllegalStateException("configmap \"" + name + "\" not found");
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (cm.getData() != null) {
      cm.getData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    if (cm.getBinaryData() != null) {
      cm.getBinaryData().forEach((k, v) -> data.put(k, java.util.Base64.getDecoder().decode(v)));
    }
    writeKeys(d, data, items, mode);
  }

  private void writeSecret(Path d, String name, List<KeyToPath> items, Integer mode, Boolean optional) throws IOException {
    Secret s = client.secrets().inNamespace(pod.getMetadata().getNamespace()).withName(name).get();
    if (s == null) {
      if (Boolean.TRUE.equals(optional)) {
        return;
      }
      throw new IllegalStateException("secret \"" + name + "\" not found");
    }
    writeKeys(d, ContainerCommand.secretData(s), items, mode);
  }

  /** Every key as a file named after it, or only the listed items at their paths and modes. */
  private static void writeKeys(Path d, Map<String, byte[]> data, List<KeyToPath> items, Integer defaultMode) throws IOException {
    int mode = defaultMode == null ? 0644 : defaultMode;
    if (items == null || items.isEmpty()) {
      for (var e : data.entrySet()) {
        write(d.resolve(e.getKey()), e.getValue(), mode);
      }
      return;
    }
    for (KeyToPath item : items) {
      byte[] v = data.get(item.getKey());
      if (v == null) {
        throw new IllegalStateException("key " + item.getKey() + " is not there");
      }
      write(d.resolve(item.getPath()), v, item.getMode() == null ? mode : item.getMode());
    }
  }

  /**
   * A token of the pod's ServiceAccount bound to the pod, as a kubelet asks for it with the node's
   * credentials (the Node authorizer allows it for pods bound to the node); asked for again at four fifths
   * of its life.
   */
  private void writeToken(Path file, String audience, long seconds) throws IOException {
    TokenRequestBuilder b = new TokenRequestBuilder().withNewSpec()
        .withExpirationSeconds(seconds)
        .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod")
        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endBoundObjectRef()
        .endSpec();
    if (audience != null && !audience.isEmpty()) {
      b.editSpec().withAudiences(audience).endSpec();
    }
    TokenRequest r = client.serviceAccounts().inNamespace(pod.getMetadata().getNamespace())
        .withName(ContainerCommand.serviceAccount(pod)).tokenRequest(b.build());
    write(file, r.getStatus().getToken().getBytes(StandardCharsets.UTF_8), 0644);
    long lifetime = r.getSpec().getExpirationSeconds() == null ? seconds : r.getSpec().getExpirationSeconds();
    renewals.schedule(() -> {
      try {
        writeToken(file, audience, seconds);
      } catch (IOException | RuntimeException e) {
        log.warn("pod {}/{}: renewing the token {} failed (retrying in 10 s): {}", pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(), file.getFileName(), e.toString());
        renewals.schedule(() -> {
          try {
            writeToken(file, audience, seconds);
          } catch (IOException | RuntimeException again) {
            log.warn("pod {}: token renewal failed again: {}", pod.getMetadata().getName(), again.toString());
          }
        }, 10, TimeUnit.SECONDS);
      }
    }, lifetime * 4 / 5, TimeUnit.SECONDS);
  }

  /** Writes through a temporary file and a rename, so that a container never reads half a file. */
  private static void write(Path file, byte[] content, int mode) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(tmp, content);
    Files.setPosixFilePermissions(tmp, perms(mode));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static Set<PosixFilePermission> perms(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        s.add(order[i]);
      }
    }
    return s;
  }

  @Override
  public void close() {
    renewals.shutdownNow();
  }
}
