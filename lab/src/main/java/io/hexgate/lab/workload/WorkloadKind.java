package io.hexgate.lab.workload;

import java.util.Locale;
import java.util.Map;

/**
 * Which built-in workload stands in for a container image. Container images cannot run here, so the lab
 * maps the images of Cilium's Star Wars demo (and CoreDNS, for the lab's DNS) to workloads of its own;
 * every other image gets a network namespace with nothing in it.
 */
public enum WorkloadKind {
  /** Cilium's {@code quay.io/cilium/starwars}: the deathstar's HTTP API on port 80. */
  DEATHSTAR,
  /** Client pods that only run commands given through {@code lab exec} (the ships). */
  IDLE,
  /** The cluster DNS server, in place of CoreDNS. */
  DNS,
  /** An image the lab cannot run. */
  UNSUPPORTED;

  private static final Map<String, WorkloadKind> REPOSITORIES =
      Map.of(
          "quay.io/cilium/starwars", DEATHSTAR,
          "cilium/starwars", DEATHSTAR,
          "quay.io/cilium/json-mock", IDLE,
          "cilium/json-mock", IDLE,
          "registry.k8s.io/coredns/coredns", DNS,
          "coredns/coredns", DNS);

  /** The workload for an image reference such as {@code quay.io/cilium/starwars:v2.1@sha256:...}. */
  public static WorkloadKind forImage(String image) {
    if (image == null) {
      return UNSUPPORTED;
    }
    return REPOSITORIES.getOrDefault(repository(image), UNSUPPORTED);
  }

  /** The image's repository: without digest and tag, without Docker Hub's implicit host and library/. */
  static String repository(String image) {
    String r = image.trim().toLowerCase(Locale.ROOT);
    int at = r.indexOf('@');
    if (at >= 0) {
      r = r.substring(0, at);
    }
    int slash = r.lastIndexOf('/');
    int colon = r.lastIndexOf(':');
    if (colon > slash) {
      r = r.substring(0, colon);
    }
    for (String hub : new String[] {"docker.io/", "index.docker.io/", "registry-1.docker.io/"}) {
      if (r.startsWith(hub)) {
        r = r.substring(hub.length());
      }
    }
    if (r.startsWith("library/")) {
      r = r.substring("library/".length());
    }
    return r;
  }
}
